package install

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/core"
)

// stateCookie binds an install to the browser that started it. It is sent
// only to the callback path, and SameSite=Lax still sends it on the
// top-level redirect back from slack.com.
const (
	stateCookie     = "meetbot_slack_oauth"
	stateCookiePath = "/slack/oauth/"
)

// onceStateKey is the OnceStore key that makes a state single-use.
func onceStateKey(nonce string) string { return "slack-oauth-state:" + nonce }

// serveInstall answers GET /slack/install with a redirect to Slack's
// consent page, carrying a fresh signed state whose nonce is also set in a
// cookie. Nothing is stored until the callback.
func (h *Handler) serveInstall(w http.ResponseWriter, r *http.Request) {
	if h.limited(w, r) {
		return
	}
	now := h.o.Now()
	state, nonce, err := newState(h.o.StateKey, now.Add(h.o.StateTTL))
	if err != nil {
		h.o.Logger.Error().Err(err).Msg("could not make an OAuth state")
		h.page(w, http.StatusInternalServerError, "Install failed",
			"meetbot could not start the install; please try the install link again.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: nonce, Path: stateCookiePath,
		MaxAge: int(h.o.StateTTL / time.Second), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
	q := url.Values{
		"client_id":    {h.o.ClientID},
		"scope":        {BotScopes},
		"state":        {state},
		"redirect_uri": {h.redirectURI},
	}
	w.Header().Set("Cache-Control", "no-store")
	noFraming(w)
	http.Redirect(w, r, h.o.AuthorizeURL+"?"+q.Encode(), http.StatusFound)
}

// serveCallback answers GET /slack/oauth/callback: it checks the state
// (signature, expiry, cookie, single use) before the code is exchanged,
// then stores the bot token sealed under the workspace.
func (h *Handler) serveCallback(w http.ResponseWriter, r *http.Request) {
	if h.limited(w, r) {
		return
	}
	// The state cookie has done its job whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: stateCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	// The URL holds the one-time code: keep it out of caches and referrers.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	again := "try the install link again: " + h.o.PublicURL + InstallPath
	now := h.o.Now()
	code, ok := h.checkCallback(w, r, now, again)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	res, ok := h.exchangeCode(ctx, w, code, again)
	if !ok {
		return
	}
	h.saveInstall(ctx, w, res, now, again)
}

// checkCallback returns the callback's code once its state is shown to be
// meetbot's own, unexpired, from this browser and unused; otherwise it
// answers the page saying why and returns false.
func (h *Handler) checkCallback(w http.ResponseWriter, r *http.Request, now time.Time, again string) (string, bool) {
	log := h.o.Logger
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			h.page(w, http.StatusOK, "Install cancelled",
				"Install cancelled: meetbot was not added to your workspace. To add it later, "+again+".")
			return "", false
		}
		log.Warn().Str("slack_error", trimFor(e)).Msg("slack refused the install")
		h.page(w, http.StatusBadRequest, "Install failed", "Slack did not complete the install; "+again+".")
		return "", false
	}
	state, code := q.Get("state"), q.Get("code")
	if state == "" || code == "" {
		h.page(w, http.StatusBadRequest, "Install failed",
			"This page was opened without what Slack adds to it; "+again+".")
		return "", false
	}
	nonce, err := checkState(h.o.StateKey, state, now)
	switch {
	case errors.Is(err, errStateExpired):
		log.Info().Msg("oauth callback with an expired state")
		h.page(w, http.StatusBadRequest, "Install link expired",
			"This install took longer than 10 minutes and has expired; "+again+".")
		return "", false
	case err != nil:
		log.Warn().Err(err).Msg("oauth callback refused")
		h.page(w, http.StatusForbidden, "Install failed",
			"This install link is not valid; "+again+".")
		return "", false
	}
	c, err := r.Cookie(stateCookie)
	if err != nil || !sameNonce(nonce, c.Value) {
		log.Warn().Msg("oauth callback refused: state cookie missing or different")
		h.page(w, http.StatusForbidden, "Install failed",
			"This install was started in another browser, or cookies are blocked; "+again+" in this browser.")
		return "", false
	}
	fresh, err := h.o.Once.Once(r.Context(), onceStateKey(nonce), now, h.o.StateTTL)
	if err != nil {
		log.Error().Err(err).Msg("could not record an OAuth state")
		h.page(w, http.StatusServiceUnavailable, "Install failed",
			"meetbot could not finish the install just now; "+again+".")
		return "", false
	}
	if !fresh {
		log.Warn().Msg("oauth callback refused: state already used")
		h.page(w, http.StatusForbidden, "Install failed",
			"This install link was already used; "+again+".")
		return "", false
	}
	return code, true
}

// exchangeCode trades the code for a bot token (oauth.v2.access) and
// returns Slack's answer when it is a usable single-workspace install;
// otherwise it answers the page saying why and returns false.
func (h *Handler) exchangeCode(ctx context.Context, w http.ResponseWriter, code, again string) (*slackapi.OAuthV2Response, bool) {
	log := h.o.Logger
	res, err := slackapi.GetOAuthV2ResponseContext(ctx, h.o.HTTPClient, h.o.ClientID, h.o.ClientSecret, code,
		h.redirectURI, slackapi.OAuthOptionAPIURL(h.o.APIURL))
	if err != nil {
		if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok {
			// Slack answered ok:false (invalid_code, bad_redirect_uri, …).
			log.Warn().Str("slack_error", trimFor(se.Err)).Msg("oauth.v2.access refused the code")
			h.page(w, http.StatusBadRequest, "Install failed",
				"Slack did not accept this install (it may have expired); "+again+".")
			return nil, false
		}
		log.Error().Err(err).Msg("oauth.v2.access failed")
		h.page(w, http.StatusBadGateway, "Install failed",
			"meetbot could not reach Slack to finish the install; "+again+" in a minute.")
		return nil, false
	}
	if res.IsEnterpriseInstall {
		log.Warn().Str("enterprise", res.Enterprise.ID).Msg("organisation-wide install refused")
		h.page(w, http.StatusForbidden, "Install not supported",
			"meetbot cannot be installed for a whole Enterprise Grid organisation; install it into each workspace instead from "+h.o.PublicURL+InstallPath+".")
		return nil, false
	}
	if res.AccessToken == "" || res.TokenType != "bot" || !validID(res.Team.ID) {
		log.Error().Str("token_type", trimFor(res.TokenType)).Str("team", trimFor(res.Team.ID)).Msg("oauth.v2.access returned no usable bot token")
		h.page(w, http.StatusBadRequest, "Install failed",
			"Slack did not return a bot token for this install; "+again+".")
		return nil, false
	}
	return res, true
}

// saveInstall stores the installation with its bot token sealed, and
// answers the page that says so.
func (h *Handler) saveInstall(ctx context.Context, w http.ResponseWriter, res *slackapi.OAuthV2Response, now time.Time, again string) {
	log := h.o.Logger
	team := res.Team.ID
	if missing := missingScopes(res.Scope); len(missing) > 0 {
		log.Warn().Str("team", team).Strs("missing", missing).Msg("install granted fewer scopes than meetbot asks for")
	}
	err := h.o.Tokens.save(ctx, core.Installation{
		Workspace:   workspace(team),
		BotUserID:   res.BotUserID,
		Scopes:      res.Scope,
		InstalledBy: res.AuthedUser.ID,
		InstalledAt: now.UTC(),
	}, res.AccessToken)
	if err != nil {
		log.Error().Err(err).Str("team", team).Msg("could not store an installation")
		h.page(w, http.StatusServiceUnavailable, "Install failed",
			"meetbot could not save the install; "+again+".")
		return
	}
	log.Info().Str("team", team).Str("installed_by", res.AuthedUser.ID).Msg("slack workspace installed")
	name := res.Team.Name
	if name == "" {
		name = team
	}
	h.page(w, http.StatusOK, "meetbot is installed",
		"meetbot is installed in "+name+". Type /meet help in any channel to get started.")
}

// missingScopes lists the scopes of BotScopes that granted lacks.
func missingScopes(granted string) []string {
	have := map[string]bool{}
	for s := range strings.SplitSeq(granted, ",") {
		have[strings.TrimSpace(s)] = true
	}
	var out []string
	for s := range strings.SplitSeq(BotScopes, ",") {
		if !have[s] {
			out = append(out, s)
		}
	}
	return out
}

// validID reports whether s looks like a Slack id (T…, E…): upper-case
// letters and digits, short. It keeps junk out of store keys and logs.
func validID(s string) bool {
	if len(s) < 2 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// trimFor shortens a value from outside before it is logged.
func trimFor(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// pageTmpl is every page of the install flow: one heading, one sentence.
// html/template escapes both, so a workspace name cannot inject markup.
var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#1d1c1d}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

// page writes one of the flow's plain pages with status.
func (h *Handler) page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	noFraming(w)
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, struct{ Title, Text string }{title, text}); err != nil {
		h.o.Logger.Debug().Err(err).Msg("could not write a page")
	}
}

// noFraming forbids other sites to frame the install flow's pages
// (clickjacking an admin into installing): CSP frame-ancestors for
// current browsers, X-Frame-Options for older ones.
func noFraming(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
}
