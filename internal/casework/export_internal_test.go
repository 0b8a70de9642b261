package casework

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// An export that fails once the file is on its way cannot change its status any more: the
// failure is logged, once, with the request id, and nothing is appended to the file.
func TestExportFailureAfterTheFirstBytesIsLogged(t *testing.T) {
	var log bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest("GET", "/cases/export/csv", nil)
	if _, err := c.Writer.WriteString("kasus,pemberi_kerja\n1,PT A\n"); err != nil {
		t.Fatal(err)
	}
	exportFailed(c, errors.New("casework: export cases: connection reset"))
	if got := log.String(); strings.Count(got, "export failed") != 1 || !strings.Contains(got, "request_id=") ||
		!strings.Contains(got, "connection reset") {
		t.Fatalf("log: %q", got)
	}
	if body := rec.Body.String(); body != "kasus,pemberi_kerja\n1,PT A\n" || !c.IsAborted() {
		t.Fatalf("the file after the failure: %q (aborted %v)", body, c.IsAborted())
	}
}
