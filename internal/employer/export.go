package employer

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/db"
	"patuh/internal/web"
)

var exportHeader = []string{"id", "nib", "npwp", "nama", "kode_kelurahan", "kelurahan", "kecamatan", "skala",
	"jumlah_pekerja", "peserta_aktif", "flags", "kekurangan_iuran_rp", "npp"}

func exportRow(e Employer) []any {
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
		web.SafeCell(e.Kecamatan), str(e.Skala), workers, e.ActiveParticipants, strings.Join(e.FlagCodes, " "), e.ShortfallRp,
		strings.Join(e.NPPs, " ")}
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
	f, err := filterFrom(c, 500)
	if err != nil {
		web.Error(c, err)
		return
	}
	f.Limit = 1000
	ctx := c.Request.Context()
	if err := db.WithTx(ctx, h.DB, func(tx *sqlx.Tx) error {
		return audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: "employer.exported", Entity: "employer",
			Detail: map[string]any{"format": format, "query": c.Request.URL.RawQuery}})
	}); err != nil {
		web.Error(c, err)
		return
	}
	name := "pemberi-kerja-" + time.Now().Format("2006-01-02") + "." + format
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	each := func(fn func([]any) error) error {
		for {
			list, next, err := h.Store.List(ctx, f, u.Area)
			if err != nil {
				return err
			}
			for _, e := range list {
				if err := fn(exportRow(e)); err != nil {
					return err
				}
			}
			if next == "" {
				return nil
			}
			f.Cursor = next
		}
	}
	if format == "csv" {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		w := csv.NewWriter(c.Writer)
		w.Write(exportHeader)
		err = each(func(row []any) error {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = fmt.Sprint(v)
			}
			return w.Write(rec)
		})
		w.Flush()
	} else {
		c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		x := excelize.NewFile()
		defer x.Close()
		sw, serr := x.NewStreamWriter("Sheet1")
		if serr != nil {
			web.Error(c, serr)
			return
		}
		header := make([]any, len(exportHeader))
		for i, h := range exportHeader {
			header[i] = h
		}
		sw.SetRow("A1", header)
		rowNum := 2
		err = each(func(row []any) error {
			cell, _ := excelize.CoordinatesToCellName(1, rowNum)
			rowNum++
			return sw.SetRow(cell, row)
		})
		if err == nil {
			if err = sw.Flush(); err == nil {
				err = x.Write(c.Writer)
			}
		}
	}
	if err != nil {
		// Headers are gone; the truncated file is all the client gets. Log it.
		c.Error(err)
	}
}
