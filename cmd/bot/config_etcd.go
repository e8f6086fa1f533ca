package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/storage"
	"github.com/meetbot/meetbot/storage/etcd"
)

// EtcdConfig is the store shared by several replicas (storage.driver:
// etcd). Every replica of one install uses the same endpoints and prefix.
type EtcdConfig struct {
	// Endpoints are the cluster members' client URLs
	// (http://host:2379, or https:// with TLS).
	Endpoints []string `yaml:"endpoints"`
	// Username and Password authenticate when the cluster has auth
	// enabled; keep the password in the environment (${ETCD_PASSWORD}).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// CAFile verifies the members' certificates (PEM); empty means the
	// system roots. CertFile and KeyFile are this replica's client
	// certificate, for clusters that require one.
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// Prefix scopes every key, so several installs can share one cluster.
	Prefix string `yaml:"prefix"`
	// LeaderTTL is how long a leader that died keeps the lead before
	// another replica takes over (whole seconds; etcd leases count in
	// seconds).
	LeaderTTL Duration `yaml:"leader_ttl"`
	// DialTimeout bounds the first contact at start: past it meetbot exits
	// naming the endpoints it could not reach.
	DialTimeout Duration `yaml:"dial_timeout"`
}

// defaultEtcd is the etcd section's defaults.
func defaultEtcd() EtcdConfig {
	return EtcdConfig{
		Prefix:      etcd.DefaultPrefix,
		LeaderTTL:   Duration(etcd.DefaultLeaderTTL),
		DialTimeout: Duration(etcd.DefaultDialTimeout),
	}
}

// validateStorage checks the storage section. The etcd keys are checked
// only when the etcd driver is chosen, so a bbolt install is never told
// about a cluster it does not use.
func (c Config) validateStorage(add func(format string, args ...any)) {
	s := c.Storage
	switch s.Driver {
	case storage.Bolt:
		if s.Bolt.Path == "" {
			add("storage.bolt.path: must be set (example: ./data/meetbot.db)")
		}
	case storage.Etcd:
		validateEtcd(s.Etcd, add)
	default:
		add("storage.driver: %q is not a storage driver; use bolt (one process) or etcd (several replicas)", s.Driver)
	}
	if id := s.ReplicaID; id != "" && !validReplicaID(id) {
		add("storage.replica_id: %q must be 1 to 64 letters, digits, '.', '_' or '-' (it names this replica in logs and /readyz)", id)
	}
}

func validateEtcd(e EtcdConfig, add func(format string, args ...any)) {
	if len(e.Endpoints) == 0 {
		add("storage.etcd.endpoints: must list at least one member when storage.driver is etcd (example: [http://127.0.0.1:2379])")
	}
	schemes := map[string]bool{}
	for _, ep := range e.Endpoints {
		scheme, err := endpointScheme(ep)
		if err != nil {
			add("storage.etcd.endpoints: %q %v", ep, err)
			continue
		}
		schemes[scheme] = true
	}
	if schemes["http"] && schemes["https"] {
		add("storage.etcd.endpoints: mixes http:// and https:// members; a cluster speaks one of them")
	}
	if (e.Username == "") != (e.Password == "") {
		add("storage.etcd.password: set storage.etcd.username and storage.etcd.password together, or neither")
	}
	if _, err := etcdTLS(e); err != nil {
		add("%v", err)
	}
	if !strings.HasPrefix(e.Prefix, "/") || !strings.HasSuffix(e.Prefix, "/") {
		add("storage.etcd.prefix: %q must start and end with / (example: /meetbot/)", e.Prefix)
	}
	if d := e.LeaderTTL.D(); d < time.Second || d > time.Minute || d%time.Second != 0 {
		add("storage.etcd.leader_ttl: %s must be whole seconds from 1s to 60s (default 3s)", d)
	}
	if d := e.DialTimeout.D(); d < 100*time.Millisecond || d > time.Minute {
		add("storage.etcd.dial_timeout: %s is out of range (100ms to 1m; default 5s)", d)
	}
}

// endpointScheme returns http or https for a member's client URL, which
// may also be written host:port (plain http, as etcdctl takes it).
func endpointScheme(ep string) (string, error) {
	if !strings.Contains(ep, "://") {
		if _, port, err := net.SplitHostPort(ep); err != nil || port == "" {
			return "", errors.New("is not a URL such as http://10.0.0.1:2379")
		}
		return "http", nil
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", errors.New("is not a URL such as http://10.0.0.1:2379")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("must use http:// or https://, not %s://", u.Scheme)
	}
	return u.Scheme, nil
}

// etcdTLS builds the client's TLS settings: nil (plain gRPC) unless an
// endpoint is https or a CA or client certificate is configured. The files
// are read and parsed here, so check-config finds a missing or broken one
// and a start never fails on it halfway.
func etcdTLS(e EtcdConfig) (*tls.Config, error) {
	https := false
	for _, ep := range e.Endpoints {
		if s, err := endpointScheme(ep); err == nil && s == "https" {
			https = true
		}
	}
	if !https && e.CAFile == "" && e.CertFile == "" && e.KeyFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var problems []error
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		switch {
		case err != nil:
			problems = append(problems, fmt.Errorf("storage.etcd.ca_file: cannot read %s: %w", e.CAFile, errors.Unwrap(err)))
		default:
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				problems = append(problems, fmt.Errorf("storage.etcd.ca_file: %s holds no PEM certificate", e.CAFile))
			}
			cfg.RootCAs = pool
		}
	}
	switch {
	case e.CertFile == "" && e.KeyFile == "":
	case e.CertFile == "" || e.KeyFile == "":
		problems = append(problems, errors.New("storage.etcd.cert_file and storage.etcd.key_file: set both for a client certificate, or neither"))
	default:
		missing := false
		for _, f := range []struct{ key, path string }{{"cert_file", e.CertFile}, {"key_file", e.KeyFile}} {
			if _, err := os.Stat(f.path); err != nil {
				problems = append(problems, fmt.Errorf("storage.etcd.%s: cannot read %s: %w", f.key, f.path, errors.Unwrap(err)))
				missing = true
			}
		}
		if !missing {
			pair, err := tls.LoadX509KeyPair(e.CertFile, e.KeyFile)
			if err != nil {
				// The parser's reason names no key material.
				problems = append(problems, fmt.Errorf("storage.etcd.cert_file and storage.etcd.key_file: %s and %s are not a matching PEM certificate and key (%v)", e.CertFile, e.KeyFile, err))
			} else {
				cfg.Certificates = []tls.Certificate{pair}
			}
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return cfg, nil
}

// validReplicaID keeps replica ids to characters that read well in logs
// and in etcd keys.
func validReplicaID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// replicaID is storage.replica_id, else hostname-pid: unique among the
// replicas of one host and stable for the life of the process.
func replicaID(cfg Config, hostname func() (string, error), pid int) string {
	if cfg.Storage.ReplicaID != "" {
		return cfg.Storage.ReplicaID
	}
	host, err := hostname()
	if err != nil || host == "" {
		host = "meetbot"
	}
	return host + "-" + strconv.Itoa(pid)
}

// storageConfig turns the storage section into the factory's Config.
func storageConfig(cfg Config, replica string, log zerolog.Logger) (storage.Config, error) {
	s := cfg.Storage
	out := storage.Config{Driver: s.Driver}
	switch s.Driver {
	case storage.Bolt:
		out.BoltPath = s.Bolt.Path
		out.Bolt = storage.BoltOptions{Logger: log.With().Str("component", "bolt").Logger()}
	case storage.Etcd:
		tc, err := etcdTLS(s.Etcd)
		if err != nil {
			return out, err
		}
		out.Etcd = storage.EtcdOptions{
			Endpoints:   s.Etcd.Endpoints,
			Username:    s.Etcd.Username,
			Password:    s.Etcd.Password,
			TLS:         tc,
			Prefix:      s.Etcd.Prefix,
			LeaderTTL:   s.Etcd.LeaderTTL.D(),
			DialTimeout: s.Etcd.DialTimeout.D(),
			ReplicaID:   replica,
			Logger:      log.With().Str("component", "etcd").Str("replica", replica).Logger(),
		}
	}
	return out, nil
}
