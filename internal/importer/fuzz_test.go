package importer

import (
	"bytes"
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
	for _, s := range []string{"nib,nama\n1,a\n", "\xEF\xBB\xBFa;b\n\"x;y\";z\n", "a,b\n\"open,quote\n", "a\n\xff\n", ""} {
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
				if !utf8.ValidString(c.Text) {
					t.Fatalf("invalid UTF-8 cell %q", c.Text)
				}
			}
		}
	})
}

// FuzzXLSXReader feeds any bytes, stored as a file, to the XLSX reader.
func FuzzXLSXReader(f *testing.F) {
	f.Add([]byte("PK\x03\x04 not a zip"))
	if seed, err := os.ReadFile(filepath.Join("testdata", "small.xlsx")); err == nil {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		name := filepath.Join(t.TempDir(), "f.xlsx")
		os.WriteFile(name, data, 0o600)
		x, err := newXLSXReader(name)
		if err != nil {
			return
		}
		defer x.Close()
		for range 10000 {
			if _, _, err := x.Next(); err != nil {
				if err != io.EOF && !strings.Contains(err.Error(), "import.file") {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
		}
	})
}
