// Package scheduler owns the due-job loop: reminders, opening and closing
// rooms on time, and provisioning participants ahead of a start. It runs
// only while its process holds the Leader and stops acting the moment
// leadership is lost.
//
// A job's life:
//
//	planned ──(due)──> claimed ──(ran)──────────> done
//	   ^                  │ ──(failed, n < cap)──> planned again, due after backoff
//	   │                  │ ──(failed, n = cap)──> done, failed (logged)
//	   └──(claim older than the rescue timeout, e.g. a crash)──┘
//
// Claiming happens in one store transaction; the work (network calls, chat
// posts) happens outside any transaction; completion is recorded with a
// reference to what was posted. Delivery is therefore at least once, and a
// job recorded as done is never run again, so a second delivery only
// happens when a process died between doing the work and recording it.
//
// The loop sleeps until the earliest due job (one index seek) or until
// Wake is called because a new job was planned; it never scans meetings
// and does not poll when idle.
package scheduler
