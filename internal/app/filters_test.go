package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"patuh/internal/auth"
)

// Issue 16: the area filter takes a name or a code, the assignee filter a person's name, and a
// filter that names nothing shows its error and no list.
func TestFiltersByNameAndRefusedFilters(t *testing.T) {
	caseID, inspector := fieldCase(t)
	srv := server(t)
	c := newClient(t, srv)
	c.login(addUser(t, auth.Supervisor, "31.75"), password)

	for _, area := range []string{"Matraman", "matraman", "31.75.01", "Matraman (31.75.01)"} {
		res, body := c.do("GET", "/employers?area="+url.QueryEscape(area), nil, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `table class="list employers"`) {
			t.Fatalf("area %q: %d", area, res.StatusCode)
		}
		if strings.Contains(body, `href="/employers?area=31.75.02.`) {
			t.Fatalf("area %q lists employers outside Matraman", area)
		}
	}
	res, body := c.do("GET", "/employers?area=Gambir", nil, nil) // Jakarta Pusat: not this supervisor's area
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-area"`) || strings.Contains(body, `table class="list employers"`) {
		t.Fatalf("an area outside the user's: %d", res.StatusCode)
	}
	if !strings.Contains(body, `<datalist id="area-suggestions">`) || !strings.Contains(body, `value="Matraman (31.75.01)"`) {
		t.Error("no area suggestions")
	}

	// The test inspector's name is "Test inspector": part of it finds their case.
	res, body = c.do("GET", "/cases?assignee="+url.QueryEscape("test insp"), nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/cases/`+itoa(caseID)+`"`) {
		t.Fatalf("assignee by name: %d", res.StatusCode)
	}
	res, _ = c.do("GET", "/cases?assignee="+inspector+"&area=Matraman", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("assignee by username and area by name: %d", res.StatusCode)
	}
	res, body = c.do("GET", "/cases?assignee=nobody-by-that-name", nil, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-assignee"`) || strings.Contains(body, `id="case-list"`) {
		t.Fatalf("an unknown assignee: %d", res.StatusCode)
	}
	res, body = c.do("GET", "/cases?area=atlantis", nil, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-area"`) || strings.Contains(body, `id="case-list"`) {
		t.Fatalf("an unknown area on the case list: %d", res.StatusCode)
	}
}
