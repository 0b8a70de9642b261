package casework

import (
	"encoding/json"
	"time"

	"patuh/internal/flags"
)

// The states of a case, in the order of api.md.
const (
	StatusOpen            = "open"
	StatusAssigned        = "assigned"
	StatusInspected       = "inspected"
	StatusFollowUp        = "follow_up"
	StatusAwaitingClosure = "awaiting_closure"
	StatusClosed          = "closed"
)

// transitions lists, for each state, the states a case may move to. Closing from any open state
// is a supervisor's decision (a duplicate, a closed business); the others follow the work.
var transitions = map[string][]string{
	StatusOpen:            {StatusAssigned, StatusClosed},
	StatusAssigned:        {StatusAssigned, StatusInspected, StatusFollowUp, StatusAwaitingClosure, StatusClosed},
	StatusInspected:       {StatusInspected, StatusFollowUp, StatusAwaitingClosure, StatusClosed},
	StatusFollowUp:        {StatusFollowUp, StatusAwaitingClosure, StatusClosed},
	StatusAwaitingClosure: {StatusFollowUp, StatusClosed},
	StatusClosed:          {},
}

// Allowed reports whether a case may move from one state to another.
func Allowed(from, to string) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Outcomes a supervisor may close a case with.
var Outcomes = []string{"compliant", "partially_compliant", "business_closed", "not_found", "referred", "duplicate"}

// Case is one case as api.md shows it.
type Case struct {
	ID               int64           `db:"id" json:"id"`
	EmployerID       int64           `db:"employer_id" json:"employer_id"`
	EmployerName     string          `db:"employer_name" json:"employer_name"`
	KodeKelurahan    *string         `db:"kode_kelurahan" json:"kode_kelurahan"`
	Status           string          `db:"status" json:"status"`
	AssigneeID       *int64          `db:"assignee_id" json:"-"`
	Assignee         *string         `db:"assignee" json:"assignee"`
	FlagsAtOpen      json.RawMessage `db:"flags_at_open" json:"flags_at_open"`
	RecoveredWorkers int             `db:"recovered_workers" json:"recovered_workers"`
	Source           string          `db:"source" json:"source"`
	Complaint        *Complaint      `db:"-" json:"complaint,omitempty"`
	complaintRow     `json:"-"`
	Note             string     `db:"note" json:"note"`
	Outcome          *string    `db:"outcome" json:"outcome"`
	ClosureRequested bool       `db:"closure_requested" json:"closure_requested"`
	OpenedAt         time.Time  `db:"opened_at" json:"opened_at"`
	ClosedAt         *time.Time `db:"closed_at" json:"closed_at"`
	Version          int        `db:"version" json:"version"`
	Visits           []Visit    `db:"-" json:"visits"`
	FollowUps        []FollowUp `db:"-" json:"follow_ups"`
}

// OpenFlags are the flags frozen when the case opened.
func (c *Case) OpenFlags() []flags.Flag {
	var out []flags.Flag
	json.Unmarshal(c.FlagsAtOpen, &out)
	return out
}

// Finding is what a visit found for one flag code.
type Finding struct {
	Code    string   `json:"code" validate:"required,oneof=PWBD PDS_TK PDS_UPAH PDS_PROGRAM MENUNGGAK"`
	Workers int      `json:"workers" validate:"gte=0"`
	NIKs    []string `json:"niks"`
	Note    string   `json:"note"`
}

// Visit is a Berita Acara Pemeriksaan.
type Visit struct {
	ID               int64           `db:"id" json:"id"`
	VisitedOn        string          `db:"visited_on" json:"visited_on" validate:"required,datetime=2006-01-02"`
	Kind             string          `db:"kind" json:"kind" validate:"required,oneof=lapangan kantor dokumen"`
	MetName          string          `db:"met_name" json:"met_name" validate:"max=200"`
	MetPosition      string          `db:"met_position" json:"met_position" validate:"max=200"`
	WorkersFound     *int            `db:"workers_found" json:"workers_found" validate:"omitempty,gte=0"`
	Findings         []Finding       `db:"-" json:"findings" validate:"dive"`
	FindingsJSON     json.RawMessage `db:"findings" json:"-"`
	Commitment       string          `db:"commitment" json:"commitment" validate:"max=2000"`
	CommitmentDue    *string         `db:"commitment_due" json:"commitment_due" validate:"omitempty,datetime=2006-01-02"`
	Lat              *float64        `db:"lat" json:"lat" validate:"omitempty,latitude"`
	Lon              *float64        `db:"lon" json:"lon" validate:"omitempty,longitude"`
	SignedByEmployer bool            `db:"signed_by_employer" json:"signed_by_employer"`
	Note             string          `db:"note" json:"note" validate:"max=4000"`
	CreatedAt        time.Time       `db:"created_at" json:"created_at"`
}

// FollowUp is one step of the enforcement ladder.
type FollowUp struct {
	ID               int64     `db:"id" json:"id"`
	Kind             string    `db:"kind" json:"kind"`
	IssuedOn         string    `db:"issued_on" json:"issued_on"`
	DueOn            string    `db:"due_on" json:"due_on"`
	Status           string    `db:"status" json:"status"`
	Note             string    `db:"note" json:"note"`
	OutOfOrderReason string    `db:"out_of_order_reason" json:"out_of_order_reason,omitempty"`
	HasLetter        bool      `db:"has_letter" json:"has_letter"`
	Overdue          bool      `db:"overdue" json:"overdue"`
	CreatedAt        time.Time `db:"created_at" json:"created_at"`
	Version          int       `db:"version" json:"version"`
}

// Complaint is a worker's report that opened a case (PP 86/2013 art. 13(4)). The
// complainant's identity is shown to supervisors and admins only.
type Complaint struct {
	Channel            string `json:"channel" validate:"required,oneof=jmo surat datang_langsung telepon lainnya"`
	Received           string `json:"received" validate:"required,datetime=2006-01-02"`
	Allegation         string `json:"allegation" validate:"required,max=4000"`
	ComplainantName    string `json:"complainant_name,omitempty" validate:"max=200"`
	ComplainantContact string `json:"complainant_contact,omitempty" validate:"max=200"`
}

type complaintRow struct {
	Channel            *string `db:"complaint_channel"`
	Received           *string `db:"complaint_received"`
	Allegation         *string `db:"complaint_text"`
	ComplainantName    *string `db:"complainant_name"`
	ComplainantContact *string `db:"complainant_contact"`
}

// complaint turns the row into what the user may see of it.
func (r complaintRow) complaint(maySeeComplainant bool) *Complaint {
	if r.Channel == nil {
		return nil
	}
	c := &Complaint{Channel: *r.Channel, Received: deref(r.Received), Allegation: deref(r.Allegation)}
	if maySeeComplainant {
		c.ComplainantName, c.ComplainantContact = deref(r.ComplainantName), deref(r.ComplainantContact)
	}
	return c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// NewEmployer names an employer a complaint is about that the register does not hold.
type NewEmployer struct {
	Nama          string `json:"nama" validate:"required,max=300"`
	Alamat        string `json:"alamat" validate:"max=500"`
	KodeKelurahan string `json:"kode_kelurahan" validate:"required"`
}
