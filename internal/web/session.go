package web

import (
	"net/http"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
)

const sessionsKey = "web.sessions"

// Sessions returns the session manager.
func Sessions(c *gin.Context) *scs.SessionManager {
	return c.MustGet(sessionsKey).(*scs.SessionManager)
}

// Flash keeps a message id for the next page shown to this session (post/redirect/get).
func Flash(c *gin.Context, messageID string) {
	Sessions(c).Put(c.Request.Context(), "flash", messageID)
}

// FlashCount is a flash that says how many (and, for an assignment, to whom): "12 kasus dibuka."
func FlashCount(c *gin.Context, messageID string, n int, name string) {
	s := Sessions(c)
	s.Put(c.Request.Context(), "flash", messageID)
	s.Put(c.Request.Context(), "flash_n", n)
	s.Put(c.Request.Context(), "flash_name", name)
}

func takeFlashArgs(c *gin.Context) (int, string) {
	s, ok := c.Get(sessionsKey)
	if !ok {
		return 0, ""
	}
	m := s.(*scs.SessionManager)
	return m.PopInt(c.Request.Context(), "flash_n"), m.PopString(c.Request.Context(), "flash_name")
}

func takeFlash(c *gin.Context) string {
	s, ok := c.Get(sessionsKey)
	if !ok {
		return ""
	}
	return s.(*scs.SessionManager).PopString(c.Request.Context(), "flash")
}

var crossOrigin = http.NewCrossOriginProtection()

// CSRF, in front of every route, refuses a state-changing request that a browser says comes from another site
// (Sec-Fetch-Site, else Origin against Host). Non-browser clients send neither and pass;
// they have no session cookie to abuse.
func CSRF(c *gin.Context) {
	if err := crossOrigin.Check(c.Request); err != nil {
		Error(c, apperr.New(apperr.Forbidden, "error.csrf"))
		return
	}
	c.Next()
}
