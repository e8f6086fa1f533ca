package sandbox

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Webhook event names, as RealtimeKit spells them (the SDK's
// WebhookNewWebhookParamsEvent values).
const (
	EventMeetingStarted    = "meeting.started"
	EventMeetingEnded      = "meeting.ended"
	EventParticipantJoined = "meeting.participantJoined"
	EventParticipantLeft   = "meeting.participantLeft"
	EventChatSynced        = "meeting.chatSynced"
	EventRecordingStatus   = "recording.statusUpdate"
	EventLivestreamStatus  = "livestreaming.statusUpdate"
	EventTranscript        = "meeting.transcript"
	EventSummary           = "meeting.summary"
)

var knownEvents = []string{
	EventMeetingStarted, EventMeetingEnded, EventParticipantJoined, EventParticipantLeft, EventChatSynced,
	EventRecordingStatus, EventLivestreamStatus, EventTranscript, EventSummary,
}

// Delivery retries: a 5xx or a network error is retried, anything else
// is final, as RealtimeKit documents. The back-off is short: the sandbox
// serves local mode and tests.
const (
	deliveryAttempts = 4
	deliveryBackoff  = 100 * time.Millisecond
	deliveryTimeout  = 5 * time.Second
)

type webhookCfg struct {
	ID        string
	Name      string
	URL       string
	Events    []string
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (h *webhookCfg) json() map[string]any {
	return map[string]any{
		"id": h.ID, "name": h.Name, "url": h.URL, "events": nonNil(slices.Clone(h.Events)), "enabled": h.Enabled,
		"created_at": isoTime(h.CreatedAt), "updated_at": isoTime(h.UpdatedAt),
	}
}

// WebhookInfo is what tests can see of a registered webhook.
type WebhookInfo struct {
	ID, Name, URL string
	Events        []string
	Enabled       bool
}

// Webhooks returns the registered webhooks, oldest first.
func (s *Server) Webhooks() []WebhookInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []WebhookInfo
	for _, h := range s.webhooks {
		out = append(out, WebhookInfo{ID: h.ID, Name: h.Name, URL: h.URL, Events: slices.Clone(h.Events), Enabled: h.Enabled})
	}
	return out
}

// Delivery is one webhook delivery the sandbox made, for tests.
type Delivery struct {
	Event     string
	WebhookID string
	UUID      string
	Status    int // last HTTP status, 0 after a network error
	Attempts  int
}

// Deliveries returns the finished deliveries in the order they were made.
func (s *Server) Deliveries() []Delivery {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	return slices.Clone(s.delivered)
}

// WaitDeliveries blocks until every webhook emitted so far was delivered
// (or given up), so a test can look at the receiver's side afterwards.
func (s *Server) WaitDeliveries(ctx context.Context) error {
	for {
		s.hookMu.Lock()
		idle := len(s.outbox) == 0 && !s.sending
		ch := s.idle
		s.hookMu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// outgoing is one signed delivery waiting to be sent.
type outgoing struct {
	event, webhookID, url, uuid string
	body                        []byte
}

// signingKey returns the webhook signing key, making it on first use
// (RSA generation is slow and most sandboxes never send a webhook).
func (s *Server) signingKey() *rsa.PrivateKey {
	s.keyOnce.Do(func() {
		if s.whKey != nil {
			return
		}
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("sandbox: generate webhook key: " + err.Error())
		}
		s.whKey = k
	})
	return s.whKey
}

// serveWellKnown answers GET /.well-known/webhooks.json with the public
// key in RealtimeKit's document shape.
func (s *Server) serveWellKnown(w http.ResponseWriter, _ *http.Request) {
	der, err := x509.MarshalPKIXPublicKey(&s.signingKey().PublicKey)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode key")
		return
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": map[string]string{"publicKey": pemText}, "message": ""})
}

// emitLocked builds event's payload for meeting m (session ss, peer p,
// extra top-level fields) and queues one signed delivery per enabled
// webhook subscribed to it. Callers hold s.mu; sending happens outside it.
func (s *Server) emitLocked(event string, m *meeting, ss *session, p *peer, extra map[string]any) {
	var targets []*webhookCfg
	for _, h := range s.webhooks {
		if h.Enabled && slices.Contains(h.Events, event) {
			targets = append(targets, h)
		}
	}
	if len(targets) == 0 {
		return
	}
	body := map[string]any{"event": event}
	if m != nil {
		body["meeting"] = meetingPayload(m, ss)
	}
	if p != nil {
		pp := map[string]any{"peerId": p.ID, "userDisplayName": p.Name, "customParticipantId": p.CustomID,
			"clientSpecificId": p.CustomID, "joinedAt": isoTime(p.JoinedAt)}
		if !p.LeftAt.IsZero() {
			pp["leftAt"] = isoTime(p.LeftAt)
		}
		body["participant"] = pp
	}
	for k, v := range extra {
		body[k] = v
	}
	raw, err := json.Marshal(body)
	if err != nil {
		s.log.Error().Err(err).Msg("sandbox webhook not encoded")
		return
	}
	s.hookMu.Lock()
	for _, h := range targets {
		s.outbox = append(s.outbox, outgoing{event: event, webhookID: h.ID, url: h.URL, uuid: newUUID(), body: raw})
	}
	if !s.sending {
		s.sending = true
		go s.sendAll()
	}
	s.hookMu.Unlock()
}

func meetingPayload(m *meeting, ss *session) map[string]any {
	mp := map[string]any{"id": m.ID, "title": m.Title, "roomName": m.ID, "status": "LIVE",
		"createdAt": isoTime(m.CreatedAt), "organizedBy": map[string]string{"id": "sandbox", "name": "sandbox"}}
	if ss != nil {
		mp["sessionId"] = ss.ID
		mp["startedAt"] = isoTime(ss.StartedAt)
		if !ss.EndedAt.IsZero() {
			mp["endedAt"] = isoTime(ss.EndedAt)
			mp["status"] = "ENDED"
		}
	}
	return mp
}

// sendAll delivers the outbox in order, one at a time, and stops when it
// is empty (the next emit starts it again), so no goroutine outlives the
// work.
func (s *Server) sendAll() {
	for {
		s.hookMu.Lock()
		if len(s.outbox) == 0 {
			s.sending = false
			close(s.idle)
			s.idle = make(chan struct{})
			s.hookMu.Unlock()
			return
		}
		o := s.outbox[0]
		s.outbox = s.outbox[1:]
		s.hookMu.Unlock()
		d := s.deliver(o)
		s.hookMu.Lock()
		s.delivered = append(s.delivered, d)
		s.hookMu.Unlock()
	}
}

// deliver POSTs one signed delivery, retrying a 5xx or a network error.
func (s *Server) deliver(o outgoing) Delivery {
	d := Delivery{Event: o.event, WebhookID: o.webhookID, UUID: o.uuid}
	digest := sha256.Sum256(o.body)
	sig, err := rsa.SignPKCS1v15(nil, s.signingKey(), crypto.SHA256, digest[:])
	if err != nil {
		s.log.Error().Err(err).Msg("sandbox webhook not signed")
		return d
	}
	for d.Attempts < deliveryAttempts {
		if d.Attempts > 0 {
			time.Sleep(deliveryBackoff << (d.Attempts - 1))
		}
		d.Attempts++
		d.Status = s.post(o, base64.StdEncoding.EncodeToString(sig))
		if d.Status != 0 && d.Status < 500 {
			break
		}
	}
	s.log.Debug().Str("event", o.event).Int("status", d.Status).Int("attempts", d.Attempts).Msg("sandbox webhook delivered")
	return d
}

func (s *Server) post(o outgoing, sig string) int {
	ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.url, bytes.NewReader(o.body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("rtk-signature", sig)
	req.Header.Set("rtk-uuid", o.uuid)
	req.Header.Set("rtk-webhook-id", o.webhookID)
	s.hookMu.Lock()
	client := s.hookClient
	s.hookMu.Unlock()
	res, err := client.Do(req)
	if err != nil {
		return 0
	}
	_ = res.Body.Close()
	return res.StatusCode
}

// webhookBody is the create/edit/replace body. Pointers tell "absent"
// from "empty", which PATCH needs.
type webhookBody struct {
	Name    *string   `json:"name"`
	URL     *string   `json:"url"`
	Events  *[]string `json:"events"`
	Enabled *bool     `json:"enabled"`
}

// check validates the fields present; all says every required field
// (name, url, events) must be there (POST, PUT).
func (b *webhookBody) check(all bool) string {
	if all && (b.Name == nil || b.URL == nil || b.Events == nil) {
		return "name, url and events are required"
	}
	if b.Name != nil && *b.Name == "" {
		return "name must not be empty"
	}
	if b.URL != nil {
		u, err := url.Parse(*b.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "url must be an absolute http(s) URL"
		}
	}
	if b.Events != nil {
		if len(*b.Events) == 0 {
			return "events must name at least one event"
		}
		for _, e := range *b.Events {
			if !slices.Contains(knownEvents, e) {
				return "unknown event " + e
			}
		}
	}
	return ""
}

func (b *webhookBody) apply(h *webhookCfg) {
	if b.Name != nil {
		h.Name = *b.Name
	}
	if b.URL != nil {
		h.URL = *b.URL
	}
	if b.Events != nil {
		h.Events = slices.Compact(slices.Sorted(slices.Values(*b.Events)))
	}
	if b.Enabled != nil {
		h.Enabled = *b.Enabled
	}
}

// createWebhook handles POST /webhooks. enabled defaults to true.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var b webhookBody
	if !decodeBody(w, r, &b) {
		return
	}
	if msg := b.check(true); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	now := s.now().UTC()
	h := &webhookCfg{ID: newUUID(), Enabled: true, CreatedAt: now, UpdatedAt: now}
	b.apply(h)
	s.mu.Lock()
	s.webhooks = append(s.webhooks, h)
	out := h.json()
	s.mu.Unlock()
	writeData(w, http.StatusCreated, out)
}

// listWebhooks handles GET /webhooks: all of them, no paging (as the SDK's
// WebhookGetWebhooksResponse has none).
func (s *Server) listWebhooks(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := make([]map[string]any, 0, len(s.webhooks))
	for _, h := range s.webhooks {
		out = append(out, h.json())
	}
	s.mu.Unlock()
	writeData(w, http.StatusOK, out)
}

// findWebhook returns the webhook named by the path or answers 404.
// Callers hold s.mu.
func (s *Server) findWebhook(w http.ResponseWriter, r *http.Request) (int, bool) {
	i := slices.IndexFunc(s.webhooks, func(h *webhookCfg) bool { return h.ID == r.PathValue("webhook") })
	if i < 0 {
		writeError(w, http.StatusNotFound, "webhook not found")
	}
	return i, i >= 0
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.findWebhook(w, r); ok {
		writeData(w, http.StatusOK, s.webhooks[i].json())
	}
}

// editWebhook handles PATCH (some fields) and PUT (all required fields).
func (s *Server) editWebhook(w http.ResponseWriter, r *http.Request) {
	var b webhookBody
	if !decodeBody(w, r, &b) {
		return
	}
	if msg := b.check(r.Method == http.MethodPut); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.findWebhook(w, r)
	if !ok {
		return
	}
	b.apply(s.webhooks[i])
	s.webhooks[i].UpdatedAt = s.now().UTC()
	writeData(w, http.StatusOK, s.webhooks[i].json())
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.findWebhook(w, r)
	if !ok {
		return
	}
	out := s.webhooks[i].json()
	s.webhooks = slices.Delete(s.webhooks, i, i+1)
	writeData(w, http.StatusOK, out)
}

// hookState is the part of a Server that sends webhooks; it has a lock of
// its own so sending never holds s.mu.
type hookState struct {
	hookClient *http.Client
	keyOnce    sync.Once
	whKey      *rsa.PrivateKey

	hookMu    sync.Mutex
	outbox    []outgoing
	sending   bool
	idle      chan struct{} // closed (and replaced) each time sending stops
	delivered []Delivery
}

// SetWebhookClient replaces the client webhooks are sent with (tests route
// it to an in-process receiver). Call it before any webhook is emitted.
func (s *Server) SetWebhookClient(c *http.Client) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.hookClient = c
}
