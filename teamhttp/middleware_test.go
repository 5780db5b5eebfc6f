package teamhttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
)

// hostRoutes is a host's own API guarded by the middleware: agents whose
// creator is in the X-Creator header, and an invoice page for billing.
func hostRoutes(f *fixture) http.Handler {
	auth := teamhttp.Authenticated(func(r *http.Request) (team.User, error) {
		id, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return team.User{}, errors.New("no bearer token")
		}
		return team.User{ID: id, Email: id + "@example.com"}, nil
	}, nil)
	agentOf := func(r *http.Request) (string, team.Resource, error) {
		return r.PathValue("teamID"), team.Resource{Type: "agent", ID: r.PathValue("id"), CreatorID: r.Header.Get("X-Creator")}, nil
	}
	teamOf := func(r *http.Request) string { return r.PathValue("teamID") }
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "done") })
	mux := http.NewServeMux()
	mux.Handle("DELETE /teams/{teamID}/agents/{id}", auth(teamhttp.RequireAction(f.svc, rbac.Delete, agentOf)(ok)))
	mux.Handle("GET /teams/{teamID}/agents/{id}", auth(teamhttp.RequireAction(f.svc, rbac.View, agentOf)(ok)))
	mux.Handle("GET /teams/{teamID}/invoices", auth(teamhttp.RequirePermission(f.svc, rbac.Billing, teamOf)(ok)))
	mux.Handle("GET /teams/{teamID}/epoch", auth(teamhttp.RequireSessionEpoch(f.svc, teamOf, func(r *http.Request, _ string) (uint64, bool) {
		v := r.Header.Get("X-Epoch")
		n, err := strconv.ParseUint(v, 10, 64)
		return n, err == nil
	})(ok)))
	return mux
}

// addMember makes user a member of f.acme with role, through an invitation.
func addMember(t *testing.T, f *fixture, user, role string) team.Member {
	t.Helper()
	ctx := context.Background()
	res, err := f.svc.Invite(ctx, team.InviteParams{ActorID: "ana", TeamID: f.acme.ID, Email: user + "@example.com", Role: role})
	require.NoError(t, err)
	m, err := f.svc.AcceptInvitation(ctx, team.User{ID: user, Email: user + "@example.com"}, res.Token)
	require.NoError(t, err)
	return m
}

func hostCall(t *testing.T, h http.Handler, user, method, path string, header ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+user)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		require.Equal(t, teamhttp.ProblemContentType, rec.Header().Get("Content-Type"))
		return rec.Code, decodeProblem(t, rec.Body.Bytes()).Code
	}
	return rec.Code, rec.Body.String()
}

// Rule HTTP-5: RequireAction decides by the member's current role and the
// resource's creator (RES-1..3); a removed member is refused at once.
func TestHTTP5RequireAction(t *testing.T) {
	f := newFixture(t)
	addMember(t, f, "bo", "member")
	addMember(t, f, "cy", "viewer")
	h := hostRoutes(f)
	T := "/teams/" + f.acme.ID
	cases := []struct {
		user, method, creator string
		status                int
		code                  string
	}{
		{"ana", "DELETE", "bo", 200, "done"},
		{"bo", "DELETE", "bo", 200, "done"},
		{"bo", "DELETE", "ana", 403, "permission_denied"},
		{"cy", "GET", "ana", 200, "done"},
		{"cy", "DELETE", "cy", 403, "permission_denied"},
		{"eve", "GET", "ana", 403, "not_member"},
		{"", "GET", "ana", 401, "unauthenticated"},
	}
	for _, c := range cases {
		status, got := hostCall(t, h, c.user, c.method, T+"/agents/a1", "X-Creator", c.creator)
		require.Equal(t, c.status, status, "%+v: %s", c, got)
		require.Equal(t, c.code, got, "%+v", c)
	}
	require.NoError(t, f.svc.RemoveMember(context.Background(), team.RemoveMemberParams{ActorID: "ana", TeamID: f.acme.ID, UserID: "bo"}))
	status, code := hostCall(t, h, "bo", "DELETE", T+"/agents/a1", "X-Creator", "bo")
	require.Equal(t, 403, status)
	require.Equal(t, "not_member", code)
}

// Rule HTTP-5: RequirePermission needs every permission asked for.
func TestHTTP5RequirePermission(t *testing.T) {
	f := newFixture(t)
	addMember(t, f, "bo", "member")
	addMember(t, f, "al", "admin")
	h := hostRoutes(f)
	T := "/teams/" + f.acme.ID
	for user, want := range map[string]int{"ana": 200, "al": 200, "bo": 403, "eve": 403, "": 401} {
		status, body := hostCall(t, h, user, "GET", T+"/invoices")
		require.Equal(t, want, status, "%s: %s", user, body)
	}
}

// Rules HTTP-5 and ROLE-5: a session stamped with an old epoch is refused
// with 401 session_expired after a role change, by the middleware and by
// the handler of New with WithSessionEpoch; a fresh stamp passes.
func TestHTTP5SessionEpoch(t *testing.T) {
	f := newFixture(t)
	bo := addMember(t, f, "bo", "admin")
	h := hostRoutes(f)
	T := "/teams/" + f.acme.ID
	old := strconv.FormatUint(bo.Epoch, 10)
	status, _ := hostCall(t, h, "bo", "GET", T+"/epoch", "X-Epoch", old)
	require.Equal(t, 200, status)
	_, err := f.svc.ChangeRole(context.Background(), team.ChangeRoleParams{ActorID: "ana", TeamID: f.acme.ID, UserID: "bo", Role: "member"})
	require.NoError(t, err)
	status, code := hostCall(t, h, "bo", "GET", T+"/epoch", "X-Epoch", old)
	require.Equal(t, 401, status)
	require.Equal(t, "session_expired", code)
	current, err := f.svc.SessionEpoch(context.Background(), "bo", f.acme.ID)
	require.NoError(t, err)
	status, _ = hostCall(t, h, "bo", "GET", T+"/epoch", "X-Epoch", strconv.FormatUint(current, 10))
	require.Equal(t, 200, status)
	status, _ = hostCall(t, h, "bo", "GET", T+"/epoch") // no stamp for the team: not checked
	require.Equal(t, 200, status)
	err = teamhttp.CheckSessionEpoch(context.Background(), f.svc, "bo", f.acme.ID, bo.Epoch)
	require.ErrorIs(t, err, teamhttp.ErrSessionExpired)

	// The same through New's handler.
	api := teamhttp.New(f.svc, teamhttp.WithAuthenticate(fixedUser(team.User{ID: "bo", Email: "bo@example.com"})),
		teamhttp.WithSessionEpoch(func(r *http.Request, teamID string) (uint64, bool) {
			n, err := strconv.ParseUint(r.Header.Get("X-Epoch"), 10, 64)
			return n, err == nil
		}))
	status, code = hostCall(t, api, "", "GET", T+"/members", "X-Epoch", old)
	require.Equal(t, 401, status)
	require.Equal(t, "session_expired", code)
	status, _ = hostCall(t, api, "", "GET", T+"/members", "X-Epoch", strconv.FormatUint(current, 10))
	require.Equal(t, 200, status)
}

// Rule HTTP-1: the handler works under a prefix with http.StripPrefix, and
// outside its routes answers with a problem.
func TestHTTP1MountedUnderPrefix(t *testing.T) {
	f := newFixture(t)
	mux := http.NewServeMux()
	api := teamhttp.New(f.svc, teamhttp.WithAuthenticate(fixedUser(ana)))
	mux.Handle("/v1/teamkit/", http.StripPrefix("/v1/teamkit", api))
	status, body := hostCall(t, mux, "", "GET", "/v1/teamkit/teams/"+f.acme.ID)
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"name":"Acme"`)
	status, code := hostCall(t, mux, "", "GET", "/v1/teamkit/nowhere")
	require.Equal(t, 404, status)
	require.Equal(t, "not_found", code)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/teams/"+f.acme.ID, nil)) // outside the prefix: the host's mux
	require.Equal(t, 404, rec.Code)
	require.NotContains(t, rec.Body.String(), "Acme")
}
