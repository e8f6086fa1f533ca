package realtimekit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/realtime_kit"

	"github.com/meetbot/meetbot/core"
)

const (
	// perPage is the page size asked for on lists; RealtimeKit does not
	// document a maximum, so the loops below trust total_count and stop on
	// an empty page rather than on this number.
	perPage = 100
	// maxPages bounds every paging loop, so a server that keeps answering
	// cannot hold a caller forever (the deadline would end it anyway).
	maxPages = 50
)

// unexpected reports a 2xx answer that lacks what every answer must carry,
// typically a proxy or a Cloudflare v4 envelope ({"result":…}) that the SDK
// decodes without error into empty fields.
func unexpected(what string) error {
	return core.Wrap(core.EINTERNAL, errors.New("realtimekit: "+what),
		"The video service gave an unexpected answer.")
}

// RoomTitle is the upstream title of a room: the meeting title and the tag
// that lets FindRoomByTag find it after an ambiguous create.
func RoomTitle(title, tag string) string {
	switch {
	case tag == "":
		return title
	case title == "":
		return tag
	}
	return title + " · " + tag
}

// CreateRoom creates a RealtimeKit meeting titled RoomTitle(req.Title,
// req.Tag) and, when req.Status differs from the status it was created with
// (ACTIVE), sets it. The create is sent once and never retried, so a lost
// answer cannot make a second room; the caller resolves such a failure with
// FindRoomByTag. When the create succeeded but setting the status failed,
// the returned Room carries the new room's id and actual status along with
// the error.
func (c *Client) CreateRoom(ctx context.Context, req core.CreateRoomRequest) (core.Room, error) {
	if req.Status != "" && req.Status != core.RoomActive && req.Status != core.RoomInactive {
		return core.Room{}, core.Wrap(core.EINTERNAL, fmt.Errorf("realtimekit: room status %q", req.Status), "The video room status is invalid.")
	}
	var res *realtime_kit.MeetingNewResponse
	err := c.call(ctx, "create_meeting", false, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.MeetingNewParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		p.Title.Value, p.Title.Present = RoomTitle(req.Title, req.Tag), true
		var err error
		res, err = c.rtk.Meetings.New(ctx, c.cfg.AppID, p, opts...)
		return err
	})
	if err != nil {
		return core.Room{}, err
	}
	if res == nil || res.Data.ID == "" {
		return core.Room{}, unexpected("create meeting answered without data.id")
	}
	room := core.Room{ID: res.Data.ID, Title: res.Data.Title, Status: core.RoomStatus(res.Data.Status)}
	if room.Status == "" {
		room.Status = core.RoomActive // RealtimeKit's presumed default
	}
	if req.Status != "" && req.Status != room.Status {
		if err := c.SetRoomStatus(ctx, room.ID, req.Status); err != nil {
			return room, err
		}
		room.Status = req.Status
	}
	return room, nil
}

// FindRoomByTag searches the app's meetings for one whose title carries
// tag. RealtimeKit's search matches title or id; the title is checked again
// here so a looser upstream match cannot return the wrong room.
func (c *Client) FindRoomByTag(ctx context.Context, tag string) (core.Room, bool, error) {
	if strings.TrimSpace(tag) == "" {
		return core.Room{}, false, core.Wrap(core.EINTERNAL, errors.New("realtimekit: empty room tag"), "The video room reference is invalid.")
	}
	var found core.Room
	ok, err := pageAll(ctx, func(ctx context.Context, page int) (int, int, bool, error) {
		var res *realtime_kit.MeetingGetResponse
		err := c.call(ctx, "list_meetings", true, func(ctx context.Context, opts ...option.RequestOption) error {
			var p realtime_kit.MeetingGetParams
			p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
			p.Search.Value, p.Search.Present = tag, true
			p.PageNo.Value, p.PageNo.Present = float64(page), true
			p.PerPage.Value, p.PerPage.Present = perPage, true
			var err error
			res, err = c.rtk.Meetings.Get(ctx, c.cfg.AppID, p, opts...)
			return err
		})
		if err != nil {
			return 0, 0, false, err
		}
		for _, m := range res.Data {
			if m.ID != "" && strings.Contains(m.Title, tag) {
				found = core.Room{ID: m.ID, Title: m.Title, Status: core.RoomStatus(m.Status)}
				return len(res.Data), int(res.Paging.TotalCount), true, nil
			}
		}
		return len(res.Data), int(res.Paging.TotalCount), false, nil
	})
	return found, ok, err
}

// pageAll calls fetch for pages 1, 2, … until fetch reports it found what it
// wanted (stop), a page comes back empty, total_count items were seen, or
// maxPages pages were read. It reports whether fetch stopped it.
func pageAll(ctx context.Context, fetch func(ctx context.Context, page int) (n, total int, stop bool, err error)) (bool, error) {
	seen := 0
	for page := 1; page <= maxPages; page++ {
		n, total, stop, err := fetch(ctx, page)
		if err != nil || stop {
			return stop, err
		}
		seen += n
		if n == 0 || seen >= total {
			return false, nil
		}
	}
	return false, nil
}

// SetRoomStatus sets the meeting ACTIVE or INACTIVE. It does not end a live
// session (RealtimeKit does not either); call KickAll first to close a room.
func (c *Client) SetRoomStatus(ctx context.Context, roomID string, status core.RoomStatus) error {
	if err := pathID("room", roomID); err != nil {
		return err
	}
	if status != core.RoomActive && status != core.RoomInactive {
		return core.Wrap(core.EINTERNAL, fmt.Errorf("realtimekit: room status %q", status), "The video room status is invalid.")
	}
	return c.call(ctx, "update_meeting", true, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.MeetingUpdateMeetingByIDParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		p.Status.Value, p.Status.Present = realtime_kit.MeetingUpdateMeetingByIDParamsStatus(status), true
		_, err := c.rtk.Meetings.UpdateMeetingByID(ctx, c.cfg.AppID, roomID, p, opts...)
		return err
	})
}

// KickAll ends the room's live session. RealtimeKit does not document the
// answer when no session is live; a 404 (which a missing room also gets) is
// taken as "nothing to end" and is not an error.
func (c *Client) KickAll(ctx context.Context, roomID string) error {
	if err := pathID("room", roomID); err != nil {
		return err
	}
	err := c.call(ctx, "kick_all", false, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.ActiveSessionKickAllParticipantsParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		_, err := c.rtk.ActiveSession.KickAllParticipants(ctx, c.cfg.AppID, roomID, p, opts...)
		return err
	})
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	return err
}

// AddParticipant creates a participant with req's custom id, preset and name
// and returns it with its token. It is safe to retry: when the custom id
// already exists in the room (RealtimeKit answering 409, or 400/422 where
// the docs are vague), it finds that participant, moves it to req.Preset if
// it has another one, and returns it with a fresh token. A 400 for which no
// existing participant turns up is reported as EINVALID naming the preset,
// the only field the bot sends that the app may not know.
func (c *Client) AddParticipant(ctx context.Context, roomID string, req core.AddParticipantRequest) (core.RemoteParticipant, error) {
	if err := pathID("room", roomID); err != nil {
		return core.RemoteParticipant{}, err
	}
	if req.CustomID == "" || req.Preset == "" {
		return core.RemoteParticipant{}, core.Wrap(core.EINTERNAL,
			errors.New("realtimekit: add participant without custom id or preset"), "The participant request is incomplete.")
	}
	name := req.Name
	if strings.TrimSpace(name) == "" {
		name = "Guest" // a token made without a name cannot join
	}
	var res *realtime_kit.MeetingAddParticipantResponse
	err := c.call(ctx, "add_participant", false, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.MeetingAddParticipantParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		p.CustomParticipantID.Value, p.CustomParticipantID.Present = req.CustomID, true
		p.PresetName.Value, p.PresetName.Present = req.Preset, true
		p.Name.Value, p.Name.Present = name, true
		var err error
		res, err = c.rtk.Meetings.AddParticipant(ctx, c.cfg.AppID, roomID, p, opts...)
		return err
	})
	if err == nil {
		if res == nil || res.Data.ID == "" || res.Data.Token == "" {
			return core.RemoteParticipant{}, unexpected("add participant answered without data.id or data.token")
		}
		preset := res.Data.PresetName
		if preset == "" {
			preset = req.Preset
		}
		return core.RemoteParticipant{ID: res.Data.ID, Token: res.Data.Token, Preset: preset}, nil
	}
	status := statusOf(err)
	if status != http.StatusConflict && status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
		return core.RemoteParticipant{}, err
	}
	existing, found, lerr := c.findParticipant(ctx, roomID, req.CustomID)
	if lerr != nil {
		return core.RemoteParticipant{}, lerr
	}
	if !found {
		if status == http.StatusBadRequest {
			return core.RemoteParticipant{}, core.Wrap(core.EINVALID, err, fmt.Sprintf(
				"The video service does not accept the preset %q; check the preset names in the configuration.", req.Preset))
		}
		return core.RemoteParticipant{}, err
	}
	c.log.Debug().Str("room", roomID).Str("participant", existing.ID).Int("status", status).
		Msg("participant already exists; reusing it")
	preset := existing.PresetName
	if preset != req.Preset {
		if err := c.editPreset(ctx, roomID, existing.ID, req.Preset, name); err != nil {
			return core.RemoteParticipant{}, err
		}
		preset = req.Preset
	}
	token, err := c.RefreshToken(ctx, roomID, existing.ID)
	if err != nil {
		return core.RemoteParticipant{}, err
	}
	return core.RemoteParticipant{ID: existing.ID, Token: token, Preset: preset}, nil
}

// findParticipant pages through the room's participants for customID.
func (c *Client) findParticipant(ctx context.Context, roomID, customID string) (realtime_kit.MeetingGetMeetingParticipantsResponseData, bool, error) {
	var found realtime_kit.MeetingGetMeetingParticipantsResponseData
	ok, err := pageAll(ctx, func(ctx context.Context, page int) (int, int, bool, error) {
		var res *realtime_kit.MeetingGetMeetingParticipantsResponse
		err := c.call(ctx, "list_participants", true, func(ctx context.Context, opts ...option.RequestOption) error {
			var p realtime_kit.MeetingGetMeetingParticipantsParams
			p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
			p.PageNo.Value, p.PageNo.Present = float64(page), true
			p.PerPage.Value, p.PerPage.Present = perPage, true
			var err error
			res, err = c.rtk.Meetings.GetMeetingParticipants(ctx, c.cfg.AppID, roomID, p, opts...)
			return err
		})
		if err != nil {
			return 0, 0, false, err
		}
		for _, p := range res.Data {
			if p.CustomParticipantID == customID && p.ID != "" {
				found = p
				return len(res.Data), int(res.Paging.TotalCount), true, nil
			}
		}
		return len(res.Data), int(res.Paging.TotalCount), false, nil
	})
	return found, ok, err
}

// editPreset moves a participant to another preset (a user who became a
// co-host, say), sending the name again so it stays set.
func (c *Client) editPreset(ctx context.Context, roomID, participantID, preset, name string) error {
	if err := pathID("participant", participantID); err != nil {
		return err
	}
	err := c.call(ctx, "edit_participant", true, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.MeetingEditParticipantParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		p.PresetName.Value, p.PresetName.Present = preset, true
		p.Name.Value, p.Name.Present = name, true
		_, err := c.rtk.Meetings.EditParticipant(ctx, c.cfg.AppID, roomID, participantID, p, opts...)
		return err
	})
	if statusOf(err) == http.StatusBadRequest {
		return core.Wrap(core.EINVALID, err, fmt.Sprintf(
			"The video service does not accept the preset %q; check the preset names in the configuration.", preset))
	}
	return err
}

// RefreshToken issues a new token for an existing participant. Earlier
// tokens stay valid until they expire (RealtimeKit does not revoke them);
// only RemoveParticipant revokes.
func (c *Client) RefreshToken(ctx context.Context, roomID, participantID string) (string, error) {
	if err := pathID("room", roomID); err != nil {
		return "", err
	}
	if err := pathID("participant", participantID); err != nil {
		return "", err
	}
	var res *realtime_kit.MeetingRefreshParticipantTokenResponse
	err := c.call(ctx, "refresh_token", false, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.MeetingRefreshParticipantTokenParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		var err error
		res, err = c.rtk.Meetings.RefreshParticipantToken(ctx, c.cfg.AppID, roomID, participantID, p, opts...)
		return err
	})
	if err != nil {
		return "", err
	}
	if res == nil || res.Data.Token == "" {
		return "", unexpected("refresh token answered without data.token")
	}
	return res.Data.Token, nil
}

// RemoveParticipant kicks the participant from a live session (as
// RealtimeKit's FAQ advises; no session or not in it is fine) and deletes
// it, which revokes all of its tokens. A participant that is already gone
// is not an error.
func (c *Client) RemoveParticipant(ctx context.Context, roomID, participantID string) error {
	if err := pathID("room", roomID); err != nil {
		return err
	}
	if err := pathID("participant", participantID); err != nil {
		return err
	}
	err := c.call(ctx, "kick", false, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.ActiveSessionKickParticipantsParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		p.ParticipantIDs.Value, p.ParticipantIDs.Present = []string{participantID}, true
		p.CustomParticipantIDs.Value, p.CustomParticipantIDs.Present = []string{}, true
		_, err := c.rtk.ActiveSession.KickParticipants(ctx, c.cfg.AppID, roomID, p, opts...)
		return err
	})
	switch core.ErrorCode(err) {
	case "", core.ENOTFOUND:
	case core.EUNAVAILABLE:
		return err // try the whole removal again later
	default:
		// Revoking the tokens matters more than the kick; carry on.
		c.log.Warn().Str("room", roomID).Str("participant", participantID).
			Str("upstream", upstreamMessage(err)).Msg("kick before delete failed; deleting anyway")
	}
	err = c.call(ctx, "delete_participant", true, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.MeetingDeleteMeetingParticipantParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		_, err := c.rtk.Meetings.DeleteMeetingParticipant(ctx, c.cfg.AppID, roomID, participantID, p, opts...)
		return err
	})
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	return err
}

// ListPresets returns the names of the app's presets, in upstream order.
func (c *Client) ListPresets(ctx context.Context) ([]string, error) {
	var names []string
	_, err := pageAll(ctx, func(ctx context.Context, page int) (int, int, bool, error) {
		var res *realtime_kit.PresetGetResponse
		err := c.call(ctx, "list_presets", true, func(ctx context.Context, opts ...option.RequestOption) error {
			var p realtime_kit.PresetGetParams
			p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
			p.PageNo.Value, p.PageNo.Present = float64(page), true
			p.PerPage.Value, p.PerPage.Present = perPage, true
			var err error
			res, err = c.rtk.Presets.Get(ctx, c.cfg.AppID, p, opts...)
			return err
		})
		if err != nil {
			return 0, 0, false, err
		}
		for _, p := range res.Data {
			names = append(names, p.Name)
		}
		return len(res.Data), int(res.Paging.TotalCount), false, nil
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// CheckPresets verifies, at start-up, that the API token works and that
// every preset the bot will assign exists in the app. The EINVALID it
// returns lists the missing names and the available ones, so the operator
// can fix the configuration in one go.
func (c *Client) CheckPresets(ctx context.Context, names ...string) error {
	have, err := c.ListPresets(ctx)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return core.Wrap(core.EINVALID, err, fmt.Sprintf(
			"RealtimeKit app %q was not found in account %q; check the app and account ids.", c.cfg.AppID, c.cfg.AccountID))
	}
	if err != nil {
		return err
	}
	var missing []string
	for _, n := range names {
		if !slices.Contains(have, n) && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	available := "none"
	if len(have) > 0 {
		available = strings.Join(have, ", ")
	}
	quoted := make([]string, len(missing))
	for i, m := range missing {
		quoted[i] = strconv.Quote(m)
	}
	return core.Errorf(core.EINVALID, "RealtimeKit app %q has no preset named %s. Available presets: %s.",
		c.cfg.AppID, strings.Join(quoted, ", "), available)
}
