package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"database/sql"

	"github.com/go-playground/validator/v10"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/db"
	"patuh/internal/flags"
	"patuh/internal/regions"
	"patuh/internal/wib"
)

// Store owns the cases, case_assignments, visits and follow_ups tables.
type Store struct {
	db       *sqlx.DB
	validate *validator.Validate
	Now      func() time.Time
}

func NewStore(d *sqlx.DB) *Store { return &Store{db: d, validate: NewValidator(), Now: time.Now} }

var caseColumns = `c.id, c.employer_id, e.nama AS employer_name, e.kode_kelurahan, c.status, c.assignee_id,
	u.username AS assignee, u.name AS assignee_name, ` + flagsAtOpen + `, c.recovered_workers, c.source, c.note, c.outcome,
	c.closure_requested, c.opened_at, c.closed_at, c.version, c.complaint_channel, c.complaint_received::text,
	c.complaint_text, c.complainant_name, c.complainant_contact, e.alamat AS employer_address,
	coalesce(kel.nama, '') AS kelurahan_name, nx.kind AS next_kind, nx.due_on::text AS next_due`

// flagsAtOpen reads the frozen flags in the spec's order (docs/domain.md, flags.Codes): cases
// opened before the order was kept at opening were frozen alphabetically.
var flagsAtOpen = `(SELECT coalesce(jsonb_agg(f ORDER BY array_position(` + flags.CodesSQL + `, f->>'code')), '[]'::jsonb)
	FROM jsonb_array_elements(c.flags_at_open) f) AS flags_at_open`

// caseFrom joins what a case card shows: the employer, its kelurahan, and the open follow-up
// due first (the inspector's next step).
const caseFrom = ` FROM cases c JOIN employers e ON e.id = c.employer_id LEFT JOIN users u ON u.id = c.assignee_id
	LEFT JOIN regions kel ON kel.kode = e.kode_kelurahan
	LEFT JOIN LATERAL (SELECT f.kind, f.due_on FROM follow_ups f WHERE f.case_id = c.id AND f.status = 'open'
		ORDER BY f.due_on, f.id LIMIT 1) nx ON true`

// inArea scopes a case to the user's area (passed as $2) by its employer's kelurahan.
var inArea = " " + auth.EmployerInArea("$2")

func (s *Store) get(ctx context.Context, q sqlx.QueryerContext, id int64, areaPattern string, lock bool) (*Case, error) {
	query := `SELECT ` + caseColumns + caseFrom + ` WHERE c.id = $1 AND` + inArea
	if lock {
		query += ` FOR UPDATE OF c`
	}
	var c Case
	if err := sqlx.GetContext(ctx, q, &c, query, id, areaPattern); err != nil {
		return nil, db.NotFoundOr(err, "casework: get case")
	}
	return &c, nil
}

// Get returns a case with its visits and follow-ups; outside the user's area it is not found.
func (s *Store) Get(ctx context.Context, id int64, u *auth.User) (*Case, error) {
	c, err := s.get(ctx, s.db, id, u.AreaPattern(), false)
	if err != nil {
		return nil, err
	}
	c.Complaint = c.complaintRow.complaint(u.MaySeeAll())
	if c.Visits, err = s.visits(ctx, s.db, id); err != nil {
		return nil, err
	}
	c.FollowUps = []FollowUp{}
	if err := s.db.SelectContext(ctx, &c.FollowUps, `SELECT id, kind, issued_on::text, due_on::text, status, note,
		out_of_order_reason, status = 'open' AND due_on < $2 AND $3 <> 'closed' AS overdue, created_at, version,
		EXISTS (SELECT 1 FROM follow_up_letters l WHERE l.follow_up_id = follow_ups.id) AS has_letter,
		status = 'open' AND EXISTS (SELECT 1 FROM follow_up_rules r WHERE r.kind = follow_ups.kind AND r.day_kind = 'working')
			AND NOT EXISTS (SELECT 1 FROM holiday_years y WHERE y.year = extract(year FROM due_on) AND y.confirmed_at IS NOT NULL)
			AS calendar_unconfirmed
		FROM follow_ups WHERE case_id = $1 ORDER BY issued_on, id`, id, wib.Date(s.Now()), c.Status); err != nil {
		return nil, fmt.Errorf("casework: follow-ups: %w", err)
	}
	return c, nil
}

// conflict is the 409 of a stale version, carrying the current case.
func (s *Store) conflict(ctx context.Context, id int64, u *auth.User) error {
	current, err := s.Get(ctx, id, u)
	if err != nil {
		return err
	}
	return &apperr.Error{Code: apperr.Conflict, Message: "case.stale", Current: current}
}

// change runs fn on a locked case of the user's area whose version is the one the user read,
// then bumps the version and audits what happened, all in one transaction.
func (s *Store) change(ctx context.Context, u *auth.User, id int64, version int, action string,
	fn func(tx *sqlx.Tx, c *Case) (map[string]any, error)) error {
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return s.changeTx(ctx, tx, u, id, version, action, fn)
	})
	if errors.Is(err, errStale) {
		return s.conflict(ctx, id, u)
	}
	return err
}

// changeTx is change inside a transaction the caller holds (a bulk reassignment changes many
// cases in one); a stale version is errStale.
func (s *Store) changeTx(ctx context.Context, tx *sqlx.Tx, u *auth.User, id int64, version int, action string,
	fn func(tx *sqlx.Tx, c *Case) (map[string]any, error)) error {
	c, err := s.get(ctx, tx, id, u.AreaPattern(), true)
	if err != nil {
		return err
	}
	// Adding a visit or a follow-up may leave the version out (api.md's bodies have none):
	// appending does not overwrite anyone's edit. Every edit of the case itself sends one.
	if version != 0 && c.Version != version {
		return errStale
	}
	detail, err := fn(tx, c)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET version = version + 1 WHERE id = $1`, id); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: action, Entity: "case",
		EntityID: fmt.Sprint(id), Detail: detail})
}

var errStale = errors.New("stale version")

// transition is the one way a case changes state, for every action and for the verification
// after an import: it moves c to `to` if the transitions table allows it (else a 409
// case.transition_refused) and records the new state on c. set names further columns written
// in the same UPDATE, with their parameters from $4 in args: closing writes its outcome with
// the state, as the table's CHECK ties them. The row must be locked by the caller; the UPDATE
// also requires the state c was read in, so a state changed meanwhile is never overwritten.
func transition(ctx context.Context, tx *sqlx.Tx, c *Case, to Status, set string, args ...any) error {
	if !Allowed(c.Status, to) {
		return apperr.New(apperr.Conflict, "case.transition_refused")
	}
	q := `UPDATE cases SET status = $2`
	if set != "" {
		q += ", " + set
	}
	res, err := tx.ExecContext(ctx, q+` WHERE id = $1 AND status = $3`, append([]any{c.ID, to, c.Status}, args...)...)
	if err != nil {
		return fmt.Errorf("casework: case %d %s -> %s: %w", c.ID, c.Status, to, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("casework: case %d %s -> %s: %w", c.ID, c.Status, to, err)
	}
	if n != 1 {
		return errStale
	}
	c.Status = to
	return nil
}

// Open opens a case for an employer of the user's area, freezing its current flags and the
// NIKs of its unenrolled roster workers. A second open case for the employer is a conflict
// that names the open one.
func (s *Store) Open(ctx context.Context, u *auth.User, employerID int64, note string) (*Case, error) {
	if err := s.validate.Var(note, "max=4000"); err != nil { // as POST /api/v1/cases's note
		return nil, apperr.Fields(map[string]string{"note": "error.invalid_value"})
	}
	var id int64
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		id, err = s.openTx(ctx, tx, u, employerID, note, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}

// ComplaintInput is a case opened from a worker's complaint (the complaint form and POST
// /api/v1/cases with "complaint"): about an employer of the register (EmployerID) or one it
// does not hold yet (Employer, created as not in the register). OpenFromComplaint checks it.
type ComplaintInput struct {
	EmployerID int64        `json:"employer_id" validate:"required_without=Employer,omitempty,gt=0"`
	Employer   *NewEmployer `json:"employer" validate:"omitempty"`
	Note       string       `json:"note" validate:"max=4000"`
	Complaint  Complaint    `json:"complaint"`
}

// OpenFromComplaint opens a case from a worker's complaint. A new employer and its case are
// one decision: created together in one transaction, or neither.
func (s *Store) OpenFromComplaint(ctx context.Context, u *auth.User, in ComplaintInput) (*Case, error) {
	if err := s.check(&in); err != nil {
		return nil, err
	}
	var id int64
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		employerID := in.EmployerID
		if in.Employer != nil {
			var err error
			if employerID, err = s.addComplaintEmployer(ctx, tx, u, in.Employer); err != nil {
				return err
			}
		}
		var err error
		id, err = s.openTx(ctx, tx, u, employerID, in.Note, &in.Complaint)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}

// addComplaintEmployer records, in the caller's transaction, an employer that only a
// complaint names, with its flags computed.
func (s *Store) addComplaintEmployer(ctx context.Context, tx *sqlx.Tx, u *auth.User, e *NewEmployer) (int64, error) {
	var region string
	err := tx.GetContext(ctx, &region, `SELECT kode FROM regions WHERE kode = $1 AND level = 'kelurahan'`, e.KodeKelurahan)
	if err != nil && !db.IsNoRows(err) {
		return 0, fmt.Errorf("casework: complaint employer region: %w", err)
	}
	if err != nil || !u.Covers(region) {
		return 0, apperr.Fields(map[string]string{"kode_kelurahan": "import.err.region_unknown"})
	}
	var employerID int64
	if err := tx.GetContext(ctx, &employerID, `INSERT INTO employers (nama, alamat, kode_kelurahan, in_register, from_complaint)
		VALUES ($1, $2, $3, false, true) RETURNING id`, e.Nama, e.Alamat, region); err != nil {
		return 0, fmt.Errorf("casework: complaint employer: %w", err)
	}
	if err := flags.PrepareTargets(ctx, tx); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO flag_targets VALUES ($1)`, employerID); err != nil {
		return 0, fmt.Errorf("casework: complaint employer flags: %w", err)
	}
	if err := flags.Recompute(ctx, tx, s.Now()); err != nil {
		return 0, err
	}
	if err := flags.RefreshCounts(ctx, tx); err != nil {
		return 0, err
	}
	return employerID, audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: "employer.from_complaint",
		Entity: "employer", EntityID: fmt.Sprint(employerID), Detail: map[string]any{"nama": e.Nama}})
}

// openable reports, in the caller's transaction, whether a case may be opened for an employer:
// a NotFound outside the user's area, else the id of the case already open for it (0: none).
// It writes nothing, so a caller that skips an employer (OpenMany) keeps its transaction.
func openable(ctx context.Context, tx *sqlx.Tx, u *auth.User, employerID int64) (int64, error) {
	var ok bool
	if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM employers e WHERE e.id = $1 AND`+inArea+`)`,
		employerID, u.AreaPattern()); err != nil {
		return 0, fmt.Errorf("casework: open: %w", err)
	}
	if !ok {
		return 0, apperr.New(apperr.NotFound, "error.not_found")
	}
	var open int64
	err := tx.GetContext(ctx, &open, `SELECT id FROM cases WHERE employer_id = $1 AND status <> 'closed'`, employerID)
	if db.IsNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("casework: open: %w", err)
	}
	return open, nil
}

// openTx opens a case in the caller's transaction and answers its id.
func (s *Store) openTx(ctx context.Context, tx *sqlx.Tx, u *auth.User, employerID int64, note string, complaint *Complaint) (int64, error) {
	open, err := openable(ctx, tx, u, employerID)
	if err != nil {
		return 0, err
	}
	if open != 0 {
		return 0, &apperr.Error{Code: apperr.Conflict, Message: "case.already_open", Current: map[string]int64{"open_case_id": open}}
	}
	var current []flags.Flag
	if err := tx.SelectContext(ctx, &current, `SELECT employer_id, code, workers, shortfall_rp, detail
		FROM employer_flags WHERE employer_id = $1 ORDER BY array_position(`+flags.CodesSQL+`, code)`, employerID); err != nil {
		return 0, fmt.Errorf("casework: open: flags: %w", err)
	}
	frozenJSON, err := json.Marshal(orEmpty(current))
	if err != nil {
		return 0, fmt.Errorf("casework: freeze flags: %w", err)
	}
	frozen := string(frozenJSON) // text: with binary parameters a []byte would be sent as binary jsonb
	unenrolled, err := flags.Unenrolled(ctx, tx, employerID)
	if err != nil {
		return 0, err
	}
	niks := make([]string, 0, len(unenrolled))
	for _, w := range unenrolled {
		niks = append(niks, w.NIK)
	}
	source := "flag"
	var cmp Complaint
	if complaint != nil {
		source, cmp = "complaint", *complaint
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `INSERT INTO cases (employer_id, flags_at_open, target_niks, note, opened_by, source,
		complaint_channel, complaint_received, complaint_text, complainant_name, complainant_contact)
		VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), nullif($8, '')::date, nullif($9, ''), nullif($10, ''), nullif($11, ''))
		RETURNING id`, employerID, frozen, pq.StringArray(niks), note, u.ID, source,
		cmp.Channel, cmp.Received, cmp.Allegation, cmp.ComplainantName, cmp.ComplainantContact); err != nil {
		return 0, db.NotFoundOr(err, "casework: open")
	}
	return id, audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: "case.open", Entity: "case",
		EntityID: fmt.Sprint(id), Detail: map[string]any{"employer_id": employerID, "flags": len(current)}})
}

// check applies an input's validate tags, naming refused fields by their JSON names: the one
// check of an input for the page and the API alike.
func (s *Store) check(v any) error {
	if err := s.validate.Struct(v); err != nil {
		return fieldErrors(err)
	}
	return nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Assign gives a case to an inspector whose area covers the employer; the assignment is kept
// in the history.
func (s *Store) Assign(ctx context.Context, u *auth.User, id int64, assignee string, version int) (*Case, error) {
	err := s.change(ctx, u, id, version, "case.assign", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
		return assign(ctx, tx, u, c, assignee)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}

// assign is the one assignment rule, for Assign and BulkReassign: an active inspector whose
// area covers the employer, on a case not closed; the assignment is kept in the history.
func assign(ctx context.Context, tx *sqlx.Tx, u *auth.User, c *Case, assignee string) (map[string]any, error) {
	var inspector auth.User
	err := tx.GetContext(ctx, &inspector, `SELECT id, username, role, coalesce(area_kode, '') AS area, active
		FROM users WHERE username = $1`, assignee)
	if err != nil && !db.IsNoRows(err) {
		return nil, fmt.Errorf("casework: assignee: %w", err)
	}
	region := ""
	if c.KodeKelurahan != nil {
		region = *c.KodeKelurahan
	}
	if err != nil || inspector.Role != auth.Inspector || !inspector.Active || !inspector.Covers(region) {
		return nil, apperr.Fields(map[string]string{"assignee": "case.assignee_invalid"})
	}
	// An open case becomes assigned; one further on keeps its state with its new assignee.
	to := c.Status
	if c.Status == StatusOpen {
		to = StatusAssigned
	}
	from := c.Status
	if err := transition(ctx, tx, c, to, "assignee_id = $4", inspector.ID); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_assignments (case_id, assignee_id, assigned_by) VALUES ($1, $2, $3)`,
		c.ID, inspector.ID, u.ID); err != nil {
		return nil, err
	}
	detail := map[string]any{"assignee": assignee, "from": c.Assignee}
	if from != to {
		detail["status"] = to
	}
	return detail, nil
}

// SuggestAssignee names the active inspector covering the case's employer with the fewest
// cases still open, or "" when none covers it.
func (s *Store) SuggestAssignee(ctx context.Context, u *auth.User, id int64) (string, error) {
	c, err := s.get(ctx, s.db, id, u.AreaPattern(), false)
	if err != nil {
		return "", err
	}
	region := ""
	if c.KodeKelurahan != nil {
		region = *c.KodeKelurahan
	}
	var name string
	err = s.db.GetContext(ctx, &name, `SELECT u.username FROM users u
		WHERE u.role = 'inspector' AND u.active AND $1 LIKE coalesce(u.area_kode, '') || '%'
		ORDER BY (SELECT count(*) FROM cases c WHERE c.assignee_id = u.id AND c.status <> 'closed'), u.username
		LIMIT 1`, region)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return name, err
}

// ClosureRequest is an inspector's request to close a case (the page's form and POST
// …/request-closure).
type ClosureRequest struct {
	Note    string `json:"note" validate:"max=4000"`
	Version int    `json:"version" validate:"required,gt=0"`
}

// RequestClosure is an inspector's way to say the work is done; a supervisor decides.
func (s *Store) RequestClosure(ctx context.Context, u *auth.User, id int64, in ClosureRequest) (*Case, error) {
	if err := s.check(&in); err != nil {
		return nil, err
	}
	err := s.change(ctx, u, id, in.Version, "case.request_closure", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
		if err := mayAct(u, c); err != nil {
			return nil, err
		}
		if err := transition(ctx, tx, c, StatusAwaitingClosure, "closure_requested = true"); err != nil {
			return nil, err
		}
		return map[string]any{"note": in.Note}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}

// ListFilter is what GET /api/v1/cases accepts.
type ListFilter struct {
	Status   Status
	Assignee string
	Area     string
	Overdue  bool
	After    int64 // keyset: cases with a smaller id
	Limit    int
}

// CheckFilter resolves the area typed as a name or a code to its code and checks that the
// assignee names someone; a filter that names nothing is refused with the field, rather than
// listing everything (issue 16).
func (s *Store) CheckFilter(ctx context.Context, u *auth.User, f *ListFilter) error {
	fields := map[string]string{}
	if f.Area != "" {
		code, ok, err := regions.Resolve(ctx, s.db, f.Area, u.AreaPattern())
		if err != nil {
			return err
		}
		if !ok {
			fields["area"] = "filter.area_unknown"
		}
		f.Area = code
	}
	if f.Assignee != "" {
		ok, err := s.AssigneeKnown(ctx, f.Assignee)
		if err != nil {
			return err
		}
		if !ok {
			fields["assignee"] = "filter.assignee_unknown"
		}
	}
	if len(fields) > 0 {
		return apperr.Fields(fields)
	}
	return nil
}

// List returns the cases of the user's area, newest first.
func (s *Store) List(ctx context.Context, u *auth.User, f ListFilter) ([]Case, error) {
	out := []Case{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+caseColumns+caseFrom+` WHERE true AND`+inArea+`
		AND ($3 = '' OR c.status = $3) AND ($4 = '' OR u.username = $4 OR u.name ILIKE $9) AND `+auth.EmployerInArea("$5")+`
		AND (NOT $6 OR (c.status <> 'closed' AND EXISTS (
			SELECT 1 FROM follow_ups f WHERE f.case_id = c.id AND f.status = 'open' AND f.due_on < $7)))
		AND ($1 = 0 OR c.id < $1)
		ORDER BY c.id DESC LIMIT $8`, f.After, u.AreaPattern(), f.Status, f.Assignee, f.Area+"%", f.Overdue,
		wib.Date(s.Now()), f.Limit, "%"+likeEscape(f.Assignee)+"%")
	return out, db.NotFoundOr(err, "casework: list")
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// AssigneeKnown reports whether a case filter's assignee text names anyone: a username, or a
// part of a person's name ("budi" finds Budi Santoso).
func (s *Store) AssigneeKnown(ctx context.Context, text string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE username = $1 OR name ILIKE $2)`,
		text, "%"+likeEscape(text)+"%")
	return ok, db.NotFoundOr(err, "casework: assignee")
}

// Event is a line of a case's timeline, from the audit log.
type Event struct {
	At     time.Time       `db:"at"`
	Actor  string          `db:"actor"` // the person's name; the recorded actor when no user is linked
	Action string          `db:"action"`
	Detail json.RawMessage `db:"detail"`
}

// Timeline lists everything that happened to a case, oldest first.
func (s *Store) Timeline(ctx context.Context, id int64) ([]Event, error) {
	var out []Event
	err := s.db.SelectContext(ctx, &out, `SELECT a.at, coalesce(u.name, a.actor) AS actor, a.action, a.detail
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		WHERE a.entity = 'case' AND a.entity_id = $1 ORDER BY a.id`, fmt.Sprint(id))
	return out, db.NotFoundOr(err, "casework: timeline")
}

// Inspector is an assignee to choose: login, name and open cases (the workload).
type Inspector struct {
	Username string `db:"username" json:"username"`
	Name     string `db:"name" json:"name"`
	Open     int    `db:"open" json:"open"`
}

// Inspectors lists the active inspectors whose area covers a region, for the assignment form,
// the least loaded first.
func (s *Store) Inspectors(ctx context.Context, region string) ([]Inspector, error) {
	out := []Inspector{}
	err := s.db.SelectContext(ctx, &out, qCovering+` ORDER BY open, u.name, u.username`, region)
	return out, db.NotFoundOr(err, "casework: inspectors")
}

// qCovering selects the active inspectors covering the region $1 with their open cases.
const qCovering = `SELECT u.username, u.name,
	(SELECT count(*) FROM cases c WHERE c.assignee_id = u.id AND c.status <> 'closed') AS open
	FROM users u WHERE u.role = 'inspector' AND u.active AND $1 LIKE coalesce(u.area_kode, '') || '%'`

// NextFollowUp is the ladder step that comes after the highest one issued for a case ("" when
// the ladder is climbed), with every step in the ladder's order.
func (s *Store) NextFollowUp(ctx context.Context, id int64) (string, []string, error) {
	next, err := nextFollowUp(ctx, s.db, id)
	if err != nil {
		return "", nil, err
	}
	var all []string
	if err := s.db.SelectContext(ctx, &all, `SELECT kind FROM follow_up_rules ORDER BY position`); err != nil {
		return "", nil, fmt.Errorf("casework: follow-up kinds: %w", err)
	}
	return next, all, nil
}

func nextFollowUp(ctx context.Context, q sqlx.QueryerContext, id int64) (string, error) {
	var next string
	err := sqlx.GetContext(ctx, q, &next, `SELECT kind FROM follow_up_rules WHERE position > coalesce(
		(SELECT max(r.position) FROM follow_ups f JOIN follow_up_rules r USING (kind) WHERE f.case_id = $1), 0)
		ORDER BY position LIMIT 1`, id)
	if db.IsNoRows(err) {
		return "", nil // every step issued: none comes next
	}
	if err != nil {
		return "", fmt.Errorf("casework: next follow-up: %w", err)
	}
	return next, nil
}

// ReviewItem is one line of a supervisor's review queue.
type ReviewItem struct {
	CaseID       int64   `db:"case_id"`
	EmployerName string  `db:"employer_name"`
	Assignee     *string `db:"assignee"` // the assignee's name
	Since        string  `db:"since"`
	Detail       string  `db:"detail"`
	FollowUpID   *int64  `db:"follow_up_id"`
	Version      int     `db:"version"`
	// LastVisit is the visit record a supervisor reads before closing (awaiting cases).
	LastVisit *Visit `db:"-"`
	// Summary is what closing would decide on (awaiting cases).
	Summary *CloseSummary `db:"-"`
}

// Review lists, oldest first, the cases awaiting closure, the overdue follow-ups and the
// assigned cases without a visit for more than the configured number of days.
func (s *Store) Review(ctx context.Context, u *auth.User) (awaiting, overdue, unvisited []ReviewItem, err error) {
	today := wib.Date(s.Now())
	q := func(dst *[]ReviewItem, query string, args ...any) {
		if err == nil {
			*dst = []ReviewItem{}
			err = s.db.SelectContext(ctx, dst, query, args...)
		}
	}
	q(&awaiting, `SELECT c.id AS case_id, e.nama AS employer_name, u.name AS assignee, (c.opened_at AT TIME ZONE 'Asia/Jakarta')::date::text AS since,
		CASE WHEN c.closure_requested THEN 'requested' ELSE 'resolved' END AS detail, NULL AS follow_up_id, c.version
		FROM cases c JOIN employers e ON e.id = c.employer_id LEFT JOIN users u ON u.id = c.assignee_id
		WHERE c.status = 'awaiting_closure' AND `+auth.EmployerInArea("$1")+` ORDER BY c.opened_at, c.id`, u.AreaPattern())
	q(&overdue, `SELECT c.id AS case_id, e.nama AS employer_name, u.name AS assignee, f.due_on::text AS since,
		f.kind AS detail, f.id AS follow_up_id, f.version
		FROM follow_ups f JOIN cases c ON c.id = f.case_id JOIN employers e ON e.id = c.employer_id LEFT JOIN users u ON u.id = c.assignee_id
		WHERE f.status = 'open' AND f.due_on < $2 AND c.status <> 'closed' AND `+auth.EmployerInArea("$1")+`
		ORDER BY f.due_on, f.id`, u.AreaPattern(), today)
	q(&unvisited, `SELECT c.id AS case_id, e.nama AS employer_name, u.name AS assignee,
		(SELECT max(assigned_at AT TIME ZONE 'Asia/Jakarta')::date::text FROM case_assignments a WHERE a.case_id = c.id) AS since, '' AS detail,
		NULL AS follow_up_id, c.version
		FROM cases c JOIN employers e ON e.id = c.employer_id LEFT JOIN users u ON u.id = c.assignee_id
		WHERE c.status = 'assigned' AND `+auth.EmployerInArea("$1")+`
		AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.case_id = c.id)
		AND (SELECT max(assigned_at) FROM case_assignments a WHERE a.case_id = c.id)
		    < ($2::date - (SELECT coalesce(value::int, 14) FROM settings WHERE key = 'visit_overdue_days'))::timestamp AT TIME ZONE 'Asia/Jakarta'
		ORDER BY since, c.id`, u.AreaPattern(), today)
	return
}
