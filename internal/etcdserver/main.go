// Command etcdserver is the etcd server binary, built from the exact
// go.etcd.io/etcd/server/v3 version in go.mod, for process-level tests
// (cmd/failover, .ci/run) that need a real etcd outside the test process.
//
// It exists because `go install go.etcd.io/etcd/server/v3@v3.7.3` is refused
// (the server module's go.mod has replace directives) and Debian's
// etcd-server package is 3.4, older than the client meetbot uses. Building
// it from this module pins the same version the embedded test servers run:
//
//	go build -o /tmp/etcd ./internal/etcdserver
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
