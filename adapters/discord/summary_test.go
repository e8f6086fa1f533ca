package discord_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/core"
)

// setSummaries turns guild A's summaries setting on or off.
func (h *harness) setSummaries(t *testing.T, on bool) {
	t.Helper()
	if _, err := h.env.Store.UpdateWorkspace(context.Background(), workspaceA, func(w *core.Workspace) error {
		w.Summaries = on
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// embeds decodes a response's embeds.
func (r response) embeds(t *testing.T) []dg.MessageEmbed {
	t.Helper()
	out := make([]dg.MessageEmbed, len(r.Data.Embeds))
	for i, raw := range r.Data.Embeds {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestSummaryCommand runs "/meet summary" over the signed HTTP endpoint
// against the sandbox, through the RealtimeKit SDK: summaries off, no
// session yet, a session without a summary, the sandbox's summary once
// the session ended, an unknown id, and a private meeting asked about by
// someone not invited. Every answer is one ephemeral sentence or the
// summary, to the asker only.
func TestSummaryCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	if r := h.command(t, "111111111111111111", "now", opt("title", "Retro *week* 12")); !r.ephemeral() {
		t.Fatalf("now: %s", r.raw)
	}
	m := h.meetings(t)[0]
	ask := func(user, id string) response {
		t.Helper()
		r := h.command(t, user, "summary", opt("id", id))
		if !r.ephemeral() || r.Type != int(dg.InteractionResponseChannelMessageWithSource) {
			t.Fatalf("summary %s is not an ephemeral answer: %s", id, r.raw)
		}
		return r
	}
	if r := ask("222222222222222222", m.ID); !strings.Contains(r.Data.Content, "summaries on") {
		t.Fatalf("summaries off: %q", r.Data.Content)
	}
	h.setSummaries(t, true)
	if r := ask("222222222222222222", m.ID); !strings.Contains(r.Data.Content, "no session yet") || !strings.Contains(r.Data.Content, "transcription") {
		t.Fatalf("before any session: %q", r.Data.Content)
	}

	// The organizer joins for real: a participant in the sandbox, then
	// into its room, whose session the service hears of as a webhook
	// would tell it.
	h.command(t, "111111111111111111", "join", opt("id", m.ID))
	p, err := h.env.Store.FindParticipant(ctx, workspaceA, m.ID, "111111111111111111")
	if err != nil {
		t.Fatal(err)
	}
	m = h.meetings(t)[0]
	peer, err := h.env.Sandbox.EnterRoomAs(m.RoomID, p.CustomID)
	if err != nil {
		t.Fatal(err)
	}
	ls, ok, err := h.env.Conf.ActiveSession(ctx, m.RoomID)
	if err != nil || !ok {
		t.Fatalf("active session: %v %v", ok, err)
	}
	if err := h.env.Service.HandleRoomEvent(ctx, core.RoomEvent{Kind: core.RoomStarted, RoomID: m.RoomID, SessionID: ls.ID,
		SessionStarted: ls.StartedAt, At: h.env.Time.Now()}); err != nil {
		t.Fatal(err)
	}
	if r := ask("222222222222222222", m.ID); !strings.Contains(r.Data.Content, "There is no summary of meeting "+m.ID) || !strings.Contains(r.Data.Content, "transcription") {
		t.Fatalf("live, no summary: %q", r.Data.Content)
	}
	h.env.Sandbox.SetAfterEnd(false, true)
	if err := h.env.Sandbox.LeaveRoom(m.RoomID, peer); err != nil {
		t.Fatal(err)
	}
	want, ok := h.env.Sandbox.Summary(ls.ID)
	if !ok {
		t.Fatal("the sandbox made no summary")
	}
	r := ask("222222222222222222", m.ID)
	if !strings.Contains(r.Data.Content, "**Summary of Retro \\*week\\* 12** (meeting "+m.ID+")") ||
		!strings.Contains(r.Data.Content, discord.Escape(want)) || len(r.Data.Embeds) != 0 {
		t.Fatalf("summary answer: %s\nwant text %q", r.raw, want)
	}
	if r.Data.AllowedMentions == nil || len(r.Data.AllowedMentions.Parse) != 0 {
		t.Fatalf("summary may ping: %s", r.raw)
	}

	if r := ask("222222222222222222", "99"); !strings.Contains(r.Data.Content, `There is no meeting "99" here`) {
		t.Fatalf("unknown id: %q", r.Data.Content)
	}
	h.command(t, "111111111111111111", "now", opt("title", "1:1"), opt("users", "<@333333333333333333>"), opt("private", true))
	var priv *core.Meeting
	for _, x := range h.meetings(t) {
		if x.Private {
			priv = x
		}
	}
	if priv == nil {
		t.Fatal("no private meeting")
	}
	// Someone not invited is not told the meeting exists (core's rule for
	// private meetings); an admin, who may see it, is refused its summary.
	if r := ask("222222222222222222", priv.ID); !strings.Contains(r.Data.Content, "There is no meeting") {
		t.Fatalf("not invited: %q", r.Data.Content)
	}
	admin := h.interaction(guildA, "444444444444444444", "summary", opt("id", priv.ID))
	admin.Member.Permissions = dg.PermissionManageGuild
	if r := h.send(t, admin); !r.ephemeral() || !strings.Contains(r.Data.Content, "is private") || strings.Contains(r.Data.Content, "Summary of") {
		t.Fatalf("admin not invited: %s", r.raw)
	}
	if r := ask("333333333333333333", priv.ID); !strings.Contains(r.Data.Content, "no session yet") {
		t.Fatalf("invitee: %q", r.Data.Content)
	}
}

// longInsight answers every summary with text.
type longInsight struct{ text string }

func (longInsight) ActiveSession(context.Context, string) (core.LiveSession, bool, error) {
	return core.LiveSession{}, false, nil
}

func (longInsight) RecordingURL(context.Context, string) (string, time.Time, error) {
	return "", time.Time{}, core.Errorf(core.ENOTFOUND, "none")
}

func (l longInsight) Summary(context.Context, string) (string, error) { return l.text, nil }

func (l longInsight) FetchSummary(context.Context, string) (string, error) { return l.text, nil }

// TestLongSummaryFitsDiscord: a summary longer than a message's 2000
// characters of content travels in embeds split at line breaks, all of it
// when it fits Discord's 6000-character embed total, and otherwise cut at
// a line with a note saying so; every part within Discord's limits, so
// the answer never fails with a 400.
func TestLongSummaryFitsDiscord(t *testing.T) {
	t.Parallel()
	units := func(s string) int { return len(utf16.Encode([]rune(s))) }
	line := strings.TrimSpace(strings.Repeat("Decided to ship the 𝄞 build on Friday; ", 3)) // astral runes count twice
	for _, tc := range []struct {
		name  string
		lines int
		cut   bool
	}{{"fits", 40, false}, {"cut", 400, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.command(t, "111111111111111111", "now", opt("title", "Planning"))
			m := h.meetings(t)[0]
			h.setSummaries(t, true)
			var lines []string
			for i := range tc.lines {
				lines = append(lines, "- "+strings.Repeat("x", i%7)+line)
			}
			text := strings.Join(lines, "\n")
			h.env.Service.SetRoomInsight(longInsight{text: text})
			if err := h.env.Service.HandleRoomEvent(context.Background(), core.RoomEvent{Kind: core.RoomStarted, RoomID: m.RoomID,
				SessionID: "s1", At: h.env.Time.Now()}); err != nil {
				t.Fatal(err)
			}
			r := h.command(t, "222222222222222222", "summary", opt("id", m.ID))
			es := r.embeds(t)
			if !r.ephemeral() || !strings.HasPrefix(r.Data.Content, "**Summary of Planning**") || units(r.Data.Content) > 2000 {
				t.Fatalf("heading: %q", r.Data.Content)
			}
			total := 0
			var got []string
			for _, e := range es {
				if units(e.Description) > 4096 || e.Description == "" {
					t.Fatalf("embed of %d units", units(e.Description))
				}
				total += units(e.Description)
				got = append(got, e.Description)
			}
			if len(es) < 2 || len(es) > 10 || total > 6000 {
				t.Fatalf("%d embeds, %d units in all", len(es), total)
			}
			all := strings.Join(got, "\n")
			note := strings.Contains(all, "The summary is cut here")
			if note != tc.cut {
				t.Fatalf("cut note %v, want %v", note, tc.cut)
			}
			if !tc.cut && all != discord.Escape(text) {
				t.Fatal("the summary did not arrive whole")
			}
			for _, g := range got {
				// Each part ends at a line of the summary (the last with the note).
				last := g[strings.LastIndexByte(g, '\n')+1:]
				if !strings.HasSuffix(last, "Friday;") && !strings.HasSuffix(last, "6000.*") {
					t.Fatalf("a part ends mid-line: %q", last)
				}
			}
		})
	}
}
