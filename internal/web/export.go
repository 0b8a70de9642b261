package web

import (
	"encoding/csv"
	"fmt"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"
	"patuh/internal/wib"
)

// DialectExcelID (?dialect=excel-id) asks for the CSV that Excel in an Indonesian locale opens
// in columns: ";" between values (its list separator, "," being the decimal one) and a UTF-8
// byte order mark (without it Excel reads the file as ANSI and garbles names). The default
// stays RFC 4180: "," and no mark, for programs.
const DialectExcelID = "excel-id"

// Export streams rows as CSV or XLSX (format "csv" or "xlsx") under a dated file name. each
// calls add once per row; text values should already have passed SafeCell. Identifiers are
// expected as strings so that Excel keeps every digit. An error is the caller's to give to
// StreamFailed: by then part of the file may have been sent.
func Export(c *gin.Context, format, name string, header []string, each func(add func([]any) error) error) error {
	excelID := format == "csv" && c.Query("dialect") == DialectExcelID
	suffix := ""
	if excelID {
		suffix = "-excel"
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+"-"+wib.Date(time.Now())+suffix+"."+format+`"`)
	if format == "csv" {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		w := csv.NewWriter(c.Writer)
		if excelID {
			if _, err := c.Writer.WriteString("\uFEFF"); err != nil {
				return err
			}
			w.Comma = ';'
		}
		if err := w.Write(header); err != nil {
			return err
		}
		err := each(func(row []any) error {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = fmt.Sprint(v)
			}
			return w.Write(rec)
		})
		if err != nil {
			return err // what is buffered is not sent: before the first flush, an error page can still be
		}
		w.Flush()
		return w.Error()
	}
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	row := 2
	err = each(func(values []any) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, values)
	})
	if err == nil {
		if err = sw.Flush(); err == nil {
			err = x.Write(c.Writer)
		}
	}
	return err
}
