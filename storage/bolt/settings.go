package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// Users, workspaces and secrets change rarely and one at a time, so their
// writes use Update: Batch would only add its timer delay.

func userKey(key core.UserKey) ([]byte, error) {
	prefix, err := wsPrefix(key.Workspace)
	if err != nil {
		return nil, err
	}
	if !validName(key.UserID) {
		return nil, fmt.Errorf("bolt: user id %q is empty or holds a NUL byte", key.UserID)
	}
	return join(prefix, []byte(key.UserID)), nil
}

// FindUser returns ENOTFOUND for a user we never stored.
func (db *DB) FindUser(ctx context.Context, key core.UserKey) (*core.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := userKey(key)
	if err != nil {
		return nil, err
	}
	var u *core.User
	err = db.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketUsers).Get(k)
		if v == nil {
			return nil
		}
		var derr error
		u, derr = decodeUser(key, v)
		return derr
	})
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, core.Errorf(core.ENOTFOUND, "I don't know you yet in this workspace.")
	}
	return u, nil
}

// PutUser creates or replaces the user.
func (db *DB) PutUser(ctx context.Context, u *core.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k, err := userKey(u.Key)
	if err != nil {
		return err
	}
	v, err := encodeUser(u)
	if err != nil {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketUsers).Put(k, v); err != nil {
			return fmt.Errorf("bolt: put user %s: %w", u.Key, err)
		}
		return nil
	})
}

// FindWorkspace returns ENOTFOUND for a workspace with no stored settings;
// callers then fall back to the configured defaults.
func (db *DB) FindWorkspace(ctx context.Context, key core.WorkspaceKey) (*core.Workspace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := wsPrefix(key)
	if err != nil {
		return nil, err
	}
	var w *core.Workspace
	err = db.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketWorkspaces).Get(k)
		if v == nil {
			return nil
		}
		var derr error
		w, derr = decodeWorkspace(key, v)
		return derr
	})
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, core.Errorf(core.ENOTFOUND, "This workspace has no saved settings; it uses the defaults.")
	}
	return w, nil
}

// PutWorkspace creates or replaces the settings.
func (db *DB) PutWorkspace(ctx context.Context, w *core.Workspace) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k, err := wsPrefix(w.Key)
	if err != nil {
		return err
	}
	v, err := encodeWorkspace(w)
	if err != nil {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketWorkspaces).Put(k, v); err != nil {
			return fmt.Errorf("bolt: put workspace %s: %w", w.Key, err)
		}
		return nil
	})
}

// UpdateUser applies fn to the stored user in one transaction. Users
// change rarely and one at a time, so it uses Update rather than Batch.
// Most calls change nothing (a join remembering a name it already has), so
// fn is first tried on a read: an ErrUnchanged answer then costs no write
// transaction, which bbolt would commit and sync even when empty.
func (db *DB) UpdateUser(ctx context.Context, key core.UserKey, fn func(*core.User) error) (*core.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := userKey(key)
	if err != nil {
		return nil, err
	}
	var out *core.User
	err = db.db.View(func(tx *bolt.Tx) error {
		u := &core.User{Key: key}
		if v := tx.Bucket(bucketUsers).Get(k); v != nil {
			var derr error
			if u, derr = decodeUser(key, v); derr != nil {
				return derr
			}
		}
		try := *u // fn's changes are not kept here
		if errors.Is(fn(&try), core.ErrUnchanged) {
			out = u
		}
		return nil
	})
	if err != nil || out != nil {
		return out, err
	}
	err = db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		u := &core.User{Key: key}
		v := b.Get(k)
		if v != nil {
			var derr error
			if u, derr = decodeUser(key, v); derr != nil {
				return derr
			}
		}
		if err := fn(u); errors.Is(err, core.ErrUnchanged) {
			if v == nil {
				out = &core.User{Key: key}
				return nil
			}
			out, err = decodeUser(key, v)
			return err
		} else if err != nil {
			return err
		}
		if u.Key != key {
			return fmt.Errorf("bolt: update of user %s changed its key to %s", key, u.Key)
		}
		nv, err := encodeUser(u)
		if err != nil {
			return err
		}
		if err := b.Put(k, nv); err != nil {
			return fmt.Errorf("bolt: put user %s: %w", key, err)
		}
		out, err = decodeUser(key, nv)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateWorkspace applies fn to the stored settings in one transaction.
// Settings change rarely, so it uses Update rather than Batch.
func (db *DB) UpdateWorkspace(ctx context.Context, key core.WorkspaceKey, fn func(*core.Workspace) error) (*core.Workspace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := wsPrefix(key)
	if err != nil {
		return nil, err
	}
	var out *core.Workspace
	err = db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWorkspaces)
		w := &core.Workspace{Key: key}
		if v := b.Get(k); v != nil {
			var derr error
			if w, derr = decodeWorkspace(key, v); derr != nil {
				return derr
			}
		}
		if err := fn(w); err != nil {
			return err
		}
		if w.Key != key {
			return fmt.Errorf("bolt: update of workspace %s changed its key to %s", key, w.Key)
		}
		v, err := encodeWorkspace(w)
		if err != nil {
			return err
		}
		if err := b.Put(k, v); err != nil {
			return fmt.Errorf("bolt: put workspace %s: %w", key, err)
		}
		// Decode what was stored, so the caller's copy shares nothing
		// with one fn may have kept.
		out, err = decodeWorkspace(key, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Secret returns the secret stored under name, creating it with gen when
// absent. gen runs outside any transaction (it may read entropy, and a write
// transaction blocks every other writer); if another caller stored a value
// meanwhile, the stored one wins and ours is dropped, so every caller and
// every later process sees the same bytes.
func (db *DB) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("bolt: secret name is empty")
	}
	key := []byte(name)
	var got []byte
	err := db.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSecrets).Get(key)
		if v == nil {
			return nil
		}
		var derr error
		got, derr = decodeSecret(name, v)
		return derr
	})
	if err != nil || got != nil {
		return got, err
	}

	fresh, err := gen()
	if err != nil {
		return nil, fmt.Errorf("bolt: generate secret %q: %w", name, err)
	}
	if len(fresh) == 0 {
		return nil, fmt.Errorf("bolt: generator for secret %q returned no bytes", name)
	}
	v, err := encodeSecret(name, fresh, time.Now())
	if err != nil {
		return nil, err
	}
	err = db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSecrets)
		if old := b.Get(key); old != nil {
			var derr error
			got, derr = decodeSecret(name, old)
			return derr
		}
		got = fresh
		if err := b.Put(key, v); err != nil {
			return fmt.Errorf("bolt: put secret %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}
