package chatkit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var entities = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// TestFitKeepsShortText: text within the limit is only escaped.
func TestFitKeepsShortText(t *testing.T) {
	if got := Fit("a<b", 6, entities.Replace); got != "a&lt;b" {
		t.Fatalf("Fit = %q", got)
	}
	if got := Fit("abc", 0, nil); got != "" {
		t.Fatalf("Fit to 0 = %q", got)
	}
}

// TestFitCutsBetweenCharacters: a cut text ends in the ellipsis, stays
// within the limit, and splits no entity and no rune.
func TestFitCutsBetweenCharacters(t *testing.T) {
	for max := 1; max < 20; max++ {
		got := Fit("ab<<é漢字🙂>>cdefghij", max, entities.Replace)
		if n := utf8.RuneCountInString(got); n > max || !utf8.ValidString(got) || !strings.HasSuffix(got, Ellipsis) {
			t.Fatalf("max %d: %q (%d)", max, got, n)
		}
		body := strings.TrimSuffix(got, Ellipsis)
		if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
			t.Fatalf("max %d: entity cut in half: %q", max, got)
		}
	}
	if got := Fit("abcdef", 4, nil); got != "abc…" {
		t.Fatalf("Fit = %q", got)
	}
}

// TestFitCountsUTF16: Discord's count takes an emoji as two, so the cut
// leaves it out rather than going over.
func TestFitCountsUTF16(t *testing.T) {
	d := Text{Count: UTF16}
	if UTF16("a🙂") != 3 {
		t.Fatalf("UTF16 = %d", UTF16("a🙂"))
	}
	if got := d.Fit("ab🙂cd", 4); got != "ab…" {
		t.Fatalf("Fit = %q", got)
	}
	if got := d.Fit("ab🙂", 4); got != "ab🙂" {
		t.Fatalf("Fit of text that fits = %q", got)
	}
}

// TestOr: unset options take their defaults; set ones stay.
func TestOr(t *testing.T) {
	if Or(0, 3) != 3 || Or(-1, 3) != 3 || Or(2, 3) != 2 {
		t.Fatal("Or")
	}
}
