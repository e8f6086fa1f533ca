package web

import "github.com/meetbot/meetbot/core"

// ICSDisposition is the .ics download's Content-Disposition for m.
func ICSDisposition(m *core.Meeting) string { return icsDisposition(m) }
