package etcd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

func errNoParticipant(meetingID string) error {
	return core.Errorf(core.ENOTFOUND, "You have no join link for meeting %q yet.", meetingID)
}

// participantKey is participants/<ws>/<meeting>/<user>.
func (db *DB) participantKey(ws core.WorkspaceKey, meetingID, userID string) (string, error) {
	if _, err := wsPart(ws); err != nil {
		return "", err
	}
	if !validName(meetingID) || !validName(userID) {
		return "", fmt.Errorf("etcd: participant key (meeting %q, user %q) is empty or holds a NUL byte", meetingID, userID)
	}
	return db.wsKey(kindParticipants, ws, meetingID, userID)
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
	key, err := db.participantKey(ws, meetingID, userID)
	p, err := findRecord(ctx, db, key, err, func() error { return errNoParticipant(meetingID) },
		func(v []byte) (*core.Participant, error) { return record.DecodeParticipant(ws, meetingID, v) })
	if err != nil {
		return nil, err
	}
	if p.User.UserID != userID {
		return nil, fmt.Errorf("etcd: participant record under user %q says user %q", userID, p.User.UserID)
	}
	return p, nil
}

// PutParticipant stores p, replacing any earlier record for the same
// (meeting, user), in a Txn that requires the meeting to exist (ENOTFOUND
// otherwise): a join racing a delete cannot leave a token behind, because
// DeleteMeeting's Txn either comes first (and this one finds no meeting) or
// after (and removes the participant with the meeting).
func (db *DB) PutParticipant(ctx context.Context, p *core.Participant) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, err := db.participantKey(p.User.Workspace, p.Meeting, p.User.UserID)
	if err != nil {
		return err
	}
	v, err := record.EncodeParticipant(p)
	if err != nil {
		return internal(err)
	}
	mk, err := db.keysOf(p.User.Workspace, p.Meeting)
	if err != nil {
		return err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	put := clientv3.OpPut(key, string(v))
	tr, err := db.cli.Txn(bctx).
		If(clientv3.Compare(clientv3.CreateRevision(mk.record), ">", 0)).
		Then(put).
		Commit()
	if err != nil {
		return storeErr(ctx, err)
	}
	if !tr.Succeeded {
		return errNoMeeting(p.Meeting)
	}
	db.cache.committed(tr.Header.Revision, put)
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
	key, err := db.participantKey(ws, meetingID, userID)
	if err != nil {
		return err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	resp, err := db.cli.Delete(bctx, key)
	if err != nil {
		return storeErr(ctx, err)
	}
	db.cache.committed(resp.Header.Revision, clientv3.OpDelete(key))
	return nil
}

// ListParticipants ranges the meeting's participants. Keys hold escaped
// user ids, so the result is sorted again by the ids themselves, the order
// the port promises.
func (db *DB) ListParticipants(ctx context.Context, ws core.WorkspaceKey, meetingID string) ([]*core.Participant, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := wsPart(ws); err != nil {
		return nil, err
	}
	if !validName(meetingID) {
		return nil, nil
	}
	prefix, err := db.wsKey(kindParticipants, ws, meetingID)
	if err != nil {
		return nil, err
	}
	prefix += "/"
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	resp, err := db.cli.Get(bctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, storeErr(ctx, err)
	}
	out := make([]*core.Participant, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		p, err := record.DecodeParticipant(ws, meetingID, kv.Value)
		if err != nil {
			return nil, internal(err)
		}
		if u := unesc(strings.TrimPrefix(string(kv.Key), prefix)); p.User.UserID != u {
			return nil, fmt.Errorf("etcd: participant record under %q says user %q", kv.Key, p.User.UserID)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *core.Participant) int { return strings.Compare(a.User.UserID, b.User.UserID) })
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
