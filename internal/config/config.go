// Package config reads Patuh's settings from environment variables once, at start-up.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is passed explicitly to whatever needs it; there is no global.
type Config struct {
	// Production turns on secure cookies and refuses development defaults.
	Production bool
	// DatabaseURL is what the server connects as: the role patuh_app, which may not rewrite
	// the audit log. DatabaseOwnerURL runs the migrations as the role that owns the audit
	// tables (migrations/00017); without it the migrations run as DatabaseURL.
	DatabaseURL      string
	DatabaseOwnerURL string
	// AuditKey keys the HMAC seals of the audit chain (PATUH_AUDIT_KEY, or the contents of
	// PATUH_AUDIT_KEY_FILE). It must never be stored in the database.
	AuditKey []byte
	// AuditSealEvery is how many new audit rows the server lets pass before sealing the head.
	AuditSealEvery int
	Addr           string
	// Secret keys the HMAC under which API tokens are stored.
	Secret string
	// SecureCookies sends the session as a __Host- cookie with Secure; only off in
	// development over plain http.
	SecureCookies  bool
	SessionIdle    time.Duration
	SessionMaxAge  time.Duration
	TrustedProxies []string
	LogFormat      string // json or text
	// MFAInspectors makes the second factor required of inspectors (PATUH_MFA_INSPECTORS=required);
	// admins and supervisors always need it.
	MFAInspectors bool
	// ImportWorkers is how many import workers this instance runs (PATUH_IMPORT_WORKERS, default
	// 2): a small file is validated while a large one runs; leases keep them apart.
	ImportWorkers int
	// ImportLease is how long an import worker's lease lasts without renewal
	// (PATUH_IMPORT_LEASE, default 30s): a dead instance's import is taken over after it.
	ImportLease time.Duration
	// TokenTTL is the lifetime of a new API token unless its creator picks another
	// (PATUH_TOKEN_TTL, "90d" or a duration such as "720h"; default 90 days, issue 14).
	TokenTTL time.Duration
	// DataDir keeps uploaded import files (named by their SHA-256) and evidence files.
	DataDir string
	// FileRetention is how long the stored file of a committed import is kept before the server
	// removes it (PATUH_FILE_RETENTION: days, e.g. 90 or 90d, or a duration like 2160h).
	FileRetention time.Duration
	// MapTiles is an optional tile URL template for the dashboard map (PATUH_MAP_TILES, e.g.
	// https://tiles.example.go.id/{z}/{x}/{y}.png): without it the map draws the boundary
	// polygons on a plain background and needs no server beyond Patuh.
	MapTiles string
}

const devSecret = "development-only-secret-do-not-use-in-production"
const devAuditKey = "development-only-audit-key-do-not-use-in-production"

// FromEnv builds the configuration and says clearly what is wrong when it cannot start.
func FromEnv() (Config, error) {
	env := getenv("PATUH_ENV", "development")
	if env != "development" && env != "production" {
		return Config{}, fmt.Errorf("PATUH_ENV must be development or production, not %q", env)
	}
	c := Config{
		Production:  env == "production",
		DatabaseURL: getenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/patuh?sslmode=disable"),
		Addr:        getenv("PATUH_ADDR", ":8080"),
		Secret:      os.Getenv("PATUH_SECRET"),
		LogFormat:   getenv("PATUH_LOG_FORMAT", "json"),
		DataDir:     getenv("PATUH_DATA_DIR", ".data/files"),
		MapTiles:    os.Getenv("PATUH_MAP_TILES"),
	}
	if c.MapTiles != "" {
		if u, err := url.Parse(c.MapTiles); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Config{}, fmt.Errorf("PATUH_MAP_TILES must be an http(s) URL template like https://tiles.example/{z}/{x}/{y}.png, not %q", c.MapTiles)
		}
	}
	c.DatabaseOwnerURL = getenv("DATABASE_OWNER_URL", c.DatabaseURL)
	var err error
	if c.AuditKey, err = auditKey(); err != nil {
		return Config{}, err
	}
	if c.ImportLease, err = duration("PATUH_IMPORT_LEASE", 30*time.Second); err != nil || c.ImportLease < 3*time.Second {
		return Config{}, errors.New("PATUH_IMPORT_LEASE must be a duration of at least 3s, e.g. 30s")
	}
	if c.ImportWorkers, err = integer("PATUH_IMPORT_WORKERS", 2); err != nil || c.ImportWorkers < 1 {
		return Config{}, errors.New("PATUH_IMPORT_WORKERS must be a whole number of at least 1")
	}
	if c.AuditSealEvery, err = integer("PATUH_AUDIT_SEAL_EVERY", 1000); err != nil {
		return Config{}, err
	}
	if c.SessionIdle, err = duration("PATUH_SESSION_IDLE", 30*time.Minute); err != nil {
		return Config{}, err
	}
	if c.SessionMaxAge, err = duration("PATUH_SESSION_MAX_AGE", 12*time.Hour); err != nil {
		return Config{}, err
	}
	if c.FileRetention, err = days("PATUH_FILE_RETENTION", 90*24*time.Hour); err != nil {
		return Config{}, err
	}
	if c.TokenTTL, err = lifetime("PATUH_TOKEN_TTL", 90*24*time.Hour); err != nil {
		return Config{}, err
	}
	if c.SecureCookies, err = boolean("PATUH_SECURE_COOKIES", c.Production); err != nil {
		return Config{}, err
	}
	switch v := getenv("PATUH_MFA_INSPECTORS", "optional"); v {
	case "optional":
	case "required":
		c.MFAInspectors = true
	default:
		return Config{}, fmt.Errorf("PATUH_MFA_INSPECTORS must be optional or required, not %q", v)
	}
	if p := os.Getenv("PATUH_TRUSTED_PROXIES"); p != "" {
		c.TrustedProxies = strings.Split(p, ",")
	}
	if c.Production {
		if len(c.Secret) < 32 {
			return Config{}, errors.New("PATUH_ENV=production needs PATUH_SECRET of at least 32 characters (e.g. `openssl rand -hex 32`)")
		}
		if !c.SecureCookies {
			return Config{}, errors.New("PATUH_ENV=production refuses PATUH_SECURE_COOKIES=false: serve over https")
		}
		if len(c.AuditKey) < 32 {
			return Config{}, errors.New("PATUH_ENV=production needs PATUH_AUDIT_KEY (or PATUH_AUDIT_KEY_FILE) of at least 32 characters, kept outside the database")
		}
		if string(c.AuditKey) == c.Secret {
			return Config{}, errors.New("PATUH_AUDIT_KEY must differ from PATUH_SECRET")
		}
	} else {
		if c.Secret == "" {
			c.Secret = devSecret
		}
		if len(c.AuditKey) == 0 {
			c.AuditKey = []byte(devAuditKey)
		}
	}
	for key, u := range map[string]string{"DATABASE_URL": c.DatabaseURL, "DATABASE_OWNER_URL": c.DatabaseOwnerURL} {
		if !strings.Contains(u, "sslmode=") {
			// lib/pq would silently require TLS; make the choice visible instead.
			return Config{}, fmt.Errorf("%s must name sslmode (e.g. ?sslmode=disable on a local socket, verify-full elsewhere)", key)
		}
	}
	return c, nil
}

// auditKey reads PATUH_AUDIT_KEY, else the file PATUH_AUDIT_KEY_FILE names (`make run` writes
// one under .data/); surrounding white space is not part of the key.
func auditKey() ([]byte, error) {
	if k := os.Getenv("PATUH_AUDIT_KEY"); k != "" {
		return []byte(strings.TrimSpace(k)), nil
	}
	path := os.Getenv("PATUH_AUDIT_KEY_FILE")
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("PATUH_AUDIT_KEY_FILE: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if k == "" {
		return nil, fmt.Errorf("PATUH_AUDIT_KEY_FILE: %s is empty", path)
	}
	return []byte(k), nil
}

func integer(key string, def int) (int, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive whole number", key, v)
	}
	return n, nil
}

func getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func duration(key string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration like 30m", key, v)
	}
	return d, nil
}

func lifetime(key string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := ParseLifetime(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return d, nil
}

// ParseLifetime reads a lifetime in days ("90d") or as a Go duration ("36h").
func ParseLifetime(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a positive number of days like 90d", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive lifetime like 90d or 720h", v)
	}
	return d, nil
}

func boolean(key string, def bool) (bool, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not true or false", key, v)
	}
	return b, nil
}

// days reads a number of days (90 or 90d) or a Go duration (2160h).
func days(key string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(os.Getenv(key))
	if v == "" {
		return def, nil
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(v, "d")); err == nil && n > 0 {
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive number of days like 90 (or a duration like 2160h)", key, v)
	}
	return d, nil
}
