package casework

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lib/pq"

	"patuh/internal/flags"
	"patuh/internal/i18n"
)

// Status is the state of a case (docs/api.md). The SQL spells the same values as literals; the
// cases table's CHECK constraint lists them, and a test holds the two equal.
type Status string

// The states of a case, in the order of api.md.
const (
	StatusOpen            Status = "open"
	StatusAssigned        Status = "assigned"
	StatusInspected       Status = "inspected"
	StatusFollowUp        Status = "follow_up"
	StatusAwaitingClosure Status = "awaiting_closure"
	StatusClosed          Status = "closed"
)

// Statuses lists the states in api.md's order (a new slice each time: nobody can change the list).
func Statuses() []Status {
	return []Status{StatusOpen, StatusAssigned, StatusInspected, StatusFollowUp, StatusAwaitingClosure, StatusClosed}
}

// transitions lists, for each state, the states a case may move to; transition (store.go) is
// the one place that applies it. Closing from any open state is a supervisor's decision (a
// duplicate, a closed business); the others follow the work. A state listed as its own
// successor may be kept by an action (a reassignment, a further visit or follow-up, a closure
// asked for again); a state with no successor is final.
var transitions = map[Status][]Status{
	StatusOpen:            {StatusAssigned, StatusClosed},
	StatusAssigned:        {StatusAssigned, StatusInspected, StatusFollowUp, StatusAwaitingClosure, StatusClosed},
	StatusInspected:       {StatusInspected, StatusFollowUp, StatusAwaitingClosure, StatusClosed},
	StatusFollowUp:        {StatusFollowUp, StatusAwaitingClosure, StatusClosed},
	StatusAwaitingClosure: {StatusAwaitingClosure, StatusFollowUp, StatusClosed},
	StatusClosed:          {},
}

// Final reports whether nothing more may happen to a case in this state.
func (st Status) Final() bool { return len(transitions[st]) == 0 }

// Allowed reports whether a case may move from one state to another.
func Allowed(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Outcomes lists what a supervisor may close a case with (a new slice each time).
func Outcomes() []string {
	return []string{"compliant", "partially_compliant", "business_closed", "not_found", "referred", "duplicate"}
}

// Case is one case as api.md shows it.
type Case struct {
	ID              int64   `db:"id" json:"id"`
	EmployerID      int64   `db:"employer_id" json:"employer_id"`
	EmployerName    string  `db:"employer_name" json:"employer_name"`
	KodeKelurahan   *string `db:"kode_kelurahan" json:"kode_kelurahan"`
	EmployerAddress string  `db:"employer_address" json:"employer_address"`
	KelurahanName   string  `db:"kelurahan_name" json:"kelurahan_name"`
	// NextKind and NextDue are the open follow-up due first, if any.
	NextKind   *string `db:"next_kind" json:"next_kind"`
	NextDue    *string `db:"next_due" json:"next_due"`
	Status     Status  `db:"status" json:"status"`
	AssigneeID *int64  `db:"assignee_id" json:"-"`
	Assignee   *string `db:"assignee" json:"assignee"`
	// AssigneeName is the person's name, what the pages show (issue 12); Assignee is the login.
	AssigneeName     *string         `db:"assignee_name" json:"assignee_name"`
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
func (c *Case) OpenFlags() ([]flags.Flag, error) {
	var out []flags.Flag
	if err := json.Unmarshal(c.FlagsAtOpen, &out); err != nil {
		return nil, fmt.Errorf("casework: case %d flags at open: %w", c.ID, err)
	}
	return out, nil
}

// localizeFlags renders the frozen flags' details in the reader's language, for the API.
func (c *Case) localizeFlags(loc *i18n.Localizer) {
	c.FlagsAtOpen = flags.LocalizeJSON(c.FlagsAtOpen, loc)
}

// MapURL opens the employer's address in the phone's map app (RFC 5870 geo: URI with a query).
func (c *Case) MapURL() string {
	q := strings.TrimSpace(strings.Join([]string{c.EmployerAddress, c.KelurahanName, "Jakarta"}, ", "))
	return "geo:0,0?q=" + url.QueryEscape(q)
}

// Overdue reports whether the next step's due date has passed on day today (YYYY-MM-DD).
func (c *Case) Overdue(today string) bool {
	return c.NextDue != nil && *c.NextDue < today && c.Status != StatusClosed
}

// Finding is what a visit found for one flag code. Its NIKs are checked like roster NIKs and
// shown masked (niks keeps them as stored, for the audited unmasked read).
type Finding struct {
	Code     string   `json:"code" validate:"required,oneof=PWBD PDS_TK PDS_UPAH PDS_PROGRAM MENUNGGAK"`
	Workers  int      `json:"workers" validate:"gte=0,lte=1000000"`
	NIKs     []string `json:"niks" validate:"max=5000"`
	NIKCount int      `json:"nik_count"`
	Note     string   `json:"note" validate:"max=2000"`
	niks     []string
}

// Visit is a Berita Acara Pemeriksaan.
type Visit struct {
	ID               int64           `db:"id" json:"id"`
	CaseID           int64           `db:"case_id" json:"case_id"`
	ClientID         *string         `db:"client_id" json:"client_id" validate:"omitempty,uuid"`
	VisitedOn        string          `db:"visited_on" json:"visited_on" validate:"required,date"`
	Kind             string          `db:"kind" json:"kind" validate:"required,oneof=lapangan kantor dokumen"`
	Officer          string          `db:"officer" json:"officer"`
	MetName          string          `db:"met_name" json:"met_name" validate:"max=200"`
	MetPosition      string          `db:"met_position" json:"met_position" validate:"max=200"`
	WorkersFound     *int            `db:"workers_found" json:"workers_found" validate:"omitempty,gte=0,lte=1000000"`
	Findings         []Finding       `db:"-" json:"findings" validate:"max=5,dive"`
	FindingsJSON     json.RawMessage `db:"findings" json:"-"`
	Commitment       string          `db:"commitment" json:"commitment" validate:"max=2000"`
	CommitmentDue    *string         `db:"commitment_due" json:"commitment_due" validate:"omitempty,date"`
	Lat              *float64        `db:"lat" json:"lat" validate:"required_with=Lon,omitempty,latitude"`
	Lon              *float64        `db:"lon" json:"lon" validate:"required_with=Lat,omitempty,longitude"`
	GPSAccuracy      *float64        `db:"gps_accuracy_m" json:"gps_accuracy_m" validate:"omitempty,gte=0,lte=100000"`
	SignedByEmployer bool            `db:"signed_by_employer" json:"signed_by_employer"`
	SignatureState   string          `db:"signature_state" json:"signature_state" validate:"omitempty,oneof=signed refused"`
	Note             string          `db:"note" json:"note" validate:"max=4000"`
	// The signatures drawn on the phone, as data:image/png;base64 URLs (in) and whether the
	// Berita Acara PDF was written with them (out, with its checksum).
	SignatureEmployer string  `db:"-" json:"signature_employer,omitempty" validate:"max=409600"`
	SignatureOfficer  string  `db:"-" json:"signature_officer,omitempty" validate:"max=409600"`
	BAPSHA256         *string `db:"bap_sha256" json:"bap_sha256"`
	// FileManifest names the SHA-256 of every file the visit brings; it is incomplete until
	// all have arrived (FilesReceived).
	FileManifest  pq.StringArray `db:"file_manifest" json:"file_manifest" validate:"max=20,dive,len=64,hexadecimal"`
	FilesReceived int            `db:"files_received" json:"files_received"`
	Incomplete    bool           `db:"-" json:"incomplete"`
	Files         []Evidence     `db:"-" json:"files"`
	CreatedAt     time.Time      `db:"created_at" json:"created_at"`
}

// MapURL opens the visit's position in the phone's map app (a geo: URI, RFC 5870).
func (v Visit) MapURL() string {
	if v.Lat == nil || v.Lon == nil {
		return ""
	}
	return fmt.Sprintf("geo:%.6f,%.6f", *v.Lat, *v.Lon)
}

// WebMapURL is the same position for a desktop browser.
func (v Visit) WebMapURL() string {
	if v.Lat == nil || v.Lon == nil {
		return ""
	}
	return fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f#map=18/%.6f/%.6f", *v.Lat, *v.Lon, *v.Lat, *v.Lon)
}

// FollowUp is one step of the enforcement ladder.
type FollowUp struct {
	ID               int64  `db:"id" json:"id"`
	Kind             string `db:"kind" json:"kind"`
	IssuedOn         string `db:"issued_on" json:"issued_on"`
	DueOn            string `db:"due_on" json:"due_on"`
	Status           string `db:"status" json:"status"`
	Note             string `db:"note" json:"note"`
	OutOfOrderReason string `db:"out_of_order_reason" json:"out_of_order_reason,omitempty"`
	HasLetter        bool   `db:"has_letter" json:"has_letter"`
	Overdue          bool   `db:"overdue" json:"overdue"`
	// CalendarUnconfirmed: a working-day deadline falling in a year whose holiday calendar no
	// admin has confirmed yet; the date may still move (issue 12).
	CalendarUnconfirmed bool      `db:"calendar_unconfirmed" json:"calendar_unconfirmed"`
	CreatedAt           time.Time `db:"created_at" json:"created_at"`
	Version             int       `db:"version" json:"version"`
}

// Complaint is a worker's report that opened a case (PP 86/2013 art. 13(4)). The
// complainant's identity is shown to supervisors and admins only.
type Complaint struct {
	Channel            string `json:"channel" validate:"required,oneof=jmo surat datang_langsung telepon lainnya"`
	Received           string `json:"received" validate:"required,date"`
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
