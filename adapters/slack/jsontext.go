package slack

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sync"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"
)

// Most answers are text only (an ephemeral reply, a list): for those,
// jsonMarshal writes the very bytes encoding/json would, without its
// reflection over the sixty-odd fields of slackapi.Msg, by putting the
// escaped text into a frame encoding/json made once per response type.
// FuzzTextOnlyJSON checks the output against encoding/json byte for byte.

// textFrames holds, per response type, the encoding of a message whose
// text is textMark, cut around it.
var textFrames sync.Map // response type → textFrame

type textFrame struct{ head, tail []byte }

const textMark = "\x01meetbot-text\x01"

// textOnlyJSON encodes msg when it holds nothing but a response type and
// a text; ok is false otherwise.
func textOnlyJSON(msg slackapi.Msg) (out []byte, ok bool) {
	return appendTextOnlyJSON(nil, &msg)
}

// appendTextOnlyJSON is textOnlyJSON appending to dst, so writeMsg can
// reuse one buffer across replies. msg is compared by pointer: boxing the
// large slackapi.Msg by value for reflect.DeepEqual copied it twice.
func appendTextOnlyJSON(dst []byte, msg *slackapi.Msg) (out []byte, ok bool) {
	if msg.Text == "" || !onlyText(msg) {
		return dst, false
	}
	f, ok := textFrames.Load(msg.ResponseType)
	if !ok {
		raw, err := marshalNoHTML(slackapi.Msg{ResponseType: msg.ResponseType, Text: textMark})
		if err != nil {
			return dst, false
		}
		mark, _ := json.Marshal(textMark)
		head, tail, found := bytes.Cut(raw, mark)
		if !found {
			return dst, false
		}
		f, _ = textFrames.LoadOrStore(msg.ResponseType, textFrame{head: head, tail: tail})
	}
	frame := f.(textFrame)
	out = slices.Grow(dst, len(frame.head)+len(msg.Text)+len(msg.Text)/8+len(frame.tail)+2)
	out = append(out, frame.head...)
	out = appendJSONString(out, msg.Text)
	return append(out, frame.tail...), true
}

// msgFields are the indexes of slackapi.Msg's fields other than its
// response type and text.
var msgFields = func() []int {
	t := reflect.TypeFor[slackapi.Msg]()
	var out []int
	for i := range t.NumField() {
		if n := t.Field(i).Name; n != "ResponseType" && n != "Text" {
			out = append(out, i)
		}
	}
	return out
}()

// onlyText reports whether every field of msg but its response type and
// text is zero, as reflect.DeepEqual against a message of just those two
// would (a nil slice or map, not an empty one), without DeepEqual's
// bookkeeping over the whole struct.
func onlyText(msg *slackapi.Msg) bool {
	v := reflect.ValueOf(msg).Elem()
	for _, i := range msgFields {
		if !v.Field(i).IsZero() {
			return false
		}
	}
	return true
}

// marshalNoHTML is encoding/json without HTML escaping and without the
// Encoder's trailing newline.
func marshalNoHTML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as encoding/json writes a string with HTML
// escaping off: quotes and backslashes escaped, \b \f \n \r \t by name,
// other control characters as \u00XX, U+2028 and U+2029 escaped, and
// invalid UTF-8 replaced by \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
