package web

import "github.com/meetbot/meetbot/core"

// Countdown is the wait page's countdown text, for the tests that compare
// the page's script with it.
var Countdown = countdown

// ICSName is the .ics download's file name for m.
func ICSName(m *core.Meeting) string { return icsName(m) }
