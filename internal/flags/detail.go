package flags

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"patuh/internal/i18n"
	"patuh/internal/web"
)

// Detail is what a flag says about why it is raised, as data (employer_flags.detail, jsonb,
// written by flags.sql): each rule sets the fields it knows. It is rendered in the reader's
// language by Text; the API carries it as detail_data beside the rendered detail.
type Detail struct {
	Reported      *int     `json:"reported,omitempty"`      // the reported workforce (PWBD, PDS_TK without roster)
	Roster        *int     `json:"roster,omitempty"`        // roster workers (PWBD, PDS_TK)
	Unenrolled    *int     `json:"unenrolled,omitempty"`    // roster workers not active participants (PDS_TK)
	Active        *int     `json:"active,omitempty"`        // active participants
	Underreported *int     `json:"underreported,omitempty"` // participants reported below the wage paid (PDS_UPAH)
	Missing       []string `json:"missing,omitempty"`       // mandatory programs no NPP has (PDS_PROGRAM)
	Months        *int     `json:"months,omitempty"`        // months in arrears (MENUNGGAK)
	ArrearsRp     *int64   `json:"arrears_rp,omitempty"`    // the arrears (MENUNGGAK)
	// EstimatedSkala is set when the employer's scale is unknown (BPJS only) and the rules used
	// the scale estimated from its active participants (README "Unknown scale").
	EstimatedSkala string `json:"estimated_skala,omitempty"`
}

// Scan reads the jsonb column.
func (d *Detail) Scan(src any) error {
	*d = Detail{}
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		return json.Unmarshal(v, d)
	case string:
		return json.Unmarshal([]byte(v), d)
	}
	return fmt.Errorf("flags: detail from %T", src)
}

func (d Detail) empty() bool {
	return d.Reported == nil && d.Roster == nil && d.Unenrolled == nil && d.Active == nil && d.Underreported == nil &&
		d.Missing == nil && d.Months == nil && d.ArrearsRp == nil && d.EstimatedSkala == ""
}

func num(p *int) string {
	if p == nil {
		return "0"
	}
	return web.FormatNumber(*p)
}

// Text renders the flag's detail in loc's language with Indonesian number formats.
func (f Flag) Text(loc *i18n.Localizer) string {
	d := f.Data
	if d.empty() {
		if f.Detail != "" {
			// A case opened before the details were data keeps its frozen sentence: read it back.
			if parsed, ok := parseLegacy(f.Detail); ok {
				d = parsed
			} else {
				return f.Detail
			}
		} else {
			return ""
		}
	}
	var s string
	switch f.Code {
	case PWBD:
		s = loc.T("flag.detail.pwbd", "Reported", num(d.Reported), "Roster", num(d.Roster))
	case PDSTK:
		if d.Unenrolled != nil {
			s = loc.T("flag.detail.pds_tk_roster", "Unenrolled", num(d.Unenrolled), "Roster", num(d.Roster))
		} else {
			s = loc.T("flag.detail.pds_tk_reported", "Reported", num(d.Reported), "Active", num(d.Active))
		}
	case PDSUpah:
		s = loc.T("flag.detail.pds_upah", "Count", num(d.Underreported))
	case PDSProgram:
		s = loc.T("flag.detail.pds_program", "Programs", strings.Join(d.Missing, ", "))
	case Menunggak:
		var rp int64
		if d.ArrearsRp != nil {
			rp = *d.ArrearsRp
		}
		s = loc.T("flag.detail.menunggak", "Months", num(d.Months), "Amount", web.FormatRupiah(rp))
	}
	if d.EstimatedSkala != "" {
		s += loc.T("flag.detail.estimated_skala", "Skala", d.EstimatedSkala, "Active", num(d.Active))
	}
	return s
}

// Localize renders the details of flags in loc's language (Detail), for the API and pages.
func Localize(list []Flag, loc *i18n.Localizer) {
	for i := range list {
		list[i].Detail = list[i].Text(loc)
	}
}

// LocalizeJSON renders the details of a frozen list of flags (a case's flags_at_open), keeping
// its order; what it cannot read is returned as it is.
func LocalizeJSON(raw json.RawMessage, loc *i18n.Localizer) json.RawMessage {
	var list []Flag
	if len(raw) == 0 || json.Unmarshal(raw, &list) != nil {
		return raw
	}
	Localize(list, loc)
	out, err := json.Marshal(list)
	if err != nil {
		return raw
	}
	return out
}

// The English sentences flags.sql wrote before migration 00019, frozen in older cases.
var (
	legacyPWBD       = regexp.MustCompile(`^reported workforce (\d+), roster (\d+), no NPP$`)
	legacyTKRoster   = regexp.MustCompile(`^(\d+) of (\d+) roster workers not active participants$`)
	legacyTKReported = regexp.MustCompile(`^reported workforce (\d+), active participants (\d+), no roster$`)
	legacyUpah       = regexp.MustCompile(`^(\d+) participants reported below the wage paid$`)
	legacyProgram    = regexp.MustCompile(`^missing programs: ([A-Z, ]+)$`)
	legacyArrears    = regexp.MustCompile(`^(\d+) months in arrears, Rp (\d+)$`)
)

func parseLegacy(s string) (Detail, bool) {
	n := func(v string) *int { i, _ := strconv.Atoi(v); return &i }
	var d Detail
	if m := legacyPWBD.FindStringSubmatch(s); m != nil {
		d.Reported, d.Roster = n(m[1]), n(m[2])
	} else if m := legacyTKRoster.FindStringSubmatch(s); m != nil {
		d.Unenrolled, d.Roster = n(m[1]), n(m[2])
	} else if m := legacyTKReported.FindStringSubmatch(s); m != nil {
		d.Reported, d.Active = n(m[1]), n(m[2])
	} else if m := legacyUpah.FindStringSubmatch(s); m != nil {
		d.Underreported = n(m[1])
	} else if m := legacyProgram.FindStringSubmatch(s); m != nil {
		d.Missing = strings.Split(m[1], ", ")
	} else if m := legacyArrears.FindStringSubmatch(s); m != nil {
		rp, _ := strconv.ParseInt(m[2], 10, 64)
		d.Months, d.ArrearsRp = n(m[1]), &rp
	} else {
		return d, false
	}
	return d, true
}
