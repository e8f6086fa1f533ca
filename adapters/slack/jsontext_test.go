package slack

import (
	"reflect"
	"testing"

	slackapi "github.com/slack-go/slack"
)

// FuzzTextOnlyJSON: the text-only fast path writes exactly what
// encoding/json (HTML escaping off) writes, for any text, and is taken
// only for text-only messages.
func FuzzTextOnlyJSON(f *testing.F) {
	for _, s := range []string{"plain", `quote " and \ back`, "tab\tnl\nCR\rbs\bff\f", "\x00\x01\x1f\x7f",
		"<!date^1^{time}|x> &amp; <@U1>", "ünïcødé ✓ 🎉", "line\u2028sep\u2029", "bad \xff utf8 \xc3", "\u00e9\u0301"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, text string, eph bool) {
		rt := slackapi.ResponseTypeInChannel
		if eph {
			rt = slackapi.ResponseTypeEphemeral
		}
		msg := slackapi.Msg{ResponseType: rt, Text: text}
		want, err := marshalNoHTML(msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jsonMarshal(msg)
		if err != nil || string(got) != string(want) {
			t.Fatalf("jsonMarshal(%q) =\n%s\nencoding/json:\n%s", text, got, want)
		}
		if text != "" {
			if _, ok := textOnlyJSON(msg); !ok {
				t.Fatalf("a text-only message of %q missed the fast path", text)
			}
		}
		msg.Blocks = slackapi.Blocks{BlockSet: []slackapi.Block{slackapi.NewDividerBlock()}}
		if _, ok := textOnlyJSON(msg); ok {
			t.Fatal("a message with blocks took the text-only path")
		}
	})
}

// TestTextOnlyJSONRefusesAnyOtherField: a message with any field besides
// its response type and text set, even to an empty but non-nil slice or
// map, is encoded by encoding/json, not the text-only path (as
// reflect.DeepEqual against a text-only message would decide).
func TestTextOnlyJSONRefusesAnyOtherField(t *testing.T) {
	typ := reflect.TypeFor[slackapi.Msg]()
	for _, i := range msgFields {
		msg := slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: "hi"}
		v := nonZero(typ.Field(i).Type)
		if !v.IsValid() {
			t.Fatalf("field %s: no non-zero value of kind %s to try", typ.Field(i).Name, typ.Field(i).Type.Kind())
		}
		reflect.ValueOf(&msg).Elem().Field(i).Set(v)
		if reflect.DeepEqual(msg, slackapi.Msg{ResponseType: msg.ResponseType, Text: msg.Text}) {
			t.Fatalf("field %s: the value tried is not different", typ.Field(i).Name)
		}
		if _, ok := textOnlyJSON(msg); ok {
			t.Errorf("a message with %s set took the text-only path", typ.Field(i).Name)
		}
	}
}

// nonZero returns a smallest non-zero value of t: an empty non-nil slice
// or map, a pointer to a zero value, a struct with its first settable
// field non-zero.
func nonZero(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(t, 0, 0))
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
	case reflect.Pointer:
		v.Set(reflect.New(t.Elem()))
	case reflect.Struct:
		for i := range t.NumField() {
			if f := nonZero(t.Field(i).Type); t.Field(i).IsExported() && f.IsValid() {
				v.Field(i).Set(f)
				return v
			}
		}
		return reflect.Value{}
	default:
		return reflect.Value{}
	}
	return v
}
