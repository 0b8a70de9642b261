package report

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/dashboard"
	"patuh/internal/web"
	"patuh/internal/wib"
)

// Handler serves the list of reports, their PDFs, and on-demand generation (admins and
// supervisors: the report is for the steering meeting).
type Handler struct{ Store *Store }

func (h *Handler) Register(pages *gin.RouterGroup) {
	lead := auth.RequireRole(auth.Supervisor, auth.Admin)
	pages.GET("/reports", lead, h.index)
	pages.POST("/reports", lead, h.generate)
	pages.GET("/reports/:id/report.pdf", lead, h.pdf)
}

func (h *Handler) index(c *gin.Context) {
	list, err := h.Store.List(c.Request.Context(), auth.Current(c))
	if err != nil {
		web.Error(c, err)
		return
	}
	lang := web.Localizer(c).Lang
	for i := range list {
		list[i].MonthLabel = dashboard.MonthLabel(list[i].Month.Format("2006-01"), lang)
	}
	web.HTML(c, http.StatusOK, "reports/index", gin.H{"Reports": list,
		"DefaultMonth": wib.MonthStart(h.Store.Now()).AddDate(0, -1, 0).Format("2006-01"),
		"MaxMonth":     wib.MonthStart(h.Store.Now()).Format("2006-01")})
}

func (h *Handler) generate(c *gin.Context) {
	month, err := time.ParseInLocation("2006-01", c.PostForm("month"), wib.Zone)
	if err != nil {
		web.Error(c, apperr.Fields(map[string]string{"month": "report.month_invalid"}))
		return
	}
	id, err := h.Store.Generate(c.Request.Context(), auth.Current(c), month)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Flash(c, "report.created")
	c.Redirect(http.StatusSeeOther, "/reports#report-"+strconv.FormatInt(id, 10))
}

func (h *Handler) pdf(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	month, pdf, err := h.Store.PDFOf(c.Request.Context(), auth.Current(c), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Content-Disposition", `inline; filename="laporan-bulanan-`+month.Format("2006-01")+`-`+strconv.FormatInt(id, 10)+`.pdf"`)
	c.Data(http.StatusOK, "application/pdf", pdf)
}
