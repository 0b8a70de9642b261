// Package accounts serves the admin's pages for users and API tokens (issue 12, issue 14):
// /admin/users and /admin/tokens. The rules and the SQL are auth's and casework's; the pages
// and `patuh user …` / `patuh token …` call the same functions.
package accounts

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/casework"
	"patuh/internal/regions"
	"patuh/internal/web"
)

// Handler serves the pages; every route is for admins only, refused to others with 403 as
// /imports is.
type Handler struct {
	Auth    *auth.Store
	Cases   *casework.Store
	Regions *regions.Store
	Now     func() time.Time
}

func (h *Handler) Register(pages *gin.RouterGroup) {
	g := pages.Group("/admin", auth.RequireRole(auth.Admin))
	g.GET("/users", h.index)
	g.POST("/users", h.add)
	g.GET("/users/:id", h.show)
	g.POST("/users/:id", h.update)
	g.POST("/users/:id/active", h.userAction(h.setActive))
	g.POST("/users/:id/password", h.userAction(h.resetPassword))
	g.POST("/users/:id/mfa-reset", h.userAction(h.mfaReset))
	g.POST("/users/:id/reassign", h.reassign)
	g.GET("/tokens", h.tokens)
	g.POST("/tokens", h.createToken)
	g.POST("/tokens/:id/revoke", h.revokeToken)
}

// actor is how the audit log names the admin.
func actor(c *gin.Context) string { return auth.Current(c).Username }

func (h *Handler) index(c *gin.Context) { h.renderIndex(c, http.StatusOK, nil, nil) }

func (h *Handler) renderIndex(c *gin.Context, status int, form map[string]string, fields map[string]string) {
	ctx := c.Request.Context()
	users, err := h.Auth.ListUsers(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	areas, err := h.Regions.Areas(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	if form == nil {
		form = map[string]string{"role": string(auth.Inspector)}
	}
	web.HTML(c, status, "admin/users", gin.H{"Users": users, "Areas": areas, "Roles": roles, "Form": form, "Fields": fields,
		"OpenAdd": fields != nil})
}

var roles = []auth.Role{auth.Inspector, auth.Supervisor, auth.Admin}

// add creates a user with a temporary password the admin gives them: at first login they
// must choose their own before any other page opens.
func (h *Handler) add(c *gin.Context) {
	form := map[string]string{"username": c.PostForm("username"), "name": c.PostForm("name"),
		"role": c.PostForm("role"), "area": c.PostForm("area")}
	u, err := h.Auth.AddUser(c.Request.Context(), actor(c), auth.NewUser{Username: form["username"], Name: form["name"],
		Role: auth.Role(form["role"]), Area: form["area"], Password: c.PostForm("password"), Temporary: true}, false)
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		h.renderIndex(c, http.StatusUnprocessableEntity, form, e.Fields)
		return
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Flash(c, "admin_users.added")
	c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.FormatInt(u.ID, 10))
}

func userID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return 0, false
	}
	return id, true
}

func (h *Handler) show(c *gin.Context) {
	if id, ok := userID(c); ok {
		h.renderShow(c, http.StatusOK, id, nil, nil)
	}
}

// renderShow is the user's page: the profile form, the account's state, the password and
// second-factor resets, and their open cases to hand over.
func (h *Handler) renderShow(c *gin.Context, status int, id int64, form, fields map[string]string) {
	ctx := c.Request.Context()
	row, err := h.Auth.UserRowByID(ctx, id)
	if err != nil {
		web.Error(c, err)
		return
	}
	areas, err := h.Regions.Areas(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	handovers, err := h.Cases.Handovers(ctx, auth.Current(c), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	needed := 0
	for _, ho := range handovers {
		if ho.Needed {
			needed++
		}
	}
	tokens, err := h.Auth.Tokens(ctx, id)
	if err != nil {
		web.Error(c, err)
		return
	}
	if form == nil {
		form = map[string]string{"name": row.Name, "role": string(row.Role), "area": row.Area}
	}
	web.HTML(c, status, "admin/user", gin.H{"U": row, "Areas": areas, "Roles": roles, "Form": form, "Fields": fields,
		"Handovers": handovers, "Needed": needed, "Tokens": tokenRows(tokens, h.Now()), "IsSelf": auth.Current(c).ID == id})
}

func (h *Handler) update(c *gin.Context) {
	id, ok := userID(c)
	if !ok {
		return
	}
	version, _ := strconv.Atoi(c.PostForm("version"))
	form := map[string]string{"name": c.PostForm("name"), "role": c.PostForm("role"), "area": c.PostForm("area")}
	_, err := h.Auth.UpdateUser(c.Request.Context(), actor(c), id,
		auth.Profile{Name: form["name"], Role: auth.Role(form["role"]), Area: form["area"], Version: version})
	if h.refused(c, id, err, form) {
		return
	}
	web.Flash(c, "admin_users.updated")
	c.Redirect(http.StatusSeeOther, "/admin/users/"+c.Param("id"))
}

// refused answers a store's refusal on the user's page (422 with the fields, 409 with the
// message), or any other error; it reports whether it answered.
func (h *Handler) refused(c *gin.Context, id int64, err error, form map[string]string) bool {
	if err == nil {
		return false
	}
	e, ok := apperr.As(err)
	switch {
	case ok && e.Code == apperr.Invalid:
		h.renderShow(c, http.StatusUnprocessableEntity, id, form, e.Fields)
	case ok && e.Code == apperr.Conflict:
		h.renderShow(c, http.StatusConflict, id, form, map[string]string{"problem": e.Message})
	default:
		web.Error(c, err)
	}
	return true
}

// userAction runs an admin's action on the user of the path; done, the user's page comes
// back with flash (a refusal shows the page with its message instead).
func (h *Handler) userAction(act func(c *gin.Context, id int64) (flash string, err error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := userID(c)
		if !ok {
			return
		}
		flash, err := act(c, id)
		if h.refused(c, id, err, nil) {
			return
		}
		web.Flash(c, flash)
		c.Redirect(http.StatusSeeOther, "/admin/users/"+c.Param("id"))
	}
}

// setActive disables (active=false) or enables a user; a disabled inspector's open cases are
// then listed on their page to hand over.
func (h *Handler) setActive(c *gin.Context, id int64) (string, error) {
	if c.PostForm("active") == "true" {
		return "admin_users.enabled", h.Auth.SetActive(c.Request.Context(), actor(c), id, true)
	}
	return "admin_users.disabled", h.Auth.SetActive(c.Request.Context(), actor(c), id, false)
}

func (h *Handler) resetPassword(c *gin.Context, id int64) (string, error) {
	return "admin_users.password_reset", h.Auth.ResetPassword(c.Request.Context(), actor(c), id, c.PostForm("password"))
}

func (h *Handler) mfaReset(c *gin.Context, id int64) (string, error) {
	return "admin_users.mfa_reset", h.Auth.MFAReset(c.Request.Context(), actor(c), id)
}

// reassign hands the ticked cases over, each to the inspector chosen in its row.
func (h *Handler) reassign(c *gin.Context) {
	id, ok := userID(c)
	if !ok {
		return
	}
	var moves []casework.Move
	for _, v := range c.PostFormArray("case") {
		caseID, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		version, _ := strconv.Atoi(c.PostForm("version_" + v))
		moves = append(moves, casework.Move{CaseID: caseID, Assignee: c.PostForm("to_" + v), Version: version})
	}
	if h.refused(c, id, h.Cases.BulkReassign(c.Request.Context(), auth.Current(c), id, moves), nil) {
		return
	}
	web.Flash(c, "admin_users.reassigned")
	c.Redirect(http.StatusSeeOther, "/admin/users/"+c.Param("id"))
}

// TokenRow is a token with its state now, for the lists.
type TokenRow struct {
	auth.Token
	State string
}

func tokenRows(ts []auth.Token, now time.Time) []TokenRow {
	out := make([]TokenRow, len(ts))
	for i, t := range ts {
		out[i] = TokenRow{Token: t, State: t.State(now)}
	}
	return out
}

func (h *Handler) tokens(c *gin.Context) { h.renderTokens(c, http.StatusOK, nil, nil, "") }

func (h *Handler) renderTokens(c *gin.Context, status int, form, fields map[string]string, created string) {
	ctx := c.Request.Context()
	users, err := h.Auth.ListUsers(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	var filter int64
	if form == nil {
		form = map[string]string{"user": c.Query("user"), "days": strconv.Itoa(int(h.Auth.TokenTTL.Hours() / 24))}
	}
	filter, _ = strconv.ParseInt(strings.TrimSpace(c.Query("user")), 10, 64)
	tokens, err := h.Auth.Tokens(ctx, filter)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.HTML(c, status, "admin/tokens", gin.H{"Users": users, "Tokens": tokenRows(tokens, h.Now()), "Form": form,
		"Fields": fields, "Created": created, "Filter": filter})
}

// createToken shows the new token once, on the page that answers the form; only its HMAC is kept.
func (h *Handler) createToken(c *gin.Context) {
	form := map[string]string{"user": c.PostForm("user"), "label": c.PostForm("label"), "days": c.PostForm("days")}
	userID, _ := strconv.ParseInt(form["user"], 10, 64)
	days, err := strconv.Atoi(strings.TrimSpace(form["days"]))
	ttl := time.Duration(days) * 24 * time.Hour
	if err != nil || days <= 0 {
		ttl = -1 // refused by IssueToken with the other fields
	}
	token, _, err := h.Auth.IssueToken(c.Request.Context(), actor(c), userID, form["label"], ttl)
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		h.renderTokens(c, http.StatusUnprocessableEntity, form, e.Fields, "")
		return
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	h.renderTokens(c, http.StatusCreated, nil, nil, token)
}

func (h *Handler) revokeToken(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	if err := h.Auth.RevokeToken(c.Request.Context(), actor(c), id); err != nil {
		web.Error(c, err)
		return
	}
	web.Flash(c, "admin_tokens.revoked")
	back := "/admin/tokens"
	if u := c.PostForm("back"); u != "" {
		back = web.LocalPath(u)
	}
	c.Redirect(http.StatusSeeOther, back)
}
