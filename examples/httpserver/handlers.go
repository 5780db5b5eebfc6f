package main

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

// The JSON shapes of the API.
type (
	teamJSON struct {
		ID        string            `json:"id"`
		Kind      team.Kind         `json:"kind"`
		Name      string            `json:"name"`
		OwnerID   string            `json:"owner_id"`
		Settings  map[string]string `json:"settings,omitempty"`
		CreatedAt time.Time         `json:"created_at"`
		UpdatedAt time.Time         `json:"updated_at"`
	}
	memberJSON struct {
		TeamID   string    `json:"team_id"`
		UserID   string    `json:"user_id"`
		Email    string    `json:"email"`
		Name     string    `json:"name,omitempty"`
		Role     string    `json:"role"`
		JoinedAt time.Time `json:"joined_at"`
		Epoch    uint64    `json:"epoch"`
	}
	invitationJSON struct {
		ID        string                `json:"id"`
		TeamID    string                `json:"team_id"`
		Email     string                `json:"email"`
		Role      string                `json:"role"`
		InviterID string                `json:"inviter_id"`
		Status    team.InvitationStatus `json:"status"`
		CreatedAt time.Time             `json:"created_at"`
		ExpiresAt time.Time             `json:"expires_at"`
	}
	accountJSON struct {
		ID      string         `json:"id"`
		UserID  string         `json:"user_id"`
		Plan    billing.Plan   `json:"plan"`
		Status  billing.Status `json:"status"`
		Balance int64          `json:"balance"`
	}
	usageJSON struct {
		ID             string            `json:"id"`
		TeamID         string            `json:"team_id"`
		UserID         string            `json:"user_id"`
		AccountID      string            `json:"account_id"`
		Amount         int64             `json:"amount"`
		Time           time.Time         `json:"time"`
		IdempotencyKey string            `json:"idempotency_key"`
		Metadata       map[string]string `json:"metadata,omitempty"`
	}
	memberUsageJSON struct {
		UserID  string `json:"user_id"`
		Amount  int64  `json:"amount"`
		Records int    `json:"records"`
	}
	summaryJSON struct {
		TeamID  string            `json:"team_id"`
		From    *time.Time        `json:"from,omitempty"`
		To      *time.Time        `json:"to,omitempty"`
		Amount  int64             `json:"amount"`
		Records int               `json:"records"`
		Members []memberUsageJSON `json:"members"`
	}
	eventJSON struct {
		ID       string            `json:"id"`
		Seq      uint64            `json:"seq"`
		Time     time.Time         `json:"time"`
		ActorID  string            `json:"actor_id"`
		Action   audit.Action      `json:"action"`
		Target   string            `json:"target"`
		Details  map[string]string `json:"details,omitempty"`
		PrevHash string            `json:"prev_hash"`
		Hash     string            `json:"hash"`
	}
	pageJSON struct {
		Events     []eventJSON `json:"events"`
		NextCursor string      `json:"next_cursor,omitempty"`
	}
)

func toTeam(t team.Team) teamJSON {
	return teamJSON{ID: t.ID, Kind: t.Kind, Name: t.Name, OwnerID: t.OwnerID, Settings: t.Settings,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func toMember(m team.Member) memberJSON {
	return memberJSON{TeamID: m.TeamID, UserID: m.UserID, Email: m.Email, Name: m.Name, Role: m.Role,
		JoinedAt: m.JoinedAt, Epoch: m.Epoch}
}

func toInvitation(i team.Invitation, now time.Time) invitationJSON {
	return invitationJSON{ID: i.ID, TeamID: i.TeamID, Email: i.Email, Role: i.Role, InviterID: i.InviterID,
		Status: i.State(now), CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
}

func toAccount(a billing.Account) accountJSON {
	return accountJSON{ID: a.ID, UserID: a.UserID, Plan: a.Plan, Status: a.Status, Balance: a.Balance}
}

func toUsage(r billing.UsageRecord) usageJSON {
	return usageJSON{ID: r.ID, TeamID: r.TeamID, UserID: r.UserID, AccountID: r.AccountID, Amount: r.Amount,
		Time: r.Time, IdempotencyKey: r.IdempotencyKey, Metadata: r.Metadata}
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

func (s session) user() team.User { return team.User{ID: s.UserID, Email: s.Email} }

// POST /session {user_id, email, name}: the demo's sign-in. It registers the
// user (EnsurePersonalTeam, TEAM-1) and returns a token with the current
// epochs of the user's teams.
func (a *app) createSession(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID string `json:"user_id"`
		Email  string `json:"email"`
		Name   string `json:"name"`
	}
	err := decodeJSON(w, r, &req)
	if err == nil {
		err = a.startSession(w, r, team.User{ID: req.UserID, Email: req.Email, Name: req.Name})
	}
	if err != nil {
		writeError(w, r, a.log, err)
	}
}

func (a *app) startSession(w http.ResponseWriter, r *http.Request, u team.User) error {
	personal, err := a.svc.EnsurePersonalTeam(r.Context(), u)
	if err != nil {
		return err
	}
	email, err := team.NormalizeEmail(u.Email) // as the service stores it, so invitations match
	if err != nil {
		return err
	}
	s, err := a.newSession(r.Context(), u.ID, email)
	if err != nil {
		return err
	}
	token, err := signSession(a.key, s)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"token": token, "user_id": s.UserID, "personal_team_id": personal.ID, "epochs": s.Epochs,
	})
	return nil
}

// POST /teams {name, settings}
func (a *app) createTeam(w http.ResponseWriter, r *http.Request, s session) error {
	var req struct {
		Name     string            `json:"name"`
		Settings map[string]string `json:"settings"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	t, err := a.svc.CreateTeam(r.Context(), team.CreateTeamParams{Owner: s.user(), Name: req.Name, Settings: req.Settings})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toTeam(t))
	return nil
}

// GET /teams
func (a *app) listTeams(w http.ResponseWriter, r *http.Request, s session) error {
	teams, err := a.svc.TeamsOf(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(teams, toTeam))
	return nil
}

// GET /teams/{teamID}
func (a *app) getTeam(w http.ResponseWriter, r *http.Request, s session) error {
	t, err := a.svc.Team(r.Context(), s.UserID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTeam(t))
	return nil
}

// PATCH /teams/{teamID} {name, settings}: absent fields stay unchanged.
func (a *app) updateTeam(w http.ResponseWriter, r *http.Request, s session) error {
	var req struct {
		Name     *string           `json:"name"`
		Settings map[string]string `json:"settings"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	t, err := a.svc.UpdateTeam(r.Context(), team.UpdateTeamParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), Name: req.Name, Settings: req.Settings})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTeam(t))
	return nil
}

// DELETE /teams/{teamID}
func (a *app) deleteTeam(w http.ResponseWriter, r *http.Request, s session) error {
	if err := a.svc.DeleteTeam(r.Context(), s.UserID, r.PathValue("teamID")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /teams/{teamID}/invitations
func (a *app) listInvitations(w http.ResponseWriter, r *http.Request, s session) error {
	invs, err := a.svc.Invitations(r.Context(), s.UserID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	now := a.now()
	writeJSON(w, http.StatusOK, mapSlice(invs, func(i team.Invitation) invitationJSON { return toInvitation(i, now) }))
	return nil
}

// POST /teams/{teamID}/invitations {email, role}. When the invitation is
// stored but its mail failed (INV-7), the answer is 202 with the invitation
// and the error: re-send it.
func (a *app) invite(w http.ResponseWriter, r *http.Request, s session) error {
	var req struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	res, err := a.svc.Invite(r.Context(), team.InviteParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), Email: req.Email, Role: req.Role})
	return a.writeInvitation(w, http.StatusCreated, res.Invitation, err)
}

// POST /teams/{teamID}/invitations/{invitationID}/resend
func (a *app) resendInvitation(w http.ResponseWriter, r *http.Request, s session) error {
	res, err := a.svc.ResendInvitation(r.Context(), team.ResendInvitationParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), InvitationID: r.PathValue("invitationID")})
	return a.writeInvitation(w, http.StatusOK, res.Invitation, err)
}

func (a *app) writeInvitation(w http.ResponseWriter, status int, inv team.Invitation, err error) error {
	if errors.Is(err, team.ErrNotifyFailed) && inv.ID != "" {
		writeJSON(w, http.StatusAccepted, map[string]any{"invitation": toInvitation(inv, a.now()), "error": err.Error()})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, status, toInvitation(inv, a.now()))
	return nil
}

// DELETE /teams/{teamID}/invitations/{invitationID}
func (a *app) cancelInvitation(w http.ResponseWriter, r *http.Request, s session) error {
	if err := a.svc.CancelInvitation(r.Context(), team.CancelInvitationParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), InvitationID: r.PathValue("invitationID")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /invitations: the signed-in user's pending invitations (INV-5).
func (a *app) myInvitations(w http.ResponseWriter, r *http.Request, s session) error {
	invs, err := a.svc.PendingInvitations(r.Context(), s.user())
	if err != nil {
		return err
	}
	now := a.now()
	writeJSON(w, http.StatusOK, mapSlice(invs, func(i team.Invitation) invitationJSON { return toInvitation(i, now) }))
	return nil
}

// POST /invitations/accept {token}
func (a *app) acceptInvitation(w http.ResponseWriter, r *http.Request, s session) error {
	var req struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	m, err := a.svc.AcceptInvitation(r.Context(), s.user(), req.Token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toMember(m))
	return nil
}

// POST /invitations/{invitationID}/decline
func (a *app) declineInvitation(w http.ResponseWriter, r *http.Request, s session) error {
	if err := a.svc.DeclineInvitation(r.Context(), s.user(), r.PathValue("invitationID")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /teams/{teamID}/members
func (a *app) listMembers(w http.ResponseWriter, r *http.Request, s session) error {
	members, err := a.svc.Members(r.Context(), s.UserID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(members, toMember))
	return nil
}

// PATCH /teams/{teamID}/members/{userID} {role}
func (a *app) changeRole(w http.ResponseWriter, r *http.Request, s session) error {
	var req struct {
		Role string `json:"role"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	m, err := a.svc.ChangeRole(r.Context(), team.ChangeRoleParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), UserID: r.PathValue("userID"), Role: req.Role})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toMember(m))
	return nil
}

// DELETE /teams/{teamID}/members/{userID}
func (a *app) removeMember(w http.ResponseWriter, r *http.Request, s session) error {
	if err := a.svc.RemoveMember(r.Context(), team.RemoveMemberParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), UserID: r.PathValue("userID")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /teams/{teamID}/leave
func (a *app) leave(w http.ResponseWriter, r *http.Request, s session) error {
	if err := a.svc.Leave(r.Context(), s.UserID, r.PathValue("teamID")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /teams/{teamID}/transfer {new_owner_id, confirm_new_owner_id}: the
// new owner's ID twice is the confirmation step (OWN-1).
func (a *app) transfer(w http.ResponseWriter, r *http.Request, s session) error {
	var req struct {
		NewOwnerID        string `json:"new_owner_id"`
		ConfirmNewOwnerID string `json:"confirm_new_owner_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	teamID := r.PathValue("teamID")
	err := a.svc.TransferOwnership(r.Context(), team.TransferOwnershipParams{
		ActorID:           s.UserID,
		TeamID:            teamID,
		NewOwnerID:        req.NewOwnerID,
		ConfirmNewOwnerID: req.ConfirmNewOwnerID,
	})
	if err != nil {
		return err
	}
	t, err := a.svc.Team(r.Context(), s.UserID, teamID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTeam(t))
	return nil
}

// POST /teams/{teamID}/usage {amount, idempotency_key, metadata}
func (a *app) recordUsage(w http.ResponseWriter, r *http.Request, s session) error {
	var req struct {
		Amount         int64             `json:"amount"`
		IdempotencyKey string            `json:"idempotency_key"`
		Metadata       map[string]string `json:"metadata"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	rec, err := a.svc.RecordUsage(r.Context(), team.RecordUsageParams{
		ActorID:        s.UserID,
		TeamID:         r.PathValue("teamID"),
		Amount:         req.Amount,
		IdempotencyKey: req.IdempotencyKey,
		Metadata:       req.Metadata,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toUsage(rec))
	return nil
}

// GET /teams/{teamID}/usage?from=&to= (RFC 3339 times, both optional)
func (a *app) usageSummary(w http.ResponseWriter, r *http.Request, s session) error {
	q := r.URL.Query()
	from, err := queryTime(q.Get("from"), "from")
	if err != nil {
		return err
	}
	to, err := queryTime(q.Get("to"), "to")
	if err != nil {
		return err
	}
	sum, err := a.svc.UsageSummary(r.Context(), team.UsageSummaryParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), From: from, To: to})
	if err != nil {
		return err
	}
	out := summaryJSON{TeamID: sum.TeamID, Amount: sum.Amount, Records: sum.Records,
		Members: mapSlice(sum.Members, func(m billing.MemberUsage) memberUsageJSON {
			return memberUsageJSON{UserID: m.UserID, Amount: m.Amount, Records: m.Records}
		})}
	if !from.IsZero() {
		out.From = &from
	}
	if !to.IsZero() {
		out.To = &to
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func queryTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badRequest(field, "%s must be an RFC 3339 time such as 2025-01-31T00:00:00Z", field)
	}
	return t, nil
}

// GET /teams/{teamID}/billing
func (a *app) billingAccount(w http.ResponseWriter, r *http.Request, s session) error {
	acct, err := a.svc.BillingAccount(r.Context(), s.UserID, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAccount(acct))
	return nil
}

// POST /teams/{teamID}/billing/topup {amount}
func (a *app) topUp(w http.ResponseWriter, r *http.Request, s session) error {
	var req struct {
		Amount int64 `json:"amount"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	acct, err := a.svc.TopUp(r.Context(), team.TopUpParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), Amount: req.Amount})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAccount(acct))
	return nil
}

// PUT /teams/{teamID}/billing/plan {plan}: in the demo, the owner of a
// personal team buys the TEAM plan here before creating a team.
func (a *app) changePlan(w http.ResponseWriter, r *http.Request, s session) error {
	var req struct {
		Plan billing.Plan `json:"plan"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	acct, err := a.svc.ChangePlan(r.Context(), team.ChangePlanParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), Plan: req.Plan})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAccount(acct))
	return nil
}

// GET /teams/{teamID}/audit?cursor=&limit=&action=&actor= (action may repeat
// or hold a comma-separated list)
func (a *app) auditLog(w http.ResponseWriter, r *http.Request, s session) error {
	q := r.URL.Query()
	query := audit.Query{ActorID: q.Get("actor"), Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest("limit", "limit must be a positive whole number, at most %d", audit.MaxLimit)
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
	page, err := a.svc.AuditLog(r.Context(), team.AuditLogParams{ActorID: s.UserID, TeamID: r.PathValue("teamID"), Query: query})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageJSON{
		NextCursor: page.NextCursor,
		Events: mapSlice(page.Events, func(e audit.Event) eventJSON {
			return eventJSON{ID: e.ID, Seq: e.Seq, Time: e.Time, ActorID: e.ActorID, Action: e.Action,
				Target: e.Target, Details: e.Details, PrevHash: e.PrevHash, Hash: e.Hash}
		}),
	})
	return nil
}
