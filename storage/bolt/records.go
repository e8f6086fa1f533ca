package bolt

import (
	"fmt"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// The stored shape of every record lives in storage/internal/record, shared
// with the etcd driver so a store copies between them byte for byte. These
// wrappers only name the driver in errors, as this package always has.

func utc(t time.Time) time.Time { return record.UTC(t) }

func boltErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("bolt: %w", err)
}

func encodeMeeting(m *core.Meeting) ([]byte, error) {
	b, err := record.EncodeMeeting(m)
	return b, boltErr(err)
}

// decodeMeeting parses v, which bbolt owns; the result shares nothing with
// it, so it is safe to use after the transaction.
func decodeMeeting(ws core.WorkspaceKey, id string, v []byte) (*core.Meeting, error) {
	m, err := record.DecodeMeeting(ws, id, v)
	return m, boltErr(err)
}

func encodeParticipant(p *core.Participant) ([]byte, error) {
	b, err := record.EncodeParticipant(p)
	return b, boltErr(err)
}

func decodeParticipant(ws core.WorkspaceKey, meetingID string, v []byte) (*core.Participant, error) {
	p, err := record.DecodeParticipant(ws, meetingID, v)
	return p, boltErr(err)
}

func encodeUser(u *core.User) ([]byte, error) {
	b, err := record.EncodeUser(u)
	return b, boltErr(err)
}

func decodeUser(key core.UserKey, v []byte) (*core.User, error) {
	u, err := record.DecodeUser(key, v)
	return u, boltErr(err)
}

func encodeWorkspace(w *core.Workspace) ([]byte, error) {
	b, err := record.EncodeWorkspace(w)
	return b, boltErr(err)
}

func decodeWorkspace(key core.WorkspaceKey, v []byte) (*core.Workspace, error) {
	w, err := record.DecodeWorkspace(key, v)
	return w, boltErr(err)
}

func encodeSecret(name string, value []byte, createdAt time.Time) ([]byte, error) {
	b, err := record.EncodeSecret(name, value, createdAt)
	return b, boltErr(err)
}

func decodeSecret(name string, v []byte) ([]byte, error) {
	s, err := record.DecodeSecret(name, v)
	return s, boltErr(err)
}

func encodeInstallation(in *core.Installation) ([]byte, error) {
	b, err := record.EncodeInstallation(in)
	return b, boltErr(err)
}

func decodeInstallation(ws core.WorkspaceKey, v []byte) (*core.Installation, error) {
	in, err := record.DecodeInstallation(ws, v)
	return in, boltErr(err)
}

func encodeJob(j *core.DueJob) ([]byte, error) {
	b, err := record.EncodeJob(j)
	return b, boltErr(err)
}

// decodeJob parses the record stored under id; like decodeMeeting it checks
// that the record is the one its key names.
func decodeJob(id string, v []byte) (*core.DueJob, error) {
	j, err := record.DecodeJob(id, v)
	return j, boltErr(err)
}
