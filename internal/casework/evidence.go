package casework

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/db"
)

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
	data, err := io.ReadAll(io.LimitReader(r, MaxEvidence+1))
	if err != nil {
		return nil, apperr.New(apperr.Malformed, "import.file.upload_failed")
	}
	f := Upload{Filename: filename, Data: data}
	sums, err := checkUploads([]Upload{f})
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Message == "case.evidence_too_large" {
			return nil, apperr.New(apperr.TooLarge, "case.evidence_too_large")
		}
		return nil, apperr.New(apperr.UnsupportedMedia, "case.evidence_type")
	}
	if sum != "" && !strings.EqualFold(sum, sums[0]) {
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
		if len(manifest) > 0 && !slices.Contains(manifest, sums[0]) {
			return apperr.Fields(map[string]string{"file": "case.evidence_not_in_manifest"})
		}
		ev, err = insertEvidence(ctx, tx, u, caseID, visitID, f, sums[0])
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
