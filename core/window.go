package core

import "time"

// Window is the span in which a meeting can be joined: from EarlyJoin before
// its start to Grace after its end. It is the heart of meetbot: RealtimeKit
// tokens live 100 days, so outside this span the room is kept INACTIVE and no
// link is issued.
type Window struct {
	Opens  time.Time
	Closes time.Time
}

// WindowOf returns the join window of one occurrence.
func WindowOf(occ Occurrence, earlyJoin, grace time.Duration) Window {
	return Window{Opens: occ.Start.Add(-earlyJoin), Closes: occ.End.Add(grace)}
}

// Phase says where an instant falls relative to a window.
type Phase int

// The three phases of a window.
const (
	PhaseBefore Phase = iota
	PhaseOpen
	PhaseAfter
)

// PhaseAt places now in the window: the window is closed on the left and
// open on the right, so at exactly Opens one may join and at exactly Closes
// one may not.
func (w Window) PhaseAt(now time.Time) Phase {
	switch {
	case now.Before(w.Opens):
		return PhaseBefore
	case now.Before(w.Closes):
		return PhaseOpen
	default:
		return PhaseAfter
	}
}
