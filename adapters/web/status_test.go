package web_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
)

func TestStatusFor(t *testing.T) {
	for code, want := range map[core.Code]int{
		core.EINVALID:     http.StatusBadRequest,
		core.EFORBIDDEN:   http.StatusForbidden,
		core.ENOTFOUND:    http.StatusNotFound,
		core.ETOOEARLY:    http.StatusConflict,
		core.ECONFLICT:    http.StatusConflict,
		core.EENDED:       http.StatusGone,
		core.EUNAVAILABLE: http.StatusServiceUnavailable,
		core.EINTERNAL:    http.StatusInternalServerError,
		"":                http.StatusInternalServerError,
		"made_up":         http.StatusInternalServerError,
	} {
		if got := web.StatusFor(code); got != want {
			t.Errorf("StatusFor(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestStatusForErrorTellsExpiredFromInvalid(t *testing.T) {
	expired := fmt.Errorf("open: %w", &core.Error{Code: core.EINVALID, Message: "expired", Err: core.ErrLinkExpired})
	if got := web.StatusForError(expired); got != http.StatusGone {
		t.Errorf("expired link: %d, want 410", got)
	}
	if got := web.StatusForError(core.Errorf(core.EINVALID, "This link has expired.")); got != http.StatusBadRequest {
		t.Errorf("invalid input that merely says expired: %d, want 400", got)
	}
	if got := web.StatusForError(errors.New("disk on fire")); got != http.StatusInternalServerError {
		t.Errorf("untyped error: %d, want 500", got)
	}
}
