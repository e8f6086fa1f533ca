package core_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// roomsTagged counts upstream rooms whose title carries the meeting's tag.
func roomsTagged(b *testenv.Env, tag string) int {
	n := 0
	for _, m := range b.Sandbox.Meetings() {
		if strings.Contains(m.Title, tag) {
			n++
		}
	}
	return n
}

func TestTwoPhaseCreateAmbiguousFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault sandbox.Fault
	}{
		{"timeout after upstream create", sandbox.Fault{Op: sandbox.OpCreateMeeting, Delay: time.Minute, AfterApply: true, Times: 1}},
		{"5xx after upstream create", sandbox.Fault{Op: sandbox.OpCreateMeeting, Status: 502, AfterApply: true, Times: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// In a bubble, the 300 ms call deadline passes in fake time.
			synctest.Test(t, func(t *testing.T) {
				b := setup(t, testenv.Options{Bubble: true, CallTimeout: 300 * time.Millisecond, NoSync: true})
				b.Sandbox.AddFault(tc.fault)
				// Ensure the ambiguous failure is resolved by finding the room: the
				// schedule answers at once, the room job's first attempt fails
				// but counts, and its retry adopts the room instead of making a
				// second one.
				m, err := b.Service.Schedule(context.Background(), actor("ana"), core.ScheduleRequest{Title: "Sync", Start: b.Time.Now().Add(time.Hour)})
				if err != nil {
					t.Fatalf("schedule: %v", err)
				}
				if m.RoomID != "" || m.State != core.StatePending {
					t.Fatalf("scheduled meeting = %+v, want pending without a room", m)
				}
				job := roomJob(t, b, m)
				if _, err := b.Service.RunJob(context.Background(), job); err == nil {
					t.Fatal("first room attempt succeeded despite the fault")
				}
				if cur, _ := b.Store.FindMeetingByID(context.Background(), ws, m.ID); cur.RoomAttempts != 1 || !cur.RoomNotReady() {
					t.Fatalf("after the failed attempt: %+v", cur)
				}
				m = b.MakeRoom(m)
				if m.RoomID == "" || m.State != core.StateScheduled {
					t.Fatalf("meeting = %+v", m)
				}
				if got := len(b.Sandbox.Meetings()); got != 1 {
					t.Fatalf("upstream rooms = %d, want 1", got)
				}
				if info, _ := b.Sandbox.Meeting(m.RoomID); info.Status != "INACTIVE" {
					t.Fatalf("adopted room status = %s, want INACTIVE", info.Status)
				}
			})
		})
	}
}

func TestTwoPhaseCreateRejected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.Sandbox.AddFault(sandbox.Fault{Op: sandbox.OpCreateMeeting, Status: 503, Times: 1})
	// Ensure a clean rejection of "/meet now", which creates its room
	// inline, leaves no room and no meeting, and says "try again".
	_, err := b.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: "Sync", Now: true})
	e := wantCode(t, err, core.EUNAVAILABLE)
	if !strings.Contains(e.Message, "try again") {
		t.Fatalf("message = %q", e.Message)
	}
	if n := len(b.Sandbox.Meetings()); n != 0 {
		t.Fatalf("rooms upstream = %d", n)
	}
	ms, err := b.Store.FindMeetings(ctx, core.MeetingFilter{Workspace: ws})
	if err != nil || len(ms) != 0 {
		t.Fatalf("stored meetings = %d (%v)", len(ms), err)
	}
	pending, _ := b.Store.FindPendingMeetings(ctx)
	if len(pending) != 0 {
		t.Fatalf("pending intents = %d", len(pending))
	}
}

// Ensure a scheduled meeting survives a rejected room creation: it is
// stored and listed, the room job's retry makes its one room.
func TestScheduleSurvivesRejectedRoom(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.Sandbox.AddFault(sandbox.Fault{Op: sandbox.OpCreateMeeting, Status: 503, Times: 1})
	m, err := b.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: "Sync", Start: t0.Add(time.Hour)})
	if err != nil {
		t.Fatalf("schedule: %v", err)
	}
	if _, err := b.Service.RunJob(ctx, roomJob(t, b, m)); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("room job = %v, want unavailable", err)
	}
	if ms, _ := b.Service.List(ctx, actor("ana")); len(ms) != 1 || ms[0].ID != m.ID {
		t.Fatalf("listed = %+v", ms)
	}
	m = b.MakeRoom(m)
	if m.State != core.StateScheduled || m.RoomID == "" || roomsTagged(b, m.RoomTag) != 1 || len(b.Sandbox.Meetings()) != 1 {
		t.Fatalf("after the retry: %+v, %d rooms", m, len(b.Sandbox.Meetings()))
	}
}

// roomJob returns m's pending room job, or fails the test.
func roomJob(t *testing.T, b *testenv.Env, m *core.Meeting) core.DueJob {
	t.Helper()
	jobs, err := b.Store.FindJobs(context.Background(), m.Workspace, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind == core.JobRoom && j.DoneAt.IsZero() {
			return j
		}
	}
	t.Fatalf("meeting %s has no pending room job: %+v", m.ID, jobs)
	return core.DueJob{}
}

func TestTwoPhaseCreateCrashBetweenPhases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// Ensure an intent whose room was created upstream before the crash is
	// adopted on restart, not duplicated.
	t.Run("room exists", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := &core.Meeting{Workspace: ws, Channel: "C1", Title: "Crashed", Organizer: "ana", Start: t0.Add(time.Hour), TimeZone: "America/New_York", Duration: time.Hour, State: core.StatePending, RoomTag: "mbcrash1", RoomAttempts: 1, CreatedAt: t0}
		if err := b.Store.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Conf.CreateRoom(ctx, core.CreateRoomRequest{Title: "Crashed", Tag: "mbcrash1", Status: core.RoomActive}); err != nil {
			t.Fatal(err)
		}
		b.Restart()
		if err := b.Service.Recover(ctx); err != nil {
			t.Fatalf("recover: %v", err)
		}
		b.MakeRoom(m)
		got, err := b.Service.Info(ctx, actor("ana"), m.ID)
		if err != nil || got.State != core.StateScheduled || got.RoomID == "" {
			t.Fatalf("after recover: %+v %v", got, err)
		}
		if n := roomsTagged(b, "mbcrash1"); n != 1 {
			t.Fatalf("rooms = %d, want 1", n)
		}
		// Outside its window the adopted room must be inactive.
		if info, _ := b.Sandbox.Meeting(got.RoomID); info.Status != "INACTIVE" {
			t.Fatalf("status = %s", info.Status)
		}
	})

	// Ensure an intent that never reached upstream gets its one room after a
	// restart: recovery plans its room job, and running the job twice (a
	// rescued claim) makes one room.
	t.Run("room missing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := &core.Meeting{Workspace: ws, Channel: "C1", Title: "Crashed", Organizer: "ana", Start: t0.Add(time.Hour), TimeZone: "America/New_York", Duration: time.Hour, State: core.StatePending, RoomTag: "mbcrash2", CreatedAt: t0}
		if err := b.Store.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		b.Restart()
		if err := b.Service.Recover(ctx); err != nil {
			t.Fatalf("recover: %v", err)
		}
		if err := b.Service.Recover(ctx); err != nil {
			t.Fatalf("second recover: %v", err)
		}
		job := roomJob(t, b, m)
		b.MakeRoom(m)
		if _, err := b.Service.RunJob(ctx, job); err != nil {
			t.Fatalf("room job again: %v", err)
		}
		if n := roomsTagged(b, "mbcrash2"); n != 1 {
			t.Fatalf("rooms = %d, want 1", n)
		}
		got, err := b.Service.Info(ctx, actor("ana"), m.ID)
		if err != nil || got.State != core.StateScheduled {
			t.Fatalf("after recover: %+v %v", got, err)
		}
	})

	// Ensure an intent the user was told failed ("/meet now", whose create
	// and lookup both failed) is resolved later: the room that did get created stays
	// tracked and inactive, and the meeting does not reappear.
	t.Run("abandoned", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{CallTimeout: 300 * time.Millisecond})
		b.Sandbox.AddFault(sandbox.Fault{Op: sandbox.OpCreateMeeting, Status: 500, AfterApply: true, Times: 1})
		b.Sandbox.AddFault(sandbox.Fault{Op: sandbox.OpListMeetings, Status: 503, Times: 1})
		_, err := b.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: "Lost", Now: true})
		wantCode(t, err, core.EUNAVAILABLE)
		if n := len(b.Sandbox.Meetings()); n != 1 {
			t.Fatalf("rooms = %d", n)
		}
		if ms, _ := b.Service.List(ctx, actor("ana")); len(ms) != 0 {
			t.Fatalf("abandoned intent is listed: %d", len(ms))
		}
		b.Sandbox.ClearFaults()
		if err := b.Service.Recover(ctx); err != nil {
			t.Fatalf("recover: %v", err)
		}
		pending, _ := b.Store.FindPendingMeetings(ctx)
		if len(pending) != 0 {
			t.Fatalf("pending after recover = %d", len(pending))
		}
		room := b.Sandbox.Meetings()[0]
		if room.Status != "INACTIVE" {
			t.Fatalf("orphan room status = %s, want INACTIVE", room.Status)
		}
		ms, _ := b.Store.FindMeetings(ctx, core.MeetingFilter{Workspace: ws})
		if len(ms) != 1 || ms[0].RoomID != room.ID || ms[0].State != core.StateFailed {
			t.Fatalf("room not tracked: %+v", ms)
		}
		if ms2, _ := b.Service.List(ctx, actor("ana")); len(ms2) != 0 {
			t.Fatal("failed meeting is listed")
		}
	})
}

// TestVideoServiceBusyAnswersQuickly runs in synctest bubbles, so the
// elapsed times it asserts are the bubble's fake time: exact, and free of
// the machine's speed. A client that waited out the Retry-After or the
// hanging upstream would show it as minutes passed.
func TestVideoServiceBusyAnswersQuickly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const callTimeout = 300 * time.Millisecond
	schedule := func(t *testing.T, b *testenv.Env, title string) *core.Meeting {
		t.Helper()
		m, err := b.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: title, Now: true, Duration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	// Ensure a 429 becomes "busy, try again in N s" at once, with N from Retry-After.
	t.Run("429", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := setup(t, testenv.Options{Bubble: true, CallTimeout: callTimeout, NoSync: true})
			m := schedule(t, b, "Busy")
			b.Sandbox.AddFault(sandbox.Fault{Op: sandbox.OpAddParticipant, Status: 429, RetryAfter: 2 * time.Minute})
			start := time.Now()
			_, err := b.Service.Join(ctx, actor("bo"), m.ID)
			e := wantCode(t, err, core.EUNAVAILABLE)
			if el := time.Since(start); el > callTimeout { // not the 2 min Retry-After
				t.Fatalf("took %v", el)
			}
			if !strings.Contains(e.Message, "try again in") {
				t.Fatalf("message = %q", e.Message)
			}
			if e.RetryAfter < time.Second {
				t.Fatalf("RetryAfter = %v", e.RetryAfter)
			}
		})
	})
	// Ensure an upstream that hangs gives a clear answer at the call deadline, not a hang.
	t.Run("outage", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := setup(t, testenv.Options{Bubble: true, CallTimeout: callTimeout, NoSync: true})
			m := schedule(t, b, "Down")
			b.Sandbox.AddFault(sandbox.Fault{Delay: time.Minute})
			start := time.Now()
			_, err := b.Service.Join(ctx, actor("bo"), m.ID)
			wantCode(t, err, core.EUNAVAILABLE)
			if el := time.Since(start); el != callTimeout { // the upstream hangs for a minute
				t.Fatalf("took %v, want the call deadline %v", el, callTimeout)
			}
		})
	})
}

func TestJoinLinks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	m := b.Schedule(actor("ana"), "Links", t0, 30*time.Minute)
	link, err := b.Service.Join(ctx, actor("bo"), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	code := strings.TrimPrefix(link.URL, "http://meet.test/j/")
	code, _ = url.PathUnescape(code)

	page, err := b.Service.OpenLink(ctx, code)
	if err != nil || page.Token == "" || page.User.UserID != "bo" || page.Phase != core.PhaseOpen {
		t.Fatalf("open: %+v %v", page, err)
	}
	// Ensure the link URL never carries the token.
	if strings.Contains(link.URL, page.Token) {
		t.Fatal("token in URL")
	}

	// Ensure a tampered code is refused, whichever part is changed.
	payload, sig, _ := strings.Cut(code, ".")
	for _, bad := range []string{payload + "." + sig[:len(sig)-2] + "AA", "x" + code, payload, "", strings.Repeat("a", 5000), payload + "." + sig + "."} {
		_, err := b.Service.OpenLink(ctx, bad)
		wantCode(t, err, core.EFORBIDDEN)
	}
	// Ensure a link for one user can't be re-signed for another: swapping the
	// payload breaks the signature.
	other, err := b.Service.Join(ctx, actor("cy"), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	otherPayload, _, _ := strings.Cut(strings.TrimPrefix(other.URL, "http://meet.test/j/"), ".")
	_, err = b.Service.OpenLink(ctx, otherPayload+"."+sig)
	wantCode(t, err, core.EFORBIDDEN)

	// Ensure an expired link is refused with advice to get a new one.
	b.Clock.Advance(16 * time.Minute)
	_, err = b.Service.OpenLink(ctx, code)
	e := wantCode(t, err, core.EINVALID)
	if !strings.Contains(e.Message, "expired") {
		t.Fatalf("message = %q", e.Message)
	}

	// Ensure a link replayed after the window says the meeting ended.
	fresh, err := b.Service.Join(ctx, actor("bo"), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.Clock.Set(t0.Add(35 * time.Minute))
	_, err = b.Service.OpenLink(ctx, strings.TrimPrefix(fresh.URL, "http://meet.test/j/"))
	wantCode(t, err, core.EENDED)
}

func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	m := b.Schedule(actor("ana"), "Secret", t0, time.Hour)
	link, err := b.Service.Join(ctx, actor("bo"), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	code := strings.TrimPrefix(link.URL, "http://meet.test/j/")
	page, err := b.Service.OpenLink(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	b.Sandbox.AddFault(sandbox.Fault{Op: sandbox.OpAddParticipant, Status: 500, Times: 1})
	_, _ = b.Service.Join(ctx, actor("cy"), m.ID)
	if _, err := b.Service.Remove(ctx, actor("ana"), m.ID, []string{"bo"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.Cancel(ctx, actor("ana"), m.ID); err != nil {
		t.Fatal(err)
	}
	logs := b.Logs.String()
	if logs == "" {
		t.Fatal("expected some log output")
	}
	for name, secret := range map[string]string{"token": page.Token, "code": code, "url": link.URL, "api token": "test-token"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log output contains the %s", name)
		}
	}
}

// Ensure two processes on one store (replicas: each has its own
// coalescing) make one room: while one's attempt is under way upstream,
// the other is told the room is being made and when to try again, and
// after it the room is there for both.
func TestRoomAttemptOfAnotherProcessIsAwaited(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := setup(t, testenv.Options{Bubble: true, NoSync: true, CallTimeout: 5 * time.Second})
		ctx := context.Background()
		other, err := core.NewService(ctx, b.Config, core.Deps{Store: b.Store, Conference: b.Conf, Clock: b.Time}, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := b.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: "Shared", Start: b.Time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		job := roomJob(t, b, m)
		b.Sandbox.AddFault(sandbox.Fault{Op: sandbox.OpCreateMeeting, Delay: 2 * time.Second, Times: 1})
		first := make(chan error, 1)
		go func() { _, err := b.Service.RunJob(ctx, job); first <- err }()
		synctest.Wait() // the first attempt waits on the slow upstream
		_, err = other.RunJob(ctx, job)
		e := wantCode(t, err, core.EUNAVAILABLE)
		if e.RetryAfter <= 0 || !strings.Contains(e.Message, "being made") {
			t.Fatalf("second process: %q (retry after %v)", e.Message, e.RetryAfter)
		}
		if err := <-first; err != nil {
			t.Fatalf("first attempt: %v", err)
		}
		if _, err := other.RunJob(ctx, job); err != nil {
			t.Fatalf("second process after the first attempt: %v", err)
		}
		if n := len(b.Sandbox.Meetings()); n != 1 {
			t.Fatalf("%d rooms upstream, want 1", n)
		}
	})
}
