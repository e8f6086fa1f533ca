package core

import (
	"strings"
	"time"
)

// Config holds the operator's policy. Zero values take DefaultConfig's
// values, so a test or local mode only sets what it cares about.
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
	// Media is the camera and screen-share quality meeting pages ask for;
	// zero fields take the defaults (720p, 30 fps, screen share 5 fps).
	Media MediaSettings
}

// DefaultConfig is the policy a zero Config stands for. It is the one
// place these values are written: withDefaults fills zero fields from it,
// and cmd/bot's config file starts from it, so the documented defaults
// cannot drift apart.
func DefaultConfig() Config {
	return Config{
		EarlyJoin:         5 * time.Minute,
		Grace:             5 * time.Minute,
		DefaultDuration:   30 * time.Minute,
		MaxDuration:       24 * time.Hour,
		DefaultTimeZone:   "UTC",
		HostPreset:        "group_call_host",
		ParticipantPreset: "group_call_participant",
		PublicURL:         "http://127.0.0.1:8080",
		LinkTTL:           15 * time.Minute,
		TokenMaxAge:       80 * 24 * time.Hour,
		MaxTitle:          200,
		Reminders:         []time.Duration{10 * time.Minute, 0},
		Media:             defaultMedia(),
	}
}

// withDefaults fills every zero field from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	def := func(v *time.Duration, dv time.Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	str := func(v *string, dv string) {
		if *v == "" {
			*v = dv
		}
	}
	def(&c.EarlyJoin, d.EarlyJoin)
	def(&c.Grace, d.Grace)
	c.EarlyJoin, c.Grace = max(c.EarlyJoin, 0), max(c.Grace, 0)
	def(&c.DefaultDuration, d.DefaultDuration)
	def(&c.MaxDuration, d.MaxDuration)
	def(&c.LinkTTL, d.LinkTTL)
	def(&c.TokenMaxAge, d.TokenMaxAge)
	str(&c.DefaultTimeZone, d.DefaultTimeZone)
	str(&c.HostPreset, d.HostPreset)
	str(&c.ParticipantPreset, d.ParticipantPreset)
	str(&c.PublicURL, d.PublicURL)
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.MaxTitle == 0 {
		c.MaxTitle = d.MaxTitle
	}
	if c.Reminders == nil {
		c.Reminders = d.Reminders
	}
	c.Media = withMediaDefaults(c.Media, d.Media)
	return c
}
