// Package cluster holds the tests and benchmarks of meetbot running as
// several replicas on one etcd cluster: a real 3-member embedded cluster
// (storage/etcd/etcdtest), three core.Services with their schedulers, each
// on its own etcd client, and the RealtimeKit sandbox behind the real SDK.
//
// It has no code of its own outside _test.go files. The tests kill the
// leader's etcd session (lease revocation, or a crashed client) while
// reminders fall due and check that none is lost or doubled, that a deposed
// leader cannot record a job it ran, and that everything replicas share
// (meeting ids, join-link keys, delivery keys) is shared through the store
// rather than one process's memory. BenchmarkBoltVsEtcd compares the hot
// paths on bbolt and on a single fsyncing etcd member.
package cluster
