// Package employer serves the register of employers with their flags: the ranked, filtered
// list, the detail with its evidence, and their JSON API.
package employer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/db"
	"patuh/internal/flags"
)

// Employer is one row of the list, as api.md names its fields.
type Employer struct {
	ID                 int64          `db:"id" json:"id"`
	NIB                *string        `db:"nib" json:"nib"`
	NPWP               *string        `db:"npwp" json:"npwp"`
	NPPs               pq.StringArray `db:"npps" json:"npps"`
	Nama               string         `db:"nama" json:"nama"`
	Alamat             string         `db:"alamat" json:"-"`
	KodeKelurahan      *string        `db:"kode_kelurahan" json:"kode_kelurahan"`
	Kelurahan          string         `db:"kelurahan" json:"-"`
	Kecamatan          string         `db:"kecamatan" json:"-"`
	Kota               string         `db:"kota" json:"-"`
	KBLI               string         `db:"kbli" json:"-"`
	Skala              *string        `db:"skala" json:"skala"`
	JumlahPekerja      *int           `db:"jumlah_pekerja" json:"jumlah_pekerja"`
	ActiveParticipants int            `db:"active_participants" json:"active_participants"`
	RosterWorkers      int            `db:"roster_workers" json:"-"`
	InRegister         bool           `db:"in_register" json:"in_register"`
	FlagCodes          pq.StringArray `db:"flag_codes" json:"-"`
	Flags              []flags.Flag   `db:"-" json:"flags"`
	ShortfallRp        int64          `db:"shortfall_rp" json:"shortfall_rp"`
	OpenCaseID         *int64         `db:"open_case_id" json:"open_case_id"`
	// FlagsComputedAt is when a computation last changed the employer's flag summary (codes,
	// workers, shortfall: employer_status.computed_at, which flags.sql's summarise rewrites
	// only when it changes, to spare the lists dead rows).
	FlagsComputedAt time.Time `db:"flags_computed_at" json:"flags_computed_at"`
	Version         int       `db:"version" json:"version"`
}

// NPP is one BPJS registration of an employer.
type NPP struct {
	NPP            string `db:"npp" json:"npp"`
	Nama           string `db:"nama" json:"nama"`
	JKK            bool   `db:"jkk" json:"jkk"`
	JKM            bool   `db:"jkm" json:"jkm"`
	JHT            bool   `db:"jht" json:"jht"`
	JP             bool   `db:"jp" json:"jp"`
	JKP            bool   `db:"jkp" json:"jkp"`
	TunggakanBulan int    `db:"tunggakan_bulan" json:"tunggakan_bulan"`
	TunggakanRp    int64  `db:"tunggakan_rp" json:"tunggakan_rp"`
}

// Detail is the employer with its registrations and the evidence behind its flags.
type Detail struct {
	Employer
	NPPList       []NPP          `json:"-"`
	Programs      []string       `json:"programs"`
	ArrearsMonths int            `json:"arrears_months"`
	ArrearsRp     int64          `json:"arrears_rp"`
	Unenrolled    []flags.Worker `json:"unenrolled"`
	Underreported []flags.Worker `json:"underreported"`
}

// Filter is what the list page and GET /api/v1/employers accept.
type Filter struct {
	Flags  []string
	Area   string // kota, kecamatan or kelurahan code
	Skala  string
	Q      string
	Sort   string // -shortfall (default) or name
	Cursor string
	Limit  int
}

type Store struct{ db *sqlx.DB }

func NewStore(d *sqlx.DB) *Store { return &Store{db: d} }

const listColumns = `e.id, e.nib, e.npwp, e.nama, e.alamat, e.kode_kelurahan, e.kbli, e.skala, e.jumlah_pekerja,
	s.active_participants, s.roster_workers, e.in_register, s.flag_codes, s.shortfall_rp, s.computed_at AS flags_computed_at, e.version,
	coalesce(kel.nama, '') AS kelurahan, coalesce(kec.nama, '') AS kecamatan, coalesce(kot.nama, '') AS kota,
	ARRAY(SELECT b.npp FROM bpjs_employers b WHERE b.employer_id = e.id ORDER BY b.npp) AS npps,
	(SELECT c.id FROM cases c WHERE c.employer_id = e.id AND c.status <> 'closed') AS open_case_id`

// An employer is listed once its flags are computed (employer_status); the filters and the
// ranking use the status row's copies of region and scale, so each is one index scan.
const listFrom = ` FROM employer_status s
	JOIN employers e ON e.id = s.employer_id
	LEFT JOIN regions kel ON kel.kode = e.kode_kelurahan
	LEFT JOIN regions kec ON kec.kode = left(e.kode_kelurahan, 8)
	LEFT JOIN regions kot ON kot.kode = left(e.kode_kelurahan, 5)`

type cursor struct {
	Shortfall int64  `json:"s,omitempty"`
	Name      string `json:"n,omitempty"`
	ID        int64  `json:"i"`
}

var (
	digitsOnly = regexp.MustCompile(`^[0-9.\- ]+$`)
	nppLike    = regexp.MustCompile(`^[A-Za-z0-9]{8,10}$`)
)

// areaColumn is the employer_status column that holds codes of the same level as code.
func areaColumn(code string) string {
	switch len(code) {
	case len("31.71"):
		return "s.kode_kota"
	case len("31.71.01"):
		return "s.kode_kecamatan"
	}
	return "s.kode_kelurahan"
}

// where builds the WHERE clause shared by the list and the counts. scope is the user's area
// ("" for all of Jakarta); the filter's area narrows it further. withFlags is false for the
// per-flag counts.
func (f Filter) where(scope string, withFlags bool) (string, map[string]any) {
	conds := []string{"true"}
	args := map[string]any{}
	if scope != "" {
		conds = append(conds, areaColumn(scope)+" = :scope")
		args["scope"] = scope
	}
	if f.Area != "" {
		conds = append(conds, areaColumn(f.Area)+" = :area")
		args["area"] = f.Area
	}
	if f.Skala != "" {
		conds = append(conds, "s.skala = :skala")
		args["skala"] = f.Skala
	}
	if withFlags && len(f.Flags) > 0 {
		conds = append(conds, "s.flag_codes @> :flags")
		args["flags"] = pq.StringArray(f.Flags)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		digits := strings.NewReplacer(".", "", "-", "", " ", "").Replace(q)
		switch {
		case digitsOnly.MatchString(q) && len(digits) == 13:
			conds = append(conds, "e.nib = :q")
			args["q"] = digits
		case digitsOnly.MatchString(q) && (len(digits) == 15 || len(digits) == 16):
			if len(digits) == 15 {
				digits = "0" + digits
			}
			conds = append(conds, "e.npwp = :q")
			args["q"] = digits
		case nppLike.MatchString(q) && strings.ContainsAny(q, "0123456789"):
			conds = append(conds, "(EXISTS (SELECT 1 FROM bpjs_employers b WHERE b.employer_id = e.id AND b.npp = :q) OR e.nama ILIKE :qlike)")
			args["q"] = strings.ToUpper(q)
			args["qlike"] = "%" + likeEscape(q) + "%"
		default:
			conds = append(conds, "e.nama ILIKE :qlike")
			args["qlike"] = "%" + likeEscape(q) + "%"
		}
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// sparseMatches is the number of name matches below which a search sorts its matches rather
// than walking the ranking (which then reads about a page × 240,000 / matches rows, more where
// the matches rank low). On the Jakarta data the walk for "Sinar Karya" (2,300 matches) read
// 14,700 rows in 50 ms where sorting its matches takes 29 ms; at 5,000 matches the two meet.
const sparseMatches = 4000

// estimateMatches is the planner's estimate of the employers whose name matches like, from
// the trigram statistics: a millisecond, where counting them (even up to a limit) read the
// matches' rows and took 30 ms of a broad search's time (issue 16).
func (s *Store) estimateMatches(ctx context.Context, like any) (float64, error) {
	var plan []byte
	if err := s.db.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) SELECT 1 FROM employers WHERE nama ILIKE $1`, like).Scan(&plan); err != nil {
		return 0, fmt.Errorf("employer: search size: %w", err)
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &out); err != nil || len(out) == 0 {
		return 0, fmt.Errorf("employer: search size: %v", err)
	}
	return out[0].Plan.Rows, nil
}

// List returns one page, ranked by shortfall (or by name), and the cursor of the next page.
func (s *Store) List(ctx context.Context, f Filter, scope string) ([]Employer, string, error) {
	where, args := f.where(scope, true)
	order := " ORDER BY s.shortfall_rp DESC, s.employer_id DESC"
	if f.Sort == "name" {
		order = " ORDER BY e.nama, e.id"
	}
	if like, byName := args["qlike"]; byName {
		// The planner does not weigh a rare name against a common one when it picks the plan.
		// For a rare one it sometimes walked the whole ranking, filtering every employer by
		// name until it had a page (seconds for "Garmen 12"); for a common one that walk is the
		// fast way. So ask its estimate: with fewer than sparseMatches matches, find them all
		// in the trigram index and sort them ("+ 0" and "|| ''" keep the ranking's indexes out
		// of it).
		matches, err := s.estimateMatches(ctx, like)
		if err != nil {
			return nil, "", err
		}
		if matches < sparseMatches {
			order = " ORDER BY s.shortfall_rp + 0 DESC, s.employer_id DESC"
			if f.Sort == "name" {
				order = " ORDER BY e.nama || '', e.id"
			}
		}
	}
	if f.Cursor != "" {
		var c cursor
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || json.Unmarshal(b, &c) != nil {
			return nil, "", apperr.Fields(map[string]string{"cursor": "employer.cursor_invalid"})
		}
		if f.Sort == "name" {
			where += " AND (e.nama, e.id) > (:c_name, :c_id)"
		} else {
			where += " AND (s.shortfall_rp, s.employer_id) < (:c_shortfall, :c_id)"
		}
		args["c_name"], args["c_shortfall"], args["c_id"] = c.Name, c.Shortfall, c.ID
	}
	args["limit"] = f.Limit + 1
	query, qargs, err := sqlx.Named(`SELECT `+listColumns+listFrom+where+order+` LIMIT :limit`, args)
	if err != nil {
		return nil, "", err
	}
	var out []Employer
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(query), qargs...); err != nil {
		return nil, "", fmt.Errorf("employer: list: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		b, _ := json.Marshal(cursor{Shortfall: last.ShortfallRp, Name: last.Nama, ID: last.ID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	if err := s.attachFlags(ctx, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func (s *Store) attachFlags(ctx context.Context, list []Employer) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]int64, len(list))
	at := map[int64]int{}
	for i, e := range list {
		ids[i] = e.ID
		at[e.ID] = i
		list[i].Flags = []flags.Flag{}
	}
	var fl []flags.Flag
	err := s.db.SelectContext(ctx, &fl, `SELECT employer_id, code, workers, shortfall_rp, detail FROM employer_flags
		WHERE employer_id = ANY($1)
		ORDER BY array_position(`+flags.CodesSQL+`, code)`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("employer: flags: %w", err)
	}
	for _, f := range fl {
		list[at[f.EmployerID]].Flags = append(list[at[f.EmployerID]].Flags, f)
	}
	return nil
}

// Counts gives, under the same filters but the flag filter, how many employers carry each flag,
// and how many match in all. Without a search text it sums the precomputed employer_counts.
func (s *Store) Counts(ctx context.Context, f Filter, scope string) (map[flags.Code]int, int, error) {
	var query string
	var args map[string]any
	if strings.TrimSpace(f.Q) == "" {
		conds := []string{"true"}
		args = map[string]any{}
		for name, code := range map[string]string{"scope": scope, "area": f.Area} {
			if code != "" {
				conds = append(conds, fmt.Sprintf("left(kode_kelurahan, %d) = :%s", len(code), name))
				args[name] = code
			}
		}
		if f.Skala != "" {
			conds = append(conds, "skala = :skala")
			args["skala"] = f.Skala
		}
		query = `SELECT coalesce(sum(employers), 0) AS total, coalesce(sum(pwbd), 0) AS pwbd, coalesce(sum(pds_tk), 0) AS pds_tk,
			coalesce(sum(pds_upah), 0) AS pds_upah, coalesce(sum(pds_program), 0) AS pds_program, coalesce(sum(menunggak), 0) AS menunggak
			FROM employer_counts WHERE ` + strings.Join(conds, " AND ")
	} else {
		var where string
		where, args = f.where(scope, false)
		query = `SELECT count(*) AS total, count(*) FILTER (WHERE 'PWBD' = ANY (s.flag_codes)) AS pwbd,
			count(*) FILTER (WHERE 'PDS_TK' = ANY (s.flag_codes)) AS pds_tk, count(*) FILTER (WHERE 'PDS_UPAH' = ANY (s.flag_codes)) AS pds_upah,
			count(*) FILTER (WHERE 'PDS_PROGRAM' = ANY (s.flag_codes)) AS pds_program, count(*) FILTER (WHERE 'MENUNGGAK' = ANY (s.flag_codes)) AS menunggak
			FROM employer_status s JOIN employers e ON e.id = s.employer_id` + where
	}
	named, qargs, err := sqlx.Named(query, args)
	if err != nil {
		return nil, 0, err
	}
	var c struct {
		Total      int `db:"total"`
		PWBD       int `db:"pwbd"`
		PDSTK      int `db:"pds_tk"`
		PDSUpah    int `db:"pds_upah"`
		PDSProgram int `db:"pds_program"`
		Menunggak  int `db:"menunggak"`
	}
	if err := s.db.GetContext(ctx, &c, s.db.Rebind(named), qargs...); err != nil {
		return nil, 0, fmt.Errorf("employer: counts: %w", err)
	}
	return map[flags.Code]int{flags.PWBD: c.PWBD, flags.PDSTK: c.PDSTK, flags.PDSUpah: c.PDSUpah, flags.PDSProgram: c.PDSProgram,
		flags.Menunggak: c.Menunggak}, c.Total, nil
}

// Get returns one employer inside the user's area, with its NPPs and evidence; outside the
// area it is not found.
func (s *Store) Get(ctx context.Context, id int64, areaPattern string, today time.Time) (*Detail, error) {
	var d Detail
	err := s.db.GetContext(ctx, &d.Employer, `SELECT `+listColumns+listFrom+
		` WHERE e.id = $1 AND coalesce(s.kode_kelurahan, '') LIKE $2`, id, areaPattern)
	if err != nil {
		return nil, db.NotFoundOr(err, "employer: get")
	}
	list := []Employer{d.Employer}
	if err := s.attachFlags(ctx, list); err != nil {
		return nil, err
	}
	d.Employer = list[0]
	if err := s.db.SelectContext(ctx, &d.NPPList, `SELECT npp, nama, jkk, jkm, jht, jp, jkp, tunggakan_bulan, tunggakan_rp
		FROM bpjs_employers WHERE employer_id = $1 ORDER BY npp`, id); err != nil {
		return nil, fmt.Errorf("employer: npps: %w", err)
	}
	have := map[string]bool{}
	for _, n := range d.NPPList {
		for p, on := range map[string]bool{"JKK": n.JKK, "JKM": n.JKM, "JHT": n.JHT, "JP": n.JP, "JKP": n.JKP} {
			have[p] = have[p] || on
		}
		d.ArrearsMonths = max(d.ArrearsMonths, n.TunggakanBulan)
		d.ArrearsRp += n.TunggakanRp
	}
	d.Programs = []string{}
	for _, p := range []string{"JKK", "JKM", "JHT", "JP", "JKP"} {
		if have[p] {
			d.Programs = append(d.Programs, p)
		}
	}
	d.Unenrolled, err = flags.Unenrolled(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	d.Underreported, err = flags.Underreported(ctx, s.db, id, today)
	return &d, err
}

// Area is a kota or kecamatan offered as a filter.
type Area struct {
	Kode  string `db:"kode"`
	Nama  string `db:"nama"`
	Level string `db:"level"`
}

// Areas lists the kota and kecamatan inside the user's area, for the filter's suggestions.
func (s *Store) Areas(ctx context.Context, areaPattern string) ([]Area, error) {
	var out []Area
	err := s.db.SelectContext(ctx, &out, `SELECT kode, nama, level FROM regions
		WHERE level IN ('kota', 'kecamatan') AND kode LIKE $1 ORDER BY kode`, areaPattern)
	return out, db.NotFoundOr(err, "employer: areas")
}
