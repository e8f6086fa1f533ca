package main

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
)

// platformNotifier sends each reminder, announcement and card redraw to
// the chat adapter of the meeting's platform, so one scheduler serves
// Slack and Discord at once. A platform with no adapter configured falls
// back to a log line.
type platformNotifier struct {
	byPlatform map[core.Platform]core.Notifier
	fallback   core.Notifier
	// obs counts every post by platform, kind and outcome.
	obs core.Observer
}

func newPlatformNotifier(log zerolog.Logger, obs core.Observer) *platformNotifier {
	return &platformNotifier{byPlatform: map[core.Platform]core.Notifier{}, fallback: logNotifier{log: log}, obs: obs}
}

// set routes a platform's meetings to n.
func (p *platformNotifier) set(pl core.Platform, n core.Notifier) { p.byPlatform[pl] = n }

func (p *platformNotifier) pick(ws core.WorkspaceKey) core.Notifier {
	if n, ok := p.byPlatform[ws.Platform]; ok {
		return n
	}
	return p.fallback
}

// Remind implements core.Notifier.
func (p *platformNotifier) Remind(ctx context.Context, r core.Reminder) (string, error) {
	ref, err := p.pick(r.Meeting.Workspace).Remind(ctx, r)
	p.obs.NotifierPost(r.Meeting.Workspace.Platform, "reminder", core.Outcome(err))
	return ref, err
}

// Announce implements core.Notifier.
func (p *platformNotifier) Announce(ctx context.Context, a core.Announcement) error {
	err := p.pick(a.Meeting.Workspace).Announce(ctx, a)
	p.obs.NotifierPost(a.Meeting.Workspace.Platform, "announcement", core.Outcome(err))
	return err
}

// RoomNotice implements core.RoomNotifier for the adapters that can.
func (p *platformNotifier) RoomNotice(ctx context.Context, n core.RoomNotice) error {
	if rn, ok := p.pick(n.Meeting.Workspace).(core.RoomNotifier); ok {
		return rn.RoomNotice(ctx, n)
	}
	return nil
}

// UpdateCard implements core.CardKeeper for the adapters that can.
func (p *platformNotifier) UpdateCard(ctx context.Context, m *core.Meeting, ev core.CardEvent) error {
	if k, ok := p.pick(m.Workspace).(core.CardKeeper); ok {
		err := k.UpdateCard(ctx, m, ev)
		p.obs.NotifierPost(m.Workspace.Platform, "card", core.Outcome(err))
		return err
	}
	return nil
}
