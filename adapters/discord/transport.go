package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/chatkit"
	"github.com/meetbot/meetbot/core"
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
	a.answer(r.Context(), &i, chatkit.SignedKey(r.Header.Get(HeaderTimestamp), body), write)
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
// interaction without an id is keyed by signed (chatkit.SignedKey; ""
// over the gateway, whose connection is authenticated). A store that
// cannot record it refuses it (chatkit.Dedupe.First's error), so it
// neither runs twice nor goes unanswered.
func (a *Adapter) firstDelivery(ctx context.Context, i *dg.Interaction, signed string) (bool, error) {
	key := "discord:" + i.ID
	if i.ID == "" {
		if signed == "" {
			return true, nil
		}
		key = "discord-signed:" + signed
	}
	return a.dedupe.First(ctx, key)
}

// answer runs Handle and gives its response to respond within AckWait.
// Slower work is answered with a deferred ephemeral response (type 5; an
// empty choice list for autocomplete, which cannot be deferred) and
// finished by editing that response through the interaction's webhook
// (chatkit.Answer).
func (a *Adapter) answer(ctx context.Context, i *dg.Interaction, signed string, respond func(*dg.InteractionResponse) error) {
	if i.AppID == "" {
		i.AppID = a.opts.ApplicationID
	}
	log := chatkit.RequestLogger(ctx, a.log.With().Str("guild", i.GuildID).Str("interaction", i.ID).Logger())
	autocomplete := i.Type == dg.InteractionApplicationCommandAutocomplete
	leave, ok := a.work.Enter()
	defer leave()
	if !ok {
		_ = respond(ephemeralText(chatkit.Restarting))
		return
	}
	if first, err := a.firstDelivery(ctx, i, signed); err != nil {
		log.Error().Err(err).Msg("could not record a discord interaction; refused it so it cannot run twice")
		refusal := ephemeralText(core.ErrorMessage(err))
		if autocomplete {
			refusal = choices(nil)
		}
		_ = respond(refusal)
		return
	} else if !first {
		log.Info().Msg("discord interaction delivered again; answered once already")
		return
	}
	deferred := func() bool {
		if autocomplete {
			_ = respond(choices(nil))
			return false
		}
		resp := &dg.InteractionResponse{Type: dg.InteractionResponseDeferredChannelMessageWithSource,
			Data: &dg.InteractionResponseData{Flags: dg.MessageFlagsEphemeral}}
		if err := respond(resp); err != nil {
			log.Warn().Str("error", describe(err)).Msg("could not defer a discord interaction")
			return false
		}
		return true
	}
	work := func(ctx context.Context) *dg.InteractionResponse { return a.handleSafely(ctx, i) }
	resp, inTime := chatkit.Answer(ctx, a.deadline, work, deferred, func(ctx context.Context, resp *dg.InteractionResponse) {
		if err := a.finish(ctx, i, resp); err != nil {
			log.Error().Str("error", describe(err)).Msg("could not deliver a slow interaction's answer")
		}
	})
	if !inTime {
		return
	}
	if err := respond(resp); err != nil {
		log.Warn().Str("error", describe(err)).Msg("could not answer a discord interaction")
	}
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
