package team

import (
	"context"
	"errors"
	"fmt"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
)

// OpenTeam is a team that a user may join through their email domain
// (JOIN-2): what OpenTeams lists.
type OpenTeam struct {
	TeamID   string     `json:"team_id"`
	TeamName string     `json:"team_name"`
	Domain   string     `json:"domain"`
	Policy   JoinPolicy `json:"policy"`         // JoinByRequest or JoinAutomatic
	Role     string     `json:"role,omitempty"` // the role under JoinAutomatic
}

// ApproveJoinRequestParams are the arguments of ApproveJoinRequest (JOIN-3).
type ApproveJoinRequestParams struct {
	// ActorID is the acting user, who needs the invite permission.
	ActorID string
	// TeamID is the team the request is to.
	TeamID string
	// RequestID is the pending request.
	RequestID string
	// Role is the new member's role; "" means the policy's default role.
	// The ROLE-7 ceiling applies.
	Role string
}

// RejectJoinRequestParams are the arguments of RejectJoinRequest (JOIN-3).
type RejectJoinRequestParams struct {
	// ActorID is the acting user, who needs the invite permission.
	ActorID string
	// TeamID is the team the request is to.
	TeamID string
	// RequestID is the pending request.
	RequestID string
}

// OpenTeams returns the teams u may join through the domain of u's verified
// email (JOIN-2): the team whose verified claim is that domain, when its
// policy is JoinByRequest or JoinAutomatic (whose setter still holds the
// authority it grants, see JoinByDomain), the team is live and u is not a
// member. Among verified claims a domain belongs to one team, so the list
// has at most one entry.
//
// Errors match ErrInvalidInput.
func (s *Service) OpenTeams(ctx context.Context, u User) ([]OpenTeam, error) {
	u, err := checkUser(u)
	if err != nil {
		return nil, err
	}
	jr, err := s.joinReader()
	if err != nil {
		return nil, err
	}
	out := []OpenTeam{}
	domain := emailDomain(u.Email)
	if domain == "" {
		return out, nil
	}
	c, err := jr.VerifiedDomainClaim(ctx, domain)
	if errors.Is(err, ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if c.Policy != JoinByRequest && c.Policy != JoinAutomatic {
		return out, nil
	}
	t, err := live(s.store.Team(ctx, c.TeamID))
	if errors.Is(err, ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Member(ctx, t.ID, u.ID); err == nil {
		return out, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if c.Policy == JoinAutomatic {
		if err := s.policyAuthority(ctx, s.store, c); errors.Is(err, ErrJoinNotAllowed) {
			return out, nil // JoinByDomain would refuse it
		} else if err != nil {
			return nil, err
		}
	}
	return append(out, OpenTeam{TeamID: t.ID, TeamName: t.Name, Domain: domain, Policy: c.Policy, Role: c.DefaultRole}), nil
}

// JoinByDomain makes u, a signed-in user whose verified email is at a
// domain teamID has verified with policy JoinAutomatic, a member of teamID
// at once with the claim's default role (JOIN-2), registered as in INV-5;
// seats apply (INV-3). Records DomainJoined (and TeamCreated in a new
// personal team).
//
// Errors match ErrInvalidInput, ErrJoinNotAllowed (no verified claim of
// teamID to u's domain, or its policy is not JoinAutomatic: under
// JoinByRequest use RequestToJoin; or the member who set the policy is
// no longer one whose role could set it, as INV-8 has it for invitations),
// ErrAlreadyMember, ErrSeatLimit (a *SeatLimitError) or ErrInvalidAccount
// (u was offboarded, USER-2).
func (s *Service) JoinByDomain(ctx context.Context, u User, teamID string) (Member, error) {
	var m Member
	err := s.domainJoin(ctx, u, teamID, JoinAutomatic, func(ctx context.Context, tx JoinTx, t Team, c DomainClaim, u User, personal string) error {
		if err := s.policyAuthority(ctx, tx, c); err != nil {
			return err
		}
		var err error
		if m, err = s.admit(ctx, tx, t, u, personal, c.DefaultRole, s.now().UTC()); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, u.ID, t.ID, audit.DomainJoined, c.Domain,
			map[string]string{"user_id": u.ID, "role": m.Role, "domain": c.Domain})
		return err
	})
	if err != nil {
		return Member{}, err
	}
	return m, nil
}

// policyAuthority refuses an automatic join under claim c once the member
// who set its policy is no longer one whose current role could set it: the
// settings permission and the ROLE-7 ceiling over the default role, as
// SetJoinPolicy checked them (JOIN-2, like INV-8 for invitations).
func (s *Service) policyAuthority(ctx context.Context, r Reader, c DomainClaim) error {
	role, err := s.policy.Role(c.DefaultRole)
	if err != nil {
		return fmt.Errorf("teamkit: the join policy of %s names role %q that the policy does not define; set the policy again: %w", c.Domain, c.DefaultRole, err)
	}
	why, err := s.lostAuthority(ctx, r, c.PolicySetBy, c.TeamID, role, rbac.Settings)
	if why != "" {
		return fmt.Errorf("%w: the join policy of %s was set by %s, who %s; ask a team admin to set the policy again",
			ErrJoinNotAllowed, c.Domain, c.PolicySetBy, why)
	}
	return err
}

// RequestToJoin files u's request to join teamID, whose verified claim to
// the domain of u's verified email has policy JoinByRequest (JOIN-2,
// JOIN-3). The request holds no seat; a member with the invite permission
// approves or rejects it. A user has at most one pending request per team.
// Records JoinRequested.
//
// Errors match ErrInvalidInput, ErrJoinNotAllowed (no verified claim of
// teamID to u's domain, or its policy is not JoinByRequest: under
// JoinAutomatic use JoinByDomain), ErrAlreadyMember, ErrAlreadyRequested
// or billing.ErrInvalidAccount (u was offboarded, USER-2).
func (s *Service) RequestToJoin(ctx context.Context, u User, teamID string) (JoinRequest, error) {
	var r JoinRequest
	err := s.domainJoin(ctx, u, teamID, JoinByRequest, func(ctx context.Context, tx JoinTx, t Team, c DomainClaim, u User, _ string) error {
		if err := refuseOffboarded(ctx, tx, u.ID); err != nil {
			return err
		}
		if p, err := tx.PendingJoinRequest(ctx, t.ID, u.ID); err == nil {
			return fmt.Errorf("%w: request %s of user %s to team %s is pending", ErrAlreadyRequested, p.ID, u.ID, t.ID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.now().UTC()
		r = JoinRequest{
			ID:        s.newID(),
			TeamID:    t.ID,
			UserID:    u.ID,
			Email:     u.Email,
			Name:      u.Name,
			Domain:    c.Domain,
			Status:    JoinRequestPending,
			CreatedAt: now,
			UpdatedAt: now,
		}
		if err := tx.InsertJoinRequest(ctx, r); err != nil {
			return err
		}
		_, err := s.record(ctx, tx, u.ID, t.ID, audit.JoinRequested, r.ID,
			map[string]string{"user_id": u.ID, "domain": c.Domain})
		return err
	})
	if err != nil {
		return JoinRequest{}, err
	}
	return r, nil
}

// domainJoin checks u and, in one unit of work, that teamID is live, holds
// a verified claim to u's email domain with policy want and does not count
// u as a member; then it runs fn with the locked team, the claim and u's
// personal team name.
func (s *Service) domainJoin(ctx context.Context, u User, teamID string, want JoinPolicy,
	fn func(ctx context.Context, tx JoinTx, t Team, c DomainClaim, u User, personal string) error) error {
	u, err := checkUser(u)
	if err != nil {
		return err
	}
	if err := checkID("team_id", teamID); err != nil {
		return err
	}
	personal, err := personalTeamName(u)
	if err != nil {
		return err
	}
	domain := emailDomain(u.Email)
	return s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		notAllowed := fmt.Errorf("%w: team %s has no verified claim to the domain of %s with policy %q; ask a team admin for an invitation", ErrJoinNotAllowed, teamID, u.Email, want)
		t, err := live(tx.LockTeam(ctx, teamID))
		if errors.Is(err, ErrNotFound) || (err == nil && domain == "") {
			return notAllowed
		}
		if err != nil {
			return err
		}
		c, err := tx.DomainClaim(ctx, t.ID, domain)
		if errors.Is(err, ErrNotFound) {
			return notAllowed
		}
		if err != nil {
			return err
		}
		if !c.Verified() || c.Policy != want {
			return notAllowed
		}
		if _, err := tx.Member(ctx, t.ID, u.ID); err == nil {
			return fmt.Errorf("%w: user %s is already a member of team %s", ErrAlreadyMember, u.ID, t.ID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		return fn(ctx, tx, t, c, u, personal)
	})
}

// JoinRequests returns the pending join requests of teamID, by creation
// (JOIN-3). The actor needs the invite permission.
//
// Errors match ErrInvalidInput, ErrNotMember or ErrPermissionDenied.
func (s *Service) JoinRequests(ctx context.Context, actorID, teamID string) ([]JoinRequest, error) {
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return nil, err
	}
	jr, err := s.joinReader()
	if err != nil {
		return nil, err
	}
	if _, _, _, err := s.readAs(ctx, s.store, actorID, teamID, rbac.Invite, "list join requests"); err != nil {
		return nil, err
	}
	return jr.JoinRequests(ctx, teamID, JoinRequestPending)
}

// ApproveJoinRequest approves the pending request p.RequestID and makes its
// user a member of p.TeamID with p.Role (JOIN-3): the actor needs the
// invite permission and a role that could invite to p.Role (ROLE-7); ""
// is the policy's default role. A pending request held no seat, so a full
// team refuses the approval with the seat error (INV-3). The user is
// registered as in INV-5 when the library does not know them. Records
// JoinRequestApproved (and TeamCreated in a new personal team).
//
// Errors match ErrInvalidInput (an unknown role also ErrUnknownRole),
// ErrNotMember, ErrPermissionDenied, ErrNotFound (no such request in this
// team), ErrJoinRequestClosed, ErrAlreadyMember, ErrSeatLimit (a
// *SeatLimitError) or ErrInvalidAccount (the user was offboarded).
func (s *Service) ApproveJoinRequest(ctx context.Context, p ApproveJoinRequestParams) (Member, error) {
	if err := checkIDs("actor_id", p.ActorID, "team_id", p.TeamID, "request_id", p.RequestID); err != nil {
		return Member{}, err
	}
	role, err := s.roleArg(p.Role)
	if err != nil {
		return Member{}, err
	}
	var m Member
	err = s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		t, _, actorRole, err := s.lockAs(ctx, tx, p.ActorID, p.TeamID, rbac.Invite, "approve join requests")
		if err != nil {
			return err
		}
		r, err := pendingRequest(ctx, tx, p.TeamID, p.RequestID)
		if err != nil {
			return err
		}
		if err := s.requireInvite(actorRole, role); err != nil {
			return err
		}
		if _, err := tx.Member(ctx, t.ID, r.UserID); err == nil {
			return fmt.Errorf("%w: user %s of request %s is already a member of team %s; reject the request", ErrAlreadyMember, r.UserID, r.ID, t.ID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		u := User{ID: r.UserID, Email: r.Email, Name: r.Name}
		personal, err := personalTeamName(u)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		// Decided before admit, which closes the user's pending request.
		r.Status, r.Role, r.DecidedBy, r.UpdatedAt = JoinRequestApproved, role.Name, p.ActorID, now
		if err := tx.UpdateJoinRequest(ctx, r); err != nil {
			return err
		}
		if m, err = s.admit(ctx, tx, t, u, personal, role.Name, now); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, p.ActorID, t.ID, audit.JoinRequestApproved, r.ID,
			map[string]string{"user_id": r.UserID, "role": role.Name})
		return err
	})
	if err != nil {
		return Member{}, err
	}
	return m, nil
}

// RejectJoinRequest rejects the pending request p.RequestID (JOIN-3); the
// user may file a new one. The actor needs the invite permission. Records
// JoinRequestRejected.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied,
// ErrNotFound (no such request in this team) or ErrJoinRequestClosed.
func (s *Service) RejectJoinRequest(ctx context.Context, p RejectJoinRequestParams) error {
	if err := checkIDs("actor_id", p.ActorID, "team_id", p.TeamID, "request_id", p.RequestID); err != nil {
		return err
	}
	return s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		if _, _, _, err := s.lockAs(ctx, tx, p.ActorID, p.TeamID, rbac.Invite, "reject join requests"); err != nil {
			return err
		}
		r, err := pendingRequest(ctx, tx, p.TeamID, p.RequestID)
		if err != nil {
			return err
		}
		r.Status, r.DecidedBy, r.UpdatedAt = JoinRequestRejected, p.ActorID, s.now().UTC()
		if err := tx.UpdateJoinRequest(ctx, r); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, p.ActorID, p.TeamID, audit.JoinRequestRejected, r.ID,
			map[string]string{"user_id": r.UserID})
		return err
	})
}

// pendingRequest returns requestID if it is a pending request to teamID.
func pendingRequest(ctx context.Context, tx JoinTx, teamID, requestID string) (JoinRequest, error) {
	r, err := tx.JoinRequest(ctx, requestID)
	if err == nil && r.TeamID != teamID {
		err = ErrNotFound
	}
	if errors.Is(err, ErrNotFound) {
		return JoinRequest{}, fmt.Errorf("%w: join request %s in this team; check the ID", ErrNotFound, requestID)
	}
	if err != nil {
		return JoinRequest{}, err
	}
	if r.Status != JoinRequestPending {
		return JoinRequest{}, fmt.Errorf("%w: request %s is %s", ErrJoinRequestClosed, r.ID, r.Status)
	}
	return r, nil
}
