package casework

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/web"
)

// The evidence files and letters of a case are served alike to the pages and the API: the
// store checks the case's area, the type is the one checked at upload, never sniffed.

func caseAndFile(c *gin.Context) (int64, int64, bool) { return caseAndParam(c, "fid") }

// caseAndParam reads the case id and another id of the route (a file's, a visit's).
func caseAndParam(c *gin.Context, name string) (int64, int64, bool) {
	id, err1 := strconv.ParseInt(c.Param("id"), 10, 64)
	fid, err2 := strconv.ParseInt(c.Param(name), 10, 64)
	if err1 != nil || err2 != nil {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return 0, 0, false
	}
	return id, fid, true
}

func serveEvidence(s *Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, fid, ok := caseAndFile(c)
		if !ok {
			return
		}
		ev, data, err := s.OpenEvidence(c.Request.Context(), auth.Current(c), id, fid)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.Header("Content-Disposition", `inline; filename="`+evidenceName(ev)+`"`)
		c.Header("X-Checksum-SHA256", ev.SHA256)
		c.Data(http.StatusOK, ev.ContentType, data)
	}
}

func serveLetter(s *Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, fid, ok := caseAndFile(c)
		if !ok {
			return
		}
		pdf, err := s.Letter(c.Request.Context(), auth.Current(c), id, fid)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.Header("Content-Disposition", `inline; filename="surat-`+strconv.FormatInt(fid, 10)+`.pdf"`)
		c.Data(http.StatusOK, "application/pdf", pdf)
	}
}

// evidenceName is the name Patuh gives an evidence file when serving it: its id and the
// extension of the type sniffed at upload, never a part of the uploader's file name (which
// could carry quotes, a path or a misleading extension into the header).
func evidenceName(ev *Evidence) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[ev.ContentType]
	if ext == "" {
		ext = ".bin"
	}
	return "bukti-" + strconv.FormatInt(ev.ID, 10) + ext
}

func serveBAP(s *Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, vid, ok := caseAndParam(c, "vid")
		if !ok {
			return
		}
		pdf, sum, err := s.BAP(c.Request.Context(), auth.Current(c), id, vid)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.Header("Content-Disposition", `inline; filename="bap-`+strconv.FormatInt(vid, 10)+`.pdf"`)
		c.Header("X-Checksum-SHA256", sum)
		c.Data(http.StatusOK, "application/pdf", pdf)
	}
}
