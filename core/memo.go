package core

import (
	"context"
	"slices"
	"sync"
)

// A request memo keeps the workspace settings one request has read, so a
// command that consults them several times (the actor's zone, admin rights,
// the join window, reminder leads) asks the store once. It lives in the
// request's context and dies with it; settings the request changes are
// dropped from it at once.

type memoKey struct{}

type requestMemo struct {
	mu sync.Mutex
	ws map[WorkspaceKey]memoRead
}

type memoRead struct {
	w   *Workspace
	err error
}

// WithRequestMemo returns ctx carrying a fresh memo of workspace settings
// for one request. Adapters (through core/chat) call it once per command;
// without it every read goes to the store.
func WithRequestMemo(ctx context.Context) context.Context {
	if _, ok := ctx.Value(memoKey{}).(*requestMemo); ok {
		return ctx
	}
	return context.WithValue(ctx, memoKey{}, &requestMemo{ws: map[WorkspaceKey]memoRead{}})
}

// forgetWorkspace drops ws from the request's memo after a change.
func forgetWorkspace(ctx context.Context, ws WorkspaceKey) {
	if m, _ := ctx.Value(memoKey{}).(*requestMemo); m != nil {
		m.mu.Lock()
		delete(m.ws, ws)
		m.mu.Unlock()
	}
}

// cloneWorkspace copies w so no two readers share its slices or pointers.
func cloneWorkspace(w *Workspace) *Workspace {
	if w == nil {
		return nil
	}
	c := *w
	c.Reminders = slices.Clone(w.Reminders)
	c.Admins = slices.Clone(w.Admins)
	if w.EarlyJoin != nil {
		d := *w.EarlyJoin
		c.EarlyJoin = &d
	}
	if w.Grace != nil {
		d := *w.Grace
		c.Grace = &d
	}
	return &c
}
