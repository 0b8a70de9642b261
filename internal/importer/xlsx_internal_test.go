package importer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// A cell reference without column letters ("1", "") places the cell after the last, as a
// cell without a reference does; it used to index the row at -1 and panic.
func TestCellReferenceWithoutLetters(t *testing.T) {
	sheet := `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>` +
		`<row r="2"><c r="2"><v>10</v></c><c r=""><v>11</v></c><c><v>12</v></c></row>` +
		`<row r="3"><c r="B3"><v>21</v></c><c r="9"><v>22</v></c></row></sheetData></worksheet>`
	data := xlsxOf([]byte(sheet), []byte(seedSST))
	x, err := newXLSX(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, want := range []string{"10 11 12", "_ 21 22"} {
		_, cells, err := x.Next()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cells {
			if c.Text == "" {
				c.Text = "_"
			}
			got = append(got, c.Text)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("row %q, want %q", strings.Join(got, " "), want)
		}
	}
	for ref, want := range map[string]int{"A1": 0, "Z9": 25, "AA1": 26, "AB12": 27, "GR1": 199} {
		if got, ok := columnIndex(ref); !ok || got != want {
			t.Errorf("columnIndex(%q) = %d %v, want %d", ref, got, ok, want)
		}
	}
	if got, ok := columnIndex(strings.Repeat("Z", 40) + "1"); !ok || got < maxColumns {
		t.Errorf("a long reference gave column %d", got)
	}
}

// TestXLSXBounds: each bound on the XML refuses its hostile file with its own message.
func TestXLSXBounds(t *testing.T) {
	header := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`
	sheet := func(rows string) []byte {
		return []byte(`<worksheet><sheetData>` + header + rows + `</sheetData></worksheet>`)
	}
	// Spaces between tags, which the reader skips, compress to nothing: 200 MB from 200 KB.
	var expanding bytes.Buffer
	expanding.WriteString(`<worksheet><sheetData>` + header)
	for range 400 {
		expanding.WriteString(`<x/>` + strings.Repeat(" ", 512<<10))
	}
	expanding.WriteString(`</sheetData></worksheet>`)
	for name, c := range map[string]struct {
		sheet, shared []byte
		want          string
	}{
		"65 levels": {sheet(`<row r="2"><c r="A2"><v>` + strings.Repeat("<a>", 65)), []byte(seedSST), "import.file.xml_too_deep"},
		"64 levels": {sheet(`<row r="2"><c r="A2"><v>1</v></c>` + strings.Repeat("<a>", 61) + strings.Repeat("</a>", 61) + `</row>`), []byte(seedSST), ""},
		"deep shared string": {sheet(""), []byte(`<sst><si><t>nib</t></si><si><t>nama</t><rPh>` + strings.Repeat("<a>", 100) + `</rPh></si></sst>`),
			"import.file.xml_too_deep"},
		"elements in a row":           {sheet(`<row r="2">` + strings.Repeat("<x/>", maxRowElements+1) + `</row>`), []byte(seedSST), "import.file.xml_too_many"},
		"elements in a shared string": {sheet(""), []byte(`<sst><si>` + strings.Repeat("<r/>", maxRowElements+1) + `</si></sst>`), "import.file.xml_too_many"},
		"elements outside rows":       {sheet(strings.Repeat("<x/>", maxOtherElements+1)), []byte(seedSST), "import.file.xml_too_many"},
		"rows":                        {sheet(strings.Repeat("<row/>", maxSheetRows)), []byte(seedSST), "import.file.xlsx_too_many_rows"},
		"expansion":                   {expanding.Bytes(), []byte(seedSST), "import.file.xlsx_expanded"},
		"cut short":                   {[]byte(`<worksheet><sheetData>` + header + `<row r="2"><c r="A2"><v>1</v></c></row>`), []byte(seedSST), "import.file.not_xlsx"},
		"element flood":               {sheet(`<row r="2"><c r="A2"><v>1</v></c></row>` + strings.Repeat(`<row r="3">`+strings.Repeat("<x/>", 4000)+`</row>`, 2000)), []byte(seedSST), "import.file.xml_too_many"},
	} {
		if got := readToEnd(xlsxOf(c.sheet, c.shared), -1); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
	// The time budget: spent (here at once), the next row is refused.
	if got := readToEnd(xlsxOf(sheet(`<row r="2"><c r="A2"><v>1</v></c></row>`), []byte(seedSST)), 0); got != "import.file.xlsx_too_slow" {
		t.Errorf("time budget: %q", got)
	}
}

// readToEnd reads a workbook's rows and returns the message of the file error that ended it
// ("" for none). A budget >= 0 replaces the time budget once the header is read.
func readToEnd(data []byte, budget time.Duration) string {
	x, err := newXLSX(bytes.NewReader(data), int64(len(data)))
	if err == nil {
		defer x.Close()
		if budget >= 0 {
			x.budget = budget
		}
		for err == nil {
			_, _, err = x.Next()
		}
	}
	var fe *fileError
	if errors.As(err, &fe) {
		return fe.Message
	}
	if err != nil && err != io.EOF {
		return err.Error()
	}
	return ""
}

// Needs no database.
func TestKindNamesAreTheKinds(t *testing.T) {
	names := KindNames()
	if len(names) != len(kinds) {
		t.Fatalf("KindNames %v, kinds %d", names, len(kinds))
	}
	for _, n := range names {
		if k, ok := kinds[n]; !ok || k.Name != n {
			t.Errorf("kind %q: %+v", n, k)
		}
	}
}
