package web

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog/hlog"

	"github.com/meetbot/meetbot/core"
)

// The meeting page (the room page inside the window) is the same bytes on
// every open of one person's link but for its CSP nonce, and executing
// its template was most of the cost of serving a join link: some forty
// actions, each escaped through reflection, around a 20 KB import map.
// roomPages keeps rendered meeting pages, made with a placeholder nonce of
// the real nonce's length, and serves a copy with the fresh nonce written
// over the placeholder's places, so every response still carries its own
// nonce while the template runs once per person and meeting state.
//
// The key holds every input of the page: the meeting's identity and
// stored version (every stored change moves it; the update time too, for
// safety), the person, their token and preset, the occurrence, window and
// move, the media settings, the opening time as shown, and the handler's
// sandbox mode. The wait page changes every second and is not cached.
type roomPageCache struct {
	placeholder string
	mu          sync.RWMutex
	pages       map[roomPageKey]*cachedRoomPage
}

// roomPageCacheSize bounds the cache: a few hundred people joining at
// once, about 30 KB each.
const roomPageCacheSize = 512

type roomPageKey struct {
	ws                core.WorkspaceKey
	meeting           string
	version, updated  int64
	user, name        string
	token, preset     string
	occStart, occEnd  int64
	opens, closes     int64
	movedFrom, expire int64
	media             core.MediaSettings
	opensAt           string
	phase             core.Phase
	sandbox           bool
}

type cachedRoomPage struct {
	body   []byte
	nonces []int // offsets of the placeholder in body
}

// newRoomPageCache makes the cache with a placeholder that no page holds
// otherwise: a nonce of its own, never sent.
func newRoomPageCache() *roomPageCache {
	return &roomPageCache{placeholder: newNonce(), pages: map[roomPageKey]*cachedRoomPage{}}
}

func roomKey(h *Handler, p *core.JoinPage, opensAt string) roomPageKey {
	m := p.Meeting
	return roomPageKey{
		ws: m.Workspace, meeting: m.ID, version: m.Version, updated: m.UpdatedAt.UnixNano(),
		user: p.User.UserID, name: p.Name, token: p.Token, preset: p.Preset,
		occStart: p.Occurrence.Start.UnixNano(), occEnd: p.Occurrence.End.UnixNano(),
		opens: p.Window.Opens.UnixNano(), closes: p.Window.Closes.UnixNano(),
		movedFrom: unixNano(p.MovedFrom), expire: unixNano(p.Expires),
		media: p.Media, opensAt: opensAt, phase: p.Phase, sandbox: h.sandbox,
	}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// serve writes the cached page for key with nonce, and reports whether it
// had one.
func (c *roomPageCache) serve(w http.ResponseWriter, key roomPageKey, nonce string) bool {
	c.mu.RLock()
	page := c.pages[key]
	c.mu.RUnlock()
	if page == nil || len(nonce) != len(c.placeholder) {
		return false
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	buf.Write(page.body)
	out := buf.Bytes()
	for _, at := range page.nonces {
		copy(out[at:], nonce)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return true
}

// fill renders the page for data (whose nonces are the placeholder),
// keeps it under key, and reports whether it could.
func (c *roomPageCache) fill(r *http.Request, key roomPageKey, data roomData) bool {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "room", data); err != nil {
		hlog.FromRequest(r).Error().Err(err).Str("template", "room").Msg("render page")
		return false
	}
	body := buf.Bytes()
	var at []int
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(c.placeholder))
		if j < 0 {
			break
		}
		at = append(at, i+j)
		i += j + len(c.placeholder)
	}
	if len(at) == 0 {
		return false // a page without its nonce cannot be reused safely
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pages) >= roomPageCacheSize {
		for k := range c.pages {
			delete(c.pages, k)
			break
		}
	}
	c.pages[key] = &cachedRoomPage{body: body, nonces: at}
	return true
}
