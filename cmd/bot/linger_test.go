package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meetbot/meetbot/internal/testenv"
)

// TestServeWhileOpenUntilWindowsClose: after the input ends the process
// says once that it keeps serving (which meetings, until when, Ctrl-C), and
// returns when the clock passes the last window's close, looking again at
// each close in case another window is still open then.
func TestServeWhileOpenUntilWindowsClose(t *testing.T) {
	synctest.Test(t, testServeWhileOpenUntilWindowsClose)
}

func testServeWhileOpenUntilWindowsClose(t *testing.T) {
	clock := testenv.BubbleTime(testenv.T0)
	close1, close2 := testenv.T0.Add(20*time.Minute), testenv.T0.Add(35*time.Minute)
	calls := 0
	open := func(context.Context) ([]string, time.Time, error) {
		calls++
		now := clock.Now()
		switch {
		case now.Before(close1):
			return []string{"1", "3"}, close1, nil
		case now.Before(close2):
			return []string{"3"}, close2, nil
		}
		return nil, time.Time{}, nil
	}
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- serveWhileOpen(context.Background(), lingerOptions{
			Open: open, Clock: clock, Out: &out, URL: "http://127.0.0.1:8080", Zone: "America/New_York",
		})
	}()
	synctest.Wait()
	time.Sleep(close1.Sub(clock.Now()))
	synctest.Wait() // meeting 3 is still open: waits again
	select {
	case err := <-done:
		t.Fatalf("returned while meeting 3 was open: %v", err)
	default:
	}
	time.Sleep(close2.Sub(clock.Now()))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := "End of input: still serving join links on http://127.0.0.1:8080 while meetings 1, 3 are open (until 14:20 EST). Press Ctrl-C to stop sooner.\n"
	if out.String() != want || calls != 3 {
		t.Errorf("printed %q after %d looks, want one line %q after 3", out.String(), calls, want)
	}
}

// TestServeWhileOpenStops: no window open means no wait and no line; an
// interrupt (the context, which main ties to SIGINT) ends the wait.
func TestServeWhileOpenStops(t *testing.T) {
	synctest.Test(t, testServeWhileOpenStops)
}

func testServeWhileOpenStops(t *testing.T) {
	clock := testenv.BubbleTime(testenv.T0)
	var out bytes.Buffer
	none := func(context.Context) ([]string, time.Time, error) { return nil, time.Time{}, nil }
	if err := serveWhileOpen(context.Background(), lingerOptions{Open: none, Clock: clock, Out: &out}); err != nil || out.Len() != 0 {
		t.Fatalf("no window: %v, printed %q", err, out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	one := func(context.Context) ([]string, time.Time, error) {
		return []string{"7"}, testenv.T0.Add(time.Hour), nil
	}
	done := make(chan error, 1)
	go func() {
		done <- serveWhileOpen(ctx, lingerOptions{Open: one, Clock: clock, Out: &out, Zone: "UTC"})
	}()
	synctest.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "while meeting 7 is open (until 20:00 UTC)") {
		t.Errorf("printed %q", out.String())
	}
}

// TestPipedConsoleKeepsServingLinks is the README's
// `printf '/meet now standup\n/meet join\n' | bot`: stdin is a real pipe
// that ends after two lines; the process then says it keeps serving, the
// printed link still opens, and an interrupt ends it with status 0.
func TestPipedConsoleKeepsServingLinks(t *testing.T) {
	cfg := writeConfig(t, t.TempDir(), "")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fmt.Fprint(w, "/meet now standup\n/meet join\n")
	w.Close()

	outLines, errLines := make(chan string, 64), make(chan string, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"console", "--config", cfg, "--json", "--user", "ana"}, r, &lineWriter{lines: outLines}, &lineWriter{lines: errLines}, func(string) string { return "" })
	}()
	var line string
	for !strings.HasPrefix(line, "End of input") {
		select {
		case line = <-errLines:
		case code := <-done:
			t.Fatalf("exited (%d) at the end of input: the link it printed is dead", code)
		}
	}
	if !strings.Contains(line, "while meeting 1 is open (until ") || !strings.Contains(line, "Ctrl-C") {
		t.Fatalf("stderr line %q", line)
	}
	// The replies are out before the wait begins; events (reminders) may
	// come between them.
	var replies []jsonLine
	for len(replies) < 2 {
		var l jsonLine
		if err := json.Unmarshal([]byte(<-outLines), &l); err != nil {
			t.Fatal(err)
		}
		if l.Event == "" {
			replies = append(replies, l)
		}
	}
	join := replies[1]
	if !join.OK || join.JoinURL == "" {
		t.Fatalf("join reply: %+v", join)
	}
	resp, err := http.Get(join.JoinURL)
	if err != nil {
		t.Fatalf("the printed link is dead after the input ended: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "standup") {
		t.Fatalf("GET link: %d\n%s", resp.StatusCode, body)
	}
	cancel() // Ctrl-C
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after an interrupt", code)
	}
}

// TestPipedConsoleNoWait: --no-wait exits at the end of input, open window
// or not, as before.
func TestPipedConsoleNoWait(t *testing.T) {
	cfg := writeConfig(t, t.TempDir(), "")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fmt.Fprint(w, "/meet now standup\n")
	w.Close()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"console", "--config", cfg, "--no-wait"}, r, &out, &errOut, func(string) string { return "" }); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if strings.Contains(errOut.String(), "End of input") {
		t.Errorf("--no-wait still waited: %q", errOut.String())
	}
}

// lineWriter hands each written line to a channel, under a lock, since
// the console, the scheduler and the logger may write at once.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.Reset()
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.lines <- strings.TrimSpace(line)
	}
}
