package web

import (
	"context"
	"database/sql/driver"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/lib/pq"

	"patuh/internal/apperr"
)

var (
	errNotFound = apperr.New(apperr.NotFound, "error.not_found")
	errMethod   = apperr.New(apperr.MethodNotAllowed, "error.method")
	errPanic    = apperr.New(apperr.Internal, "error.internal")
)

// statusClientClosed is nginx's code for a request whose client left before the answer.
const statusClientClosed = 499

var statusOf = map[apperr.Code]int{
	apperr.Invalid:          http.StatusUnprocessableEntity,
	apperr.NotFound:         http.StatusNotFound,
	apperr.Conflict:         http.StatusConflict,
	apperr.Forbidden:        http.StatusForbidden,
	apperr.Internal:         http.StatusInternalServerError,
	apperr.Unauthorized:     http.StatusUnauthorized,
	apperr.TooManyRequests:  http.StatusTooManyRequests,
	apperr.Unavailable:      http.StatusServiceUnavailable,
	apperr.TooLarge:         http.StatusRequestEntityTooLarge,
	apperr.UnsupportedMedia: http.StatusUnsupportedMediaType,
	apperr.Malformed:        http.StatusBadRequest,
	apperr.MethodNotAllowed: http.StatusMethodNotAllowed,
}

// Status is the HTTP status of an error code, for a handler that answers a refused form with
// its page again rather than with the error page.
func Status(code apperr.Code) int { return statusOf[code] }

// IsAPI reports whether the request belongs to the JSON API.
func IsAPI(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/api/") }

// wantsJSON is true for the pages' own script calls (the offline app's photo uploads), which
// read the error's message to show it next to the file.
func wantsJSON(c *gin.Context) bool {
	return strings.HasPrefix(c.GetHeader("Accept"), "application/json")
}

// Error is the one place an error becomes a response: JSON for the API, a page otherwise.
// Only internal errors are logged, with the request id that the page shows; their text never
// reaches the user.
func Error(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The client went away (closed the tab, timed out): nobody reads an answer, and it is
		// not a server fault to log as one. 499 is the usual mark for it in access logs.
		c.AbortWithStatus(statusClientClosed)
		return
	}
	e, ok := apperr.As(err)
	if !ok {
		if databaseDown(err) || errors.Is(err, context.DeadlineExceeded) {
			e = &apperr.Error{Code: apperr.Unavailable, Message: "error.unavailable", Err: err}
		} else {
			e = &apperr.Error{Code: apperr.Internal, Message: "error.internal", Err: err}
		}
	}
	status := statusOf[e.Code]
	if status >= 500 {
		slog.ErrorContext(c.Request.Context(), "request failed", "request_id", RequestID(c),
			"route", c.FullPath(), "code", e.Code, "err", e.Error())
	}
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "5")
	}
	loc := Localizer(c)
	if IsAPI(c) || wantsJSON(c) {
		body := gin.H{"code": string(e.Code), "message": loc.T(e.Message)}
		if len(e.Fields) > 0 {
			fields := map[string]string{}
			for f, m := range e.Fields {
				fields[f] = loc.T(m)
			}
			body["fields"] = fields
		}
		if e.Current != nil {
			body["current"] = e.Current
		}
		c.AbortWithStatusJSON(status, gin.H{"error": body})
		return
	}
	HTML(c, status, "errors/error", gin.H{"Status": status, "Message": e.Message})
	c.Abort()
}

// LogFailure logs, once and with the request id, an error that does not become the response: a
// part of a page that could not be computed while the rest is still worth showing.
func LogFailure(c *gin.Context, what string, err error) {
	slog.ErrorContext(c.Request.Context(), what, "request_id", RequestID(c), "route", c.FullPath(), "err", err)
}

// StreamFailed answers an error met while writing a download. Before the first byte is sent it
// is an ordinary error response. After, it is logged once with the request id and the
// connection is cut, so that the client sees a failed download rather than a short file that
// looks complete (net/http aborts on http.ErrAbortHandler without logging it again).
func StreamFailed(c *gin.Context, err error) {
	if !c.Writer.Written() {
		// Not a file after all: the error goes out as a page or JSON of its own type.
		c.Writer.Header().Del("Content-Disposition")
		c.Writer.Header().Del("Content-Type")
		Error(c, err)
		return
	}
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		c.Abort() // the client went away: nobody is left to tell
		return
	}
	LogFailure(c, "download cut short", err)
	panic(http.ErrAbortHandler)
}

// SessionStoreFailed answers a request whose session could not be loaded or saved (scs calls it
// before the gin engine runs, so neither the error page nor the user's language is at hand).
// Without it scs answers a bare 500 while PostgreSQL restarts.
func SessionStoreFailed(w http.ResponseWriter, r *http.Request, err error) {
	setSecurityHeaders(w.Header())
	status, text := http.StatusInternalServerError, "Terjadi kesalahan. / Something went wrong."
	if databaseDown(err) {
		status, text = http.StatusServiceUnavailable,
			"Layanan sedang tidak tersedia; coba lagi sebentar lagi. / The service is unavailable; try again shortly."
		w.Header().Set("Retry-After", "5")
	}
	slog.ErrorContext(r.Context(), "session store failed", "status", status, "err", err)
	http.Error(w, text, status)
}

// databaseDown recognises a lost or refused database connection, which deserves a 503 and a
// retry rather than a 500.
func databaseDown(err error) bool {
	var netErr net.Error
	var pqErr *pq.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.As(err, &netErr):
		return true
	case errors.As(err, &pqErr):
		// 57P01..57P03: the server is shutting down or starting; 08xxx: connection exceptions.
		return strings.HasPrefix(string(pqErr.Code), "57P") || strings.HasPrefix(string(pqErr.Code), "08")
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
