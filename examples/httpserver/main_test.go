package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
)

// outbox is the tests' Notifier: it keeps the newest token per email.
type outbox struct {
	mu     sync.Mutex
	tokens map[string]string
}

func (o *outbox) NotifyInvitation(_ context.Context, msg team.InvitationMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tokens[msg.Invitation.Email] = msg.Token
	return nil
}

func (o *outbox) token(email string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tokens[email]
}

// counter is the tests' ResourceCounter.
type counter struct {
	mu     sync.Mutex
	counts map[string]map[string]int
}

func (c *counter) CountResources(_ context.Context, teamID string) (map[string]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts[teamID]), nil
}

func (c *counter) set(teamID string, counts map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[teamID] = counts
}

// api is a test client of a running httptest server.
type api struct {
	t      *testing.T
	url    string
	mail   *outbox
	things *counter
	logs   *bytes.Buffer
}

func newAPI(t *testing.T) *api {
	t.Helper()
	mail := &outbox{tokens: map[string]string{}}
	things := &counter{counts: map[string]map[string]int{}}
	logs := &bytes.Buffer{}
	a, err := newApp([]byte("test key: 32 bytes long, really!"), log.New(logs, "", 0), mail, team.WithResourceCounter(things))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return &api{t: t, url: srv.URL, mail: mail, things: things, logs: logs}
}

// response is a decoded answer.
type response struct {
	status int
	body   []byte
}

func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

func (r response) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("body %q is not a JSON array of objects: %v", r.body, err)
	}
	return l
}

// do sends a request; body is marshalled unless it is a string (sent raw).
func (c *api) do(method, path, token string, body any) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: res.StatusCode, body: raw}
}

// must sends a request and fails the test unless the status is want.
func (c *api) must(want int, method, path, token string, body any) response {
	c.t.Helper()
	r := c.do(method, path, token, body)
	if r.status != want {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	return r
}

// signIn opens a session for the user and returns its token and personal
// team ID.
func (c *api) signIn(userID, email string) (token, personalTeamID string) {
	c.t.Helper()
	m := c.must(http.StatusCreated, "POST", "/session", "", map[string]string{"user_id": userID, "email": email}).object(c.t)
	return m["token"].(string), m["personal_team_id"].(string)
}

// wantError checks an error answer's status, message fragment and field.
func wantError(t *testing.T, r response, status int, contains, field string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.object(t)
	msg, _ := m["error"].(string)
	if !strings.Contains(msg, contains) {
		t.Fatalf("error %q does not contain %q", msg, contains)
	}
	if got, _ := m["field"].(string); got != field {
		t.Fatalf("field %q, want %q; body %s", got, field, r.body)
	}
	return m
}

// TestAPIEndToEnd walks a team's life through the HTTP API.
func TestAPIEndToEnd(t *testing.T) {
	c := newAPI(t)

	// Rule TEAM-1: signing in registers the user with a personal team.
	ana, anaPersonal := c.signIn("ana", "Ana@Example.com")
	again, anaPersonal2 := c.signIn("ana", "ana@example.com")
	if anaPersonal != anaPersonal2 || again == "" {
		t.Fatalf("personal team changed between sign-ins: %s, %s", anaPersonal, anaPersonal2)
	}

	// Rule TEAM-4: no team without a subscription.
	wantError(t, c.do("POST", "/teams", ana, map[string]any{"name": "Acme"}), http.StatusConflict, "subscription", "")
	c.must(http.StatusOK, "PUT", "/teams/"+anaPersonal+"/billing/plan", ana, map[string]any{"plan": "TEAM"})
	acct := c.must(http.StatusOK, "POST", "/teams/"+anaPersonal+"/billing/topup", ana, map[string]any{"amount": 1000}).object(t)
	if acct["balance"] != 1000.0 || acct["plan"] != "TEAM" {
		t.Fatalf("account after top-up: %v", acct)
	}
	acme := c.must(http.StatusCreated, "POST", "/teams", ana, map[string]any{"name": "  Acme  "}).object(t)
	teamID := acme["id"].(string)
	// A new sign-in stamps the new team's epoch into ana's session (ROLE-5).
	ana, _ = c.signIn("ana", "ana@example.com")
	if acme["name"] != "Acme" || acme["owner_id"] != "ana" || acme["kind"] != "collaboration" {
		t.Fatalf("created team: %v", acme)
	}
	teams := c.must(http.StatusOK, "GET", "/teams", ana, nil).list(t)
	if len(teams) != 2 {
		t.Fatalf("ana's teams: %v", teams)
	}
	renamed := c.must(http.StatusOK, "PATCH", "/teams/"+teamID, ana, map[string]any{"name": "Acme Labs"}).object(t)
	if renamed["name"] != "Acme Labs" {
		t.Fatalf("renamed team: %v", renamed)
	}

	// Invitations (INV-1, INV-4) and acceptance with the right email (INV-5).
	bo, boPersonal := c.signIn("bo", "bo@example.com")
	cy, _ := c.signIn("cy", "cy@example.com")
	c.must(http.StatusCreated, "POST", "/teams/"+teamID+"/invitations", ana, map[string]any{"email": "bo@example.com", "role": "admin"})
	inv := c.must(http.StatusCreated, "POST", "/teams/"+teamID+"/invitations", ana, map[string]any{"email": "cy@example.com", "role": "member"}).object(t)
	if _, leaked := inv["token_hash"]; leaked || inv["status"] != "pending" {
		t.Fatalf("invitation JSON: %v", inv)
	}
	if n := len(c.must(http.StatusOK, "GET", "/teams/"+teamID+"/invitations", ana, nil).list(t)); n != 2 {
		t.Fatalf("pending invitations: %d, want 2", n)
	}
	if mine := c.must(http.StatusOK, "GET", "/invitations", bo, nil).list(t); len(mine) != 1 || mine[0]["team_id"] != teamID {
		t.Fatalf("bo's pending invitations: %v", mine)
	}
	// Rule INV-2: inviting twice is a conflict.
	wantError(t, c.do("POST", "/teams/"+teamID+"/invitations", ana, map[string]any{"email": "bo@example.com", "role": "admin"}),
		http.StatusConflict, "pending invitation", "")
	// Rule INV-5: cy cannot use bo's link.
	wantError(t, c.do("POST", "/invitations/accept", cy, map[string]any{"token": c.mail.token("bo@example.com")}),
		http.StatusForbidden, "email", "")
	c.must(http.StatusCreated, "POST", "/invitations/accept", bo, map[string]any{"token": c.mail.token("bo@example.com")})
	bo, _ = c.signIn("bo", "bo@example.com")
	m := c.must(http.StatusCreated, "POST", "/invitations/accept", cy, map[string]any{"token": c.mail.token("cy@example.com")}).object(t)
	if m["role"] != "member" || m["epoch"].(float64) <= 0 {
		t.Fatalf("cy's membership: %v", m)
	}
	joinedEpoch := m["epoch"].(float64)
	// Rule INV-6: a used link fails with its own error.
	wantError(t, c.do("POST", "/invitations/accept", cy, map[string]any{"token": c.mail.token("cy@example.com")}),
		http.StatusConflict, "already accepted", "")

	// Rule MEM-5: every member lists the members.
	members := c.must(http.StatusOK, "GET", "/teams/"+teamID+"/members", cy, nil).list(t)
	roles := map[string]any{}
	for _, m := range members {
		roles[m["user_id"].(string)] = m["role"]
	}
	if want := map[string]any{"ana": "owner", "bo": "admin", "cy": "member"}; !maps.Equal(roles, want) {
		t.Fatalf("members: %v, want %v", roles, want)
	}

	// Bad JSON is a 400 naming the field; so is bad input the service refuses.
	wantError(t, c.do("POST", "/teams/"+teamID+"/invitations", ana, `{"email": 5}`), http.StatusBadRequest, "must be a string", "email")
	wantError(t, c.do("POST", "/teams/"+teamID+"/invitations", ana, `{"emial": "x@example.com"}`), http.StatusBadRequest, "unknown field", "emial")
	wantError(t, c.do("POST", "/teams/"+teamID+"/invitations", ana, `{"email": `), http.StatusBadRequest, "", "")
	wantError(t, c.do("POST", "/teams/"+teamID+"/invitations", ana, `{"email":"a@example.com"} {}`), http.StatusBadRequest, "single JSON object", "")
	wantError(t, c.do("POST", "/teams/"+teamID+"/invitations", ana, map[string]any{"email": "not an email", "role": "member"}),
		http.StatusBadRequest, "", "email")
	wantError(t, c.do("POST", "/teams/"+teamID+"/invitations", ana, map[string]any{"email": "dee@example.com", "role": "wizard"}),
		http.StatusBadRequest, "", "role")
	wantError(t, c.do("POST", "/teams/"+teamID+"/usage", bo, `{"amount": "ten", "idempotency_key": "k"}`), http.StatusBadRequest, "", "amount")
	wantError(t, c.do("POST", "/teams/"+teamID+"/usage", bo, strings.Repeat(" ", maxBodyBytes+1)+"{}"), http.StatusRequestEntityTooLarge, "larger", "")

	// Rule INV-1, AUD-3: a member may neither invite nor read the audit log.
	wantError(t, c.do("POST", "/teams/"+teamID+"/invitations", cy, map[string]any{"email": "dee@example.com"}), http.StatusForbidden, "permission denied", "")
	wantError(t, c.do("GET", "/teams/"+teamID+"/audit", cy, nil), http.StatusForbidden, "permission denied", "")
	// Rule TEAM-6: a non-member sees nothing of the team.
	eve, _ := c.signIn("eve", "eve@example.com")
	wantError(t, c.do("GET", "/teams/"+teamID, eve, nil), http.StatusForbidden, "not a member", "")

	// Rule ROLE-5: a role change makes the member's session stale. cy signs
	// in again first, so her session carries her epoch in the team.
	cy, _ = c.signIn("cy", "cy@example.com")
	c.must(http.StatusOK, "GET", "/teams/"+teamID+"/members", cy, nil)
	changed := c.must(http.StatusOK, "PATCH", "/teams/"+teamID+"/members/cy", bo, map[string]any{"role": "viewer"}).object(t)
	if changed["role"] != "viewer" || changed["epoch"].(float64) <= joinedEpoch {
		t.Fatalf("changed membership: %v", changed)
	}
	wantError(t, c.do("GET", "/teams/"+teamID+"/members", cy, nil), http.StatusUnauthorized, "session expired: sign in again", "")
	cy, _ = c.signIn("cy", "cy@example.com")
	c.must(http.StatusOK, "GET", "/teams/"+teamID+"/members", cy, nil)
	// Sessions of others are untouched.
	c.must(http.StatusOK, "GET", "/teams/"+teamID, bo, nil)

	// Usage (BILL-2, BILL-4): charged once per key, to the owner.
	rec := c.must(http.StatusCreated, "POST", "/teams/"+teamID+"/usage", bo,
		map[string]any{"amount": 100, "idempotency_key": "run-1", "metadata": map[string]string{"agent": "a1"}}).object(t)
	retry := c.must(http.StatusCreated, "POST", "/teams/"+teamID+"/usage", bo,
		map[string]any{"amount": 100, "idempotency_key": "run-1"}).object(t)
	if rec["id"] != retry["id"] || rec["account_id"] != acct["id"] {
		t.Fatalf("usage record %v, retry %v, ana's account %v", rec, retry, acct["id"])
	}
	wantError(t, c.do("POST", "/teams/"+teamID+"/usage", bo, map[string]any{"amount": 5, "idempotency_key": "run-1"}),
		http.StatusConflict, "idempotency", "")
	wantError(t, c.do("POST", "/teams/"+teamID+"/usage", cy, map[string]any{"amount": 5, "idempotency_key": "run-2"}),
		http.StatusForbidden, "permission denied", "") // viewers do not use resources
	sum := c.must(http.StatusOK, "GET", "/teams/"+teamID+"/usage", ana, nil).object(t)
	if sum["amount"] != 100.0 || sum["records"] != 1.0 {
		t.Fatalf("usage summary: %v", sum)
	}
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if s := c.must(http.StatusOK, "GET", "/teams/"+teamID+"/usage?from="+future, ana, nil).object(t); s["amount"] != 0.0 {
		t.Fatalf("usage from the future: %v", s)
	}
	wantError(t, c.do("GET", "/teams/"+teamID+"/usage?from=yesterday", ana, nil), http.StatusBadRequest, "RFC 3339", "from")

	// Rule OWN-1, OWN-2: transfer with confirmation; billing moves.
	wantError(t, c.do("POST", "/teams/"+teamID+"/transfer", ana, map[string]any{"new_owner_id": "bo", "confirm_new_owner_id": "cy"}),
		http.StatusBadRequest, "confirm", "")
	// Rule OWN-5: Bo, on FREE, may not own a collaboration team until he subscribes.
	wantError(t, c.do("POST", "/teams/"+teamID+"/transfer", ana, map[string]any{"new_owner_id": "bo", "confirm_new_owner_id": "bo"}),
		http.StatusConflict, "subscription", "")
	c.must(http.StatusOK, "PUT", "/teams/"+boPersonal+"/billing/plan", bo, map[string]any{"plan": "TEAM"})
	moved := c.must(http.StatusOK, "POST", "/teams/"+teamID+"/transfer", ana,
		map[string]any{"new_owner_id": "bo", "confirm_new_owner_id": "bo"}).object(t)
	if moved["owner_id"] != "bo" {
		t.Fatalf("team after transfer: %v", moved)
	}
	// Both memberships changed role: both sessions are stale (ROLE-5).
	wantError(t, c.do("GET", "/teams/"+teamID, ana, nil), http.StatusUnauthorized, "session expired", "")
	wantError(t, c.do("POST", "/teams/"+teamID+"/usage", bo, map[string]any{"amount": 10, "idempotency_key": "run-3"}),
		http.StatusUnauthorized, "session expired", "")
	ana, _ = c.signIn("ana", "ana@example.com")
	bo, _ = c.signIn("bo", "bo@example.com")
	// Rule BILL-3: bo's account is empty, so the next charge is refused.
	wantError(t, c.do("POST", "/teams/"+teamID+"/usage", bo, map[string]any{"amount": 10, "idempotency_key": "run-3"}),
		http.StatusPaymentRequired, "top up", "")
	boAcct := c.must(http.StatusOK, "POST", "/teams/"+teamID+"/billing/topup", bo, map[string]any{"amount": 50}).object(t)
	rec3 := c.must(http.StatusCreated, "POST", "/teams/"+teamID+"/usage", bo, map[string]any{"amount": 10, "idempotency_key": "run-3"}).object(t)
	if rec3["account_id"] != boAcct["id"] || rec3["account_id"] == rec["account_id"] {
		t.Fatalf("charge after transfer: %v; bo's account %v; first charge %v", rec3, boAcct["id"], rec["account_id"])
	}
	wantError(t, c.do("POST", "/teams/"+teamID+"/billing/topup", ana, map[string]any{"amount": 50}), http.StatusForbidden, "permission denied", "")
	_ = boPersonal

	// Rule AUD-3: the audit log pages with a cursor and filters by action.
	var all []map[string]any
	cursor := ""
	pages := 0
	for {
		page := c.must(http.StatusOK, "GET", "/teams/"+teamID+"/audit?limit=3&cursor="+url.QueryEscape(cursor), bo, nil).object(t)
		events, _ := page["events"].([]any)
		for _, e := range events {
			all = append(all, e.(map[string]any))
		}
		pages++
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		if len(events) != 3 {
			t.Fatalf("page %d has %d events and a next cursor", pages, len(events))
		}
		cursor = next
	}
	for i, e := range all {
		if e["seq"] != float64(i+1) {
			t.Fatalf("event %d has seq %v: pages skip or repeat", i, e["seq"])
		}
	}
	full := c.must(http.StatusOK, "GET", "/teams/"+teamID+"/audit?limit=1000", bo, nil).object(t)
	if n := len(full["events"].([]any)); n != len(all) || pages < 2 {
		t.Fatalf("%d events in %d pages, %d in one page", len(all), pages, n)
	}
	sent := c.must(http.StatusOK, "GET", "/teams/"+teamID+"/audit?action=invitation.sent", bo, nil).object(t)["events"].([]any)
	if len(sent) != 2 {
		t.Fatalf("invitation.sent events: %d, want 2", len(sent))
	}
	wantError(t, c.do("GET", "/teams/"+teamID+"/audit?cursor=garbage", bo, nil), http.StatusBadRequest, "cursor", "cursor")
	wantError(t, c.do("GET", "/teams/"+teamID+"/audit?limit=-1", bo, nil), http.StatusBadRequest, "limit", "limit")

	// Invitations: cancel, and a 404 for an unknown one.
	dee := c.must(http.StatusCreated, "POST", "/teams/"+teamID+"/invitations", bo, map[string]any{"email": "dee@example.com", "role": "viewer"}).object(t)
	c.must(http.StatusNoContent, "DELETE", "/teams/"+teamID+"/invitations/"+dee["id"].(string), bo, nil)
	wantError(t, c.do("DELETE", "/teams/"+teamID+"/invitations/"+dee["id"].(string), bo, nil), http.StatusConflict, "cancelled", "")
	wantError(t, c.do("DELETE", "/teams/"+teamID+"/invitations/nope", bo, nil), http.StatusNotFound, "not found", "")

	// Rule MEM-3: the owner cannot leave; others can.
	wantError(t, c.do("POST", "/teams/"+teamID+"/leave", bo, nil), http.StatusConflict, "transfer ownership first", "")
	c.must(http.StatusNoContent, "POST", "/teams/"+teamID+"/leave", cy, nil)
	wantError(t, c.do("GET", "/teams/"+teamID, cy, nil), http.StatusForbidden, "not a member", "")

	// Rule DEL-1, DEL-2: only the owner deletes, and not while resources remain.
	wantError(t, c.do("DELETE", "/teams/"+teamID, ana, nil), http.StatusForbidden, "permission denied", "")
	c.things.set(teamID, map[string]int{"agents": 2, "documents": 1})
	body := wantError(t, c.do("DELETE", "/teams/"+teamID, bo, nil), http.StatusConflict, "still holds", "")
	if counts := body["counts"].(map[string]any); counts["agents"] != 2.0 || counts["documents"] != 1.0 {
		t.Fatalf("counts in the 409 body: %v", counts)
	}
	c.things.set(teamID, nil)
	c.must(http.StatusNoContent, "DELETE", "/teams/"+teamID, bo, nil)
	wantError(t, c.do("GET", "/teams/"+teamID, bo, nil), http.StatusForbidden, "not a member", "")
	// Rule TEAM-2: personal teams cannot be deleted.
	wantError(t, c.do("DELETE", "/teams/"+anaPersonal, ana, nil), http.StatusConflict, "personal", "")
}

// TestSessions checks the session token: missing, tampered, expired and
// forged tokens are refused with 401.
func TestSessions(t *testing.T) {
	c := newAPI(t)
	token, personal := c.signIn("ana", "ana@example.com")
	c.must(http.StatusOK, "GET", "/teams/"+personal, token, nil)

	wantError(t, c.do("GET", "/teams", "", nil), http.StatusUnauthorized, "sign in", "")
	payload, sig, _ := strings.Cut(token, ".")
	for name, bad := range map[string]string{
		"no signature":    payload,
		"bad signature":   payload + "." + sig[:len(sig)-2] + "AA",
		"changed payload": "x" + payload[1:] + "." + sig,
		"garbage":         "....",
		"forged with key": forge(t, []byte("another key"), session{UserID: "ana", Expires: time.Now().Add(time.Hour).Unix()}),
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, c.do("GET", "/teams", bad, nil), http.StatusUnauthorized, "", "")
		})
	}

	key := []byte("k")
	tok := forge(t, key, session{UserID: "ana", Expires: 100})
	if _, err := verifySession(key, tok, time.Unix(99, 0)); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	if _, err := verifySession(key, tok, time.Unix(100, 0)); !errors.Is(err, errBadSession) {
		t.Fatalf("expired token: got %v, want errBadSession", err)
	}
	wantError(t, c.do("POST", "/session", "", map[string]string{"user_id": "bad id", "email": "x@example.com"}),
		http.StatusBadRequest, "", "user_id")
}

func forge(t *testing.T, key []byte, s session) string {
	t.Helper()
	tok, err := signSession(key, s)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestErrorResponse checks the status of every service refusal and that a
// 500 does not leak its message (SEC-1).
func TestErrorResponse(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("context: %w", err) }
	for _, tc := range []struct {
		err    error
		status int
	}{
		{wrap(&team.InputError{Field: "email", Problem: "bad"}), http.StatusBadRequest},
		{wrap(team.ErrUnknownRole), http.StatusBadRequest},
		{wrap(team.ErrInvalidAmount), http.StatusBadRequest},
		{wrap(audit.ErrInvalidQuery), http.StatusBadRequest},
		{wrap(errSessionExpired), http.StatusUnauthorized},
		{wrap(team.ErrPermissionDenied), http.StatusForbidden},
		{wrap(team.ErrNotMember), http.StatusForbidden},
		{wrap(team.ErrNotFound), http.StatusNotFound},
		{wrap(team.ErrConflict), http.StatusConflict},
		{wrap(team.ErrAlreadyMember), http.StatusConflict},
		{wrap(team.ErrAlreadyInvited), http.StatusConflict},
		{wrap(&team.SeatLimitError{Limit: 50, Used: 50}), http.StatusConflict},
		{wrap(team.ErrTeamLimit), http.StatusConflict},
		{wrap(team.ErrSubscriptionRequired), http.StatusConflict},
		{wrap(team.ErrOwnerCannotLeave), http.StatusConflict},
		{wrap(team.ErrPersonalTeam), http.StatusConflict},
		{wrap(team.ErrIdempotencyConflict), http.StatusConflict},
		{wrap(team.ErrInvitationExpired), http.StatusConflict},
		{wrap(team.ErrInvitationCancelled), http.StatusConflict},
		{wrap(team.ErrInvitationDeclined), http.StatusConflict},
		{wrap(team.ErrInvitationUsed), http.StatusConflict},
		{wrap(team.ErrInsufficientBalance), http.StatusPaymentRequired},
		{wrap(team.ErrNotifyFailed), http.StatusBadGateway},
	} {
		if status, _ := errorResponse(tc.err); status != tc.status {
			t.Errorf("%v: status %d, want %d", tc.err, status, tc.status)
		}
	}
	status, body := errorResponse(wrap(&team.ResourcesRemainError{TeamID: "t", Counts: map[string]int{"agents": 3}}))
	if status != http.StatusConflict || body.Counts["agents"] != 3 {
		t.Errorf("ResourcesRemainError: %d %+v", status, body)
	}
	status, body = errorResponse(errors.New("database password is hunter2"))
	if status != http.StatusInternalServerError || strings.Contains(body.Error, "hunter2") {
		t.Errorf("unknown error: %d %+v", status, body)
	}
}
