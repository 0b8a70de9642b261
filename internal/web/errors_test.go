package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"patuh/internal/i18n"
)

// A request whose client has gone is not a server fault: no 500, no error line in the log.
// A query cut by our own deadline is an overload, answered 503 with Retry-After.
func TestErrorsOfCancelledAndTimedOutRequests(t *testing.T) {
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(func(c *gin.Context) { c.Set(localizerKey, bundle.For("id")) })
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
