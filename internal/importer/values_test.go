package importer

import (
	"testing"
	"time"
)

func TestParseNIK(t *testing.T) {
	for in, want := range map[string]string{
		"3171010101900001": "",                      // man born 1 Jan 1990
		"3171014101900001": "",                      // woman: day + 40
		"3171012902000001": "",                      // 29 Feb 2000
		"3172041910938083": "",                      // from the samples
		"317101010190001":  "import.err.nik_format", // 15 digits
		"31710101019000a1": "import.err.nik_format",
		"3171013202900001": "import.err.nik_date", // 32 Feb
		"3171017201900001": "import.err.nik_date", // 72 = 32 + 40
		"3171010113900001": "import.err.nik_date", // month 13
		"3171013002900001": "import.err.nik_date", // 30 Feb
		"3171010101900000": "import.err.nik_serial",
	} {
		if _, got := ParseNIK(in); got != want {
			t.Errorf("ParseNIK(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNPWP(t *testing.T) {
	for in, want := range map[string][2]string{
		"01.707.865.0-421.000": {"0017078650421000", ""},
		"017078650421000":      {"0017078650421000", ""},
		"0017078650421000":     {"0017078650421000", ""},
		"0011385952351000":     {"0011385952351000", ""},
		"3171010101900001":     {"3171010101900001", ""}, // a NIK as NPWP (since 2024)
		"017078651421000":      {"", "import.err.npwp_check"},
		"3171013202900001":     {"", "import.err.npwp_nik"},
		"01707865042100":       {"", "import.err.npwp_format"},
		"01707865042100x":      {"", "import.err.npwp_format"},
	} {
		got, msg := ParseNPWP(in)
		if got != want[0] || msg != want[1] {
			t.Errorf("ParseNPWP(%s) = %q %q, want %q %q", in, got, msg, want[0], want[1])
		}
	}
}

func TestParseIdentifiers(t *testing.T) {
	cases := []struct {
		parse func(string) (string, string)
		in    string
		out   string
		msg   string
	}{
		{ParseNIB, "1528952980404", "1528952980404", ""},
		{ParseNIB, "152895298040", "", "import.err.nib_format"},
		{ParseNPP, " ab123456 ", "AB123456", ""},
		{ParseNPP, "1234567890", "1234567890", ""},
		{ParseNPP, "1234567", "", "import.err.npp_format"},
		{ParseNPP, "12345-678", "", "import.err.npp_format"},
		{ParseKPJ, "50159785420", "50159785420", ""},
		{ParseKPJ, "5015978542", "", "import.err.kpj_format"},
		{ParseRegionCode, "31.71.01.1001", "31.71.01.1001", ""},
		{ParseRegionCode, "3171011001", "31.71.01.1001", ""},
		{ParseRegionCode, "31.71.01", "", "import.err.region_format"},
		{ParseSkala, "Menengah", "menengah", ""},
		{ParseSkala, "sedang", "", "import.err.skala"},
		{ParseStatus, "AKTIF", "aktif", ""},
		{ParseStatus, "keluar", "", "import.err.status"},
		{ParseKBLI, "10731", "10731", ""},
		{ParseKBLI, "", "", ""},
		{ParseKBLI, "107", "", "import.err.kbli"},
	}
	for _, c := range cases {
		out, msg := c.parse(c.in)
		if out != c.out || msg != c.msg {
			t.Errorf("parse(%q) = %q %q, want %q %q", c.in, out, msg, c.out, c.msg)
		}
	}
}

func TestParseMoney(t *testing.T) {
	good := map[string]int64{
		"5396761": 5396761, "Rp 5.396.761": 5396761, "Rp5.396.761": 5396761, "5,396,761": 5396761,
		"5.396.761,00": 5396761, "5,396,761.00": 5396761, "5396761,00": 5396761, "5396761.00": 5396761,
		"rp 1.000": 1000, "0": 0, " 12 000 ": 12000,
	}
	for in, want := range good {
		if got, msg := ParseMoney(in); got != want || msg != "" {
			t.Errorf("ParseMoney(%q) = %d %q, want %d", in, got, msg, want)
		}
	}
	for _, in := range []string{"", "-5000", "5.396.761,50", "5,5", "1.000.00", "5.396,761", "12ab", "Rp", "1.00.000", "9999999999999999"} {
		if _, msg := ParseMoney(in); msg != "import.err.money" {
			t.Errorf("ParseMoney(%q) accepted", in)
		}
	}
}

func TestParseDatesWholeAndYesNo(t *testing.T) {
	want := time.Date(2025, 2, 13, 0, 0, 0, 0, time.UTC)
	for _, in := range []string{"2025-02-13", "13/02/2025", "13-02-2025"} {
		if got, msg := ParseDate(in); !got.Equal(want) || msg != "" {
			t.Errorf("ParseDate(%q) = %v %q", in, got, msg)
		}
	}
	for _, in := range []string{"2025-02-30", "02/13/2025", "13 Feb 2025", "20250213"} {
		if _, msg := ParseDate(in); msg != "import.err.date" {
			t.Errorf("ParseDate(%q) accepted", in)
		}
	}
	if got, _ := excelDate(45701); !got.Equal(want) {
		t.Errorf("excelDate(45701) = %v", got)
	}
	if n, msg := ParseWhole("44"); n != 44 || msg != "" {
		t.Errorf("ParseWhole(44) = %d %q", n, msg)
	}
	for _, in := range []string{"-1", "4.5", "x", ""} {
		if _, msg := ParseWhole(in); msg != "import.err.whole" {
			t.Errorf("ParseWhole(%q) accepted", in)
		}
	}
	for in, want := range map[string]bool{"Y": true, "ya": true, "1": true, "N": false, "tidak": false, "0": false} {
		if got, msg := ParseYesNo(in); got != want || msg != "" {
			t.Errorf("ParseYesNo(%q) = %v %q", in, got, msg)
		}
	}
	if _, msg := ParseYesNo("maybe"); msg != "import.err.yes_no" {
		t.Error("ParseYesNo(maybe) accepted")
	}
}

// TestIsoDateFastPath: a date already written YYYY-MM-DD is taken as it is only when it is a
// real day between 1900 and 2100; anything else goes through ParseDate.
func TestIsoDateFastPath(t *testing.T) {
	for s, want := range map[string]bool{
		"2024-02-29": true, "2026-12-31": true, "1900-01-01": true,
		"2023-02-29": false, "2026-04-31": false, "2026-13-01": false, "2026-00-10": false, "1899-12-31": false,
		"2101-01-01": false, "2026-1-01": false, "2026/01/01": false, "2026-01-0x": false, "": false,
	} {
		if got := isoDate(s); got != want {
			t.Errorf("IsoDate(%q) = %v, want %v", s, got, want)
		}
	}
}
