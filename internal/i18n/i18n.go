// Package i18n holds Patuh's texts in Bahasa Indonesia (the default) and English.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Each language has its main file, locales/<lang>.json, and may have more in locales/<lang>/,
// one per feature, so that features add their texts without touching each other's files.
//
//go:embed locales
var localeFS embed.FS

// Languages lists the supported languages, the default first.
var Languages = []string{"id", "en"}

// Bundle holds every message of every language.
type Bundle struct {
	b   *goi18n.Bundle
	ids map[string][]string // language -> message ids, for the completeness test
}

func Load() (*Bundle, error) {
	b := goi18n.NewBundle(language.Indonesian)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	ids := map[string][]string{}
	for _, lang := range Languages {
		files, err := fs.Glob(localeFS, "locales/"+lang+"/*.json")
		if err != nil {
			return nil, err
		}
		for _, name := range append([]string{"locales/" + lang + ".json"}, files...) {
			data, err := localeFS.ReadFile(name)
			if err != nil {
				return nil, err
			}
			// go-i18n takes the language from the file name: every file of a language is
			// parsed as <lang>.json.
			if _, err := b.ParseMessageFileBytes(data, lang+".json"); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", name, err)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", name, err)
			}
			for id := range m {
				ids[lang] = append(ids[lang], id)
			}
		}
	}
	return &Bundle{b: b, ids: ids}, nil
}

// MessageIDs returns the ids defined for a language.
func (b *Bundle) MessageIDs(lang string) []string { return b.ids[lang] }

// Localizer translates into one language.
type Localizer struct {
	Lang string
	l    *goi18n.Localizer
}

// For returns the localizer of a supported language, the default for anything else.
func (b *Bundle) For(lang string) *Localizer {
	lang = Normalize(lang)
	return &Localizer{Lang: lang, l: goi18n.NewLocalizer(b.b, lang)}
}

// Normalize maps a requested language to a supported one.
func Normalize(lang string) string {
	if i := strings.IndexAny(lang, ",;"); i >= 0 {
		lang = lang[:i] // the first of an Accept-Language list
	}
	lang = strings.ToLower(strings.TrimSpace(lang))
	for _, l := range Languages {
		if lang == l || strings.HasPrefix(lang, l+"-") {
			return l
		}
	}
	return Languages[0]
}

// T translates id; pairs are template data as key, value, key, value.
// A missing id shows itself, so a gap is visible on the page and caught by the tests.
func (l *Localizer) T(id string, pairs ...any) string {
	var data map[string]any
	if len(pairs) > 0 {
		data = make(map[string]any, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			data[fmt.Sprint(pairs[i])] = pairs[i+1]
		}
	}
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}
