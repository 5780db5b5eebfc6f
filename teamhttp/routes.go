package teamhttp

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// routes is the route table: New registers exactly these, and the OpenAPI
// test checks the document describes exactly these (HTTP-3). Patterns are
// net/http ServeMux patterns relative to where the handler is mounted.
var routes = []route{
	{"GET", "/openapi.json", public, limitNone, (*api).openAPI},

	{"GET", "/me", signedIn, limitNone, (*api).me},
	{"GET", "/me/teams", signedIn, limitNone, (*api).myTeams},
	{"GET", "/me/memberships", signedIn, limitNone, (*api).myMemberships},
	{"GET", "/me/invitations", signedIn, limitNone, (*api).myInvitations},
	{"POST", "/me/invitations/{invitationID}/decline", signedIn, limitNone, (*api).declineByID},
	{"GET", "/me/open-teams", signedIn, limitNone, (*api).openTeams},

	{"POST", "/invitations/preview", public, limitToken, (*api).previewInvitation},
	{"POST", "/invitations/accept", signedIn, limitToken, (*api).acceptInvitation},
	{"POST", "/invitations/decline", signedIn, limitToken, (*api).declineByToken},
	{"POST", "/links/join", signedIn, limitToken, (*api).joinByLink},

	{"POST", "/teams", signedIn, limitNone, (*api).createTeam},
	{"GET", "/teams/{teamID}", inTeam, limitNone, (*api).getTeam},
	{"PATCH", "/teams/{teamID}", inTeam, limitNone, (*api).updateTeam},
	{"DELETE", "/teams/{teamID}", inTeam, limitNone, (*api).deleteTeam},
	{"POST", "/teams/{teamID}/upgrade", inTeam, limitNone, (*api).upgrade},
	{"GET", "/teams/{teamID}/deletion", inTeam, limitNone, (*api).deletionPreflight},
	{"GET", "/teams/{teamID}/permissions", inTeam, limitNone, (*api).permissions},
	{"POST", "/teams/{teamID}/transfer", inTeam, limitNone, (*api).transfer},
	{"POST", "/teams/{teamID}/leave", inTeam, limitNone, (*api).leave},

	{"GET", "/teams/{teamID}/members", inTeam, limitNone, (*api).members},
	{"PATCH", "/teams/{teamID}/members/{userID}", inTeam, limitNone, (*api).changeRole},
	{"DELETE", "/teams/{teamID}/members/{userID}", inTeam, limitNone, (*api).removeMember},

	{"GET", "/teams/{teamID}/invitations", inTeam, limitNone, (*api).invitations},
	{"POST", "/teams/{teamID}/invitations", inTeam, limitInvite, (*api).invite},
	{"POST", "/teams/{teamID}/invitations/{invitationID}/resend", inTeam, limitInvite, (*api).resend},
	{"DELETE", "/teams/{teamID}/invitations/{invitationID}", inTeam, limitNone, (*api).cancelInvitation},

	{"GET", "/teams/{teamID}/links", inTeam, limitNone, (*api).inviteLinks},
	{"POST", "/teams/{teamID}/links", inTeam, limitInvite, (*api).createInviteLink},
	{"POST", "/teams/{teamID}/links/{linkID}/revoke", inTeam, limitNone, (*api).revokeInviteLink},

	{"GET", "/teams/{teamID}/domains", inTeam, limitNone, (*api).domainClaims},
	{"POST", "/teams/{teamID}/domains", inTeam, limitNone, (*api).claimDomain},
	{"POST", "/teams/{teamID}/domains/{domain}/verify", inTeam, limitNone, (*api).verifyDomain},
	{"PUT", "/teams/{teamID}/domains/{domain}/policy", inTeam, limitNone, (*api).setJoinPolicy},
	{"DELETE", "/teams/{teamID}/domains/{domain}", inTeam, limitNone, (*api).removeDomainClaim},

	// The caller of join and of filing a join request is not a member yet.
	{"POST", "/teams/{teamID}/join", signedIn, limitNone, (*api).joinByDomain},
	{"POST", "/teams/{teamID}/join-requests", signedIn, limitNone, (*api).requestToJoin},
	{"GET", "/teams/{teamID}/join-requests", inTeam, limitNone, (*api).joinRequests},
	{"POST", "/teams/{teamID}/join-requests/{requestID}/approve", inTeam, limitNone, (*api).approveJoinRequest},
	{"POST", "/teams/{teamID}/join-requests/{requestID}/reject", inTeam, limitNone, (*api).rejectJoinRequest},

	{"GET", "/teams/{teamID}/usage", inTeam, limitNone, (*api).usageSummary},
	{"POST", "/teams/{teamID}/usage", inTeam, limitNone, (*api).recordUsage},
	{"GET", "/teams/{teamID}/billing", inTeam, limitNone, (*api).billingAccount},
	{"POST", "/teams/{teamID}/billing/top-up", inTeam, limitNone, (*api).topUp},
	{"PUT", "/teams/{teamID}/billing/plan", inTeam, limitNone, (*api).changePlan},

	{"GET", "/teams/{teamID}/audit", inTeam, limitNone, (*api).auditLog},
	{"POST", "/teams/{teamID}/events", inTeam, limitNone, (*api).recordEvent},
}

// GET /openapi.json
func (a *api) openAPI(w http.ResponseWriter, _ *http.Request, _ team.User) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(OpenAPI())
	return nil
}

// GET /me: the signed-in user and their personal team, created on the first
// call (TEAM-1, BILL-1); every later call returns the same team.
func (a *api) me(w http.ResponseWriter, r *http.Request, u team.User) error {
	p, err := a.svc.EnsurePersonalTeam(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u, "personal_team": p})
	return nil
}

// GET /me/teams
func (a *api) myTeams(w http.ResponseWriter, r *http.Request, u team.User) error {
	ts, err := a.svc.TeamsOf(r.Context(), u.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": ts})
	return nil
}

// GET /me/memberships (ROLE-8)
func (a *api) myMemberships(w http.ResponseWriter, r *http.Request, u team.User) error {
	ms, err := a.svc.Memberships(r.Context(), u.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"memberships": ms})
	return nil
}

// GET /me/invitations (INV-5)
func (a *api) myInvitations(w http.ResponseWriter, r *http.Request, u team.User) error {
	invs, err := a.svc.PendingInvitations(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": a.states(invs)})
	return nil
}

// POST /me/invitations/{invitationID}/decline (INV-6)
func (a *api) declineByID(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := a.svc.DeclineInvitation(r.Context(), u, r.PathValue("invitationID")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tokenBody is the body of the routes that present an invitation token. The
// token travels in the body, not the URL, so access logs do not keep it.
type tokenBody struct {
	Token string `json:"token"`
}

// POST /invitations/preview {token}: no sign-in (INV-9).
func (a *api) previewInvitation(w http.ResponseWriter, r *http.Request, _ team.User) error {
	var req tokenBody
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	p, err := a.svc.InvitationByToken(r.Context(), req.Token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// POST /invitations/accept {token} (INV-5)
func (a *api) acceptInvitation(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req tokenBody
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	m, err := a.svc.AcceptInvitation(r.Context(), u, req.Token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// POST /invitations/decline {token} (INV-6, INV-9)
func (a *api) declineByToken(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req tokenBody
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if err := a.svc.DeclineInvitationByToken(r.Context(), u, req.Token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /teams {name, settings} (TEAM-4)
func (a *api) createTeam(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Name     string            `json:"name"`
		Settings map[string]string `json:"settings"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	t, err := a.svc.CreateTeam(r.Context(), team.CreateTeamParams{Owner: u, Name: req.Name, Settings: req.Settings})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

// GET /teams/{teamID}
func (a *api) getTeam(w http.ResponseWriter, r *http.Request, u team.User) error {
	t, err := a.svc.Team(r.Context(), u.ID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// PATCH /teams/{teamID} {name, settings}: absent fields stay (TEAM-5).
func (a *api) updateTeam(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Name     *string           `json:"name"`
		Settings map[string]string `json:"settings"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	t, err := a.svc.UpdateTeam(r.Context(), team.UpdateTeamParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), Name: req.Name, Settings: req.Settings})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// DELETE /teams/{teamID} (DEL-1..3)
func (a *api) deleteTeam(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := a.svc.DeleteTeam(r.Context(), u.ID, r.PathValue("teamID")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /teams/{teamID}/upgrade {name} (TEAM-3)
func (a *api) upgrade(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	up, personal, err := a.svc.UpgradeToCollaboration(r.Context(), team.UpgradeToCollaborationParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), Name: req.Name})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"team": up, "personal_team": personal})
	return nil
}

// GET /teams/{teamID}/deletion (DEL-2)
func (a *api) deletionPreflight(w http.ResponseWriter, r *http.Request, u team.User) error {
	left, err := a.svc.DeletionPreflight(r.Context(), u.ID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	if left == nil {
		left = map[string]int{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"resources": left, "deletable": len(left) == 0})
	return nil
}

// GET /teams/{teamID}/permissions (ROLE-8)
func (a *api) permissions(w http.ResponseWriter, r *http.Request, u team.User) error {
	p, err := a.svc.Permissions(r.Context(), u.ID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// POST /teams/{teamID}/transfer {new_owner_id, confirm_new_owner_id}: the
// new owner's ID twice is the confirmation step of OWN-1.
func (a *api) transfer(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		NewOwnerID        string `json:"new_owner_id"`
		ConfirmNewOwnerID string `json:"confirm_new_owner_id"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	teamID := r.PathValue("teamID")
	if err := a.svc.TransferOwnership(r.Context(), team.TransferOwnershipParams{ActorID: u.ID, TeamID: teamID,
		NewOwnerID: req.NewOwnerID, ConfirmNewOwnerID: req.ConfirmNewOwnerID}); err != nil {
		return err
	}
	t, err := a.svc.Team(r.Context(), u.ID, teamID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// POST /teams/{teamID}/leave (MEM-3)
func (a *api) leave(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := a.svc.Leave(r.Context(), u.ID, r.PathValue("teamID")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /teams/{teamID}/members (MEM-5)
func (a *api) members(w http.ResponseWriter, r *http.Request, u team.User) error {
	ms, err := a.svc.Members(r.Context(), u.ID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": ms})
	return nil
}

// PATCH /teams/{teamID}/members/{userID} {role} (MEM-1)
func (a *api) changeRole(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Role string `json:"role"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	m, err := a.svc.ChangeRole(r.Context(), team.ChangeRoleParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), UserID: r.PathValue("userID"), Role: req.Role})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// DELETE /teams/{teamID}/members/{userID} (MEM-2)
func (a *api) removeMember(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := a.svc.RemoveMember(r.Context(), team.RemoveMemberParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), UserID: r.PathValue("userID")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /teams/{teamID}/invitations (MEM-5)
func (a *api) invitations(w http.ResponseWriter, r *http.Request, u team.User) error {
	invs, err := a.svc.Invitations(r.Context(), u.ID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": a.states(invs)})
	return nil
}

// states reports each invitation's status as of now (an expired one is
// stored as pending).
func (a *api) states(invs []team.Invitation) []team.Invitation {
	now := a.now()
	for i := range invs {
		invs[i].Status = invs[i].State(now)
	}
	return invs
}

// inviteResponse is the answer to Invite and ResendInvitation. Token is the
// link's secret (INV-9): it goes only to the inviter who made this call, so a
// host without email can show the link to copy; the invitee gets it in the
// link, and no other response carries it (listing invitations does not, and
// only its hash is stored, so it cannot be read back). DeliveryError is the
// public message when the Notifier failed (INV-7): the invitation stands and
// resending retries.
type inviteResponse struct {
	Invitation    team.Invitation `json:"invitation"`
	Token         string          `json:"token"`
	DeliveryError string          `json:"delivery_error,omitempty"`
}

func (a *api) writeInvite(w http.ResponseWriter, status int, res team.InviteResult, err error) error {
	out := inviteResponse{Invitation: res.Invitation, Token: res.Token}
	if err != nil {
		if !errors.Is(err, team.ErrNotifyFailed) || res.Invitation.ID == "" {
			return err
		}
		out.DeliveryError = publicMessage(err)
		a.log.Warn("teamhttp: invitation saved but not delivered", "invitation_id", res.Invitation.ID, "error", err.Error())
	}
	out.Invitation.Status = out.Invitation.State(a.now())
	writeJSON(w, status, out)
	return nil
}

// POST /teams/{teamID}/invitations {email, role} (INV-1..4, INV-9)
func (a *api) invite(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	res, err := a.svc.Invite(r.Context(), team.InviteParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), Email: req.Email, Role: req.Role})
	return a.writeInvite(w, http.StatusCreated, res, err)
}

// POST /teams/{teamID}/invitations/{invitationID}/resend (INV-6)
func (a *api) resend(w http.ResponseWriter, r *http.Request, u team.User) error {
	res, err := a.svc.ResendInvitation(r.Context(), team.ResendInvitationParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), InvitationID: r.PathValue("invitationID")})
	return a.writeInvite(w, http.StatusOK, res, err)
}

// DELETE /teams/{teamID}/invitations/{invitationID} (INV-6)
func (a *api) cancelInvitation(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := a.svc.CancelInvitation(r.Context(), team.CancelInvitationParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), InvitationID: r.PathValue("invitationID")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /teams/{teamID}/usage?from=&to= (BILL-5)
func (a *api) usageSummary(w http.ResponseWriter, r *http.Request, u team.User) error {
	q := r.URL.Query()
	from, err := queryTime(q.Get("from"), "from")
	if err != nil {
		return err
	}
	to, err := queryTime(q.Get("to"), "to")
	if err != nil {
		return err
	}
	sum, err := a.svc.UsageSummary(r.Context(), team.UsageSummaryParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), From: from, To: to})
	if err != nil {
		return err
	}
	if sum.Members == nil {
		sum.Members = []billing.MemberUsage{}
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

// POST /teams/{teamID}/usage {amount, idempotency_key, metadata} (BILL-2)
func (a *api) recordUsage(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Amount         int64             `json:"amount"`
		IdempotencyKey string            `json:"idempotency_key"`
		Metadata       map[string]string `json:"metadata"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	rec, err := a.svc.RecordUsage(r.Context(), team.RecordUsageParams{ActorID: u.ID, TeamID: r.PathValue("teamID"),
		Amount: req.Amount, IdempotencyKey: req.IdempotencyKey, Metadata: req.Metadata})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rec)
	return nil
}

// GET /teams/{teamID}/billing (BILL-6)
func (a *api) billingAccount(w http.ResponseWriter, r *http.Request, u team.User) error {
	acct, err := a.svc.BillingAccount(r.Context(), u.ID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, acct)
	return nil
}

// POST /teams/{teamID}/billing/top-up {amount}
func (a *api) topUp(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Amount int64 `json:"amount"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	acct, err := a.svc.TopUp(r.Context(), team.TopUpParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), Amount: req.Amount})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, acct)
	return nil
}

// PUT /teams/{teamID}/billing/plan {plan}
func (a *api) changePlan(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Plan billing.Plan `json:"plan"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	acct, err := a.svc.ChangePlan(r.Context(), team.ChangePlanParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), Plan: req.Plan})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, acct)
	return nil
}

// GET /teams/{teamID}/audit?cursor=&limit=&action=&actor=&from=&to= (AUD-3):
// one page; next_cursor, when present, fetches the next.
func (a *api) auditLog(w http.ResponseWriter, r *http.Request, u team.User) error {
	q := r.URL.Query()
	query := audit.Query{ActorID: q.Get("actor"), Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > audit.MaxLimit {
			return badRequest("limit", "limit must be a whole number from 1 to %d", audit.MaxLimit)
		}
		query.Limit = n
	}
	for _, v := range q["action"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				query.Actions = append(query.Actions, audit.Action(name))
			}
		}
	}
	var err error
	if query.From, err = queryTime(q.Get("from"), "from"); err != nil {
		return err
	}
	if query.To, err = queryTime(q.Get("to"), "to"); err != nil {
		return err
	}
	page, err := a.svc.AuditLog(r.Context(), team.AuditLogParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), Query: query})
	if err != nil {
		return err
	}
	if page.Events == nil {
		page.Events = []audit.Event{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// POST /teams/{teamID}/events {action, target, details} (AUD-2): a member
// records an event of the host's own in the team's log, as themselves. The
// handler requires membership (the Go call does not, so the host can log
// refused attempts; over HTTP that would let anyone write to any team).
func (a *api) recordEvent(w http.ResponseWriter, r *http.Request, u team.User) error {
	var req struct {
		Action  audit.Action      `json:"action"`
		Target  string            `json:"target"`
		Details map[string]string `json:"details"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	teamID := r.PathValue("teamID")
	if _, err := a.svc.Permissions(r.Context(), u.ID, teamID); err != nil {
		return err
	}
	e, err := a.svc.RecordEvent(r.Context(), team.RecordEventParams{ActorID: u.ID, TeamID: teamID, Action: req.Action, Target: req.Target, Details: req.Details})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func queryTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badRequest(field, "%s must be an RFC 3339 time such as 2026-01-31T00:00:00Z", field)
	}
	return t, nil
}
