package casework

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/web"
)

// API serves the case endpoints of api.md.
type API struct {
	Store    *Store
	Validate *validator.Validate
}

func (a *API) Register(api *gin.RouterGroup) {
	lead := auth.RequireRole(auth.Supervisor, auth.Admin)
	api.POST("/cases", lead, a.open)
	api.GET("/cases", a.list)
	api.GET("/cases/:id", a.get)
	api.GET("/cases/:id/suggested-assignee", lead, a.suggest)
	api.POST("/cases/:id/assign", lead, a.assign)
	api.POST("/cases/assign", lead, a.assignMany)
	act := requireMayAct(a.Store) // casework/policy.go
	api.POST("/cases/:id/visits", act, a.visit)
	api.POST("/cases/:id/follow-ups", act, a.followUp)
	api.PATCH("/cases/:id/follow-ups/:fid", act, a.followUpStatus)
	api.POST("/cases/:id/close", lead, a.close)
	api.POST("/cases/:id/request-closure", act, a.requestClosure)
	api.POST("/cases/:id/visits/:vid/files", act, a.upload)
	api.GET("/cases/:id/files", a.files)
	api.GET("/cases/:id/files/:fid", serveEvidence(a.Store))
	api.GET("/cases/:id/visits/:vid/bap.pdf", serveBAP(a.Store))
	api.GET("/cases/:id/follow-ups/:fid/letter.pdf", serveLetter(a.Store))
}

func (a *API) upload(c *gin.Context) {
	id, ok := a.visibleCase(c)
	if !ok {
		return
	}
	vid, err := strconv.ParseInt(c.Param("vid"), 10, 64)
	if err != nil {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxEvidence+(1<<20))
	file, header, err := c.Request.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			web.Error(c, apperr.New(apperr.TooLarge, "case.evidence_too_large"))
			return
		}
		web.Error(c, apperr.Fields(map[string]string{"file": "import.file_missing"}))
		return
	}
	defer file.Close()
	// An upload larger than the edge checks (internal/web) is checked here: its name and
	// fields are stored as text.
	if !web.CleanMultipart(c.Request.MultipartForm) {
		web.Error(c, web.ErrBadBytes)
		return
	}
	ev, err := a.Store.AddEvidence(c.Request.Context(), auth.Current(c), id, vid, header.Filename, c.Request.FormValue("sha256"), file)
	if err != nil {
		web.Error(c, err)
		return
	}
	status := http.StatusCreated
	if ev.Existing {
		status = http.StatusOK // sent again: the file stored the first time
	}
	c.JSON(status, ev)
}

func (a *API) files(c *gin.Context) {
	if id, ok := caseID(c); ok {
		list, err := a.Store.Evidence(c.Request.Context(), auth.Current(c), id)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"items": list})
	}
}

// bind reads a JSON body: 415 for another media type, 413 over its limit, 400 for malformed
// JSON (or text that is not UTF-8 or holds a NUL), 422 for values the struct's validate tags
// refuse, named by their JSON fields.
func (a *API) bind(c *gin.Context, v any) bool {
	if err := web.DecodeJSON(c, v); err != nil {
		web.Error(c, err)
		return false
	}
	if err := a.Validate.Struct(v); err != nil {
		// The fields are named as the JSON names them (NewValidator), as api.md's errors do.
		web.Error(c, fieldErrors(err))
		return false
	}
	return true
}

// visibleCase reads the case id and checks, before the body is even read, that the case lies
// in the caller's area: a caller outside it learns nothing, not even that the body was wrong.
func (a *API) visibleCase(c *gin.Context) (int64, bool) {
	id, ok := caseID(c)
	if !ok {
		return 0, false
	}
	if _, err := a.Store.get(c.Request.Context(), a.Store.db, id, auth.Current(c).AreaPattern(), false); err != nil {
		web.Error(c, err)
		return 0, false
	}
	return id, true
}

func caseID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return 0, false
	}
	return id, true
}

// reply sends the case or the error.
func reply(c *gin.Context, status int, cs *Case, err error) {
	if err != nil {
		web.Error(c, err)
		return
	}
	cs.localizeFlags(web.Localizer(c))
	c.JSON(status, cs)
}

// open opens a case for an employer, or from a complaint (with "complaint", and "employer" for
// one the register does not hold).
func (a *API) open(c *gin.Context) {
	var body struct {
		EmployerID int64        `json:"employer_id" validate:"required_without=Employer,omitempty,gt=0"`
		Note       string       `json:"note" validate:"max=4000"`
		Complaint  *Complaint   `json:"complaint" validate:"required_with=Employer,omitempty"`
		Employer   *NewEmployer `json:"employer" validate:"omitempty"`
	}
	if !a.bind(c, &body) {
		return
	}
	var cs *Case
	var err error
	if body.Complaint != nil {
		cs, err = a.Store.OpenFromComplaint(c.Request.Context(), auth.Current(c),
			ComplaintInput{EmployerID: body.EmployerID, Employer: body.Employer, Note: body.Note, Complaint: *body.Complaint})
	} else {
		cs, err = a.Store.Open(c.Request.Context(), auth.Current(c), body.EmployerID, body.Note)
	}
	reply(c, http.StatusCreated, cs, err)
}

// listFilter reads the filters of GET /api/v1/cases. A value it cannot use is a 422 naming
// the parameter, as /employers answers: a caller who typed overdue=1 must not get every case.
func listFilter(c *gin.Context) (ListFilter, error) {
	f := ListFilter{Status: Status(c.Query("status")), Assignee: c.Query("assignee"), Area: c.Query("area"), Limit: 50}
	fields := map[string]string{}
	if f.Status != "" && !slices.Contains(Statuses(), f.Status) {
		fields["status"] = "case.status_filter_invalid"
	}
	switch c.Query("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		fields["overdue"] = "case.overdue_filter_invalid"
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			fields["limit"] = "employer.limit_invalid"
		}
		f.Limit = n
	}
	if cur := c.Query("cursor"); cur != "" {
		n, err := strconv.ParseInt(cur, 10, 64)
		if err != nil || n < 1 {
			fields["cursor"] = "employer.cursor_invalid"
		}
		f.After = n
	}
	if len(fields) > 0 {
		return f, apperr.Fields(fields)
	}
	return f, nil
}

// listItem is a case as the list shows it: the list reads no visits or follow-ups, so it
// leaves them out rather than sending null where the schema has an array.
type listItem struct {
	Case
	Visits    *[]Visit    `json:"visits,omitempty"`
	FollowUps *[]FollowUp `json:"follow_ups,omitempty"`
}

func (a *API) list(c *gin.Context) {
	f, err := listFilter(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	// The area may be a name or a code; the assignee a username or a person's name.
	if err := a.Store.CheckFilter(c.Request.Context(), auth.Current(c), &f); err != nil {
		web.Error(c, err)
		return
	}
	// One more than a page tells whether there is a next one: a full last page says "".
	limit := f.Limit
	f.Limit++
	list, err := a.Store.List(c.Request.Context(), auth.Current(c), f)
	if err != nil {
		web.Error(c, err)
		return
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	items := make([]listItem, len(list))
	for i := range list {
		list[i].localizeFlags(web.Localizer(c))
		items[i].Case = list[i]
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}

func (a *API) get(c *gin.Context) {
	if id, ok := caseID(c); ok {
		// NIKs come masked unless the caller may see them and asks; that read is audited.
		get := a.Store.Get
		if c.Query("unmask") == "nik" {
			get = a.Store.GetWithNIKs
		}
		cs, err := get(c.Request.Context(), id, auth.Current(c))
		reply(c, http.StatusOK, cs, err)
	}
}

func (a *API) suggest(c *gin.Context) {
	if id, ok := caseID(c); ok {
		name, err := a.Store.SuggestAssignee(c.Request.Context(), auth.Current(c), id)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"assignee": name})
	}
}

func (a *API) assign(c *gin.Context) {
	var body struct {
		Assignee string `json:"assignee" validate:"required"`
		Version  int    `json:"version" validate:"required,gt=0"`
	}
	if id, ok := a.visibleCase(c); ok && a.bind(c, &body) {
		cs, err := a.Store.Assign(c.Request.Context(), auth.Current(c), id, body.Assignee, body.Version)
		reply(c, http.StatusOK, cs, err)
	}
}

func (a *API) visit(c *gin.Context) {
	var body struct {
		Visit
		Version int `json:"version" validate:"gte=0"`
	}
	if id, ok := a.visibleCase(c); ok && a.bind(c, &body) {
		v, created, err := a.Store.AddVisit(c.Request.Context(), auth.Current(c), id, body.Visit, body.Version)
		if err != nil {
			web.Error(c, err)
			return
		}
		status := http.StatusCreated
		if !created {
			status = http.StatusOK // the same client_id again: the visit stored the first time
		}
		c.JSON(status, v)
	}
}

func (a *API) followUp(c *gin.Context) {
	var body FollowUpInput
	if id, ok := a.visibleCase(c); ok && a.bind(c, &body) {
		// api.md: 201 with the follow-up (its due_on computed), not the case.
		f, err := a.Store.AddFollowUp(c.Request.Context(), auth.Current(c), id, body)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.JSON(http.StatusCreated, f)
	}
}

func (a *API) followUpStatus(c *gin.Context) {
	var body struct {
		Status  string `json:"status" validate:"required"`
		Version int    `json:"version" validate:"required,gt=0"`
	}
	fid, err := strconv.ParseInt(c.Param("fid"), 10, 64)
	if id, ok := a.visibleCase(c); ok && err == nil && a.bind(c, &body) {
		cs, err := a.Store.SetFollowUpStatus(c.Request.Context(), auth.Current(c), id, fid, body.Status, body.Version)
		reply(c, http.StatusOK, cs, err)
	}
}

func (a *API) close(c *gin.Context) {
	var body Closing
	if id, ok := a.visibleCase(c); ok && a.bind(c, &body) {
		cs, err := a.Store.Close(c.Request.Context(), auth.Current(c), id, body)
		reply(c, http.StatusOK, cs, err)
	}
}

// assignMany gives several cases to one inspector (AssignMany, as the case list's form does).
func (a *API) assignMany(c *gin.Context) {
	var body struct {
		CaseIDs  []int64 `json:"case_ids" validate:"max=500"`
		Assignee string  `json:"assignee"`
	}
	if !a.bind(c, &body) {
		return
	}
	cases := map[int64]int{}
	for _, id := range body.CaseIDs {
		cases[id] = 0
	}
	assigned, refused, err := a.Store.AssignMany(c.Request.Context(), auth.Current(c), cases, body.Assignee)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"assigned": orEmpty(assigned), "refused": orEmpty(refused)})
}

func (a *API) requestClosure(c *gin.Context) {
	var body ClosureRequest
	if id, ok := a.visibleCase(c); ok && a.bind(c, &body) {
		cs, err := a.Store.RequestClosure(c.Request.Context(), auth.Current(c), id, body)
		reply(c, http.StatusOK, cs, err)
	}
}
