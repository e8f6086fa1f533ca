package core

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rs/zerolog"
)

// notices is what people are told through the chat adapter's Notifier:
// reminders, announcements of changes, and meeting cards kept up to date
// (cards.go). Telling is best effort: a change is stored whether or not
// the post went out, and the actor has their reply either way.
type notices struct {
	store      MeetingStore
	workspaces *workspaces
	notify     Notifier // nil: nothing is posted
	log        zerolog.Logger
}

// SetNotifier sets where reminders and announcements go. It exists
// because some notifiers (the console) need the Service to be built first;
// call it before the scheduler starts.
func (s *notices) SetNotifier(n Notifier) { s.notify = n }

// posts reports whether anything can be posted at all.
func (s *notices) posts() bool { return s.notify != nil }

// remind posts r and returns a reference to the post.
func (s *notices) remind(ctx context.Context, r Reminder) (string, error) {
	return s.notify.Remind(ctx, r)
}

// announce posts a change through the notifier, logging a failure: the
// change is stored either way, and the command's own reply tells the actor.
// People are messaged personally when the workspace enabled DMs, and always
// for a private meeting (its channel is not told); never the actor.
func (s *notices) announce(ctx context.Context, a Announcement) {
	if s.notify == nil {
		return
	}
	switch {
	case a.Meeting.Private:
		// The channel is not told of a private meeting, so its people are,
		// in person.
		a.DMs = personalRecipients(a.Meeting)
	case !s.workspaces.policy(ctx, a.Meeting.Workspace).dms:
		a.DMs = nil // personal messages only where the workspace turned them on
	}
	// Whoever made the change has the command's reply; no DM about it.
	a.DMs = slices.DeleteFunc(a.DMs, func(u string) bool { return u == a.By })
	if err := s.notify.Announce(context.WithoutCancel(ctx), a); err != nil {
		s.log.Warn().Err(err).Str("meeting", a.Meeting.ID).Str("kind", a.Kind).Msg(fmt.Sprintf("could not announce %s meeting", a.Kind))
	}
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
