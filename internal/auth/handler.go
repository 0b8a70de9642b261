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
	// sessMFA is "done" once the session passed the second factor, or needed none at login.
	// A session without it reaches only the MFA step (ASVS V6.4): a password alone of a user
	// who must have MFA opens nothing else.
	sessMFA    = "mfa"
	mfaDone    = "done"
	pendingKey = "auth.pending"
	mfaPath    = "/login/mfa"
)

// Handler serves login and logout and provides the middleware that finds the current user.
type Handler struct {
	Store *Store
}

func (h *Handler) Register(e *gin.RouterGroup) {
	e.GET("/login", h.loginPage)
	e.POST("/login", h.login)
	e.POST("/logout", h.logout)
	e.GET(mfaPath, h.mfaPage)
	e.POST(mfaPath, h.mfaSubmit)
	e.GET(mfaPath+"/qr.png", h.mfaQR)
}

// RegisterAccount adds the logged-in user's own pages.
func (h *Handler) RegisterAccount(e *gin.RouterGroup) {
	e.GET(passwordPath, func(c *gin.Context) {
		web.HTML(c, http.StatusOK, "auth/password", gin.H{"MustChange": Current(c).MustChangePassword})
	})
	e.POST(passwordPath, h.changePassword)
}

// passwordPath is the one page a user with a temporary password may open (with logout).
const passwordPath = "/account/password"

// changePassword ends every other session of the user; this one carries on with a new token.
func (h *Handler) changePassword(c *gin.Context) {
	ctx := c.Request.Context()
	epoch, err := h.Store.ChangeOwnPassword(ctx, Current(c), c.PostForm("current"), c.PostForm("password"))
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
			web.HTML(c, http.StatusUnprocessableEntity, "auth/password", gin.H{"Fields": e.Fields,
				"MustChange": Current(c).MustChangePassword})
			return
		}
		web.Error(c, err)
		return
	}
	sm := web.Sessions(c)
	if err := sm.RenewToken(ctx); err != nil {
		web.Error(c, err)
		return
	}
	sm.Put(ctx, sessEpoch, epoch)
	if Current(c).MustChangePassword {
		// The first login's own password is chosen: on to the home page.
		web.Flash(c, "password.done_first")
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	web.HTML(c, http.StatusOK, "auth/password", gin.H{"Done": true})
}

// pending is the user who gave the right password but not yet the second factor.
func pending(c *gin.Context) *User {
	if u, ok := c.Get(pendingKey); ok {
		return u.(*User)
	}
	return nil
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
		if err := sm.Destroy(ctx); err != nil {
			web.Error(c, err)
			return
		}
		c.Next()
		return
	}
	if sm.GetString(ctx, sessMFA) != mfaDone {
		c.Set(pendingKey, u)
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
	if Current(c) == nil && pending(c) != nil {
		c.Redirect(http.StatusSeeOther, mfaPath)
		c.Abort()
		return
	}
	if Current(c) == nil {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(returnPath(c.Request)))
		c.Abort()
		return
	}
	// A temporary password (set by an admin) opens nothing but its replacement (issue 12).
	if Current(c).MustChangePassword && c.Request.URL.Path != passwordPath {
		c.Redirect(http.StatusSeeOther, passwordPath)
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
	token, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="patuh"`)
		web.Error(c, apperr.New(apperr.Unauthorized, "error.unauthorized"))
		return
	}
	u, err := h.Store.UserByToken(c.Request.Context(), token)
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

// bearerToken reads the token of an Authorization header. The scheme is case-insensitive
// (RFC 9110 §11.1): "bearer …" is as good as "Bearer …".
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
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
	need, err := h.Store.MFARequired(ctx, u)
	if err != nil {
		web.Error(c, err)
		return
	}
	if need {
		c.Redirect(http.StatusSeeOther, mfaPath+"?next="+url.QueryEscape(next))
		return
	}
	sm.Put(ctx, sessMFA, mfaDone)
	c.Redirect(http.StatusSeeOther, next)
}

// mfaPage asks for the code, or at first login shows the QR code to enrol with.
func (h *Handler) mfaPage(c *gin.Context) {
	u := pending(c)
	if u == nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	h.renderMFA(c, u, http.StatusOK, "")
}

func (h *Handler) renderMFA(c *gin.Context, u *User, status int, msg string) {
	st, err := h.Store.MFAState(c.Request.Context(), u.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	data := gin.H{"Enrolled": st.Enrolled, "Next": SafeNext(c.Query("next")), "Error": msg}
	if !st.Enrolled {
		key, err := h.Store.EnrolmentKey(c.Request.Context(), u)
		if err != nil {
			web.Error(c, err)
			return
		}
		data["Secret"] = key.Secret()
	}
	web.HTML(c, status, "auth/mfa", data)
}

// mfaQR serves the enrolment QR code to the user enrolling, and to nobody else.
func (h *Handler) mfaQR(c *gin.Context) {
	u := pending(c)
	if u == nil {
		web.Error(c, apperr.New(apperr.Forbidden, "error.forbidden"))
		return
	}
	img, err := h.Store.EnrolmentQR(c.Request.Context(), u)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/png", img)
}

func (h *Handler) mfaSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	u := pending(c)
	if u == nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	next := SafeNext(c.PostForm("next"))
	c.Request.URL.RawQuery = "next=" + url.QueryEscape(next)
	st, err := h.Store.MFAState(ctx, u.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	var codes []string
	if st.Enrolled {
		err = h.Store.VerifySecondFactor(ctx, u, c.PostForm("code"))
	} else {
		codes, err = h.Store.ConfirmEnrolment(ctx, u, strings.TrimSpace(c.PostForm("code")))
	}
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || (e.Code != apperr.Unauthorized && e.Code != apperr.TooManyRequests) {
			web.Error(c, err)
			return
		}
		status := http.StatusUnauthorized
		if e.Code == apperr.TooManyRequests {
			status = http.StatusTooManyRequests
			c.Header("Retry-After", "900")
		}
		h.renderMFA(c, u, status, e.Message)
		return
	}
	sm := web.Sessions(c)
	if err := sm.RenewToken(ctx); err != nil {
		web.Error(c, err)
		return
	}
	sm.Put(ctx, sessMFA, mfaDone)
	if codes != nil {
		setCurrent(c, u)
		web.HTML(c, http.StatusOK, "auth/mfa_codes", gin.H{"Codes": codes, "Next": next})
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (h *Handler) logout(c *gin.Context) {
	if err := web.Sessions(c).Destroy(c.Request.Context()); err != nil {
		web.Error(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}
