package webhook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// decodeCases are bodies where a hand-written decoder most easily parts
// from encoding/json: key folding, repeated keys and objects, null, wrong
// types, escapes, invalid UTF-8, numbers and trailing bytes.
var decodeCases = []string{
	`{"event":"meeting.started","meeting":{"id":"r"}}`,
	` {"EVENT":"x","Meeting":{"ID":"r","SESSIONID":"s"}} `,
	`{"event":"a","event":"b"}`,
	`{"meeting":{"id":"a"},"meeting":{"sessionId":"b"}}`,
	`{"meeting":{"id":"a"},"meeting":null,"meeting":{"sessionId":"b"}}`,
	`{"meeting":null}`,
	`{"event":null,"reason":null}`,
	`{"event":1}`, `{"event":true}`, `{"event":{}}`, `{"event":[]}`,
	`{"meeting":"x"}`, `{"meeting":[]}`, `{"meeting":1}`, `{"meeting":{"title":5}}`, `{"meeting":{"status":{}}}`,
	`{"participant":{"peerId":"p","userDisplayName":"M\u00e4ry \"q\" \\ \/ \b\f\n\r\t"}}`,
	`{"participant":{"userDisplayName":"\ud83d\ude00 \ud83d x \ude00 \ud83d\u0041"}}`,
	"{\"participant\":{\"userDisplayName\":\"bad \xff\xfe utf8 \xed\xa0\x80\"}}",
	"{\"event\":\"\xff\"}",
	`{"\u0065vent":"escaped key"}`,
	"{\"\u017ftatus\":1,\"meeting\":{\"\u017ftatus\":\"long s folds to s\"}}",
	"{\"recording\":{\"\u212a\":1,\"id\":\"x\",\"STATUS\":\"UPLOADED\"}}",
	`{"x":[1,-2.5e+3,0,-0,1E9,true,false,null,{"a":[]},"s"],"y":{}}`,
	`{"x":01}`, `{"x":1.}`, `{"x":.5}`, `{"x":-}`, `{"x":1e}`, `{"x":+1}`,
	`{"x":tru}`, `{"x":nul}`, `{"event":"a"} x`, `{"event":"a"}{}`, `{"event":"a",}`, `{,}`, `{"a"}`, `{"a":}`,
	`{"x":"\'"}`, `{"x":"\x"}`, `{"x":"\u12"}`, `{"x":"\u12g4"}`, "{\"x\":\"tab\there\"}", `{"x":"unterminated}`,
	`[]`, `null`, `"s"`, `1`, ``, ` `, `{`, `}`,
}

// The seed corpus of FuzzDecodeMatchesJSON: every payload in testdata and
// decodeCases.
func decodeSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	entries, err := os.ReadDir(filepath.Join("testdata", "payloads"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", "payloads", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	for _, c := range decodeCases {
		seeds = append(seeds, []byte(c))
	}
	return seeds
}

// refPayload is payload as json.Unmarshal read it before decodePayload:
// the meeting with the title, roomName and status that are typed but not
// kept.
type refPayload struct {
	payload
	Meeting *struct {
		meetingPart
		Title    string `json:"title"`
		RoomName string `json:"roomName"`
		Status   string `json:"status"`
	} `json:"meeting"`
}

// checkDecode fails t unless decodePayload and json.Unmarshal agree on
// body: both refuse it, or both accept it with equal payloads.
func checkDecode(t *testing.T, body []byte) {
	t.Helper()
	var ref refPayload
	var got payload
	wantErr := json.Unmarshal(body, &ref)
	ok := decodePayload(body, &got)
	if ok != (wantErr == nil) {
		t.Fatalf("%q: decodePayload ok=%v, json.Unmarshal err=%v", body, ok, wantErr)
	}
	want := ref.payload
	if ref.Meeting != nil {
		want.Meeting = &ref.Meeting.meetingPart
	}
	if ok && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decodePayload =\n %s\njson.Unmarshal =\n %s", body, dump(got), dump(want))
	}
}

func dump(p payload) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// Ensure the hand-written decoder fills payload exactly as encoding/json
// does, or refuses exactly what it refuses, on the tricky cases above.
func TestDecodeMatchesJSON(t *testing.T) {
	for _, body := range decodeSeeds(t) {
		checkDecode(t, body)
	}
}

// Ensure the nesting limit is encoding/json's: 10000 levels decode, one
// more is refused.
func TestDecodeDepthLimit(t *testing.T) {
	for _, depth := range []int{maxDepth - 1, maxDepth} { // plus the top-level object
		body := `{"x":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
		checkDecode(t, []byte(body))
		body = `{"x":` + strings.Repeat(`{"a":`, depth-1) + "1" + strings.Repeat("}", depth-1) + `}`
		checkDecode(t, []byte(body))
	}
	deep := `{"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`
	var p payload
	if decodePayload([]byte(deep), &p) {
		t.Fatal("decoded a body nested deeper than encoding/json allows")
	}
}

// FuzzDecodeMatchesJSON holds decodePayload to json.Unmarshal on any
// body: Parse's answers are encoding/json's as long as it passes.
func FuzzDecodeMatchesJSON(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkDecode)
}
