package sandbox

import (
	"html/template"
	"net/http"
	"net/url"
)

// ClientHandler is the sandbox's stand-in for RealtimeKit's client: a page
// where a person "enters" and "leaves" a room, which makes the sandbox
// emit the webhooks RealtimeKit would. It is served by the sandbox itself
// and, in local mode, mounted on meetbot's web server (same origin as the
// join page, which links to it):
//
//	GET  /sandbox/rtk/room?meeting=M&participant=P   the room as P sees it
//	POST /sandbox/rtk/enter   meeting, participant   enter from a new device
//	POST /sandbox/rtk/leave   meeting, participant, peer
//
// It needs no API token: it plays a participant's browser, and knowing the
// participant id is what the token would prove. Never mount it outside
// local mode.
func (s *Server) ClientHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/rtk/room", s.clientRoom)
	mux.HandleFunc("POST /sandbox/rtk/enter", s.clientEnter)
	mux.HandleFunc("POST /sandbox/rtk/leave", s.clientLeave)
	return mux
}

var clientPage = template.Must(template.New("room").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}} (sandbox room)</title></head>
<body><main>
<h1>{{.Title}}</h1>
<p>Sandbox room: entering and leaving here sends the webhooks RealtimeKit would send.</p>
{{with .Error}}<p><strong>{{.}}</strong></p>{{end}}
<p>{{.Live}} in the room.</p>
<form method="post" action="/sandbox/rtk/enter">
<input type="hidden" name="meeting" value="{{.Meeting}}"><input type="hidden" name="participant" value="{{.Participant}}">
<button type="submit">Enter as {{.Name}}</button></form>
{{range .Peers}}<form method="post" action="/sandbox/rtk/leave">
<input type="hidden" name="meeting" value="{{$.Meeting}}"><input type="hidden" name="participant" value="{{$.Participant}}">
<input type="hidden" name="peer" value="{{.}}"><button type="submit">Leave (device {{.}})</button></form>
{{end}}</main></body></html>
`))

type clientData struct {
	Title, Meeting, Participant, Name, Error string
	Live                                     int
	Peers                                    []string // this participant's live peers
}

func (s *Server) clientRoom(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := clientData{Meeting: q.Get("meeting"), Participant: q.Get("participant"), Error: q.Get("error")}
	s.mu.Lock()
	m, ok := s.meetings[d.Meeting]
	var p *participant
	if ok {
		p = m.participants[d.Participant]
	}
	if ok && p != nil {
		d.Title, d.Name = m.Title, p.Name
		if m.session != nil {
			d.Live = len(m.session.live)
			for _, pr := range m.session.peers {
				if pr.ParticipantID == p.ID && pr.LeftAt.IsZero() {
					d.Peers = append(d.Peers, pr.ID)
				}
			}
		}
	}
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "no such meeting or participant", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Type", "text/html; charset=utf-8")
	if err := clientPage.Execute(w, d); err != nil {
		s.log.Error().Err(err).Msg("sandbox room page not rendered")
	}
}

func (s *Server) clientEnter(w http.ResponseWriter, r *http.Request) {
	meeting, participant := r.PostFormValue("meeting"), r.PostFormValue("participant")
	_, err := s.EnterRoom(meeting, participant)
	s.backToRoom(w, r, meeting, participant, err)
}

func (s *Server) clientLeave(w http.ResponseWriter, r *http.Request) {
	meeting, participant := r.PostFormValue("meeting"), r.PostFormValue("participant")
	err := s.LeaveRoom(meeting, r.PostFormValue("peer"))
	s.backToRoom(w, r, meeting, participant, err)
}

// backToRoom answers a form post with a redirect to the room page (so a
// reload does not post again), carrying the error if there was one.
func (s *Server) backToRoom(w http.ResponseWriter, r *http.Request, meeting, participant string, err error) {
	q := url.Values{"meeting": {meeting}, "participant": {participant}}
	if err != nil {
		q.Set("error", err.Error())
	}
	http.Redirect(w, r, "/sandbox/rtk/room?"+q.Encode(), http.StatusSeeOther)
}
