package core

import "context"

// CardEvent says why a meeting card needs redrawing.
type CardEvent string

// The changes that redraw a meeting card.
const (
	CardRSVP      CardEvent = "rsvp"
	CardMoved     CardEvent = "moved"
	CardSkipped   CardEvent = "skipped"
	CardCancelled CardEvent = "cancelled"
	CardInvited   CardEvent = "invited"
	CardStarted   CardEvent = "started"
	CardEnded     CardEvent = "ended"
	// CardLive redraws a card because people joined or left its room, or
	// the room went live or emptied (coalesced: see HandleRoomEvent). It
	// changes nothing but the card's live line.
	CardLive CardEvent = "live"
	// CardRoom: the video room's readiness changed (its creation failed
	// for the first time, or it was made after failing), so a card that
	// says "video room not ready yet" (Meeting.RoomNotReady) is redrawn.
	CardRoom CardEvent = "room"
)

// CardKeeper is implemented by notifiers that keep a meeting's card up to
// date in place (Slack's chat.update, a Discord message edit). Core calls it
// after every change a reader of the card would notice; a notifier without
// it simply leaves old cards as they were posted.
type CardKeeper interface {
	// UpdateCard redraws m.Card (and updates m.Mirror, when set) from m.
	// Either may be zero. It is best effort: a failure is
	// logged by core, and the next change redraws the card again.
	UpdateCard(ctx context.Context, m *Meeting, ev CardEvent) error
}
