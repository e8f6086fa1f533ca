package core_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/seal"
)

// TestParticipantTokensSealed: with a Sealer, the token RealtimeKit
// issued is stored sealed (not in the bbolt file in plaintext), and
// opening the link still hands out the real token; a token stored in
// plaintext before sealing was turned on is still read.
func TestParticipantTokensSealed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.NewService(ctx, b.Config, core.Deps{Store: b.Store, Conference: b.Conf, Clock: b.Clock, Sealer: box}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := b.Schedule(actor("ana"), "Standup", t0.Add(time.Minute), time.Hour)
	link, err := svc.Join(ctx, actor("bo"), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	page, err := svc.OpenLink(ctx, strings.TrimPrefix(link.URL, "http://meet.test/j/"))
	if err != nil || page.Token == "" {
		t.Fatalf("open link: %v", err)
	}
	if _, err := b.Sandbox.VerifyToken(page.Token); err != nil {
		t.Fatalf("the page's token is not RealtimeKit's: %v", err)
	}
	stored, err := b.Store.FindParticipant(ctx, m.Workspace, m.ID, "bo")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Token == page.Token || !strings.HasPrefix(stored.Token, "sealed1:") {
		t.Fatalf("stored token is not sealed: %.20q…", stored.Token)
	}
	if bytes.Contains(b.RawStore(), []byte(page.Token)) {
		t.Fatal("the participant token is in the store in plaintext")
	}
	// The same link opened again makes no add-participant call: the sealed
	// token opens.
	calls := b.Sandbox.Calls("add_participant") + b.Sandbox.Calls("refresh_token")
	if again, err := svc.OpenLink(ctx, strings.TrimPrefix(link.URL, "http://meet.test/j/")); err != nil || again.Token != page.Token {
		t.Fatalf("reopened: %v, same token %v", err, again != nil && again.Token == page.Token)
	}
	if n := b.Sandbox.Calls("add_participant") + b.Sandbox.Calls("refresh_token"); n != calls {
		t.Fatalf("reopening the link made %d upstream calls", n-calls)
	}
	// A plaintext token stored by the service without a Sealer still reads.
	plain, err := b.Service.Join(ctx, actor("cy"), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := b.Store.FindParticipant(ctx, m.Workspace, m.ID, "cy")
	if strings.HasPrefix(before.Token, "sealed1:") {
		t.Fatal("the service without a Sealer sealed")
	}
	calls = b.Sandbox.TotalCalls()
	pp, err := svc.OpenLink(ctx, strings.TrimPrefix(plain.URL, "http://meet.test/j/"))
	if err != nil || pp.Token != before.Token {
		t.Fatalf("a plaintext token did not read: %v", err)
	}
	if n := b.Sandbox.TotalCalls() - calls; n != 0 {
		t.Fatalf("reading a plaintext token made %d upstream calls", n)
	}
	// A sealed token moved onto another user's record does not open: the
	// service fetches a fresh token instead of handing out bo's.
	moved := *stored
	moved.User.UserID = "cy"
	if err := b.Store.PutParticipant(ctx, &moved); err != nil {
		t.Fatal(err)
	}
	cp, err := svc.OpenLink(ctx, strings.TrimPrefix(plain.URL, "http://meet.test/j/"))
	if err != nil || cp.Token == page.Token || cp.Token == "" {
		t.Fatalf("a moved sealed token: %v, got bo's token %v", err, cp != nil && cp.Token == page.Token)
	}
}
