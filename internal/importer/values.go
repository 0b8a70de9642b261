package importer

import (
	"strconv"
	"strings"
	"time"
)

// The parsers below check one value each, per data-exchange.md and domain.md, and return the
// stored form or an i18n message id saying what is wrong.

func onlyDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseNIK checks 16 digits, a real birth date (day + 40 for women) and a serial other than 0000.
func ParseNIK(s string) (string, string) {
	s = strings.TrimSpace(s)
	if len(s) != 16 || !onlyDigits(s) {
		return "", "import.err.nik_format"
	}
	day, _ := strconv.Atoi(s[6:8])
	month, _ := strconv.Atoi(s[8:10])
	yy, _ := strconv.Atoi(s[10:12])
	if day > 40 {
		day -= 40
	}
	// The century is not written; a date valid in either century is accepted (29 Feb 00).
	if !validDate(1900+yy, month, day) && !validDate(2000+yy, month, day) {
		return "", "import.err.nik_date"
	}
	if s[12:] == "0000" {
		return "", "import.err.nik_serial"
	}
	return s, ""
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d && int(t.Month()) == m
}

// ParseNPWP accepts 15 digits (dots and dashes allowed), or 16: a 0 and the 15, or a NIK.
// Digit 9 of the 15 is a Luhn check over digits 1-8. The stored form has 16 digits.
func ParseNPWP(s string) (string, string) {
	s = strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
	if !onlyDigits(s) || (len(s) != 15 && len(s) != 16) {
		return "", "import.err.npwp_format"
	}
	if len(s) == 16 {
		if s[0] != '0' {
			if _, msg := ParseNIK(s); msg != "" {
				return "", "import.err.npwp_nik"
			}
			return s, ""
		}
		s = s[1:]
	}
	if LuhnCheckDigit(s[:8]) != s[8] {
		return "", "import.err.npwp_check"
	}
	return "0" + s, ""
}

// LuhnCheckDigit computes the digit that makes payload+digit pass the Luhn test.
func LuhnCheckDigit(payload string) byte {
	sum := 0
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if (len(payload)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

func ParseNIB(s string) (string, string) {
	s = strings.TrimSpace(s)
	if len(s) != 13 || !onlyDigits(s) {
		return "", "import.err.nib_format"
	}
	return s, ""
}

func ParseNPP(s string) (string, string) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) < 8 || len(s) > 10 {
		return "", "import.err.npp_format"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return "", "import.err.npp_format"
		}
	}
	return s, ""
}

func ParseKPJ(s string) (string, string) {
	s = strings.TrimSpace(s)
	if len(s) != 11 || !onlyDigits(s) {
		return "", "import.err.kpj_format"
	}
	return s, ""
}

// ParseRegionCode accepts 31.71.01.1001 or 3171011001 and returns the dotted form; the caller
// checks that it exists.
func ParseRegionCode(s string) (string, string) {
	s = strings.TrimSpace(s)
	if onlyDigits(s) && len(s) == 10 {
		s = s[0:2] + "." + s[2:4] + "." + s[4:6] + "." + s[6:]
	}
	if len(s) != 13 || s[2] != '.' || s[5] != '.' || s[8] != '.' ||
		!onlyDigits(s[0:2]+s[3:5]+s[6:8]+s[9:]) {
		return "", "import.err.region_format"
	}
	return s, ""
}

// ParseMoney accepts whole Rupiah: "5396761", "Rp 5.396.761", "5,396,761", "5.396.761,00".
func ParseMoney(s string) (int64, string) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && strings.EqualFold(s[:2], "rp") {
		s = s[2:]
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\u00a0", "")
	if len(s) > 3 && (strings.HasSuffix(s, ",00") || strings.HasSuffix(s, ".00")) {
		whole := s[:len(s)-3]
		// "1.000" alone is a thousand, so only strip a decimal part that the rest allows.
		if onlyDigits(whole) || groupedDigits(whole, s[len(s)-3]) {
			s = whole
		}
	}
	if !onlyDigits(s) {
		if !groupedDigits(s, 0) {
			return 0, "import.err.money"
		}
		s = strings.NewReplacer(".", "", ",", "").Replace(s)
	}
	if len(s) > 15 {
		return 0, "import.err.money"
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, "import.err.money"
	}
	return n, ""
}

// groupedDigits reports whether s is digits in groups of three split by one thousands
// separator (. or ,) that is not the decimal separator.
func groupedDigits(s string, decimal byte) bool {
	var sep byte
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == ',' {
			if sep == 0 {
				sep = c
			} else if c != sep {
				return false
			}
		}
	}
	if sep == 0 || sep == decimal {
		return false
	}
	for i, g := range strings.Split(s, string(sep)) {
		if !onlyDigits(g) || (i == 0 && len(g) > 3) || (i > 0 && len(g) != 3) {
			return false
		}
	}
	return true
}

// ParseWhole accepts a whole number ≥ 0.
func ParseWhole(s string) (int64, string) {
	s = strings.TrimSpace(s)
	if !onlyDigits(s) || len(s) > 9 {
		return 0, "import.err.whole"
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n, ""
}

// ParseDate accepts YYYY-MM-DD, DD/MM/YYYY and DD-MM-YYYY.
func ParseDate(s string) (time.Time, string) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006", "02-01-2006", "2/1/2006", "2-1-2006"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1900 && t.Year() <= 2100 {
			return t, ""
		}
	}
	return time.Time{}, "import.err.date"
}

// excelDate turns an Excel serial day number (1900 system) into a date.
func excelDate(serial float64) (time.Time, string) {
	if serial < 1 || serial > 73050 {
		return time.Time{}, "import.err.date"
	}
	// Excel counts from 1899-12-30 once its 1900 leap-year bug is accounted for.
	return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(serial)), ""
}

// ParseYesNo accepts Y/N, 1/0, ya/tidak (any case); empty means not enrolled.
func ParseYesNo(s string) (bool, string) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "1", "ya", "yes":
		return true, ""
	case "n", "0", "tidak", "no", "t", "":
		return false, ""
	}
	return false, "import.err.yes_no"
}

func ParseSkala(s string) (string, string) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "mikro", "kecil", "menengah", "besar":
		return s, ""
	}
	return "", "import.err.skala"
}

func ParseStatus(s string) (string, string) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "aktif", "nonaktif":
		return s, ""
	}
	return "", "import.err.status"
}

func ParseKBLI(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" || (len(s) == 5 && onlyDigits(s)) {
		return s, ""
	}
	return "", "import.err.kbli"
}
