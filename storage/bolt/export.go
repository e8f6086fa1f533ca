package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/dump"
)

// Export calls fn with every record of the store as typed values, for bot
// migrate: meetings (with their versions), the workspaces' id counters,
// participants, users, workspace settings, secrets, delivery keys and due
// jobs in whatever state. Indexes are not exported: they follow from the
// records, and the importing driver builds its own. Everything but the
// installations is read in one read transaction, so the copy is one
// consistent snapshot; installations are read after it (the migrating
// process holds the file lock, so nothing writes in between).
//
// fn runs inside the read transaction: it may take its time (writes to
// another store), but must not call back into this DB's writes.
func (db *DB) Export(ctx context.Context, fn func(dump.Item) error) error {
	var installs []core.WorkspaceKey
	err := db.db.View(func(tx *bolt.Tx) error {
		for _, step := range []func(*bolt.Tx, func(dump.Item) error) error{
			exportSecrets, exportWorkspaces, exportUsers, exportCounters, exportMeetings, exportParticipants, exportJobs, exportOnce,
			exportAttendance,
		} {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := step(tx, fn); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketInstalls).ForEach(func(k, _ []byte) error {
			parts, err := keyParts(k, 3)
			if err != nil {
				return fmt.Errorf("bolt: installation key: %w", err)
			}
			installs = append(installs, core.WorkspaceKey{Platform: core.Platform(parts[0]), ID: parts[1]})
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, ws := range installs {
		in, err := db.FindInstallation(ctx, ws)
		if err != nil {
			return err
		}
		if err := fn(dump.Item{Installation: in}); err != nil {
			return err
		}
	}
	return nil
}

// keyParts splits a NUL-separated key into exactly n parts (a trailing
// NUL gives an empty last part).
func keyParts(k []byte, n int) ([]string, error) {
	ps := bytes.Split(k, []byte{sep})
	if len(ps) != n {
		return nil, fmt.Errorf("%q has %d parts, want %d", k, len(ps), n)
	}
	out := make([]string, n)
	for i, p := range ps {
		out[i] = string(p)
	}
	return out, nil
}

func wsOf(parts []string) core.WorkspaceKey {
	return core.WorkspaceKey{Platform: core.Platform(parts[0]), ID: parts[1]}
}

func exportMeetings(tx *bolt.Tx, fn func(dump.Item) error) error {
	return tx.Bucket(bucketMeetings).ForEach(func(k, v []byte) error {
		parts, err := keyParts(k, 3)
		if err != nil {
			return fmt.Errorf("bolt: meeting key: %w", err)
		}
		m, err := decodeMeeting(wsOf(parts), parts[2], v)
		if err != nil {
			return err
		}
		return fn(dump.Item{Meeting: m})
	})
}

// exportCounters yields one Counter per workspace, merging its last id and
// max duration keys (which sit next to each other in the bucket).
func exportCounters(tx *bolt.Tx, fn func(dump.Item) error) error {
	var cur *dump.Counter
	flush := func() error {
		if cur == nil {
			return nil
		}
		c := cur
		cur = nil
		return fn(dump.Item{Counter: c})
	}
	err := tx.Bucket(bucketCounters).ForEach(func(k, v []byte) error {
		parts, err := keyParts(k, 3)
		if err != nil {
			return fmt.Errorf("bolt: counter key: %w", err)
		}
		ws := wsOf(parts)
		if cur != nil && cur.Workspace != ws {
			if err := flush(); err != nil {
				return err
			}
		}
		if cur == nil {
			cur = &dump.Counter{Workspace: ws}
		}
		n, err := readUint64(v)
		if err != nil {
			return fmt.Errorf("bolt: counter %q of %s: %w", parts[2], ws, err)
		}
		switch parts[2] {
		case string(suffixLastID):
			cur.LastID = n
		case string(suffixMaxDuration):
			cur.MaxDuration = time.Duration(n)
		default:
			return fmt.Errorf("bolt: unknown counter %q of %s", parts[2], ws)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

func exportParticipants(tx *bolt.Tx, fn func(dump.Item) error) error {
	return tx.Bucket(bucketParticipants).ForEach(func(k, v []byte) error {
		parts, err := keyParts(k, 4)
		if err != nil {
			return fmt.Errorf("bolt: participant key: %w", err)
		}
		p, err := decodeParticipant(wsOf(parts), parts[2], v)
		if err != nil {
			return err
		}
		return fn(dump.Item{Participant: p})
	})
}

func exportUsers(tx *bolt.Tx, fn func(dump.Item) error) error {
	return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		parts, err := keyParts(k, 3)
		if err != nil {
			return fmt.Errorf("bolt: user key: %w", err)
		}
		u, err := decodeUser(core.UserKey{Workspace: wsOf(parts), UserID: parts[2]}, v)
		if err != nil {
			return err
		}
		return fn(dump.Item{User: u})
	})
}

func exportWorkspaces(tx *bolt.Tx, fn func(dump.Item) error) error {
	return tx.Bucket(bucketWorkspaces).ForEach(func(k, v []byte) error {
		parts, err := keyParts(k, 3)
		if err != nil {
			return fmt.Errorf("bolt: workspace key: %w", err)
		}
		w, err := decodeWorkspace(wsOf(parts), v)
		if err != nil {
			return err
		}
		return fn(dump.Item{Workspace: w})
	})
}

// exportSecrets keeps each secret's creation time along with its bytes.
func exportSecrets(tx *bolt.Tx, fn func(dump.Item) error) error {
	return tx.Bucket(bucketSecrets).ForEach(func(k, v []byte) error {
		value, err := decodeSecret(string(k), v)
		if err != nil {
			return err
		}
		var born struct {
			CreatedAt time.Time `json:"created_at"`
		}
		_ = json.Unmarshal(v, &born) // decodeSecret already read the record
		return fn(dump.Item{Secret: &dump.Secret{Name: string(k), Value: value, CreatedAt: born.CreatedAt}})
	})
}

func exportJobs(tx *bolt.Tx, fn func(dump.Item) error) error {
	return tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
		j, err := decodeJob(string(k), v)
		if err != nil {
			return err
		}
		return fn(dump.Item{Job: j})
	})
}

// exportOnce skips keys that are unreadable; they would count as expired.
func exportOnce(tx *bolt.Tx, fn func(dump.Item) error) error {
	return tx.Bucket(bucketOnce).ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			return nil
		}
		exp := time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
		return fn(dump.Item{Once: &dump.Once{Key: string(k), Expires: exp}})
	})
}
