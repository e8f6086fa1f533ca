package realtimekit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/realtime_kit"

	"github.com/meetbot/meetbot/core"
)

// maxSummary bounds a downloaded summary: it is a page of text.
const maxSummary = 1 << 20

var _ core.RoomInsight = (*Client)(nil)

// ActiveSession returns the room's live session with everyone who was in
// it (one row per peer). RealtimeKit's active-session answer has counts
// only, so the people come from the session's participants list: two
// calls per live room. With no session live (404, or a session already
// ENDED) ok is false. The calls carry the caller's priority; the poller
// sends them as background work.
func (c *Client) ActiveSession(ctx context.Context, roomID string) (core.LiveSession, bool, error) {
	if err := pathID("meeting", roomID); err != nil {
		return core.LiveSession{}, false, err
	}
	var res *realtime_kit.ActiveSessionGetActiveSessionResponse
	err := c.call(ctx, "get_active_session", true, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.ActiveSessionGetActiveSessionParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		var err error
		res, err = c.rtk.ActiveSession.GetActiveSession(ctx, c.cfg.AppID, roomID, p, opts...)
		return err
	})
	if core.ErrorCode(err) == core.ENOTFOUND {
		return core.LiveSession{}, false, nil
	}
	if err != nil {
		return core.LiveSession{}, false, err
	}
	d := res.Data
	if d.ID == "" {
		return core.LiveSession{}, false, unexpected("active session answered without data.id")
	}
	if d.Status == realtime_kit.ActiveSessionGetActiveSessionResponseDataStatusEnded {
		return core.LiveSession{}, false, nil
	}
	ls := core.LiveSession{ID: d.ID, Live: true, StartedAt: isoTime(d.StartedAt), EndedAt: isoTime(d.EndedAt)}
	ls.Participants, err = c.sessionParticipants(ctx, d.ID)
	if err != nil {
		return core.LiveSession{}, false, err
	}
	return ls, true, nil
}

// sessionParticipants lists a session's participants page by page.
func (c *Client) sessionParticipants(ctx context.Context, sessionID string) ([]core.SessionParticipant, error) {
	if err := pathID("session", sessionID); err != nil {
		return nil, err
	}
	var out []core.SessionParticipant
	for page := 1; page <= maxPages; page++ {
		var res *realtime_kit.SessionGetSessionParticipantsResponse
		err := c.call(ctx, "get_session_participants", true, func(ctx context.Context, opts ...option.RequestOption) error {
			var p realtime_kit.SessionGetSessionParticipantsParams
			p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
			p.PageNo.Value, p.PageNo.Present = float64(page), true
			p.PerPage.Value, p.PerPage.Present = perPage, true
			var err error
			res, err = c.rtk.Sessions.GetSessionParticipants(ctx, c.cfg.AppID, sessionID, p, opts...)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, p := range res.Data.Participants {
			out = append(out, core.SessionParticipant{
				CustomParticipantID: p.CustomParticipantID, DisplayName: p.DisplayName,
				JoinedAt: isoTime(p.JoinedAt), LeftAt: isoTime(p.LeftAt),
			})
		}
		// The answer carries no paging block: a short page is the last.
		if len(res.Data.Participants) < perPage {
			break
		}
	}
	return out, nil
}

// RecordingURL returns a fresh download URL of a recording and its
// expiry; ENOTFOUND when the recording is unknown or has no file yet.
func (c *Client) RecordingURL(ctx context.Context, recordingID string) (string, time.Time, error) {
	if err := pathID("recording", recordingID); err != nil {
		return "", time.Time{}, err
	}
	var res *realtime_kit.RecordingGetOneRecordingResponse
	err := c.call(ctx, "get_recording", true, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.RecordingGetOneRecordingParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		var err error
		res, err = c.rtk.Recordings.GetOneRecording(ctx, c.cfg.AppID, recordingID, p, opts...)
		return err
	})
	if core.ErrorCode(err) == core.ENOTFOUND {
		return "", time.Time{}, core.Wrap(core.ENOTFOUND, err, "That recording does not exist (any more).")
	}
	if err != nil {
		return "", time.Time{}, err
	}
	if res.Data.DownloadURL == "" {
		return "", time.Time{}, core.Errorf(core.ENOTFOUND, "That recording has no file yet; try again in a few minutes.")
	}
	return res.Data.DownloadURL, res.Data.DownloadURLExpiry, nil
}

// Summary returns a session's AI summary: where to download it (one API
// call), then the text. ENOTFOUND when there is none.
func (c *Client) Summary(ctx context.Context, sessionID string) (string, error) {
	if err := pathID("session", sessionID); err != nil {
		return "", err
	}
	var res *realtime_kit.SessionGetSessionSummaryResponse
	err := c.call(ctx, "get_session_summary", true, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.SessionGetSessionSummaryParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		var err error
		res, err = c.rtk.Sessions.GetSessionSummary(ctx, c.cfg.AppID, sessionID, p, opts...)
		return err
	})
	if core.ErrorCode(err) == core.ENOTFOUND {
		return "", core.Wrap(core.ENOTFOUND, err, "There is no summary for that meeting: transcription may be off in its preset, or it is not ready yet.")
	}
	if err != nil {
		return "", err
	}
	if res.Data.SummaryDownloadURL == "" {
		return "", core.Errorf(core.ENOTFOUND, "There is no summary for that meeting yet.")
	}
	return c.FetchSummary(ctx, res.Data.SummaryDownloadURL)
}

// FetchSummary downloads a summary from the (expiring, secret) URL a
// webhook or Summary pointed at. It is not an API call, so it takes no
// budget; it has the call deadline and a size cap, and never puts the URL
// in an error or a log line.
func (c *Client) FetchSummary(ctx context.Context, downloadURL string) (string, error) {
	u, err := url.Parse(downloadURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", core.Errorf(core.EINVALID, "The summary link is not a web address.")
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, downloadURL, nil)
	if err != nil {
		return "", core.Errorf(core.EINVALID, "The summary link is not a web address.")
	}
	res, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error would carry the secret URL
		}
		return "", core.Wrap(core.EUNAVAILABLE, err, "The summary could not be downloaded; try again later.")
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusForbidden:
		return "", core.Wrap(core.ENOTFOUND, fmt.Errorf("summary download answered %d", res.StatusCode),
			"The summary link has expired; ask for the summary again.")
	case res.StatusCode != http.StatusOK:
		return "", core.Wrap(core.EUNAVAILABLE, fmt.Errorf("summary download answered %d", res.StatusCode),
			"The summary could not be downloaded; try again later.")
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxSummary))
	if err != nil {
		return "", core.Wrap(core.EUNAVAILABLE, err, "The summary could not be downloaded; try again later.")
	}
	return string(b), nil
}

// isoTime reads RealtimeKit's REST timestamps; anything else is zero.
func isoTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
