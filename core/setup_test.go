package core_test

import (
	"testing"

	"github.com/meetbot/meetbot/internal/testenv"
)

// The core tests run core.Service on real parts (see internal/testenv): a
// bbolt file and the RealtimeKit SDK against the sandbox over HTTP.

type setupOpts = testenv.Options

func setup(t testing.TB, o ...setupOpts) *testenv.Env {
	t.Helper()
	var opt setupOpts
	if len(o) > 0 {
		opt = o[0]
	}
	return testenv.New(t, opt)
}

var (
	t0       = testenv.T0
	ws       = testenv.Workspace
	actor    = testenv.Actor
	wantCode = testenv.WantCode
)

var testenvZone = testenv.MustZone
