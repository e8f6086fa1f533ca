package etcd

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

func (db *DB) userKey(key core.UserKey) (string, error) {
	if _, err := wsPart(key.Workspace); err != nil {
		return "", err
	}
	if !validName(key.UserID) {
		return "", fmt.Errorf("etcd: user id %q is empty or holds a NUL byte", key.UserID)
	}
	return db.wsKey(kindUsers, key.Workspace, key.UserID)
}

// FindUser returns ENOTFOUND for a user we never stored.
func (db *DB) FindUser(ctx context.Context, key core.UserKey) (*core.User, error) {
	k, err := db.userKey(key)
	return findRecord(ctx, db, k, err, func() error { return core.Errorf(core.ENOTFOUND, "I don't know you yet in this workspace.") },
		func(v []byte) (*core.User, error) { return record.DecodeUser(key, v) })
}

// PutUser creates or replaces the user.
func (db *DB) PutUser(ctx context.Context, u *core.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k, err := db.userKey(u.Key)
	if err != nil {
		return err
	}
	v, err := record.EncodeUser(u)
	if err != nil {
		return internal(err)
	}
	return db.put(ctx, k, v)
}

// put writes one key.
func (db *DB) put(ctx context.Context, k string, v []byte) error {
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	resp, err := db.cli.Put(bctx, k, string(v))
	if err != nil {
		return storeErr(ctx, err)
	}
	db.cache.committed(resp.Header.Revision, clientv3.OpPut(k, string(v)))
	return nil
}

// UpdateUser applies fn to the stored user and writes the result only if
// the record is still the one read (see casUpdate). When fn answers
// ErrUnchanged nothing is written at all: most calls (a join remembering a
// name it already has) cost one read.
func (db *DB) UpdateUser(ctx context.Context, key core.UserKey, fn func(*core.User) error) (*core.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := db.userKey(key)
	if err != nil {
		return nil, err
	}
	var out *core.User
	err = db.casUpdate(ctx, k, "your settings", func(v []byte, found bool) ([]byte, bool, error) {
		u := &core.User{Key: key}
		if found {
			var derr error
			if u, derr = record.DecodeUser(key, v); derr != nil {
				return nil, false, internal(derr)
			}
		}
		read := *u
		if err := fn(u); errors.Is(err, core.ErrUnchanged) {
			out = &read
			return nil, false, nil
		} else if err != nil {
			return nil, false, err
		}
		if u.Key != key {
			return nil, false, fmt.Errorf("etcd: update of user %s changed its key to %s", key, u.Key)
		}
		nv, err := record.EncodeUser(u)
		if err != nil {
			return nil, false, internal(err)
		}
		// Decode what is stored, so the caller's copy shares nothing
		// with one fn may have kept.
		if out, err = record.DecodeUser(key, nv); err != nil {
			return nil, false, internal(err)
		}
		return nv, true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (db *DB) workspaceKey(key core.WorkspaceKey) (string, error) {
	return db.wsKey(kindWorkspaces, key)
}

// FindWorkspace returns ENOTFOUND for a workspace with no stored settings;
// callers then fall back to the configured defaults.
func (db *DB) FindWorkspace(ctx context.Context, key core.WorkspaceKey) (*core.Workspace, error) {
	k, err := db.workspaceKey(key)
	return findRecord(ctx, db, k, err, func() error {
		return core.Errorf(core.ENOTFOUND, "This workspace has no saved settings; it uses the defaults.")
	},
		func(v []byte) (*core.Workspace, error) { return record.DecodeWorkspace(key, v) })
}

// PutWorkspace creates or replaces the settings.
func (db *DB) PutWorkspace(ctx context.Context, w *core.Workspace) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k, err := db.workspaceKey(w.Key)
	if err != nil {
		return err
	}
	v, err := record.EncodeWorkspace(w)
	if err != nil {
		return internal(err)
	}
	return db.put(ctx, k, v)
}

// UpdateWorkspace applies fn to the stored settings and writes the result
// only if they are still the ones read, so two admins changing settings on
// two replicas at once both land.
func (db *DB) UpdateWorkspace(ctx context.Context, key core.WorkspaceKey, fn func(*core.Workspace) error) (*core.Workspace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := db.workspaceKey(key)
	if err != nil {
		return nil, err
	}
	var out *core.Workspace
	err = db.casUpdate(ctx, k, "this workspace's settings", func(v []byte, found bool) ([]byte, bool, error) {
		w := &core.Workspace{Key: key}
		if found {
			var derr error
			if w, derr = record.DecodeWorkspace(key, v); derr != nil {
				return nil, false, internal(derr)
			}
		}
		if err := fn(w); err != nil {
			return nil, false, err
		}
		if w.Key != key {
			return nil, false, fmt.Errorf("etcd: update of workspace %s changed its key to %s", key, w.Key)
		}
		nv, err := record.EncodeWorkspace(w)
		if err != nil {
			return nil, false, internal(err)
		}
		if out, err = record.DecodeWorkspace(key, nv); err != nil {
			return nil, false, internal(err)
		}
		return nv, true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Secret returns the secret stored under name, creating it with gen when
// absent. gen runs outside any transaction; the value is then stored by a
// Txn that puts it only if the key has never been created, and otherwise
// reads what is there, so when replicas race every one of them gets the
// bytes stored first.
func (db *DB) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("etcd: secret name is empty")
	}
	k := db.prefix + kindSecrets + "/" + esc(name)
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	v, _, found, err := db.readOne(ctx, k)
	if err != nil {
		return nil, err
	}
	if found {
		s, err := record.DecodeSecret(name, v)
		return s, internal(err)
	}
	fresh, err := gen()
	if err != nil {
		return nil, fmt.Errorf("etcd: generate secret %q: %w", name, err)
	}
	if len(fresh) == 0 {
		return nil, fmt.Errorf("etcd: generator for secret %q returned no bytes", name)
	}
	nv, err := record.EncodeSecret(name, fresh, time.Now())
	if err != nil {
		return nil, internal(err)
	}
	put := clientv3.OpPut(k, string(nv))
	tr, err := db.cli.Txn(bctx).
		If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(put).
		Else(clientv3.OpGet(k)).
		Commit()
	if err != nil {
		return nil, storeErr(ctx, err)
	}
	if tr.Succeeded {
		db.cache.committed(tr.Header.Revision, put)
		return fresh, nil
	}
	old, rev, found := kvOf(tr, 0)
	db.cache.filled(k, old, rev, found, tr.Header.Revision)
	s, err := record.DecodeSecret(name, old)
	return s, internal(err)
}
