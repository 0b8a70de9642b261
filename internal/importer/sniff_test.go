package importer

import (
	"strings"
	"testing"
)

// An upload is told by its content (docs/api.md: 415 for a wrong media type): a PDF or any
// other binary file is refused at once, before it is queued, whatever its name.
func TestSniffFormat(t *testing.T) {
	for head, want := range map[string][2]string{
		"nib,nama\n2100000000001,Baik\n":           {"csv", ""},
		"\xEF\xBB\xBFNIB;Nama\r\n":                 {"csv", ""},
		"nib,nama\n2100000000002,Caf\xe9\n":        {"csv", ""}, // Latin-1: refused later, with its line
		"PK\x03\x04rest":                           {"xlsx", ""},
		"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest":     {"", "import.file.xls"},
		"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n":            {"", "import.file.pdf"},
		"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR":      {"", "import.file.not_csv"},
		"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00":         {"", "import.file.not_csv"},
		"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03": {"", "import.file.not_csv"},
		"nib\x00nama\x00":                          {"", "import.file.not_csv"},
	} {
		if format, msg := sniffFormat([]byte(head)); format != want[0] || msg != want[1] {
			t.Errorf("%q: %q %q, want %q %q", head, format, msg, want[0], want[1])
		}
	}
	// The whole head is read: text that turns binary within the first 512 bytes is refused.
	if _, msg := sniffFormat([]byte(strings.Repeat("a,b\n", 100) + "\x00")); msg != "import.file.not_csv" {
		t.Errorf("NUL at byte 400: %q", msg)
	}
}
