package console

import (
	"context"
	"fmt"
	"strings"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// RoomDriver makes a person enter or leave a room the way a browser would,
// so the video service reports it (webhooks) and the loop from the room
// back to the chat can be tried without a browser. Local mode passes the
// RealtimeKit sandbox; elsewhere there is none and ":join" says so.
type RoomDriver interface {
	// EnterRoomAs joins the room as the participant with customID from a
	// new device (peer) and returns the peer's id.
	EnterRoomAs(roomID, customID string) (peerID string, err error)
	// LeaveRoom takes the peer out of the room.
	LeaveRoom(roomID, peerID string) error
}

// roomPeer is one device the console put in a room.
type roomPeer struct{ room, peer string }

// enterRoom is ":join <id>": the typing person enters meeting id's room
// (another device each time).
func (c *Console) enterRoom(ctx context.Context, id string) output {
	fail := func(msg string) output {
		return output{OK: false, Text: msg, Error: &errOut{Code: string(core.EINVALID), Message: msg}}
	}
	if c.opts.Rooms == nil {
		return fail("There is no simulated video service here (\":join\" works in local mode only); open your join link in a browser instead.")
	}
	if id = strings.TrimSpace(id); id == "" {
		return fail("Which meeting? For example \":join 1\".")
	}
	room, custom, err := c.opts.Service.RoomIdentity(ctx, c.actor(), id)
	if err != nil {
		return c.toOutput(ctx, failReply(err))
	}
	peer, err := c.opts.Rooms.EnterRoomAs(room, custom)
	if err != nil {
		return fail("The simulated video service refused: " + err.Error())
	}
	key := c.user + "\x00" + id
	c.peers[key] = append(c.peers[key], roomPeer{room: room, peer: peer})
	return output{OK: true, Text: fmt.Sprintf("@%s entered meeting %s's room (device %d).", c.user, id, len(c.peers[key]))}
}

// leaveRoom is ":leave <id>": the typing person's last device leaves.
func (c *Console) leaveRoom(id string) output {
	id = strings.TrimSpace(id)
	key := c.user + "\x00" + id
	ps := c.peers[key]
	if c.opts.Rooms == nil || len(ps) == 0 {
		msg := fmt.Sprintf("@%s is not in meeting %s's room; \":join %s\" enters it.", c.user, id, id)
		return output{OK: false, Text: msg, Error: &errOut{Code: string(core.EINVALID), Message: msg}}
	}
	p := ps[len(ps)-1]
	if err := c.opts.Rooms.LeaveRoom(p.room, p.peer); err != nil {
		msg := "The simulated video service refused: " + err.Error()
		return output{OK: false, Text: msg, Error: &errOut{Code: string(core.EUNAVAILABLE), Message: msg}}
	}
	c.peers[key] = ps[:len(ps)-1]
	return output{OK: true, Text: fmt.Sprintf("@%s left meeting %s's room.", c.user, id)}
}

// failReply wraps err as a failed chat reply, for toOutput.
func failReply(err error) chat.Reply {
	e, ok := core.AsError(err)
	if !ok {
		e = &core.Error{Code: core.EINTERNAL, Message: core.ErrorMessage(err), Err: err}
	}
	return chat.Reply{OK: false, Text: e.Message, Err: e}
}
