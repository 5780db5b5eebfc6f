package teamhttp

import (
	"net/http"
	"time"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// The routes of invite links, domain claims and join requests (LINK-1..3,
// JOIN-1..3). What each response shows:
//
//   - A link's token is in the answer to its creator's POST
//     /teams/{teamID}/links and nowhere else (as an invitation's, INV-9):
//     only its hash is stored, so it cannot be listed or read back. It is
//     presented in the body of POST /links/join, never in a URL.
//   - A domain claim's challenge (and the TXT record built from it) is not
//     a secret, since the domain's DNS publishes it, but it is shown only to
//     members with the settings permission, who claim and verify domains;
//     other members listing the claims see them without it.

// linkView is an invite link as the API shows it: the stored link and its
// state as of now. The token hash never marshals.
type linkView struct {
	team.InviteLink
	State team.LinkState `json:"state"`
}

func (a *api) linkView(l team.InviteLink) linkView {
	return linkView{InviteLink: l, State: l.State(a.now())}
}

// linkResponse is the answer to creating a link: the link and its token,
// returned this once, to its creator.
type linkResponse struct {
	Link  linkView `json:"link"`
	Token string   `json:"token"`
}

// domainView is a domain claim as the API shows it. Challenge and the TXT
// record are filled in only for members with the settings permission.
type domainView struct {
	TeamID         string          `json:"team_id"`
	Domain         string          `json:"domain"`
	Challenge      string          `json:"challenge,omitempty"`
	TXTRecordName  string          `json:"txt_record_name,omitempty"`
	TXTRecordValue string          `json:"txt_record_value,omitempty"`
	ClaimedBy      string          `json:"claimed_by"`
	Verified       bool            `json:"verified"`
	VerifiedAt     time.Time       `json:"verified_at,omitzero"`
	Policy         team.JoinPolicy `json:"policy"`
	DefaultRole    string          `json:"default_role,omitempty"`
	PolicySetBy    string          `json:"policy_set_by,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

func newDomainView(c team.DomainClaim, settings bool) domainView {
	v := domainView{TeamID: c.TeamID, Domain: c.Domain, ClaimedBy: c.ClaimedBy, Verified: c.Verified(),
		VerifiedAt: c.VerifiedAt, Policy: c.Policy, DefaultRole: c.DefaultRole, PolicySetBy: c.PolicySetBy,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if settings {
		v.Challenge, v.TXTRecordName, v.TXTRecordValue = c.Challenge, c.TXTRecordName(), c.TXTRecordValue()
	}
	return v
}

// GET /teams/{teamID}/links (LINK-3): every link, each with its state.
func (a *api) inviteLinks(w http.ResponseWriter, r *http.Request, u team.User) error {
	ls, err := a.svc.InviteLinks(r.Context(), u.ID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	out := make([]linkView, len(ls))
	for i, l := range ls {
		out[i] = a.linkView(l)
	}
	writeJSON(w, http.StatusOK, map[string]any{"links": out})
	return nil
}

// POST /teams/{teamID}/links {role, max_uses, expires_at} (LINK-1): the
// response holds the token, for the creator only.
func (a *api) createInviteLink(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Role      string `json:"role"`
		MaxUses   int    `json:"max_uses"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	expires, err := queryTime(req.ExpiresAt, "expires_at")
	if err != nil {
		return err
	}
	res, err := a.svc.CreateInviteLink(r.Context(), team.CreateInviteLinkParams{ActorID: u.ID, TeamID: r.PathValue("teamID"),
		Role: req.Role, MaxUses: req.MaxUses, ExpiresAt: expires})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, linkResponse{Link: a.linkView(res.Link), Token: res.Token})
	return nil
}

// POST /teams/{teamID}/links/{linkID}/revoke (LINK-3)
func (a *api) revokeInviteLink(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := a.svc.RevokeInviteLink(r.Context(), team.RevokeInviteLinkParams{ActorID: u.ID, TeamID: r.PathValue("teamID"),
		LinkID: r.PathValue("linkID")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /links/join {token} (LINK-2): the token in the body, never the URL.
func (a *api) joinByLink(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req tokenBody
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	m, err := a.svc.JoinByLink(r.Context(), u, req.Token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// GET /teams/{teamID}/domains (JOIN-1): every member may list the claims;
// the challenge only for members with the settings permission.
func (a *api) domainClaims(w http.ResponseWriter, r *http.Request, u team.User) error {
	teamID := r.PathValue("teamID")
	cs, err := a.svc.DomainClaims(r.Context(), u.ID, teamID)
	if err != nil {
		return err
	}
	p, err := a.svc.Permissions(r.Context(), u.ID, teamID)
	if err != nil {
		return err
	}
	out := make([]domainView, len(cs))
	for i, c := range cs {
		out[i] = newDomainView(c, p.Can(rbac.Settings))
	}
	writeJSON(w, http.StatusOK, map[string]any{"domains": out})
	return nil
}

// POST /teams/{teamID}/domains {domain} (JOIN-1): the claim, with the TXT
// record to publish.
func (a *api) claimDomain(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Domain string `json:"domain"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.svc.ClaimDomain(r.Context(), team.ClaimDomainParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), Domain: req.Domain})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newDomainView(c, true))
	return nil
}

// POST /teams/{teamID}/domains/{domain}/verify (JOIN-1)
func (a *api) verifyDomain(w http.ResponseWriter, r *http.Request, u team.User) error {
	c, err := a.svc.VerifyDomain(r.Context(), team.VerifyDomainParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), Domain: r.PathValue("domain")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newDomainView(c, true))
	return nil
}

// DELETE /teams/{teamID}/domains/{domain} (JOIN-1)
func (a *api) removeDomainClaim(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := a.svc.RemoveDomainClaim(r.Context(), team.RemoveDomainClaimParams{ActorID: u.ID, TeamID: r.PathValue("teamID"),
		Domain: r.PathValue("domain")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PUT /teams/{teamID}/domains/{domain}/policy {policy, default_role} (JOIN-2)
func (a *api) setJoinPolicy(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Policy      team.JoinPolicy `json:"policy"`
		DefaultRole string          `json:"default_role"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.svc.SetJoinPolicy(r.Context(), team.SetJoinPolicyParams{ActorID: u.ID, TeamID: r.PathValue("teamID"),
		Domain: r.PathValue("domain"), Policy: req.Policy, DefaultRole: req.DefaultRole})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newDomainView(c, true))
	return nil
}

// GET /me/open-teams (JOIN-2): the teams the signed-in user may join
// through their email's domain.
func (a *api) openTeams(w http.ResponseWriter, r *http.Request, u team.User) error {
	ts, err := a.svc.OpenTeams(r.Context(), u)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []team.OpenTeam{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"open_teams": ts})
	return nil
}

// POST /teams/{teamID}/join (JOIN-2): join at once under the automatic
// policy. The caller is not a member yet, so the session epoch is not
// checked.
func (a *api) joinByDomain(w http.ResponseWriter, r *http.Request, u team.User) error {
	m, err := a.svc.JoinByDomain(r.Context(), u, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// POST /teams/{teamID}/join-requests (JOIN-2, JOIN-3): file a request under
// the request policy.
func (a *api) requestToJoin(w http.ResponseWriter, r *http.Request, u team.User) error {
	jr, err := a.svc.RequestToJoin(r.Context(), u, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, jr)
	return nil
}

// GET /teams/{teamID}/join-requests (JOIN-3): the pending requests.
func (a *api) joinRequests(w http.ResponseWriter, r *http.Request, u team.User) error {
	rs, err := a.svc.JoinRequests(r.Context(), u.ID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []team.JoinRequest{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"join_requests": rs})
	return nil
}

// POST /teams/{teamID}/join-requests/{requestID}/approve {role} (JOIN-3):
// the new membership.
func (a *api) approveJoinRequest(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Role string `json:"role"`
	}
	if err := decodeOptional(w, r, a.maxBody, &req); err != nil {
		return err
	}
	m, err := a.svc.ApproveJoinRequest(r.Context(), team.ApproveJoinRequestParams{ActorID: u.ID, TeamID: r.PathValue("teamID"),
		RequestID: r.PathValue("requestID"), Role: req.Role})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// POST /teams/{teamID}/join-requests/{requestID}/reject (JOIN-3)
func (a *api) rejectJoinRequest(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := a.svc.RejectJoinRequest(r.Context(), team.RejectJoinRequestParams{ActorID: u.ID, TeamID: r.PathValue("teamID"),
		RequestID: r.PathValue("requestID")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decodeOptional is decode for a body that may be left out entirely (no
// body at all means every field takes its zero value).
func decodeOptional(w http.ResponseWriter, r *http.Request, max int64, dst any) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	return decode(w, r, max, dst)
}
