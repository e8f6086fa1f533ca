package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Paging defaults. RealtimeKit does not document its page size; the sandbox
// picks a small default so that clients that forget to page are caught by
// tests with a modest amount of data.
const (
	defaultPerPage = 20
	maxPerPage     = 100
)

type envelope struct {
	Success bool    `json:"success"`
	Data    any     `json:"data"`
	Paging  *paging `json:"paging,omitempty"`
}

// paging describes one page of a list. StartOffset is the 0-based index of
// the first item, EndOffset the index just past the last one.
type paging struct {
	StartOffset int `json:"start_offset"`
	EndOffset   int `json:"end_offset"`
	TotalCount  int `json:"total_count"`
}

type errorBody struct {
	Success bool       `json:"success"`
	Error   errorField `json:"error"`
}

type errorField struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"success":false,"error":{"code":500,"message":"encoding failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeData(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, envelope{Success: true, Data: data})
}

func writeList(w http.ResponseWriter, data any, p paging) {
	writeJSON(w, http.StatusOK, envelope{Success: true, Data: data, Paging: &p})
}

// writeError answers in RealtimeKit's error shape, whose code is the HTTP
// status itself.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: errorField{Code: status, Message: msg}})
}

// decodeBody reads a JSON object into dst. An empty body counts as {}. It
// answers the request itself (400) and returns false on failure.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) bool {
	raw, err := io.ReadAll(r.Body) // already buffered and size-checked by wrap
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read request body")
		return false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON body: "+err.Error())
		return false
	}
	return true
}

// pageQuery reads page_no and per_page. It answers 400 and returns false
// when either is not a positive number.
func pageQuery(w http.ResponseWriter, q url.Values) (page, perPage int, ok bool) {
	page, perPage = 1, defaultPerPage
	for name, dst := range map[string]*int{"page_no": &page, "per_page": &perPage} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64) // the SDK sends float64 params
		if err != nil || f < 1 || f != float64(int(f)) {
			writeError(w, http.StatusBadRequest, name+" must be a positive integer")
			return 0, 0, false
		}
		*dst = int(f)
	}
	return page, min(perPage, maxPerPage), true
}

// pageOf cuts one page out of items.
func pageOf[T any](items []T, page, perPage int) ([]T, paging) {
	start := min((page-1)*perPage, len(items))
	end := min(start+perPage, len(items))
	return items[start:end], paging{StartOffset: start, EndOffset: end, TotalCount: len(items)}
}

// newUUID returns a random (version 4) UUID, like RealtimeKit's ids.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sandbox: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// isoTime renders t as RealtimeKit does: ISO-8601 in UTC.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
