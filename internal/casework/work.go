package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/db"
	"patuh/internal/flags"
	"patuh/internal/letters"
	"patuh/internal/wib"
)

// rule is a step of the ladder as follow_up_rules configures it.
type rule struct {
	Kind     string `db:"kind"`
	Position int    `db:"position"`
	Days     int    `db:"days"`
	DayKind  string `db:"day_kind"`
	Track    string `db:"track"`
}

// FollowUpInput issues a step of the enforcement ladder (the case page's form and POST
// /api/v1/cases/{id}/follow-ups). Reason is needed for a step other than the next one.
type FollowUpInput struct {
	Kind     string `json:"kind" validate:"required"`
	IssuedOn string `json:"issued_on" validate:"required,date"`
	Note     string `json:"note" validate:"max=4000"`
	Reason   string `json:"reason" validate:"max=2000"`
	// Version may be left out (0): issuing a step appends, it overwrites nobody's edit.
	Version int `json:"version" validate:"gte=0"`
}

// AddFollowUp issues a step of the ladder with its due date and answers the follow-up issued
// (the API's 201). The next step is the one after the highest issued so far; any other needs
// a reason.
func (s *Store) AddFollowUp(ctx context.Context, u *auth.User, id int64, in FollowUpInput) (*FollowUp, error) {
	if err := s.check(&in); err != nil {
		return nil, err
	}
	issued, ok := ParseDate(in.IssuedOn)
	if !ok {
		return nil, apperr.Fields(map[string]string{"issued_on": "case.date_invalid"})
	}
	kind, issuedOn, note, reason := in.Kind, in.IssuedOn, in.Note, in.Reason
	var followUpID int64
	err := s.change(ctx, u, id, in.Version, "case.follow_up", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
		if err := mayAct(u, c); err != nil {
			return nil, err
		}
		if err := s.checkIssued(c, issued); err != nil {
			return nil, err
		}
		var r rule
		err := tx.GetContext(ctx, &r, `SELECT kind, position, days, day_kind, track FROM follow_up_rules WHERE kind = $1`, kind)
		if db.IsNoRows(err) {
			return nil, apperr.Fields(map[string]string{"kind": "case.follow_up_kind_invalid"})
		}
		if err != nil {
			return nil, fmt.Errorf("casework: follow-up rule: %w", err)
		}
		next, err := nextFollowUp(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if kind != next && reason == "" {
			return nil, apperr.Fields(map[string]string{"reason": "case.out_of_order"})
		}
		if err := transition(ctx, tx, c, StatusFollowUp, ""); err != nil {
			return nil, err
		}
		holidays := map[string]bool{}
		var days []string
		if err := tx.SelectContext(ctx, &days, `SELECT day::text FROM holidays WHERE day > $1`, issuedOn); err != nil {
			return nil, fmt.Errorf("casework: holidays: %w", err)
		}
		for _, d := range days {
			holidays[d] = true
		}
		due := DueDate(issued, r.Days, r.DayKind == "working", holidays)
		if kind == next {
			reason = ""
		}
		if err := tx.GetContext(ctx, &followUpID, `INSERT INTO follow_ups (case_id, kind, issued_on, due_on, note, out_of_order_reason, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, id, kind, issuedOn, due.Format("2006-01-02"), note, reason, u.ID); err != nil {
			return nil, fmt.Errorf("casework: add follow-up: %w", err)
		}
		if _, ok := letters.Kinds[kind]; ok {
			if err := s.issueLetter(ctx, tx, u, c, followUpID, kind, issued, due, r); err != nil {
				return nil, err
			}
		}
		return map[string]any{"kind": kind, "issued_on": issuedOn, "due_on": due.Format("2006-01-02"), "suggested": next}, nil
	})
	if err != nil {
		return nil, err
	}
	c, err := s.Get(ctx, id, u)
	if err != nil {
		return nil, err
	}
	for i := range c.FollowUps {
		if c.FollowUps[i].ID == followUpID {
			return &c.FollowUps[i], nil
		}
	}
	return nil, fmt.Errorf("casework: follow-up %d of case %d not read back", followUpID, id)
}

// MaxIssueAhead is how far ahead a follow-up may be dated: a letter prepared for Monday on a
// Friday, not one dated weeks ahead by a slip of the date picker (issue 16).
const MaxIssueAhead = 7

// checkIssued refuses a follow-up dated before the case opened or more than MaxIssueAhead days
// after today.
func (s *Store) checkIssued(c *Case, issued time.Time) error {
	opened := wib.Date(c.OpenedAt)
	day := issued.Format("2006-01-02")
	if day < opened {
		return apperr.Fields(map[string]string{"issued_on": "case.issued_before_open"})
	}
	if day > wib.Date(s.Now().AddDate(0, 0, MaxIssueAhead)) {
		return apperr.Fields(map[string]string{"issued_on": "case.issued_too_far"})
	}
	return nil
}

// SetFollowUpStatus marks a follow-up fulfilled or lapsed; the follow-up's own version guards it.
func (s *Store) SetFollowUpStatus(ctx context.Context, u *auth.User, id, followUpID int64, status string, version int) (*Case, error) {
	if status != "open" && status != "fulfilled" && status != "lapsed" {
		return nil, apperr.Fields(map[string]string{"status": "case.follow_up_status_invalid"})
	}
	c, err := s.Get(ctx, id, u)
	if err != nil {
		return nil, err
	}
	err = s.change(ctx, u, id, c.Version, "case.follow_up_status", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
		if err := mayAct(u, c); err != nil {
			return nil, err
		}
		// A closed case's follow-ups were ended with it; nothing of it is live any more.
		if c.Status.Final() {
			return nil, apperr.New(apperr.Conflict, "case.transition_refused")
		}
		res, err := tx.ExecContext(ctx, `UPDATE follow_ups SET status = $3, version = version + 1,
			ended_at = CASE WHEN $3 = 'open' THEN NULL ELSE now() END
			WHERE id = $2 AND case_id = $1 AND version = $4 AND status <> 'cancelled'`, id, followUpID, status, version)
		if err != nil {
			return nil, fmt.Errorf("casework: follow-up status: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("casework: follow-up status: %w", err)
		}
		if n == 0 {
			return nil, errStale
		}
		return map[string]any{"follow_up_id": followUpID, "status": status}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}

// Verify runs after the commit of a participants snapshot, once its flags are computed: each open case of an employer whose
// NPPs the snapshot covers counts the watched NIKs now active, and a case whose opening flags
// are all gone from the employer waits for a supervisor to close it (a move transition allows
// from assigned, inspected and follow_up, not from an unassigned case).
func Verify(ctx context.Context, tx *sqlx.Tx, importID int64) error {
	var touched []struct {
		ID        int64  `db:"id"`
		Status    Status `db:"status"`
		Before    int    `db:"before"`
		Recovered int    `db:"recovered"`
		Resolved  bool   `db:"resolved"`
	}
	err := tx.SelectContext(ctx, &touched, `WITH touched AS (
		SELECT c.id, c.employer_id, c.target_niks, c.flags_at_open, c.status, c.recovered_workers FROM cases c
		WHERE c.status <> 'closed' AND EXISTS (
			SELECT 1 FROM bpjs_employers b JOIN participant_snapshots s ON s.npp = b.npp
			WHERE b.employer_id = c.employer_id AND s.import_id = $1)
		ORDER BY c.id FOR UPDATE OF c
	)
	SELECT t.id, t.status, t.recovered_workers AS before, (
			SELECT count(DISTINCT p.nik) FROM bpjs_employers b
			JOIN latest_snapshots l ON l.npp = b.npp
			JOIN participants p ON p.npp = l.npp AND p.import_id = l.import_id AND p.status = 'aktif'
			WHERE b.employer_id = t.employer_id AND p.nik = ANY (t.target_niks)) AS recovered,
		NOT EXISTS (
			SELECT 1 FROM jsonb_array_elements(t.flags_at_open) f
			JOIN employer_flags ef ON ef.employer_id = t.employer_id AND ef.code = f->>'code') AS resolved
	FROM touched t ORDER BY t.id`, importID)
	if err != nil {
		return fmt.Errorf("casework: verify: %w", err)
	}
	for _, t := range touched {
		c := &Case{ID: t.ID, Status: t.Status}
		moves := t.Resolved && t.Status != StatusAwaitingClosure && Allowed(t.Status, StatusAwaitingClosure)
		switch {
		case moves:
			err = transition(ctx, tx, c, StatusAwaitingClosure, "recovered_workers = $4, version = version + 1", t.Recovered)
		case t.Recovered != t.Before:
			_, err = tx.ExecContext(ctx, `UPDATE cases SET recovered_workers = $2, version = version + 1 WHERE id = $1`, t.ID, t.Recovered)
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("casework: verify case %d: %w", t.ID, err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{Actor: "verification", Action: "case.verify", Entity: "case", EntityID: fmt.Sprint(t.ID),
			Detail: map[string]any{"import_id": importID, "status": c.Status, "recovered_workers": t.Recovered}}); err != nil {
			return err
		}
	}
	return nil
}

// issueLetter writes the follow-up's letter from the case data and keeps it as sent: numbered
// from the admin's format with the next number of the issuing office and year, the findings in
// words, the last visit's Berita Acara cited, signed by the issuing officer with position and NIP.
func (s *Store) issueLetter(ctx context.Context, tx *sqlx.Tx, u *auth.User, c *Case, followUpID int64, kind string,
	issued, due time.Time, r rule) error {
	e, err := employerFacts(ctx, tx, c.EmployerID)
	if err != nil {
		return err
	}
	number, err := nextLetterNumber(ctx, tx, kind, r.Track, issued)
	if err != nil {
		return err
	}
	var signer letters.Signer
	if err := tx.QueryRowxContext(ctx, `SELECT name, position, nip FROM users WHERE id = $1`, u.ID).
		Scan(&signer.Name, &signer.Position, &signer.NIP); err != nil {
		return fmt.Errorf("casework: letter signer: %w", err)
	}
	l := letters.Letter{Kind: kind, Number: number, IssuedOn: issued, DueOn: due, EmployerName: e.Nama, Address: e.Alamat,
		Region: e.region(), NIB: deref(e.NIB), NPWP: deref(e.NPWP), NPPs: e.NPPs, Signer: signer,
		WorkingDays: r.Days, CalendarDays: r.DayKind != "working", Sifat: "Penting", Perihal: letters.Perihal(kind)}
	if kind == "teguran_2" || kind == "nota_1" {
		l.Sifat = "Segera"
	}
	var arrearsMonths int
	var arrearsRp int64
	if err := tx.QueryRowxContext(ctx, `SELECT coalesce(max(tunggakan_bulan), 0), coalesce(sum(tunggakan_rp), 0)
		FROM bpjs_employers WHERE employer_id = $1`, c.EmployerID).Scan(&arrearsMonths, &arrearsRp); err != nil {
		return fmt.Errorf("casework: letter arrears: %w", err)
	}
	atOpen, err := c.OpenFlags()
	if err != nil {
		return err
	}
	for _, f := range atOpen {
		lf := letters.Finding{Code: f.Code, Workers: f.Workers, ShortfallRp: f.ShortfallRp, Name: flagNames[f.Code], Detail: f.Detail}
		if after, ok := strings.CutPrefix(f.Detail, "missing programs: "); ok {
			for _, p := range strings.Split(after, ",") {
				lf.Missing = append(lf.Missing, strings.TrimSpace(p))
			}
		}
		if f.Code == flags.Menunggak {
			lf.ArrearsMonths, lf.ArrearsRp = arrearsMonths, arrearsRp
		}
		l.Findings = append(l.Findings, lf)
	}
	visits, err := s.visits(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	if n := len(visits); n > 0 {
		v := visits[n-1]
		on, err := time.Parse("2006-01-02", v.VisitedOn)
		if err != nil {
			return fmt.Errorf("casework: letter: visit %d date: %w", v.ID, err)
		}
		cite := &letters.Visit{On: on, Kind: v.Kind, MetName: v.MetName, MetPosition: v.MetPosition, Commitment: v.Commitment}
		if v.CommitmentDue != nil {
			if d, err := time.Parse("2006-01-02", *v.CommitmentDue); err == nil {
				cite.CommitmentDue = &d
			}
		}
		if v.WorkersFound != nil {
			cite.Findings = append(cite.Findings, fmt.Sprintf("jumlah pekerja yang ditemukan: %s orang;", letters.Count(*v.WorkersFound)))
		}
		for _, f := range v.Findings {
			text := flagNames[flags.Code(f.Code)]
			if f.Workers > 0 {
				text += fmt.Sprintf(": %s orang pekerja", letters.Count(f.Workers))
			}
			if f.Note != "" {
				text += " (" + f.Note + ")"
			}
			cite.Findings = append(cite.Findings, text+";")
		}
		l.Visit = cite
		l.Lampiran = "1 (satu) berkas salinan Berita Acara Pemeriksaan"
	}
	pdf, err := letters.PDF(l)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(pdf)
	_, err = tx.ExecContext(ctx, `INSERT INTO follow_up_letters (follow_up_id, pdf, sha256, number) VALUES ($1, $2, $3, $4)`,
		followUpID, pdf, hex.EncodeToString(sum[:]), number)
	return err
}

// nextLetterNumber takes the next number of the issuing office (the BPJS or the Disnaker
// track's, from settings) for the letter's year, under the sequence row's lock, and writes it
// in the admin's format (letters.Number).
func nextLetterNumber(ctx context.Context, tx *sqlx.Tx, kind, track string, issued time.Time) (string, error) {
	var format, office string
	err := tx.QueryRowxContext(ctx, `SELECT
		coalesce((SELECT value FROM settings WHERE key = 'letter_number_format'), ''),
		coalesce((SELECT value FROM settings WHERE key = 'letter_office_' || $1), upper($1))`, track).Scan(&format, &office)
	if err != nil {
		return "", fmt.Errorf("casework: letter format: %w", err)
	}
	var seq int
	if err := tx.GetContext(ctx, &seq, `INSERT INTO letter_sequences (office, year, last) VALUES ($1, $2, 1)
		ON CONFLICT (office, year) DO UPDATE SET last = letter_sequences.last + 1 RETURNING last`, office, issued.Year()); err != nil {
		return "", fmt.Errorf("casework: letter sequence: %w", err)
	}
	return letters.Number(format, seq, kind, office, issued), nil
}

// employerOnPaper is what a letter or a Berita Acara says of the employer.
type employerOnPaper struct {
	Nama, Alamat         string
	NIB, NPWP            *string
	Kelurahan, Kecamatan string
	Kota                 string
	NPPs                 pq.StringArray
}

func (e employerOnPaper) region() string {
	return strings.Trim(strings.Join([]string{e.Kelurahan, e.Kecamatan, e.Kota}, ", "), ", ")
}

func employerFacts(ctx context.Context, tx *sqlx.Tx, employerID int64) (employerOnPaper, error) {
	var e employerOnPaper
	err := tx.QueryRowxContext(ctx, `SELECT e.nama, e.alamat, e.nib, e.npwp, coalesce(kel.nama, ''), coalesce(kec.nama, ''),
		coalesce(kot.nama, ''), ARRAY(SELECT npp FROM bpjs_employers WHERE employer_id = e.id ORDER BY npp)
		FROM employers e LEFT JOIN regions kel ON kel.kode = e.kode_kelurahan
		LEFT JOIN regions kec ON kec.kode = left(e.kode_kelurahan, 8) LEFT JOIN regions kot ON kot.kode = left(e.kode_kelurahan, 5)
		WHERE e.id = $1`, employerID).Scan(&e.Nama, &e.Alamat, &e.NIB, &e.NPWP, &e.Kelurahan, &e.Kecamatan, &e.Kota, &e.NPPs)
	if err != nil {
		return e, fmt.Errorf("casework: employer facts: %w", err)
	}
	return e, nil
}

// flagNames are the legal names of the flags as a letter states them.
var flagNames = map[flags.Code]string{
	flags.PWBD: "Perusahaan Wajib Belum Daftar", flags.PDSTK: "Daftar Sebagian - Tenaga Kerja", flags.PDSUpah: "Daftar Sebagian - Upah",
	flags.PDSProgram: "Daftar Sebagian - Program", flags.Menunggak: "Menunggak iuran",
}

// Letter returns the letter of a follow-up of a case in the user's area.
func (s *Store) Letter(ctx context.Context, u *auth.User, caseID, followUpID int64) ([]byte, error) {
	if _, err := s.get(ctx, s.db, caseID, u.AreaPattern(), false); err != nil {
		return nil, err
	}
	var pdf []byte
	err := s.db.GetContext(ctx, &pdf, `SELECT l.pdf FROM follow_up_letters l JOIN follow_ups f ON f.id = l.follow_up_id
		WHERE l.follow_up_id = $1 AND f.case_id = $2`, followUpID, caseID)
	return pdf, db.NotFoundOr(err, "casework: letter")
}
