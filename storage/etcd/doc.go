// Package etcd is the core.Store of a deployment with several replicas: every
// record lives under one key prefix of an etcd cluster, so any replica can
// serve any request, and a leader elected through etcd (see Leader) runs the
// scheduler.
//
// The rules the package keeps:
//
//   - Every operation that is one bbolt transaction in storage/bolt is one
//     etcd transaction here: a Txn whose compares pin the mod revisions of
//     every key it read, retried a bounded number of times when another
//     replica won the race. Nothing is half-written.
//   - The due-job index is ordered keys (time, then id) under the prefix,
//     read with ranged, limited Gets: finding the next due job never scans.
//   - Job claims and completions carry the leader's fence (the revision of
//     its election key, in the context Lead returned) as a compare, so a
//     deposed leader that wakes up late changes nothing.
//   - etcd's own limits hold: at most MaxTxnOps operations in a Txn, request
//     bodies well under 1.5 MiB, and watches that re-list after compaction.
//   - A cluster that cannot be reached is core.EUNAVAILABLE with one plain
//     sentence (UnavailableMessage), never a hang: every call is bounded by
//     Options.RequestTimeout.
//   - Point reads of meetings, participants, users, workspace settings,
//     secrets and installations are served from a read cache that one watch
//     on the whole prefix keeps current, so a warm join link costs no round
//     trip (Options.NoReadCache turns it off). A replica reads its own
//     writes at once; a write made on another replica shows after the
//     watch's delay, usually milliseconds (DB.Sync waits for it). Stored
//     data never lags: every write compares the revisions it read, so a
//     stale read only costs a retry. The cache serves only while its watch
//     is established, the connection is up and the watch answered within
//     two seconds; a broken, compacted or silent watch empties it.
package etcd
