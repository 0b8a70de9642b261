package web

// SafeCell neutralises a value that a spreadsheet would run as a formula (=, +, -, @, tab, CR)
// by prefixing an apostrophe, so an exported file cannot attack the person who opens it.
func SafeCell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
