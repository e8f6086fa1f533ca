package bolt

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

func errNoParticipant(meetingID string) error {
	return core.Errorf(core.ENOTFOUND, "You have no join link for meeting %q yet.", meetingID)
}

// participantKey is prefix + meetingID + NUL + userID.
func participantKey(ws core.WorkspaceKey, meetingID, userID string) ([]byte, error) {
	prefix, err := wsPrefix(ws)
	if err != nil {
		return nil, err
	}
	if !validName(meetingID) || !validName(userID) {
		return nil, fmt.Errorf("bolt: participant key (meeting %q, user %q) is empty or holds a NUL byte", meetingID, userID)
	}
	return join(participantPrefix(prefix, meetingID), []byte(userID)), nil
}

// FindParticipant returns ENOTFOUND when the user has no participant for the
// meeting in ws.
func (db *DB) FindParticipant(ctx context.Context, ws core.WorkspaceKey, meetingID, userID string) (*core.Participant, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validName(meetingID) || !validName(userID) {
		return nil, errNoParticipant(meetingID)
	}
	key, err := participantKey(ws, meetingID, userID)
	if err != nil {
		return nil, err
	}
	var p *core.Participant
	err = db.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketParticipants).Get(key)
		if v == nil {
			return nil
		}
		if p = db.participants.get(key, v); p != nil {
			return nil
		}
		var derr error
		p, derr = decodeParticipant(ws, meetingID, v)
		if derr == nil && p.User.UserID != userID {
			derr = fmt.Errorf("bolt: participant record under user %q says user %q", userID, p.User.UserID)
		}
		if derr == nil {
			db.participants.put(key, v, p) // only records that passed the checks
		}
		return derr
	})
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errNoParticipant(meetingID)
	}
	return p, nil
}

// PutParticipant stores p, replacing any earlier record for the same
// (meeting, user). It is batched because the start of a popular meeting
// brings everyone to the join link at once. It refuses (ENOTFOUND) a
// participant for a meeting that does not exist, so a join racing a delete
// cannot leave a token behind that DeleteMeeting will never clean up.
func (db *DB) PutParticipant(ctx context.Context, p *core.Participant) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, err := participantKey(p.User.Workspace, p.Meeting, p.User.UserID)
	if err != nil {
		return err
	}
	v, err := encodeParticipant(p)
	if err != nil {
		return err
	}
	prefix, _ := wsPrefix(p.User.Workspace) // validated by participantKey
	mkey := meetingKey(prefix, p.Meeting)
	var missing bool
	err = db.write(func(tx *bolt.Tx) error {
		missing = tx.Bucket(bucketMeetings).Get(mkey) == nil
		if missing {
			return nil
		}
		if err := tx.Bucket(bucketParticipants).Put(key, v); err != nil {
			return fmt.Errorf("bolt: put participant of meeting %q in %s: %w", p.Meeting, p.User.Workspace, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if missing {
		return errNoMeeting(p.Meeting)
	}
	return nil
}

// DeleteParticipant removes the record; a missing one is not an error.
func (db *DB) DeleteParticipant(ctx context.Context, ws core.WorkspaceKey, meetingID, userID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validName(meetingID) || !validName(userID) {
		return nil
	}
	key, err := participantKey(ws, meetingID, userID)
	if err != nil {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketParticipants).Delete(key); err != nil {
			return fmt.Errorf("bolt: delete participant of meeting %q in %s: %w", meetingID, ws, err)
		}
		return nil
	})
}

// ListParticipants prefix-scans the meeting's participants; bbolt keeps keys
// sorted, so they come out ordered by user id.
func (db *DB) ListParticipants(ctx context.Context, ws core.WorkspaceKey, meetingID string) ([]*core.Participant, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix, err := wsPrefix(ws)
	if err != nil {
		return nil, err
	}
	if !validName(meetingID) {
		return nil, nil
	}
	pp := participantPrefix(prefix, meetingID)
	var out []*core.Participant
	err = db.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketParticipants).Cursor()
		for k, v := c.Seek(pp); k != nil && bytes.HasPrefix(k, pp); k, v = c.Next() {
			p, err := decodeParticipant(ws, meetingID, v)
			if err != nil {
				return err
			}
			if p.User.UserID != string(k[len(pp):]) {
				return fmt.Errorf("bolt: participant record under %q says user %q", k, p.User.UserID)
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
