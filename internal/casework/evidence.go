package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path/filepath"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
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
}

// evidenceType tells the type by content, never by name or the client's header.
func evidenceType(data []byte) (string, bool) {
	switch t := http.DetectContentType(data); t {
	case "image/jpeg", "image/png", "application/pdf":
		return t, true
	}
	return "", false
}

// AddEvidence stores a file of a visit of a case in the user's area.
func (s *Store) AddEvidence(ctx context.Context, u *auth.User, caseID, visitID int64, filename string, r io.Reader) (*Evidence, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxEvidence+1))
	if err != nil {
		return nil, apperr.New(apperr.Malformed, "import.file.upload_failed")
	}
	if len(data) > MaxEvidence {
		return nil, apperr.New(apperr.TooLarge, "case.evidence_too_large")
	}
	contentType, ok := evidenceType(data)
	if !ok {
		return nil, apperr.New(apperr.UnsupportedMedia, "case.evidence_type")
	}
	sum := sha256.Sum256(data)
	ev := &Evidence{VisitID: visitID, Filename: filepath.Base(filename), ContentType: contentType, SizeBytes: len(data),
		SHA256: hex.EncodeToString(sum[:])}
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		c, err := s.get(ctx, tx, caseID, u.AreaPattern(), true)
		if err != nil {
			return err
		}
		if err := mayAct(u, c); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &ev.ID, `INSERT INTO evidence_files (case_id, visit_id, filename, content_type, size_bytes, sha256, data, created_by)
			SELECT $1, v.id, $3, $4, $5, $6, $7, $8 FROM visits v WHERE v.id = $2 AND v.case_id = $1 RETURNING id`,
			caseID, visitID, ev.Filename, contentType, len(data), ev.SHA256, data, u.ID); err != nil {
			return db.NotFoundOr(err, "casework: add evidence")
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: "case.evidence", Entity: "case",
			EntityID: fmt.Sprint(caseID), Detail: map[string]any{"file_id": ev.ID, "sha256": ev.SHA256, "bytes": len(data)}})
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
