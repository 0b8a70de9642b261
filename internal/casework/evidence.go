package casework

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/db"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// MaxEvidence is the largest evidence file, per the issue: 10 MB.
const MaxEvidence = 10 << 20

// Evidence is a stored file's description; its bytes are read only by Open.
type Evidence struct {
	ID          int64  `db:"id" json:"id"`
	VisitID     int64  `db:"visit_id" json:"visit_id"`
	Filename    string `db:"filename" json:"filename"`
	ContentType string `db:"content_type" json:"content_type"`
	SizeBytes   int    `db:"size_bytes" json:"size_bytes"`
	SHA256      string `db:"sha256" json:"sha256"`
	// Existing is true when the file had arrived before: a re-sent file answers 200.
	Existing bool `db:"-" json:"-"`
}

// evidenceType tells the type by content, never by name or the client's header.
func evidenceType(data []byte) (string, bool) {
	switch t := http.DetectContentType(data); t {
	case "image/jpeg", "image/png", "application/pdf":
		return t, true
	}
	return "", false
}

// AddEvidence stores a file of a visit of a case in the user's area. sum, when the client
// sends it, must be the file's SHA-256; a visit with a manifest takes only the files it names.
func (s *Store) AddEvidence(ctx context.Context, u *auth.User, caseID, visitID int64, filename, sum string, r io.Reader) (*Evidence, error) {
	f, got, err := readEvidence(filename, r)
	if err != nil {
		e, _ := apperr.As(err)
		switch {
		case e != nil && e.Code == apperr.Malformed:
			return nil, err
		case e != nil && e.Message == "case.evidence_too_large":
			return nil, apperr.New(apperr.TooLarge, "case.evidence_too_large")
		}
		return nil, apperr.New(apperr.UnsupportedMedia, "case.evidence_type")
	}
	if sum != "" && !strings.EqualFold(sum, got) {
		return nil, apperr.Fields(map[string]string{"sha256": "case.evidence_checksum"})
	}
	var ev *Evidence
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		c, err := s.get(ctx, tx, caseID, u.AreaPattern(), true)
		if err != nil {
			return err
		}
		if err := mayAct(u, c); err != nil {
			return err
		}
		var manifest pq.StringArray
		if err := tx.GetContext(ctx, &manifest, `SELECT file_manifest FROM visits WHERE id = $1 AND case_id = $2`, visitID, caseID); err != nil {
			return db.NotFoundOr(err, "casework: evidence visit")
		}
		if len(manifest) > 0 && !slices.Contains(manifest, got) {
			return apperr.Fields(map[string]string{"file": "case.evidence_not_in_manifest"})
		}
		ev, err = insertEvidence(ctx, tx, u, caseID, visitID, f, got)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// Evidence lists the files of a case.
func (s *Store) Evidence(ctx context.Context, u *auth.User, caseID int64) ([]Evidence, error) {
	if _, err := s.get(ctx, s.db, caseID, u.AreaPattern(), false); err != nil {
		return nil, err
	}
	out := []Evidence{}
	err := s.db.SelectContext(ctx, &out, `SELECT id, visit_id, filename, content_type, size_bytes, sha256
		FROM evidence_files WHERE case_id = $1 ORDER BY id`, caseID)
	return out, db.NotFoundOr(err, "casework: evidence")
}

// OpenEvidence returns a file of a case in the user's area; outside it, not found.
func (s *Store) OpenEvidence(ctx context.Context, u *auth.User, caseID, fileID int64) (*Evidence, []byte, error) {
	if _, err := s.get(ctx, s.db, caseID, u.AreaPattern(), false); err != nil {
		return nil, nil, err
	}
	var row struct {
		Evidence
		Data []byte `db:"data"`
	}
	if err := s.db.GetContext(ctx, &row, `SELECT id, visit_id, filename, content_type, size_bytes, sha256, data
		FROM evidence_files WHERE id = $1 AND case_id = $2`, fileID, caseID); err != nil {
		return nil, nil, db.NotFoundOr(err, "casework: open evidence")
	}
	return &row.Evidence, row.Data, nil
}

// readEvidence reads one uploaded file and checks it as evidence (checkUploads), answering it
// with its SHA-256; AddEvidence and StageUpload read their files through it.
func readEvidence(filename string, r io.Reader) (Upload, string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxEvidence+1))
	if err != nil {
		return Upload{}, "", apperr.New(apperr.Malformed, "import.file.upload_failed")
	}
	f := Upload{Filename: filename, Data: data}
	sums, err := checkUploads([]Upload{f})
	if err != nil {
		return f, "", err
	}
	return f, sums[0], nil
}

// StageUpload keeps a photo the phone sends ahead of its visit (identified by the visit
// form's client_id), checked by content and by its SHA-256 as it arrives: a refused photo is
// named before any visit exists, and a re-sent one answers the one kept (existing=true). The
// visit takes its staged photos when it is stored (AddVisit).
func (s *Store) StageUpload(ctx context.Context, u *auth.User, caseID int64, clientID, filename, sum string, r io.Reader) (existing bool, err error) {
	if !uuidPattern.MatchString(clientID) {
		return false, apperr.Fields(map[string]string{"client_id": "error.invalid_value"})
	}
	f, got, err := readEvidence(filename, r)
	if err != nil {
		return false, err
	}
	if !strings.EqualFold(sum, got) {
		return false, apperr.Fields(map[string]string{"sha256": "case.evidence_checksum"})
	}
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		c, err := s.get(ctx, tx, caseID, u.AreaPattern(), false)
		if err != nil {
			return err
		}
		if err := mayAct(u, c); err != nil {
			return err
		}
		// Sent again after its visit took it: nothing more to keep.
		if err := tx.GetContext(ctx, &existing, `SELECT EXISTS (SELECT 1 FROM visits WHERE client_id = $1)`, clientID); err != nil || existing {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO visit_uploads (client_id, sha256, case_id, filename, data, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, clientID, got, caseID, filepath.Base(filename), f.Data, u.ID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		existing = n == 0
		// Photos of visits never sent (a phone wiped, a draft discarded) are not kept for ever.
		_, err = tx.ExecContext(ctx, `DELETE FROM visit_uploads WHERE created_at < now() - interval '30 days'`)
		return err
	})
	return existing, err
}

// attachStaged moves the photos staged for a visit's client_id, among those its manifest
// names, to the visit, in the visit's transaction.
func attachStaged(ctx context.Context, tx *sqlx.Tx, u *auth.User, caseID, visitID int64, clientID string, manifest []string) (int, error) {
	var staged []struct {
		SHA256   string `db:"sha256"`
		Filename string `db:"filename"`
		Data     []byte `db:"data"`
	}
	if err := tx.SelectContext(ctx, &staged, `DELETE FROM visit_uploads WHERE client_id = $1 AND case_id = $2
		RETURNING sha256, filename, data`, clientID, caseID); err != nil {
		return 0, err
	}
	n := 0
	for _, f := range staged {
		if !slices.Contains(manifest, f.SHA256) {
			continue
		}
		if _, err := insertEvidence(ctx, tx, u, caseID, visitID, Upload{Filename: f.Filename, Data: f.Data}, f.SHA256); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
