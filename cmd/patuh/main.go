// Command patuh is the whole application: the web server and its maintenance commands.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"golang.org/x/term"

	"patuh/internal/app"
	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/config"
	"patuh/internal/db"
	"patuh/internal/demo"
	"patuh/internal/flags"
	"patuh/internal/i18n"
	"patuh/internal/importer"
	"patuh/internal/letters"
	"patuh/internal/reference"
	"patuh/internal/report"
)

const usage = `patuh: employer compliance case tracker for DKI Jakarta

usage:
  patuh serve                       migrate, then serve on PATUH_ADDR (default :8080)
  patuh migrate [up|status]         apply or list the database migrations
  patuh user add --username U --name "…" --role admin|supervisor|inspector [--area 31.71] [--position "…"] [--nip 18 digits] [--password-stdin]
  patuh user password --username U [--password-stdin]
  patuh user mfa-reset --username U    remove a user's second factor (they enrol again at next login)
  patuh user list                   every user: role, area, state, second factor, last login
  patuh user disable|enable --username U   disabling ends the user's sessions and API tokens at once
  patuh user set --username U [--name N] [--role R] [--area A]   (--area "" = all of Jakarta)
  patuh token create --username U --label L [--expires 90d]   (default PATUH_TOKEN_TTL)
  patuh token list [--username U]   tokens with their expiry, last use and revocation
  patuh token revoke --id N         the token is refused from its next request on
  patuh import --kind employers|workers|bpjs_employers|participants [--auto-commit-max-invalid 0.01] FILE
  patuh seed-demo                   create the demo users (new passwords each run) and sample data
  patuh setting set KEY VALUE       set a letter setting: letter_number_format ("{seq}/{kind}/{office}/{month}/{year}"),
                                    letter_office_bpjs, letter_office_disnaker
  patuh flags recompute             recompute every employer's flags (after editing rates by hand)
  patuh audit verify                check the audit log's hash chain and its seals
  patuh audit seal                  seal the audit chain's head now (the server seals every PATUH_AUDIT_SEAL_EVERY rows)
  patuh holidays import --year Y FILE  replace year Y's holidays with a CSV (tanggal,nama,jenis)

environment: DATABASE_URL (the server's role, patuh_app), DATABASE_OWNER_URL (the role that runs
  migrations and owns the audit tables), PATUH_ENV (development|production), PATUH_ADDR, PATUH_SECRET,
  PATUH_AUDIT_KEY or PATUH_AUDIT_KEY_FILE, PATUH_AUDIT_SEAL_EVERY, PATUH_DATA_DIR, PATUH_FILE_RETENTION,
  PATUH_IMPORT_WORKERS, PATUH_IMPORT_LEASE, PATUH_SECURE_COOKIES, PATUH_SESSION_IDLE, PATUH_SESSION_MAX_AGE, PATUH_TRUSTED_PROXIES,
  PATUH_LOG_FORMAT, PATUH_TOKEN_TTL (e.g. 90d)
`

func main() {
	// Release mode: no debug line per route at start-up (gin reads GIN_MODE too).
	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode)
	}
	// PATUH_CPUPROFILE=file writes a CPU profile of the command, for performance work.
	if path := os.Getenv("PATUH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(os.Args[1:]); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "patuh:", err)
		os.Exit(1)
	}
}

func run(args []string) (err error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(usage)
		return nil
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	setupLogging(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd, rest := args[0], args[1:]
	if cmd == "user" || cmd == "token" || cmd == "migrate" || cmd == "audit" || cmd == "flags" || cmd == "holidays" {
		sub := ""
		if len(rest) > 0 {
			sub, rest = rest[0], rest[1:]
		}
		cmd += " " + sub
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("%w\n(is PostgreSQL running and DATABASE_URL right? `make run` starts one for you)", err)
	}
	defer db.CloseInto(d, &err)

	switch strings.TrimSpace(cmd) {
	case "serve":
		return serve(ctx, cfg, d)
	case "migrate", "migrate up":
		n, err := migrateAsOwner(ctx, cfg, d)
		fmt.Printf("applied %d migration(s)\n", n)
		return err
	case "migrate status":
		var st []db.MigrationStatus
		err := withOwner(ctx, cfg, d, func(owner *sqlx.DB) (err error) {
			st, err = db.Status(ctx, owner)
			return err
		})
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied " + s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Printf("%05d  %-40s %s\n", s.Version, s.Source, state)
		}
		return err
	case "user add":
		return userAdd(ctx, cfg, d, rest)
	case "user password":
		return userPassword(ctx, cfg, d, rest)
	case "user mfa-reset":
		return userMFAReset(ctx, cfg, d, rest)
	case "user list":
		return userList(ctx, cfg, d)
	case "user disable", "user enable":
		return userSetActive(ctx, cfg, d, cmd == "user enable", rest)
	case "user set":
		return userSet(ctx, cfg, d, rest)
	case "token create":
		return tokenCreate(ctx, cfg, d, rest)
	case "token list":
		return tokenList(ctx, cfg, d, rest)
	case "token revoke":
		return tokenRevoke(ctx, cfg, d, rest)
	case "import":
		return importFile(ctx, cfg, d, rest)
	case "seed-demo":
		return seedDemo(ctx, cfg, d)
	case "setting set":
		if len(rest) != 2 {
			return fmt.Errorf("usage: patuh setting set KEY VALUE")
		}
		if err := letters.SetSetting(ctx, d, "cli", rest[0], rest[1]); err != nil {
			return err
		}
		fmt.Printf("%s = %s\n", rest[0], rest[1])
		return nil
	case "flags recompute":
		start := time.Now()
		err := db.WithTx(ctx, d, func(tx *sqlx.Tx) error { return flags.RecomputeAll(ctx, tx, time.Now()) })
		if err != nil {
			return err
		}
		var n int
		if err := d.GetContext(ctx, &n, `SELECT count(*) FROM employers`); err != nil {
			return err
		}
		fmt.Printf("flags recomputed for all %d employers in %.1fs\n", n, time.Since(start).Seconds())
		return nil
	case "holidays import":
		return holidaysImport(ctx, d, rest)
	case "audit verify":
		anchor := filepath.Join(cfg.DataDir, audit.AnchorFile)
		rep, err := audit.Verify(ctx, d, cfg.AuditKey, anchor)
		if err != nil {
			return fmt.Errorf("audit chain broken after %d good row(s): %w", rep.Rows, err)
		}
		fmt.Printf("audit chain intact: %d row(s), %d seal(s), sealed up to row %d, %d row(s) not sealed yet\n",
			rep.Rows, rep.Seals, rep.LastSealed, rep.Unsealed)
		if !rep.Anchored {
			fmt.Printf("no seal found in %s to compare with (run `patuh audit seal` where the server keeps its files)\n", anchor)
		}
		return nil
	case "audit seal":
		s, sealed, err := audit.NewSealer(d, cfg.AuditKey, cfg.DataDir).Seal(ctx)
		if err != nil {
			return err
		}
		if !sealed {
			fmt.Println("nothing to seal: the head is sealed already, or the log is empty")
			return nil
		}
		fmt.Printf("sealed the audit chain up to row %d (%d rows) as seal %d\n", s.LastID, s.Rows, s.ID)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

func setupLogging(cfg config.Config) {
	opts := &slog.HandlerOptions{}
	if os.Getenv("PATUH_DEBUG") != "" {
		opts.Level = slog.LevelDebug
	}
	var h slog.Handler = slog.NewJSONHandler(os.Stderr, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(os.Stderr, opts)
	}
	slog.SetDefault(slog.New(h))
}

// withOwner runs fn connected as DATABASE_OWNER_URL (d itself when that is DATABASE_URL).
func withOwner(ctx context.Context, cfg config.Config, d *sqlx.DB, fn func(owner *sqlx.DB) error) (err error) {
	if cfg.DatabaseOwnerURL == cfg.DatabaseURL {
		return fn(d)
	}
	owner, err := db.Open(ctx, cfg.DatabaseOwnerURL)
	if err != nil {
		return fmt.Errorf("as DATABASE_OWNER_URL: %w", err)
	}
	defer db.CloseInto(owner, &err)
	return fn(owner)
}

// migrateAsOwner runs the migrations as the owner role: the server's own role may not create
// or alter the audit tables (migrations/00017).
func migrateAsOwner(ctx context.Context, cfg config.Config, d *sqlx.DB) (n int, err error) {
	err = withOwner(ctx, cfg, d, func(owner *sqlx.DB) error {
		n, err = db.Migrate(ctx, owner)
		return err
	})
	return n, err
}

func serve(ctx context.Context, cfg config.Config, d *sqlx.DB) error {
	if n, err := migrateAsOwner(ctx, cfg, d); err != nil {
		return err
	} else if n > 0 {
		slog.Info("migrated", "applied", n)
	}
	if rewritable, err := audit.Rewritable(ctx, d); err != nil {
		return err
	} else if rewritable && cfg.Production {
		return errors.New("PATUH_ENV=production refuses a DATABASE_URL role that can rewrite audit_log: connect as patuh_app and run migrations with DATABASE_OWNER_URL (README, Database roles)")
	} else if rewritable {
		slog.Warn("DATABASE_URL's role can rewrite the audit log; connect as patuh_app (make run does)")
	}
	if !cfg.Production {
		slog.Warn("development mode: insecure defaults are in use; set PATUH_ENV=production with PATUH_SECRET for real use")
	}
	// The sealer stops (sealing what is left) when the server does, whatever the reason.
	sealCtx, stopSealing := context.WithCancel(ctx)
	sealerDone := make(chan struct{})
	go func() {
		defer close(sealerDone)
		audit.NewSealer(d, cfg.AuditKey, cfg.DataDir).Run(sealCtx, cfg.AuditSealEvery, 10*time.Second)
	}()
	defer func() { stopSealing(); <-sealerDone }()
	a, err := app.New(cfg, d)
	if err != nil {
		return err
	}
	defer a.Close()
	a.Importer.LeaseTTL = cfg.ImportLease
	workerDone := make(chan struct{})
	go func() { a.Importer.RunWorkers(ctx, cfg.ImportWorkers); close(workerDone) }()
	// Last month's report for the MoU meeting, written on the 1st (hourly checks; the first
	// instance to take the advisory lock writes it, internal/report).
	go report.NewStore(d).Run(ctx, time.Hour)
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Minute, // large uploads
		WriteTimeout:      10 * time.Minute, // large exports
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("serving", "addr", cfg.Addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	// The import being worked on goes back to the queue now, not when its lease runs out.
	select {
	case <-workerDone:
	case <-shutdownCtx.Done():
	}
	return err
}

func userAdd(ctx context.Context, cfg config.Config, d *sqlx.DB, args []string) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	username := fs.String("username", "", "login name (lower case)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "admin, supervisor or inspector")
	area := fs.String("area", "", "kota or kecamatan code, e.g. 31.71; empty = all of Jakarta")
	position := fs.String("position", "", "position (jabatan) printed under the signature of the letters the user issues")
	nip := fs.String("nip", "", "NIP (18 digits) printed under the signature")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := auth.CheckSigner(*position, *nip); err != nil {
		return describe(err)
	}
	password, err := readPassword(*fromStdin)
	if err != nil {
		return err
	}
	store := auth.NewStore(d, cfg.Secret)
	u, err := store.AddUser(ctx, "cli", auth.NewUser{Username: *username, Name: *name,
		Role: auth.Role(*role), Area: *area, Password: password}, false)
	if err != nil {
		return describe(err)
	}
	if *position != "" || *nip != "" {
		if err := store.SetSigner(ctx, "cli", u.Username, *position, *nip); err != nil {
			return describe(err)
		}
	}
	fmt.Printf("user %s (%s) created, id %d\n", u.Username, u.Role, u.ID)
	return nil
}

func userPassword(ctx context.Context, cfg config.Config, d *sqlx.DB, args []string) error {
	fs := flag.NewFlagSet("user password", flag.ContinueOnError)
	username := fs.String("username", "", "login name")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store := auth.NewStore(d, cfg.Secret)
	u, err := store.UserByUsername(ctx, *username)
	if err != nil {
		return describe(err)
	}
	password, err := readPassword(*fromStdin)
	if err != nil {
		return err
	}
	if err := store.ChangePassword(ctx, "cli", u.ID, password); err != nil {
		return describe(err)
	}
	fmt.Printf("password of %s changed; their sessions have ended\n", u.Username)
	return nil
}

// userMFAReset removes a user's second factor (a lost phone); they enrol again at next login.
func userMFAReset(ctx context.Context, cfg config.Config, d *sqlx.DB, args []string) error {
	fs := flag.NewFlagSet("user mfa-reset", flag.ContinueOnError)
	username := fs.String("username", "", "login name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store := auth.NewStore(d, cfg.Secret)
	u, err := store.UserByUsername(ctx, *username)
	if err != nil {
		return describe(err)
	}
	if err := store.MFAReset(ctx, "cli", u.ID); err != nil {
		return describe(err)
	}
	fmt.Printf("second factor of %s removed; their sessions have ended and they enrol again at next login\n", u.Username)
	return nil
}

// authStore is the store the server uses, with the configured token lifetime.
func authStore(cfg config.Config, d *sqlx.DB) *auth.Store {
	store := auth.NewStore(d, cfg.Secret)
	if cfg.TokenTTL > 0 {
		store.TokenTTL = cfg.TokenTTL
	}
	return store
}

func tokenCreate(ctx context.Context, cfg config.Config, d *sqlx.DB, args []string) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	username := fs.String("username", "", "the user the token acts for")
	label := fs.String("label", "", "what the token is for")
	expires := fs.String("expires", "", "lifetime, e.g. 90d or 36h (default PATUH_TOKEN_TTL, 90 days)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store := authStore(cfg, d)
	u, err := store.UserByUsername(ctx, *username)
	if err != nil {
		return describe(err)
	}
	var ttl time.Duration
	if *expires != "" {
		if ttl, err = auth.ParseTTL(*expires); err != nil {
			return describe(err)
		}
	}
	token, t, err := store.IssueToken(ctx, "cli", u.ID, *label, ttl)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(os.Stderr, "token %d for %s, expires %s (shown once; only its hash is stored):\n",
		t.ID, u.Username, t.ExpiresAt.Format(time.RFC3339))
	fmt.Println(token)
	return nil
}

func tokenList(ctx context.Context, cfg config.Config, d *sqlx.DB, args []string) error {
	fs := flag.NewFlagSet("token list", flag.ContinueOnError)
	username := fs.String("username", "", "only this user's tokens")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store := authStore(cfg, d)
	var userID int64
	if *username != "" {
		u, err := store.UserByUsername(ctx, *username)
		if err != nil {
			return describe(err)
		}
		userID = u.ID
	}
	tokens, err := store.Tokens(ctx, userID)
	if err != nil {
		return err
	}
	rows := [][]any{{"ID", "USER", "LABEL", "CREATED", "LAST USED", "EXPIRES", "STATE"}}
	now := time.Now()
	for _, t := range tokens {
		rows = append(rows, []any{t.ID, t.Username, t.Label, t.CreatedAt.Format(time.DateTime),
			stamp(t.LastUsedAt), t.ExpiresAt.Format(time.DateTime), t.State(now)})
	}
	return printTable(rows)
}

// printTable prints rows on stdout in aligned columns.
func printTable(rows [][]any) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	for _, row := range rows {
		line := make([]string, len(row))
		for i, v := range row {
			line[i] = fmt.Sprint(v)
		}
		if _, err := io.WriteString(w, strings.Join(line, "\t")+"\n"); err != nil {
			return err
		}
	}
	return w.Flush()
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateTime)
}

func tokenRevoke(ctx context.Context, cfg config.Config, d *sqlx.DB, args []string) error {
	fs := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	id := fs.Int64("id", 0, "the token's id (patuh token list)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := authStore(cfg, d).RevokeToken(ctx, "cli", *id); err != nil {
		return describe(err)
	}
	fmt.Printf("token %d revoked\n", *id)
	return nil
}

func userList(ctx context.Context, cfg config.Config, d *sqlx.DB) error {
	users, err := authStore(cfg, d).ListUsers(ctx)
	if err != nil {
		return err
	}
	rows := [][]any{{"ID", "USERNAME", "NAME", "ROLE", "AREA", "ACTIVE", "MFA", "LAST LOGIN"}}
	for _, u := range users {
		area := u.Area
		if area == "" {
			area = "all"
		}
		rows = append(rows, []any{u.ID, u.Username, u.Name, u.Role, area, u.Active, u.MFAEnrolled, stamp(u.LastLogin)})
	}
	return printTable(rows)
}

func userSetActive(ctx context.Context, cfg config.Config, d *sqlx.DB, active bool, args []string) error {
	fs := flag.NewFlagSet("user disable", flag.ContinueOnError)
	username := fs.String("username", "", "login name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store := authStore(cfg, d)
	u, err := store.UserByUsername(ctx, *username)
	if err != nil {
		return describe(err)
	}
	if err := store.SetActive(ctx, "cli", u.ID, active); err != nil {
		return describe(err)
	}
	if active {
		fmt.Printf("%s enabled\n", u.Username)
	} else {
		fmt.Printf("%s disabled; their sessions and API tokens have ended (hand over their open cases at /admin/users/%d)\n", u.Username, u.ID)
	}
	return nil
}

// userSet changes the flags given and keeps the rest.
func userSet(ctx context.Context, cfg config.Config, d *sqlx.DB, args []string) error {
	fs := flag.NewFlagSet("user set", flag.ContinueOnError)
	username := fs.String("username", "", "login name")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "admin, supervisor or inspector")
	area := fs.String("area", "", `kota or kecamatan code, e.g. 31.73; "" = all of Jakarta`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	store := authStore(cfg, d)
	u, err := store.UserByUsername(ctx, *username)
	if err != nil {
		return describe(err)
	}
	p := auth.Profile{Name: u.Name, Role: u.Role, Area: u.Area, Version: u.Version}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "name":
			p.Name = *name
		case "role":
			p.Role = auth.Role(*role)
		case "area":
			p.Area = *area
		}
	})
	if _, err := store.UpdateUser(ctx, "cli", u.ID, p); err != nil {
		return describe(err)
	}
	fmt.Printf("%s: %s, %s, area %q\n", u.Username, p.Name, p.Role, p.Area)
	return nil
}

func seedDemo(ctx context.Context, cfg config.Config, d *sqlx.DB) error {
	// The table of passwords it ends with must not be lost among the imports' log lines: only
	// warnings and errors are logged, as text (PATUH_DEBUG keeps everything).
	if os.Getenv("PATUH_DEBUG") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}
	if _, err := migrateAsOwner(ctx, cfg, d); err != nil {
		return err
	}
	accounts, err := demo.SeedUsers(ctx, auth.NewStore(d, cfg.Secret))
	if err != nil {
		return describe(err)
	}
	im, err := app.NewImporter(d, cfg.DataDir)
	if err != nil {
		return err
	}
	for _, kind := range demo.SampleOrder {
		f, err := demo.Samples.Open("samples/" + kind + ".csv")
		if err != nil {
			return err
		}
		imp, created, err := im.Create(ctx, 0, "seed-demo", kind, kind+".csv", f, nil)
		if err = errors.Join(err, f.Close()); err != nil {
			return describe(err)
		}
		if imp, err = im.WorkUntilDone(ctx, imp.ID); err != nil {
			return err
		}
		if created {
			fmt.Printf("sample %-15s %s, %d rows\n", kind, imp.Status, imp.RowsValid)
		}
	}
	fmt.Println("demo users (passwords are new on every seed):")
	for _, a := range accounts {
		area := "all of Jakarta"
		if a.Area != "" {
			area = a.Area
		}
		fmt.Printf("  %-16s %-18s %-10s %s\n", a.Username, a.Password, a.Role, area)
	}
	return nil
}

func importFile(ctx context.Context, cfg config.Config, d *sqlx.DB, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	kind := fs.String("kind", "", "employers, workers, bpjs_employers or participants")
	autoCommit := fs.Float64("auto-commit-max-invalid", 0, "commit even with this share (0-1) of invalid rows")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("import: name one file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	im, err := app.NewImporter(d, cfg.DataDir)
	if err != nil {
		return err
	}
	imp, created, err := im.Create(ctx, 0, "cli", *kind, fs.Arg(0), f, autoCommit)
	if err != nil {
		return describe(err)
	}
	if !created {
		fmt.Printf("these bytes were imported before as import %d\n", imp.ID)
	}
	start := time.Now()
	if imp, err = im.WorkUntilDone(ctx, imp.ID); err != nil {
		return err
	}
	loc := englishMessages()
	fmt.Printf("import %d (%s): %s in %.1fs; rows %d, valid %d, invalid %d, warnings %d\n", imp.ID, imp.Kind, imp.Status,
		time.Since(start).Seconds(), imp.RowsTotal, imp.RowsValid, imp.RowsInvalid, imp.Warnings)
	if imp.Failure != "" {
		fmt.Println("failed:", loc.T(imp.Failure, "Line", imp.FailureDetail, "Detail", imp.FailureDetail))
	}
	errs, err := im.Errors(ctx, imp.ID, 20)
	for _, e := range errs {
		fmt.Printf("  line %d, %s %q: %s\n", e.Line, e.Column, e.Value, loc.T(e.Message))
	}
	if imp.Status == importer.StatusNeedsReview {
		fmt.Println("waiting for review: commit or discard it on the import page")
	}
	return err
}

func englishMessages() *i18n.Localizer {
	b, err := i18n.Load()
	if err != nil {
		panic(err)
	}
	return b.For("en")
}

func readPassword(fromStdin bool) (string, error) {
	if !fromStdin && term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(os.Stderr, "password: ")
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// describe turns a validation error into English command-line text, one part per field.
func describe(err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	loc := englishMessages()
	parts := []string{loc.T(e.Message)}
	for f, m := range e.Fields {
		parts = append(parts, f+": "+loc.T(m))
	}
	return errors.New(strings.Join(parts, "; "))
}

// holidaysImport is the page's calendar upload for automation: the same store function, audited
// as the command line.
func holidaysImport(ctx context.Context, d *sqlx.DB, args []string) error {
	fs := flag.NewFlagSet("holidays import", flag.ContinueOnError)
	year := fs.String("year", "", "the calendar year the file holds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *year == "" {
		return errors.New("holidays import: give --year Y and one CSV file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := reference.NewStore(d).ImportHolidays(ctx, reference.Actor{Name: "cli"}, *year, f)
	var le *reference.LineError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: line %d: %s", fs.Arg(0), le.Line, englishMessages().T(le.Message))
	}
	if err != nil {
		return describe(err)
	}
	fmt.Printf("holidays %s: %d added, %d removed, %d kept; %d open follow-up due date(s) moved\n", *year, res.Added, res.Removed, res.Kept, len(res.Moved))
	for _, m := range res.Moved {
		fmt.Printf("  case %d %s: %s -> %s\n", m.CaseID, m.Kind, m.OldDue, m.NewDue)
	}
	return nil
}
