// Package teamhttptest runs the seed story of teamkit end to end through
// teamhttp's handler over a real loopback listener, on any Store, so every
// Store implementation can prove the HTTP API works on it:
//
//	func TestHTTPStory(t *testing.T) { teamhttptest.RunSeedStory(t, newStore(t)) }
//
// It uses only the standard library's testing package.
package teamhttptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
)

// Exchange is one request of the story and the response it got.
type Exchange struct {
	User        string // who was signed in ("" for nobody)
	Method      string
	Path        string // the request path, without the mount prefix
	RequestBody []byte
	Status      int
	ContentType string
	Header      http.Header
	Body        []byte
}

// Result is what RunSeedStory or RunJoinStory saw: every exchange in order
// and every invitation or invite link token handed out, so callers can check
// responses against the OpenAPI document and grep them for secrets (HTTP-3,
// HTTP-4).
type Result struct {
	Exchanges []Exchange
	Tokens    []string
	// Secrets are values only some callers may see: the domain challenge
	// of RunJoinStory, shown only to members with the settings permission.
	Secrets []string
	Prefix  string // where the handler was mounted
}

// Prefix is where RunSeedStory mounts the handler, with http.StripPrefix.
const Prefix = "/api/teams"

// users are the story's people, signed in by "Authorization: Bearer <id>":
// the test's stand-in for a host's sign-in.
var users = map[string]team.User{
	"ana": {ID: "ana", Email: "ana@example.com", Name: "Ana"},
	"bo":  {ID: "bo", Email: "bo@example.com", Name: "Bo"},
	"cy":  {ID: "cy", Email: "cy@example.com"},
	// People at acme.test, the domain the join story claims.
	"dee": {ID: "dee", Email: "dee@acme.test", Name: "Dee"},
	"eve": {ID: "eve", Email: "eve@acme.test"},
	"fay": {ID: "fay", Email: "fay@acme.test", Name: "Fay"},
}

// RunSeedStory builds a Service over st (plus opts), mounts teamhttp's
// handler under Prefix on an httptest server, and walks the seed story with
// net/http's client: register, plan (a host call), create, invite, preview,
// accept, change role, use and charge, audit, transfer, cleanup, delete. It
// fails t on the first response that is not the one the story expects.
func RunSeedStory(t testing.TB, st team.Store, opts ...team.Option) Result {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	resources := map[string]int{}
	counter := team.ResourceCounterFunc(func(_ context.Context, teamID string) (map[string]int, error) {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		if n := resources[teamID]; n > 0 {
			out["agents"] = n
		}
		return out, nil
	})
	svc, err := team.New(st, append([]team.Option{team.WithResourceCounter(counter)}, opts...)...)
	if err != nil {
		t.Fatalf("team.New: %v", err)
	}
	h := teamhttp.New(svc, teamhttp.WithAuthenticate(bearerUser))
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", http.StripPrefix(Prefix, h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	s := &story{t: t, base: srv.URL + Prefix, client: srv.Client()}
	res := Result{Prefix: Prefix}
	defer func() { res.Exchanges = s.log }()

	// Register: the first GET /me creates the personal team (TEAM-1).
	var me struct {
		User         team.User `json:"user"`
		PersonalTeam team.Team `json:"personal_team"`
	}
	s.call("ana", "GET", "/me", nil, 200, &me)
	personal := me.PersonalTeam
	if personal.Kind != team.Personal || personal.OwnerID != "ana" {
		t.Fatalf("GET /me: personal team %+v", personal)
	}
	s.call("ana", "GET", "/me", nil, 200, &me)
	if me.PersonalTeam.ID != personal.ID {
		t.Fatalf("GET /me twice gave two personal teams: %s, %s", personal.ID, me.PersonalTeam.ID)
	}
	s.call("bo", "GET", "/me", nil, 200, nil)
	s.call("", "GET", "/me", nil, 401, nil)

	// Without a plan, creating a team is refused with its code.
	s.problem("ana", "POST", "/teams", `{"name":"Acme"}`, 409, "subscription_required")
	// Plan: a host call, as a payment webhook would make it.
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: "ana", TeamID: personal.ID, Plan: billing.PlanTeam}); err != nil {
		t.Fatalf("ChangePlan: %v", err)
	}

	// Create.
	var acme team.Team
	s.call("ana", "POST", "/teams", `{"name":"Acme","settings":{"theme":"dark"}}`, 201, &acme)
	if acme.Kind != team.Collaboration || acme.OwnerID != "ana" || acme.Name != "Acme" {
		t.Fatalf("POST /teams: %+v", acme)
	}
	T := "/teams/" + acme.ID
	var list struct {
		Teams []team.Team `json:"teams"`
	}
	s.call("ana", "GET", "/me/teams", nil, 200, &list)
	if len(list.Teams) != 2 {
		t.Fatalf("GET /me/teams: %d teams, want 2", len(list.Teams))
	}
	s.call("ana", "PATCH", T, `{"name":"Acme Inc"}`, 200, &acme)
	if acme.Name != "Acme Inc" {
		t.Fatalf("PATCH team: name %q", acme.Name)
	}

	// Invite: the token goes to the inviter, once.
	var inv struct {
		Invitation team.Invitation `json:"invitation"`
		Token      string          `json:"token"`
	}
	s.call("ana", "POST", T+"/invitations", `{"email":"bo@example.com","role":"admin"}`, 201, &inv)
	if inv.Token == "" || inv.Invitation.Status != team.InvitationPending {
		t.Fatalf("invite: %+v", inv)
	}
	res.Tokens = append(res.Tokens, inv.Token)
	s.problem("ana", "POST", T+"/invitations", `{"email":"bo@example.com","role":"admin"}`, 409, "already_invited")
	s.problem("bo", "GET", T+"/members", nil, 403, "not_member")
	var cyInv struct {
		Invitation team.Invitation `json:"invitation"`
		Token      string          `json:"token"`
	}
	s.call("ana", "POST", T+"/invitations", `{"email":"cy@example.com"}`, 201, &cyInv)
	res.Tokens = append(res.Tokens, cyInv.Token)
	var resent struct {
		Token string `json:"token"`
	}
	s.call("ana", "POST", T+"/invitations/"+cyInv.Invitation.ID+"/resend", nil, 200, &resent)
	res.Tokens = append(res.Tokens, resent.Token)
	s.problem("", "POST", "/invitations/preview", `{"token":"`+cyInv.Token+`"}`, 404, "not_found") // the old link died
	var invs struct {
		Invitations []team.Invitation `json:"invitations"`
	}
	s.call("ana", "GET", T+"/invitations", nil, 200, &invs)
	if len(invs.Invitations) != 2 {
		t.Fatalf("GET invitations: %d, want 2", len(invs.Invitations))
	}

	// Preview, without signing in.
	var preview team.InvitationPreview
	s.call("", "POST", "/invitations/preview", `{"token":"`+inv.Token+`"}`, 200, &preview)
	if preview.TeamName != "Acme Inc" || preview.Role != "admin" || preview.InviterName != "Ana" || preview.State != team.InvitationPending {
		t.Fatalf("preview: %+v", preview)
	}

	// Accept: only the invitee's email may.
	s.problem("cy", "POST", "/invitations/accept", `{"token":"`+inv.Token+`"}`, 403, "email_mismatch")
	s.call("bo", "GET", "/me/invitations", nil, 200, &invs)
	if len(invs.Invitations) != 1 || invs.Invitations[0].TeamID != acme.ID {
		t.Fatalf("GET /me/invitations: %+v", invs.Invitations)
	}
	var bo team.Member
	s.call("bo", "POST", "/invitations/accept", `{"token":"`+inv.Token+`"}`, 201, &bo)
	if bo.Role != "admin" || bo.TeamID != acme.ID {
		t.Fatalf("accept: %+v", bo)
	}
	s.problem("bo", "POST", "/invitations/accept", `{"token":"`+inv.Token+`"}`, 410, "invitation_used")
	// cy declines by token.
	s.call("cy", "POST", "/invitations/decline", `{"token":"`+resent.Token+`"}`, 204, nil)

	// Change role: bo becomes a member; the epoch rises (ROLE-5).
	var perms struct {
		Role        string   `json:"role"`
		Permissions []string `json:"permissions"`
		Epoch       uint64   `json:"epoch"`
	}
	s.call("bo", "GET", T+"/permissions", nil, 200, &perms)
	before := perms.Epoch
	s.call("ana", "PATCH", T+"/members/bo", `{"role":"member"}`, 200, &bo)
	s.call("bo", "GET", T+"/permissions", nil, 200, &perms)
	if perms.Role != "member" || perms.Epoch <= before {
		t.Fatalf("after the role change: %+v (epoch before %d)", perms, before)
	}
	s.problem("bo", "PATCH", T+"/members/ana", `{"role":"member"}`, 403, "permission_denied")
	var members struct {
		Members []team.Member `json:"members"`
	}
	s.call("bo", "GET", T+"/members", nil, 200, &members)
	if len(members.Members) != 2 {
		t.Fatalf("members: %+v", members.Members)
	}
	var memberships struct {
		Memberships []team.Membership `json:"memberships"`
	}
	s.call("bo", "GET", "/me/memberships", nil, 200, &memberships)
	if len(memberships.Memberships) != 2 {
		t.Fatalf("memberships: %+v", memberships.Memberships)
	}

	// Use and charge.
	s.problem("bo", "POST", T+"/usage", `{"amount":25,"idempotency_key":"run-1"}`, 402, "insufficient_balance")
	s.problem("bo", "POST", T+"/billing/top-up", `{"amount":1000}`, 403, "permission_denied")
	var acct billing.Account
	s.call("ana", "POST", T+"/billing/top-up", `{"amount":1000}`, 200, &acct)
	if acct.Balance != 1000 {
		t.Fatalf("top-up: %+v", acct)
	}
	var rec billing.UsageRecord
	s.call("bo", "POST", T+"/usage", `{"amount":25,"idempotency_key":"run-1","metadata":{"agent":"a1"}}`, 201, &rec)
	var again billing.UsageRecord
	s.call("bo", "POST", T+"/usage", `{"amount":25,"idempotency_key":"run-1","metadata":{"agent":"a1"}}`, 201, &again)
	if again.ID != rec.ID {
		t.Fatalf("a retried charge made a new record: %s, %s", rec.ID, again.ID)
	}
	s.problem("bo", "POST", T+"/usage", `{"amount":26,"idempotency_key":"run-1"}`, 409, "idempotency_conflict")
	var sum billing.Summary
	s.call("ana", "GET", T+"/usage", nil, 200, &sum)
	if sum.Amount != 25 || sum.Records != 1 {
		t.Fatalf("usage summary: %+v", sum)
	}
	s.call("ana", "GET", T+"/billing", nil, 200, &acct)
	if acct.Balance != 975 {
		t.Fatalf("balance after the charge: %d, want 975", acct.Balance)
	}
	s.problem("bo", "GET", T+"/billing", nil, 403, "permission_denied")

	// Audit: page through with the cursor.
	s.call("ana", "POST", T+"/events", `{"action":"agent.created","target":"agent/a1"}`, 201, nil)
	s.problem("bo", "GET", T+"/audit", nil, 403, "permission_denied")
	var actions []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatalf("the audit log does not end")
		}
		var page struct {
			Events []struct {
				Seq    uint64 `json:"seq"`
				Action string `json:"action"`
			} `json:"events"`
			NextCursor string `json:"next_cursor"`
		}
		s.call("ana", "GET", T+"/audit?limit=2&cursor="+cursor, nil, 200, &page)
		for _, e := range page.Events {
			actions = append(actions, e.Action)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	for _, want := range []string{"team.created", "invitation.sent", "invitation.accepted", "member.role_changed", "agent.created"} {
		if !contains(actions, want) {
			t.Fatalf("audit log lacks %s: %v", want, actions)
		}
	}
	s.problem("ana", "GET", T+"/audit?cursor=not-a-cursor", nil, 400, "invalid_input")

	// Transfer, with the confirmation step.
	s.problem("ana", "POST", T+"/transfer", `{"new_owner_id":"bo","confirm_new_owner_id":"cy"}`, 400, "confirmation_mismatch")
	s.call("ana", "POST", T+"/transfer", `{"new_owner_id":"bo","confirm_new_owner_id":"bo"}`, 200, &acme)
	if acme.OwnerID != "bo" {
		t.Fatalf("after the transfer the owner is %s", acme.OwnerID)
	}
	s.problem("bo", "POST", T+"/leave", nil, 409, "owner_cannot_leave")

	// Cleanup: the team still holds resources, then the host deletes them.
	mu.Lock()
	resources[acme.ID] = 2
	mu.Unlock()
	var pre struct {
		Resources map[string]int `json:"resources"`
		Deletable bool           `json:"deletable"`
	}
	s.call("bo", "GET", T+"/deletion", nil, 200, &pre)
	if pre.Deletable || pre.Resources["agents"] != 2 {
		t.Fatalf("preflight: %+v", pre)
	}
	var p teamhttp.Problem
	s.call("bo", "DELETE", T, nil, 409, &p)
	if p.Code != "resources_remain" || p.Counts["agents"] != 2 {
		t.Fatalf("DELETE with resources left: %+v", p)
	}
	mu.Lock()
	resources[acme.ID] = 0
	mu.Unlock()
	s.call("ana", "POST", T+"/leave", nil, 204, nil)

	// Delete.
	s.call("bo", "GET", T+"/deletion", nil, 200, &pre)
	if !pre.Deletable {
		t.Fatalf("preflight after cleanup: %+v", pre)
	}
	s.call("bo", "DELETE", T, nil, 204, nil)
	s.problem("bo", "GET", T, nil, 403, "not_member")
	s.call("bo", "GET", "/me/teams", nil, 200, &list)
	if len(list.Teams) != 1 || list.Teams[0].Kind != team.Personal {
		t.Fatalf("teams after deletion: %+v", list.Teams)
	}
	if err := svc.VerifyAuditChain(ctx, acme.ID); err != nil {
		t.Fatalf("audit chain after the story: %v", err)
	}
	res.Exchanges = s.log
	return res
}

func contains(list []string, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}

// bearerUser is the story's Authenticate: "Authorization: Bearer <id>" of a
// known user. A stand-in for a host's real sign-in.
func bearerUser(r *http.Request) (team.User, error) {
	id, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	u, known := users[id]
	if !ok || !known {
		return team.User{}, teamhttp.ErrUnauthenticated
	}
	return u, nil
}

type story struct {
	t      testing.TB
	base   string
	client *http.Client
	log    []Exchange
}

// call sends method path with body (JSON, or nil) as user ("" for nobody),
// checks the status and decodes the response into out (when not nil).
func (s *story) call(user, method, path string, body any, status int, out any) {
	s.t.Helper()
	var reqBody []byte
	switch b := body.(type) {
	case nil:
	case string:
		reqBody = []byte(b)
	default:
		s.t.Fatalf("body of %s %s: %T", method, path, body)
	}
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(reqBody))
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	if reqBody != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+user)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		s.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	s.log = append(s.log, Exchange{User: user, Method: method, Path: path, RequestBody: reqBody, Status: resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"), Header: resp.Header, Body: data})
	if resp.StatusCode != status {
		s.t.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, user, resp.StatusCode, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: decoding %s: %v", method, path, data, err)
		}
	}
}

// problem calls and checks the answer is a problem with code.
func (s *story) problem(user, method, path string, body any, status int, code string) {
	s.t.Helper()
	var p teamhttp.Problem
	s.call(user, method, path, body, status, &p)
	if p.Code != code || p.Status != status {
		s.t.Fatalf("%s %s as %q: problem %+v, want code %s", method, path, user, p, code)
	}
	if ct := s.log[len(s.log)-1].ContentType; ct != teamhttp.ProblemContentType {
		s.t.Fatalf("%s %s: Content-Type %q, want %s", method, path, ct, teamhttp.ProblemContentType)
	}
}
