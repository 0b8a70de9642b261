package letters

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultNumberFormat is used while an admin has set none (setting letter_number_format).
const DefaultNumberFormat = "{seq}/{kind}/{office}/{month}/{year}"

// KindCodes are the short codes of the letters in their numbers.
var KindCodes = map[string]string{"teguran_1": "TEG-I", "teguran_2": "TEG-II", "nota_1": "NP-I"}

var romans = [12]string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}

// Roman writes a month as the agencies' numbers do: XII for December.
func Roman(m time.Month) string { return romans[m-1] }

// Number writes a letter's number from an admin's format. Placeholders: {seq} (the sequence of
// the office and year; {seq:3} pads it to 3 digits: 007), {kind} (TEG-I, TEG-II, NP-I),
// {office}, {month} (Roman: XII), {mm} (12), {year} (2026). Anything else is kept as written,
// e.g. "B/{seq}/{kind}/KC.DKI/{month}/{year}" → B/7/TEG-I/KC.DKI/XII/2026.
func Number(format string, seq int, kind, office string, on time.Time) string {
	if strings.TrimSpace(format) == "" {
		format = DefaultNumberFormat
	}
	var b strings.Builder
	for len(format) > 0 {
		open := strings.IndexByte(format, '{')
		if open < 0 {
			b.WriteString(format)
			break
		}
		end := strings.IndexByte(format[open:], '}')
		if end < 0 {
			b.WriteString(format)
			break
		}
		b.WriteString(format[:open])
		name, arg, _ := strings.Cut(format[open+1:open+end], ":")
		switch name {
		case "seq":
			width, _ := strconv.Atoi(arg)
			fmt.Fprintf(&b, "%0*d", max(width, 1), seq)
		case "kind":
			code := KindCodes[kind]
			if code == "" {
				code = strings.ToUpper(kind)
			}
			b.WriteString(code)
		case "office":
			b.WriteString(office)
		case "month":
			b.WriteString(Roman(on.Month()))
		case "mm":
			fmt.Fprintf(&b, "%02d", int(on.Month()))
		case "year":
			fmt.Fprint(&b, on.Year())
		default:
			b.WriteString(format[open : open+end+1])
		}
		format = format[open+end+1:]
	}
	return b.String()
}

// CheckNumberFormat refuses a format without {seq} (two letters would share a number) or with
// an unknown placeholder.
func CheckNumberFormat(format string) error {
	if !strings.Contains(format, "{seq") {
		return fmt.Errorf("letters: the number format needs {seq}")
	}
	rest := format
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			return nil
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return fmt.Errorf("letters: unclosed placeholder in %q", format)
		}
		name, _, _ := strings.Cut(rest[open+1:open+end], ":")
		switch name {
		case "seq", "kind", "office", "month", "mm", "year":
		default:
			return fmt.Errorf("letters: unknown placeholder {%s}", name)
		}
		rest = rest[open+end+1:]
	}
}
