package core

import (
	"strings"
	"time"
)

// Config holds the operator's policy. Zero values take the documented
// defaults, so a test or local mode only sets what it cares about.
type Config struct {
	// EarlyJoin and Grace widen the join window; 0 takes the default of
	// 5m, a negative value means none (the window is exactly the meeting).
	EarlyJoin       time.Duration
	Grace           time.Duration
	DefaultDuration time.Duration // default 30m
	MaxDuration     time.Duration // default 24h
	DefaultTimeZone string        // default "UTC"
	// HostPreset and ParticipantPreset name RealtimeKit presets.
	HostPreset        string // default "group_call_host"
	ParticipantPreset string // default "group_call_participant"
	// PublicURL is where adapters/web is reachable; links are built on it.
	PublicURL string // default "http://127.0.0.1:8080"
	// LinkTTL is how long a personal join link stays valid.
	LinkTTL time.Duration // default 15m
	// TokenMaxAge is when a stored participant token is refreshed; tokens
	// live 100 days upstream, so refresh well before.
	TokenMaxAge time.Duration // default 80 days
	// MaxTitle caps titles, in runes.
	MaxTitle int // default 200
	// Reminders are the default reminder lead times; nil means 10m and 0s.
	// An empty non-nil slice means no reminders.
	Reminders []time.Duration
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.EarlyJoin, 5*time.Minute)
	def(&c.Grace, 5*time.Minute)
	c.EarlyJoin, c.Grace = max(c.EarlyJoin, 0), max(c.Grace, 0)
	def(&c.DefaultDuration, 30*time.Minute)
	def(&c.MaxDuration, 24*time.Hour)
	def(&c.LinkTTL, 15*time.Minute)
	def(&c.TokenMaxAge, 80*24*time.Hour)
	if c.DefaultTimeZone == "" {
		c.DefaultTimeZone = "UTC"
	}
	if c.HostPreset == "" {
		c.HostPreset = "group_call_host"
	}
	if c.ParticipantPreset == "" {
		c.ParticipantPreset = "group_call_participant"
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://127.0.0.1:8080"
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.MaxTitle == 0 {
		c.MaxTitle = 200
	}
	if c.Reminders == nil {
		c.Reminders = []time.Duration{10 * time.Minute, 0}
	}
	return c
}
