package core

import (
	"context"
	"fmt"
	"time"
)

// workspaces reads a workspace's stored settings and answers what they
// imply for everyone else: the join window and reminder leads (policy), and
// the stored record that admin rights and defaults are read from. It is the
// one reader of settings, so every read goes through the request memo and a
// command that asks several times reaches the store once.
type workspaces struct {
	store WorkspaceStore
	cfg   Config // the operator's defaults under every workspace's own values
}

// findWorkspace reads ws's stored settings through the request's memo, if
// any. Only answers that will not change within the request are kept: the
// settings, or "none stored".
func (w *workspaces) findWorkspace(ctx context.Context, ws WorkspaceKey) (*Workspace, error) {
	m, _ := ctx.Value(memoKey{}).(*requestMemo)
	if m == nil {
		return w.store.FindWorkspace(ctx, ws)
	}
	m.mu.Lock()
	r, ok := m.ws[ws]
	m.mu.Unlock()
	if ok {
		return cloneWorkspace(r.w), r.err
	}
	got, err := w.store.FindWorkspace(ctx, ws)
	if err == nil || ErrorCode(err) == ENOTFOUND {
		m.mu.Lock()
		m.ws[ws] = memoRead{w: cloneWorkspace(got), err: err}
		m.mu.Unlock()
	}
	return got, err
}

// storedWorkspace returns the workspace's stored settings, or an empty
// record with Key set when it never stored any.
func (w *workspaces) storedWorkspace(ctx context.Context, ws WorkspaceKey) (*Workspace, error) {
	got, err := w.findWorkspace(ctx, ws)
	if err != nil {
		if ErrorCode(err) != ENOTFOUND {
			return nil, fmt.Errorf("find workspace settings: %w", err)
		}
		return &Workspace{Key: ws}, nil
	}
	return got, nil
}

// policy is a workspace's effective timing settings.
type policy struct {
	early, grace time.Duration
	reminders    []time.Duration
	dms          bool
}

// policy returns the workspace's overrides over the configured defaults.
func (w *workspaces) policy(ctx context.Context, ws WorkspaceKey) policy {
	p := policy{early: w.cfg.EarlyJoin, grace: w.cfg.Grace, reminders: w.cfg.Reminders}
	if got, err := w.findWorkspace(ctx, ws); err == nil {
		if got.EarlyJoin != nil {
			p.early = *got.EarlyJoin
		}
		if got.Grace != nil {
			p.grace = *got.Grace
		}
		if got.Reminders != nil {
			p.reminders = got.Reminders
		}
		p.dms = got.DMReminders
	}
	return p
}

// windowFor returns the join window of m's current occurrence, using the
// workspace's overrides when it has any.
func (w *workspaces) windowFor(ctx context.Context, m *Meeting, now time.Time) (Window, Occurrence) {
	p := w.policy(ctx, m.Workspace)
	occ := m.CurrentOccurrence(now, p.early, p.grace)
	return WindowOf(occ, p.early, p.grace), occ
}
