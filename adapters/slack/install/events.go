package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/slack-go/slack/slackevents"

	"github.com/meetbot/meetbot/adapters/slack/signature"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/httpbody"
)

// onceEventKey is the OnceStore key of one event delivery. Slack's event
// ids are short; an absurd one is hashed to stay within store limits.
func onceEventKey(id string) string {
	if len(id) > 128 {
		sum := sha256.Sum256([]byte(id))
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	return "slack-event:" + id
}

// serveEvents answers POST /slack/events: the body is capped and its
// signature checked before anything is parsed.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := httpbody.ReadCapped(w, r, h.o.MaxBody)
	if !ok {
		return
	}
	if err := signature.Verify(h.o.SigningSecret, r.Header, body, h.o.Now()); err != nil {
		h.o.Logger.Warn().Err(err).Str("route", EventsPath).Msg("slack request refused")
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if n := r.Header.Get(signature.HeaderRetryNum); n != "" {
		// Slack's retry of a delivery; HandleEvent acts on each event id once.
		h.o.Logger.Debug().Str("retry", trimFor(n)).Str("reason", trimFor(r.Header.Get("X-Slack-Retry-Reason"))).Msg("slack event retried")
	}
	resp, err := h.HandleEvent(r.Context(), body)
	if err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			http.Error(w, core.ErrorMessage(err), http.StatusBadRequest)
			return
		}
		h.o.Logger.Error().Err(err).Msg("slack event failed")
		http.Error(w, "meetbot could not handle this event; Slack will retry it", http.StatusInternalServerError)
		return
	}
	if resp != nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(resp)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// eventPeek is the little of an events body needed to decide what to do
// before slack-go parses it: slack-go refuses inner event types it does not
// know, and those must be acknowledged and ignored, not refused.
type eventPeek struct {
	Type      string `json:"type"`
	TeamID    string `json:"team_id"`
	EventID   string `json:"event_id"`
	EventTime int64  `json:"event_time"`
	Event     struct {
		Type string `json:"type"`
	} `json:"event"`
}

// HandleEvent acts on one Events API body whose signature was already
// checked (by POST /slack/events, or by Socket Mode's connection). It
// returns the body to answer with (url_verification's challenge, as JSON)
// or nil for an empty 200. app_uninstalled, and tokens_revoked that lists
// bot tokens, forget the workspace's token and call OnUninstall, once per
// event id however often Slack retries. Other events are ignored. A body
// that is not an event gives an EINVALID *core.Error; a store failure
// gives another error, and Slack's retry of that delivery acts again
// (unless the workspace was reinstalled after the event).
func (h *Handler) HandleEvent(ctx context.Context, body []byte) ([]byte, error) {
	var p eventPeek
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, core.Wrap(core.EINVALID, err, "This is not a Slack event: the body is not a JSON object.")
	}
	switch p.Type {
	case slackevents.URLVerification:
	case slackevents.CallbackEvent:
		if p.Event.Type != string(slackevents.AppUninstalled) && p.Event.Type != string(slackevents.TokensRevoked) {
			return nil, nil
		}
	case slackevents.AppRateLimited:
		h.o.Logger.Warn().Str("team", trimFor(p.TeamID)).Msg("slack is rate-limiting meetbot's event subscriptions")
		return nil, nil
	default:
		return nil, nil
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		return nil, core.Wrap(core.EINVALID, err, "This Slack event could not be read.")
	}
	if v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent); ok {
		if v.Challenge == "" {
			return nil, core.Errorf(core.EINVALID, "This url_verification request has no challenge.")
		}
		return json.Marshal(struct {
			Challenge string `json:"challenge"`
		}{v.Challenge})
	}
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.AppUninstalledEvent:
	case *slackevents.TokensRevokedEvent:
		if len(inner.Tokens.Bot) == 0 {
			return nil, nil // only user tokens: meetbot keeps none
		}
	default:
		return nil, nil
	}
	team := ev.TeamID
	if !validID(team) {
		return nil, core.Errorf(core.EINVALID, "This Slack event names no valid workspace.")
	}
	handled, err := h.alreadyHandled(ctx, team, p)
	if err != nil || handled {
		return nil, err
	}
	return nil, h.uninstall(ctx, team, ev.InnerEvent.Type)
}

// alreadyHandled records the event id and says whether an earlier delivery
// of the same event already acted on it, so Slack's retries do not call
// OnUninstall again. An event without an id cannot be deduplicated and is
// always acted on.
func (h *Handler) alreadyHandled(ctx context.Context, team string, p eventPeek) (bool, error) {
	if p.EventID == "" {
		return false, nil
	}
	fresh, err := h.o.Once.Once(ctx, onceEventKey(p.EventID), h.o.Now(), h.o.DedupeTTL)
	if err != nil {
		return false, fmt.Errorf("install: record event %s: %w", trimFor(p.EventID), err)
	}
	if fresh {
		return false, nil
	}
	// Seen before. Act again only when the first attempt did not
	// finish (the store failed, Slack was answered 500 and
	// retried): the token it should have deleted is still there
	// and older than the event. A token installed after the event
	// is a reinstall and is kept.
	stale, err := h.o.Tokens.installedBefore(ctx, team, p.EventTime)
	if err != nil {
		return false, err
	}
	if !stale {
		h.o.Logger.Debug().Str("team", team).Msg("slack event delivered again; already handled")
		return true, nil
	}
	h.o.Logger.Info().Str("team", team).Msg("slack event delivered again after a failed attempt; acting on it")
	return false, nil
}

// uninstall forgets the workspace's token and tells OnUninstall, because
// the app was removed or its bot token revoked and every later call with
// that token would fail. evType names the event in the log.
func (h *Handler) uninstall(ctx context.Context, team, evType string) error {
	if err := h.o.Tokens.Forget(ctx, team); err != nil {
		return err
	}
	if h.o.OnUninstall != nil {
		h.o.OnUninstall(ctx, team)
	}
	if h.o.Tokens.Static() {
		// Nothing was stored, so nothing was forgotten: the token lives in
		// the configuration, and only the operator can remove it there.
		h.o.Logger.Warn().Str("team", team).Str("event", evType).
			Msg("slack app uninstalled or its token revoked; slack.bot_token in the configuration no longer works, remove or replace it")
		return nil
	}
	h.o.Logger.Info().Str("team", team).Str("event", evType).Msg("slack workspace token forgotten")
	return nil
}
