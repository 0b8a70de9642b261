package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
)

// ErrBadBytes refuses text that is not UTF-8 or holds a NUL: PostgreSQL stores neither in a
// text column, so such a value would otherwise surface as a 500 from the first query that
// carries it (docs/api.md: "UTF-8"; 400 malformed).
var ErrBadBytes = apperr.New(apperr.Malformed, "error.bad_bytes")

var (
	errBodyTooLarge = apperr.New(apperr.TooLarge, "error.body_too_large")
	errJSON         = apperr.New(apperr.Malformed, "error.json_malformed")
	errJSONType     = apperr.New(apperr.UnsupportedMedia, "error.json_expected")
	errMultipart    = apperr.New(apperr.Malformed, "error.multipart_malformed")
)

// Limits of what the edge reads into memory to check it.
const (
	maxFormBytes         = 10 << 20 // an url-encoded form (net/http's own default)
	maxCheckedMultipart  = 1 << 20  // a multipart body checked here; larger ones are uploads, checked by their handlers
	maxMultipartFieldLen = 1 << 20  // one non-file field of a multipart body
	MaxJSONBody          = 1 << 20  // a JSON request body (docs/api.md: 413 beyond)
)

// CleanText reports whether s is UTF-8 without a NUL byte.
func CleanText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func cleanValues(v url.Values) bool {
	for k, vs := range v {
		if !CleanText(k) {
			return false
		}
		for _, s := range vs {
			if !CleanText(s) {
				return false
			}
		}
	}
	return true
}

// CleanMultipart reports whether every field name and value and every file name of a parsed
// multipart form is clean text; the files' contents are the handlers' to judge.
func CleanMultipart(f *multipart.Form) bool {
	if f == nil {
		return true
	}
	if !cleanValues(f.Value) {
		return false
	}
	for name, files := range f.File {
		if !CleanText(name) {
			return false
		}
		for _, fh := range files {
			if !CleanText(fh.Filename) {
				return false
			}
		}
	}
	return true
}

// rejectBadBytes refuses, before any handler runs, a request whose path, query or form holds
// invalid UTF-8 or a NUL, or whose query's percent-encoding is broken. Multipart bodies up to
// maxCheckedMultipart are checked here and handed on untouched; larger ones are file uploads,
// which their handlers stream and check with CleanText.
func rejectBadBytes(c *gin.Context) {
	if err := checkRequest(c); err != nil {
		Error(c, err)
		return
	}
	c.Next()
}

func checkRequest(c *gin.Context) error {
	r := c.Request
	if !CleanText(r.URL.Path) || !CleanText(r.URL.RawPath) || !cleanQuery(r.URL.RawQuery) {
		return ErrBadBytes
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(c.Writer, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return errBodyTooLarge
			}
			return ErrBadBytes
		}
		if !cleanValues(r.PostForm) {
			return ErrBadBytes
		}
	case "multipart/form-data":
		head, err := io.ReadAll(io.LimitReader(r.Body, maxCheckedMultipart+1))
		if err != nil {
			return apperr.New(apperr.Malformed, "import.file.upload_failed")
		}
		rest := r.Body
		r.Body = readCloser{io.MultiReader(bytes.NewReader(head), rest), rest}
		if len(head) <= maxCheckedMultipart {
			return checkMultipartBody(head, params["boundary"])
		}
	}
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// cleanQuery decodes the query as net/url does, but refuses what it would silently drop: a
// broken percent-encoding. A semicolon stays a character of the value, as gin reads it.
func cleanQuery(raw string) bool {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		for _, s := range []string{k, v} {
			d, err := url.QueryUnescape(s)
			if err != nil || !CleanText(d) {
				return false
			}
		}
	}
	return true
}

// CleanPartHeader reports whether a multipart part's headers, field name and file name are
// clean text. The raw headers count too: a part whose Content-Disposition holds a NUL does not
// parse, and net/http would drop it silently rather than refuse it.
func CleanPartHeader(part *multipart.Part) bool {
	for k, vs := range part.Header {
		if !CleanText(k) {
			return false
		}
		for _, v := range vs {
			if !CleanText(v) {
				return false
			}
		}
	}
	return CleanText(part.FormName()) && CleanText(part.FileName())
}

// checkMultipartBody reads a whole multipart body from memory and checks its field names and
// values and its file names. A whole body that does not parse is malformed (400); net/http
// would otherwise drop the parts it cannot read and let the handler answer "file missing".
func checkMultipartBody(body []byte, boundary string) error {
	if boundary == "" {
		return errMultipart
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errMultipart
		}
		if !CleanPartHeader(part) {
			return ErrBadBytes
		}
		if part.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(part, maxMultipartFieldLen))
			if err != nil {
				return errMultipart
			}
			if !CleanText(string(v)) {
				return ErrBadBytes
			}
		}
		// NextPart drains and closes this part.
	}
}

// DecodeJSON reads a JSON request body into v: 415 for another media type, 413 beyond
// MaxJSONBody, 400 for JSON that does not parse, is not UTF-8, or holds a NUL in any string
// (a \u0000 escape included), 400 for trailing data after the value.
func DecodeJSON(c *gin.Context, v any) error {
	if c.ContentType() != "application/json" {
		return errJSONType
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxJSONBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errBodyTooLarge
		}
		return apperr.New(apperr.Malformed, "import.file.upload_failed")
	}
	if !utf8.Valid(body) {
		return ErrBadBytes
	}
	var generic any
	if err := json.Unmarshal(body, &generic); err != nil {
		return errJSON
	}
	if !cleanJSON(generic) {
		return ErrBadBytes
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errJSON
	}
	return nil
}

// cleanJSON walks a decoded value for a NUL in any key or string.
func cleanJSON(v any) bool {
	switch t := v.(type) {
	case string:
		return strings.IndexByte(t, 0) < 0
	case []any:
		for _, e := range t {
			if !cleanJSON(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range t {
			if strings.IndexByte(k, 0) >= 0 || !cleanJSON(e) {
				return false
			}
		}
	}
	return true
}
