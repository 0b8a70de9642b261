package reference

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/web"
	"patuh/internal/wib"
)

// Handler serves /admin/reference (admins only) and the calendar banner.
type Handler struct{ Store *Store }

func (h *Handler) Register(pages *gin.RouterGroup) {
	admin := auth.RequireRole(auth.Admin)
	pages.GET("/admin/reference", admin, h.page)
	pages.GET("/admin/reference/progress", admin, h.progress)
	pages.POST("/admin/reference/ump", admin, h.post("ump", func(c *gin.Context, a Actor) error {
		return h.Store.SetMinimumWage(c.Request.Context(), a, c.PostForm("year"), c.PostForm("amount"))
	}))
	pages.POST("/admin/reference/rates", admin, h.post("rates", func(c *gin.Context, a Actor) error {
		return h.Store.SetRate(c.Request.Context(), a, c.PostForm("program"), c.PostForm("valid_from"), c.PostForm("rate_pct"), c.PostForm("wage_cap"))
	}))
	pages.POST("/admin/reference/holidays", admin, h.post("holidays", func(c *gin.Context, a Actor) error {
		moved, err := h.Store.AddHoliday(c.Request.Context(), a, c.PostForm("day"), c.PostForm("name"), c.PostForm("kind"))
		if err == nil && len(moved) > 0 {
			web.Flash(c, "reference.holiday.saved_moved")
		}
		return err
	}))
	pages.POST("/admin/reference/holidays/remove", admin, h.post("holidays", func(c *gin.Context, a Actor) error {
		moved, err := h.Store.RemoveHoliday(c.Request.Context(), a, c.PostForm("day"))
		if err == nil && len(moved) > 0 {
			web.Flash(c, "reference.holiday.saved_moved")
		}
		return err
	}))
	pages.POST("/admin/reference/holidays/import", admin, h.post("calendar", h.importCalendar))
	pages.POST("/admin/reference/years", admin, h.post("calendar", func(c *gin.Context, a Actor) error {
		return h.Store.ConfirmYear(c.Request.Context(), a, c.PostForm("year"), c.PostForm("confirmed") == "true")
	}))
	pages.POST("/admin/reference/rules", admin, h.post("rules", func(c *gin.Context, a Actor) error {
		return h.Store.SetRule(c.Request.Context(), a, c.PostForm("kind"), c.PostForm("position"), c.PostForm("days"), c.PostForm("day_kind"))
	}))
	pages.POST("/admin/reference/settings", admin, h.post("settings", func(c *gin.Context, a Actor) error {
		return h.Store.SetSetting(c.Request.Context(), a, c.PostForm("key"), c.PostForm("value"))
	}))
	pages.POST("/admin/reference/targets", admin, h.post("settings", func(c *gin.Context, a Actor) error {
		return h.Store.SetTarget(c.Request.Context(), a, c.PostForm("year"), c.PostForm("target"))
	}))
}

// Banner, in front of every signed-in page, warns admins when the confirmed calendar does not
// reach CoverageDays ahead: working-day deadlines past it count unknown holidays as working days.
func (h *Handler) Banner(c *gin.Context) {
	if u := auth.Current(c); u != nil && u.Role == auth.Admin && c.Request.Method == http.MethodGet {
		gap, err := h.Store.Coverage(c.Request.Context(), h.Store.Now())
		if err != nil {
			// A warning that cannot be computed must not take the page down with it.
			web.LogFailure(c, "reference: calendar coverage", err)
		} else if gap != nil {
			loc := web.Localizer(c)
			web.SetBanner(c, web.Banner{
				Text: loc.T("reference.calendar.banner", "Year", gap.Year, "Days", CoverageDays, "From", web.FormatDate(gap.From, loc.Lang)),
				Link: "/admin/reference?year=" + strconv.Itoa(gap.Year) + "#calendar", LinkText: loc.T("reference.calendar.banner_link")})
		}
	}
	c.Next()
}

func actor(c *gin.Context) Actor {
	u := auth.Current(c)
	return Actor{ID: u.ID, Name: u.Username}
}

func (h *Handler) year(c *gin.Context) int {
	if y, ok := parseYear(c.Query("year")); ok {
		return y
	}
	if y, ok := parseYear(c.PostForm("year")); ok {
		return y
	}
	return h.Store.Now().Year()
}

func (h *Handler) render(c *gin.Context, status int, extra gin.H) {
	o, err := h.Store.Overview(c.Request.Context(), h.year(c))
	if err != nil {
		web.Error(c, err)
		return
	}
	data := gin.H{"Ref": o, "Today": wib.Date(h.Store.Now()), "Section": "", "Form": map[string]string{}, "Fields": map[string]string{}}
	for k, v := range extra {
		data[k] = v
	}
	web.HTML(c, status, "admin/reference_index", data)
}

func (h *Handler) page(c *gin.Context) { h.render(c, http.StatusOK, nil) }

// progress is the recomputation's fragment that the page polls (htmx) until it is done.
func (h *Handler) progress(c *gin.Context) {
	r, err := h.Store.LatestRecomputation(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Partial(c, http.StatusOK, "admin/reference_index", "reference_progress", gin.H{"Ref": &Overview{Recomputation: r}})
}

// post runs a change from one of the page's forms: back to the page's section on success, the
// page with the form's messages (and what was typed) on a refused value.
func (h *Handler) post(section string, fn func(c *gin.Context, a Actor) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		err := fn(c, actor(c))
		if err == nil {
			if web.Sessions(c).GetString(c.Request.Context(), "flash") == "" {
				web.Flash(c, "reference.saved")
			}
			c.Redirect(http.StatusSeeOther, "/admin/reference?year="+strconv.Itoa(h.year(c))+"#"+section)
			return
		}
		form := map[string]string{}
		if c.Request.PostForm != nil {
			for k, v := range c.Request.PostForm {
				form[k] = strings.Join(v, "\n")
			}
		}
		var le *LineError
		switch e, ok := apperr.As(err); {
		case errors.As(err, &le):
			h.render(c, http.StatusUnprocessableEntity, gin.H{"Section": section, "Form": form,
				"Problem": web.Localizer(c).T("reference.csv.line", "Line", le.Line, "Message", web.Localizer(c).T(le.Message))})
		case ok && (e.Code == apperr.Invalid || e.Code == apperr.NotFound):
			h.render(c, http.StatusUnprocessableEntity, gin.H{"Section": section, "Form": form, "Fields": e.Fields,
				"Problem": web.Localizer(c).T(e.Message)})
		default:
			web.Error(c, err)
		}
	}
}

// importCalendar takes a year's CSV from the page's upload.
func (h *Handler) importCalendar(c *gin.Context, a Actor) error {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 2<<20)
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.Fields(map[string]string{"file": "reference.csv.missing"})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := h.Store.ImportHolidays(c.Request.Context(), a, c.PostForm("year"), io.Reader(f))
	if err == nil && len(res.Moved) > 0 {
		web.Flash(c, "reference.holiday.saved_moved")
	} else if err == nil {
		web.Flash(c, "reference.calendar.imported")
	}
	return err
}
