// Package app wires the features into one http.Handler; cmd/patuh and the tests both use it.
package app

import (
	"context"
	_ "embed"
	"io/fs"
	"net/http"
	"path/filepath"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"patuh/internal/accounts"
	"patuh/internal/audit"
	"patuh/internal/auditview"
	"patuh/internal/auth"
	"patuh/internal/casework"
	"patuh/internal/config"
	"patuh/internal/dashboard"
	"patuh/internal/db"
	"patuh/internal/employer"
	"patuh/internal/i18n"
	"patuh/internal/importer"
	"patuh/internal/reference"
	"patuh/internal/regions"
	"patuh/internal/report"
	"patuh/internal/web"
	"patuh/internal/wib"
	"patuh/static"
	"patuh/templates"
)

// App is the running application.
type App struct {
	Handler  http.Handler
	Importer *importer.Importer
	// Routes lists every route, for the test that holds each to an authorization rule.
	Routes   gin.RoutesInfo
	sessions *postgresstore.PostgresStore
}

// Close stops the background session cleanup.
func (a *App) Close() { a.sessions.StopCleanup() }

// SessionCookieName follows the __Host- prefix rules: it needs Secure, so it is used only
// when cookies are secure (development over plain http drops both).
func SessionCookieName(secure bool) string {
	if secure {
		return "__Host-patuh_session"
	}
	return "patuh_session"
}

func New(cfg config.Config, d *sqlx.DB) (*App, error) {
	bundle, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	renderer, err := web.NewRenderer(templates.FS, bundle)
	if err != nil {
		return nil, err
	}
	store := postgresstore.NewWithCleanupInterval(d.DB, 10*time.Minute)
	sm := scs.New()
	sm.Store = auth.HashedSessionStore{Inner: store}
	sm.ErrorFunc = web.SessionStoreFailed
	sm.Lifetime = cfg.SessionMaxAge
	sm.IdleTimeout = cfg.SessionIdle
	sm.Cookie.Name = SessionCookieName(cfg.SecureCookies)
	sm.Cookie.Secure = cfg.SecureCookies
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false

	staticFS, err := fs.Sub(static.FS, ".")
	if err != nil {
		return nil, err
	}
	activity := &web.Activity{}
	e, err := web.NewEngine(web.Deps{Renderer: renderer, Bundle: bundle, Sessions: sm, Activity: activity, Static: staticFS,
		TrustedProxies: cfg.TrustedProxies, SecureCookies: cfg.SecureCookies, MapTiles: cfg.MapTiles})
	if err != nil {
		return nil, err
	}

	authStore := auth.NewStore(d, cfg.Secret)
	authStore.InspectorsNeedMFA = cfg.MFAInspectors
	if cfg.TokenTTL > 0 {
		authStore.TokenTTL = cfg.TokenTTL
	}
	authH := &auth.Handler{Store: authStore}

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := db.Current(ctx, d); err != nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})

	// The inspector's installable app: its manifest and its service worker, at the root so
	// that the worker's scope covers every page (static/js/sw.js says what it keeps).
	e.GET("/manifest.webmanifest", staticFile("field/manifest.webmanifest", "application/manifest+json"))
	e.GET("/sw.js", staticFile("js/sw.js", "text/javascript; charset=utf-8"))
	// Browsers ask for /favicon.ico on every site whatever the page links: answered, not a 404.
	e.GET("/favicon.ico", staticFile("favicon.ico", "image/x-icon"))

	cases := casework.NewStore(d)
	pages := e.Group("/", authH.Session)
	// An unknown path or method is answered knowing who asks: a logged-in user keeps the navigation.
	e.NoRoute(authH.Session, web.NotFound)
	e.NoMethod(authH.Session, web.MethodNotAllowed)
	authH.Register(pages)
	loggedIn := pages.Group("/", auth.RequireLogin)
	refs := &reference.Handler{Store: reference.NewStore(d)}
	loggedIn.Use(refs.Banner)
	refs.Register(loggedIn)
	(&auditview.Handler{DB: d, AuditKey: cfg.AuditKey, Anchor: filepath.Join(cfg.DataDir, audit.AnchorFile)}).Register(loggedIn)
	loggedIn.GET("/", func(c *gin.Context) { home(c, cases) })
	authH.RegisterAccount(loggedIn)
	(&regions.Handler{Store: regions.NewStore(d)}).Register(loggedIn)

	api := e.Group("/api/v1") // bad percent-encoding is refused before (web/badbytes.go)
	api.GET("/openapi.json", openAPI)
	authed := api.Group("/", authH.Bearer)
	authed.GET("/me", func(c *gin.Context) { c.JSON(http.StatusOK, auth.Current(c)) })

	im, err := NewImporter(d, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	// The server's importer gives way while people use this instance.
	im.Busy = func() bool { return activity.RequestsPerSecond(time.Now()) >= busyRequestsPerSecond }
	im.FileRetention = cfg.FileRetention
	(&importer.Handler{Importer: im}).Register(loggedIn, authed)
	employers := employer.NewStore(d)
	(&employer.Handler{Store: employers, DB: d, Now: time.Now, FlagsState: im.FlagsState}).Register(loggedIn, authed)
	(&casework.API{Store: cases, Validate: casework.NewValidator()}).Register(authed)
	(&casework.Pages{Store: cases, Employers: employers}).Register(loggedIn)
	(&report.Handler{Store: report.NewStore(d)}).Register(loggedIn)
	(&dashboard.Handler{Store: dashboard.NewStore(d), MapTiles: cfg.MapTiles}).Register(loggedIn, authed)
	(&accounts.Handler{Auth: authStore, Cases: cases, Regions: regions.NewStore(d), Now: time.Now}).Register(loggedIn)

	return &App{Handler: sm.LoadAndSave(e), Importer: im, Routes: e.Routes(), sessions: store}, nil
}

// NewImporter is the importer with everything a commit must also do; the server, the
// command line and the demo seed all use it.
func NewImporter(d *sqlx.DB, dir string) (*importer.Importer, error) {
	im, err := importer.New(d, dir)
	if err != nil {
		return nil, err
	}
	// A new participants snapshot, once its flags are computed, verifies the open cases of the
	// employers it covers and refreshes the resident coverage figure. The resident count
	// (seconds on a full snapshot) runs before the verification, which takes the audit lock.
	im.OnSettled(dashboard.RefreshResidents)
	im.OnSettled(func(ctx context.Context, tx *sqlx.Tx, imp *importer.Import) error {
		if imp.Kind != "participants" {
			return nil
		}
		return casework.Verify(ctx, tx, imp.ID)
	})
	return im, nil
}

// busyRequestsPerSecond is when the application counts as in use, for the importer to give
// way: more than an import page polling its progress makes.
const busyRequestsPerSecond = 5

// staticFile serves one embedded file outside /static/, revalidated on every load: a new
// service worker must reach the phones at their next visit.
func staticFile(name, contentType string) gin.HandlerFunc {
	return func(c *gin.Context) {
		b, err := fs.ReadFile(static.FS, name)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, contentType, b)
	}
}

//go:embed openapi.json
var openAPIDoc []byte

func openAPI(c *gin.Context) { c.Data(http.StatusOK, "application/json", openAPIDoc) }

// home shows each role its own starting page; an inspector's starts with their open cases.
func home(c *gin.Context, cases *casework.Store) {
	u := auth.Current(c)
	data := gin.H{"User": u, "Today": wib.Date(cases.Now())}
	if u.Role == auth.Inspector {
		mine, err := cases.List(c.Request.Context(), u, casework.ListFilter{Assignee: u.Username, Limit: 50})
		if err != nil {
			web.Error(c, err)
			return
		}
		open := mine[:0]
		for _, cs := range mine {
			if cs.Status != casework.StatusClosed {
				open = append(open, cs)
			}
		}
		data["Cases"] = open
	}
	web.HTML(c, http.StatusOK, "home/"+string(u.Role), data)
}
