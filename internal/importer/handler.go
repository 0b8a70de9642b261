package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/pdp"
	"patuh/internal/web"
)

// Handler serves the import pages (admins) and the imports API.
type Handler struct{ Importer *Importer }

func (h *Handler) Register(pages, api *gin.RouterGroup) {
	admin := auth.RequireRole(auth.Admin)
	pages.GET("/imports", admin, h.index)
	pages.POST("/imports", admin, h.upload)
	pages.GET("/imports/:id", admin, h.show)
	pages.GET("/imports/:id/progress", admin, h.progress)
	pages.POST("/imports/:id/commit", admin, h.decide)
	pages.POST("/imports/:id/discard", admin, h.decide)
	pages.GET("/imports/:id/errors.csv", admin, h.errorsCSV)
	pages.POST("/imports/:id/delete", admin, h.delete)

	api.POST("/imports", admin, h.apiUpload)
	api.GET("/imports/:id", admin, h.apiGet)
	api.POST("/imports/:id/commit", admin, h.apiDecide)
	api.POST("/imports/:id/discard", admin, h.apiDecide)
	api.GET("/imports/:id/errors.csv", admin, h.errorsCSV)
}

// receive reads a multipart upload as a stream: the file goes straight to disk, whatever its
// size and wherever it sits among the form fields.
func (h *Handler) receive(c *gin.Context) (*Import, bool, error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxUpload+(1<<20))
	mediaType, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mediaType != "multipart/form-data" {
		return nil, false, apperr.New(apperr.UnsupportedMedia, "import.multipart")
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, false, apperr.New(apperr.Malformed, "import.multipart")
	}
	var up *Upload
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, false, apperr.New(apperr.TooLarge, "import.file.too_large")
			}
			return nil, false, apperr.New(apperr.Malformed, "import.multipart")
		}
		// The edge (internal/web) checks small bodies only; an upload's name and fields are
		// stored as text, so they are checked here, before the file is received.
		if !web.CleanPartHeader(part) {
			return nil, false, web.ErrBadBytes
		}
		if part.FormName() == "file" && up == nil {
			if up, err = h.Importer.Receive(part.FileName(), part); err != nil {
				return nil, false, err
			}
		} else {
			b, err := io.ReadAll(io.LimitReader(part, 1024))
			if err != nil {
				return nil, false, &apperr.Error{Code: apperr.Malformed, Message: "import.multipart", Err: err}
			}
			if !web.CleanText(string(b)) {
				return nil, false, web.ErrBadBytes
			}
			fields[part.FormName()] = strings.TrimSpace(string(b))
		}
		// NextPart drains and closes this part.
	}
	if up == nil {
		return nil, false, apperr.Fields(map[string]string{"file": "import.file_missing"})
	}
	var auto *float64
	if v := fields["auto_commit_max_invalid"]; v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, false, apperr.Fields(map[string]string{"auto_commit_max_invalid": "import.auto_commit_invalid"})
		}
		auto = &f
	}
	u := auth.Current(c)
	return h.Importer.Register(c.Request.Context(), u.ID, u.Username, fields["kind"], up, auto)
}

func (h *Handler) load(c *gin.Context) (*Import, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return nil, false
	}
	imp, err := h.Importer.Get(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	return imp, true
}

func (h *Handler) index(c *gin.Context) {
	list, err := h.Importer.List(c.Request.Context(), 50)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.HTML(c, http.StatusOK, "imports/index", gin.H{"Imports": list, "Kinds": KindNames()})
}

func (h *Handler) upload(c *gin.Context) {
	imp, created, err := h.receive(c)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code == apperr.Internal || errors.Is(err, web.ErrBadBytes) {
			web.Error(c, err)
			return
		}
		list, err := h.Importer.List(c.Request.Context(), 50)
		if err != nil {
			web.Error(c, err)
			return
		}
		msg := e.Message
		for _, m := range e.Fields {
			msg = m
		}
		// 422 for a value refused; 400, 413 or 415 for a body that could not be read as sent.
		status := http.StatusUnprocessableEntity
		if e.Code != apperr.Invalid {
			status = web.Status(e.Code)
		}
		web.HTML(c, status, "imports/index", gin.H{"Imports": list, "Error": msg,
			"Kinds": KindNames()})
		return
	}
	if !created {
		web.Flash(c, "import.same_bytes")
	}
	c.Redirect(http.StatusSeeOther, "/imports/"+strconv.FormatInt(imp.ID, 10))
}

func (h *Handler) pageData(c *gin.Context, imp *Import) gin.H {
	errs, err := h.Importer.Errors(c.Request.Context(), imp.ID, 100)
	if err != nil {
		web.Error(c, err)
		return nil
	}
	for i := range errs {
		errs[i].Value = maskValue(errs[i].Column, errs[i].Value, false)
	}
	fresh, err := h.Importer.Freshness(c.Request.Context(), imp)
	if err != nil {
		web.Error(c, err)
		return nil
	}
	return gin.H{"Import": imp, "Errors": errs, "Flags": fresh, "MaxStoredErrors": MaxStoredErrors}
}

func (h *Handler) show(c *gin.Context) {
	if imp, ok := h.load(c); ok {
		if data := h.pageData(c, imp); data != nil {
			web.HTML(c, http.StatusOK, "imports/show", data)
		}
	}
}

// progress is the fragment that the page's progress area polls for (htmx) until done.
func (h *Handler) progress(c *gin.Context) {
	if imp, ok := h.load(c); ok {
		if data := h.pageData(c, imp); data != nil {
			web.Partial(c, http.StatusOK, "imports/show", "import_status", data)
		}
	}
}

func (h *Handler) decide(c *gin.Context) {
	imp, ok := h.load(c)
	if !ok {
		return
	}
	u := auth.Current(c)
	var err error
	if strings.HasSuffix(c.FullPath(), "/commit") {
		_, err = h.Importer.Commit(c.Request.Context(), imp.ID, u.ID, u.Username)
	} else {
		_, err = h.Importer.Discard(c.Request.Context(), imp.ID, u.ID, u.Username)
	}
	if err != nil && apperr.CodeOf(err) != apperr.Conflict {
		web.Error(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/imports/"+strconv.FormatInt(imp.ID, 10))
}

// maskValue applies the one NIK rule (internal/pdp) to the value shown with a row error: a
// value of the nik column is masked unless show (pdp.AuditedUnmask said so), and a value that
// is not 16 characters long, a NIK mistyped, is masked whole.
func maskValue(col, value string, show bool) string {
	if col == "nik" {
		return pdp.NIK(value, show)
	}
	return value
}

func (h *Handler) errorsCSV(c *gin.Context) {
	imp, ok := h.load(c)
	if !ok {
		return
	}
	// Masked unless an admin asks with ?unmask=nik; that download is audited.
	u := auth.Current(c)
	ctx := c.Request.Context()
	asked := pdp.UnmaskRequested(c.Query("unmask"))
	niks := 0
	if asked {
		var err error
		if niks, err = h.Importer.NIKErrors(ctx, imp.ID); err != nil {
			web.Error(c, err)
			return
		}
	}
	show, err := pdp.AuditedUnmask(ctx, h.Importer.db, pdp.Viewer{ID: u.ID, Username: u.Username, MaySee: u.MaySeeAll()},
		asked, "import", strconv.FormatInt(imp.ID, 10), niks)
	if err != nil {
		web.Error(c, err)
		return
	}
	loc := web.Localizer(c)
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="import-`+strconv.FormatInt(imp.ID, 10)+`-errors.csv"`)
	w := csv.NewWriter(c.Writer)
	err = w.Write([]string{"line", "column", "value", "message", "severity"})
	if err == nil {
		err = h.Importer.EachError(ctx, imp.ID, func(e RowError) error {
			sev := "error"
			if e.Warning {
				sev = "warning"
			}
			return w.Write([]string{strconv.Itoa(e.Line), e.Column, web.SafeCell(maskValue(e.Column, e.Value, show)), loc.T(e.Message), sev})
		})
	}
	if err == nil {
		w.Flush()
		err = w.Error()
	}
	if err != nil {
		web.StreamFailed(c, fmt.Errorf("importer: errors.csv: %w", err))
	}
}

// apiImport is the import as api.md shows it.
func (h *Handler) apiImport(c *gin.Context, imp *Import) (gin.H, error) {
	loc := web.Localizer(c)
	errs, err := h.Importer.Errors(c.Request.Context(), imp.ID, 100)
	if err != nil {
		return nil, err
	}
	out := make([]gin.H, 0, len(errs))
	for _, e := range errs {
		if !e.Warning {
			out = append(out, gin.H{"line": e.Line, "column": e.Column, "value": maskValue(e.Column, e.Value, false), "message": loc.T(e.Message)})
		}
	}
	body := gin.H{"id": imp.ID, "kind": imp.Kind, "status": imp.Status, "sha256": imp.SHA256, "rows_total": imp.RowsTotal,
		"rows_valid": imp.RowsValid, "rows_invalid": imp.RowsInvalid, "rows_processed": imp.RowsProcessed,
		"warnings": imp.Warnings, "errors": out, "created_at": imp.CreatedAt, "committed_at": imp.CommittedAt}
	if imp.Failure != "" {
		body["failure"] = loc.T(imp.Failure, "Line", imp.FailureDetail, "Detail", imp.FailureDetail)
	}
	fresh, err := h.Importer.Freshness(c.Request.Context(), imp)
	if err != nil {
		return nil, err
	}
	body["flags_status"] = fresh.Status
	body["flags_progress"] = gin.H{"done": fresh.Done, "queued": fresh.Queued}
	body["settled_at"] = fresh.SettledAt
	return body, nil
}

// writeImport answers with the import, or the error that kept it from being read.
func (h *Handler) writeImport(c *gin.Context, imp *Import) {
	body, err := h.apiImport(c, imp)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, body)
}

func (h *Handler) apiUpload(c *gin.Context) {
	imp, created, err := h.receive(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	status := http.StatusAccepted
	if !created {
		status = http.StatusOK
	}
	c.JSON(status, gin.H{"id": imp.ID, "kind": imp.Kind, "status": imp.Status, "sha256": imp.SHA256})
}

func (h *Handler) apiGet(c *gin.Context) {
	if imp, ok := h.load(c); ok {
		h.writeImport(c, imp)
	}
}

func (h *Handler) apiDecide(c *gin.Context) {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	u := auth.Current(c)
	var imp *Import
	var err error
	if strings.HasSuffix(c.FullPath(), "/commit") {
		imp, err = h.Importer.Commit(c.Request.Context(), id, u.ID, u.Username)
	} else {
		imp, err = h.Importer.Discard(c.Request.Context(), id, u.ID, u.Username)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	h.writeImport(c, imp)
}

// delete removes a failed or discarded import (housekeeping.go) and goes back to the list.
func (h *Handler) delete(c *gin.Context) {
	imp, ok := h.load(c)
	if !ok {
		return
	}
	u := auth.Current(c)
	if err := h.Importer.Delete(c.Request.Context(), imp.ID, u.ID, u.Username); err != nil {
		web.Error(c, err)
		return
	}
	web.Flash(c, "import.deleted")
	c.Redirect(http.StatusSeeOther, "/imports")
}
