package app_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"

	"patuh/internal/app"
	"patuh/internal/db/dbtest"
)

// The contract (docs/api.md, served as openapi.json): every route the router serves under
// /api/v1 is in the document and the reverse (TestOpenAPIListsEveryRoute), and every response
// an API test receives through client.send is validated against the document's schemas.

var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// openAPI loads and checks the document once for the package.
func openAPI(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	if err := loadContract(); err != nil {
		t.Fatal(err)
	}
	return contract.doc, contract.router
}

// loadContract reads the document; safe from any goroutine (it never stops the test itself).
func loadContract() error {
	contract.once.Do(func() {
		// The files and PDFs the API serves are checked for their media type, not decoded.
		for _, ct := range []string{"text/csv", "application/pdf", "image/jpeg", "image/png"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		}
		data, err := os.ReadFile("openapi.json")
		if err != nil {
			contract.err = err
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(data)
		if err != nil {
			contract.err = fmt.Errorf("openapi.json: %w", err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			contract.err = fmt.Errorf("openapi.json is not valid OpenAPI 3: %w", err)
			return
		}
		contract.doc = doc
		contract.router, contract.err = gorillamux.NewRouter(doc)
	})
	return contract.err
}

// checkResponse validates one API response against the document: its route must be
// documented, and its status, media type and body must be what the document says.
func checkResponse(req *http.Request, status int, header http.Header, body []byte) error {
	if err := loadContract(); err != nil {
		return err
	}
	route, params, err := contract.router.FindRoute(req)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed || status == http.StatusBadRequest {
			return nil // no such route or method, or a URL the server refused before routing
		}
		return fmt.Errorf("%s %s answered %d but is not in openapi.json: %v", req.Method, req.URL.Path, status, err)
	}
	reqIn := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	// A request the server accepted must be one the document allows: the document is not
	// stricter, or otherwise different, than the server on what it takes.
	if status < 300 {
		sent := req.Clone(context.Background())
		if req.GetBody != nil {
			if sent.Body, err = req.GetBody(); err != nil {
				return err
			}
		}
		reqIn.Request = sent
		if err := openapi3filter.ValidateRequest(context.Background(), reqIn); err != nil {
			return fmt.Errorf("%s %s was accepted (%d) but breaks openapi.json's request: %v", req.Method, req.URL.RequestURI(), status, err)
		}
		reqIn.Request = req
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqIn,
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if header.Get("Content-Encoding") == "gzip" { // the region outlines come gzipped
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("%s %s: gzip: %v", req.Method, req.URL.RequestURI(), err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			return fmt.Errorf("%s %s: gzip: %v", req.Method, req.URL.RequestURI(), err)
		}
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s → %d breaks openapi.json: %v\n%.600s", req.Method, req.URL.RequestURI(), status, err, body)
	}
	return nil
}

// validateAPI is what client.send (and the fault tests' own clients) call for every /api/v1
// response of the tests.
func validateAPI(t *testing.T, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return
	}
	if err := checkResponse(req, res.StatusCode, res.Header, body); err != nil {
		t.Error(err)
	}
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// routeDiff compares the router's /api/v1 routes with the document's operations.
func routeDiff(routes gin.RoutesInfo, doc *openapi3.T) (undocumented, unserved []string) {
	served := map[string]bool{}
	for _, r := range routes {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			served[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
		}
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for k := range served {
		if !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if !served[k] {
			unserved = append(unserved, k)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unserved)
	return undocumented, unserved
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	doc, _ := openAPI(t)
	a, err := app.New(testConfig(t), dbtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	undocumented, unserved := routeDiff(a.Routes, doc)
	if len(undocumented) > 0 {
		t.Errorf("served under /api/v1 but not in openapi.json: %v", undocumented)
	}
	if len(unserved) > 0 {
		t.Errorf("in openapi.json but not served: %v", unserved)
	}
	// The comparison itself notices a route added without its documentation.
	extra := append(slices.Clone(a.Routes), gin.RouteInfo{Method: "GET", Path: "/api/v1/cases/:id/secret"})
	if u, _ := routeDiff(extra, doc); !slices.Equal(u, []string{"GET /api/v1/cases/{id}/secret"}) {
		t.Errorf("an undocumented route went unnoticed: %v", u)
	}
	// Every operation has its operationId (the lint checks it too, in make check).
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
		}
	}
	if len(doc.Servers) == 0 {
		t.Error("openapi.json names no servers")
	}
}

// TestOpenAPIRefusesWhatBreaksTheSchema: the response check is not a formality.
func TestOpenAPIRefusesWhatBreaksTheSchema(t *testing.T) {
	openAPI(t)
	req := func(path string) *http.Request {
		r, _ := http.NewRequest("GET", "http://patuh.test"+path, nil)
		return r
	}
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	good := `{"items": [], "next_cursor": "", "flags_settled_at": null, "flags_current": true}`
	if err := checkResponse(req("/api/v1/employers"), 200, json, []byte(good)); err != nil {
		t.Fatalf("a good list refused: %v", err)
	}
	for name, c := range map[string]struct {
		path   string
		status int
		body   string
	}{
		"visits null":           {"/api/v1/cases", 200, `{"items": [{"id": 1, "employer_id": 2, "status": "open", "assignee": null, "flags_at_open": [], "outcome": null, "recovered_workers": 0, "version": 1, "opened_at": "2026-12-01T00:00:00Z", "closed_at": null, "visits": null}], "next_cursor": ""}`},
		"id a string":           {"/api/v1/employers", 200, `{"items": [{"id": "7"}], "next_cursor": ""}`},
		"next_cursor missing":   {"/api/v1/cases", 200, `{"items": []}`},
		"unknown status":        {"/api/v1/imports/1", 200, `{"id": 1, "kind": "employers", "status": "done", "sha256": "x"}`},
		"error without code":    {"/api/v1/cases/1", 404, `{"error": {"message": "x"}}`},
		"undocumented route":    {"/api/v1/cases/1/secret", 200, `{}`},
		"a flag without detail": {"/api/v1/employers", 200, `{"items": [{"id": 1, "nib": null, "npwp": null, "npps": [], "nama": "A", "kode_kelurahan": null, "skala": null, "jumlah_pekerja": null, "active_participants": 0, "flags": [{"code": "PWBD", "workers": 1, "shortfall_rp": 0}], "shortfall_rp": 0, "open_case_id": null, "flags_computed_at": "2026-12-01T00:00:00Z"}], "next_cursor": ""}`},
	} {
		if err := checkResponse(req(c.path), c.status, json, []byte(c.body)); err == nil {
			t.Errorf("%s: passed the schema", name)
		}
	}
	csv := http.Header{"Content-Type": {"text/html"}}
	if err := checkResponse(req("/api/v1/imports/1/errors.csv"), 200, csv, []byte("<p>")); err == nil {
		t.Error("errors.csv answered as HTML passed")
	}
}
