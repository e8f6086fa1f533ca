package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeFile writes body to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// selfSigned writes a PEM certificate and its key, as an operator's CA or
// client certificate would be.
func selfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "meetbot test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath = writeFile(t, dir, "cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyPath = writeFile(t, dir, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	return certPath, keyPath
}

// TestEtcdConfigDefaultsAndTLS: a minimal etcd section takes the defaults
// (prefix /meetbot/, leader_ttl 3s, dial_timeout 5s), ${ENV} fills the
// password, and the CA and client certificate are read into the client's
// TLS settings.
func TestEtcdConfigDefaultsAndTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	path := writeFile(t, dir, "c.yaml", "storage:\n  driver: etcd\n  etcd:\n    endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]\n    username: meetbot\n    password: ${ETCD_PW}\n    ca_file: "+cert+"\n    cert_file: "+cert+"\n    key_file: "+key+"\n")
	env := func(k string) string {
		if k == "ETCD_PW" {
			return "s3cret-from-env"
		}
		return ""
	}
	cfg, problems, err := LoadConfig(path, env)
	if err != nil {
		t.Fatalf("valid etcd config refused: %v %v", err, problems)
	}
	e := cfg.Storage.Etcd
	if e.Prefix != "/meetbot/" || e.LeaderTTL.D() != 3*time.Second || e.DialTimeout.D() != 5*time.Second {
		t.Errorf("defaults: prefix %q, leader_ttl %s, dial_timeout %s", e.Prefix, e.LeaderTTL.D(), e.DialTimeout.D())
	}
	if e.Password != "s3cret-from-env" || len(e.Endpoints) != 2 {
		t.Errorf("password from env %q, endpoints %v", e.Password, e.Endpoints)
	}
	tc, err := etcdTLS(e)
	if err != nil || tc == nil || tc.RootCAs == nil || len(tc.Certificates) != 1 {
		t.Fatalf("TLS config: %+v, %v", tc, err)
	}
	if id := replicaID(cfg, func() (string, error) { return "host1", nil }, 42); id != "host1-42" {
		t.Errorf("default replica id %q, want host1-42", id)
	}
	plain := EtcdConfig{Endpoints: []string{"http://127.0.0.1:2379"}}
	if tc, err := etcdTLS(plain); tc != nil || err != nil {
		t.Errorf("plain http endpoints got TLS %v, %v", tc, err)
	}
}

// TestEtcdConfigProblemsAllNamed: check-config lists every bad etcd value
// at once, each naming its key, and never echoes the password.
func TestEtcdConfigProblemsAllNamed(t *testing.T) {
	dir := t.TempDir()
	garbage := writeFile(t, dir, "garbage.pem", "not a certificate\n")
	body := `storage:
  driver: etcd
  replica_id: "a b"
  etcd:
    endpoints: [ftp://10.0.0.1:2379, http://10.0.0.2:2379, https://10.0.0.3:2379, nonsense]
    username: meetbot
    password: ${ETCD_PW}
    ca_file: ` + garbage + `
    cert_file: ` + filepath.Join(dir, "missing.pem") + `
    prefix: meetbot
    leader_ttl: 1500ms
    dial_timeout: 0s
`
	path := writeFile(t, dir, "bad.yaml", body)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"check-config", "--config", path}, nil, &out, &errOut, func(string) string { return "" })
	if code == 0 {
		t.Fatal("bad etcd config passed")
	}
	got := out.String()
	for _, want := range []string{
		`storage.etcd.endpoints: "ftp://10.0.0.1:2379" must use http:// or https://`,
		`storage.etcd.endpoints: "nonsense" is not a URL`,
		"storage.etcd.endpoints: mixes http:// and https://",
		"storage.etcd.password: set storage.etcd.username and storage.etcd.password together",
		"ETCD_PW is not set",
		"storage.etcd.ca_file: " + garbage + " holds no PEM certificate",
		"storage.etcd.cert_file and storage.etcd.key_file: set both",
		`storage.etcd.prefix: "meetbot" must start and end with /`,
		"storage.etcd.leader_ttl: 1.5s must be whole seconds",
		"storage.etcd.dial_timeout: 0s is out of range",
		`storage.replica_id: "a b"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check-config output lacks %q:\n%s", want, got)
		}
	}

	// A missing file and a scalar where a list belongs are named too; an
	// empty list is its own problem.
	path = writeFile(t, dir, "bad2.yaml", "storage:\n  driver: etcd\n  etcd:\n    endpoints: http://10.0.0.1:2379\n")
	_, problems, _ := LoadConfig(path, func(string) string { return "" })
	if !strings.Contains(strings.Join(problems, "\n"), "storage.etcd.endpoints (line 4): must be a list") {
		t.Errorf("scalar endpoints: %q", problems)
	}
	path = writeFile(t, dir, "bad3.yaml", "storage:\n  driver: etcd\n  etcd:\n    endpoints: []\n    ca_file: "+filepath.Join(dir, "nope.pem")+"\n    leader_ttl: 0s\n")
	_, problems, _ = LoadConfig(path, func(string) string { return "" })
	joined := strings.Join(problems, "\n")
	for _, want := range []string{"storage.etcd.endpoints: must list at least one member", "storage.etcd.ca_file: cannot read " + filepath.Join(dir, "nope.pem") + ": no such file", "storage.etcd.leader_ttl: 0s"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}

	// A secret in the environment never shows up in a problem.
	path = writeFile(t, dir, "bad4.yaml", "storage:\n  driver: etcd\n  etcd:\n    endpoints: [http://10.0.0.1:2379]\n    password: ${ETCD_PW}\n")
	_, problems, _ = LoadConfig(path, func(k string) string { return map[string]string{"ETCD_PW": "hunter2-secret"}[k] })
	if j := strings.Join(problems, "\n"); !strings.Contains(j, "storage.etcd.password") || strings.Contains(j, "hunter2") {
		t.Errorf("password without username: %q", problems)
	}
}

// TestBoltConfigIgnoresEtcdSection: with the bolt driver, a half-filled
// etcd section is not checked (the shipped example has one), and an
// unknown driver names both choices.
func TestBoltConfigIgnoresEtcdSection(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "c.yaml", "storage:\n  driver: bolt\n  etcd:\n    endpoints: []\n    prefix: nope\n")
	if _, problems, err := LoadConfig(path, func(string) string { return "" }); err != nil {
		t.Fatalf("bolt config with an unused etcd section: %v", problems)
	}
	path = writeFile(t, dir, "d.yaml", "storage:\n  driver: postgres\n")
	_, problems, _ := LoadConfig(path, func(string) string { return "" })
	if j := strings.Join(problems, "\n"); !strings.Contains(j, `storage.driver: "postgres" is not a storage driver; use bolt (one process) or etcd`) {
		t.Errorf("unknown driver: %q", problems)
	}
}
