package teamhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
	"github.com/teamkit/teamkit/teamhttp/teamhttptest"
)

// newHandler returns the handler over a new memory store where every
// request is signed in as u (an empty ID: refused with 401).
func newHandler(t testing.TB, u team.User, opts ...teamhttp.Option) http.Handler {
	t.Helper()
	svc, err := team.New(store.NewMemory())
	require.NoError(t, err)
	return teamhttp.New(svc, append([]teamhttp.Option{teamhttp.WithAuthenticate(fixedUser(u))}, opts...)...)
}

func fixedUser(u team.User) func(*http.Request) (team.User, error) {
	return func(*http.Request) (team.User, error) {
		if u.ID == "" {
			return team.User{}, teamhttp.ErrUnauthenticated
		}
		return u, nil
	}
}

// fixture is a service with ana, owner of team Acme on a TEAM plan, and the
// handler over it.
type fixture struct {
	svc  *team.Service
	acme team.Team
	srv  *httptest.Server
	log  []teamhttptest.Exchange
}

var ana = team.User{ID: "ana", Email: "ana@example.com", Name: "Ana"}

func newFixture(t testing.TB, opts ...teamhttp.Option) *fixture {
	t.Helper()
	ctx := context.Background()
	svc, err := team.New(store.NewMemory())
	require.NoError(t, err)
	p, err := svc.EnsurePersonalTeam(ctx, ana)
	require.NoError(t, err)
	_, err = svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: ana.ID, TeamID: p.ID, Plan: billing.PlanTeam})
	require.NoError(t, err)
	acme, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	require.NoError(t, err)
	auth := func(r *http.Request) (team.User, error) {
		id, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || id == "" {
			return team.User{}, teamhttp.ErrUnauthenticated
		}
		return team.User{ID: id, Email: id + "@example.com"}, nil
	}
	h := teamhttp.New(svc, append([]teamhttp.Option{teamhttp.WithAuthenticate(auth)}, opts...)...)
	f := &fixture{svc: svc, acme: acme, srv: httptest.NewServer(h)}
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request as user with body and content type, records it and
// returns the response's status, headers and body.
func (f *fixture) do(t testing.TB, user, method, path, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+user)
	}
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	f.log = append(f.log, teamhttptest.Exchange{Method: method, Path: path, RequestBody: body, Status: resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"), Header: resp.Header, Body: data})
	return resp.StatusCode, resp.Header, data
}

func decodeProblem(t testing.TB, body []byte) teamhttp.Problem {
	t.Helper()
	var p teamhttp.Problem
	require.NoError(t, json.Unmarshal(body, &p), "%s", body)
	return p
}

// hygieneCases are requests the API must refuse before calling the service
// (HTTP-4), with the status and code of each.
func hygieneCases(teamID string) []struct {
	name, method, path, ct, body string
	status                       int
	code, field                  string
} {
	big := `{"name":"` + strings.Repeat("a", 2000) + `"}`
	return []struct {
		name, method, path, ct, body string
		status                       int
		code, field                  string
	}{
		{"unknown field", "POST", "/teams", "application/json", `{"name":"X","owner_id":"eve"}`, 400, "invalid_request", "owner_id"},
		{"two values", "POST", "/teams", "application/json", `{"name":"X"}{"name":"Y"}`, 400, "invalid_request", ""},
		{"trailing garbage", "POST", "/teams", "application/json", `{"name":"X"} x`, 400, "invalid_request", ""},
		{"empty body", "POST", "/teams", "application/json", ``, 400, "invalid_request", ""},
		{"malformed", "POST", "/teams", "application/json", `{"name":`, 400, "invalid_request", ""},
		{"wrong type", "POST", "/teams/" + teamID + "/billing/top-up", "application/json", `{"amount":"10"}`, 400, "invalid_request", "amount"},
		{"not an object", "POST", "/teams", "application/json", `[1]`, 400, "invalid_request", ""},
		{"too large", "POST", "/teams", "application/json", big, 413, "body_too_large", ""},
		{"text/plain", "POST", "/teams", "text/plain", `{"name":"X"}`, 415, "unsupported_media_type", ""},
		{"no content type", "POST", "/teams", "", `{"name":"X"}`, 415, "unsupported_media_type", ""},
		{"bad limit", "GET", "/teams/" + teamID + "/audit?limit=0", "", ``, 400, "invalid_request", "limit"},
		{"bad cursor", "GET", "/teams/" + teamID + "/audit?cursor=%25%25", "", ``, 400, "invalid_input", "cursor"},
		{"bad time", "GET", "/teams/" + teamID + "/usage?from=yesterday", "", ``, 400, "invalid_request", "from"},
		{"invalid name", "POST", "/teams", "application/json", `{"name":"  "}`, 400, "invalid_input", "name"},
		{"no route", "GET", "/nowhere", "", ``, 404, "not_found", ""},
	}
}

// Rule HTTP-4: bodies are size-limited (413), of type JSON (415), one JSON
// object without unknown fields or anything after it (400); query values
// are checked (400).
func TestHTTP4RequestHygiene(t *testing.T) {
	f := newFixture(t, teamhttp.WithMaxBodyBytes(1024))
	for _, c := range hygieneCases(f.acme.ID) {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := f.do(t, "ana", c.method, c.path, c.ct, []byte(c.body))
			require.Equal(t, c.status, status, "%s", body)
			require.Equal(t, teamhttp.ProblemContentType, h.Get("Content-Type"))
			p := decodeProblem(t, body)
			require.Equal(t, c.status, p.Status)
			require.Equal(t, c.code, p.Code, "%s", body)
			require.Equal(t, c.field, p.Field, "%s", body)
			require.NotEmpty(t, p.Detail)
		})
	}
	// Nothing was created by the refused requests.
	teams, err := f.svc.TeamsOf(context.Background(), "ana")
	require.NoError(t, err)
	require.Len(t, teams, 2)
}

// hygieneExchanges returns the recorded exchanges of the hygiene cases, for
// the OpenAPI check.
func hygieneExchanges(t *testing.T) []teamhttptest.Exchange {
	f := newFixture(t, teamhttp.WithMaxBodyBytes(1024))
	for _, c := range hygieneCases(f.acme.ID) {
		if c.name == "no route" {
			continue
		}
		f.do(t, "ana", c.method, c.path, c.ct, []byte(c.body))
	}
	f.do(t, "", "GET", "/me", "", nil)
	return f.log
}

// Rules HTTP-1 and INV-7: when the Notifier fails, the invitation stands:
// 201 with the token for the inviter and delivery_error, the public message
// without the mailer's detail.
func TestHTTP1InviteWhenNotifierFails(t *testing.T) {
	ctx := context.Background()
	mailer := team.NotifierFunc(func(context.Context, team.InvitationMessage) error {
		return errors.New("smtp relay 10.0.0.7 refused: auth failed")
	})
	svc, err := team.New(store.NewMemory(), team.WithNotifier(mailer))
	require.NoError(t, err)
	p, err := svc.EnsurePersonalTeam(ctx, ana)
	require.NoError(t, err)
	_, err = svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: ana.ID, TeamID: p.ID, Plan: billing.PlanTeam})
	require.NoError(t, err)
	acme, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	require.NoError(t, err)
	h := teamhttp.New(svc, teamhttp.WithAuthenticate(fixedUser(ana)))
	req := httptest.NewRequest("POST", "/teams/"+acme.ID+"/invitations", strings.NewReader(`{"email":"bo@example.com"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, 201, rec.Code, rec.Body.String())
	var out struct {
		Invitation    team.Invitation `json:"invitation"`
		Token         string          `json:"token"`
		DeliveryError string          `json:"delivery_error"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	require.NotEmpty(t, out.Token)
	require.NotEmpty(t, out.DeliveryError)
	require.NotContains(t, rec.Body.String(), "10.0.0.7")
	invs, err := svc.Invitations(ctx, ana.ID, acme.ID)
	require.NoError(t, err)
	require.Len(t, invs, 1)
}
