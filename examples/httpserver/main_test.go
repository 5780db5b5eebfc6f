package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// walk is the curl walkthrough at the top of main.go, step by step.
type walk struct {
	t   *testing.T
	srv *httptest.Server
}

func (w walk) do(method, path, token, body string, want int) map[string]any {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
	require.NoError(w.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.srv.Client().Do(req)
	require.NoError(w.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	require.Equal(w.t, want, resp.StatusCode, "%s %s: %s", method, path, data)
	out := map[string]any{}
	if len(data) > 0 && data[0] == '{' {
		require.NoError(w.t, json.Unmarshal(data, &out))
	}
	return out
}

func (w walk) signIn(id, email string) (token, personal string) {
	r := w.do("POST", "/session", "", `{"user_id":"`+id+`","email":"`+email+`"}`, 200)
	return r["token"].(string), r["personal_team_id"].(string)
}

// The walkthrough of main.go's comment holds, up to the stale session's 401
// after a role change (ROLE-5).
func TestWalkthrough(t *testing.T) {
	h, err := newServer()
	require.NoError(t, err)
	w := walk{t: t, srv: httptest.NewServer(h)}
	defer w.srv.Close()

	ta, p := w.signIn("ana", "Ana@Example.com")
	w.do("PUT", "/teams/"+p+"/billing/plan", ta, `{"plan":"TEAM"}`, 200)
	w.do("POST", "/teams/"+p+"/billing/top-up", ta, `{"amount":1000}`, 200)
	T := w.do("POST", "/teams", ta, `{"name":"Acme"}`, 201)["id"].(string)
	tok := w.do("POST", "/teams/"+T+"/invitations", ta, `{"email":"bo@example.com","role":"admin"}`, 201)["token"].(string)
	require.Equal(t, "Acme", w.do("POST", "/invitations/preview", "", `{"token":"`+tok+`"}`, 200)["team_name"])
	tb, _ := w.signIn("bo", "bo@example.com")
	w.do("POST", "/invitations/accept", tb, `{"token":"`+tok+`"}`, 201)
	w.do("GET", "/teams/"+T+"/members", tb, "", 200)
	w.do("POST", "/teams/"+T+"/usage", tb, `{"amount":25,"idempotency_key":"run-1","metadata":{"agent":"a1"}}`, 201)
	require.EqualValues(t, 25, w.do("GET", "/teams/"+T+"/usage", ta, "", 200)["amount"])
	require.NotEmpty(t, w.do("GET", "/teams/"+T+"/audit?limit=2", ta, "", 200)["next_cursor"])
	tb, _ = w.signIn("bo", "bo@example.com") // stamps Acme's epoch
	w.do("GET", "/teams/"+T+"/members", tb, "", 200)
	w.do("PATCH", "/teams/"+T+"/members/bo", ta, `{"role":"member"}`, 200)
	require.Equal(t, "session_expired", w.do("GET", "/teams/"+T+"/members", tb, "", 401)["code"])
	tb, _ = w.signIn("bo", "bo@example.com")
	w.do("GET", "/teams/"+T+"/members", tb, "", 200)
}

// A forged or tampered demo token is refused.
func TestDemoSessionsAreSigned(t *testing.T) {
	h, err := newServer()
	require.NoError(t, err)
	w := walk{t: t, srv: httptest.NewServer(h)}
	defer w.srv.Close()
	ta, _ := w.signIn("ana", "ana@example.com")
	w.do("GET", "/me/teams", ta, "", 200)
	payload, sig, _ := strings.Cut(ta, ".")
	w.do("GET", "/me/teams", payload+"x."+sig, "", 401)
	w.do("GET", "/me/teams", payload, "", 401)
	w.do("GET", "/me/teams", "", "", 401)
	w.do("POST", "/session", "", `{"user_id":"","email":"x"}`, 400)
}
