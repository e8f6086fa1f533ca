// Package web owns meetbot's own HTTP surface: personal join links and the
// pages they open, public meeting pages and calendar files, health and
// readiness. Chat adapters mount their endpoints on the same mux elsewhere
// (cmd/bot calls Handler.Handle), so a deployment needs a single public
// listener and every request goes through one access log.
//
// A personal join link is a bearer credential for a few minutes, and the page
// it opens carries a RealtimeKit participant token that lives 100 days. So
// the package is strict about what leaves the process:
//
//   - the code is checked again at the moment the link is opened (by
//     core.Service.OpenLink), never trusted from an earlier check;
//   - the token is written only into the body of the open page, inside a
//     script, as a JSON string, or into the body of the wait page's "has it
//     opened?" answer (GET /j/{code}?state=1) once the window is open;
//     never into a URL, a header or a log line;
//   - every /j/ response forbids caching, referrers, framing and MIME
//     sniffing, and carries a Content-Security-Policy with a fresh nonce;
//   - the access log names the route pattern ("/j/{code}"), never the path,
//     so neither codes nor tokens reach log storage;
//   - error codes become HTTP statuses in exactly one place, StatusFor.
//
// Each meeting also has two public pages, named by a calendar code
// (core.Service.CalendarCode, signed with its own key, so a join code is
// not one): /meetings/{code} says what and when, and /meetings/{code}.ics
// is the iCalendar file, with a VTIMEZONE built from Go's tzdata. They let
// their holder read the schedule only: no token, no join link and no
// invitee list, just "/meet join <id>" to ask the bot in chat.
//
// Before the window, the same link shows a wait page (the person may get it
// up to a day early): the meeting, its start in the viewer's zone and the
// organizer's, a countdown, and a calendar link. It asks the server when
// the window should have opened and, told so, starts the UI Kit in place,
// on the same address. The meeting page loads the two pinned RealtimeKit
// packages from Options.UIKitBaseURL, each script checked by its
// Subresource Integrity hash (uikit_integrity.go, generated from the npm
// packages and checked against them by the browser tests).
//
// In sandbox mode (local development, tests) the open page shows what would
// be joined, including the token's decoded claims, instead of starting the
// RealtimeKit UI Kit; the raw token is not shown there either.
package web
