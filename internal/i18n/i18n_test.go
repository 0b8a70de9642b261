package i18n_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"patuh/internal/i18n"
	"patuh/templates"
)

// TestEveryMessageInBothLanguages fails on an id that one language has and the other lacks,
// and on an id used by a template or by Go code that neither has.
func TestEveryMessageInBothLanguages(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]map[string]bool{}
	for _, lang := range i18n.Languages {
		have[lang] = map[string]bool{}
		for _, id := range b.MessageIDs(lang) {
			have[lang][id] = true
		}
	}
	for _, a := range i18n.Languages {
		for _, z := range i18n.Languages {
			for id := range have[a] {
				if !have[z][id] {
					t.Errorf("%q is in %s but not in %s", id, a, z)
				}
			}
		}
	}
	for _, id := range usedIDs(t) {
		if !have["id"][id] {
			t.Errorf("%q is used but has no translation", id)
		}
	}
}

var (
	templateID = regexp.MustCompile(`\{\{-?\s*t\s+"([a-z_]+\.[a-z0-9_.]+)"`)
	goID       = regexp.MustCompile(`"((?:error|login|user|nav|home|regions|level|role|area|import|employer|flag|case|dashboard)\.[a-z0-9_.]+)"`)
)

func usedIDs(t *testing.T) []string {
	seen := map[string]bool{}
	if err := fs.WalkDir(templates.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(templates.FS, p)
			for _, m := range templateID.FindAllStringSubmatch(string(b), -1) {
				seen[m[1]] = true
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			b, _ := os.ReadFile(p)
			for _, m := range goID.FindAllStringSubmatch(string(b), -1) {
				seen[m[1]] = true
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	if len(out) < 20 {
		t.Fatalf("found only %d message ids in use; the scan is broken", len(out))
	}
	return out
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"": "id", "en": "en", "en-US": "en", "fr": "id", "ID": "id"} {
		if got := i18n.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
