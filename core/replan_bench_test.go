package core_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// BenchmarkReplanWorkspace measures a reminders change in a workspace of
// 500 scheduled meetings (bbolt with fsync on), which re-plans every one of
// them, against a baseline measured in the same run: planning the same
// meetings one after another. It reports the ratio as x-sequential; below
// 1 means the re-plan shares commits instead of paying one per meeting.
func BenchmarkReplanWorkspace(b *testing.B) {
	const n = 500
	bd := setup(b, setupOpts{Budget: 1 << 30})
	ctx := context.Background()
	ms := make([]*core.Meeting, n)
	for i := range ms {
		m := &core.Meeting{Workspace: ws, Channel: "C1", Title: fmt.Sprint("m", i), Organizer: "ana",
			Start: t0.Add(time.Duration(i+120) * time.Minute), TimeZone: "UTC", Duration: 30 * time.Minute,
			State: core.StateScheduled, RoomID: "r", RoomStatus: core.RoomInactive}
		if err := bd.Store.CreateMeeting(ctx, m); err != nil {
			b.Fatal(err)
		}
		ms[i] = m
	}
	leads := [][]time.Duration{{time.Hour}, {30 * time.Minute}}
	admin := adminActor("ad")
	// Baseline: the same change, then each meeting planned in turn.
	base := time.Now()
	if _, err := bd.Store.FindWorkspace(ctx, ws); core.ErrorCode(err) != core.ENOTFOUND {
		b.Fatalf("workspace settings before the run: %v", err)
	}
	for _, m := range ms {
		if err := bd.Service.Plan(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	baseNs := float64(time.Since(base).Nanoseconds())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bd.Service.UpdateSettings(ctx, admin, core.SettingChange{Name: core.SettingReminders, Reminders: leads[i%2]}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/baseNs, "x-sequential")
}
