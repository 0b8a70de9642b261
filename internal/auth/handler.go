package auth

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/web"
)

const (
	currentKey = "auth.user"
	sessUserID = "user_id"
	sessEpoch  = "epoch"
)

// Handler serves login and logout and provides the middleware that finds the current user.
type Handler struct {
	Store *Store
}

func (h *Handler) Register(e *gin.RouterGroup) {
	e.GET("/login", h.loginPage)
	e.POST("/login", h.login)
	e.POST("/logout", h.logout)
}

// Current is the logged-in user or token owner; nil on a public route.
func Current(c *gin.Context) *User {
	if u, ok := c.Get(currentKey); ok {
		return u.(*User)
	}
	return nil
}

func setCurrent(c *gin.Context, u *User) {
	c.Set(currentKey, u)
	web.SetViewer(c, u, u.ID)
}

// Session finds the user of the session cookie, if any. A session whose user was deactivated
// or changed password since (epoch) is destroyed.
func (h *Handler) Session(c *gin.Context) {
	ctx := c.Request.Context()
	sm := web.Sessions(c)
	id := sm.GetInt64(ctx, sessUserID)
	if id == 0 {
		c.Next()
		return
	}
	u, err := h.Store.UserByID(ctx, id)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		web.Error(c, err)
		return
	}
	if err != nil || !u.Active || u.SessionEpoch != sm.GetInt(ctx, sessEpoch) {
		sm.Destroy(ctx)
		c.Next()
		return
	}
	setCurrent(c, u)
	c.Next()
}

// returnPath is where a visitor whose session ended goes back after logging in: the page
// asked for, or, for a form sent (a POST cannot be repeated by a redirect: it would land on a
// 405), the page the form was on (the Referer, same-origin by our Referrer-Policy). The
// offline app keeps what the form held and sends it again after the login.
func returnPath(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if ref, err := url.Parse(r.Referer()); err == nil && (ref.Host == "" || ref.Host == r.Host) {
		return SafeNext(ref.RequestURI())
	}
	return "/"
}

// RequireLogin sends anonymous visitors of a page to the login form, and back afterwards.
func RequireLogin(c *gin.Context) {
	if Current(c) == nil {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(returnPath(c.Request)))
		c.Abort()
		return
	}
	c.Next()
}

// RequireRole refuses users of any other role with 403.
func RequireRole(roles ...Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := Current(c)
		for _, r := range roles {
			if u != nil && u.Role == r {
				c.Next()
				return
			}
		}
		web.Error(c, apperr.New(apperr.Forbidden, "error.forbidden"))
	}
}

// Bearer authenticates an API request by its token. The API uses no cookies.
func (h *Handler) Bearer(c *gin.Context) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		c.Header("WWW-Authenticate", `Bearer realm="patuh"`)
		web.Error(c, apperr.New(apperr.Unauthorized, "error.unauthorized"))
		return
	}
	u, err := h.Store.UserByToken(c.Request.Context(), strings.TrimSpace(token))
	if err != nil {
		if apperr.CodeOf(err) == apperr.Unauthorized {
			c.Header("WWW-Authenticate", `Bearer realm="patuh", error="invalid_token"`)
		}
		web.Error(c, err)
		return
	}
	setCurrent(c, u)
	c.Next()
}

func (h *Handler) loginPage(c *gin.Context) {
	if Current(c) != nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	web.HTML(c, http.StatusOK, "auth/login", gin.H{"Next": SafeNext(c.Query("next"))})
}

func (h *Handler) login(c *gin.Context) {
	ctx := c.Request.Context()
	username := c.PostForm("username")
	next := SafeNext(c.PostForm("next"))
	u, err := h.Store.Authenticate(ctx, username, c.PostForm("password"), c.ClientIP())
	if err != nil {
		e, ok := apperr.As(err)
		if !ok {
			web.Error(c, err)
			return
		}
		status := http.StatusUnauthorized
		if e.Code == apperr.TooManyRequests {
			status = http.StatusTooManyRequests
			c.Header("Retry-After", "900")
		}
		web.HTML(c, status, "auth/login", gin.H{"Error": e.Message, "Username": username, "Next": next})
		return
	}
	sm := web.Sessions(c)
	// A new token at login, so a session id planted before login is worthless afterwards.
	if err := sm.RenewToken(ctx); err != nil {
		web.Error(c, err)
		return
	}
	sm.Put(ctx, sessUserID, u.ID)
	sm.Put(ctx, sessEpoch, u.SessionEpoch)
	c.Redirect(http.StatusSeeOther, next)
}

func (h *Handler) logout(c *gin.Context) {
	if err := web.Sessions(c).Destroy(c.Request.Context()); err != nil {
		web.Error(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}
