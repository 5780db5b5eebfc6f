package teamhttptest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
)

// JoinDomain is the email domain the join story claims; dee, eve and fay
// have addresses there.
const JoinDomain = "acme.test"

// joinLink is the answer to creating an invite link.
type joinLink struct {
	Link struct {
		ID    string `json:"id"`
		Role  string `json:"role"`
		Uses  int    `json:"uses"`
		State string `json:"state"`
	} `json:"link"`
	Token string `json:"token"`
}

// domainClaim is a claim as the API shows it.
type domainClaim struct {
	Domain         string `json:"domain"`
	Challenge      string `json:"challenge"`
	TXTRecordName  string `json:"txt_record_name"`
	TXTRecordValue string `json:"txt_record_value"`
	Verified       bool   `json:"verified"`
	Policy         string `json:"policy"`
	DefaultRole    string `json:"default_role"`
}

// RunJoinStory builds a Service over st (plus opts) whose DomainVerifier is
// a team.DNSVerifier over a fake DNS, mounts teamhttp's handler under Prefix
// and walks invite links, domain claims and join requests through the API
// (LINK-1..3, JOIN-1..3): create a link, join through it, use it up, revoke
// one; claim acme.test, fail to verify it, publish the TXT record the
// response names, verify it; request to join, approve, reject; join under
// the automatic policy; remove the claim. st must implement team.JoinStore.
// Result.Tokens holds the links' tokens; Result.Secrets the domain
// challenge, which only members with the settings permission may see.
func RunJoinStory(t testing.TB, st team.Store, opts ...team.Option) Result {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	txt := map[string][]string{} // the fake DNS: name -> TXT records
	lookup := func(_ context.Context, name string) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		if recs, ok := txt[name]; ok {
			return append([]string(nil), recs...), nil
		}
		return nil, &netNotFound{name: name}
	}
	svc, err := team.New(st, append([]team.Option{team.WithDomainVerifier(&team.DNSVerifier{LookupTXT: lookup})}, opts...)...)
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

	var me struct {
		PersonalTeam team.Team `json:"personal_team"`
	}
	s.call("ana", "GET", "/me", nil, 200, &me)
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: "ana", TeamID: me.PersonalTeam.ID, Plan: billing.PlanTeam}); err != nil {
		t.Fatalf("ChangePlan: %v", err)
	}
	var acme team.Team
	s.call("ana", "POST", "/teams", `{"name":"Acme"}`, 201, &acme)
	T := "/teams/" + acme.ID

	// Invite links (LINK-1..3): the token goes to the creator, once.
	s.problem("ana", "POST", T+"/links", `{"max_uses":-1}`, 400, "invalid_input")
	s.problem("ana", "POST", T+"/links", `{"expires_at":"tomorrow"}`, 400, "invalid_request")
	s.problem("ana", "POST", T+"/links", `{"expires_at":"2001-01-01T00:00:00Z"}`, 400, "invalid_input")
	s.problem("ana", "POST", T+"/links", `{"role":"chief"}`, 400, "invalid_input")
	s.problem("ana", "POST", "/teams/"+me.PersonalTeam.ID+"/links", `{}`, 409, "personal_team")
	var one joinLink
	s.call("ana", "POST", T+"/links", `{"role":"member","max_uses":1}`, 201, &one)
	if one.Token == "" || one.Link.State != string(team.LinkActive) || one.Link.Role != "member" {
		t.Fatalf("create link: %+v", one)
	}
	res.Tokens = append(res.Tokens, one.Token)
	var bo team.Member
	s.call("bo", "POST", "/links/join", `{"token":"`+one.Token+`"}`, 201, &bo)
	if bo.Role != "member" || bo.TeamID != acme.ID {
		t.Fatalf("join by link: %+v", bo)
	}
	s.problem("bo", "POST", "/links/join", `{"token":"`+one.Token+`"}`, 409, "already_member")
	s.problem("cy", "POST", "/links/join", `{"token":"`+one.Token+`"}`, 410, "link_used_up")
	s.problem("cy", "POST", "/links/join", `{"token":"no-such-link"}`, 404, "not_found")
	s.problem("", "POST", "/links/join", `{"token":"`+one.Token+`"}`, 401, "unauthenticated")
	s.problem("bo", "POST", T+"/links", `{}`, 403, "permission_denied")
	s.problem("bo", "GET", T+"/links", nil, 403, "permission_denied")
	var open joinLink
	s.call("ana", "POST", T+"/links", `{"expires_at":"2999-01-01T00:00:00Z"}`, 201, &open)
	res.Tokens = append(res.Tokens, open.Token)
	var links struct {
		Links []struct {
			ID    string `json:"id"`
			Uses  int    `json:"uses"`
			State string `json:"state"`
		} `json:"links"`
	}
	s.call("ana", "GET", T+"/links", nil, 200, &links)
	if len(links.Links) != 2 || links.Links[0].ID != one.Link.ID || links.Links[0].Uses != 1 || links.Links[0].State != string(team.LinkUsedUp) {
		t.Fatalf("list links: %+v", links.Links)
	}
	s.problem("bo", "POST", T+"/links/"+open.Link.ID+"/revoke", nil, 403, "permission_denied")
	s.call("ana", "POST", T+"/links/"+open.Link.ID+"/revoke", nil, 204, nil)
	s.problem("ana", "POST", T+"/links/"+open.Link.ID+"/revoke", nil, 410, "link_revoked")
	s.problem("ana", "POST", T+"/links/no-such-link/revoke", nil, 404, "not_found")
	s.problem("cy", "POST", "/links/join", `{"token":"`+open.Token+`"}`, 410, "link_revoked")

	// Domains (JOIN-1): claim, fail to verify, publish, verify.
	s.problem("ana", "POST", T+"/domains", `{"domain":"gmail.com"}`, 400, "public_email_domain")
	s.problem("ana", "POST", T+"/domains", `{"domain":"not a domain"}`, 400, "invalid_input")
	s.problem("bo", "POST", T+"/domains", `{"domain":"acme.test"}`, 403, "permission_denied")
	var claim domainClaim
	s.call("ana", "POST", T+"/domains", `{"domain":"Acme.Test"}`, 201, &claim)
	if claim.Domain != JoinDomain || claim.Verified || claim.Policy != string(team.JoinOff) || claim.Challenge == "" ||
		claim.TXTRecordName != team.DomainChallengePrefix+"."+JoinDomain || claim.TXTRecordValue != team.DomainChallengeValuePrefix+claim.Challenge {
		t.Fatalf("claim: %+v", claim)
	}
	res.Secrets = append(res.Secrets, claim.Challenge)
	s.problem("ana", "POST", T+"/domains", `{"domain":"acme.test"}`, 409, "domain_claimed")
	D := T + "/domains/" + JoinDomain
	s.problem("ana", "POST", D+"/verify", nil, 409, "domain_not_verified")
	s.problem("bo", "POST", D+"/verify", nil, 403, "permission_denied")
	s.problem("ana", "POST", T+"/domains/other.test/verify", nil, 404, "not_found")
	mu.Lock()
	txt[claim.TXTRecordName] = []string{"v=spf1 -all", claim.TXTRecordValue}
	mu.Unlock()
	s.call("ana", "POST", D+"/verify", nil, 200, &claim)
	if !claim.Verified {
		t.Fatalf("verify: %+v", claim)
	}
	var claims struct {
		Domains []domainClaim `json:"domains"`
	}
	s.call("bo", "GET", T+"/domains", nil, 200, &claims)
	if len(claims.Domains) != 1 || claims.Domains[0].Challenge != "" || claims.Domains[0].TXTRecordValue != "" || !claims.Domains[0].Verified {
		t.Fatalf("a plain member's list of claims: %+v", claims.Domains)
	}
	s.call("ana", "GET", T+"/domains", nil, 200, &claims)
	if len(claims.Domains) != 1 || claims.Domains[0].Challenge != claim.Challenge {
		t.Fatalf("the owner's list of claims: %+v", claims.Domains)
	}

	// Join policy and join requests (JOIN-2, JOIN-3).
	var opens struct {
		OpenTeams []team.OpenTeam `json:"open_teams"`
	}
	s.call("dee", "GET", "/me/open-teams", nil, 200, &opens)
	if len(opens.OpenTeams) != 0 {
		t.Fatalf("open teams under policy off: %+v", opens.OpenTeams)
	}
	s.problem("ana", "PUT", D+"/policy", `{"policy":"sometimes"}`, 400, "invalid_input")
	s.problem("bo", "PUT", D+"/policy", `{"policy":"request"}`, 403, "permission_denied")
	s.call("ana", "PUT", D+"/policy", `{"policy":"request"}`, 200, &claim)
	if claim.Policy != string(team.JoinByRequest) {
		t.Fatalf("set policy: %+v", claim)
	}
	s.call("dee", "GET", "/me/open-teams", nil, 200, &opens)
	if len(opens.OpenTeams) != 1 || opens.OpenTeams[0].TeamID != acme.ID || opens.OpenTeams[0].Policy != team.JoinByRequest {
		t.Fatalf("open teams under policy request: %+v", opens.OpenTeams)
	}
	s.problem("dee", "POST", T+"/join", nil, 403, "join_not_allowed")
	s.problem("cy", "POST", T+"/join-requests", nil, 403, "join_not_allowed")
	var req team.JoinRequest
	s.call("dee", "POST", T+"/join-requests", nil, 201, &req)
	if req.Status != team.JoinRequestPending || req.UserID != "dee" || req.Domain != JoinDomain {
		t.Fatalf("request to join: %+v", req)
	}
	s.problem("dee", "POST", T+"/join-requests", nil, 409, "already_requested")
	var eveReq team.JoinRequest
	s.call("eve", "POST", T+"/join-requests", nil, 201, &eveReq)
	s.problem("bo", "GET", T+"/join-requests", nil, 403, "permission_denied")
	var reqs struct {
		JoinRequests []team.JoinRequest `json:"join_requests"`
	}
	s.call("ana", "GET", T+"/join-requests", nil, 200, &reqs)
	if len(reqs.JoinRequests) != 2 || reqs.JoinRequests[0].ID != req.ID {
		t.Fatalf("list join requests: %+v", reqs.JoinRequests)
	}
	R := T + "/join-requests/"
	s.problem("bo", "POST", R+req.ID+"/approve", `{"role":"member"}`, 403, "permission_denied")
	s.problem("ana", "POST", R+req.ID+"/approve", `{"role":"owner"}`, 403, "permission_denied")
	var dee team.Member
	s.call("ana", "POST", R+req.ID+"/approve", `{"role":"viewer"}`, 201, &dee)
	if dee.UserID != "dee" || dee.Role != "viewer" || dee.TeamID != acme.ID {
		t.Fatalf("approve: %+v", dee)
	}
	s.problem("ana", "POST", R+req.ID+"/approve", nil, 409, "join_request_closed")
	s.problem("bo", "POST", R+eveReq.ID+"/reject", nil, 403, "permission_denied")
	s.call("ana", "POST", R+eveReq.ID+"/reject", nil, 204, nil)
	s.problem("ana", "POST", R+eveReq.ID+"/reject", nil, 409, "join_request_closed")
	s.problem("ana", "POST", R+"no-such-request/reject", nil, 404, "not_found")
	s.call("ana", "GET", T+"/join-requests", nil, 200, &reqs)
	if len(reqs.JoinRequests) != 0 {
		t.Fatalf("join requests left after deciding: %+v", reqs.JoinRequests)
	}

	// Automatic: fay joins at once with the default role.
	s.call("ana", "PUT", D+"/policy", `{"policy":"automatic","default_role":"member"}`, 200, &claim)
	if claim.Policy != string(team.JoinAutomatic) || claim.DefaultRole != "member" {
		t.Fatalf("set policy automatic: %+v", claim)
	}
	s.call("fay", "GET", "/me/open-teams", nil, 200, &opens)
	if len(opens.OpenTeams) != 1 || opens.OpenTeams[0].Policy != team.JoinAutomatic || opens.OpenTeams[0].Role != "member" {
		t.Fatalf("open teams under policy automatic: %+v", opens.OpenTeams)
	}
	s.problem("fay", "POST", T+"/join-requests", nil, 403, "join_not_allowed")
	var fay team.Member
	s.call("fay", "POST", T+"/join", nil, 201, &fay)
	if fay.UserID != "fay" || fay.Role != "member" {
		t.Fatalf("join by domain: %+v", fay)
	}
	s.problem("fay", "POST", T+"/join", nil, 409, "already_member")
	s.problem("cy", "POST", T+"/join", nil, 403, "join_not_allowed")
	var members struct {
		Members []team.Member `json:"members"`
	}
	s.call("ana", "GET", T+"/members", nil, 200, &members)
	if len(members.Members) != 4 {
		t.Fatalf("members after the joins: %d, want 4 (ana, bo, dee, fay)", len(members.Members))
	}

	// Remove the claim: the domain opens nothing any more.
	s.problem("bo", "DELETE", D, nil, 403, "permission_denied")
	s.call("ana", "DELETE", D, nil, 204, nil)
	s.problem("ana", "DELETE", D, nil, 404, "not_found")
	s.call("ana", "GET", T+"/domains", nil, 200, &claims)
	s.call("eve", "GET", "/me/open-teams", nil, 200, &opens)
	if len(claims.Domains) != 0 || len(opens.OpenTeams) != 0 {
		t.Fatalf("after removing the claim: claims %+v, open teams %+v", claims.Domains, opens.OpenTeams)
	}

	// Every step is in the team's audit log.
	var page struct {
		Events []struct {
			Action string `json:"action"`
		} `json:"events"`
	}
	s.call("ana", "GET", T+"/audit?limit=200", nil, 200, &page)
	var actions []string
	for _, e := range page.Events {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"invite_link.created", "invite_link.joined", "invite_link.revoked", "domain.claimed",
		"domain.verified", "domain.join_policy_changed", "join_request.created", "join_request.approved",
		"join_request.rejected", "domain.joined", "domain.removed"} {
		if !contains(actions, want) {
			t.Fatalf("audit log lacks %s: %v", want, actions)
		}
	}
	if err := svc.VerifyAuditChain(ctx, acme.ID); err != nil {
		t.Fatalf("audit chain after the join story: %v", err)
	}
	res.Exchanges = s.log
	return res
}

// netNotFound is the fake DNS's answer for a name without records.
type netNotFound struct{ name string }

func (e *netNotFound) Error() string { return fmt.Sprintf("lookup %s: no such host", e.name) }
