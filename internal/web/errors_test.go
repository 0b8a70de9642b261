package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"patuh/internal/i18n"
)

// engineLoggingTo is a bare engine with the request id and the Indonesian localizer that the
// error answers need, and the default logger writing into the returned buffer until the test ends.
func engineLoggingTo(t *testing.T) (*gin.Engine, *bytes.Buffer) {
	t.Helper()
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := &bytes.Buffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(log, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(requestID, func(c *gin.Context) { c.Set(localizerKey, bundle.For("id")) })
	return e, log
}

// A request whose client has gone is not a server fault: no 500, no error line in the log.
// A query cut by our own deadline is an overload, answered 503 with Retry-After.
func TestErrorsOfCancelledAndTimedOutRequests(t *testing.T) {
	e, log := engineLoggingTo(t)
	e.GET("/api/v1/gone", func(c *gin.Context) { Error(c, fmt.Errorf("store: %w", context.Canceled)) })
	e.GET("/api/v1/slow", func(c *gin.Context) { Error(c, fmt.Errorf("store: %w", context.DeadlineExceeded)) })

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/gone", nil).WithContext(ctx))
	if rec.Code != statusClientClosed {
		t.Errorf("client gone: status %d, want %d", rec.Code, statusClientClosed)
	}
	if log.Len() != 0 {
		t.Errorf("client gone was logged as an error: %s", log.String())
	}

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/slow", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("deadline: status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
}

// A download that fails is never mistaken for a complete file: before its first byte it is an
// error answer of its own type (no attachment header); after, it is logged once with the
// request id and the connection is cut, so the client's read fails.
func TestDownloadThatFails(t *testing.T) {
	e, log := engineLoggingTo(t)
	rows := func(sent int) func(add func([]any) error) error {
		return func(add func([]any) error) error {
			for i := range sent {
				if err := add([]any{i, strings.Repeat("x", 100)}); err != nil {
					return err
				}
			}
			return errors.New("store: the database went away")
		}
	}
	for _, path := range []string{"/api/v1/early", "/api/v1/late"} {
		sent := 0
		if path == "/api/v1/late" {
			sent = 1000 // beyond csv.Writer's buffer: bytes are on the wire
		}
		e.GET(path, func(c *gin.Context) {
			if err := Export(c, "csv", "test", []string{"n", "text"}, rows(sent)); err != nil {
				StreamFailed(c, err)
			}
		})
	}
	srv := httptest.NewServer(e)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/api/v1/early")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	if err = errors.Join(err, res.Body.Close()); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 500 || res.Header.Get("Content-Disposition") != "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("failed before the first byte: %d, %q, %q; want a 500 in JSON, not an attachment",
			res.StatusCode, res.Header.Get("Content-Disposition"), res.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(body), `"code":"internal"`) {
		t.Errorf("failed before the first byte: body %s", body)
	}

	log.Reset()
	res, err = http.Get(srv.URL + "/api/v1/late")
	if err != nil {
		t.Fatal(err)
	}
	_, readErr := io.ReadAll(res.Body)
	if err := res.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || readErr == nil {
		t.Errorf("failed after the first byte: status %d, read error %v; want the body cut short", res.StatusCode, readErr)
	}
	if n := strings.Count(log.String(), "download cut short"); n != 1 || !strings.Contains(log.String(), "request_id=") ||
		!strings.Contains(log.String(), "the database went away") {
		t.Errorf("want the failure logged once with the request id, got: %s", log.String())
	}
}
