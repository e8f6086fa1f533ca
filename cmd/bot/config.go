package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/webhook"
	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/timeparse"
	"github.com/meetbot/meetbot/storage"
)

// Config is the whole YAML configuration. Every key is documented in
// config.example.yaml; a test keeps the two in step.
type Config struct {
	HTTP        HTTPConfig        `yaml:"http"`
	Storage     StorageConfig     `yaml:"storage"`
	RealtimeKit RealtimeKitConfig `yaml:"realtimekit"`
	Meetings    MeetingsConfig    `yaml:"meetings"`
	Web         WebConfig         `yaml:"web"`
	Join        JoinConfig        `yaml:"join"`
	Slack       SlackConfig       `yaml:"slack"`
	Discord     DiscordConfig     `yaml:"discord"`
	Log         LogConfig         `yaml:"log"`
}

// SlackConfig turns Slack on. The signing secret is required for HTTP
// mode; an app token switches to Socket Mode; a bot token installs one
// workspace, a client id and secret let any workspace install through
// OAuth.
type SlackConfig struct {
	SigningSecret string `yaml:"signing_secret"`
	BotToken      string `yaml:"bot_token"`
	AppToken      string `yaml:"app_token"`
	ClientID      string `yaml:"client_id"`
	ClientSecret  string `yaml:"client_secret"`
	// APIURL is the Web API base (default https://slack.com/api/), so a
	// proxy or a test server can stand in.
	APIURL string `yaml:"api_url"`
}

// Enabled reports whether any Slack transport is configured.
func (c SlackConfig) Enabled() bool {
	return c.SigningSecret != "" || c.AppToken != ""
}

// DiscordConfig turns Discord on: the gateway with a bot token, the HTTP
// interactions endpoint with the application's public key, or both.
type DiscordConfig struct {
	BotToken      string `yaml:"bot_token"`
	ApplicationID string `yaml:"application_id"`
	PublicKey     string `yaml:"public_key"`
	// APIURL is the REST base (default https://discord.com/api/v9/, the version discordgo
	// speaks), so
	// tests can run against a fake API.
	APIURL string `yaml:"api_url"`
	// Gateway connects to Discord's gateway when a bot token is set
	// (default true); false serves HTTP interactions only.
	Gateway *bool `yaml:"gateway"`
	// MirrorEvents mirrors meetings as Guild Scheduled Events.
	MirrorEvents bool `yaml:"mirror_events"`
}

// Enabled reports whether Discord is configured.
func (c DiscordConfig) Enabled() bool { return c.BotToken != "" || c.PublicKey != "" }

// HTTPConfig is the web server (join links, health).
type HTTPConfig struct {
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
	// TrustForwardedFor takes client addresses from X-Forwarded-For (only
	// behind a reverse proxy that appends it), for per-address limits.
	TrustForwardedFor bool `yaml:"trust_forwarded_for"`
	// AdminListen is where GET /metrics (Prometheus) and /debug/pprof/ are
	// served, host:port; empty (the default) serves neither anywhere.
	// Keep it on an address only operators reach.
	AdminListen string `yaml:"admin_listen"`
}

// StorageConfig picks and configures the storage backend.
type StorageConfig struct {
	// Driver is bolt (one process on one file) or etcd (several replicas
	// on one cluster).
	Driver string     `yaml:"driver"`
	Bolt   BoltConfig `yaml:"bolt"`
	Etcd   EtcdConfig `yaml:"etcd"`
	// ReplicaID names this process in job claims, the leader election,
	// logs and /readyz; default hostname-pid.
	ReplicaID string `yaml:"replica_id"`
	// EncryptionKey seals chat bot tokens and participant tokens at rest
	// (AES-256-GCM): 32 random bytes as 64 hex digits or base64. Required
	// for Slack OAuth installs.
	EncryptionKey string `yaml:"encryption_key"`
}

// BoltConfig is the embedded single-file store.
type BoltConfig struct {
	Path string `yaml:"path"`
}

// RealtimeKitConfig is the video service.
type RealtimeKitConfig struct {
	Sandbox     bool          `yaml:"sandbox"`
	BaseURL     string        `yaml:"base_url"`
	AccountID   string        `yaml:"account_id"`
	AppID       string        `yaml:"app_id"`
	APIToken    string        `yaml:"api_token"`
	Presets     PresetsConfig `yaml:"presets"`
	CallTimeout Duration      `yaml:"call_timeout"`
	Budget      BudgetConfig  `yaml:"budget"`
	// WebhookKeyURL is the document with the key RealtimeKit signs its
	// webhooks with (.well-known/webhooks.json).
	WebhookKeyURL string `yaml:"webhook_key_url"`
}

// PresetsConfig names the RealtimeKit presets for hosts and everyone else.
type PresetsConfig struct {
	Host        string `yaml:"host"`
	Participant string `yaml:"participant"`
}

// BudgetConfig is the client-side API budget.
type BudgetConfig struct {
	Calls  int      `yaml:"calls"`
	Window Duration `yaml:"window"`
}

// MeetingsConfig is the scheduling policy.
type MeetingsConfig struct {
	EarlyJoin       Duration `yaml:"early_join"`
	Grace           Duration `yaml:"grace"`
	DefaultDuration Duration `yaml:"default_duration"`
	MaxDuration     Duration `yaml:"max_duration"`
	DefaultTimeZone string   `yaml:"default_timezone"`
	// Reminders are lead times before the start, e.g. [10m, 0s].
	Reminders []Duration `yaml:"reminders"`
	// Media is the camera and screen-share quality meeting pages ask for.
	Media MediaConfig `yaml:"media"`
}

// MediaConfig is meetings.media: passed to RealtimeKitClient.init as
// defaults.mediaConfiguration; workspace admins may override each value.
type MediaConfig struct {
	Video                string `yaml:"video"`
	FrameRate            int    `yaml:"frame_rate"`
	ScreenshareFrameRate int    `yaml:"screenshare_frame_rate"`
}

// Settings returns the media config as core's type.
func (m MediaConfig) Settings() core.MediaSettings {
	return core.MediaSettings{Video: m.Video, FrameRate: m.FrameRate, ScreenshareFrameRate: m.ScreenshareFrameRate}
}

// WebConfig is the web pages.
type WebConfig struct {
	// UIKitBaseURL is where the meeting page loads the pinned RealtimeKit
	// packages from; the default is the jsDelivr CDN.
	UIKitBaseURL string `yaml:"ui_kit_base_url"`
}

// JoinConfig is the personal join links.
type JoinConfig struct {
	SigningKey string   `yaml:"signing_key"`
	LinkTTL    Duration `yaml:"link_ttl"`
}

// LogConfig is logging.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Duration is a time.Duration written as "5m" or "1h30m" in YAML; the
// config decoder (nodeDecoder.duration) reads it.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// DefaultConfig is local mode: console, sandbox, bbolt under ./data. Every
// field has a value so a config file only needs what differs. Values that
// a package owns come from that package (core.DefaultConfig, realtimekit's
// and etcd's Default constants), so each is written once; only what is
// cmd/bot's own (listen address, file path, logging) is written here.
func DefaultConfig() Config {
	policy := core.DefaultConfig()
	reminders := make([]Duration, 0, len(policy.Reminders))
	for _, r := range policy.Reminders {
		reminders = append(reminders, Duration(r))
	}
	return Config{
		HTTP:    HTTPConfig{Listen: defaultListen},
		Storage: StorageConfig{Driver: storage.Bolt, Bolt: BoltConfig{Path: "./data/meetbot.db"}, Etcd: defaultEtcd()},
		RealtimeKit: RealtimeKitConfig{
			Sandbox:     true,
			BaseURL:     realtimekit.DefaultBaseURL,
			Presets:     PresetsConfig{Host: policy.HostPreset, Participant: policy.ParticipantPreset},
			CallTimeout: Duration(realtimekit.DefaultCallTimeout),
			Budget:      BudgetConfig{Calls: realtimekit.DefaultBudget, Window: Duration(realtimekit.DefaultBudgetWindow)},

			WebhookKeyURL: webhook.DefaultKeyURL,
		},
		Meetings: MeetingsConfig{
			EarlyJoin:       Duration(policy.EarlyJoin),
			Grace:           Duration(policy.Grace),
			DefaultDuration: Duration(policy.DefaultDuration),
			MaxDuration:     Duration(policy.MaxDuration),
			Reminders:       reminders,
			Media: MediaConfig{Video: policy.Media.Video, FrameRate: policy.Media.FrameRate,
				ScreenshareFrameRate: policy.Media.ScreenshareFrameRate},
		},
		Web:  WebConfig{UIKitBaseURL: web.DefaultUIKitBaseURL},
		Join: JoinConfig{LinkTTL: Duration(policy.LinkTTL)},
		Log:  LogConfig{Level: "info", Format: "json"},
	}
}

// defaultListen is where the web server listens without a config; core's
// default public URL is the same address.
const defaultListen = "127.0.0.1:8080"

// envRef is a ${NAME} reference to an environment variable.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// LoadConfig reads path, expands ${ENV} references inside string values
// (only the braced form, so a literal "$" in a secret survives), and decodes
// it strictly: unknown keys are errors, because a typo in a key would
// otherwise silently fall back to a default. The returned problems list
// every issue found (for check-config); err is set when there is any.
func LoadConfig(path string, getenv func(string) string) (Config, []string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return DefaultConfig(), nil, fmt.Errorf("read config: %w", err)
	}
	cfg, problems := parseConfig(raw, path, getenv)
	if len(problems) > 0 {
		return cfg, problems, errors.New("invalid config")
	}
	return cfg, nil, nil
}

// parseConfig is LoadConfig on the file's bytes; name is only for
// messages. It returns every problem: those of decoding (with the file's
// line numbers) and then those of Validate.
func parseConfig(raw []byte, name string, getenv func(string) string) (Config, []string) {
	cfg := DefaultConfig()
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return cfg, []string{fmt.Sprintf("%s is not valid YAML: %v", name, err)}
	}
	unset := map[string]string{}
	expandNode(&root, getenv, unset, "")
	var d nodeDecoder
	if len(root.Content) > 0 {
		d.decode(root.Content[0], reflect.ValueOf(&cfg).Elem(), "")
	}
	problems := d.problems
	for _, v := range cfg.Validate() {
		// A required key left empty because its ${VAR} is unset: say so.
		key, _, _ := strings.Cut(v, ":")
		if name, ok := unset[key]; ok {
			v += fmt.Sprintf(" (environment variable %s is not set)", name)
		}
		problems = append(problems, v)
	}
	return cfg, problems
}

// expandNode replaces ${VAR} in every scalar below n. Unset variables
// become empty strings and are recorded by key path, so Validate's message
// for a required key can name the variable; optional keys stay quiet (the
// example config references credentials that sandbox mode does not need).
func expandNode(n *yaml.Node, getenv func(string) string, unset map[string]string, path string) {
	switch n.Kind {
	case yaml.ScalarNode:
		v := envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v := getenv(name)
			if v == "" {
				unset[strings.TrimPrefix(path, ".")] = name
			}
			return v
		})
		if v != n.Value && v != "" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			// An unquoted reference takes the type of what it expands to,
			// so "calls: ${CALLS}" reads a number; an unset one stays an
			// empty string.
			n.Tag = ""
		}
		n.Value = v
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandNode(n.Content[i+1], getenv, unset, path+"."+n.Content[i].Value)
		}
	default:
		for _, c := range n.Content {
			expandNode(c, getenv, unset, path)
		}
	}
}

// Validate returns every problem in cfg, each one sentence naming the key.
func (c Config) Validate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	c.validateHTTP(add)
	c.validateStorage(add)
	c.validateRealtimeKit(add)
	c.validateRoomEvents(add)
	c.validateMeetings(add)
	if k := c.Join.SigningKey; k != "" && len(k) < 32 {
		add("join.signing_key: must be at least 32 characters (or leave it empty to keep a generated key in the store)")
	}
	if k := c.Slack.SigningSecret; k != "" && len(k) < 16 {
		add("slack.signing_secret: %d characters is too short for a Slack signing secret (Basic Information → App Credentials)", len(k))
	}
	c.validateChat(add)
	if c.Join.LinkTTL.D() < time.Minute || c.Join.LinkTTL.D() > 24*time.Hour {
		add("join.link_ttl: %s is out of range (1m to 24h)", c.Join.LinkTTL.D())
	}
	c.validateLog(add)
	return p
}

func (c Config) validateHTTP(add func(format string, args ...any)) {
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		add("http.listen: %q is not host:port (example: 127.0.0.1:8080)", c.HTTP.Listen)
	}
	if a := c.HTTP.AdminListen; a != "" {
		if _, port, err := net.SplitHostPort(a); err != nil {
			add("http.admin_listen: %q is not host:port (example: 127.0.0.1:9090)", a)
		} else if a == c.HTTP.Listen && port != "0" {
			add("http.admin_listen: %q is http.listen too; metrics and pprof need an address of their own", a)
		}
	}
	if c.HTTP.PublicURL != "" {
		if u, err := url.Parse(c.HTTP.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("http.public_url: %q must be an absolute http(s) URL (example: https://meet.example.com)", c.HTTP.PublicURL)
		}
	}
}

// validateRealtimeKit checks the video service; credentials only when the
// sandbox is off.
func (c Config) validateRealtimeKit(add func(format string, args ...any)) {
	rk := c.RealtimeKit
	if !rk.Sandbox {
		if rk.AccountID == "" {
			add("realtimekit.account_id: must be set unless realtimekit.sandbox is true")
		}
		if rk.AppID == "" {
			add("realtimekit.app_id: must be set unless realtimekit.sandbox is true")
		}
		if rk.APIToken == "" {
			add("realtimekit.api_token: must be set unless realtimekit.sandbox is true")
		}
		if u, err := url.Parse(rk.BaseURL); err != nil || u.Scheme == "" || u.Host == "" {
			add("realtimekit.base_url: %q must be an absolute URL (example: https://api.cloudflare.com/client/v4/)", rk.BaseURL)
		}
	}
	if rk.Presets.Host == "" || rk.Presets.Participant == "" {
		add("realtimekit.presets.host and realtimekit.presets.participant: both must name a preset")
	}
	if rk.CallTimeout.D() < 100*time.Millisecond || rk.CallTimeout.D() > time.Minute {
		add("realtimekit.call_timeout: %s is out of range (100ms to 1m)", rk.CallTimeout.D())
	}
	if rk.Budget.Calls < 10 {
		add("realtimekit.budget.calls: %d is too low (Cloudflare allows 1200 per 5m)", rk.Budget.Calls)
	}
	if rk.Budget.Window.D() < time.Second {
		add("realtimekit.budget.window: must be at least 1s (example: 5m)")
	}
}

func (c Config) validateMeetings(add func(format string, args ...any)) {
	m := c.Meetings
	if m.EarlyJoin.D() < 0 || m.EarlyJoin.D() > 2*time.Hour {
		add("meetings.early_join: %s is out of range (0 to 2h)", m.EarlyJoin.D())
	}
	if m.Grace.D() < 0 || m.Grace.D() > 2*time.Hour {
		add("meetings.grace: %s is out of range (0 to 2h)", m.Grace.D())
	}
	if m.MaxDuration.D() < time.Minute || m.MaxDuration.D() > timeparse.MaxDuration {
		add("meetings.max_duration: %s is out of range (1m to 24h; /meet reads no longer duration)", m.MaxDuration.D())
	}
	if m.DefaultDuration.D() < time.Minute || m.DefaultDuration.D() > m.MaxDuration.D() {
		add("meetings.default_duration: %s must be between 1m and meetings.max_duration", m.DefaultDuration.D())
	}
	if len(m.Reminders) > 10 {
		add("meetings.reminders: %d lead times is too many (at most 10)", len(m.Reminders))
	}
	for _, r := range m.Reminders {
		if r.D() < 0 || r.D() > 7*24*time.Hour {
			add("meetings.reminders: %s is out of range (0s to 168h)", r.D())
		}
	}
	if _, _, ok := core.VideoSize(m.Media.Video); !ok {
		add("meetings.media.video: %q is not 720p or 1080p", m.Media.Video)
	}
	if r := m.Media.FrameRate; r < 1 || r > core.MaxFrameRate {
		add("meetings.media.frame_rate: %d is out of range (1 to %d)", r, core.MaxFrameRate)
	}
	if r := m.Media.ScreenshareFrameRate; r < 1 || r > core.MaxFrameRate {
		add("meetings.media.screenshare_frame_rate: %d is out of range (1 to %d)", r, core.MaxFrameRate)
	}
	if err := web.CheckUIKitBaseURL(c.Web.UIKitBaseURL); err != nil {
		add("%s", core.ErrorMessage(err))
	}
	if m.DefaultTimeZone != "" {
		if _, err := time.LoadLocation(m.DefaultTimeZone); err != nil || m.DefaultTimeZone == "Local" {
			add("meetings.default_timezone: %q is not an IANA zone (example: Europe/Berlin)", m.DefaultTimeZone)
		}
	}
}

func (c Config) validateLog(add func(format string, args ...any)) {
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level: %q must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		add("log.format: %q must be json or console", c.Log.Format)
	}
}
