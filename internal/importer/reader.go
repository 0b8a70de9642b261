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
	"time"
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
// without NUL so the error can name the first line that is not.
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
		// NUL is UTF-8, but PostgreSQL keeps no NUL in text: the COPY would fail the worker.
		if bytes.IndexByte(line, 0) >= 0 {
			l.err = &fileError{"import.file.nul_byte", l.line}
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

// Bounds on an XLSX's XML, checked while it streams, so that a small hostile file costs
// little memory and time (issue 13: a 274 KB file of 40 million nested elements took the
// server to 7.1 GB, as encoding/xml keeps a stack entry per open element).
const (
	maxXMLDepth       = 64      // SpreadsheetML nests about 6 deep; rich text a few more
	maxRowElements    = 4096    // elements in one row (or one shared string): 200 cells of rich text
	maxOtherElements  = 1 << 20 // elements outside rows: columns, merged cells, formats
	maxSheetRows      = 1 << 20 // Excel's own limit: 1,048,576 rows
	maxExpansion      = 100     // XML bytes per compressed byte; real sheets expand 7x to 17x
	minExpansionBytes = 64 << 20
	// Elements per compressed byte: real sheets hold at most about one (a cell is two or three
	// elements in ten or more compressed bytes), while a flood of identical tiny elements packs
	// hundreds, and each costs time to read however little memory it takes.
	maxElementsPerByte = 4
	minElementBudget   = 4 << 20
	maxSheetParseTime  = 2 * time.Minute // time spent reading the XML, not validating rows
)

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

// xmlStream is one zip entry's XML, read token by token within the bounds above: its
// decompressed size, the depth of its elements, and the length of its text runs.
type xmlStream struct {
	r        io.ReadCloser
	lr       *io.LimitedReader
	dec      *xml.Decoder
	depth    int
	elements int // elements left in the budget
}

// openXML opens a zip entry as XML, allowing it to expand to maxExpansion times its
// compressed size (at least minExpansionBytes, at most limit) and to hold maxElementsPerByte
// elements per compressed byte (at least minElementBudget).
func openXML(zr *zip.Reader, name string, limit int64) (*xmlStream, error) {
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return nil, &fileError{"import.file.not_xlsx", 0}
		}
		allowed := int64(minExpansionBytes)
		if f.CompressedSize64 < uint64(limit/maxExpansion) {
			allowed = max(allowed, int64(f.CompressedSize64)*maxExpansion)
		} else {
			allowed = limit
		}
		allowed = min(allowed, limit)
		elements := int64(minElementBudget)
		if f.CompressedSize64 < 1<<40 {
			elements = max(elements, int64(f.CompressedSize64)*maxElementsPerByte)
		}
		s := &xmlStream{r: r, lr: &io.LimitedReader{R: r, N: allowed}, elements: int(elements)}
		s.dec = xml.NewDecoder(&boundedRuns{r: s.lr, max: maxLineBytes})
		return s, nil
	}
	return nil, &fileError{"import.file.not_xlsx", 0}
}

func (s *xmlStream) Close() error { return s.r.Close() }

// Token is the next token, or a fileError naming the bound the XML broke (line is the row
// being read, for the message).
func (s *xmlStream) Token(line int) (xml.Token, error) {
	// RawToken: the reader matches no end tags to start tags, so encoding/xml need keep no stack
	// of open elements (the nesting bomb's 7 GB); depth is counted here instead.
	tok, err := s.dec.RawToken()
	if err != nil {
		switch {
		case s.lr.N <= 0:
			// Cut at the limit: whatever the decoder says, the file was larger than allowed.
			return nil, &fileError{"import.file.xlsx_expanded", 0}
		case err == io.EOF && s.depth != 0:
			// RawToken does not notice a document cut short; an element is still open.
			return nil, &fileError{"import.file.not_xlsx", line}
		case err == io.EOF:
			return nil, io.EOF
		case errors.Is(err, errTextRun):
			return nil, &fileError{"import.file.line_too_long", line}
		}
		return nil, &fileError{"import.file.not_xlsx", line}
	}
	switch tok.(type) {
	case xml.StartElement:
		if s.depth++; s.depth > maxXMLDepth {
			return nil, &fileError{"import.file.xml_too_deep", line}
		}
		if s.elements--; s.elements < 0 {
			return nil, &fileError{"import.file.xml_too_many", line}
		}
	case xml.EndElement:
		s.depth--
	}
	return tok, nil
}

type xlsxReader struct {
	close  func() error
	sheet  *xmlStream
	header []string
	cells  []Cell

	// The shared strings, end to end in one string: sst[ends[i-1]:ends[i]] is string i. One
	// allocation and four bytes per string, where a []string costs sixteen and one each.
	sst  string
	ends []uint32

	rows   int           // row elements read, empty ones included
	other  int           // elements read outside rows
	spent  time.Duration // time spent in Next
	budget time.Duration
}

// newXLSXReader opens the first sheet. Anything that is not a readable workbook (an .xls
// renamed .xlsx, a damaged zip) is refused as a whole.
func newXLSXReader(name string) (*xlsxReader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	x, err := newXLSX(f, fi.Size())
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	x.close = f.Close
	return x, nil
}

// newXLSX reads a workbook from memory or a file; the caller closes what r reads from.
func newXLSX(r io.ReaderAt, size int64) (*xlsxReader, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, &fileError{"import.file.not_xlsx", 0}
	}
	x := &xlsxReader{close: func() error { return nil }, budget: maxSheetParseTime}
	sheetPath, err := firstSheetPath(zr)
	if err != nil {
		return nil, err
	}
	if err := x.loadSharedStrings(zr); err != nil {
		return nil, err
	}
	if x.sheet, err = openXML(zr, sheetPath, maxSheetBytes); err != nil {
		return nil, err
	}
	_, cells, err := x.Next()
	if err != nil {
		if err == io.EOF {
			err = &fileError{"import.file.empty", 1}
		}
		return nil, errors.Join(err, x.sheet.Close())
	}
	for _, c := range cells {
		x.header = append(x.header, c.Text)
	}
	return x, nil
}

func (x *xlsxReader) Close() error {
	var err error
	if x.sheet != nil {
		err = x.sheet.Close()
	}
	return errors.Join(err, x.close())
}

// readZipXML decodes a small part of the workbook whole.
func readZipXML(zr *zip.Reader, name string, limit int64, v any) error {
	s, err := openXML(zr, name, limit)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.dec.Decode(v); err != nil {
		return &fileError{"import.file.not_xlsx", 0}
	}
	return nil
}

func firstSheetPath(zr *zip.Reader) (string, error) {
	var wb struct {
		Sheets []struct {
			RID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readZipXML(zr, "xl/workbook.xml", 4<<20, &wb); err != nil || len(wb.Sheets) == 0 {
		return "", &fileError{"import.file.not_xlsx", 0}
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readZipXML(zr, "xl/_rels/workbook.xml.rels", 4<<20, &rels); err != nil {
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

func (x *xlsxReader) loadSharedStrings(zr *zip.Reader) error {
	s, err := openXML(zr, "xl/sharedStrings.xml", maxSharedStringBytes)
	if err != nil {
		return nil // a workbook without text has none
	}
	defer s.Close()
	var sb strings.Builder
	inSI, inT := false, false
	skipFrom := 0 // the depth of a phonetic hint being skipped, 0 when none
	elements, other := 0, 0
	for {
		tok, err := s.Token(0)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if skipFrom > 0 {
			if _, end := tok.(xml.EndElement); end && s.depth < skipFrom {
				skipFrom = 0
			}
			continue
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if inSI {
				if elements++; elements > maxRowElements {
					return &fileError{"import.file.xml_too_many", 0}
				}
			} else if t.Name.Local != "si" {
				if other++; other > maxOtherElements {
					return &fileError{"import.file.xml_too_many", 0}
				}
			}
			switch t.Name.Local {
			case "si":
				inSI, elements = true, 0
			case "t":
				inT = inSI
			case "rPh": // phonetic hints are not part of the text
				skipFrom = s.depth
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				x.ends = append(x.ends, uint32(sb.Len()))
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				sb.Write(t)
			}
		}
	}
	x.sst = sb.String()
	return nil
}

// sharedString is string i of the shared strings.
func (x *xlsxReader) sharedString(i int) (string, bool) {
	if i < 0 || i >= len(x.ends) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = x.ends[i-1]
	}
	return x.sst[start:x.ends[i]], true
}

func (x *xlsxReader) Header() []string { return x.header }

// Next returns the next row, placing each cell at its column from its reference (B7 -> 1).
func (x *xlsxReader) Next() (int, []Cell, error) {
	began := time.Now()
	defer func() { x.spent += time.Since(began) }()
	var (
		rowNum   int
		inRow    bool
		col      int
		typ      string
		inValue  bool
		value    strings.Builder
		elements int
		tokens   int
	)
	x.cells = x.cells[:0]
	for {
		// The clock is read now and then: a file that is slow to read for its size (many
		// tiny elements) fails with a message instead of holding the worker for minutes.
		if tokens++; tokens&4095 == 1 && x.spent+time.Since(began) > x.budget {
			return 0, nil, &fileError{"import.file.xlsx_too_slow", rowNum}
		}
		tok, err := x.sheet.Token(rowNum)
		if err != nil {
			return 0, nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if inRow {
				if elements++; elements > maxRowElements {
					return 0, nil, &fileError{"import.file.xml_too_many", rowNum}
				}
			} else if t.Name.Local != "row" {
				if x.other++; x.other > maxOtherElements {
					return 0, nil, &fileError{"import.file.xml_too_many", rowNum}
				}
			}
			switch t.Name.Local {
			case "row":
				if x.rows++; x.rows > maxSheetRows {
					return 0, nil, &fileError{"import.file.xlsx_too_many_rows", rowNum}
				}
				inRow, elements = true, 0
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
						// A reference without its column letters ("7", "") leaves the cell
						// where it stands: the one after the last.
						if c, ok := columnIndex(a.Value); ok {
							col = c
						}
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
				if !inRow || col < 0 {
					continue // a cell outside any row holds nothing of the data
				}
				cell := Cell{Text: value.String()}
				switch typ {
				case "s":
					i, err := strconv.Atoi(cell.Text)
					text, ok := x.sharedString(i)
					if err != nil || !ok {
						return 0, nil, &fileError{"import.file.not_xlsx", rowNum}
					}
					cell.Text = text
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
				inRow = false
				empty := true
				for _, c := range x.cells {
					if strings.TrimSpace(c.Text) != "" {
						empty = false
						break
					}
				}
				if empty {
					x.cells = x.cells[:0]
					continue
				}
				return rowNum, x.cells, nil
			}
		}
	}
}

// columnIndex turns a cell reference such as "AB12" into a 0-based column (27); false when it
// starts with no column letter. Letters beyond what maxColumns needs leave the index above it
// (no overflow however long the reference).
func columnIndex(ref string) (int, bool) {
	n, i := 0, 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		if n <= maxColumns {
			n = n*26 + int(ref[i]-'A'+1)
		}
	}
	if i == 0 {
		return 0, false
	}
	return n - 1, true
}

// openRows opens a stored file as CSV or XLSX, to be read; closer releases it.
func openRows(name, format string) (rows rowReader, closer io.Closer, err error) {
	if format == "xlsx" {
		x, err := newXLSXReader(name)
		if err != nil {
			return nil, nil, err
		}
		return x, x, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	c, err := newCSVReader(f)
	if err != nil {
		return nil, nil, errors.Join(err, f.Close())
	}
	return c, f, nil
}
