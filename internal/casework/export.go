package casework

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/db"
	"patuh/internal/web"
	"patuh/internal/wib"
)

// FollowUpRow is a follow-up with its case, for the follow-ups export.
type FollowUpRow struct {
	CaseID       int64   `db:"case_id"`
	EmployerName string  `db:"employer_name"`
	Assignee     *string `db:"assignee"`
	Kind         string  `db:"kind"`
	IssuedOn     string  `db:"issued_on"`
	DueOn        string  `db:"due_on"`
	Status       string  `db:"status"`
	Overdue      bool    `db:"overdue"`
}

// FollowUps lists the follow-ups of the user's area, optionally only the overdue ones.
func (s *Store) FollowUps(ctx context.Context, u *auth.User, overdueOnly bool) ([]FollowUpRow, error) {
	var out []FollowUpRow
	err := s.db.SelectContext(ctx, &out, `SELECT c.id AS case_id, e.nama AS employer_name, us.username AS assignee, f.kind,
		f.issued_on::text, f.due_on::text, f.status, f.status = 'open' AND f.due_on < $2 AND c.status <> 'closed' AS overdue
		FROM follow_ups f JOIN cases c ON c.id = f.case_id JOIN employers e ON e.id = c.employer_id
		LEFT JOIN users us ON us.id = c.assignee_id
		WHERE `+auth.EmployerInArea("$1")+`
		  AND (NOT $3 OR (f.status = 'open' AND f.due_on < $2 AND c.status <> 'closed'))
		ORDER BY f.due_on, f.id`, u.AreaPattern(), wib.Date(s.Now()), overdueOnly)
	return out, db.NotFoundOr(err, "casework: follow-ups")
}

// excelDialect is the query q asking for the Indonesian Excel CSV (web.DialectExcelID).
func excelDialect(q url.Values) string {
	q.Set("dialect", web.DialectExcelID)
	return q.Encode()
}

// export serves /cases/export/{csv,xlsx} and /follow-ups/export/{csv,xlsx} with the list's filters.
func (p *Pages) export(c *gin.Context) {
	format := c.Param("format")
	if format != "csv" && format != "xlsx" {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	u := auth.Current(c)
	ctx := c.Request.Context()
	what := "cases"
	if strings.HasPrefix(c.FullPath(), "/follow-ups") {
		what = "follow-ups"
	}
	if err := db.WithTx(ctx, p.Store.db, func(tx *sqlx.Tx) error {
		return audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: "case.exported", Entity: "case",
			Detail: map[string]any{"list": what, "format": format, "query": c.Request.URL.RawQuery}})
	}); err != nil {
		web.Error(c, err)
		return
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	// Codes stay in their columns for programs; each *_teks column says it in the reader's language.
	loc := web.Localizer(c)
	// label names a code of one of the case's lists: case.<list>.<code>.
	label := func(list string, code *string) string {
		if code == nil || *code == "" {
			return ""
		}
		return loc.T("case." + list + "." + *code)
	}
	yesNo := func(b bool) string {
		if b {
			return loc.T("export.yes")
		}
		return loc.T("export.no")
	}
	var err error
	if what == "follow-ups" {
		rows, ferr := p.Store.FollowUps(ctx, u, c.Query("overdue") == "true")
		if ferr != nil {
			web.Error(c, ferr)
			return
		}
		err = web.Export(c, format, "tindak-lanjut", []string{"kasus", "pemberi_kerja", "pemeriksa", "langkah", "langkah_teks", "terbit", "tenggat", "status", "status_teks", "lewat_tenggat", "lewat_tenggat_teks"},
			func(add func([]any) error) error {
				for _, r := range rows {
					if err := add([]any{r.CaseID, web.SafeCell(r.EmployerName), str(r.Assignee), r.Kind, label("kind", &r.Kind),
						r.IssuedOn, r.DueOn, r.Status, label("fu_status", &r.Status), r.Overdue, yesNo(r.Overdue)}); err != nil {
						return err
					}
				}
				return nil
			})
	} else {
		f := ListFilter{Status: Status(c.Query("status")), Assignee: c.Query("assignee"), Area: c.Query("area"), Overdue: c.Query("overdue") == "true", Limit: 1000}
		if err := p.Store.CheckFilter(c.Request.Context(), auth.Current(c), &f); err != nil {
			web.Error(c, err)
			return
		}
		err = web.Export(c, format, "kasus", []string{"kasus", "pemberi_kerja", "kode_kelurahan", "status", "status_teks", "pemeriksa", "dibuka", "hasil", "hasil_teks", "pekerja_terdaftar_kembali"},
			func(add func([]any) error) error {
				for {
					list, err := p.Store.List(ctx, u, f)
					if err != nil {
						return err
					}
					for _, cs := range list {
						if err := add([]any{cs.ID, web.SafeCell(cs.EmployerName), str(cs.KodeKelurahan), cs.Status, label("status", (*string)(&cs.Status)),
							str(cs.Assignee), wib.Date(cs.OpenedAt), str(cs.Outcome), label("outcome", cs.Outcome), cs.RecoveredWorkers}); err != nil {
							return err
						}
					}
					if len(list) < f.Limit {
						return nil
					}
					f.After = list[len(list)-1].ID
				}
			})
	}
	if err != nil {
		web.StreamFailed(c, fmt.Errorf("casework: export %s: %w", what, err))
	}
}
