package discord

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/internal/httpbody"
)

// Headers of a signed interaction request.
const (
	HeaderSignature = "X-Signature-Ed25519"
	HeaderTimestamp = "X-Signature-Timestamp"
)

// Verify checks an interaction request: the Ed25519 signature (hex, in
// X-Signature-Ed25519) of X-Signature-Timestamp followed by the raw body,
// and a timestamp within maxSkew of now. Discord's docs set no window;
// the check stops a captured request from being replayed later.
func Verify(pub ed25519.PublicKey, h http.Header, body []byte, now time.Time, maxSkew time.Duration) bool {
	ts := h.Get(HeaderTimestamp)
	sig, err := hex.DecodeString(h.Get(HeaderSignature))
	if err != nil || len(sig) != ed25519.SignatureSize || ts == "" || len(pub) != ed25519.PublicKeySize {
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > maxSkew {
		return false
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	return ed25519.Verify(pub, msg, sig)
}

// Sign returns the hex signature Discord would send for body at ts; tests
// and tools use it with a known private key.
func Sign(priv ed25519.PrivateKey, ts string, body []byte) string {
	return hex.EncodeToString(ed25519.Sign(priv, append([]byte(ts), body...)))
}

// serveHTTP handles POST /discord/interactions: capped body, signature
// checked before anything is parsed, then the same path as the gateway.
func (a *Adapter) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := httpbody.ReadCapped(w, r, a.opts.MaxBody)
	if !ok {
		return
	}
	if !Verify(a.pub, r.Header, body, a.opts.Now(), a.opts.MaxSkew) {
		a.log.Warn().Msg("discord interaction refused: bad or missing signature")
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	var i dg.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		http.Error(w, "not an interaction", http.StatusBadRequest)
		return
	}
	write := func(resp *dg.InteractionResponse) error {
		b, err := json.Marshal(resp)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		if _, err = w.Write(b); err != nil {
			return err
		}
		// Send it now: a deferred answer (type 5) must reach Discord
		// before the follow-up edit that the work may start at once.
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return nil
	}
	if i.Type == dg.InteractionPing {
		_ = write(&dg.InteractionResponse{Type: dg.InteractionResponsePong})
		return
	}
	a.answer(r.Context(), &i, signedKey(r.Header.Get(HeaderTimestamp), body), write)
}

// signedKey is the de-duplication key of a signed HTTP interaction: a
// hash of its timestamp and raw body, exactly the bytes the signature
// covers. It stands in for the interaction id when that is empty, so a
// replay of the same signed request is answered once.
func signedKey(ts string, body []byte) string {
	sum := sha256.New()
	sum.Write([]byte(ts))
	sum.Write([]byte{0})
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil)[:16])
}

// OnInteractionCreate is the gateway's INTERACTION_CREATE handler; it
// answers through the REST callback route, on the same path as HTTP.
func (a *Adapter) OnInteractionCreate(s *dg.Session, ic *dg.InteractionCreate) {
	if ic == nil || ic.Interaction == nil {
		return
	}
	i := ic.Interaction
	a.answer(context.Background(), i, "", func(resp *dg.InteractionResponse) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return a.rest(ctx, func(opts ...dg.RequestOption) error { return interactionRespond(s, i, resp, opts...) })
	})
}

// interactionRespond is Session.InteractionRespond without a lasting
// rate-limit bucket. discordgo keys that bucket by the callback URL,
// which holds the interaction's id and token, and never drops a bucket,
// so every interaction answered over the gateway would stay in memory,
// token included, for the life of the process. A callback is made once
// per interaction and is outside the global limit, so a bucket of its
// own, dropped afterwards, loses nothing.
func interactionRespond(s *dg.Session, i *dg.Interaction, resp *dg.InteractionResponse, opts ...dg.RequestOption) error {
	body, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	endpoint := dg.EndpointInteractionResponse(i.ID, i.Token)
	bucket := dg.NewRatelimiter().LockBucket(endpoint)
	_, err = s.RequestWithLockedBucket(http.MethodPost, endpoint, "application/json", body, bucket, 0, opts...)
	return err
}

// firstDelivery records the interaction id across replicas, so a guild
// whose gateway events reach two replicas is answered once. An
// interaction without an id is keyed by signed (see signedKey; "" over the
// gateway, whose connection is authenticated).
func (a *Adapter) firstDelivery(ctx context.Context, i *dg.Interaction, signed string) bool {
	key := "discord:" + i.ID
	if i.ID == "" {
		if signed == "" {
			return true
		}
		key = "discord-signed:" + signed
	}
	first, err := a.opts.Store.Once(ctx, key, a.opts.Now(), a.opts.DedupeTTL)
	if err != nil {
		a.log.Warn().Err(err).Msg("could not record a discord interaction; handling it anyway")
		return true
	}
	return first
}

// answer runs Handle and gives its response to respond within AckWait.
// Slower work is answered with a deferred ephemeral response (type 5; an
// empty choice list for autocomplete, which cannot be deferred) and
// finished by editing that response through the interaction's webhook.
func (a *Adapter) answer(ctx context.Context, i *dg.Interaction, signed string, respond func(*dg.InteractionResponse) error) {
	if i.AppID == "" {
		i.AppID = a.opts.ApplicationID
	}
	log := a.log.With().Str("guild", i.GuildID).Str("interaction", i.ID).Logger()
	if !a.enter() {
		_ = respond(ephemeralText("meetbot is restarting; try again in a moment."))
		return
	}
	// The counted section ends here unless the answer is handed to the
	// goroutine that finishes a deferred response.
	handedOff := false
	defer func() {
		if !handedOff {
			a.wg.Done()
		}
	}()
	if !a.firstDelivery(ctx, i, signed) {
		log.Info().Msg("discord interaction delivered again; answered once already")
		return
	}
	done := make(chan *dg.InteractionResponse, 1)
	base := context.WithoutCancel(ctx) // the work outlives an HTTP request
	a.wg.Go(func() {
		wctx, cancel := context.WithTimeout(base, a.opts.WorkTimeout)
		defer cancel()
		done <- a.handleSafely(wctx, i)
	})
	timer := time.NewTimer(a.opts.AckWait)
	defer timer.Stop()
	select {
	case resp := <-done:
		if err := respond(resp); err != nil {
			log.Warn().Str("error", describe(err)).Msg("could not answer a discord interaction")
		}
		return
	case <-timer.C:
	}
	if i.Type == dg.InteractionApplicationCommandAutocomplete {
		_ = respond(choices(nil))
		return
	}
	deferred := &dg.InteractionResponse{Type: dg.InteractionResponseDeferredChannelMessageWithSource,
		Data: &dg.InteractionResponseData{Flags: dg.MessageFlagsEphemeral}}
	if err := respond(deferred); err != nil {
		log.Warn().Str("error", describe(err)).Msg("could not defer a discord interaction")
		return
	}
	handedOff = true
	go func() {
		defer a.wg.Done()
		resp := <-done
		ctx, cancel := context.WithTimeout(context.Background(), a.opts.WorkTimeout)
		defer cancel()
		if err := a.finish(ctx, i, resp); err != nil {
			log.Error().Str("error", describe(err)).Msg("could not deliver a slow interaction's answer")
		}
	}()
}

// finish delivers resp after a deferral: the deferred (ephemeral) answer
// is edited to resp's text, and a public resp (a card that could not be
// posted on its own) follows as a public follow-up.
func (a *Adapter) finish(ctx context.Context, i *dg.Interaction, resp *dg.InteractionResponse) error {
	d := resp.Data
	if d == nil {
		d = &dg.InteractionResponseData{}
	}
	public := d.Flags&dg.MessageFlagsEphemeral == 0 && (len(d.Embeds) > 0 || len(d.Components) > 0)
	content := d.Content
	edit := &dg.WebhookEdit{Content: &content, AllowedMentions: noMentions()}
	if !public {
		embeds, comps := d.Embeds, d.Components
		if embeds == nil {
			embeds = []*dg.MessageEmbed{}
		}
		if comps == nil {
			comps = []dg.MessageComponent{}
		}
		edit.Embeds, edit.Components = &embeds, &comps
	} else if content == "" {
		content = "Done."
	}
	err := a.rest(ctx, func(opts ...dg.RequestOption) error {
		_, err := a.session.InteractionResponseEdit(i, edit, opts...)
		return err
	})
	if err != nil || !public {
		return err
	}
	return a.rest(ctx, func(opts ...dg.RequestOption) error {
		_, err := a.session.FollowupMessageCreate(i, false, &dg.WebhookParams{Embeds: d.Embeds, Components: d.Components, AllowedMentions: noMentions()}, opts...)
		return err
	})
}
