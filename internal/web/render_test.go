package web

import (
	"html/template"
	"strings"
	"testing"
)

// A page lowers typed codes (flags.Code, a named string) for its CSS classes and message ids.
func TestLowerTakesNamedStrings(t *testing.T) {
	type code string
	tpl := template.Must(template.New("t").Funcs(funcs(nil)).Parse(`{{lower .Code}} {{lower .Text}}`))
	var b strings.Builder
	if err := tpl.Execute(&b, map[string]any{"Code": code("PDS_TK"), "Text": "PWBD"}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "pds_tk pwbd" {
		t.Fatalf("got %q", b.String())
	}
	if err := tpl.Execute(&b, map[string]any{"Code": 1, "Text": ""}); err == nil {
		t.Fatal("lower of a number: no error")
	}
}
