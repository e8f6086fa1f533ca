package storage

import (
	"context"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/dump"
)

// Counts is how many records of each kind a migration copied.
type Counts = dump.Counts

// Migrate copies every record of a bbolt backend into an etcd backend
// whose prefix holds no key yet: meetings with their ids and versions,
// the id counters (so the next meeting continues the sequence), series
// exceptions and RSVPs, participants and their tokens, users, workspace
// settings, secrets (so join links issued before still verify),
// installations, delivery keys and due jobs in their state. The bbolt file
// is only read. An etcd prefix that holds anything is refused (ECONFLICT)
// before a single key is written.
func Migrate(ctx context.Context, from, to *Backend) (Counts, error) {
	if from.BoltDB == nil || to.EtcdDB == nil {
		return Counts{}, core.Errorf(core.EINVALID, "storage: migrate copies from a bolt store into an etcd store (got %s to %s)", from.Driver, to.Driver)
	}
	im, err := to.EtcdDB.NewImporter(ctx)
	if err != nil {
		return Counts{}, err
	}
	if err := from.BoltDB.Export(ctx, func(it dump.Item) error { return im.Add(ctx, it) }); err != nil {
		return Counts{}, err
	}
	return im.Finish(ctx)
}
