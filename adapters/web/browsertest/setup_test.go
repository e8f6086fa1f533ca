package browsertest

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meetbot/meetbot/internal/testmain"
)

// npmDir holds the packed packages (npm pack, by .ci/run); gitignored.
const npmDir = "testdata/npm"

// The packed packages the tests serve and run: the two the meeting page
// pins (web.CorePackage, web.UIPackage) and axe-core for the accessibility
// checks.
var tarballs = map[string]string{
	"@cloudflare/realtimekit@2.0.2":    "cloudflare-realtimekit-2.0.2.tgz",
	"@cloudflare/realtimekit-ui@2.0.2": "cloudflare-realtimekit-ui-2.0.2.tgz",
	"axe-core@4.11.0":                  "axe-core-4.11.0.tgz",
}

// fetchHint says how to get what the tests need.
const fetchHint = "install Chromium (apt-get install -y chromium) and pack the npm packages: " +
	"npm pack --pack-destination adapters/web/browsertest/testdata/npm @cloudflare/realtimekit@2.0.2 @cloudflare/realtimekit-ui@2.0.2 axe-core@4.11.0 (.ci/run does both)"

// missing skips the test, or fails it when CI is set, so CI never passes by
// skipping.
func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set, so this fails rather than skips); %s", what, fetchHint)
	}
	t.Skipf("%s; %s", what, fetchHint)
}

// findChromium returns the browser to run: MEETBOT_CHROMIUM, else the
// first of the usual names on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("MEETBOT_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found (set MEETBOT_CHROMIUM or put chromium on PATH)")
}

// The one browser of this test binary, started by TestMain (or the first
// test that needs it) and stopped by TestMain.
var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserErr    error
	browserCancel = func() {}
)

// TestMain starts the browser and unpacks the npm packages side by side
// while the first tests set up, unless -short skips the browser tests: the
// two take seconds each, mostly waiting, and every browser test needs both.
// A test still waits for each through its sync.Once.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		go browserOnce.Do(startBrowser)
		go pkgOnce.Do(loadPackages)
	}
	code := m.Run()
	browserOnce.Do(func() {}) // a start still under way ends before the stop
	if browserCancel != nil { // nil when Chromium did not start
		browserCancel()
	}
	testmain.Exit(code)
}

// startBrowser starts headless Chromium with the flags this machine needs
// (no sandbox as root, no background networking on a closed network),
// fake camera and microphone so the setup screen has media, and a fresh
// profile.
func startBrowser() {
	exe, err := findChromium()
	if err != nil {
		browserErr = err
		return
	}
	dir, err := os.MkdirTemp("", "meetbot-chromium-")
	if err != nil {
		browserErr = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(dir)
		browserErr = fmt.Errorf("start %s: %w", exe, err)
		return
	}
	browserCtx = ctx
	browserCancel = func() {
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(dir)
	}
}

// tab opens a new tab of the shared browser for t, closed at its end, and
// a deadline for everything the test does in it.
func tab(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped with -short (.ci/run's second, etcd pass); the first pass runs them")
	}
	browserOnce.Do(startBrowser)
	if browserErr != nil {
		missing(t, browserErr.Error())
	}
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(dcancel)
	return dctx
}

// pkgFiles is one packed npm package, its files by path inside it.
type pkgFiles map[string][]byte

var (
	pkgOnce sync.Once
	pkgs    map[string]pkgFiles
	pkgErr  error
)

// packages reads the packed packages from testdata/npm, once.
func packages(t testing.TB) map[string]pkgFiles {
	t.Helper()
	pkgOnce.Do(loadPackages)
	if pkgErr != nil {
		missing(t, "the packed npm packages are missing: "+pkgErr.Error())
	}
	return pkgs
}

// loadPackages reads every packed package (once, through pkgOnce).
func loadPackages() {
	all := map[string]pkgFiles{}
	for name, file := range tarballs {
		files, err := readTarball(filepath.Join(npmDir, file))
		if err != nil {
			pkgErr = err
			return
		}
		all[name] = files
	}
	pkgs = all
}

// readTarball reads every regular file of an npm pack tarball, keyed by its
// path below "package/".
func readTarball(file string) (pkgFiles, error) {
	gz, wait, err := gunzip(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	defer wait()
	out := pkgFiles{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w%s", file, err, wait())
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name, ok := strings.CutPrefix(h.Name, "package/")
		if !ok {
			continue
		}
		// Sized from the header: io.ReadAll's growing and copying is what
		// the race detector makes costly for the UI Kit's 30 MB.
		b := make([]byte, h.Size)
		if _, err := io.ReadFull(tr, b); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, h.Name, err)
		}
		out[name] = b
	}
}

// gunzip opens a gzip file for reading, through the system's gzip when
// there is one: under the race detector compress/gzip takes some 8 s of CPU
// for the 38 MB these packages unpack to, which is not what these tests
// are about; gzip -dc takes a fraction of a second. wait releases it and
// says what gzip said, if it failed (its stderr is kept, not shared: this
// runs beside M.Run, which may swap os.Stderr).
func gunzip(file string) (r io.Reader, wait func() string, err error) {
	if exe, err := exec.LookPath("gzip"); err == nil {
		cmd := exec.Command(exe, "-dc", file)
		var said strings.Builder
		cmd.Stderr = &said
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		var once sync.Once
		var why string
		return out, func() string {
			once.Do(func() {
				_, _ = io.Copy(io.Discard, out)
				if err := cmd.Wait(); err != nil {
					why = fmt.Sprintf(" (gzip: %v: %s)", err, strings.TrimSpace(said.String()))
				}
			})
			return why
		}, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return gz, func() string { f.Close(); return "" }, nil
}

// cdn serves the packed packages on 127.0.0.1 as jsDelivr's npm mirror
// lays them out ("/npm/@cloudflare/realtimekit@2.0.2/dist/browser.js"),
// with CORS open as a CDN's, for the meeting page's web.ui_kit_base_url.
// edit, when set, may replace a file's bytes (to test SRI) or return nil
// for a 404.
type cdn struct {
	*httptest.Server
	mu   sync.Mutex
	edit func(file string, b []byte) []byte
}

// sharedKit is the package's one cdn for the tests that do not edit files.
// It sends the cache headers jsDelivr sends for a pinned version, so the
// browser's HTTP and code caches keep the multi-megabyte UI Kit across
// tabs as they do across a user's meetings, instead of every test's tab
// fetching and compiling it anew on a fresh port. It lives until the
// binary exits.
var sharedKit struct {
	once sync.Once
	c    *cdn
}

func sharedCDN(t testing.TB) *cdn {
	t.Helper()
	all := packages(t) // fails t, not the once, when the packages are missing
	sharedKit.once.Do(func() { sharedKit.c = serveCDN(all, true) })
	return sharedKit.c
}

// newCDN is a cdn of t's own, closed at its end. It sends no cache
// headers, so what the browser got from it never outlives it, even on a
// port a later server reuses.
func newCDN(t testing.TB) *cdn {
	t.Helper()
	c := serveCDN(packages(t), false)
	t.Cleanup(c.Close)
	return c
}

func serveCDN(all map[string]pkgFiles, cacheable bool) *cdn {
	c := &cdn{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/npm/")
		var b []byte
		for name, files := range all {
			if file, ok2 := strings.CutPrefix(rest, name+"/"); ok && ok2 {
				b = files[file]
			}
		}
		c.mu.Lock()
		edit := c.edit
		c.mu.Unlock()
		if b != nil && edit != nil {
			b = edit(rest, b)
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if b == nil {
			http.NotFound(w, r)
			return
		}
		ct := mime.TypeByExtension(path.Ext(rest))
		if strings.HasSuffix(rest, ".js") || strings.HasSuffix(rest, ".mjs") {
			ct = "text/javascript; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		if cacheable {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		_, _ = w.Write(b)
	}))
	return c
}

// base is the web.ui_kit_base_url for this server.
func (c *cdn) base() string { return c.URL + "/npm/" }

// setEdit installs an edit of served files.
func (c *cdn) setEdit(f func(file string, b []byte) []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.edit = f
}
