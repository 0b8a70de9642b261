package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"patuh/internal/app"
	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
)

// The outlines and the history through the API, scoped to the caller's area.
func TestBoundariesAndHistoryAPI(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	features := func(username, query string) []string {
		t.Helper()
		res, body := c.do("GET", "/api/v1/regions/boundaries?"+query, nil, map[string]string{"Authorization": "Bearer " + token(t, username)})
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("boundaries %s: %d %s", query, res.StatusCode, res.Header.Get("Content-Type"))
		}
		var fc struct {
			Attribution string
			Features    []struct {
				Properties struct{ Kode, Nama string }
				Geometry   struct{ Type string }
			}
		}
		if err := json.Unmarshal([]byte(body), &fc); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(fc.Attribution, "CC BY-IGO") {
			t.Errorf("no attribution: %q", fc.Attribution)
		}
		var out []string
		for _, f := range fc.Features {
			if f.Properties.Nama == "" || f.Geometry.Type == "" {
				t.Errorf("feature without nama or geometry: %+v", f)
			}
			out = append(out, f.Properties.Kode)
		}
		return out
	}
	all, timur := addUser(t, auth.Inspector, ""), addUser(t, auth.Inspector, "31.75")
	if n := len(features(all, "level=kelurahan")); n != 267 {
		t.Errorf("all Jakarta: %d kelurahan, want 267", n)
	}
	if n := len(features(all, "level=kota")); n != 6 {
		t.Errorf("%d kota, want 6", n)
	}
	for _, k := range features(timur, "level=kelurahan") {
		if !strings.HasPrefix(k, "31.75.") {
			t.Errorf("Jakarta Timur's inspector got %s", k)
		}
	}
	if n := len(features(timur, "level=kecamatan")); n != count(t, `SELECT count(*) FROM regions WHERE level = 'kecamatan' AND kode LIKE '31.75.%'`) {
		t.Errorf("Jakarta Timur: %d kecamatan", n)
	}
	// Asked for, the outlines travel gzipped.
	res, zipped := c.do("GET", "/api/v1/regions/boundaries?level=kelurahan", nil,
		map[string]string{"Authorization": "Bearer " + token(t, all), "Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" || len(zipped) > 100_000 {
		t.Errorf("boundaries not gzipped: %q, %d bytes", res.Header.Get("Content-Encoding"), len(zipped))
	}
	res, body := c.do("GET", "/api/v1/stats/history", nil, map[string]string{"Authorization": "Bearer " + token(t, all)})
	var h struct {
		Year   int
		Target int64
		Items  []struct{ Residents int64 }
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &h) != nil || h.Year < 2026 || h.Target == 0 || len(h.Items) == 0 {
		t.Errorf("history: %d %s", res.StatusCode, body)
	}
}

// PATUH_MAP_TILES adds the tile layer and its origin, and only it, to the images pages may load.
func TestMapTilesInTheCSP(t *testing.T) {
	cfg := testConfig(t)
	cfg.MapTiles = "https://tiles.example.go.id/{z}/{x}/{y}.png"
	a, err := app.New(cfg, dbtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, serverFor(t, a))
	c.login(addUser(t, auth.Inspector, "31.75"), password)
	res, body := c.do("GET", "/dashboard", nil, nil)
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != http.StatusOK || !strings.Contains(csp, "img-src 'self' data: blob: https://tiles.example.go.id;") ||
		!strings.Contains(csp, "script-src 'self';") {
		t.Errorf("dashboard with tiles: %d, CSP %q", res.StatusCode, csp)
	}
	if !strings.Contains(body, `tiles.example.go.id`) {
		t.Error("the map's data lacks the tile URL")
	}
	plain := newClient(t, server(t))
	res, _ = plain.do("GET", "/login", nil, nil)
	if strings.Contains(res.Header.Get("Content-Security-Policy"), "example") {
		t.Errorf("CSP without tiles: %q", res.Header.Get("Content-Security-Policy"))
	}
}
