package importer

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets check the parsers' promises on any input: no panic, and a value that is
// accepted is in its stored form (and parses again to itself). `go test` runs the seed corpora
// of the f.Add calls (and any failing input Go saved under testdata/fuzz);
// `go test -fuzz=FuzzParseMoney ./internal/importer` explores.

func FuzzParseNIK(f *testing.F) {
	for _, s := range []string{"3171010101900001", "3171014101900001", "3171010101900000", "31710101019000", "", "abcdefghijklmnop"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, msg := ParseNIK(s)
		if msg == "" {
			if len(v) != 16 || !onlyDigits(v) || v[12:] == "0000" {
				t.Fatalf("accepted %q as %q", s, v)
			}
			if again, _ := ParseNIK(v); again != v {
				t.Fatalf("not stable: %q -> %q", v, again)
			}
		}
	})
}

func FuzzParseNPWP(f *testing.F) {
	for _, s := range []string{"01.707.865.0-421.000", "0017078650421000", "3171010101900001", "017078651421000", "-", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, msg := ParseNPWP(s)
		if msg == "" {
			if len(v) != 16 || !onlyDigits(v) {
				t.Fatalf("accepted %q as %q", s, v)
			}
			if again, m := ParseNPWP(v); again != v || m != "" {
				t.Fatalf("not stable: %q -> %q %q", v, again, m)
			}
		}
	})
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"Rp 5.396.761", "5,396,761.00", "5.396.761,00", "1.000.00", "-1", "", "9999999999999999", "Rp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, msg := ParseMoney(s)
		if msg == "" && n < 0 {
			t.Fatalf("accepted %q as %d", s, n)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2025-02-13", "13/02/2025", "13-02-2025", "2025-02-30", "1/1/1900", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, msg := ParseDate(s)
		if msg == "" && (d.Year() < 1900 || d.Year() > 2100) {
			t.Fatalf("accepted %q as %v", s, d)
		}
	})
}

func FuzzRegionCode(f *testing.F) {
	for _, s := range []string{"31.71.01.1001", "3171011001", "31.71.01", "31..71.01.1001", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, msg := ParseRegionCode(s); msg == "" && (len(v) != 13 || v[2] != '.') {
			t.Fatalf("accepted %q as %q", s, v)
		}
	})
}

// FuzzCSVReader feeds any bytes to the CSV reader: it must end with rows, a file error or EOF,
// never panic, and every cell it returns is valid UTF-8.
func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{"nib,nama\n1,a\n", "a,b\n1,\x00\n", "\xEF\xBB\xBFa;b\n\"x;y\";z\n", "a,b\n\"open,quote\n", "a\n\xff\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newCSVReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for range 10000 {
			_, cells, err := r.Next()
			if err != nil {
				return
			}
			for _, c := range cells {
				if !utf8.ValidString(c.Text) || strings.IndexByte(c.Text, 0) >= 0 {
					t.Fatalf("invalid UTF-8 or NUL in cell %q", c.Text)
				}
			}
		}
	})
}

// FuzzXLSXReader feeds any bytes, as a whole file, to the XLSX reader. Most mutations break
// the zip itself; FuzzXLSXSheet and FuzzXLSXSharedStrings reach the XML.
func FuzzXLSXReader(f *testing.F) {
	f.Add([]byte("PK\x03\x04 not a zip"))
	if seed, err := os.ReadFile(filepath.Join("testdata", "small.xlsx")); err == nil {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) { readXLSX(t, data) })
}

// FuzzXLSXSheet fuzzes the sheet's XML itself, wrapped into a valid workbook whose shared
// strings are "nib", "nama", "x", "y".
func FuzzXLSXSheet(f *testing.F) {
	for _, s := range sheetSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, sheet []byte) { readXLSX(t, xlsxOf(sheet, []byte(seedSST))) })
}

// FuzzXLSXSharedStrings fuzzes the shared strings' XML, under a sheet whose cells name
// strings 0 to 3 and one beyond.
func FuzzXLSXSharedStrings(f *testing.F) {
	for _, s := range []string{seedSST, `<sst><si><r><t>ni</t></r><r><rPr><b/></rPr><t>b</t></r></si><si><t>a</t><rPh><t>フ</t></rPh></si></sst>`,
		`<sst><si><t xml:space="preserve"> a </t></si></sst>`, `<sst><si><t>a</t></si><si/><si><t/></si></sst>`,
		`<sst><si><rPh><rPh><t>x</t></rPh></rPh><t>a</t></si></sst>`, `<sst>` + strings.Repeat("<si>", 70) + `</sst>`,
		`<sst><si><t>&amp;&lt;&#x41;</t></si></sst>`, `<sst><si><t>a</si></sst>`, ``} {
		f.Add([]byte(s))
	}
	sheet := []byte(`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>` +
		`<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c><c t="s"><v>4</v></c></row></sheetData></worksheet>`)
	f.Fuzz(func(t *testing.T, shared []byte) { readXLSX(t, xlsxOf(sheet, shared)) })
}

const seedSST = `<sst><si><t>nib</t></si><si><t>nama</t></si><si><t>x</t></si><si><t>y</t></si></sst>`

var sheetSeeds = []string{
	`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>` +
		`<row r="2"><c r="A2"><v>2900000000001</v></c><c r="B2" t="inlineStr"><is><t>PT Baik</t></is></c></row></sheetData></worksheet>`,
	// References without column letters (issue 13: these panicked), or none at all.
	`<worksheet><sheetData><row r="1"><c r="1" t="s"><v>0</v></c><c r="" t="s"><v>1</v></c></row><row><c><v>1</v></c><c r="7"><v>2</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="ZZZZZZZZZZZZZZZZZZZZZZZZ1"><v>1</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="GR1"><v>1</v></c><c><v>2</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><c r="A1"><v>1</v></c><row r="-5"><c r="B1" t="s"><v>9</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="str"><f>A1</f><v>x</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="A1"><v>` + strings.Repeat("<a>", 80) + `</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1">` + strings.Repeat("<x/>", 5000) + `</row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>-1</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></row></sheetData></worksheet>`,
	`<worksheet><sheetData></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a&#0;b&#xFFFE;</t></is></c><c r="B1"><v>&#x0;</v></c></row></sheetData></worksheet>`,
	``,
}

// xlsxOf wraps a sheet's XML and shared strings' XML into a workbook, in memory.
func xlsxOf(sheet, shared []byte) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, e := range []struct {
		name string
		body []byte
	}{
		{"xl/workbook.xml", []byte(`<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", []byte(`<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`)},
		{"xl/worksheets/sheet1.xml", sheet},
		{"xl/sharedStrings.xml", shared},
	} {
		w, err := z.Create(e.name)
		if err == nil {
			_, err = w.Write(e.body)
		}
		if err != nil {
			panic(err) // writing to memory
		}
	}
	if err := z.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// readXLSX reads a workbook to its end. It must end with rows, a file error or EOF, never
// panic; every row fits maxColumns and every cell is UTF-8.
func readXLSX(t *testing.T, data []byte) {
	t.Helper()
	x, err := newXLSX(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		var fe *fileError
		if !errors.As(err, &fe) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		return
	}
	defer x.Close()
	if len(x.Header()) > maxColumns {
		t.Fatalf("header of %d columns", len(x.Header()))
	}
	for range 10000 {
		_, cells, err := x.Next()
		if err != nil {
			var fe *fileError
			if err != io.EOF && !errors.As(err, &fe) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(cells) > maxColumns {
			t.Fatalf("row of %d columns", len(cells))
		}
		for _, c := range cells {
			if !utf8.ValidString(c.Text) || strings.IndexByte(c.Text, 0) >= 0 {
				t.Fatalf("invalid UTF-8 or NUL in cell %q", c.Text)
			}
		}
	}
}
