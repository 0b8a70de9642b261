package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestProductionRefusesToStartWithoutSecret(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://x@localhost/patuh?sslmode=disable")
	t.Setenv("PATUH_ENV", "production")
	t.Setenv("PATUH_SECRET", "")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "PATUH_SECRET") {
		t.Fatalf("production without a secret: %v", err)
	}
	t.Setenv("PATUH_SECRET", strings.Repeat("s", 32))
	t.Setenv("PATUH_AUDIT_KEY", "")
	t.Setenv("PATUH_AUDIT_KEY_FILE", "")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "PATUH_AUDIT_KEY") {
		t.Fatalf("production without an audit key: %v", err)
	}
	t.Setenv("PATUH_AUDIT_KEY", strings.Repeat("s", 32))
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Fatalf("production with the audit key equal to the secret: %v", err)
	}
	t.Setenv("PATUH_AUDIT_KEY", "")
	keyFile := t.TempDir() + "/audit.key"
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("k", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATUH_AUDIT_KEY_FILE", keyFile)
	c, err := FromEnv()
	if err != nil || string(c.AuditKey) != strings.Repeat("k", 40) {
		t.Fatalf("audit key from a file: %q %v", c.AuditKey, err)
	}
	c, err = FromEnv()
	if err != nil || !c.SecureCookies {
		t.Fatalf("production with a secret: %+v %v", c, err)
	}
	t.Setenv("PATUH_SECURE_COOKIES", "false")
	if _, err := FromEnv(); err == nil {
		t.Fatal("production accepted insecure cookies")
	}
}

func TestDevelopmentDefaultsAndSSLMode(t *testing.T) {
	t.Setenv("PATUH_ENV", "")
	t.Setenv("PATUH_SECRET", "")
	t.Setenv("DATABASE_URL", "")
	c, err := FromEnv()
	if err != nil || c.Production || c.SecureCookies || c.Secret == "" || c.Addr != ":8080" ||
		len(c.AuditKey) == 0 || c.DatabaseOwnerURL != c.DatabaseURL || c.AuditSealEvery != 1000 {
		t.Fatalf("development defaults: %+v %v", c, err)
	}
	t.Setenv("DATABASE_OWNER_URL", "postgres://owner@localhost/patuh")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "DATABASE_OWNER_URL") {
		t.Fatalf("DATABASE_OWNER_URL without sslmode: %v", err)
	}
	t.Setenv("DATABASE_OWNER_URL", "")
	t.Setenv("DATABASE_URL", "postgres://x@localhost/patuh")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "sslmode") {
		t.Fatalf("DATABASE_URL without sslmode: %v", err)
	}
}

func TestTokenTTL(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://x@localhost/patuh?sslmode=disable")
	t.Setenv("PATUH_ENV", "")
	t.Setenv("PATUH_TOKEN_TTL", "")
	if c, err := FromEnv(); err != nil || c.TokenTTL != 90*24*time.Hour {
		t.Fatalf("default token lifetime: %v %v", c.TokenTTL, err)
	}
	for v, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "36h": 36 * time.Hour} {
		t.Setenv("PATUH_TOKEN_TTL", v)
		if c, err := FromEnv(); err != nil || c.TokenTTL != want {
			t.Errorf("PATUH_TOKEN_TTL=%s: %v %v", v, c.TokenTTL, err)
		}
	}
	for _, v := range []string{"0d", "-3d", "d", "soon", "0s"} {
		t.Setenv("PATUH_TOKEN_TTL", v)
		if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "PATUH_TOKEN_TTL") {
			t.Errorf("PATUH_TOKEN_TTL=%s accepted: %v", v, err)
		}
	}
}
