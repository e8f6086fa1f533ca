package etcd

import "github.com/meetbot/meetbot/core"

// notYet is what a port not written yet answers (used by stubs_jobs.go
// until the job store lands).
func notYet() error { return core.Errorf(core.EINTERNAL, "etcd store: not implemented yet") }
