package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionString: a stamped version wins; without one the module
// version, else "dev"; the commit (cut to 12, marked dirty) and Go version
// come from the build info when the toolchain recorded them.
func TestVersionString(t *testing.T) {
	info := func(main string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: main}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	cases := []struct {
		stamped string
		info    func() (*debug.BuildInfo, bool)
		want    string
	}{
		{"v1.4.0", info("(devel)", "vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-12-01T10:00:00Z"),
			"meetbot v1.4.0 (commit 0123456789ab, 2026-12-01T10:00:00Z, go1.26.0)"},
		{"", info("v1.3.2"), "meetbot v1.3.2 (go1.26.0)"},
		{"", info("(devel)", "vcs.revision", "abc", "vcs.modified", "true"), "meetbot dev (commit abc-dirty, go1.26.0)"},
		{"", none, "meetbot dev"},
	}
	for _, c := range cases {
		if got := versionString(c.stamped, c.info); got != c.want {
			t.Errorf("versionString(%q) = %q, want %q", c.stamped, got, c.want)
		}
	}
}

// TestVersionSubcommand: `bot version` prints the stamped version.
func TestVersionSubcommand(t *testing.T) {
	old := version
	version = "v9.9.9-test"
	t.Cleanup(func() { version = old })
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, nil, &out, &errOut, func(string) string { return "" }); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "meetbot v9.9.9-test") {
		t.Errorf("printed %q", out.String())
	}
}

// TestHealthcheck: exit 0 when the endpoint answers 200, 1 when it answers
// otherwise or nothing listens; the address comes from --addr or from the
// config's http.listen, whose wildcard host is asked on loopback.
func TestHealthcheck(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "store down", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := closed.Addr().String()
	_ = closed.Close()

	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "c.yaml", "http:\n  listen: 0.0.0.0:"+port+"\n")
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"healthz by addr", []string{"--addr", addr}, 0},
		{"readyz failing", []string{"--addr", addr, "--ready"}, 1},
		{"from the config's listen", []string{"--config", cfgPath}, 0},
		{"nothing listening", []string{"--addr", deadAddr}, 1},
		{"bad flag", []string{"--nope"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"healthcheck"}, c.args...), nil, &out, &errOut, func(string) string { return "" })
			if code != c.want {
				t.Errorf("exit %d, want %d; stdout %q stderr %q", code, c.want, out.String(), errOut.String())
			}
		})
	}
}

// TestHealthURL: wildcard hosts become loopback; a port of 0 is refused.
func TestHealthURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/healthz",
		":8080":          "http://127.0.0.1:8080/healthz",
		"[::]:8080":      "http://127.0.0.1:8080/healthz",
		"[::1]:9000":     "http://[::1]:9000/healthz",
		"meet.local:80":  "http://meet.local:80/healthz",
	} {
		if got, err := healthURL(in, false); err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := healthURL("127.0.0.1:0", false); err == nil {
		t.Error("port 0 accepted")
	}
	if got, _ := healthURL("127.0.0.1:1", true); !strings.HasSuffix(got, "/readyz") {
		t.Errorf("ready URL %q", got)
	}
}
