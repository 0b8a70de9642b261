package casework

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/go-playground/validator/v10"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/db"
	"patuh/internal/flags"
	"patuh/internal/importer"
	"patuh/internal/letters"
	"patuh/internal/pdp"
)

// A visit is one decision with the files that come with it (docs/api.md, Visits):
//   - the form gets a UUID (client_id) when it is opened; a visit sent again with it finds the
//     one stored, so a lost answer or a double tap never makes a second visit;
//   - the visit names the SHA-256 of every file it brings (file_manifest) and is incomplete
//     until all of them arrived; a file arrives once per visit, a re-sent one finds the stored;
//   - a visit from the page brings its files in the same request: all are checked before
//     anything is stored, so no visit exists whose photo the inspector was told was refused.

// Upload is a file sent together with a visit (the page form).
type Upload struct {
	Filename string
	Data     []byte
}

// NewValidator validates the case bodies and names refused fields by their JSON names, as the
// API's error fields use them (docs/api.md, Conventions).
func NewValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	if err := v.RegisterValidation("date", func(fl validator.FieldLevel) bool {
		_, ok := ParseDate(fl.Field().String())
		return ok
	}); err != nil {
		// Only a programming error (an empty tag, a nil function) fails here.
		panic("casework: register the date validation: " + err.Error())
	}
	return v
}

// ParseDate reads a date of a case (YYYY-MM-DD) that the calendar holds and that lies in
// 1900..2100, as the importer's dates do (docs/data-exchange.md): year 0000 parses in Go but
// PostgreSQL refuses it, and no visit or letter is dated outside that range.
func ParseDate(s string) (time.Time, bool) {
	d, err := time.Parse("2006-01-02", s)
	if err != nil || d.Year() < 1900 || d.Year() > 2100 {
		return time.Time{}, false
	}
	return d, true
}

// fieldErrors turns the validator's refusal into the 422 of the refused fields.
func fieldErrors(err error) error {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	fields := map[string]string{}
	for _, fe := range verrs {
		name := jsonField(fe.Namespace())
		fields[name] = "error.invalid_value"
		if fe.Tag() == "date" {
			fields[name] = "case.date_invalid"
		}
	}
	return apperr.Fields(fields)
}

// jsonField names a refused field as the JSON body names it (api.md's error fields). The
// namespace starts with Go names, the struct's type and any embedded struct (Visit.kind),
// which the JSON does not have. A field of a list item names the list (findings[2].niks ->
// findings: the form shows the message beside the whole block); a field of a nested object
// names itself (complaint.received -> received).
func jsonField(namespace string) string {
	parts := strings.Split(namespace, ".")
	name := parts[len(parts)-1]
	for _, p := range parts {
		if p != "" && !unicode.IsUpper(rune(p[0])) && strings.Contains(p, "[") {
			name = p
			break
		}
	}
	name, _, _ = strings.Cut(name, "[")
	return name
}

// checkVisit applies every rule a visit must meet, for the page and the API alike.
func (s *Store) checkVisit(v *Visit) error {
	if err := s.check(v); err != nil {
		return err
	}
	for i := range v.Findings {
		for j, nik := range v.Findings[i].NIKs {
			clean, msg := importer.ParseNIK(nik)
			if msg != "" {
				return apperr.Fields(map[string]string{"findings": "case.finding_nik_invalid"})
			}
			v.Findings[i].NIKs[j] = clean
		}
	}
	if _, err := signaturePNG(v.SignatureEmployer); err != nil {
		return apperr.Fields(map[string]string{"signature_employer": "case.signature_invalid"})
	}
	if _, err := signaturePNG(v.SignatureOfficer); err != nil {
		return apperr.Fields(map[string]string{"signature_officer": "case.signature_invalid"})
	}
	if v.SignatureState == "" && v.SignedByEmployer {
		v.SignatureState = SignatureSigned
	}
	v.SignedByEmployer = v.SignatureState == SignatureSigned
	return nil
}

// VisitKinds are the kinds of visit of docs/api.md, in the form's order.
var VisitKinds = []string{"lapangan", "kantor", "dokumen"}

// newClientID is the UUID (version 4) a visit form gets when the page renders it; the
// offline app keeps the one of its draft.
func newClientID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("casework: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// The employer's answer to the Berita Acara.
const (
	SignatureSigned  = "signed"
	SignatureRefused = "refused"
)

// checkUploads refuses the whole visit when one of its files is not evidence, naming the file.
func checkUploads(files []Upload) ([]string, error) {
	sums := make([]string, 0, len(files))
	for _, f := range files {
		if len(f.Data) > MaxEvidence {
			return nil, &apperr.Error{Code: apperr.Invalid, Message: "case.evidence_too_large",
				Fields: map[string]string{"photo": "case.evidence_too_large"}, Current: map[string]string{"file": f.Filename}}
		}
		if _, ok := evidenceType(f.Data); !ok {
			return nil, &apperr.Error{Code: apperr.Invalid, Message: "case.evidence_type",
				Fields: map[string]string{"photo": "case.evidence_type"}, Current: map[string]string{"file": f.Filename}}
		}
		sum := sha256.Sum256(f.Data)
		sums = append(sums, hex.EncodeToString(sum[:]))
	}
	return sums, nil
}

var errVisitExists = errors.New("visit exists")

// AddVisit records a visit with the files sent along. A visit with findings makes an assigned
// case inspected, and the NIKs it names join those whose enrolment the case watches for. It
// answers the visit and whether it was created now (false: the client_id was already stored).
func (s *Store) AddVisit(ctx context.Context, u *auth.User, caseID int64, v Visit, version int, files ...Upload) (*Visit, bool, error) {
	if err := s.checkVisit(&v); err != nil {
		return nil, false, err
	}
	sums, err := checkUploads(files)
	if err != nil {
		return nil, false, err
	}
	if existing, err := s.visitByClientID(ctx, u, caseID, v.ClientID); existing != nil || err != nil {
		return existing, false, err
	}
	manifest := append(append([]string{}, v.FileManifest...), sums...)
	var visitID int64
	err = s.change(ctx, u, caseID, version, "case.visit", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
		if v.ClientID != nil {
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM visits WHERE client_id = $1`, *v.ClientID); err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, errVisitExists
			}
		}
		if err := mayAct(u, c); err != nil {
			return nil, err
		}
		// A visit is made by an assignee (not on a case still open, i.e. unassigned) and
		// never on a case whose state is final.
		if c.Status.Final() || c.Status == StatusOpen {
			return nil, apperr.New(apperr.Conflict, "case.transition_refused")
		}
		findingsJSON, err := json.Marshal(orEmpty(v.Findings))
		if err != nil {
			return nil, err
		}
		if err := tx.GetContext(ctx, &visitID, `INSERT INTO visits (case_id, visited_on, kind, met_name, met_position,
			workers_found, findings, commitment, commitment_due, lat, lon, gps_accuracy_m, signed_by_employer, signature_state,
			note, client_id, file_manifest, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
			caseID, v.VisitedOn, v.Kind, v.MetName, v.MetPosition, v.WorkersFound, string(findingsJSON), v.Commitment, v.CommitmentDue,
			v.Lat, v.Lon, v.GPSAccuracy, v.SignedByEmployer, v.SignatureState, v.Note, v.ClientID, pq.StringArray(manifest), u.ID); err != nil {
			return nil, fmt.Errorf("casework: add visit: %w", err)
		}
		if err := s.writeBAP(ctx, tx, u, c, visitID, v); err != nil {
			return nil, err
		}
		for i, f := range files {
			if _, err := insertEvidence(ctx, tx, u, caseID, visitID, f, sums[i]); err != nil {
				return nil, err
			}
		}
		staged := 0
		if v.ClientID != nil {
			if staged, err = attachStaged(ctx, tx, u, caseID, visitID, *v.ClientID, manifest); err != nil {
				return nil, err
			}
		}
		var niks []string
		for _, f := range v.Findings {
			niks = append(niks, f.NIKs...)
		}
		if len(niks) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET target_niks = ARRAY(SELECT DISTINCT unnest(target_niks || $2::text[]))
				WHERE id = $1`, caseID, pq.StringArray(niks)); err != nil {
				return nil, err
			}
		}
		if len(v.Findings) > 0 && c.Status == StatusAssigned {
			if err := transition(ctx, tx, c, StatusInspected, ""); err != nil {
				return nil, err
			}
		}
		// The visit's NIKs are personal data: the audit keeps their number, not them.
		return map[string]any{"visit_id": visitID, "findings": len(v.Findings), "niks": len(niks), "files": len(files) + staged,
			"files_expected": len(manifest)}, nil
	})
	if err != nil {
		// Sent again while the first was being stored (a retry racing its original), or on a
		// version the first one already moved: the visit stored is the answer.
		if existing, lookErr := s.visitByClientID(ctx, u, caseID, v.ClientID); existing != nil {
			return existing, false, nil
		} else if lookErr != nil {
			return nil, false, lookErr
		}
		return nil, false, err
	}
	created, err := s.visit(ctx, s.db, caseID, visitID)
	return created, true, err
}

// visitByClientID finds the visit a client already stored; one stored on another case is a
// conflict, never an answer.
func (s *Store) visitByClientID(ctx context.Context, u *auth.User, caseID int64, clientID *string) (*Visit, error) {
	if clientID == nil {
		return nil, nil
	}
	var row struct {
		ID     int64 `db:"id"`
		CaseID int64 `db:"case_id"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT id, case_id FROM visits WHERE client_id = $1`, *clientID)
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("casework: visit by client id: %w", err)
	}
	if row.CaseID != caseID {
		return nil, apperr.New(apperr.Conflict, "case.visit_client_id_taken")
	}
	if _, err := s.get(ctx, s.db, caseID, u.AreaPattern(), false); err != nil {
		return nil, err
	}
	return s.visit(ctx, s.db, caseID, row.ID)
}

const visitColumns = `v.id, v.case_id, v.visited_on::text, v.kind, v.met_name, v.met_position, v.workers_found,
	v.findings, v.commitment, v.commitment_due::text, v.lat, v.lon, v.gps_accuracy_m, v.signed_by_employer,
	v.signature_state, v.note, v.client_id, v.bap_sha256, v.file_manifest, v.created_at, coalesce(o.name, '') AS officer,
	(SELECT count(*) FROM evidence_files f WHERE f.visit_id = v.id) AS files_received`

const visitFrom = ` FROM visits v LEFT JOIN users o ON o.id = v.created_by`

// visits reads the visits of a case, NIKs masked, oldest first.
func (s *Store) visits(ctx context.Context, q sqlx.QueryerContext, caseID int64) ([]Visit, error) {
	out := []Visit{}
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT `+visitColumns+visitFrom+` WHERE v.case_id = $1 ORDER BY v.visited_on, v.id`, caseID); err != nil {
		return nil, fmt.Errorf("casework: visits: %w", err)
	}
	var files []Evidence
	if err := sqlx.SelectContext(ctx, q, &files, `SELECT id, visit_id, filename, content_type, size_bytes, sha256
		FROM evidence_files WHERE case_id = $1 ORDER BY id`, caseID); err != nil {
		return nil, fmt.Errorf("casework: visit files: %w", err)
	}
	for i := range out {
		if err := out[i].decode(); err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.VisitID == out[i].ID {
				out[i].Files = append(out[i].Files, f)
			}
		}
	}
	return out, nil
}

func (s *Store) visit(ctx context.Context, q sqlx.QueryerContext, caseID, visitID int64) (*Visit, error) {
	var v Visit
	if err := sqlx.GetContext(ctx, q, &v, `SELECT `+visitColumns+visitFrom+` WHERE v.case_id = $1 AND v.id = $2`, caseID, visitID); err != nil {
		return nil, db.NotFoundOr(err, "casework: visit")
	}
	v.Files = []Evidence{}
	if err := sqlx.SelectContext(ctx, q, &v.Files, `SELECT id, visit_id, filename, content_type, size_bytes, sha256
		FROM evidence_files WHERE visit_id = $1 ORDER BY id`, visitID); err != nil {
		return nil, fmt.Errorf("casework: visit files: %w", err)
	}
	return &v, v.decode()
}

// decode reads the stored findings, masks their NIKs (docs/domain.md: NIKs are shown masked)
// and tells whether every file of the manifest arrived.
func (v *Visit) decode() error {
	if err := json.Unmarshal(v.FindingsJSON, &v.Findings); err != nil {
		return fmt.Errorf("casework: visit %d findings: %w", v.ID, err)
	}
	for i := range v.Findings {
		v.Findings[i].NIKCount = len(v.Findings[i].NIKs)
		v.Findings[i].niks = v.Findings[i].NIKs
		masked := make([]string, len(v.Findings[i].NIKs))
		for j, nik := range v.Findings[i].NIKs {
			masked[j] = pdp.MaskNIK(nik)
		}
		v.Findings[i].NIKs = masked
	}
	if v.FileManifest == nil {
		v.FileManifest = pq.StringArray{}
	}
	v.Incomplete = v.FilesReceived < len(v.FileManifest)
	if v.Files == nil {
		v.Files = []Evidence{}
	}
	return nil
}

// unmask shows the NIKs of the visits' findings to a user whose role may see them; the caller
// audits the read.
func unmask(visits []Visit) (n int) {
	for i := range visits {
		for j := range visits[i].Findings {
			visits[i].Findings[j].NIKs = visits[i].Findings[j].niks
			n += len(visits[i].Findings[j].niks)
		}
	}
	return n
}

// GetWithNIKs is Get with the findings' NIKs unmasked, for a supervisor or an admin who asks
// (?unmask=nik); the read is audited with who, what and when.
func (s *Store) GetWithNIKs(ctx context.Context, id int64, u *auth.User) (*Case, error) {
	if !u.MaySeeAll() {
		return nil, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	c, err := s.Get(ctx, id, u)
	if err != nil {
		return nil, err
	}
	n := unmask(c.Visits)
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: "case.nik_view", Entity: "case",
			EntityID: fmt.Sprint(id), Detail: map[string]any{"niks": n}})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// insertEvidence stores one checked file of a visit; the same file again is the stored one
// (created false).
func insertEvidence(ctx context.Context, tx *sqlx.Tx, u *auth.User, caseID, visitID int64, f Upload, sum string) (*Evidence, error) {
	contentType, _ := evidenceType(f.Data)
	ev := &Evidence{VisitID: visitID, Filename: filepath.Base(f.Filename), ContentType: contentType, SizeBytes: len(f.Data), SHA256: sum}
	err := tx.GetContext(ctx, &ev.ID, `INSERT INTO evidence_files (case_id, visit_id, filename, content_type, size_bytes, sha256, data, created_by)
		SELECT $1, v.id, $3, $4, $5, $6, $7, $8 FROM visits v WHERE v.id = $2 AND v.case_id = $1
		ON CONFLICT (visit_id, sha256) DO NOTHING RETURNING id`,
		caseID, visitID, ev.Filename, contentType, len(f.Data), sum, f.Data, u.ID)
	if db.IsNoRows(err) {
		// Either the visit is not of this case, or the file is there already.
		err = tx.GetContext(ctx, ev, `SELECT id, visit_id, filename, content_type, size_bytes, sha256
			FROM evidence_files WHERE visit_id = $1 AND case_id = $2 AND sha256 = $3`, visitID, caseID, sum)
		if err != nil {
			return nil, db.NotFoundOr(err, "casework: add evidence")
		}
		ev.Existing = true
		return ev, nil
	}
	if err != nil {
		return nil, fmt.Errorf("casework: add evidence: %w", err)
	}
	return ev, audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: "case.evidence", Entity: "case",
		EntityID: fmt.Sprint(caseID), Detail: map[string]any{"visit_id": visitID, "file_id": ev.ID, "sha256": sum, "bytes": len(f.Data)}})
}

// signaturePNG reads a signature drawn on the phone: a PNG as a data URL (signature_pad's
// toDataURL), or nothing.
func signaturePNG(dataURL string) ([]byte, error) {
	if dataURL == "" {
		return nil, nil
	}
	b64, ok := strings.CutPrefix(dataURL, "data:image/png;base64,")
	if !ok {
		return nil, errors.New("casework: signature is not a PNG data URL")
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || http.DetectContentType(png) != "image/png" || len(png) > 300<<10 {
		return nil, errors.New("casework: signature is not a PNG")
	}
	return png, nil
}

// writeBAP writes the visit's Berita Acara Pemeriksaan with its signatures and keeps it with
// the visit, checksummed. The NIKs are counted, never printed.
func (s *Store) writeBAP(ctx context.Context, tx *sqlx.Tx, u *auth.User, c *Case, visitID int64, v Visit) error {
	e, err := employerFacts(ctx, tx, c.EmployerID)
	if err != nil {
		return err
	}
	visited, ok := ParseDate(v.VisitedOn)
	if !ok {
		return apperr.Fields(map[string]string{"visited_on": "case.date_invalid"})
	}
	b := letters.BAP{CaseID: c.ID, VisitedOn: visited, Kind: v.Kind, EmployerName: e.Nama, Address: e.Alamat, Region: e.region(),
		NIB: deref(e.NIB), NPWP: deref(e.NPWP), NPPs: e.NPPs, Officer: u.Name, MetName: v.MetName, MetPosition: v.MetPosition,
		WorkersFound: v.WorkersFound, Commitment: v.Commitment, Note: v.Note, Refused: v.SignatureState == SignatureRefused,
		Latitude: v.Lat, Long: v.Lon}
	if v.CommitmentDue != nil {
		if due, ok := ParseDate(*v.CommitmentDue); ok {
			b.CommitmentDue = &due
		}
	}
	for _, f := range v.Findings {
		b.Findings = append(b.Findings, letters.BAPFinding{Name: flagNames[flags.Code(f.Code)], Workers: f.Workers, NIKs: len(f.NIKs), Note: f.Note})
	}
	// Checked in checkVisit: these decode, but a refusal here is still named.
	if b.EmployerSign, err = signaturePNG(v.SignatureEmployer); err != nil {
		return apperr.Fields(map[string]string{"signature_employer": "case.signature_invalid"})
	}
	if b.OfficerSign, err = signaturePNG(v.SignatureOfficer); err != nil {
		return apperr.Fields(map[string]string{"signature_officer": "case.signature_invalid"})
	}
	if b.Refused {
		b.EmployerSign = nil
	}
	pdf, err := letters.BAPPDF(b)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(pdf)
	_, err = tx.ExecContext(ctx, `UPDATE visits SET bap_pdf = $2, bap_sha256 = $3, signature_employer = $4, signature_officer = $5
		WHERE id = $1`, visitID, pdf, hex.EncodeToString(sum[:]), b.EmployerSign, b.OfficerSign)
	return err
}

// BAP returns the Berita Acara of a visit of a case in the user's area.
func (s *Store) BAP(ctx context.Context, u *auth.User, caseID, visitID int64) ([]byte, string, error) {
	if _, err := s.get(ctx, s.db, caseID, u.AreaPattern(), false); err != nil {
		return nil, "", err
	}
	var row struct {
		PDF []byte  `db:"bap_pdf"`
		Sum *string `db:"bap_sha256"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT bap_pdf, bap_sha256 FROM visits WHERE id = $1 AND case_id = $2 AND bap_pdf IS NOT NULL`, visitID, caseID)
	if err != nil {
		return nil, "", db.NotFoundOr(err, "casework: bap")
	}
	return row.PDF, deref(row.Sum), nil
}
