package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog/hlog"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/recur"
)

// meetingRoute serves both public pages of a meeting. ServeMux wildcards
// match whole path segments, so "{code}.ics" can't be a pattern of its own;
// serveMeeting branches on the suffix instead.
const meetingRoute = "GET /meetings/{code}"

// nextShown is how many upcoming occurrences the info page lists.
const nextShown = 5

// notFoundCalendar is the page for a code that names no meeting: forged,
// tampered, a join link's code, or a meeting that is gone.
const notFoundCalendar = "This calendar link is not valid. Ask the bot for a new one in chat."

// serveMeeting answers GET /meetings/{code} (the public info page) and
// GET /meetings/{code}.ics (the calendar file). The code is a calendar code
// (core.Service.CalendarCode): it lets its holder read the schedule, never
// join, so neither answer carries a token, a join link or the invitees.
// Any code core does not accept is a 404; the access log names the route
// pattern only, so codes never reach log storage.
func (h *Handler) serveMeeting(w http.ResponseWriter, r *http.Request) {
	nonce := newNonce()
	w.Header().Set("Content-Security-Policy", pageCSP(nonce)) // the rest: protectJoinPaths
	code, wantICS := strings.CutSuffix(r.PathValue("code"), ".ics")
	if code == "" || len(code) > maxCodeBytes {
		h.renderMessage(w, r, nonce, http.StatusNotFound, "Calendar link not found", notFoundCalendar)
		return
	}
	if h.svc == nil {
		h.renderPublicError(w, r, nonce, core.Errorf(core.EUNAVAILABLE, "meeting pages are not served by this process"))
		return
	}
	m, err := h.svc.PublicMeeting(r.Context(), code)
	if err != nil {
		h.renderPublicError(w, r, nonce, err)
		return
	}
	if wantICS {
		h.serveICS(w, r, nonce, m, code)
		return
	}
	h.renderInfo(w, r, nonce, m, code)
}

// serveICS writes the meeting's calendar file. It is never cached (a move
// or cancel must reach the next fetch) and is a download, not a page.
func (h *Handler) serveICS(w http.ResponseWriter, r *http.Request, nonce string, m *core.Meeting, code string) {
	body, err := calendarFile(m, code, h.svc.InfoURL(m), h.now())
	if err != nil {
		h.renderPublicError(w, r, nonce, err)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/calendar; charset=utf-8")
	hdr.Set("Content-Disposition", icsDisposition(m))
	hdr.Set("Content-Security-Policy", lockedCSP)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}

// infoData is the public info page. Everything in it is fine for anyone
// holding the link to see: no token, no join link, no invitee list.
type infoData struct {
	// About names the organizer and where the meeting was scheduled.
	About                                                         about
	Nonce, Title, MeetingID, When, Duration, Repeats, Status, ICS string
	Cancelled, Series                                             bool
	// Over is set when nothing is left to join: the page then offers
	// neither joining from chat nor the calendar file.
	Over bool
	Next []infoOccurrence
}

// infoOccurrence is one line of the "next occurrences" list.
type infoOccurrence struct {
	When, Note string
}

// renderInfo writes the public info page: the title, when (in the
// meeting's zone), the next occurrences of a series with skips left out and
// moves at their new time, the duration, the status, how to join from chat
// and a link to the .ics.
func (h *Handler) renderInfo(w http.ResponseWriter, r *http.Request, nonce string, m *core.Meeting, code string) {
	now := h.now()
	tzid, loc := meetingZone(m)
	first, _ := seriesStart(m, loc)
	d := infoData{
		About:     aboutMeeting(m, core.Occurrence{}),
		Nonce:     nonce,
		Title:     m.Title,
		MeetingID: m.ID,
		When:      core.FullTime(first, tzid),
		Duration:  core.HumanDuration(m.Duration),
		Series:    m.IsRecurring(),
		Cancelled: m.State == core.StateCancelled,
		ICS:       "/meetings/" + url.PathEscape(code) + ".ics",
	}
	if d.Title == "" {
		d.Title = "Meeting " + m.ID
	}
	// Occurrences still to come or under way: ends after now.
	var next []core.Occurrence
	for _, o := range m.OccurrencesBetween(now.Add(-m.Duration), now.AddDate(5, 0, 0), nextShown+1) {
		if o.End.After(now) && len(next) < nextShown {
			next = append(next, o)
		}
	}
	if d.Series {
		d.Repeats = recur.Describe(m.Recurrence, loc)
		for _, o := range next {
			occ := infoOccurrence{When: core.ClockTime(o.Start, tzid, now)}
			switch {
			case !o.Start.After(now):
				occ.Note = "under way now"
			case !o.Start.Equal(o.Original):
				occ.Note = "moved from " + core.ClockTime(o.Original, tzid, now)
			}
			d.Next = append(d.Next, occ)
		}
		d.Next = withSkips(d.Next, m, next, tzid, now)
	} else if len(next) == 1 && !next[0].Start.Equal(m.Start) {
		d.When = core.FullTime(next[0].Start, tzid)
	}
	switch {
	case d.Cancelled:
		d.Status = "Cancelled"
	case len(next) == 0 || m.State == core.StateEnded:
		d.Status = "Over"
		d.Over = true
	case !next[0].Start.After(now):
		d.Status = "Under way"
	default:
		d.Status = "Scheduled"
	}
	h.renderPage(w, r, http.StatusOK, "info", d)
}

// withSkips adds the skipped dates among a series' next occurrences to
// the page's list, in order and marked as skipped, so a gap in the dates
// is explained rather than silent.
func withSkips(list []infoOccurrence, m *core.Meeting, next []core.Occurrence, tzid string, now time.Time) []infoOccurrence {
	if len(next) == 0 {
		return list
	}
	skipped := m.SkippedBetween(now, next[len(next)-1].Start)
	if len(skipped) == 0 {
		return list
	}
	out := make([]infoOccurrence, 0, len(list)+len(skipped))
	j := 0
	for i, o := range next {
		for ; j < len(skipped) && skipped[j].Before(o.Start); j++ {
			out = append(out, infoOccurrence{When: core.ClockTime(skipped[j], tzid, now), Note: "skipped"})
		}
		out = append(out, list[i])
	}
	return out
}

// renderPublicError answers a failed calendar or info request: core's
// sentence under the status StatusForError gives. A code core refuses is a
// plain 404 page; internal failures are logged once with the request id
// shown as a reference; outages get Retry-After.
func (h *Handler) renderPublicError(w http.ResponseWriter, r *http.Request, nonce string, err error) {
	status := StatusForError(err)
	log := hlog.FromRequest(r)
	var ref string
	heading, msg := headingFor(core.ErrorCode(err)), core.ErrorMessage(err)
	switch {
	case status == http.StatusServiceUnavailable:
		secs := retryAfterSeconds(err)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		msg = "This page can't be served right now; try again in " + strconv.Itoa(secs) + " s."
		log.Warn().Err(err).Int("retry_after_s", secs).Msg("meeting page: unavailable")
	case status >= 500:
		if id, ok := hlog.IDFromRequest(r); ok {
			ref = id.String()
		}
		log.Error().Err(err).Msg("meeting page failed")
	default:
		// Whatever core refused (a forged code, a deleted meeting), the
		// answer is the same 404, so the status leaks nothing.
		log.Debug().Str("error_code", string(core.ErrorCode(err))).Msg("meeting page refused")
		status, heading, msg = http.StatusNotFound, "Calendar link not found", notFoundCalendar
	}
	h.renderPage(w, r, status, "message", messageData{
		Nonce: nonce, Heading: heading, Message: msg, Ref: ref,
	})
}
