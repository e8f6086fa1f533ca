package web

import "github.com/meetbot/meetbot/core"

// ICSName is the .ics download's file name for m.
func ICSName(m *core.Meeting) string { return icsName(m) }
