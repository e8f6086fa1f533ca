// Package core owns meetbot's domain: workspaces, users, meetings, the join
// window, participants and personal join links, the due jobs that run a
// meeting on time, the error codes every adapter maps to a reply, and the
// ports (interfaces) through which adapters and storage plug in.
//
// Core does no I/O of its own. Chat adapters (console, Slack, Discord) turn
// platform events into calls on Service; storage backends implement the
// *Store ports; adapters/realtimekit implements Conference. Because every
// platform calls the same Service with the same request types, platform
// differences stay in the adapters (rendering, identity) and never become
// `if platform == …` here.
//
// The files are named after what they own. The domain values are in
// types.go, occurrence.go and window.go; the ports in ports.go and jobs.go;
// errors in errors.go. Service (service.go) is composed of one part per
// use-case area, each in its own file and holding only the ports it needs:
// see Service for the map. Below core, core/command parses the "/meet"
// grammar, core/chat holds the conversation every chat adapter shares,
// core/scheduler runs due jobs while this process leads, and core/recur and
// core/timeparse read recurrence and times as people type them.
package core
