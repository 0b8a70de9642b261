package employer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/db"
	"patuh/internal/i18n"
	"patuh/internal/web"
)

// The flag codes are for programs; flags_teks names them in the reader's language.
var exportHeader = []string{"id", "nib", "npwp", "nama", "kode_kelurahan", "kelurahan", "kecamatan", "skala",
	"jumlah_pekerja", "peserta_aktif", "flags", "flags_teks", "kekurangan_iuran_rp", "npp"}

func exportRow(e Employer, loc *i18n.Localizer) []any {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	workers := ""
	if e.JumlahPekerja != nil {
		workers = strconv.Itoa(*e.JumlahPekerja)
	}
	return []any{e.ID, str(e.NIB), str(e.NPWP), web.SafeCell(e.Nama), str(e.KodeKelurahan), web.SafeCell(e.Kelurahan),
		web.SafeCell(e.Kecamatan), str(e.Skala), workers, e.ActiveParticipants, strings.Join(e.FlagCodes, " "), flagNames(e.FlagCodes, loc),
		e.ShortfallRp, strings.Join(e.NPPs, " ")}
}

func flagNames(codes []string, loc *i18n.Localizer) string {
	names := make([]string, len(codes))
	for i, code := range codes {
		names[i] = loc.T("flag." + strings.ToLower(code) + ".name")
	}
	return strings.Join(names, "; ")
}

// export streams the whole filtered list, page by page, as CSV or XLSX. Identifiers are
// written as text (an NPWP must not become a number in Excel) and every text cell is
// neutralised against formula injection. The export is audited.
func (h *Handler) export(c *gin.Context) {
	format := strings.TrimPrefix(c.Param("format"), ".")
	if format != "csv" && format != "xlsx" {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	u := auth.Current(c)
	f, err := h.filterFrom(c, 500)
	if err != nil {
		web.Error(c, err)
		return
	}
	f.Limit = 1000
	ctx := c.Request.Context()
	loc := web.Localizer(c)
	if err := db.WithTx(ctx, h.DB, func(tx *sqlx.Tx) error {
		return audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: "employer.exported", Entity: "employer",
			Detail: map[string]any{"format": format, "query": c.Request.URL.RawQuery}})
	}); err != nil {
		web.Error(c, err)
		return
	}
	err = web.Export(c, format, "pemberi-kerja", exportHeader, func(add func([]any) error) error {
		for {
			list, next, err := h.Store.List(ctx, f, u.Area)
			if err != nil {
				return err
			}
			for _, e := range list {
				if err := add(exportRow(e, loc)); err != nil {
					return err
				}
			}
			if next == "" {
				return nil
			}
			f.Cursor = next
		}
	})
	if err != nil {
		web.StreamFailed(c, fmt.Errorf("employer: export: %w", err))
	}
}
