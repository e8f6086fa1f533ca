package etcdtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// sharedDirPrefix names the data directories of Shared servers. The
// process id in the name lets a later test binary tell a directory whose
// owner has exited from one still in use.
const sharedDirPrefix = "meetbot-etcd-"

// sharedDir makes the data directory of this process's shared server,
// after removing those of test binaries that have exited. The shared server
// lives until its process exits, and testing gives a package no hook after
// its last test, so nothing can remove the directory on the way out; at
// about 170 MB each (the WAL preallocates), every `go test ./...` on etcd
// used to leave gigabytes behind until the disk filled.
func sharedDir(tmp string) (string, error) {
	removeExitedDirs(tmp)
	return os.MkdirTemp(tmp, fmt.Sprintf("%s%d-", sharedDirPrefix, os.Getpid()))
}

// removeExitedDirs removes every shared-server directory in tmp whose owner
// process no longer runs. A directory whose name carries no process id
// (the old form) is removed too. A reused pid only keeps a directory a
// little longer; it never removes one in use.
func removeExitedDirs(tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, sharedDirPrefix+"*"))
	for _, d := range dirs {
		if owner, ok := dirOwner(filepath.Base(d)); ok && running(owner) {
			continue
		}
		_ = os.RemoveAll(d)
	}
}

// dirOwner reads the process id from a directory name made by sharedDir.
func dirOwner(name string) (int, bool) {
	pid, _, ok := strings.Cut(strings.TrimPrefix(name, sharedDirPrefix), "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(pid)
	return n, err == nil && n > 0
}

// running reports whether process pid exists (signal 0 checks without
// sending anything; EPERM means it exists under another user).
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
