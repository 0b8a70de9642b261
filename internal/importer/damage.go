package importer

import "strings"

// Spreadsheet damage (docs/data-exchange.md): an identifier column that went through a
// spreadsheet as numbers arrives either in scientific notation (1.52895E+12) or, once the
// sheet was saved as a workbook (Excel keeps 15 significant digits; LibreOffice does so in
// XLSX), with its 16-digit values rounded: …2946 becomes …2950. A rounded NIK still has 16
// digits and often a valid date, so no single value can tell; the file as a whole can.

// scientific reports whether s is a number written in scientific notation, as a spreadsheet
// writes a long number it holds as a number: 1.52895E+12, 3,17101E+15, 3.171E15.
func scientific(s string) bool {
	e := strings.IndexAny(s, "eE")
	if e < 1 || e == len(s)-1 {
		return false
	}
	mant, exp := s[:e], s[e+1:]
	if exp[0] == '+' || exp[0] == '-' {
		exp = exp[1:]
	}
	if !onlyDigits(exp) {
		return false
	}
	if i := strings.IndexAny(mant, ".,"); i >= 0 {
		return onlyDigits(mant[:i]) && (i == len(mant)-1 || onlyDigits(mant[i+1:]))
	}
	return onlyDigits(mant)
}

// Thresholds of the rounding check. The last digit of an honest NIK (the end of a serial
// number) or 16-digit NPWP is 0 about one time in ten; after rounding to 15 significant
// digits it is always 0. Over 50 values, a share above one half is not chance: with p = 0.1
// the probability is below 10^-20.
const (
	roundingMinValues = 50
	roundingMaxZeros  = 0.5
)

// roundingWatch counts, per identifier column, the values long enough to be rounded by a
// spreadsheet (16 significant digits or more) and those of them ending in 0.
type roundingWatch struct {
	cols        []string
	long, zeros []int
}

func newRoundingWatch(index map[string]int) *roundingWatch {
	w := &roundingWatch{}
	for _, col := range []string{"nik", "npwp", "kpj"} {
		if _, ok := index[col]; ok {
			w.cols = append(w.cols, col)
		}
	}
	w.long, w.zeros = make([]int, len(w.cols)), make([]int, len(w.cols))
	return w
}

// observe looks at one row's identifiers, valid or not (a rounded NIK may also have become
// invalid: a serial of 0000). A value in scientific notation has lost its digits too, and
// counts as rounded.
func (w *roundingWatch) observe(r *row) {
	for i, col := range w.cols {
		s := strings.TrimLeft(r.cell(col).Text, "0")
		if scientific(s) {
			w.long[i]++
			w.zeros[i]++
			continue
		}
		if len(s) < 16 {
			continue
		}
		digits := 0
		for j := 0; j < len(s); j++ {
			if c := s[j]; c >= '0' && c <= '9' {
				digits++
			} else if c != '.' && c != '-' && c != ' ' {
				digits = -1
				break
			}
		}
		if digits < 16 {
			continue
		}
		w.long[i]++
		if s[len(s)-1] == '0' {
			w.zeros[i]++
		}
	}
}

// rounded names the first column whose values show the rounding pattern, or "".
func (w *roundingWatch) rounded() string {
	for i, col := range w.cols {
		if w.long[i] >= roundingMinValues && float64(w.zeros[i]) > roundingMaxZeros*float64(w.long[i]) {
			return col
		}
	}
	return ""
}
