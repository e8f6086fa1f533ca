package console

import (
	"context"
	"strconv"
	"sync/atomic"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// The console is a core.Notifier: reminders and announcements from the
// scheduler print as their own lines (with --json, objects with an "event"
// field), never merged into a reply.
var _ core.Notifier = (*Console)(nil)

// posts numbers the console's posts, so each reminder has a reference.
var posts atomic.Int64

// Remind prints a reminder and returns its post number as the reference.
func (c *Console) Remind(ctx context.Context, r core.Reminder) (string, error) {
	text := chat.ReminderText(r, r.Meeting.TimeZone, c.opts.Service.Now())
	c.Event(ctx, "reminder", text, r.Meeting)
	return "console:" + strconv.FormatInt(posts.Add(1), 10), nil
}

// Announce prints a change (moved, skipped, cancelled).
func (c *Console) Announce(ctx context.Context, a core.Announcement) error {
	c.Event(ctx, a.Kind, chat.AnnouncementText(a, a.Meeting.TimeZone, c.opts.Service.Now()), a.Meeting)
	return nil
}
