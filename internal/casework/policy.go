package casework

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/web"
)

// Who may act on a case (ASVS V8.2, the policy of issue 14), written once:
//
//   - reading a case: any user whose area covers the employer (Store.get scopes by area, and a
//     case outside the area answers 404 as if it did not exist);
//   - acting on it (visits, evidence, follow-ups issued or marked fulfilled/lapsed, letters,
//     asking for closure): the case's assignee, or a supervisor or admin whose area covers
//     it. An inspector of the area who is not the assignee may read but not act;
//   - opening, assigning, closing: supervisors and admins only (their routes require the role).
//
// mayAct is called inside each action's transaction, on the case row it locked, so the
// assignee it checks is the one the change applies to. The action routes also check it first,
// before reading the request (requireMayAct): a caller who may not act learns nothing from
// the validation of a body or the version of the case, and uploads nothing.
func mayAct(u *auth.User, c *Case) error {
	if u.Role == auth.Admin || u.Role == auth.Supervisor {
		return nil // the area was checked when the case was read
	}
	if c.AssigneeID != nil && *c.AssigneeID == u.ID {
		return nil
	}
	return apperr.New(apperr.Forbidden, "case.not_assignee")
}

// requireMayAct refuses a case action (route parameter :id) to a caller who may not act on the
// case: 404 outside their area, 403 for an inspector who is not the assignee.
func requireMayAct(s *Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
			return
		}
		u := auth.Current(c)
		cs, err := s.get(c.Request.Context(), s.db, id, u.AreaPattern(), false)
		if err == nil {
			err = mayAct(u, cs)
		}
		if err != nil {
			web.Error(c, err)
			return
		}
		c.Next()
	}
}
