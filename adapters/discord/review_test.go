package discord_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/chatkit/chatkittest"
	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestMissingPermissionsStopsOnce: a channel where the bot may no longer
// send (403, code 50013 Missing Permissions) is treated like a lost one:
// reminders return nil instead of an error the scheduler would retry, one
// log line names it, and later reminders do not call Discord again.
func TestMissingPermissionsStopsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.api.mu.Lock()
	h.api.fail["POST /channels/C1/messages"] = apiErr{Status: http.StatusForbidden, Code: 50013}
	h.api.mu.Unlock()
	before := len(h.api.Calls(http.MethodPost, "/channels/C1/messages"))
	for range 3 {
		if ref, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil || ref != "" {
			t.Fatalf("remind: %q %v", ref, err)
		}
	}
	if n := len(h.api.Calls(http.MethodPost, "/channels/C1/messages")) - before; n != 1 {
		t.Fatalf("%d posts to the channel, want 1", n)
	}
	if n := strings.Count(h.env.Logs.String(), "lost access"); n != 1 {
		t.Fatalf("%d log lines:\n%s", n, h.env.Logs.String())
	}
}

// TestGlobalRateLimitHoldsEveryRoute: after a global 429 (which carries
// no bucket headers, so discordgo holds no other route) no other REST
// route is called until it expires: a card edit fails at once without
// reaching Discord. Interaction
// responses, which the global limit does not cover, still go through.
func TestGlobalRateLimitHoldsEveryRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.api.mu.Lock()
	h.api.limited["/channels/C1/messages"], h.api.retry, h.api.global = 1, 60, true
	h.api.mu.Unlock()
	_, err := h.adapter.Remind(context.Background(), h.reminder(t, "1"))
	if e, ok := core.AsError(err); !ok || e.Code != core.EUNAVAILABLE || e.RetryAfter < 50*time.Second {
		t.Fatalf("remind: %v", err)
	}
	m := h.reminder(t, "1").Meeting
	err = h.adapter.UpdateCard(context.Background(), m, core.CardRSVP)
	if err == nil {
		t.Fatal("card edit during a global limit: no error")
	}
	if edits := h.api.Calls(http.MethodPatch, "/channels/"); len(edits) != 0 {
		t.Fatalf("a route was called during the global limit: %+v", edits)
	}
	i := h.interaction(guildA, "U1", "list")
	h.adapter.OnInteractionCreate(h.adapter.Session(), &dg.InteractionCreate{Interaction: i})
	h.adapter.Wait()
	if cb := h.api.Calls(http.MethodPost, "/interactions/"+i.ID+"/"); len(cb) != 1 {
		t.Fatalf("interaction callbacks: %d", len(cb))
	}
}

// TestShortGlobalRateLimitWaitedOut: a global 429 with a short wait is
// waited out and the post then goes through once. The adapter holds every
// call until the global limit's reset, read on Options.Now, so the test's
// Sleep moves that clock by the wait it records instead of spending it: a
// retry that did not wait the whole 200 ms would be held, and reach
// Discord only once.
func TestShortGlobalRateLimitWaitedOut(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Now())
	var waited chatkittest.Sleeps
	h := newHarness(t, func(o *discord.Options) {
		o.Now = clock.Now
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			clock.Advance(d)
			return waited.Sleep(ctx, d)
		}
	})
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.api.mu.Lock()
	h.api.limited["/channels/C1/messages"], h.api.retry, h.api.global = 1, 0.2, true
	h.api.mu.Unlock()
	before := len(h.api.Calls(http.MethodPost, "/channels/C1/messages"))
	if ref, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil || ref == "" {
		t.Fatalf("remind: %q %v", ref, err)
	}
	if posts := h.api.Calls(http.MethodPost, "/channels/C1/messages")[before:]; len(posts) != 2 {
		t.Fatalf("%d attempts reached Discord, want the limited one and one after the wait", len(posts))
	}
	var total time.Duration
	for _, d := range waited.All() {
		total += d
	}
	if total < 200*time.Millisecond || total > 2*time.Second {
		t.Fatalf("waited %v in all (%v), want the 200 ms Discord asked for", total, waited.All())
	}
}

// TestGatewayAnswersForgetTheirTokens: discordgo keeps a rate-limit
// bucket per key for the life of the session, and its InteractionRespond
// keys the bucket by the callback URL, which holds the interaction's
// token. Answering many gateway interactions must not grow the session's
// buckets or keep any token in them.
func TestGatewayAnswersForgetTheirTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var tokens []string
	for range 20 {
		i := h.interaction(guildA, "U1", "help")
		tokens = append(tokens, i.Token)
		h.adapter.OnInteractionCreate(h.adapter.Session(), &dg.InteractionCreate{Interaction: i})
	}
	h.adapter.Wait()
	if cb := h.api.Calls(http.MethodPost, "/interactions/"); len(cb) != 20 {
		t.Fatalf("%d callbacks", len(cb))
	}
	buckets := reflect.ValueOf(h.adapter.Session().Ratelimiter).Elem().FieldByName("buckets")
	if buckets.Len() > 2 {
		t.Errorf("%d rate-limit buckets kept after 20 interactions", buckets.Len())
	}
	for _, k := range buckets.MapKeys() {
		for _, tok := range tokens {
			if strings.Contains(k.String(), tok) {
				t.Fatalf("a bucket key holds an interaction token: %s", k.String())
			}
		}
	}
}

// panicky is a notifier whose card redraw panics, standing in for any
// bug below the adapter.
type panicky struct{ *discord.Adapter }

func (panicky) UpdateCard(context.Context, *core.Meeting, core.CardEvent) error {
	panic("card keeper exploded")
}

// TestPanicInWorkIsAnswered: a panic while an interaction is worked on
// (in a goroutine of the adapter's, where nothing else would recover it
// and the whole bot would die) becomes a plain ephemeral answer and one
// log line.
func TestPanicInWorkIsAnswered(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.env.Service.SetNotifier(panicky{h.adapter})
	r := h.send(t, h.clickOn(guildA, "U2", "mb:yes:1"))
	if !r.ephemeral() || r.Data.Content == "" || r.Data.AllowedMentions == nil {
		t.Fatalf("answer: %s", r.raw)
	}
	if n := strings.Count(h.env.Logs.String(), "card keeper exploded"); n != 1 {
		t.Fatalf("%d log lines:\n%s", n, h.env.Logs.String())
	}
}
