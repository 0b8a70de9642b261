package audit

// Seals anchor the chain to a key the database does not hold (issue 14): whoever can rewrite
// audit_log (its owner, a superuser, a restored dump) can recompute every hash, but cannot
// compute the HMAC of the new head, and a TRUNCATE leaves seals covering rows that are gone.
// Each seal is also appended to a file beside the uploaded files (the anchor), so that emptying
// audit_seals as well is seen; and it is logged, for a copy outside the server.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/db"
)

// AnchorFile is the name of the anchor in the data directory (PATUH_DATA_DIR).
const AnchorFile = "audit-seals.log"

// Seal is one sealed chain head.
type Seal struct {
	ID     int64     `db:"id"`
	At     time.Time `db:"at"`
	LastID int64     `db:"last_id"` // the audit_log row that was the head
	Rows   int64     `db:"rows"`    // rows of the chain up to and including it
	Head   []byte    `db:"head"`    // its hash
	MAC    []byte    `db:"mac"`
}

func (s Seal) mac(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(fmt.Appendf(nil, "patuh-audit-seal/1;%d;%d;%x;%s", s.LastID, s.Rows, s.Head, s.At.UTC().Format(time.RFC3339Nano)))
	return m.Sum(nil)
}

func (s Seal) valid(key []byte) bool { return hmac.Equal(s.mac(key), s.MAC) }

// Sealer seals the chain head with Key and appends each seal to Anchor (a path; empty for none).
type Sealer struct {
	DB     *sqlx.DB
	Key    []byte
	Anchor string
}

// NewSealer is a Sealer whose anchor lives in the data directory.
func NewSealer(d *sqlx.DB, key []byte, dataDir string) *Sealer {
	return &Sealer{DB: d, Key: key, Anchor: filepath.Join(dataDir, AnchorFile)}
}

// Seal seals the current head, unless it is sealed already or the log is empty (sealed false).
func (s *Sealer) Seal(ctx context.Context) (Seal, bool, error) { return s.seal(ctx, 1) }

// SealIfDue seals the head when at least every rows were added since the last seal.
func (s *Sealer) SealIfDue(ctx context.Context, every int) (Seal, bool, error) {
	return s.seal(ctx, int64(every))
}

func (s *Sealer) seal(ctx context.Context, atLeast int64) (Seal, bool, error) {
	if len(s.Key) == 0 {
		return Seal{}, false, errors.New("audit: seal: no key (PATUH_AUDIT_KEY)")
	}
	var out Seal
	sealed := false
	err := db.WithTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		// One sealer at a time across instances; writers of the chain are not held up (they
		// queue on 74208), and a row committed after the head read here waits for the next seal.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(74209)`); err != nil {
			return err
		}
		var last Seal
		err := sqlx.GetContext(ctx, tx, &last, `SELECT id, at, last_id, rows, head, mac FROM audit_seals ORDER BY last_id DESC, id DESC LIMIT 1`)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var head struct {
			ID    int64  `db:"id"`
			Hash  []byte `db:"hash"`
			Added int64  `db:"added"`
		}
		// One statement, one snapshot: the count ends at the head it reads.
		err = sqlx.GetContext(ctx, tx, &head, `SELECT h.id, h.hash, (SELECT count(*) FROM audit_log WHERE id > $1 AND id <= h.id) AS added
			FROM (SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1) h WHERE h.id > $1`, last.LastID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if head.Added < atLeast {
			return nil
		}
		out = Seal{At: time.Now().UTC().Truncate(time.Microsecond), LastID: head.ID, Rows: last.Rows + head.Added, Head: head.Hash}
		out.MAC = out.mac(s.Key)
		if err := sqlx.GetContext(ctx, tx, &out.ID, `INSERT INTO audit_seals (at, last_id, rows, head, mac) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			out.At, out.LastID, out.Rows, out.Head, out.MAC); err != nil {
			return err
		}
		sealed = true
		return nil
	})
	if err != nil {
		return Seal{}, false, fmt.Errorf("audit: seal: %w", err)
	}
	if !sealed {
		return Seal{}, false, nil
	}
	slog.Info("audit chain sealed", "seal", out.ID, "last_id", out.LastID, "rows", out.Rows, "mac", hex.EncodeToString(out.MAC))
	if err := s.appendAnchor(out); err != nil {
		// The seal in the database stands; the anchor only adds a copy.
		return out, true, fmt.Errorf("audit: anchor: %w", err)
	}
	return out, true, nil
}

func (s *Sealer) appendAnchor(seal Seal) error {
	if s.Anchor == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.Anchor), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(s.Anchor, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%d %d %d %x %s %x\n", seal.ID, seal.LastID, seal.Rows, seal.Head, seal.At.UTC().Format(time.RFC3339Nano), seal.MAC)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Run seals every `every` rows, looking each interval, until ctx ends; then it seals what is
// left, so a clean stop leaves the head sealed.
func (s *Sealer) Run(ctx context.Context, every int, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if _, _, err := s.Seal(final); err != nil {
				slog.Error("audit: final seal", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if _, _, err := s.SealIfDue(ctx, every); err != nil && ctx.Err() == nil {
				slog.Error("audit: seal", "err", err)
			}
		}
	}
}

// TamperedError says why the log and its seals no longer agree.
type TamperedError struct{ Reason string }

func (e *TamperedError) Error() string { return "audit log tampered with: " + e.Reason }

// Report is what Verify found intact.
type Report struct {
	Rows       int
	Seals      int
	LastSealed int64 // id of the last sealed row; 0 when nothing is sealed
	Unsealed   int   // rows after it, which no seal protects yet
	Anchored   bool  // the anchor file was found and agrees
}

// Verify checks the hash chain, then every seal's HMAC under key, that each sealed row still
// has the sealed hash and position, that no seal covers rows the log no longer has, and that
// the last seal of the anchor file (when there is one) is still in the database.
func Verify(ctx context.Context, d *sqlx.DB, key []byte, anchor string) (Report, error) {
	var rep Report
	var seals []Seal
	if err := sqlx.SelectContext(ctx, d, &seals, `SELECT id, at, last_id, rows, head, mac FROM audit_seals ORDER BY last_id, id`); err != nil {
		return rep, fmt.Errorf("audit: verify: %w", err)
	}
	for _, s := range seals {
		if !s.valid(key) {
			return rep, &TamperedError{fmt.Sprintf("seal %d does not match its HMAC (forged, or PATUH_AUDIT_KEY is not the key that sealed it)", s.ID)}
		}
	}
	next := 0 // the first seal not yet reached by the walk
	n, err := walk(ctx, d, func(r row, n int) error {
		for next < len(seals) && seals[next].LastID <= r.ID {
			s := seals[next]
			if s.LastID < r.ID {
				return &TamperedError{fmt.Sprintf("row %d, sealed by seal %d, is missing", s.LastID, s.ID)}
			}
			if !bytes.Equal(s.Head, r.Hash) {
				return &TamperedError{fmt.Sprintf("row %d no longer has the hash seal %d sealed: the chain was rewritten", r.ID, s.ID)}
			}
			if s.Rows != int64(n) {
				return &TamperedError{fmt.Sprintf("row %d is row %d of the chain, seal %d sealed it as row %d: rows were removed or added", r.ID, n, s.ID, s.Rows)}
			}
			rep.LastSealed = r.ID
			next++
		}
		return nil
	})
	rep.Rows, rep.Unsealed = n, n
	if next > 0 {
		rep.Unsealed = n - int(seals[next-1].Rows)
	}
	if err != nil {
		return rep, err
	}
	if next < len(seals) {
		s := seals[len(seals)-1]
		return rep, &TamperedError{fmt.Sprintf("the log holds %d row(s) but seal %d covers %d, up to row %d: rows were removed (truncated)", n, s.ID, s.Rows, s.LastID)}
	}
	rep.Seals = len(seals)
	if anchor == "" {
		return rep, nil
	}
	last, ok, err := lastAnchored(anchor, key)
	if err != nil || !ok {
		return rep, err
	}
	for _, s := range seals {
		if s.ID == last.ID && s.LastID == last.LastID && hmac.Equal(s.MAC, last.MAC) {
			rep.Anchored = true
			return rep, nil
		}
	}
	return rep, &TamperedError{fmt.Sprintf("seal %d of row %d (%d rows), recorded in %s, is missing from audit_seals: the seals were removed", last.ID, last.LastID, last.Rows, anchor)}
}

// lastAnchored reads the anchor file and returns its seal of the highest row; a line whose
// HMAC does not match is itself tampering. No file: ok false.
func lastAnchored(path string, key []byte) (Seal, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Seal{}, false, nil
	}
	if err != nil {
		return Seal{}, false, fmt.Errorf("audit: anchor: %w", err)
	}
	defer f.Close()
	var last Seal
	found := false
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s, err := parseAnchor(sc.Text())
		if err != nil || !s.valid(key) {
			return Seal{}, false, &TamperedError{fmt.Sprintf("line %d of %s is not a seal made with this key", line, path)}
		}
		if !found || s.LastID > last.LastID {
			last, found = s, true
		}
	}
	if err := sc.Err(); err != nil {
		return Seal{}, false, fmt.Errorf("audit: anchor: %w", err)
	}
	return last, found, nil
}

func parseAnchor(line string) (Seal, error) {
	f := strings.Fields(line)
	if len(f) != 6 {
		return Seal{}, errors.New("want 6 fields")
	}
	var s Seal
	var err error
	ints := []*int64{&s.ID, &s.LastID, &s.Rows}
	for i, p := range ints {
		if *p, err = strconv.ParseInt(f[i], 10, 64); err != nil {
			return Seal{}, err
		}
	}
	if s.Head, err = hex.DecodeString(f[3]); err != nil {
		return Seal{}, err
	}
	if s.At, err = time.Parse(time.RFC3339Nano, f[4]); err != nil {
		return Seal{}, err
	}
	if s.MAC, err = hex.DecodeString(f[5]); err != nil {
		return Seal{}, err
	}
	return s, nil
}

// Rewritable reports whether the connection's role could rewrite the audit tables: a superuser,
// a member of their owner, or a role granted UPDATE, DELETE or TRUNCATE. The server runs as a
// role for which it is false (migrations/00017).
func Rewritable(ctx context.Context, d *sqlx.DB) (bool, error) {
	var yes bool
	err := sqlx.GetContext(ctx, d, &yes, `SELECT bool_or(r.rolsuper OR pg_has_role(current_user, c.relowner, 'USAGE')
			OR has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE'))
		FROM pg_class c, pg_roles r
		WHERE c.oid IN ('audit_log'::regclass, 'audit_seals'::regclass) AND r.rolname = current_user`)
	if err != nil {
		return false, fmt.Errorf("audit: privileges: %w", err)
	}
	return yes, nil
}
