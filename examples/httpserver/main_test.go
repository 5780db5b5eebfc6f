package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// walk is the curl walkthrough of README.md, step by step.
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

// The curl walkthrough of README.md holds, up to the stale session's 401
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

// Rule UI-1: the demo mounts the settings page under /settings/; the
// browser sign-in form sets the session cookie, the page reads it, and a
// form post from another site is refused.
func TestSettingsPageMounted(t *testing.T) {
	h, err := newServer()
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(srv.URL + "/signin")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = c.PostForm(srv.URL+"/session", url.Values{"user_id": {"ana"}, "email": {"ana@example.com"}, "name": {"Ana"}})
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "/settings/", resp.Request.URL.Path, "the sign-in goes on to the page")
	require.Contains(t, string(body), "<h1>Your teams</h1>")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")

	req, err := http.NewRequest("POST", srv.URL+"/session", strings.NewReader("user_id=eve&email=eve%40example.com"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}
