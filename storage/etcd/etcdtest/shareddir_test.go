package etcdtest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSharedDirRemovesOnlyExitedOwners: a new shared directory removes the
// ones left by exited processes and by the old unnamed form, and keeps one
// whose owner still runs (this process).
func TestSharedDirRemovesOnlyExitedOwners(t *testing.T) {
	tmp := t.TempDir()
	live := filepath.Join(tmp, sharedDirPrefix+strconv.Itoa(os.Getpid())+"-123")
	dead := filepath.Join(tmp, sharedDirPrefix+"2147483646-456") // above any pid_max
	old := filepath.Join(tmp, sharedDirPrefix+"789")
	other := filepath.Join(tmp, "unrelated")
	for _, d := range []string{live, dead, old, other} {
		if err := os.MkdirAll(filepath.Join(d, "member"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := sharedDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if owner, ok := dirOwner(filepath.Base(dir)); !ok || owner != os.Getpid() {
		t.Fatalf("new dir %s names owner %d, %v", dir, owner, ok)
	}
	for d, want := range map[string]bool{live: true, dead: false, old: false, other: true, dir: true} {
		if _, err := os.Stat(d); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(d), err == nil, want)
		}
	}
}
