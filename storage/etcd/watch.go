package etcd

import (
	"context"
	"errors"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// WatchDue calls wake whenever a job becomes pending anywhere in the
// cluster (a put under the due index: a new plan, a moved job, a retry), so
// a meeting scheduled on another replica wakes this replica's scheduler at
// once instead of at its next timer. It returns when ctx ends.
//
// A watch that broke or fell behind a compaction cannot say what it missed,
// so WatchDue then calls wake once (the scheduler re-reads NextDue, which is
// the re-list) and watches again from the current revision. wake must not
// block; scheduler.Scheduler.Wake does not.
func (db *DB) WatchDue(ctx context.Context, wake func()) {
	db.watchDue(ctx, 0, wake, nil)
}

// watchDue is WatchDue from revision from (0: now). relisted, when set, is
// called each time the watch had to be re-established: tests use it to see
// the compaction path taken.
func (db *DB) watchDue(ctx context.Context, from int64, wake func(), relisted func(error)) {
	prefix := db.dueIndex()
	pause := 50 * time.Millisecond
	for ctx.Err() == nil {
		opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithFilterDelete()}
		if from > 0 {
			opts = append(opts, clientv3.WithRev(from))
		}
		wctx, stop := context.WithCancel(clientv3.WithRequireLeader(ctx))
		err := db.followDue(ctx, db.cli.Watch(wctx, prefix, opts...), wake)
		stop()
		if ctx.Err() != nil || db.cli.Ctx().Err() != nil {
			return
		}
		ev := db.log.Warn()
		if errors.Is(err, rpctypes.ErrCompacted) {
			// Expected now and then: the watch was behind the compacted
			// revision. Nothing is lost once NextDue is read again.
			ev = db.log.Info()
		}
		ev.Err(err).Msg("due-job watch restarted; re-reading what is due")
		if relisted != nil {
			relisted(err)
		}
		wake()
		rev, err := db.currentRev(ctx)
		if err != nil {
			// The cluster is away: wait a little, then try again. The
			// scheduler re-reads on its own timer meanwhile.
			if !pauseFor(ctx, pause) {
				return
			}
			pause = min(2*pause, 5*time.Second)
			from = 0
			continue
		}
		pause = 50 * time.Millisecond
		from = rev + 1
	}
}

// followDue reads a due watch until it breaks, calling wake for every
// response that holds a put.
func (db *DB) followDue(ctx context.Context, wch clientv3.WatchChan, wake func()) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case resp, ok := <-wch:
			if !ok {
				return errors.New("etcd: due watch closed")
			}
			if err := resp.Err(); err != nil {
				return err
			}
			for _, ev := range resp.Events {
				if ev.Type == clientv3.EventTypePut {
					wake()
					break
				}
			}
		}
	}
}

// currentRev returns the cluster's current revision with the cheapest read
// there is: one absent key, counted.
func (db *DB) currentRev(ctx context.Context) (int64, error) {
	gctx, cancel := db.bounded(ctx)
	defer cancel()
	resp, err := db.cli.Get(gctx, db.key("ready_probe"), clientv3.WithCountOnly())
	if err != nil {
		return 0, storeErr(ctx, err)
	}
	return resp.Header.Revision, nil
}

// pauseFor waits d or until ctx ends; false when ctx ended.
func pauseFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
