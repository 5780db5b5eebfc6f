package teamhttp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/teamkit/teamkit/team"
)

// Option configures the handler of New.
type Option func(*config)

type config struct {
	authenticate func(*http.Request) (team.User, error)
	sessionEpoch func(r *http.Request, teamID string) (uint64, bool)
	clientAddr   func(*http.Request) string
	log          *slog.Logger
	maxBody      int64
	limiter      Limiter
	limits       RateLimits
	now          func() time.Time
}

// WithAuthenticate sets the host's sign-in check, the one thing New needs:
// it returns the signed-in user of r (an ID and a verified email), or an
// error, answered with 401 (code unauthenticated; the error itself is only
// logged). The routes that present an invitation token for a preview and
// the OpenAPI document do not call it.
func WithAuthenticate(fn func(*http.Request) (team.User, error)) Option {
	return func(c *config) { c.authenticate = fn }
}

// WithSessionEpoch makes every route under /teams/{teamID} check the
// session epoch (ROLE-5): fn returns the epoch the request's session holds
// for teamID, stamped at sign-in from team.Service.SessionEpoch or
// Memberships, and false when it holds none (a team joined after sign-in).
// A stamped epoch that is not the membership's current one is refused with
// 401 (code session_expired). Hosts whose sessions cache no role need no
// such check; see CheckSessionEpoch.
func WithSessionEpoch(fn func(r *http.Request, teamID string) (epoch uint64, ok bool)) Option {
	return func(c *config) { c.sessionEpoch = fn }
}

// WithLogger sets the logger (default slog.Default()). Internal errors are
// logged at Error level with their ID and the full error; refusals at Debug.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithMaxBodyBytes sets the largest request body accepted (default
// DefaultMaxBodyBytes); larger ones are refused with 413.
func WithMaxBodyBytes(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithRateLimits sets the abuse limits (default DefaultRateLimits()).
func WithRateLimits(l RateLimits) Option { return func(c *config) { c.limits = l } }

// WithLimiter sets the rate limiter that keeps the buckets (default an
// in-memory one, NewMemoryLimiter). A host running several instances plugs
// in one they share, say over Redis.
func WithLimiter(l Limiter) Option { return func(c *config) { c.limiter = l } }

// WithClientAddress sets how the client's address is read for the
// per-address limits (default: the host of r.RemoteAddr). Behind a reverse
// proxy, return the address the proxy vouches for (its X-Forwarded-For
// entry), never a header a client can set itself.
func WithClientAddress(fn func(*http.Request) string) Option {
	return func(c *config) { c.clientAddr = fn }
}

// WithClock sets the clock that tells invitations' expiry state (default
// time.Now); pass the Service's.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// api is the handler's state.
type api struct {
	config
	svc *team.Service
}

// New returns the JSON API of svc (HTTP-1): every use case of a signed-in
// user, routed with net/http's ServeMux patterns from the root, so a host
// mounts it under a prefix with http.StripPrefix:
//
//	mux.Handle("/teams-api/", http.StripPrefix("/teams-api", teamhttp.New(svc, teamhttp.WithAuthenticate(signedIn))))
//
// WithAuthenticate is required: New panics without it, as it panics with a
// nil svc, because a handler that cannot tell who calls must not start.
// The operations only the host may perform (SetAccountStatus, UpdateUser,
// OffboardUser, HostAuditLog, VerifyAuditChain) are not exposed.
// GET /openapi.json serves the OpenAPI 3.1 description (HTTP-3).
func New(svc *team.Service, opts ...Option) http.Handler {
	a := newAPI("teamhttp.New", svc, opts)
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.pattern, a.wrap(rt))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, &requestError{status: http.StatusNotFound, code: "not_found", msg: "no such route; see GET /openapi.json"})
	}))
	return mux
}

// newAPI applies opts; fn names the constructor in its panics.
func newAPI(fn string, svc *team.Service, opts []Option) *api {
	if svc == nil {
		panic(fn + ": nil *team.Service")
	}
	a := &api{svc: svc, config: config{maxBody: DefaultMaxBodyBytes, limits: DefaultRateLimits(), now: time.Now,
		clientAddr: remoteHost}}
	for _, o := range opts {
		o(&a.config)
	}
	if a.authenticate == nil {
		panic(fn + ": WithAuthenticate is required")
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.limiter == nil {
		a.limiter = NewMemoryLimiter(MemoryLimiterConfig{Now: a.now})
	}
	return a
}

// access is who may call a route.
type access int

const (
	public   access = iota // no sign-in: the token is the credential, or nothing is secret
	signedIn               // Authenticate must accept the request
	inTeam                 // signedIn, and the session epoch of {teamID} is checked
)

// route is one entry of the route table, read by New and by the tests that
// compare it with the OpenAPI document (HTTP-3).
type route struct {
	method  string
	pattern string
	access  access
	limit   limitKind
	handle  func(a *api, w http.ResponseWriter, r *http.Request, u team.User) error
}

type userKey struct{}

// ContextWithUser returns ctx carrying u as the signed-in user, for
// RequireAction and RequirePermission.
func ContextWithUser(ctx context.Context, u team.User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFromContext returns the signed-in user put in ctx by
// ContextWithUser or Authenticated.
func UserFromContext(ctx context.Context) (team.User, bool) {
	u, ok := ctx.Value(userKey{}).(team.User)
	return u, ok
}

func (a *api) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u team.User
		if rt.access != public {
			var err error
			u, err = a.authenticate(r)
			if err == nil && u.ID == "" {
				err = errors.New("the Authenticate function returned a user without an ID")
			}
			if err != nil {
				a.log.DebugContext(r.Context(), "teamhttp: authentication refused", "path", r.URL.Path, "error", err.Error())
				a.writeError(w, r, ErrUnauthenticated)
				return
			}
			r = r.WithContext(ContextWithUser(r.Context(), u))
		}
		if rt.access == inTeam && a.sessionEpoch != nil {
			teamID := r.PathValue("teamID")
			if stamped, ok := a.sessionEpoch(r, teamID); ok {
				if err := CheckSessionEpoch(r.Context(), a.svc, u.ID, teamID, stamped); err != nil {
					a.writeError(w, r, err)
					return
				}
			}
		}
		if err := a.checkLimit(r, rt.limit, u.ID); err != nil {
			a.writeError(w, r, err)
			return
		}
		if err := rt.handle(a, w, r, u); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// Routes returns the patterns the handler of New serves, such as
// "GET /teams/{teamID}", in the order of the route table, relative to where
// the handler is mounted. The OpenAPI document describes exactly these.
func Routes() []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = rt.method + " " + rt.pattern
	}
	return out
}
