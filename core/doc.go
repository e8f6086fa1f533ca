// Package core owns meetbot's domain: workspaces, users, meetings, the join
// window, participants and personal join links, and the ports (interfaces)
// through which adapters and storage plug in.
//
// Core does no I/O of its own. Chat adapters (console, Slack, Discord) turn
// platform events into calls on Service; storage backends implement the
// *Store ports; adapters/realtimekit implements Conference. Because every
// platform calls the same Service with the same request types, platform
// differences stay in the adapters (rendering, identity) and never become
// `if platform == …` here.
package core
