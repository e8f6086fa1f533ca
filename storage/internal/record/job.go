package record

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Job is a core.DueJob as stored. Its state is implied by its times: done
// when DoneAt is set, else claimed when ClaimedAt is set, else pending; a
// driver keeps the job in exactly the index of that state.
type Job struct {
	ID         string    `json:"id"`
	Platform   string    `json:"platform"`
	Workspace  string    `json:"workspace"`
	Meeting    string    `json:"meeting"`
	Due        time.Time `json:"due"`
	Occurrence time.Time `json:"occurrence"`
	Kind       string    `json:"kind"`
	LeadNS     int64     `json:"lead_ns,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	ClaimedBy  string    `json:"claimed_by,omitempty"`
	ClaimedAt  time.Time `json:"claimed_at,omitzero"`
	DoneAt     time.Time `json:"done_at,omitzero"`
	Failed     bool      `json:"failed,omitempty"`
	PostRef    string    `json:"post_ref,omitempty"`
}

// EncodeJob returns the stored bytes of j.
func EncodeJob(j *core.DueJob) ([]byte, error) {
	r := Job{
		ID: j.ID, Platform: string(j.Workspace.Platform), Workspace: j.Workspace.ID, Meeting: j.Meeting,
		Due: UTC(j.Due), Occurrence: UTC(j.Occurrence), Kind: string(j.Kind), LeadNS: int64(j.Lead),
		Attempts: j.Attempts, LastError: j.LastError, ClaimedBy: j.ClaimedBy, ClaimedAt: UTC(j.ClaimedAt),
		DoneAt: UTC(j.DoneAt), Failed: j.Failed, PostRef: j.PostRef,
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode job %q: %w", j.ID, err)
	}
	return b, nil
}

// DecodeJob parses the record stored under id; like DecodeMeeting it checks
// that the record is the one its key names.
func DecodeJob(id string, v []byte) (*core.DueJob, error) {
	var r Job
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode job %q: %w", id, err)
	}
	if r.ID != id || r.Platform == "" || r.Workspace == "" || r.Meeting == "" {
		return nil, fmt.Errorf("job record under %q says it is %q of %s:%s/%q",
			id, r.ID, r.Platform, r.Workspace, r.Meeting)
	}
	return &core.DueJob{
		ID: r.ID, Due: r.Due, Workspace: core.WorkspaceKey{Platform: core.Platform(r.Platform), ID: r.Workspace},
		Meeting: r.Meeting, Occurrence: r.Occurrence, Kind: core.JobKind(r.Kind), Lead: time.Duration(r.LeadNS),
		Attempts: r.Attempts, LastError: r.LastError, ClaimedBy: r.ClaimedBy, ClaimedAt: r.ClaimedAt,
		DoneAt: r.DoneAt, Failed: r.Failed, PostRef: r.PostRef,
	}, nil
}
