package etcd

// Temporary stubs: each is replaced by its real implementation (owner: the
// store helper). Delete a stub when its method exists.

import (
	"context"
	"time"

	"github.com/meetbot/meetbot/core"
)

func notYet() error { return core.Errorf(core.EINTERNAL, "etcd store: not implemented yet") }

func (db *DB) CreateMeeting(ctx context.Context, m *core.Meeting) error { return notYet() }
func (db *DB) FindMeetingByID(ctx context.Context, ws core.WorkspaceKey, id string) (*core.Meeting, error) {
	return nil, notYet()
}
func (db *DB) FindMeetings(ctx context.Context, f core.MeetingFilter) ([]*core.Meeting, error) {
	return nil, notYet()
}
func (db *DB) FindPendingMeetings(ctx context.Context) ([]*core.Meeting, error) { return nil, notYet() }
func (db *DB) FindActiveRooms(ctx context.Context) ([]*core.Meeting, error)     { return nil, notYet() }
func (db *DB) UpdateMeeting(ctx context.Context, ws core.WorkspaceKey, id string, fn func(*core.Meeting) error) (*core.Meeting, error) {
	return nil, notYet()
}
func (db *DB) DeleteMeeting(ctx context.Context, ws core.WorkspaceKey, id string) error {
	return notYet()
}
func (db *DB) FindParticipant(ctx context.Context, ws core.WorkspaceKey, meetingID, userID string) (*core.Participant, error) {
	return nil, notYet()
}
func (db *DB) PutParticipant(ctx context.Context, p *core.Participant) error { return notYet() }
func (db *DB) DeleteParticipant(ctx context.Context, ws core.WorkspaceKey, meetingID, userID string) error {
	return notYet()
}
func (db *DB) ListParticipants(ctx context.Context, ws core.WorkspaceKey, meetingID string) ([]*core.Participant, error) {
	return nil, notYet()
}
func (db *DB) FindUser(ctx context.Context, key core.UserKey) (*core.User, error) {
	return nil, notYet()
}
func (db *DB) PutUser(ctx context.Context, u *core.User) error { return notYet() }
func (db *DB) UpdateUser(ctx context.Context, key core.UserKey, fn func(*core.User) error) (*core.User, error) {
	return nil, notYet()
}
func (db *DB) FindWorkspace(ctx context.Context, key core.WorkspaceKey) (*core.Workspace, error) {
	return nil, notYet()
}
func (db *DB) PutWorkspace(ctx context.Context, w *core.Workspace) error { return notYet() }
func (db *DB) UpdateWorkspace(ctx context.Context, key core.WorkspaceKey, fn func(*core.Workspace) error) (*core.Workspace, error) {
	return nil, notYet()
}
func (db *DB) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	return nil, notYet()
}
func (db *DB) PutInstallation(ctx context.Context, in *core.Installation) error { return notYet() }
func (db *DB) FindInstallation(ctx context.Context, ws core.WorkspaceKey) (*core.Installation, error) {
	return nil, notYet()
}
func (db *DB) DeleteInstallation(ctx context.Context, ws core.WorkspaceKey) error { return notYet() }
func (db *DB) Once(ctx context.Context, key string, now time.Time, ttl time.Duration) (bool, error) {
	return false, notYet()
}
func (db *DB) PruneOnce(ctx context.Context, now time.Time) (int, error) { return 0, notYet() }
