package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// maxCodeBytes caps what a join code may be before anything else looks at
// it. Real codes are a few hundred bytes; core applies the same cap, but
// checking here means an oversized path costs a length check, not a trip
// through the service.
const maxCodeBytes = 1024

// serveJoin answers GET /j/{code}. It re-checks the link at this moment
// (core.Service.OpenLink) and renders, by phase: the meeting (or, in sandbox
// mode, what would be joined), a countdown that turns into the meeting when
// the window opens, or a page with core's one-sentence reason and the status
// StatusForError gives it.
func (h *Handler) serveJoin(w http.ResponseWriter, r *http.Request) {
	nonce := newNonce()
	w.Header().Set("Content-Security-Policy", pageCSP(nonce)) // the rest: protectJoinPaths
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.renderMessage(w, r, nonce, http.StatusMethodNotAllowed, "Open this link in a browser",
			"Join links only open with a plain browser visit (GET).")
		return
	}
	code, ok := joinCode(r)
	if len(code) > maxCodeBytes {
		h.renderMessage(w, r, nonce, http.StatusBadRequest, "This link can't be used",
			"This address is too long to be a meetbot join link; ask the bot for a new one with /meet join.")
		return
	}
	if !ok {
		h.renderMessage(w, r, nonce, http.StatusNotFound, "No join link here",
			"There is no join link at this address; ask the bot for a new one with /meet join.")
		return
	}
	if isLinkPreview(r.UserAgent()) {
		// A chat platform's unfurler fetching the link must not provision a
		// participant nor receive the token meant for the person.
		h.renderMessage(w, r, nonce, http.StatusOK, "Personal meeting link",
			"This is someone's personal meeting link; it opens only in their browser.")
		return
	}
	if h.svc == nil {
		h.renderError(w, r, nonce, core.Errorf(core.EUNAVAILABLE, "join links are not served by this process"))
		return
	}
	page, err := h.svc.OpenLink(r.Context(), code)
	if r.URL.Query().Has("state") {
		h.serveState(w, r, page, err)
		return
	}
	if err != nil {
		h.renderNotice(w, r, nonce, page, err)
		return
	}
	switch page.Phase {
	case core.PhaseOpen:
		if page.Token == "" {
			h.renderError(w, r, nonce, fmt.Errorf("open join page for meeting %s: no participant token", page.Meeting.ID))
			return
		}
		if h.sandbox {
			h.renderSandbox(w, r, nonce, page)
			return
		}
		h.renderRoom(w, r, nonce, page)
	case core.PhaseBefore:
		h.renderRoom(w, r, nonce, page)
	default:
		// OpenLink reports a closed window as EENDED; this is a fallback.
		h.renderNotice(w, r, nonce, page, core.Errorf(core.EENDED, "Meeting %s is over.", page.Meeting.ID))
	}
}

// joinCode extracts the code from /j/{code}, also accepting one trailing
// slash (chat clients sometimes add it). ok is false for paths that cannot
// hold a code at all: "/j", "/j/" and anything with a further slash.
func joinCode(r *http.Request) (code string, ok bool) {
	if r.Pattern == "/j/{code}" {
		return r.PathValue("code"), true
	}
	rest, _ := strings.CutPrefix(r.URL.Path, "/j")
	rest = strings.TrimPrefix(rest, "/")
	if len(rest) > maxCodeBytes {
		return rest, false
	}
	rest = strings.TrimSuffix(rest, "/")
	return rest, rest != "" && !strings.Contains(rest, "/")
}

// linkPreviewAgents are substrings of the User-Agents that chat platforms
// and social sites use to unfurl links. A DM with a join link may be
// unfurled by the platform; its fetcher gets a neutral page.
var linkPreviewAgents = []string{
	"slackbot", "slack-imgproxy", "discordbot", "facebookexternalhit",
	"twitterbot", "linkedinbot", "telegrambot", "whatsapp", "skypeuripreview",
	"microsoftpreview", "mattermost-bot", "googlebot", "bingbot",
}

// isLinkPreview reports whether ua looks like a link unfurler rather than a
// person's browser.
func isLinkPreview(ua string) bool {
	if ua == "" {
		return false
	}
	ua = strings.ToLower(ua)
	for _, s := range linkPreviewAgents {
		if strings.Contains(ua, s) {
			return true
		}
	}
	return false
}

// renderError turns a failure without a known meeting into its page: the
// status from StatusForError and core's one plain sentence (renderNotice).
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, nonce string, err error) {
	h.renderNotice(w, r, nonce, nil, err)
}

// headingFor gives each error code a short page heading; the sentence below
// it (from core) says what happened and what to do.
func headingFor(code core.Code) string {
	switch code {
	case core.EENDED:
		return "This meeting is over"
	case core.EFORBIDDEN, core.EINVALID:
		return "This link can't be used"
	case core.ENOTFOUND:
		return "Meeting not found"
	case core.ETOOEARLY:
		return "Not open yet"
	case core.EUNAVAILABLE:
		return "Please try again shortly"
	case core.ECONFLICT:
		return "Please try again"
	default:
		return "Something went wrong"
	}
}

// renderSandbox writes the sandbox's stand-in for the meeting: everything
// the link resolved to, and the token's claims, but never the token itself
// (a page can be screenshotted or pasted into an issue).
func (h *Handler) renderSandbox(w http.ResponseWriter, r *http.Request, nonce string, p *core.JoinPage) {
	m, now := p.Meeting, h.now()
	d := sandboxData{
		Nonce:     nonce,
		Title:     m.Title,
		MeetingID: m.ID,
		When:      core.FullTime(m.Start, m.TimeZone) + ", for " + core.HumanDuration(m.Duration),
		Window: fmt.Sprintf("opens %s, closes %s", core.ClockTime(p.Window.Opens, m.TimeZone, now),
			core.ClockTime(p.Window.Closes, m.TimeZone, now)),
		User:   fmt.Sprintf("%s (%s)", displayName(p), p.User),
		Preset: p.Preset,
		RoomID: m.RoomID,
	}
	switch {
	case h.decodeToken == nil:
		d.ClaimsNote = "No token decoder is configured, so the claims are not shown."
	default:
		claims, err := h.decodeToken(p.Token)
		if err != nil {
			d.ClaimsNote = "The token could not be decoded: " + err.Error()
		} else {
			d.Claims = claimRows(claims, m.TimeZone)
		}
	}
	h.renderPage(w, r, http.StatusOK, "sandbox", d)
}

// displayName is the person's name as the page greets them: the stored
// display name, else their platform user id.
func displayName(p *core.JoinPage) string {
	if p.Name != "" {
		return p.Name
	}
	return p.User.UserID
}

// renderMessage writes a page that is one heading and one sentence.
func (h *Handler) renderMessage(w http.ResponseWriter, r *http.Request, nonce string, status int, heading, msg string) {
	h.renderPage(w, r, status, "message", messageData{Nonce: nonce, Heading: heading, Message: msg})
}

// timeClaims are the JWT claims holding unix seconds; the sandbox page adds
// a readable time next to them.
var timeClaims = map[string]bool{"iat": true, "exp": true, "nbf": true}

// claimRows renders decoded claims as sorted key/value rows for the sandbox
// page, showing unix-time claims also as times in the meeting's zone.
func claimRows(claims map[string]any, zone string) []claimRow {
	rows := make([]claimRow, 0, len(claims))
	for k, v := range claims {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1e15 {
				s = strconv.FormatInt(int64(x), 10)
				if timeClaims[k] {
					s += " (" + core.FullTime(time.Unix(int64(x), 0), zone) + ")"
				}
			} else {
				s = strconv.FormatFloat(x, 'g', -1, 64)
			}
		default:
			s = fmt.Sprint(x)
		}
		rows = append(rows, claimRow{Key: k, Value: s})
	}
	sortRows(rows)
	return rows
}

// Countdown is the wait page's "in …" text for secs seconds left, exactly
// as the page's script writes it each second (pages/wait.html's human):
// seconds under a minute, minutes and seconds under an hour ("1 min 50 s",
// never a rounded "2 min"), then hours and minutes rounded up, and days
// and hours from a day on.
func Countdown(secs int) string {
	if secs < 60 {
		return strconv.Itoa(secs) + " s"
	}
	if secs < 3600 {
		out := strconv.Itoa(secs/60) + " min"
		if secs%60 != 0 {
			out += " " + strconv.Itoa(secs%60) + " s"
		}
		return out
	}
	mins := (secs + 59) / 60
	hours, days := mins/60, mins/(24*60)
	if days > 0 {
		out := strconv.Itoa(days) + " day"
		if days > 1 {
			out += "s"
		}
		if hours%24 != 0 {
			out += " " + strconv.Itoa(hours%24) + " h"
		}
		return out
	}
	out := strconv.Itoa(hours) + " h"
	if mins%60 != 0 {
		out += " " + strconv.Itoa(mins%60) + " min"
	}
	return out
}
