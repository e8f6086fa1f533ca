package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
)

// Public meeting codes are short so the info page fits where platforms cap
// a URL (a Discord scheduled event's location holds 100 characters). A code
// is base64url of: the platform, the workspace id (packed as 8 bytes when it
// is a number, as Discord ids are), the meeting id, and the first 12 bytes
// of an HMAC-SHA256 over all of that under the calendar key. 96 bits of MAC
// make codes unguessable; they grant reading a schedule, never joining.

const (
	publicMACLen = 12
	// The first byte says the platform and how the workspace id is packed.
	codeNumericWS = 0x80
)

var codePlatforms = []Platform{PlatformConsole, PlatformSlack, PlatformDiscord}

// publicCode returns m's short public code.
func (l *LinkSigner) publicCode(ws WorkspaceKey, id string) (string, bool) {
	p := -1
	for i, q := range codePlatforms {
		if q == ws.Platform {
			p = i
		}
	}
	if p < 0 || len(ws.ID) > 255 || id == "" {
		return "", false
	}
	raw := []byte{byte(p)}
	if n, err := strconv.ParseUint(ws.ID, 10, 64); err == nil && strconv.FormatUint(n, 10) == ws.ID {
		raw[0] |= codeNumericWS
		raw = binary.BigEndian.AppendUint64(raw, n)
	} else {
		raw = append(raw, byte(len(ws.ID)))
		raw = append(raw, ws.ID...)
	}
	raw = append(raw, id...)
	return base64.RawURLEncoding.EncodeToString(append(raw, l.publicMAC(raw)...)), true
}

// readPublicCode checks a short code and returns what it names.
func (l *LinkSigner) readPublicCode(code string) (WorkspaceKey, string, bool) {
	if len(code) > 128 {
		return WorkspaceKey{}, "", false
	}
	b, err := decodeCode(code)
	if err != nil || len(b) < 2+publicMACLen {
		return WorkspaceKey{}, "", false
	}
	raw, sum := b[:len(b)-publicMACLen], b[len(b)-publicMACLen:]
	if !hmac.Equal(sum, l.publicMAC(raw)) {
		return WorkspaceKey{}, "", false
	}
	p := int(raw[0] &^ codeNumericWS)
	if p >= len(codePlatforms) {
		return WorkspaceKey{}, "", false
	}
	ws := WorkspaceKey{Platform: codePlatforms[p]}
	rest := raw[1:]
	if raw[0]&codeNumericWS != 0 {
		if len(rest) < 8 {
			return WorkspaceKey{}, "", false
		}
		ws.ID, rest = strconv.FormatUint(binary.BigEndian.Uint64(rest), 10), rest[8:]
	} else {
		n := int(rest[0])
		if len(rest) < 1+n {
			return WorkspaceKey{}, "", false
		}
		ws.ID, rest = string(rest[1:1+n]), rest[1+n:]
	}
	if ws.ID == "" || len(rest) == 0 {
		return WorkspaceKey{}, "", false
	}
	return ws, string(rest), true
}

func (l *LinkSigner) publicMAC(raw []byte) []byte {
	h := hmac.New(sha256.New, l.key)
	h.Write([]byte("meetbot public code v1\x00"))
	h.Write(raw)
	return h.Sum(nil)[:publicMACLen]
}
