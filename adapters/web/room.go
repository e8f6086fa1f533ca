package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/rs/zerolog/hlog"

	"github.com/meetbot/meetbot/core"
)

// about is what every page of one meeting says about it: who organizes it,
// where it was scheduled, when it starts in the organizer's zone, and how
// long it lasts. Channel ids are not names, so a platform's channel is
// named only where the id is readable (console channels).
type about struct {
	Organizer, Where, Start, Length string
}

// aboutMeeting describes occurrence occ of m.
func aboutMeeting(m *core.Meeting, occ core.Occurrence) about {
	a := about{Organizer: m.OrganizerName, Length: core.HumanDuration(m.Duration)}
	if a.Organizer == "" && m.Organizer != "" {
		a.Organizer = "@" + m.Organizer
	}
	switch m.Workspace.Platform {
	case core.PlatformSlack:
		a.Where = "scheduled in Slack"
	case core.PlatformDiscord:
		a.Where = "scheduled in Discord"
	default:
		if m.Channel != "" {
			a.Where = "in #" + m.Channel
		}
	}
	if !occ.Start.IsZero() {
		a.Start = core.FullTime(occ.Start, m.TimeZone)
	}
	return a
}

// roomBoot is what the room page's script starts from, as JSON.
type roomBoot struct {
	Waiting   bool       `json:"waiting"`
	AutoJoin  bool       `json:"autoJoin,omitempty"`
	Sandbox   bool       `json:"sandbox,omitempty"`
	Seconds   int        `json:"seconds,omitempty"`
	OpensInMS int64      `json:"opensInMS,omitempty"`
	StartISO  string     `json:"startISO"`
	OpensISO  string     `json:"opensISO"`
	Zone      string     `json:"zone"`
	Token     string     `json:"token,omitempty"`
	Media     *mediaJSON `json:"media,omitempty"`
}

// mediaJSON is RealtimeKitClient.init's defaults.mediaConfiguration as the
// SDK's DefaultOptions type spells it (@cloudflare/realtimekit 2.0.2,
// dist/index.d.ts): video is a VideoQualityConstraints of ideal width,
// height and frame rate (not a "720p" quality name), and a screen share's
// frameRate needs both ideal and max.
type mediaJSON struct {
	Video struct {
		Width     ideal `json:"width"`
		Height    ideal `json:"height"`
		FrameRate ideal `json:"frameRate"`
	} `json:"video"`
	Screenshare struct {
		FrameRate idealMax `json:"frameRate"`
	} `json:"screenshare"`
}

type (
	ideal struct {
		Ideal int `json:"ideal"`
	}
	idealMax struct {
		Ideal int `json:"ideal"`
		Max   int `json:"max"`
	}
)

// MediaConfiguration returns the defaults.mediaConfiguration object the
// meeting page passes to RealtimeKitClient.init for m, as JSON.
func MediaConfiguration(m core.MediaSettings) []byte {
	raw, _ := json.Marshal(mediaConfig(m))
	return raw
}

func mediaConfig(m core.MediaSettings) *mediaJSON {
	out := &mediaJSON{}
	w, h, ok := core.VideoSize(m.Video)
	if !ok {
		w, h, _ = core.VideoSize(core.DefaultVideo)
	}
	out.Video.Width.Ideal, out.Video.Height.Ideal = w, h
	out.Video.FrameRate.Ideal = cmpOr(m.FrameRate, core.DefaultFrameRate)
	fps := cmpOr(m.ScreenshareFrameRate, core.DefaultScreenshareFrameRate)
	out.Screenshare.FrameRate = idealMax{Ideal: fps, Max: fps}
	return out
}

func cmpOr(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

// roomData is the room page: the wait before the window, the meeting
// inside it (the same page, so the wait turns into the meeting without a
// reload, on the same link).
type roomData struct {
	Nonce, Title, MeetingID, Name string
	About                         about
	Moved, OpensAt, In, ICS, Info string
	Waiting, AutoJoin             bool
	Refresh                       int
	Kit                           *uiKit
	Boot                          roomBoot
	Script, Style                 *staticAsset // the page's script and style sheet (assets.go)
}

// renderRoom writes the wait page (PhaseBefore) or the meeting (PhaseOpen,
// with the token) for p.
func (h *Handler) renderRoom(w http.ResponseWriter, r *http.Request, nonce string, p *core.JoinPage) {
	m, now := p.Meeting, h.now()
	// The meeting page is served from roomPages when it was made before
	// (roomcache.go); the wait page changes every second and never is.
	var key roomPageKey
	cacheable := p.Phase != core.PhaseBefore && h.roomPages != nil
	if cacheable {
		key = roomKey(h, p, core.ClockTime(p.Window.Opens, m.TimeZone, now))
		w.Header().Set("Content-Security-Policy", h.kit.meetingCSP(nonce))
		w.Header().Set("Permissions-Policy", meetingPermissions)
		if h.roomPages.serve(w, key, nonce) {
			return
		}
	}
	occ := p.Occurrence
	d := roomData{
		Nonce: nonce, Title: titleOf(m), MeetingID: m.ID, Name: p.Name,
		About:   aboutMeeting(m, occ),
		Waiting: p.Phase == core.PhaseBefore,
		OpensAt: core.ClockTime(p.Window.Opens, m.TimeZone, now),
		ICS:     h.svc.CalendarURL(m),
		Info:    h.svc.InfoURL(m),
		Script:  roomScript,
		Style:   roomStyle,
	}
	if !h.sandbox {
		d.Kit = h.kit // the sandbox starts no UI Kit, so it preloads none
	}
	if !p.MovedFrom.IsZero() {
		d.Moved = "from " + core.FullTime(p.MovedFrom, m.TimeZone)
	}
	b := roomBoot{
		Sandbox: h.sandbox, Waiting: d.Waiting,
		StartISO: occ.Start.UTC().Format(time.RFC3339), Zone: m.TimeZone,
		OpensISO: p.Window.Opens.UTC().Format(time.RFC3339),
	}
	if d.Waiting {
		secs := max(int(math.Ceil(p.Window.Opens.Sub(now).Seconds())), 1)
		d.In, b.Seconds = Countdown(secs), secs
		b.OpensInMS = max(p.Window.Opens.Sub(now).Milliseconds(), 0)
		d.AutoJoin = !p.Expires.Before(p.Window.Opens) || p.Expires.IsZero()
		b.AutoJoin = d.AutoJoin
		if d.AutoJoin {
			d.Refresh = min(secs+1, 60)
		}
	} else {
		b.Token, b.Media = p.Token, mediaConfig(p.Media)
	}
	d.Boot = b
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", h.kit.meetingCSP(nonce))
	if !h.sandbox {
		// The wait page turns into the meeting in place, so it needs the
		// camera and microphone from the start: a document's permissions
		// policy is fixed when it loads.
		hdr.Set("Permissions-Policy", meetingPermissions)
	}
	if cacheable && d.OpensAt == key.opensAt {
		pd := d
		pd.Nonce = h.roomPages.placeholder
		if h.roomPages.fill(r, key, pd) && h.roomPages.serve(w, key, nonce) {
			return
		}
	}
	h.renderPage(w, r, http.StatusOK, "room", d)
}

// stateAnswer is GET /j/{code}?state=1: what the wait page asks until the
// window opens. Only inside the window does it carry the token (in the
// body of a no-store answer, never a URL), so the server decides when a
// page may join.
type stateAnswer struct {
	Phase     string     `json:"phase"` // before, open, or gone
	OpensInMS int64      `json:"opens_in_ms,omitempty"`
	OpensAt   string     `json:"opens_at,omitempty"`
	Token     string     `json:"token,omitempty"`
	Media     *mediaJSON `json:"media,omitempty"`
}

// serveState answers the wait page's question.
func (h *Handler) serveState(w http.ResponseWriter, r *http.Request, page *core.JoinPage, err error) {
	var a stateAnswer
	switch {
	case err != nil:
		if StatusForError(err) >= 500 {
			hlog.FromRequest(r).Warn().Err(err).Msg("join link state failed")
			writeJSON(w, http.StatusServiceUnavailable, stateAnswer{Phase: "unavailable"})
			return
		}
		a.Phase = "gone"
	case page.Phase == core.PhaseBefore:
		a.Phase = "before"
		a.OpensInMS = max(page.Window.Opens.Sub(h.now()).Milliseconds(), 0)
		a.OpensAt = page.Window.Opens.UTC().Format(time.RFC3339)
	case page.Phase == core.PhaseOpen && page.Token != "":
		a.Phase = "open"
		if !h.sandbox {
			a.Token, a.Media = page.Token, mediaConfig(page.Media)
		}
	default:
		a.Phase = "gone"
	}
	writeJSON(w, http.StatusOK, a)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	raw, _ := json.Marshal(v)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(raw, '\n'))
}

// titleOf is the meeting's title, or "Meeting <id>" when it has none.
func titleOf(m *core.Meeting) string {
	if strings.TrimSpace(m.Title) != "" {
		return m.Title
	}
	return "Meeting " + m.ID
}

// noticeData is a plain page that says what happened to a meeting (over,
// cancelled, moved, removed) or to a link (bad, expired), and what comes
// next.
type noticeData struct {
	Nonce, Heading, Message, Ref, Ask, Info string
	// WhenLabel heads the meeting's time: "Starts", "Was", "Was planned for".
	WhenLabel string
	About     *about
	Over      bool
	Next      *noticeNext
}

type noticeNext struct{ When, URL string }

// renderNotice turns an OpenLink refusal into its page. With the meeting
// known (page non-nil) the page names it by its title and says what
// happened in its own words, offers a series' next time with its own wait
// link, and links the meeting's info page; otherwise core's sentence.
// Internal failures are logged once, with the request id on the page;
// outages are warnings with Retry-After.
func (h *Handler) renderNotice(w http.ResponseWriter, r *http.Request, nonce string, page *core.JoinPage, err error) {
	code := core.ErrorCode(err)
	status := StatusForError(err)
	d := noticeData{Nonce: nonce, Heading: headingFor(code), Message: core.ErrorMessage(err)}
	if errors.Is(err, core.ErrLinkExpired) {
		d.Heading = "This link has expired"
	}
	log := hlog.FromRequest(r)
	switch status {
	case http.StatusServiceUnavailable:
		secs := retryAfterSeconds(err)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		d.Message = fmt.Sprintf("The video service is not answering right now; try again in %d s.", secs)
		log.Warn().Err(err).Int("retry_after_s", secs).Msg("join link: video service unavailable")
	case http.StatusInternalServerError:
		if id, ok := hlog.IDFromRequest(r); ok {
			d.Ref = id.String()
		}
		log.Error().Err(err).Msg("join link failed")
	default:
		log.Debug().Str("error_code", string(code)).Msg("join link refused")
	}
	if page != nil && page.Meeting != nil && status < 500 {
		h.describeRefusal(&d, page, err)
	}
	h.renderPage(w, r, status, "notice", d)
}

// describeRefusal fills a notice about a known meeting.
func (h *Handler) describeRefusal(d *noticeData, p *core.JoinPage, err error) {
	m, now := p.Meeting, h.now()
	title := titleOf(m)
	occ := p.Occurrence
	a := aboutMeeting(m, occ)
	d.About, d.Info, d.WhenLabel = &a, h.svc.InfoURL(m), "Starts"
	e, _ := core.AsError(err)
	switch {
	case m.State == core.StateCancelled:
		d.Heading, d.Over, d.WhenLabel = title+" was cancelled", true, "Was planned for"
		d.Message = "It was cancelled, so it will not take place and no one can join it."
		if m.CancelledBy != "" {
			d.Message = fmt.Sprintf("@%s cancelled it, so it will not take place and no one can join it.", m.CancelledBy)
		}
	case m.IsRemoved(p.User.UserID):
		d.Heading = "You were removed from " + title
		d.Message = "The organizer took you off this meeting, so your link no longer works. Ask them if this is a mistake."
		d.About.Start = ""
	case errors.Is(err, core.ErrLinkExpired) || (e != nil && e.Code == core.EINVALID):
		d.Heading = "This link to " + title + " has expired"
		d.Message = "Personal links last a short while. Ask the bot for a new one."
		d.Ask = "/meet join " + m.ID
	case e != nil && e.Code == core.EENDED && e.EndedAt.IsZero():
		d.Heading, d.Over, d.WhenLabel = title+" no longer takes place then", true, "Was planned for"
		d.Message = "This link was for a time of the meeting that was skipped or changed; " + "it no longer takes place then."
		d.About.Start = core.FullTime(occ.Start, m.TimeZone)
	case e != nil && e.Code == core.EENDED:
		d.Heading, d.Over, d.WhenLabel = title+" is over", true, "Was"
		d.Message = "It ended at " + core.ClockTime(e.EndedAt, m.TimeZone, now) + "."
	default:
		d.Ask = "/meet join " + m.ID
	}
	if n := p.Next; n != nil {
		d.Next = &noticeNext{When: core.FullTime(n.Start, m.TimeZone), URL: n.URL}
	}
}

// icsName is the .ics download's file name, from the title: lower-case
// words joined by dashes ("design-review.ics"), "meeting-<id>.ics" when the
// title has no letters or digits.
func icsName(m *core.Meeting) string {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(m.Title), "-"), "-")
	if len(slug) > 60 {
		slug = strings.TrimRight(slug[:60], "-")
	}
	if slug == "" {
		slug = "meeting-" + fileSafe(m.ID)
	}
	return slug + ".ics"
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// icsDisposition is the .ics answer's Content-Disposition: the slug as the
// plain file name, and the title itself as the RFC 6266 UTF-8 name when it
// has characters a slug drops (accents, other scripts).
func icsDisposition(m *core.Meeting) string {
	v := `attachment; filename="` + icsName(m) + `"`
	if t := strings.TrimSpace(m.Title); t != "" && !isPlainASCII(t) {
		v += "; filename*=UTF-8''" + url.PathEscape(t+".ics")
	}
	return v
}

func isPlainASCII(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}
