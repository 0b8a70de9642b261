// Package web is the shared HTTP plumbing: the gin engine, middleware, rendering, errors and
// flash messages. It imports no feature package.
package web

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"patuh/internal/i18n"
)

const (
	rendererKey  = "web.renderer"
	localizerKey = "web.localizer"
	requestIDKey = "web.request_id"
	viewerKey    = "web.viewer"
	langCookie   = "patuh_lang"
)

// Deps is what the plumbing needs; features get their own dependencies in their handlers.
type Deps struct {
	Renderer       *Renderer
	Bundle         *i18n.Bundle
	Sessions       *scs.SessionManager
	Activity       *Activity // counts the requests; nil: a count of the engine's own
	Static         fs.FS
	TrustedProxies []string
	SecureCookies  bool
	// MapTiles is the optional tile URL template of the dashboard map: its origin joins the
	// images the pages may load (CSP img-src); nothing else from elsewhere.
	MapTiles string
}

// NewEngine builds the gin engine with the middleware every response passes through. gin's
// mode is the program's to set (cmd/patuh sets release mode), not the engine's.
func NewEngine(d Deps) (*gin.Engine, error) {
	if d.Activity == nil {
		d.Activity = &Activity{}
	}
	e := gin.New()
	e.HandleMethodNotAllowed = true
	// Only the configured proxies may name the client; otherwise X-Forwarded-For is ignored,
	// so it cannot be forged to escape login throttling.
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, err
	}
	policy := csp
	if origin := tileOrigin(d.MapTiles); origin != "" {
		policy = strings.Replace(csp, "img-src 'self' data: blob:", "img-src 'self' data: blob: "+origin, 1)
	}
	securityHeaders := func(c *gin.Context) {
		c.Writer.Header().Set("Content-Security-Policy", policy)
		setOtherSecurityHeaders(c.Writer.Header())
		c.Next()
	}
	e.Use(func(c *gin.Context) { d.Activity.Note(time.Now()) }, requestID, securityHeaders, logRequests, recoverPanic,
		func(c *gin.Context) {
			c.Set(rendererKey, d.Renderer)
			c.Set(localizerKey, d.Bundle.For(langFromCookie(c)))
			c.Set(sessionsKey, d.Sessions)
		}, CSRF, rejectBadBytes)
	e.NoRoute(NotFound)
	e.NoMethod(MethodNotAllowed)

	if d.SecureCookies {
		// Secure cookies mean https (production requires both): browsers keep to https for a
		// year, subdomains included (ASVS V12.1).
		e.Use(func(c *gin.Context) {
			c.Header("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			c.Next()
		})
	}
	static := http.FileServerFS(d.Static)
	e.GET("/static/*path", func(c *gin.Context) {
		// Files only: a directory would be listed by http.FileServer.
		if fi, err := fs.Stat(d.Static, strings.TrimPrefix(path.Clean(c.Param("path")), "/")); err != nil || fi.IsDir() {
			Error(c, errNotFound)
			return
		}
		c.Header("Cache-Control", "public, max-age=86400")
		c.Request.URL.Path = c.Param("path")
		static.ServeHTTP(c.Writer, c.Request)
	})
	e.POST("/lang", func(c *gin.Context) {
		lang := i18n.Normalize(c.PostForm("lang"))
		http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: d.SecureCookies, SameSite: http.SameSiteLaxMode})
		c.Redirect(http.StatusSeeOther, LocalPath(c.PostForm("next")))
	})
	return e, nil
}

// LocalPath keeps a redirect target on this site: anything else becomes "/". It is the one
// rule for every `next` (login, re-login after an expired session, language switch), ASVS
// V3.7/V5: the target is parsed, not prefix-matched, and accepted only as an absolute path of
// this application with no scheme, host or user, whose raw and decoded forms hold no control
// character, no backslash and no leading "//" (browsers read "/\t/x", "/\\x" and "//x" as
// another origin).
func LocalPath(p string) string {
	const home = "/"
	if p == "" || p[0] != '/' || len(p) > 2048 || unsafeInPath(p) {
		return home
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	decoded := u.Path
	if !strings.HasPrefix(decoded, "/") || unsafeInPath(decoded) || strings.HasPrefix(decoded, "//") {
		return home
	}
	if unq, err := url.QueryUnescape(u.RawQuery); err != nil || strings.ContainsAny(unq, "\\") || hasControl(unq) {
		return home
	}
	return p
}

// unsafeInPath reports a backslash, a control character or a leading "//" or "/\\".
func unsafeInPath(s string) bool {
	return strings.HasPrefix(s, "//") || strings.ContainsRune(s, '\\') || hasControl(s)
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// langFromCookie is the chosen language; API clients, which have no cookie, may send
// Accept-Language instead.
func langFromCookie(c *gin.Context) string {
	if v, _ := c.Cookie(langCookie); v != "" {
		return v
	}
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		return c.GetHeader("Accept-Language")
	}
	return ""
}

// Localizer returns the request's language.
func Localizer(c *gin.Context) *i18n.Localizer { return c.MustGet(localizerKey).(*i18n.Localizer) }

// NotFound answers a path no route serves. The application sets it again behind its session
// middleware (gin.Engine.NoRoute), so that a logged-in user's 404 keeps the navigation.
func NotFound(c *gin.Context) { Error(c, errNotFound) }

// MethodNotAllowed answers a method the path's routes do not serve; like NotFound.
func MethodNotAllowed(c *gin.Context) { Error(c, errMethod) }

// SetViewer records who is logged in, for the layout and the logs.
func SetViewer(c *gin.Context, v any, userID int64) {
	c.Set(viewerKey, v)
	c.Set("web.user_id", userID)
}

func viewer(c *gin.Context) any {
	v, _ := c.Get(viewerKey)
	return v
}

func requestID(c *gin.Context) {
	b := make([]byte, 8)
	rand.Read(b)
	id := hex.EncodeToString(b)
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

// RequestID is the request's id, as logged and shown on error pages.
func RequestID(c *gin.Context) string { return c.GetString(requestIDKey) }

const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// tileOrigin is the CSP source of a Leaflet tile URL template: its scheme and host, the host's
// first label a wildcard when it is the {s} subdomain (a.tile.example → *.tile.example).
func tileOrigin(tmpl string) string {
	if tmpl == "" {
		return ""
	}
	u, err := url.Parse(strings.NewReplacer("{s}", "a", "{z}", "0", "{x}", "0", "{y}", "0", "{r}", "").Replace(tmpl))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	host := u.Host
	if strings.HasPrefix(tmpl, u.Scheme+"://{s}.") {
		host = "*." + strings.TrimPrefix(host, "a.")
	}
	return u.Scheme + "://" + host
}

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	setOtherSecurityHeaders(h)
}

func setOtherSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
	// Pages may show personal data: never keep them in a cache. /static overrides this.
	h.Set("Cache-Control", "no-store")
}

// logRequests writes one JSON line per request: the route template, never the raw path or
// query, so that no NIK or token ever reaches the log.
func logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	attrs := []any{"request_id", c.GetString(requestIDKey), "method", c.Request.Method, "route", route,
		"status", c.Writer.Status(), "duration_ms", float64(time.Since(start).Microseconds()) / 1000}
	if id, ok := c.Get("web.user_id"); ok {
		attrs = append(attrs, "user_id", id)
	}
	slog.InfoContext(c.Request.Context(), "request", attrs...)
}

func recoverPanic(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			slog.ErrorContext(c.Request.Context(), "panic", "request_id", c.GetString(requestIDKey), "panic", r)
			if !c.Writer.Written() {
				Error(c, errPanic)
			}
			c.Abort()
		}
	}()
	c.Next()
}
