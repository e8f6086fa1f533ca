package core

import (
	"context"
	"time"
)

// MessageRef points at a message a chat adapter posted (a Slack channel and
// ts, a Discord channel and message id), so the adapter can edit it later.
// Core stores it and hands it back; what the two strings mean is the
// adapter's business.
type MessageRef struct {
	Channel string
	ID      string
}

// IsZero reports whether no message is referenced.
func (r MessageRef) IsZero() bool { return r.Channel == "" || r.ID == "" }

// CardEvent says why a meeting card needs redrawing.
type CardEvent string

// The changes that redraw a meeting card.
const (
	CardRSVP      CardEvent = "rsvp"
	CardMoved     CardEvent = "moved"
	CardSkipped   CardEvent = "skipped"
	CardCancelled CardEvent = "cancelled"
	CardInvited   CardEvent = "invited"
	CardStarted   CardEvent = "started"
	CardEnded     CardEvent = "ended"
)

// CardKeeper is implemented by notifiers that keep a meeting's card up to
// date in place (Slack's chat.update, a Discord message edit). Core calls it
// after every change a reader of the card would notice; a notifier without
// it simply leaves old cards as they were posted.
type CardKeeper interface {
	// UpdateCard redraws m.Card (and updates m.Mirror, when set) from m.
	// Either may be zero. It is best effort: a failure is
	// logged by core, and the next change redraws the card again.
	UpdateCard(ctx context.Context, m *Meeting, ev CardEvent) error
}

// cardTimeout bounds one card redraw, which runs inside a command or a job.
const cardTimeout = 10 * time.Second

// SetCard records where the meeting's card was posted, so later changes can
// redraw it. Adapters call it right after posting the card. ENOTFOUND when
// the meeting is gone.
func (s *notices) SetCard(ctx context.Context, ws WorkspaceKey, id string, ref MessageRef) (*Meeting, error) {
	return s.store.UpdateMeeting(ctx, ws, id, func(m *Meeting) error {
		m.Card = ref
		return nil
	})
}

// SetMirror records the platform calendar entry that mirrors the meeting
// (see Meeting.Mirror), so later changes reach it too.
func (s *notices) SetMirror(ctx context.Context, ws WorkspaceKey, id string, ref MessageRef) (*Meeting, error) {
	return s.store.UpdateMeeting(ctx, ws, id, func(m *Meeting) error {
		m.Mirror = ref
		return nil
	})
}

// refreshCard asks the notifier to redraw m's card and its calendar mirror,
// when it has either and the notifier can. Failures are logged: the change itself is stored and the
// actor already has their reply.
func (s *notices) refreshCard(ctx context.Context, m *Meeting, ev CardEvent) {
	if m == nil || m.Card.IsZero() && m.Mirror.IsZero() {
		return
	}
	k, ok := s.notify.(CardKeeper)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cardTimeout)
	defer cancel()
	if err := k.UpdateCard(ctx, m.Clone(), ev); err != nil {
		s.log.Warn().Err(err).Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Str("event", string(ev)).Msg("could not update the meeting card")
	}
}
