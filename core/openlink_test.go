package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// TestOpenLinkOfSkippedTimeOffersTheNext: a link to one time of a weekly
// meeting that is then skipped is refused as over (EENDED), with the page
// naming the meeting and a wait link of the same person for the next time.
func TestOpenLinkOfSkippedTimeOffersTheNext(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	start := t0.Add(2 * time.Hour)
	m, err := b.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: "Team sync", Start: start, Duration: 30 * time.Minute, TimeZone: "America/New_York", Recurrence: "FREQ=WEEKLY"})
	if err != nil {
		t.Fatal(err)
	}
	link, err := b.Service.Join(ctx, actor("bo"), m.ID)
	if err != nil || !link.Early {
		t.Fatalf("early join: %+v, %v", link, err)
	}
	if _, _, err := b.Service.Skip(ctx, actor("ana"), m.ID, start); err != nil {
		t.Fatal(err)
	}
	page, err := b.Service.OpenLink(ctx, strings.TrimPrefix(link.URL, "http://meet.test/j/"))
	if core.ErrorCode(err) != core.EENDED || page == nil || page.Meeting.Title != "Team sync" {
		t.Fatalf("skipped time: page %+v, err %v; want the meeting and ended", page, err)
	}
	if page.Next == nil || !page.Next.Start.Equal(start.AddDate(0, 0, 7)) || !page.Next.Early {
		t.Fatalf("next = %+v, want a wait link for %v", page.Next, start.AddDate(0, 0, 7))
	}
	next, err := b.Service.OpenLink(ctx, strings.TrimPrefix(page.Next.URL, "http://meet.test/j/"))
	if err != nil || next.Phase != core.PhaseBefore || next.User.UserID != "bo" {
		t.Fatalf("next link: %+v, %v; want bo's wait page", next, err)
	}
}
