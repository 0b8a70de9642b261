// Package config reads Patuh's settings from environment variables once, at start-up.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is passed explicitly to whatever needs it; there is no global.
type Config struct {
	// Production turns on secure cookies and refuses development defaults.
	Production  bool
	DatabaseURL string
	Addr        string
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
	// TokenTTL is the lifetime of a new API token unless its creator picks another
	// (PATUH_TOKEN_TTL, "90d" or a duration such as "720h"; default 90 days, issue 14).
	TokenTTL time.Duration
	// DataDir keeps uploaded import files (named by their SHA-256) and evidence files.
	DataDir string
}

const devSecret = "development-only-secret-do-not-use-in-production"

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
	}
	var err error
	if c.SessionIdle, err = duration("PATUH_SESSION_IDLE", 30*time.Minute); err != nil {
		return Config{}, err
	}
	if c.SessionMaxAge, err = duration("PATUH_SESSION_MAX_AGE", 12*time.Hour); err != nil {
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
	} else if c.Secret == "" {
		c.Secret = devSecret
	}
	if !strings.Contains(c.DatabaseURL, "sslmode=") {
		// lib/pq would silently require TLS; make the choice visible instead.
		return Config{}, errors.New("DATABASE_URL must name sslmode (e.g. ?sslmode=disable on a local socket, verify-full elsewhere)")
	}
	return c, nil
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
