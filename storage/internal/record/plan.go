package record

import (
	"fmt"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// PlannedJobs checks jobs against the meeting they are planned for and
// keeps only what planning decides: identity and due time. Claim and
// outcome fields are the store's to set, so whatever the caller put there
// is ignored. A repeated id keeps its last entry (two equal reminder leads
// in a workspace's settings give two equal jobs). Both drivers plan
// through it, so they agree on what a plan is; each prefixes its errors.
func PlannedJobs(ws core.WorkspaceKey, meetingID string, jobs []core.DueJob) ([]core.DueJob, error) {
	out := make([]core.DueJob, 0, len(jobs))
	at := make(map[string]int, len(jobs))
	for _, j := range jobs {
		if j.ID == "" || strings.IndexByte(j.ID, 0) >= 0 {
			return nil, fmt.Errorf("job id %q is empty or holds a NUL byte", j.ID)
		}
		if j.Workspace != ws || j.Meeting != meetingID {
			return nil, fmt.Errorf("job %q of %s/%q planned for meeting %q of %s",
				j.ID, j.Workspace, j.Meeting, meetingID, ws)
		}
		p := core.DueJob{
			ID: j.ID, Due: UTC(j.Due), Workspace: ws, Meeting: meetingID,
			Occurrence: UTC(j.Occurrence), Kind: j.Kind, Lead: j.Lead,
		}
		if i, ok := at[j.ID]; ok {
			out[i] = p
			continue
		}
		at[j.ID] = len(out)
		out = append(out, p)
	}
	return out, nil
}

// Completed is what CompleteJob does to a job its owner still holds: done
// at doneAt, with a reference to what it posted. Drivers apply it inside
// their own owner-checked (and, on etcd, fenced) transaction.
func Completed(id, owner string, doneAt time.Time, postRef string) (func(*core.DueJob), error) {
	if doneAt.IsZero() {
		return nil, fmt.Errorf("complete job %q without a time", id)
	}
	if owner == "" {
		return nil, fmt.Errorf("complete job %q without an owner", id)
	}
	return func(j *core.DueJob) { j.DoneAt, j.PostRef = doneAt.UTC(), postRef }, nil
}

// GivenUp is what FailJob does: done at at, Failed, with the reason, as
// one more failed attempt.
func GivenUp(id string, at time.Time, reason string) (func(*core.DueJob), error) {
	if at.IsZero() {
		return nil, fmt.Errorf("fail job %q without a time", id)
	}
	return func(j *core.DueJob) {
		j.DoneAt, j.Failed, j.LastError = at.UTC(), true, reason
		j.Attempts++
	}, nil
}

// Retried is what RetryJob does: the claim released, the failed attempt
// counted, and the job pending again, due at at.
func Retried(at time.Time, lastErr string) func(*core.DueJob) {
	return func(j *core.DueJob) {
		j.ClaimedBy, j.ClaimedAt = "", time.Time{}
		j.Attempts++
		j.LastError, j.Due = lastErr, at.UTC()
	}
}
