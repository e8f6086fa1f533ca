package webhook

import (
	"bytes"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// decodePayload is json.Unmarshal(body, p) for this one type, without
// reflection: Parse runs on every delivery before its 2xx, and
// encoding/json spent about 6 µs and 19 allocations on a participant
// event, most of it on fields meetbot never reads. It keeps
// encoding/json's rules wherever they decide what Parse returns: the
// whole body must be valid JSON (nesting at most 10000 deep, nothing
// after the value), keys match field names exactly or else case-folded,
// a repeated key wins (a repeated object merges into the first), null
// leaves a string alone and clears an object, a value of the wrong type
// is an error, and strings are unescaped with invalid UTF-8 and lone
// surrogates turned into U+FFFD. It reports false for any body
// json.Unmarshal would refuse; FuzzDecodeMatchesJSON holds the two
// together.
func decodePayload(body []byte, p *payload) bool {
	d := jsonDecoder{b: body}
	d.space()
	ok := d.literal("null") || d.object(func(key []byte) bool {
		switch fieldOf(key, payloadFields) {
		case "event":
			return d.stringInto(&p.Event)
		case "reason":
			return d.stringInto(&p.Reason)
		case "summaryDownloadUrl":
			return d.stringInto(&p.SummaryDownloadURL)
		case "summaryDownloadUrlExpiry":
			return d.stringInto(&p.SummaryDownloadURLExpiry)
		case "meeting":
			return objectInto(&d, &p.Meeting, (*jsonDecoder).meetingField)
		case "participant":
			return objectInto(&d, &p.Participant, (*jsonDecoder).peerField)
		case "recording":
			return objectInto(&d, &p.Recording, (*jsonDecoder).recordingField)
		}
		return d.skip()
	})
	d.space()
	return ok && d.i == len(d.b)
}

// The JSON names of each part's fields, as payload's tags spell them.
var (
	payloadFields   = []string{"event", "reason", "meeting", "participant", "recording", "summaryDownloadUrl", "summaryDownloadUrlExpiry"}
	meetingFields   = []string{"id", "sessionId", "title", "roomName", "status", "startedAt", "endedAt"}
	peerFields      = []string{"peerId", "userDisplayName", "customParticipantId", "clientSpecificId", "joinedAt", "leftAt"}
	recordingFields = []string{"id", "recordingId", "status", "meetingId", "stoppedTime"}
)

func (d *jsonDecoder) meetingField(m *meetingPart, key []byte) bool {
	switch fieldOf(key, meetingFields) {
	case "id":
		return d.stringInto(&m.ID)
	case "sessionId":
		return d.stringInto(&m.SessionID)
	case "title", "roomName", "status": // typed, but not read
		return d.stringInto(nil)
	case "startedAt":
		return d.stringInto(&m.StartedAt)
	case "endedAt":
		return d.stringInto(&m.EndedAt)
	}
	return d.skip()
}

func (d *jsonDecoder) peerField(pp *peerPart, key []byte) bool {
	switch fieldOf(key, peerFields) {
	case "peerId":
		return d.stringInto(&pp.PeerID)
	case "userDisplayName":
		return d.stringInto(&pp.UserDisplayName)
	case "customParticipantId":
		return d.stringInto(&pp.CustomParticipantID)
	case "clientSpecificId":
		return d.stringInto(&pp.ClientSpecificID)
	case "joinedAt":
		return d.stringInto(&pp.JoinedAt)
	case "leftAt":
		return d.stringInto(&pp.LeftAt)
	}
	return d.skip()
}

func (d *jsonDecoder) recordingField(r *recPart, key []byte) bool {
	switch fieldOf(key, recordingFields) {
	case "id":
		return d.stringInto(&r.ID)
	case "recordingId":
		return d.stringInto(&r.RecordingID)
	case "status":
		return d.stringInto(&r.Status)
	case "meetingId":
		return d.stringInto(&r.MeetingID)
	case "stoppedTime":
		return d.stringInto(&r.StoppedTime)
	}
	return d.skip()
}

// fieldOf is the name in names that key selects, as encoding/json picks
// a struct field: the exact name, else one equal under Unicode case
// folding; "" for none.
func fieldOf(key []byte, names []string) string {
	for _, n := range names {
		if string(key) == n {
			return n
		}
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return n
		}
	}
	return ""
}

// objectInto decodes an object member into *dst the way encoding/json
// fills a pointer to a struct: null sets it to nil, an object fills the
// struct already there (allocating one if nil), anything else is an
// error.
func objectInto[T any](d *jsonDecoder, dst **T, field func(*jsonDecoder, *T, []byte) bool) bool {
	if d.literal("null") {
		*dst = nil
		return true
	}
	if d.peek() != '{' {
		return false
	}
	if *dst == nil {
		*dst = new(T)
	}
	v := *dst
	return d.object(func(key []byte) bool { return field(d, v, key) })
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// jsonDecoder reads JSON from b at i. Each method reports false for input
// that is not valid JSON (or not the expected type); the decoder is then
// abandoned.
type jsonDecoder struct {
	b     []byte
	i     int
	depth int
	key   []byte // scratch for keys that need unescaping
}

func (d *jsonDecoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *jsonDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// literal consumes word if it is next.
func (d *jsonDecoder) literal(word string) bool {
	if bytes.HasPrefix(d.b[d.i:], []byte(word)) {
		d.i += len(word)
		return true
	}
	return false
}

// object reads an object, calling member with each decoded key while d
// stands at the member's value, which member must consume.
func (d *jsonDecoder) object(member func(key []byte) bool) bool {
	if d.peek() != '{' || d.depth >= maxDepth {
		return false
	}
	d.i++
	d.depth++
	d.space()
	if d.peek() == '}' {
		d.i++
		d.depth--
		return true
	}
	for {
		d.space()
		raw, ok := d.rawString()
		if !ok {
			return false
		}
		key := raw
		if !plain(raw) {
			d.key = unescape(d.key[:0], raw)
			key = d.key
		}
		d.space()
		if d.peek() != ':' {
			return false
		}
		d.i++
		d.space()
		if !member(key) {
			return false
		}
		d.space()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return true
		default:
			return false
		}
	}
}

// stringInto reads a string into *dst; null leaves *dst as it is. A nil
// dst checks the value without keeping it.
func (d *jsonDecoder) stringInto(dst *string) bool {
	if d.literal("null") {
		return true
	}
	raw, ok := d.rawString()
	if !ok || dst == nil {
		return ok
	}
	if plain(raw) {
		*dst = string(raw)
	} else {
		*dst = string(unescape(nil, raw))
	}
	return true
}

// rawString reads a string token and returns what is between its quotes,
// still escaped: it checks the escapes and that no control character
// appears, as JSON requires, but not UTF-8 (encoding/json accepts invalid
// UTF-8 and replaces it).
func (d *jsonDecoder) rawString() ([]byte, bool) {
	if d.peek() != '"' {
		return nil, false
	}
	start := d.i + 1
	for i := start; i < len(d.b); i++ {
		switch c := d.b[i]; {
		case c == '"':
			d.i = i + 1
			return d.b[start:i], true
		case c < 0x20:
			return nil, false
		case c == '\\':
			i++
			if i >= len(d.b) {
				return nil, false
			}
			switch d.b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(d.b) || !isHex(d.b[i+1]) || !isHex(d.b[i+2]) || !isHex(d.b[i+3]) || !isHex(d.b[i+4]) {
					return nil, false
				}
				i += 4
			default:
				return nil, false
			}
		}
	}
	return nil, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// plain reports whether raw (from rawString) decodes to itself: no
// escapes and valid UTF-8.
func plain(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' || c >= utf8.RuneSelf {
			return bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw)
		}
	}
	return true
}

// unescape appends the string raw (checked by rawString) stands for to
// out, with encoding/json's replacements for invalid UTF-8 and lone
// surrogates.
func unescape(out, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			switch e := raw[i+1]; e {
			case 'b':
				out, i = append(out, '\b'), i+2
			case 'f':
				out, i = append(out, '\f'), i+2
			case 'n':
				out, i = append(out, '\n'), i+2
			case 'r':
				out, i = append(out, '\r'), i+2
			case 't':
				out, i = append(out, '\t'), i+2
			case 'u':
				r := hex4(raw[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						if dec := utf16.DecodeRune(r, hex4(raw[i+2:])); dec != unicode.ReplacementChar {
							out, i = utf8.AppendRune(out, dec), i+6
							break
						}
					}
					r = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, r)
			default: // '"', '\\', '/'
				out, i = append(out, e), i+2
			}
		case c < utf8.RuneSelf:
			out, i = append(out, c), i+1
		default:
			r, n := utf8.DecodeRune(raw[i:])
			out, i = utf8.AppendRune(out, r), i+n
		}
	}
	return out
}

// hex4 reads four hex digits rawString has checked.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// skip reads any one value without keeping it.
func (d *jsonDecoder) skip() bool {
	switch c := d.peek(); {
	case c == '{':
		return d.object(func([]byte) bool { return d.skip() })
	case c == '[':
		return d.array()
	case c == '"':
		_, ok := d.rawString()
		return ok
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	return false
}

func (d *jsonDecoder) array() bool {
	if d.depth >= maxDepth {
		return false
	}
	d.i++ // '['
	d.depth++
	d.space()
	if d.peek() == ']' {
		d.i++
		d.depth--
		return true
	}
	for {
		d.space()
		if !d.skip() {
			return false
		}
		d.space()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return true
		default:
			return false
		}
	}
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (d *jsonDecoder) number() bool {
	if d.peek() == '-' {
		d.i++
	}
	switch c := d.peek(); {
	case c == '0':
		d.i++
	case '1' <= c && c <= '9':
		d.digits()
	default:
		return false
	}
	if d.peek() == '.' {
		d.i++
		if !d.digits() {
			return false
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.i++
		if c := d.peek(); c == '+' || c == '-' {
			d.i++
		}
		if !d.digits() {
			return false
		}
	}
	return true
}

// digits consumes one or more digits, reporting whether there was one.
func (d *jsonDecoder) digits() bool {
	start := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}
