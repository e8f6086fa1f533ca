package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meetbot/meetbot/core/timeparse"
)

// Config is the whole YAML configuration. Every key is documented in
// config.example.yaml; a test keeps the two in step.
type Config struct {
	HTTP        HTTPConfig        `yaml:"http"`
	Storage     StorageConfig     `yaml:"storage"`
	RealtimeKit RealtimeKitConfig `yaml:"realtimekit"`
	Meetings    MeetingsConfig    `yaml:"meetings"`
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

// Duration is a time.Duration written as "5m" or "1h30m" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: must be one duration such as 5m, not a list or a section", n.Line)}}
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		// A TypeError (not a plain error) lets the decoder go on, so every
		// bad value in the file is reported at once.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a duration (examples: 30s, 5m, 1h30m)", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// DefaultConfig is local mode: console, sandbox, bbolt under ./data. Every
// field has a value so a config file only needs what differs.
func DefaultConfig() Config {
	return Config{
		HTTP:    HTTPConfig{Listen: "127.0.0.1:8080"},
		Storage: StorageConfig{Driver: "bolt", Bolt: BoltConfig{Path: "./data/meetbot.db"}, Etcd: defaultEtcd()},
		RealtimeKit: RealtimeKitConfig{
			Sandbox:     true,
			BaseURL:     "https://api.cloudflare.com/client/v4/",
			Presets:     PresetsConfig{Host: "group_call_host", Participant: "group_call_participant"},
			CallTimeout: Duration(5 * time.Second),
			Budget:      BudgetConfig{Calls: 1200, Window: Duration(5 * time.Minute)},
		},
		Meetings: MeetingsConfig{
			EarlyJoin:       Duration(5 * time.Minute),
			Grace:           Duration(5 * time.Minute),
			DefaultDuration: Duration(30 * time.Minute),
			MaxDuration:     Duration(24 * time.Hour),
			Reminders:       []Duration{Duration(10 * time.Minute), 0},
		},
		Join: JoinConfig{LinkTTL: Duration(15 * time.Minute)},
		Log:  LogConfig{Level: "info", Format: "json"},
	}
}

var (
	envRef        = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	lineMsg       = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField  = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	cannotDecode  = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
	expectedShape = map[string]string{
		"int":             "must be a whole number",
		"bool":            "must be true or false",
		"string":          "must be a single value, not a list or a section",
		"[]string":        "must be a list such as [http://10.0.0.1:2379]",
		"[]main.Duration": "must be a list of durations such as [10m, 0s] ([] for none)",
	}
)

// keyLines records, by line, the dotted key written on it ("meetings.grace"),
// and for list items on lines of their own the key of their list, so a
// decoding error that only knows its line can name the key.
func keyLines(n *yaml.Node, path string, out map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			keyLines(c, path, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := strings.TrimPrefix(path+"."+n.Content[i].Value, ".")
			out[n.Content[i].Line] = p
			keyLines(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if _, ok := out[c.Line]; !ok && path != "" {
				out[c.Line] = path
			}
			keyLines(c, path, out)
		}
	}
}

// plainTypeError turns one of yaml's decoding errors ("line 3: cannot
// unmarshal !!str `lots` into int") into a sentence naming the key and what
// it takes ("realtimekit.budget.calls (line 3): must be a whole number, not
// "lots""). Errors it cannot place are kept as they are.
func plainTypeError(e string, keys map[int]string) string {
	m := lineMsg.FindStringSubmatch(e)
	if m == nil {
		return e
	}
	line, msg := m[1], m[2]
	n, _ := strconv.Atoi(line)
	key, ok := keys[n]
	if !ok {
		return e
	}
	where := fmt.Sprintf("%s (line %s)", key, line)
	if unknownField.MatchString(msg) {
		return where + ": unknown key; compare the spelling and indentation with config.example.yaml"
	}
	if c := cannotDecode.FindStringSubmatch(msg); c != nil {
		want, ok := expectedShape[c[3]]
		switch {
		case ok:
		case strings.HasPrefix(c[3], "main.") && strings.HasSuffix(c[3], "Config"):
			want = "must be a section of keys, as in config.example.yaml"
		default:
			return where + ": " + msg
		}
		// The value is quoted only when short and where no secret belongs:
		// a token pasted in place of a section is not echoed.
		if c[2] != "" && len(c[2]) <= 24 && !strings.HasPrefix(c[3], "main.") {
			return fmt.Sprintf("%s: %s, not %q", where, want, c[2])
		}
		return where + ": " + want
	}
	return where + ": " + msg
}

// LoadConfig reads path, expands ${ENV} references inside string values
// (only the braced form, so a literal "$" in a secret survives), and decodes
// it strictly: unknown keys are errors, because a typo in a key would
// otherwise silently fall back to a default. The returned problems list
// every issue found (for check-config); err is set when there is any.
func LoadConfig(path string, getenv func(string) string) (Config, []string, error) {
	cfg := DefaultConfig()
	raw, err := os.ReadFile(path)
	if err != nil {
		return cfg, nil, fmt.Errorf("read config: %w", err)
	}
	var problems []string
	unset := map[string]string{}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return cfg, []string{fmt.Sprintf("%s is not valid YAML: %v", path, err)}, errors.New("invalid config")
	}
	expandNode(&root, getenv, unset, "")
	expanded, err := yaml.Marshal(&root)
	if err != nil {
		return cfg, nil, fmt.Errorf("re-encode config: %w", err)
	}
	if len(root.Content) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(expanded))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) {
				keys := map[int]string{}
				keyLines(&root, "", keys)
				for _, e := range te.Errors {
					problems = append(problems, plainTypeError(e, keys))
				}
			} else {
				problems = append(problems, fmt.Sprintf("%s: %v", path, strings.TrimPrefix(err.Error(), "yaml: ")))
			}
		}
	}
	for _, v := range cfg.Validate() {
		// A required key left empty because its ${VAR} is unset: say so.
		key, _, _ := strings.Cut(v, ":")
		if name, ok := unset[key]; ok {
			v += fmt.Sprintf(" (environment variable %s is not set)", name)
		}
		problems = append(problems, v)
	}
	if len(problems) > 0 {
		return cfg, problems, errors.New("invalid config")
	}
	return cfg, nil, nil
}

// expandNode replaces ${VAR} in every scalar below n. Unset variables
// become empty strings and are recorded by key path, so Validate's message
// for a required key can name the variable; optional keys stay quiet (the
// example config references credentials that sandbox mode does not need).
func expandNode(n *yaml.Node, getenv func(string) string, unset map[string]string, path string) {
	switch n.Kind {
	case yaml.ScalarNode:
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v := getenv(name)
			if v == "" {
				unset[strings.TrimPrefix(path, ".")] = name
			}
			return v
		})
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
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		add("http.listen: %q is not host:port (example: 127.0.0.1:8080)", c.HTTP.Listen)
	}
	if c.HTTP.PublicURL != "" {
		if u, err := url.Parse(c.HTTP.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("http.public_url: %q must be an absolute http(s) URL (example: https://meet.example.com)", c.HTTP.PublicURL)
		}
	}
	c.validateStorage(add)
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
	if m.DefaultTimeZone != "" {
		if _, err := time.LoadLocation(m.DefaultTimeZone); err != nil || m.DefaultTimeZone == "Local" {
			add("meetings.default_timezone: %q is not an IANA zone (example: Europe/Berlin)", m.DefaultTimeZone)
		}
	}
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
	return p
}
