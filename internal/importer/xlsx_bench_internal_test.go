package importer

import (
	"archive/zip"
	"bytes"
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The benchmarks behind doc.go: the hand-written reader against excelize's streaming Rows(),
// on an ordinary roster and on a nesting bomb. Run with
//
//	go test -run '^$' -bench XLSX -benchmem ./internal/importer
//
// The roster gives rows/s; the bomb gives what the heap rose to (peak-MB) while the reader
// met it: the hand-written reader refuses the file at maxXMLDepth, excelize's decoder keeps a
// stack entry per open element.

// rosterWorkbook is a workbook of n roster rows, as excelize writes it (shared strings off:
// inline strings, like LibreOffice's streaming export).
func rosterWorkbook(b *testing.B, n int) []byte {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"nib", "npwp", "nik", "nama", "upah", "mulai_bekerja"}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			b.Fatal(err)
		}
		row := []any{strconv.Itoa(1000000000000 + i), "", strconv.Itoa(3171010101900000 + i), "Pekerja " + strconv.Itoa(i), 5500000, "2020-01-15"}
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// withSheet is the workbook data with its first sheet's XML replaced by sheet.
func withSheet(b *testing.B, data []byte, sheet func(io.Writer) error) []byte {
	b.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range zr.File {
		w, err := zw.Create(e.Name)
		if err != nil {
			b.Fatal(err)
		}
		if e.Name == "xl/worksheets/sheet1.xml" {
			err = sheet(w)
		} else {
			err = copyEntry(w, e)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func copyEntry(w io.Writer, e *zip.File) (err error) {
	r, err := e.Open()
	if err != nil {
		return err
	}
	defer r.Close() // read only
	_, err = io.Copy(w, r)
	return err
}

func readAllPatuh(data []byte) (rows int, err error) {
	x, err := newXLSX(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0, err
	}
	defer x.Close() // read only
	for {
		if _, _, err := x.Next(); err == io.EOF {
			return rows, nil
		} else if err != nil {
			return rows, err
		}
		rows++
	}
}

func readAllExcelize(data []byte) (rows int, err error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	defer f.Close() // read only
	it, err := f.Rows("Sheet1")
	if err != nil {
		return 0, err
	}
	for it.Next() {
		if _, err := it.Columns(); err != nil {
			return rows, err
		}
		rows++
	}
	return rows, it.Close()
}

var readers = []struct {
	name string
	read func([]byte) (int, error)
}{{"patuh", readAllPatuh}, {"excelize", readAllExcelize}}

func BenchmarkXLSXRoster(b *testing.B) {
	const n = 100_000
	data := rosterWorkbook(b, n)
	for _, r := range readers {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				if got, err := r.read(data); err != nil || got < n {
					b.Fatalf("%d rows, %v", got, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkXLSXNestingBomb(b *testing.B) {
	const depth = 2_000_000
	data := withSheet(b, rosterWorkbook(b, 1), func(w io.Writer) error {
		if _, err := io.WriteString(w, `<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>nib</t></is></c></row><row r="2"><c r="A2"><v>`); err != nil {
			return err
		}
		_, err := io.WriteString(w, strings.Repeat("<a>", depth))
		return err
	})
	for _, r := range readers {
		b.Run(r.name, func(b *testing.B) {
			var peak uint64
			refused := 0.0
			for b.Loop() {
				var err error
				peak = max(peak, HeapPeak(func() { _, err = r.read(data) }))
				if err != nil {
					refused = 1
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
			b.ReportMetric(refused, "refused")
		})
	}
}

// HeapPeak is how far the live heap rose above where it began while f ran, sampled every
// millisecond through runtime/metrics (which does not stop the world). Exported for the
// package's external tests (TestNestingBombRefused).
func HeapPeak(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	peak := base
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				peak = max(peak, read())
			}
		}
	}()
	f()
	close(done)
	<-sampled
	return max(peak, read()) - base
}
