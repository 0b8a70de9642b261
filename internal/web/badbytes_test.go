package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/i18n"
)

func TestCleanQuery(t *testing.T) {
	for q, want := range map[string]bool{"": true, "a=1&b=caf%C3%A9": true, "a=1;b=2": true, "flag=PWBD&flag=PDS_TK": true,
		"a=%FF": false, "a=%00": false, "%00=1": false, "a=%zz": false, "a=1%": false, "a=%C3%28": false} {
		if got := cleanQuery(q); got != want {
			t.Errorf("cleanQuery(%q) = %v, want %v", q, got, want)
		}
	}
}

// DecodeJSON: 413 beyond the limit, 400 for invalid UTF-8 or a NUL (escaped or not), 415 for
// another media type; clean JSON decodes.
func TestDecodeJSON(t *testing.T) {
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(func(c *gin.Context) { c.Set(localizerKey, bundle.For("id")) })
	e.POST("/api/v1/x", func(c *gin.Context) {
		var v struct{ Note string }
		if err := DecodeJSON(c, &v); err != nil {
			Error(c, err)
			return
		}
		c.String(http.StatusOK, v.Note)
	})
	for _, tc := range []struct {
		body, ctype string
		status      int
		code        apperr.Code
	}{
		{`{"Note": "café"}`, "application/json", 200, ""},
		{`{"Note": "a\u0000b"}`, "application/json", 400, apperr.Malformed},
		{`{"a\u0000": 1}`, "application/json", 400, apperr.Malformed},
		{`{"Note": ["x", {"y": "\u0000"}]}`, "application/json", 400, apperr.Malformed},
		{"{\"Note\": \"\xff\"}", "application/json", 400, apperr.Malformed},
		{`{"Note": "a\\u0000b"}`, "application/json", 200, ""}, // a backslash, then text
		{`{"Note": "x"} trailing`, "application/json", 400, apperr.Malformed},
		{`{"Note": "` + strings.Repeat("a", MaxJSONBody) + `"}`, "application/json", 413, apperr.TooLarge},
		{`{"Note": "x"}`, "text/plain", 415, apperr.UnsupportedMedia},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.ctype)
		e.ServeHTTP(rec, req)
		if rec.Code != tc.status || (tc.code != "" && !strings.Contains(rec.Body.String(), `"code":"`+string(tc.code)+`"`)) {
			t.Errorf("%.40q: %d %.100s, want %d %s", tc.body, rec.Code, rec.Body.String(), tc.status, tc.code)
		}
	}
}
