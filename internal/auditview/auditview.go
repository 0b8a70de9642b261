// Package auditview is the audit log for admins in the browser (/admin/audit): filtered by
// actor, action, object and period, each record's change, the hash chain's check, and
// exports of the filtered view. NIKs never leave it unmasked.
package auditview

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/pdp"
	"patuh/internal/web"
)

type Handler struct {
	DB *sqlx.DB
	// AuditKey and Anchor check the HMAC seals as `patuh audit verify` does.
	AuditKey []byte
	Anchor   string
	// Location is the office's time zone, in which the period's days are read (WIB).
	Location *time.Location
}

func (h *Handler) Register(pages *gin.RouterGroup) {
	admin := auth.RequireRole(auth.Admin)
	pages.GET("/admin/audit", admin, h.page)
	pages.POST("/admin/audit/verify", admin, h.verify)
	pages.GET("/admin/audit/export/:format", admin, h.export)
}

// pageSize is how many records one page shows.
const pageSize = 100

// nik is a 16-digit run: a NIK (docs/domain.md) wherever it sits in a record's detail.
var nik = regexp.MustCompile(`\b\d{16}\b`)

// maskNIKs keeps NIKs out of what the viewer shows and exports.
func maskNIKs(s string) string { return nik.ReplaceAllStringFunc(s, pdp.MaskNIK) }

// Row is a record as the page shows it.
type Row struct {
	audit.Logged
	Pretty string
}

func (h *Handler) loc() *time.Location {
	if h.Location != nil {
		return h.Location
	}
	return time.Local
}

// filter reads the query; a bad date is refused with its field.
func (h *Handler) filter(c *gin.Context) (audit.Filter, map[string]string, map[string]string) {
	q := map[string]string{}
	for _, k := range []string{"actor", "action", "entity", "entity_id", "from", "to"} {
		q[k] = strings.TrimSpace(c.Query(k))
	}
	f := audit.Filter{Actor: q["actor"], Action: q["action"], Entity: q["entity"], EntityID: q["entity_id"]}
	fields := map[string]string{}
	if v := q["from"]; v != "" {
		d, err := time.ParseInLocation("2006-01-02", v, h.loc())
		if err != nil {
			fields["from"] = "auditview.date_invalid"
		}
		f.From = d
	}
	if v := q["to"]; v != "" {
		d, err := time.ParseInLocation("2006-01-02", v, h.loc())
		if err != nil {
			fields["to"] = "auditview.date_invalid"
		}
		f.To = d.AddDate(0, 0, 1) // the whole last day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		fields["to"] = "auditview.period_invalid"
	}
	if f.EntityID != "" && f.Entity == "" {
		fields["entity"] = "auditview.entity_needed"
	}
	f.BeforeID, _ = strconv.ParseInt(c.Query("before"), 10, 64)
	return f, q, fields
}

func (h *Handler) page(c *gin.Context) { h.render(c, http.StatusOK, nil) }

func (h *Handler) render(c *gin.Context, status int, extra gin.H) {
	ctx := c.Request.Context()
	f, q, fields := h.filter(c)
	data := gin.H{"Query": q, "Fields": fields, "Rows": []Row{}}
	actors, actions, entities, err := audit.Choices(ctx, h.DB)
	if err != nil {
		web.Error(c, err)
		return
	}
	data["Actors"], data["Actions"], data["Entities"] = actors, actions, entities
	if len(fields) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		f.Limit = pageSize + 1
		recs, err := audit.Query(ctx, h.DB, f)
		if err != nil {
			web.Error(c, err)
			return
		}
		if len(recs) > pageSize {
			recs = recs[:pageSize]
			next := c.Request.URL.Query()
			next.Set("before", strconv.FormatInt(recs[len(recs)-1].ID, 10))
			data["Next"] = "/admin/audit?" + next.Encode()
		}
		rows := make([]Row, len(recs))
		for i, r := range recs {
			r.Detail = maskNIKs(r.Detail)
			rows[i] = Row{Logged: r, Pretty: pretty(r.Detail)}
		}
		data["Rows"] = rows
	}
	exportQuery := c.Request.URL.Query()
	exportQuery.Del("before")
	data["ExportQuery"] = exportQuery.Encode()
	for k, v := range extra {
		data[k] = v
	}
	web.HTML(c, status, "admin/audit_index", data)
}

// pretty indents a record's detail for reading.
func pretty(detail string) string {
	var v any
	if json.Unmarshal([]byte(detail), &v) != nil {
		return detail
	}
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return detail
	}
	return string(b)
}

// Check is the result of the chain check shown on the page.
type Check struct {
	OK       bool
	Rows     int
	Seals    int // HMAC seals checked (internal/audit/seal.go)
	Unsealed int // rows after the last seal, protected by the chain only
	Broken   *audit.Logged
	BrokenID int64
	Reason   string
	Seconds  float64
}

// verify runs the hash chain check (audit.Verify, as `patuh audit verify`) from the page.
func (h *Handler) verify(c *gin.Context) {
	start := time.Now()
	rep, err := audit.Verify(c.Request.Context(), h.DB, h.AuditKey, h.Anchor)
	check := &Check{Rows: rep.Rows, Seals: rep.Seals, Unsealed: rep.Unsealed, Seconds: time.Since(start).Seconds()}
	var broken *audit.BrokenRowError
	var tampered *audit.TamperedError
	switch {
	case err == nil:
		check.OK = true
	case errors.As(err, &tampered):
		check.Reason = tampered.Reason
	case errors.As(err, &broken):
		check.BrokenID, check.Reason = broken.ID, broken.Reason
		if r, gerr := audit.Get(c.Request.Context(), h.DB, broken.ID); gerr == nil {
			r.Detail = maskNIKs(r.Detail)
			check.Broken = r
		}
	default:
		web.Error(c, err)
		return
	}
	h.render(c, http.StatusOK, gin.H{"Check": check})
}

func (h *Handler) export(c *gin.Context) {
	format := c.Param("format")
	if format != "csv" && format != "xlsx" {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	f, _, fields := h.filter(c)
	if len(fields) > 0 {
		web.Error(c, apperr.Fields(fields))
		return
	}
	f.BeforeID = 0
	header := []string{"id", "at", "actor", "action", "entity", "entity_id", "detail"}
	err := web.Export(c, format, "audit", header, func(add func([]any) error) error {
		return audit.Each(c.Request.Context(), h.DB, f, func(r audit.Logged) error {
			return add([]any{strconv.FormatInt(r.ID, 10), r.At.In(h.loc()).Format(time.RFC3339), web.SafeCell(r.Actor), web.SafeCell(r.Action),
				web.SafeCell(r.Entity), web.SafeCell(r.EntityID), web.SafeCell(maskNIKs(r.Detail))})
		})
	})
	if err != nil {
		web.StreamFailed(c, fmt.Errorf("auditview: export: %w", err))
	}
}
