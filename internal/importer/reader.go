package importer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Cell is one value of a row. Number marks an XLSX numeric cell: an identifier stored that way
// has already lost digits (Excel keeps 15 significant digits).
type Cell struct {
	Text   string
	Number bool
}

// rowReader yields the header, then the rows with their line (CSV) or row (XLSX) number.
type rowReader interface {
	Header() []string
	Next() (line int, cells []Cell, err error) // io.EOF at the end
}

// fileError is a problem with the whole file, shown to the user by message id.
type fileError struct {
	Message string // i18n id
	Line    int
}

func (e *fileError) Error() string { return fmt.Sprintf("%s (line %d)", e.Message, e.Line) }

// Limits that keep memory bounded whatever the file claims.
const (
	maxLineBytes         = 1 << 20   // one CSV line
	maxSharedStringBytes = 256 << 20 // XLSX shared strings, decompressed
	maxSheetBytes        = 4 << 30   // XLSX sheet XML, decompressed (streamed)
	maxColumns           = 200
)

// --- CSV ---

// lineReader hands csv.Reader the file one line at a time, checking that each line is UTF-8
// so the error can name the first line that is not.
type lineReader struct {
	r    *bufio.Reader
	buf  []byte
	line int
	err  error
}

func (l *lineReader) Read(p []byte) (int, error) {
	for len(l.buf) == 0 {
		if l.err != nil {
			return 0, l.err
		}
		var line []byte
		for {
			chunk, err := l.r.ReadSlice('\n')
			line = append(line, chunk...)
			if len(line) > maxLineBytes {
				l.err = &fileError{"import.file.line_too_long", l.line + 1}
				return 0, l.err
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				l.err = err
			}
			break
		}
		if len(line) == 0 {
			continue
		}
		l.line++
		if l.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
		}
		if !utf8.Valid(line) {
			l.err = &fileError{"import.file.not_utf8", l.line}
			return 0, l.err
		}
		l.buf = line
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

type csvReader struct {
	c      *csv.Reader
	header []string
	cells  []Cell
}

func newCSVReader(r io.Reader) (*csvReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// The delimiter is whichever of , and ; the header line uses more.
	peek, _ := br.Peek(64 << 10)
	first := peek
	if i := bytes.IndexByte(peek, '\n'); i >= 0 {
		first = peek[:i]
	}
	delim := ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		delim = ';'
	}
	c := csv.NewReader(&lineReader{r: br})
	c.Comma = delim
	c.FieldsPerRecord = -1
	c.ReuseRecord = true
	header, err := c.Read()
	if err != nil {
		return nil, csvError(err, 1)
	}
	cr := &csvReader{c: c, header: append([]string(nil), header...)}
	return cr, nil
}

func (r *csvReader) Header() []string { return r.header }

func (r *csvReader) Next() (int, []Cell, error) {
	for {
		rec, err := r.c.Read()
		if err != nil {
			if err == io.EOF {
				return 0, nil, io.EOF
			}
			// No FieldPos here: after a failed Read it panics (found by FuzzCSVReader).
			return 0, nil, csvError(err, 0)
		}
		line, _ := r.c.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) > maxColumns {
			return 0, nil, &fileError{"import.file.too_many_columns", line}
		}
		r.cells = r.cells[:0]
		for _, v := range rec {
			r.cells = append(r.cells, Cell{Text: v})
		}
		return line, r.cells, nil
	}
}

func csvError(err error, line int) error {
	var fe *fileError
	if errors.As(err, &fe) {
		return fe
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &fileError{"import.file.bad_quotes", pe.StartLine}
	}
	if err == io.EOF {
		return &fileError{"import.file.empty", 1}
	}
	return err
}

// --- XLSX ---

// errTextRun is a run of text between two tags longer than maxLineBytes.
var errTextRun = errors.New("text run too long")

// boundedRuns refuses XML whose text between two tags exceeds max bytes: encoding/xml hands
// over a text node whole, so one huge cell in a zip bomb would otherwise fill memory.
type boundedRuns struct {
	r   io.Reader
	run int
	max int
}

func (b *boundedRuns) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	for _, c := range p[:n] {
		if c == '<' {
			b.run = 0
		} else if b.run++; b.run > b.max {
			return 0, errTextRun
		}
	}
	return n, err
}

type xlsxReader struct {
	zr      *zip.ReadCloser
	sheet   io.ReadCloser
	dec     *xml.Decoder
	strings []string
	header  []string
	cells   []Cell
}

// newXLSXReader opens the first sheet. Anything that is not a readable workbook (an .xls
// renamed .xlsx, a damaged zip) is refused as a whole.
func newXLSXReader(name string) (*xlsxReader, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, &fileError{"import.file.not_xlsx", 0}
	}
	x := &xlsxReader{zr: zr}
	sheetPath, err := firstSheetPath(zr)
	if err != nil {
		zr.Close()
		return nil, err
	}
	if err := x.loadSharedStrings(); err != nil {
		zr.Close()
		return nil, err
	}
	f, err := openZip(zr, sheetPath)
	if err != nil {
		zr.Close()
		return nil, err
	}
	x.sheet = f
	x.dec = xml.NewDecoder(&boundedRuns{r: io.LimitReader(f, maxSheetBytes), max: maxLineBytes})
	_, cells, err := x.Next()
	if err != nil {
		x.Close()
		if err == io.EOF {
			return nil, &fileError{"import.file.empty", 1}
		}
		return nil, err
	}
	for _, c := range cells {
		x.header = append(x.header, c.Text)
	}
	return x, nil
}

func (x *xlsxReader) Close() error {
	if x.sheet != nil {
		x.sheet.Close()
	}
	return x.zr.Close()
}

func openZip(zr *zip.ReadCloser, name string) (io.ReadCloser, error) {
	for _, f := range zr.File {
		if f.Name == name {
			r, err := f.Open()
			if err != nil {
				return nil, &fileError{"import.file.not_xlsx", 0}
			}
			return r, nil
		}
	}
	return nil, &fileError{"import.file.not_xlsx", 0}
}

func readZipXML(zr *zip.ReadCloser, name string, limit int64, v any) error {
	r, err := openZip(zr, name)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := xml.NewDecoder(io.LimitReader(r, limit)).Decode(v); err != nil {
		return &fileError{"import.file.not_xlsx", 0}
	}
	return nil
}

func firstSheetPath(zr *zip.ReadCloser) (string, error) {
	var wb struct {
		Sheets []struct {
			RID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readZipXML(zr, "xl/workbook.xml", 16<<20, &wb); err != nil || len(wb.Sheets) == 0 {
		return "", &fileError{"import.file.not_xlsx", 0}
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readZipXML(zr, "xl/_rels/workbook.xml.rels", 16<<20, &rels); err != nil {
		return "", err
	}
	for _, r := range rels.Rels {
		if r.ID == wb.Sheets[0].RID {
			if strings.HasPrefix(r.Target, "/") {
				return strings.TrimPrefix(r.Target, "/"), nil
			}
			return path.Join("xl", r.Target), nil
		}
	}
	return "", &fileError{"import.file.not_xlsx", 0}
}

func (x *xlsxReader) loadSharedStrings() error {
	r, err := openZip(x.zr, "xl/sharedStrings.xml")
	if err != nil {
		return nil // a workbook without text has none
	}
	defer r.Close()
	lr := &io.LimitedReader{R: r, N: maxSharedStringBytes}
	dec := xml.NewDecoder(&boundedRuns{r: lr, max: maxLineBytes})
	var sb strings.Builder
	inSI, inT := false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			switch {
			case errors.Is(err, errTextRun):
				return &fileError{"import.file.line_too_long", 0}
			case lr.N <= 0:
				return &fileError{"import.file.too_large", 0}
			}
			return &fileError{"import.file.not_xlsx", 0}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
				sb.Reset()
			case "t":
				inT = inSI
			case "rPh": // phonetic hints are not part of the text
				dec.Skip()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				x.strings = append(x.strings, sb.String())
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				sb.Write(t)
			}
		}
	}
	return nil
}

func (x *xlsxReader) Header() []string { return x.header }

// Next returns the next row, placing each cell at its column from its reference (B7 -> 1).
func (x *xlsxReader) Next() (int, []Cell, error) {
	var (
		rowNum  int
		inRow   bool
		col     int
		typ     string
		inValue bool
		value   strings.Builder
	)
	x.cells = x.cells[:0]
	for {
		tok, err := x.dec.Token()
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		if errors.Is(err, errTextRun) {
			return 0, nil, &fileError{"import.file.line_too_long", rowNum + 1}
		}
		if err != nil {
			return 0, nil, &fileError{"import.file.not_xlsx", rowNum}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				inRow = true
				rowNum++
				for _, a := range t.Attr {
					if a.Name.Local == "r" {
						rowNum, _ = strconv.Atoi(a.Value)
					}
				}
				col = -1
			case "c":
				col++
				typ = ""
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "r":
						col = columnIndex(a.Value)
					case "t":
						typ = a.Value
					}
				}
				if col >= maxColumns {
					return 0, nil, &fileError{"import.file.too_many_columns", rowNum}
				}
				value.Reset()
			case "v", "t":
				inValue = inRow
			}
		case xml.CharData:
			if inValue {
				// One cell may not hold more than a CSV line may: a zip bomb of one huge cell
				// would otherwise fill memory however the rest is streamed.
				if value.Len()+len(t) > maxLineBytes {
					return 0, nil, &fileError{"import.file.line_too_long", rowNum}
				}
				value.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				inValue = false
			case "c":
				cell := Cell{Text: value.String()}
				switch typ {
				case "s":
					i, err := strconv.Atoi(cell.Text)
					if err != nil || i < 0 || i >= len(x.strings) {
						return 0, nil, &fileError{"import.file.not_xlsx", rowNum}
					}
					cell.Text = x.strings[i]
				case "", "n":
					cell.Number = cell.Text != ""
				case "b":
					// booleans stay "0"/"1"
				}
				for len(x.cells) <= col {
					x.cells = append(x.cells, Cell{})
				}
				x.cells[col] = cell
			case "row":
				empty := true
				for _, c := range x.cells {
					if strings.TrimSpace(c.Text) != "" {
						empty = false
						break
					}
				}
				if empty {
					inRow = false
					x.cells = x.cells[:0]
					continue
				}
				return rowNum, x.cells, nil
			}
		}
	}
}

// columnIndex turns a cell reference such as "AB12" into a 0-based column (27).
func columnIndex(ref string) int {
	n := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		if c < 'A' || c > 'Z' {
			break
		}
		n = n*26 + int(c-'A'+1)
	}
	return n - 1
}

// openRows opens a stored file as CSV or XLSX. close releases it.
func openRows(name, format string) (rows rowReader, close func(), err error) {
	if format == "xlsx" {
		x, err := newXLSXReader(name)
		if err != nil {
			return nil, nil, err
		}
		return x, func() { x.Close() }, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	c, err := newCSVReader(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return c, func() { f.Close() }, nil
}
