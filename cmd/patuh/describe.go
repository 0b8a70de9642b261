package main

import (
	"patuh/internal/apperr"
	"patuh/internal/i18n"
)

// apperrFields renders per-field messages in English for the terminal.
func apperrFields(err error) (map[string]string, bool) {
	e, ok := apperr.As(err)
	if !ok {
		return nil, false
	}
	b, lerr := i18n.Load()
	if lerr != nil {
		return nil, false
	}
	loc := b.For("en")
	out := map[string]string{}
	for f, m := range e.Fields {
		out[f] = loc.T(m)
	}
	if len(out) == 0 {
		out["error"] = loc.T(e.Message)
	}
	return out, true
}
