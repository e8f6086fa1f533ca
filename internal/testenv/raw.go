package testenv

import (
	"os"
	"path/filepath"
)

// RawStore returns every byte the store holds as it sits at rest: the bbolt
// file, or every key and value under this Env's etcd prefix. Tests that
// check a secret never reaches storage in the clear (sealed tokens) search
// it, whichever driver they run on.
func (e *Env) RawStore() []byte {
	e.T.Helper()
	if e.Driver == Etcd {
		return e.rawEtcd()
	}
	raw, err := os.ReadFile(filepath.Join(e.Dir, "meetbot.db"))
	if err != nil {
		e.T.Fatalf("testenv: read the bbolt file: %v", err)
	}
	return raw
}
