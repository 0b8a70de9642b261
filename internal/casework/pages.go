package casework

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/employer"
	"patuh/internal/flags"
	"patuh/internal/regions"
	"patuh/internal/web"
	"patuh/internal/wib"
)

// Pages serves the case pages, built for an inspector's phone as much as a supervisor's desk.
type Pages struct {
	Store     *Store
	Employers *employer.Store
}

func (p *Pages) Register(g *gin.RouterGroup) {
	lead := auth.RequireRole(auth.Supervisor, auth.Admin)
	g.GET("/cases", p.index)
	g.POST("/cases", lead, p.open)
	g.POST("/cases/bulk", lead, p.bulk)
	g.POST("/cases/assign", lead, p.bulkAssign)
	g.POST("/cases/complaint", lead, p.complaint)
	g.GET("/review", lead, p.review)
	g.GET("/cases/export/:format", p.export)
	g.GET("/follow-ups/export/:format", p.export)
	g.GET("/cases/complaint", lead, func(c *gin.Context) { p.complaintForm(c, http.StatusOK, nil, map[string]string{}) })
	g.GET("/cases/:id", p.show)
	g.POST("/cases/:id/assign", lead, p.formAction("case.assigned", p.assign))
	act := requireMayAct(p.Store) // casework/policy.go
	g.POST("/cases/:id/visits", act, p.formAction("case.visit_saved", p.visit))
	g.POST("/cases/:id/uploads", act, p.stageUpload)
	g.POST("/cases/:id/follow-ups", act, p.formAction("case.follow_up_saved", p.followUp))
	g.POST("/cases/:id/follow-ups/:fid", act, p.formAction("case.follow_up_saved", p.followUpStatus))
	g.POST("/cases/:id/close", lead, p.formAction("case.closed", p.close))
	g.POST("/cases/:id/request-closure", act, p.formAction("case.closure_requested", p.requestClosure))
	g.GET("/cases/:id/files/:fid", serveEvidence(p.Store))
	g.GET("/cases/:id/visits/:vid/bap.pdf", serveBAP(p.Store))
	g.GET("/cases/:id/follow-ups/:fid/letter.pdf", serveLetter(p.Store))
}

// index lists cases; an inspector sees their own first (?assignee=me is the default for them).
func (p *Pages) index(c *gin.Context) {
	u := auth.Current(c)
	f := ListFilter{Status: Status(c.Query("status")), Assignee: c.Query("assignee"), Area: c.Query("area"),
		Overdue: c.Query("overdue") == "true", Limit: 100}
	if _, chosen := c.GetQuery("assignee"); !chosen && u.Role == auth.Inspector {
		f.Assignee = u.Username
	}
	if after, err := strconv.ParseInt(c.Query("cursor"), 10, 64); err == nil {
		f.After = after // a cursor that is not a number (none, or typed) starts at the first page
	}
	p.renderIndex(c, http.StatusOK, f, nil, nil)
}

// renderIndex shows the case list under its filters; a refused filter (or a refused bulk
// assignment, fields) shows its error and no list.
func (p *Pages) renderIndex(c *gin.Context, status int, f ListFilter, fields map[string]string, ticked []string) {
	ctx := c.Request.Context()
	u := auth.Current(c)
	areaText, assigneeText := f.Area, f.Assignee
	data := gin.H{"Filter": f, "AreaText": areaText, "AssigneeText": assigneeText, "Fields": map[string]string{},
		"ExportCSV": "/cases/export/csv?" + c.Request.URL.RawQuery, "ExportXLSX": "/cases/export/xlsx?" + c.Request.URL.RawQuery,
		"ExportCSVExcel": "/cases/export/csv?" + excelDialect(c.Request.URL.Query()),
		"Statuses":       Statuses(), "Back": c.Request.URL.RequestURI(), "Ticked": strings.Join(ticked, "\n")}
	if c.Request.Method != http.MethodGet {
		data["Back"] = "/cases" // a refused bulk assignment: back to the list, not to the POST
	}
	suggestions, err := regions.Suggest(ctx, p.Store.db, u.AreaPattern())
	if err != nil {
		web.Error(c, err)
		return
	}
	data["Areas"] = suggestions
	if u.MaySeeAll() {
		if data["Inspectors"], err = p.Store.InspectorsIn(ctx, u); err != nil {
			web.Error(c, err)
			return
		}
	}
	if fields != nil {
		data["Fields"] = fields
	}
	if err := p.Store.CheckFilter(ctx, u, &f); err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid {
			web.Error(c, err)
			return
		}
		data["Fields"], data["Invalid"] = e.Fields, true
		web.HTML(c, http.StatusUnprocessableEntity, "cases/index", data)
		return
	}
	list, err := p.Store.List(ctx, u, f)
	if err != nil {
		web.Error(c, err)
		return
	}
	data["Cases"] = list
	web.HTML(c, status, "cases/index", data)
}

func (p *Pages) open(c *gin.Context) {
	id, err := strconv.ParseInt(c.PostForm("employer_id"), 10, 64)
	if err != nil {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	cs, err := p.Store.Open(c.Request.Context(), auth.Current(c), id, c.PostForm("note"))
	if e, ok := apperr.As(err); ok && e.Code == apperr.Conflict {
		if open, ok := e.Current.(map[string]int64); ok {
			web.Flash(c, "case.already_open")
			c.Redirect(http.StatusSeeOther, "/cases/"+strconv.FormatInt(open["open_case_id"], 10))
			return
		}
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Flash(c, "case.opened")
	c.Redirect(http.StatusSeeOther, "/cases/"+strconv.FormatInt(cs.ID, 10))
}

// bulk opens cases for the top flagged employers of a filtered list (e.g. the 50 largest PDS_TK
// of Jakarta Timur). The first post shows how many it would open and asks; the confirmed one
// opens those employers (sent back as employer_id) and says how many it opened.
func (p *Pages) bulk(c *gin.Context) {
	u := auth.Current(c)
	ctx := c.Request.Context()
	form, ok := formValues(c)
	if !ok {
		return
	}
	f := employer.Filter{Flags: c.PostFormArray("flag"), Area: form["area"], Skala: form["skala"], Q: form["q"], Sort: "-shortfall"}
	n, err := strconv.Atoi(form["count"])
	if err != nil || n < 1 || n > MaxBulk {
		web.HTML(c, http.StatusUnprocessableEntity, "cases/bulk", gin.H{"Filter": f, "Form": form,
			"Fields": map[string]string{"count": "case.bulk_count_invalid"}})
		return
	}
	if form["confirm"] != "yes" {
		list, err := BulkCandidates(ctx, p.Employers, u, f, n)
		if err != nil {
			web.Error(c, err)
			return
		}
		web.HTML(c, http.StatusOK, "cases/bulk", gin.H{"Filter": f, "Form": form, "Candidates": list, "Count": n,
			"Fields": map[string]string{}})
		return
	}
	var ids []int64
	for _, v := range c.PostFormArray("employer_id") {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	opened, err := p.Store.OpenMany(ctx, u, ids, form["note"])
	if err != nil {
		web.Error(c, err)
		return
	}
	web.FlashCount(c, "case.bulk_opened_n", opened, "")
	c.Redirect(http.StatusSeeOther, "/cases?status=open")
}

// bulkAssign gives the cases ticked on the list to one inspector.
func (p *Pages) bulkAssign(c *gin.Context) {
	u := auth.Current(c)
	cases := map[int64]int{}
	for _, v := range c.PostFormArray("case") {
		id, ver, _ := strings.Cut(v, ":") // without ":" the case is sent with no version (0)
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			continue
		}
		cases[n] = version(map[string]string{"version": ver})
	}
	assignee := c.PostForm("assignee")
	assigned, refused, err := p.Store.AssignMany(c.Request.Context(), u, cases, assignee)
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		p.renderIndex(c, http.StatusUnprocessableEntity, ListFilter{Limit: 100}, e.Fields, c.PostFormArray("case"))
		return
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	if len(refused) > 0 {
		web.FlashCount(c, "case.bulk_assign_refused", len(refused), "")
	} else {
		web.FlashCount(c, "case.bulk_assigned_n", len(assigned), assignee)
	}
	back := c.PostForm("back")
	if !strings.HasPrefix(back, "/cases") || strings.HasPrefix(back, "//") {
		back = "/cases"
	}
	c.Redirect(http.StatusSeeOther, back)
}

// complaint opens a case from a worker's complaint, about an employer found by its NIB or
// NPWP in the user's area, or else recorded by name and kelurahan.
func (p *Pages) complaint(c *gin.Context) {
	u := auth.Current(c)
	form, ok := formValues(c)
	if !ok {
		return
	}
	in := ComplaintInput{Note: form["note"], Complaint: Complaint{Channel: form["channel"], Received: form["received"],
		Allegation: form["allegation"], ComplainantName: form["complainant_name"], ComplainantContact: form["complainant_contact"]}}
	if key := strings.TrimSpace(form["employer_key"]); key != "" {
		list, _, err := p.Employers.List(c.Request.Context(), employer.Filter{Q: key, Sort: "-shortfall", Limit: 2}, u.Area)
		if err != nil && apperr.CodeOf(err) != apperr.Invalid {
			web.Error(c, err)
			return
		}
		if err != nil || len(list) != 1 { // a key the search refuses finds nobody either
			p.complaintForm(c, http.StatusUnprocessableEntity, apperr.New(apperr.Invalid, "case.employer_not_found"), form)
			return
		}
		in.EmployerID = list[0].ID
	} else {
		in.Employer = &NewEmployer{Nama: form["employer_name"], Alamat: form["employer_address"], KodeKelurahan: form["kode_kelurahan"]}
	}
	// The store checks the input as it checks the API's (OpenFromComplaint).
	cs, err := p.Store.OpenFromComplaint(c.Request.Context(), u, in)
	if err != nil {
		if e, ok := apperr.As(err); ok && (e.Code == apperr.Invalid || e.Code == apperr.Conflict) {
			p.complaintForm(c, http.StatusUnprocessableEntity, e, form)
			return
		}
		web.Error(c, err)
		return
	}
	web.Flash(c, "case.opened")
	c.Redirect(http.StatusSeeOther, "/cases/"+strconv.FormatInt(cs.ID, 10))
}

// complaintForm shows the complaint form with what was typed and, when refused, why (the
// message and the refused fields' messages).
func (p *Pages) complaintForm(c *gin.Context, status int, problem *apperr.Error, form map[string]string) {
	data := gin.H{"Form": form, "Today": wib.Date(p.Store.Now()), "Fields": map[string]string{},
		"Channels": []string{"jmo", "surat", "datang_langsung", "telepon", "lainnya"}}
	if problem != nil {
		data["Problem"] = problem.Message
		if problem.Fields != nil {
			data["Fields"] = problem.Fields
		}
	}
	web.HTML(c, status, "cases/complaint", data)
}

func (p *Pages) load(c *gin.Context) (*Case, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return nil, false
	}
	cs, err := p.Store.Get(c.Request.Context(), id, auth.Current(c))
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	return cs, true
}

// render shows a case with its forms; status and problem come from a refused form, whose
// input (form) is shown again.
func (p *Pages) render(c *gin.Context, cs *Case, status int, problem error, form map[string]string) {
	ctx := c.Request.Context()
	u := auth.Current(c)
	timeline, err := p.Store.Timeline(ctx, cs.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	files, err := p.Store.Evidence(ctx, u, cs.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	region := ""
	if cs.KodeKelurahan != nil {
		region = *cs.KodeKelurahan
	}
	inspectors, err := p.Store.Inspectors(ctx, region)
	if err != nil {
		web.Error(c, err)
		return
	}
	suggested, err := p.Store.SuggestAssignee(ctx, u, cs.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	next, kinds, err := p.Store.NextFollowUp(ctx, cs.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	data := gin.H{"Case": cs, "Timeline": timeline, "Files": files, "Inspectors": inspectors, "Suggested": suggested,
		"NextFollowUp": next, "Kinds": kinds, "Outcomes": Outcomes(), "Today": wib.Date(p.Store.Now()),
		"IsLead": u.MaySeeAll(), "IsAssignee": cs.AssigneeID != nil && *cs.AssigneeID == u.ID, "Form": form,
		"VisitKinds": VisitKinds, "ClientID": newClientID(), "Fields": map[string]string{},
		"OpenedOn":    wib.Date(cs.OpenedAt),
		"LatestIssue": wib.Date(p.Store.Now().AddDate(0, 0, MaxIssueAhead))}
	if u.MaySeeAll() && cs.Status != StatusClosed {
		sum, err := p.Store.summary(ctx, p.Store.db, cs)
		if err != nil {
			web.Error(c, err)
			return
		}
		sum.Localize(web.Localizer(c))
		data["Summary"] = sum
	}
	// The visit form shows the case's own flags first; the others can be added.
	// The form speaks strings (its field names and the posted findings), so the codes go as such.
	own := map[flags.Code]bool{}
	atOpen, err := cs.OpenFlags()
	if err != nil {
		web.Error(c, err)
		return
	}
	for _, f := range atOpen {
		own[f.Code] = true
	}
	var ownCodes, otherCodes []string
	for _, code := range flags.Codes() {
		if own[code] {
			ownCodes = append(ownCodes, string(code))
		} else {
			otherCodes = append(otherCodes, string(code))
		}
	}
	data["OwnFlags"], data["OtherFlags"] = ownCodes, otherCodes
	if n := len(cs.Visits); n > 0 {
		data["LastVisit"] = cs.Visits[n-1]
	}
	if form == nil {
		data["Form"] = map[string]string{}
	}
	if problem != nil {
		if e, ok := apperr.As(problem); ok {
			data["Problem"] = e.Message
			if e.Fields != nil {
				data["Fields"] = e.Fields
			}
			if refused, ok := e.Current.(map[string]string); ok {
				data["RefusedFile"] = refused["file"]
			}
		} else {
			web.Error(c, problem)
			return
		}
	}
	web.HTML(c, status, "cases/show", data)
}

func (p *Pages) show(c *gin.Context) {
	if cs, ok := p.load(c); ok {
		p.render(c, cs, http.StatusOK, nil, nil)
	}
}

// formValues reads a case form; a multipart one (the visit with its photos) may be larger than
// the edge checks (internal/web), so its text and file names are checked here: false means
// refused and answered.
func formValues(c *gin.Context) (map[string]string, bool) {
	// An urlencoded form is parsed too and answers ErrNotMultipart; anything else is a body
	// that could not be read as a form.
	if err := c.Request.ParseMultipartForm(MaxEvidence + (1 << 20)); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			web.Error(c, apperr.New(apperr.TooLarge, "case.evidence_too_large"))
			return nil, false
		}
		web.Error(c, &apperr.Error{Code: apperr.Malformed, Message: "error.multipart_malformed", Err: err})
		return nil, false
	}
	if !web.CleanMultipart(c.Request.MultipartForm) {
		web.Error(c, web.ErrBadBytes)
		return nil, false
	}
	out := map[string]string{}
	for k, v := range c.Request.PostForm {
		out[k] = strings.Join(v, "\n")
	}
	return out, true
}

// after finishes a form: back to the case on success, or the same page with the input kept
// and the reason (409 for a stale version, 422 for a value) when refused.
func (p *Pages) after(c *gin.Context, cs *Case, err error, form map[string]string, flash string) {
	if err == nil {
		web.Flash(c, flash)
		c.Redirect(http.StatusSeeOther, "/cases/"+strconv.FormatInt(cs.ID, 10))
		return
	}
	status := http.StatusUnprocessableEntity
	if apperr.CodeOf(err) == apperr.Conflict {
		status = http.StatusConflict
	}
	if e, ok := apperr.As(err); ok && (e.Code == apperr.NotFound || e.Code == apperr.Forbidden) {
		web.Error(c, err)
		return
	}
	current, gerr := p.Store.Get(c.Request.Context(), cs.ID, auth.Current(c))
	if gerr != nil {
		web.Error(c, gerr)
		return
	}
	p.render(c, current, status, err, form)
}

// version is the version a form was read at: 0 when it sends none, -1 when it is not a number,
// which no case has (a 409, or the 422 of a form that needs one), never 0, which skips the check.
func version(form map[string]string) int {
	if form["version"] == "" {
		return 0
	}
	v, err := strconv.Atoi(form["version"])
	if err != nil {
		return -1
	}
	return v
}

// formAction runs one of the case forms: load the case, read the form, act, then after.
func (p *Pages) formAction(flash string, act func(c *gin.Context, cs *Case, form map[string]string) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		cs, ok := p.load(c)
		if !ok {
			return
		}
		form, ok := formValues(c)
		if !ok {
			return
		}
		p.after(c, cs, act(c, cs, form), form, flash)
	}
}

func (p *Pages) assign(c *gin.Context, cs *Case, form map[string]string) error {
	_, err := p.Store.Assign(c.Request.Context(), auth.Current(c), cs.ID, form["assignee"], version(form))
	return err
}

// visit reads the visit form into the same Visit the API takes; the store checks both alike.
// The photos come in the same request and are stored with the visit or not at all.
func (p *Pages) visit(c *gin.Context, cs *Case, form map[string]string) error {
	v := Visit{VisitedOn: form["visited_on"], Kind: form["kind"], MetName: form["met_name"], MetPosition: form["met_position"],
		Commitment: form["commitment"], Note: form["note"], SignatureState: form["signature_state"],
		SignatureEmployer: form["signature_employer"], SignatureOfficer: form["signature_officer"],
		SignedByEmployer: form["signed_by_employer"] == "on"}
	if id := form["client_id"]; id != "" {
		v.ClientID = &id
	}
	if n, err := strconv.Atoi(form["workers_found"]); err == nil {
		v.WorkersFound = &n
	} else if form["workers_found"] != "" {
		return apperr.Fields(map[string]string{"workers_found": "error.invalid_value"})
	}
	if d := form["commitment_due"]; d != "" {
		v.CommitmentDue = &d
	}
	if form["lat"] != "" || form["lon"] != "" {
		lat, err1 := strconv.ParseFloat(form["lat"], 64)
		lon, err2 := strconv.ParseFloat(form["lon"], 64)
		if err1 != nil || err2 != nil {
			return apperr.Fields(map[string]string{"lat": "error.invalid_value"})
		}
		v.Lat, v.Lon = &lat, &lon
		if acc, err := strconv.ParseFloat(form["gps_accuracy_m"], 64); err == nil {
			v.GPSAccuracy = &acc
		}
	}
	for _, code := range c.Request.PostForm["finding"] {
		n, err := strconv.Atoi(form["workers_"+code])
		if err != nil && form["workers_"+code] != "" {
			return apperr.Fields(map[string]string{"findings": "error.invalid_value"})
		}
		v.Findings = append(v.Findings, Finding{Code: code, Workers: n, NIKs: strings.Fields(form["niks_"+code]), Note: form["note_"+code]})
	}
	// Photos the offline app sent ahead (stageUpload), named by their SHA-256.
	v.FileManifest = c.Request.PostForm["staged"]
	var files []Upload
	if c.Request.MultipartForm != nil {
		for _, fh := range c.Request.MultipartForm.File["photo"] {
			data, err := readUpload(fh)
			if err != nil {
				return err
			}
			files = append(files, Upload{Filename: fh.Filename, Data: data})
		}
	}
	// No version: a visit is appended, as in the API (docs/api.md), so two visits kept in the
	// outbox of a phone that was offline both arrive; the client_id makes re-sends harmless.
	_, created, err := p.Store.AddVisit(c.Request.Context(), auth.Current(c), cs.ID, v, 0, files...)
	if err == nil && !created {
		web.Flash(c, "case.visit_already_saved")
	}
	return err
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	if fh.Size > MaxEvidence {
		return nil, apperr.Fields(map[string]string{"photo": "case.evidence_too_large"})
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("casework: read photo: %w", err)
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxEvidence+1))
}

func (p *Pages) followUp(c *gin.Context, cs *Case, form map[string]string) error {
	_, err := p.Store.AddFollowUp(c.Request.Context(), auth.Current(c), cs.ID, FollowUpInput{Kind: form["kind"],
		IssuedOn: form["issued_on"], Note: form["note"], Reason: form["reason"], Version: version(form)})
	return err
}

func (p *Pages) followUpStatus(c *gin.Context, cs *Case, form map[string]string) error {
	fid, err := strconv.ParseInt(c.Param("fid"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	_, err = p.Store.SetFollowUpStatus(c.Request.Context(), auth.Current(c), cs.ID, fid, form["status"], version(form))
	return err
}

func (p *Pages) close(c *gin.Context, cs *Case, form map[string]string) error {
	if form["form"] == "" {
		form["form"] = "close" // from the review queue: the case page comes back with the close form open
	}
	_, err := p.Store.Close(c.Request.Context(), auth.Current(c), cs.ID,
		Closing{Outcome: form["outcome"], Note: form["note"], Version: version(form), Confirm: form["confirm"] == "yes"})
	return err
}

func (p *Pages) requestClosure(c *gin.Context, cs *Case, form map[string]string) error {
	_, err := p.Store.RequestClosure(c.Request.Context(), auth.Current(c), cs.ID, ClosureRequest{Note: form["note"], Version: version(form)})
	return err
}

// review is the supervisor's queue: what waits for a decision, what is late, what nobody visited.
func (p *Pages) review(c *gin.Context) {
	awaiting, overdue, unvisited, err := p.Store.Review(c.Request.Context(), auth.Current(c))
	if err != nil {
		web.Error(c, err)
		return
	}
	for i := range awaiting {
		visits, err := p.Store.visits(c.Request.Context(), p.Store.db, awaiting[i].CaseID)
		if err != nil {
			web.Error(c, err)
			return
		}
		if n := len(visits); n > 0 {
			awaiting[i].LastVisit = &visits[n-1]
		}
		if awaiting[i].Summary, err = p.Store.Summary(c.Request.Context(), auth.Current(c), awaiting[i].CaseID); err != nil {
			web.Error(c, err)
			return
		}
		awaiting[i].Summary.Localize(web.Localizer(c))
	}
	web.HTML(c, http.StatusOK, "cases/review", gin.H{"Awaiting": awaiting, "Overdue": overdue, "Unvisited": unvisited})
}

// stageUpload takes one photo the offline app sends ahead of its visit; it answers JSON (the
// script shows a refusal next to the file).
func (p *Pages) stageUpload(c *gin.Context) {
	cs, ok := p.load(c)
	if !ok {
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxEvidence+(1<<20))
	fh, err := c.FormFile("file")
	if err != nil {
		web.Error(c, apperr.Fields(map[string]string{"file": "case.evidence_type"}))
		return
	}
	if fh.Size > MaxEvidence {
		web.Error(c, apperr.New(apperr.TooLarge, "case.evidence_too_large"))
		return
	}
	f, err := fh.Open()
	if err != nil {
		web.Error(c, fmt.Errorf("casework: read photo: %w", err))
		return
	}
	defer f.Close()
	existing, err := p.Store.StageUpload(c.Request.Context(), auth.Current(c), cs.ID, c.PostForm("client_id"), fh.Filename,
		c.PostForm("sha256"), f)
	if err != nil {
		web.Error(c, err)
		return
	}
	status := http.StatusCreated
	if existing {
		status = http.StatusOK
	}
	c.JSON(status, gin.H{"sha256": c.PostForm("sha256")})
}
