package employer

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/flags"
	"patuh/internal/importer"
	"patuh/internal/pdp"
	"patuh/internal/regions"
	"patuh/internal/web"
)

type Handler struct {
	Store *Store
	DB    *sqlx.DB
	Now   func() time.Time
	// FlagsState says how current the listed flags are (the importer's settle times).
	FlagsState func(context.Context) (importer.FlagsState, error)
}

func (h *Handler) Register(pages, api *gin.RouterGroup) {
	pages.GET("/employers", h.index)
	pages.GET("/employers/export/:format", h.export)
	pages.GET("/employers/:id", h.show)
	api.GET("/employers", h.apiList)
	api.GET("/employers/:id", h.apiGet)
}

var scales = []string{"mikro", "kecil", "menengah", "besar"}

// filterFrom reads and checks the list filters of a request. The area may be typed as a name
// or a code (regions.Resolve); the filter carries the code.
func (h *Handler) filterFrom(c *gin.Context, maxLimit int) (Filter, error) {
	f := Filter{Flags: c.QueryArray("flag"), Area: c.Query("area"), Skala: c.Query("skala"), Q: c.Query("q"),
		Sort: c.DefaultQuery("sort", "-shortfall"), Cursor: c.Query("cursor"), Limit: 50}
	fields := map[string]string{}
	for _, code := range f.Flags {
		if !flags.Code(code).Valid() {
			fields["flag"] = "employer.flag_invalid"
		}
	}
	if f.Area != "" {
		code, ok, err := regions.Resolve(c.Request.Context(), h.DB, f.Area, auth.Current(c).AreaPattern())
		if err != nil {
			return f, err
		}
		if !ok {
			fields["area"] = "filter.area_unknown"
		}
		f.Area = code
	}
	if f.Skala != "" && !slices.Contains(scales, f.Skala) {
		fields["skala"] = "employer.skala_invalid"
	}
	if f.Sort != "-shortfall" && f.Sort != "name" {
		fields["sort"] = "employer.sort_invalid"
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			fields["limit"] = "employer.limit_invalid"
		}
		f.Limit = n
	}
	if len(fields) > 0 {
		return f, apperr.Fields(fields)
	}
	return f, nil
}

func (h *Handler) index(c *gin.Context) {
	u := auth.Current(c)
	f, ferr := h.filterFrom(c, 200)
	areas, err := regions.Suggest(c.Request.Context(), h.DB, u.AreaPattern())
	if err != nil {
		web.Error(c, err)
		return
	}
	// The area as typed is shown again, not the code it resolved to.
	data := gin.H{"Filter": f, "Codes": flags.Codes(), "Scales": scales, "Areas": areas, "AreaText": c.Query("area")}
	if ferr != nil {
		// A refused filter shows its error and no list: the unfiltered list under it read as
		// the answer (issue 16).
		e, ok := apperr.As(ferr)
		if !ok || e.Code != apperr.Invalid {
			web.Error(c, ferr)
			return
		}
		data["Errors"], data["Counts"], data["Total"], data["Invalid"] = e.Fields, map[flags.Code]int{}, 0, true
		data["AllURL"], data["FlagURL"] = "/employers", func(flags.Code) string { return "/employers" }
		web.HTML(c, http.StatusUnprocessableEntity, "employers/index", data)
		return
	}
	status := http.StatusOK
	list, next, err := h.Store.List(c.Request.Context(), f, u.Area)
	if err != nil {
		web.Error(c, err)
		return
	}
	counts, total, err := h.Store.Counts(c.Request.Context(), f, u.Area)
	if err != nil {
		web.Error(c, err)
		return
	}
	data["Employers"], data["Counts"], data["Total"] = list, counts, total
	if next != "" {
		q := c.Request.URL.Query()
		q.Set("cursor", next)
		data["NextURL"] = "/employers?" + q.Encode()
	}
	if f.Cursor != "" {
		q := c.Request.URL.Query()
		q.Del("cursor")
		data["FirstURL"] = "/employers?" + q.Encode()
	}
	exportQuery := c.Request.URL.Query()
	exportQuery.Del("cursor")
	// Whole URLs: html/template would escape the "=" of a query spliced into an href.
	data["ExportCSV"] = "/employers/export/csv?" + exportQuery.Encode()
	exportQuery.Set("dialect", web.DialectExcelID)
	data["ExportCSVExcel"] = "/employers/export/csv?" + exportQuery.Encode()
	exportQuery.Del("dialect")
	data["ExportXLSX"] = "/employers/export/xlsx?" + exportQuery.Encode()
	// flagURL is the list filtered by one flag ("" for all), other filters kept.
	flagURL := func(code flags.Code) string {
		q := url.Values{}
		for k, v := range c.Request.URL.Query() {
			if k != "cursor" && k != "flag" {
				q[k] = v
			}
		}
		if code != "" {
			q.Set("flag", string(code))
		}
		return "/employers?" + q.Encode()
	}
	data["AllURL"], data["FlagURL"] = flagURL(""), flagURL
	web.HTML(c, status, "employers/index", data)
}

func (h *Handler) load(c *gin.Context) (*Detail, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return nil, false
	}
	d, err := h.Store.Get(c.Request.Context(), id, auth.Current(c).AreaPattern(), h.Now())
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	return d, true
}

func (h *Handler) show(c *gin.Context) {
	d, ok := h.load(c)
	if !ok {
		return
	}
	maskAll(d)
	web.HTML(c, http.StatusOK, "employers/show", gin.H{"E": d, "MayOpen": auth.Current(c).MaySeeAll()})
}

func maskAll(d *Detail) {
	for i := range d.Unenrolled {
		d.Unenrolled[i].NIK = pdp.MaskNIK(d.Unenrolled[i].NIK)
	}
	for i := range d.Underreported {
		d.Underreported[i].NIK = pdp.MaskNIK(d.Underreported[i].NIK)
	}
}

func (h *Handler) apiList(c *gin.Context) {
	f, err := h.filterFrom(c, 500)
	if err != nil {
		web.Error(c, err)
		return
	}
	list, next, err := h.Store.List(c.Request.Context(), f, auth.Current(c).Area)
	if err != nil {
		web.Error(c, err)
		return
	}
	if list == nil {
		list = []Employer{}
	}
	loc := web.Localizer(c)
	for i := range list {
		flags.Localize(list[i].Flags, loc)
	}
	body := gin.H{"items": list, "next_cursor": next}
	// An integrator who just saw an import committed compares its own import's settled_at, or
	// this list's flags_settled_at, before trusting the flags (docs/api.md, Imports).
	if h.FlagsState != nil {
		st, err := h.FlagsState(c.Request.Context())
		if err != nil {
			web.Error(c, err)
			return
		}
		body["flags_settled_at"], body["flags_current"] = st.SettledAt, st.Current
	}
	c.JSON(http.StatusOK, body)
}

// apiGet masks NIKs unless the caller's role may see them and asks (?unmask=nik); every
// unmasked read is audited.
func (h *Handler) apiGet(c *gin.Context) {
	d, ok := h.load(c)
	if !ok {
		return
	}
	u := auth.Current(c)
	show, err := pdp.AuditedUnmask(c.Request.Context(), h.DB, pdp.Viewer{ID: u.ID, Username: u.Username, MaySee: u.MaySeeAll()},
		pdp.UnmaskRequested(c.Query("unmask")), "employer", strconv.FormatInt(d.ID, 10), len(d.Unenrolled)+len(d.Underreported))
	if err != nil {
		web.Error(c, err)
		return
	}
	if !show {
		maskAll(d)
	}
	flags.Localize(d.Flags, web.Localizer(c))
	c.JSON(http.StatusOK, apiDetailOf(d))
}

// apiDetail is the detail as api.md shows it: each list of workers with its own fields, all
// of them present, a wage of 0 reported included (it is the finding, not a missing value).
type apiDetail struct {
	*Detail
	Unenrolled    []unenrolledWorker    `json:"unenrolled"`
	Underreported []underreportedWorker `json:"underreported"`
}

type unenrolledWorker struct {
	NIK  string `json:"nik"`
	Nama string `json:"nama"`
	Upah int64  `json:"upah"`
}

type underreportedWorker struct {
	NIK          string `json:"nik"`
	Nama         string `json:"nama"`
	UpahPaid     int64  `json:"upah_paid"`
	UpahReported int64  `json:"upah_reported"`
}

func apiDetailOf(d *Detail) apiDetail {
	out := apiDetail{Detail: d, Unenrolled: make([]unenrolledWorker, len(d.Unenrolled)),
		Underreported: make([]underreportedWorker, len(d.Underreported))}
	for i, w := range d.Unenrolled {
		out.Unenrolled[i] = unenrolledWorker{NIK: w.NIK, Nama: w.Nama, Upah: w.Upah}
	}
	for i, w := range d.Underreported {
		out.Underreported[i] = underreportedWorker{NIK: w.NIK, Nama: w.Nama, UpahPaid: w.UpahPaid, UpahReported: w.UpahReported}
	}
	return out
}
