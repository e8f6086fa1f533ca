package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/discord"
)

// Ensure serve with a Discord public key answers a signed /meet now by posting
// the card through the (fake) Discord API, and register-commands overwrites
// the command set.
func TestServeWithDiscordHTTP(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPut {
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write(b)
			return
		}
		_, _ = w.Write([]byte(`{"id":"900","channel_id":"C1"}`))
	}))
	defer api.Close()
	key := discordTestKey()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "discord:\n  bot_token: tok\n  application_id: \"998877665544332211\"\n  public_key: d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n  gateway: false\n  api_url: "+api.URL+"/api/v10/\n")
	a, _ := serveFrom(t, cfgPath)
	body := []byte(`{"id":"i1","type":2,"application_id":"998877665544332211","token":"t","guild_id":"G1","channel_id":"C1","member":{"user":{"id":"U1","username":"ana"},"permissions":"0"},"data":{"name":"meet","type":1,"options":[{"type":1,"name":"now","options":[{"type":3,"name":"title","value":"standup"}]}]}}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.httpLn.Addr().String()+"/discord/interactions", bytes.NewReader(body))
	req.Header.Set(discord.HeaderTimestamp, ts)
	req.Header.Set(discord.HeaderSignature, discord.Sign(key, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(out), "standup") {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	var stdout, stderr bytes.Buffer
	if err := runRegisterCommands(t.Context(), []string{"--config", cfgPath, "--guild", "112233445566778899"}, &stdout, &stderr, func(string) string { return "" }); err != nil || !strings.Contains(stdout.String(), "Registered 1 command") {
		t.Fatalf("register: %v %s %s", err, stdout.String(), stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	var card, commands bool
	for _, p := range paths {
		card = card || p == "POST /api/v10/channels/C1/messages"
		commands = commands || strings.HasPrefix(p, "PUT /api/v10/applications/998877665544332211/guilds/112233445566778899/commands")
	}
	if !card || !commands {
		t.Fatalf("fake Discord API saw %v; want the card posted to C1 and the guild commands overwritten", paths)
	}
}

// Ensure register-commands refuses a guild id that is not a number before
// calling Discord.
func TestRegisterCommandsRefusesBadGuild(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := runRegisterCommands(t.Context(), []string{"--config", "x.yaml", "--guild", "my-server"}, &stdout, &stderr, func(string) string { return "" })
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "not a server id") {
		t.Fatalf("err = %v", err)
	}
}

// discordTestKey is RFC 8032's test key 1, whose public half the Discord
// test configs name as discord.public_key.
func discordTestKey() ed25519.PrivateKey {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	return ed25519.NewKeyFromSeed(seed)
}
