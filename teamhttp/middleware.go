package teamhttp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// Authenticated is middleware for the host's own routes: it runs
// authenticate (the same function as WithAuthenticate) and puts the user in
// the request's context (UserFromContext), or answers 401 with a problem.
// RequireAction and RequirePermission read the user from there.
func Authenticated(authenticate func(*http.Request) (team.User, error), logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, err := authenticate(r)
			if err != nil || u.ID == "" {
				writeProblem(w, r, logger, ErrUnauthenticated)
				return
			}
			next.ServeHTTP(w, r.WithContext(ContextWithUser(r.Context(), u)))
		})
	}
}

// RequireAction is middleware for the host's own routes (HTTP-5): it lets a
// request through only when its signed-in user (UserFromContext) may perform
// action on the resource resourceFrom names, in the team it names, as
// team.Service.Authorize decides from the member's current role (RES-1..3).
// A resourceFrom error is answered as a problem too (return a
// *team.InputError, or team.ErrNotFound, for a 400 or 404). Refusals are
// 401 (no user), 403 (permission_denied, not_member) or 400; an internal
// error (a failing store) is a 500 logged through slog.Default().
//
//	mux.Handle("DELETE /teams/{teamID}/agents/{id}", auth(teamhttp.RequireAction(svc, rbac.Delete, agentOf)(deleteAgent)))
func RequireAction(svc *team.Service, action team.Action, resourceFrom func(*http.Request) (teamID string, res team.Resource, err error)) func(http.Handler) http.Handler {
	return guard(func(r *http.Request, u team.User) error {
		teamID, res, err := resourceFrom(r)
		if err != nil {
			return err
		}
		return svc.Authorize(r.Context(), u.ID, teamID, action, res)
	})
}

// RequirePermission is middleware for the host's own routes (HTTP-5): it
// lets a request through only when its signed-in user is a member of the
// team teamIDFrom names whose current role holds every permission in perm,
// such as rbac.Billing. teamIDFrom is often
// func(r *http.Request) string { return r.PathValue("teamID") }.
func RequirePermission(svc *team.Service, perm rbac.Permission, teamIDFrom func(*http.Request) string) func(http.Handler) http.Handler {
	return guard(func(r *http.Request, u team.User) error {
		p, err := svc.Permissions(r.Context(), u.ID, teamIDFrom(r))
		if err != nil {
			return err
		}
		if !p.Can(perm) {
			return team.ErrPermissionDenied
		}
		return nil
	})
}

func guard(check func(*http.Request, team.User) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, ok := UserFromContext(r.Context())
			if !ok {
				writeProblem(w, r, slog.Default(), ErrUnauthenticated)
				return
			}
			if err := check(r, u); err != nil {
				writeProblem(w, r, slog.Default(), err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CheckSessionEpoch compares the session epoch a session stamped for
// userID's membership of teamID at sign-in with the current one (ROLE-5).
// It returns nil when they are equal, an error matching ErrSessionExpired
// when they differ (the role changed, ownership moved, or the user was
// removed and joined again: epochs only grow), and the service's error
// (ErrNotMember, ...) when userID is no longer a member.
//
// When a host needs it: its sessions cache the role or the permissions (a
// JWT with a "role" claim, a session row that holds what the user may do)
// and code decides from that cache. Then a demoted member's old sessions
// keep the old powers until they are rejected here.
//
// When it does not: every decision goes through the library, by Authorize,
// RequireAction, RequirePermission or the handler of New, which read the
// current role on each call, so a role change or a removal takes effect at
// once (ROLE-5) and a stale session can do nothing its user may not do now.
func CheckSessionEpoch(ctx context.Context, svc *team.Service, userID, teamID string, stamped uint64) error {
	current, err := svc.SessionEpoch(ctx, userID, teamID)
	if err != nil {
		return err
	}
	if current != stamped {
		return fmt.Errorf("%w (user %s, team %s: session epoch %d, current %d)", ErrSessionExpired, userID, teamID, stamped, current)
	}
	return nil
}

// RequireSessionEpoch is middleware for the host's own routes that checks
// the session epoch with CheckSessionEpoch: epochFrom returns the epoch the
// request's session stamped for the team teamIDFrom names, and false when it
// stamped none (nothing is checked then).
func RequireSessionEpoch(svc *team.Service, teamIDFrom func(*http.Request) string, epochFrom func(r *http.Request, teamID string) (uint64, bool)) func(http.Handler) http.Handler {
	return guard(func(r *http.Request, u team.User) error {
		teamID := teamIDFrom(r)
		stamped, ok := epochFrom(r, teamID)
		if !ok {
			return nil
		}
		return CheckSessionEpoch(r.Context(), svc, u.ID, teamID, stamped)
	})
}
