package team

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
)

// Invitation tokens (INV-4).
const (
	tokenBytes     = 32  // 256 random bits
	maxTokenLength = 128 // bytes; a real token has 43
)

// InviteParams are the arguments of Invite (INV-1..4).
type InviteParams struct {
	// ActorID is the acting user, who needs the invite permission.
	ActorID string
	// TeamID is the collaboration team to invite to.
	TeamID string
	// Email is the invitee's address; it is normalised.
	Email string
	// Role names the invited role; "" means the policy's default role.
	Role string
}

// InviteResult is what Invite and ResendInvitation return: the stored
// invitation and the raw token of its link (INV-9).
type InviteResult struct {
	// Invitation is the invitation as stored.
	Invitation Invitation
	// Token is the link token, also handed to the Notifier when there is
	// one. It is a secret: whoever holds it can accept the invitation as the
	// invitee. Show it only to the inviter or put it in the invitee's link;
	// never log it, store it or return it to anyone else. Only its hash is
	// stored, so it cannot be read back later (ResendInvitation makes a
	// new one).
	Token string
}

// ResendInvitationParams are the arguments of ResendInvitation (INV-6).
type ResendInvitationParams struct {
	// ActorID is the acting user, who needs the invite permission.
	ActorID string
	// TeamID is the team the invitation belongs to.
	TeamID string
	// InvitationID is the pending invitation to send again.
	InvitationID string
}

// CancelInvitationParams are the arguments of CancelInvitation (INV-6).
type CancelInvitationParams struct {
	// ActorID is the acting user, who needs the invite permission.
	ActorID string
	// TeamID is the team the invitation belongs to.
	TeamID string
	// InvitationID is the pending invitation to cancel.
	InvitationID string
}

// Invite invites p.Email to p.TeamID with p.Role (INV-1..4): the actor needs the
// invite permission and may invite only to roles ranked at or below their
// own that hold no permission theirs lacks, never owner (ROLE-6, ROLE-7);
// role "" means the policy's default role. The
// email is normalised. Seats (members plus pending, unexpired invitations)
// must stay within the seat limit. An expired pending invitation of the same
// email is marked expired and replaced. Records InvitationSent.
//
// The result holds the invitation and the link's token (INV-9). After the
// unit of work commits, the Notifier, if the service has one, gets the
// token too. If it fails, Invite returns the result AND an error matching
// ErrNotifyFailed that wraps the Notifier's error (INV-7); retry with
// ResendInvitation.
//
// Errors match ErrInvalidInput (an unknown role also matches
// ErrUnknownRole), ErrNotMember, ErrPersonalTeam, ErrPermissionDenied,
// ErrAlreadyMember, ErrAlreadyInvited, ErrSeatLimit (a *SeatLimitError) or
// ErrNotifyFailed.
func (s *Service) Invite(ctx context.Context, p InviteParams) (InviteResult, error) {
	actorID, teamID := p.ActorID, p.TeamID
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return InviteResult{}, err
	}
	email, err := NormalizeEmail(p.Email)
	if err != nil {
		return InviteResult{}, err
	}
	r, err := s.roleArg(p.Role)
	if err != nil {
		return InviteResult{}, err
	}
	return s.sendInvitation(ctx, actorID, func(ctx context.Context, tx Tx, hash string) (Invitation, Team, error) {
		t, _, actorRole, err := s.lockAs(ctx, tx, actorID, teamID, membersOnly, "")
		if err != nil {
			return Invitation{}, Team{}, err
		}
		if t.Kind == Personal {
			return Invitation{}, Team{}, fmt.Errorf("%w: team %s accepts no invitations; create a collaboration team or upgrade this one", ErrPersonalTeam, teamID)
		}
		if err := s.requireInvite(actorRole, r); err != nil {
			return Invitation{}, Team{}, err
		}
		now := s.now().UTC()
		used, _, err := s.seatsFor(ctx, tx, teamID, email, now, true)
		if err != nil {
			return Invitation{}, Team{}, err
		}
		if limit := s.seatLimitOf(ctx, tx, t); used >= limit {
			return Invitation{}, Team{}, &SeatLimitError{TeamID: teamID, Limit: limit, Used: used}
		}
		inv := Invitation{
			ID:        s.newID(),
			TeamID:    teamID,
			Email:     email,
			Role:      r.Name,
			InviterID: actorID,
			Status:    InvitationPending,
			TokenHash: hash,
			CreatedAt: now,
			ExpiresAt: now.Add(s.invitationTTL),
			UpdatedAt: now,
		}
		if err := tx.InsertInvitation(ctx, inv); err != nil {
			return Invitation{}, Team{}, err
		}
		_, err = s.record(ctx, tx, actorID, teamID, audit.InvitationSent, inv.ID,
			map[string]string{"email": email, "role": r.Name})
		return inv, t, err
	})
}

// sendInvitation runs write, the unit of work that stores an invitation
// under the hash of a fresh token (INV-4) and returns it with its team, and
// then hands the token to the Notifier, if any. It returns the invitation
// with its token (INV-9); when the Notifier fails, they come back with an
// error matching ErrNotifyFailed (INV-7).
func (s *Service) sendInvitation(ctx context.Context, actorID string, write func(ctx context.Context, tx Tx, hash string) (Invitation, Team, error)) (InviteResult, error) {
	token, hash, err := s.newToken()
	if err != nil {
		return InviteResult{}, err
	}
	var inv Invitation
	var t Team
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		inv, t, err = write(ctx, tx, hash)
		return err
	})
	if err != nil {
		return InviteResult{}, err
	}
	return InviteResult{Invitation: inv, Token: token}, s.notify(ctx, inv, t.Name, token, actorID)
}

// seatsFor checks that email is not a member of teamID and returns the
// seats in use by others: members plus the pending, unexpired invitations
// of other emails (INV-3), and email's own pending invitations, whose seat
// is email's. With replaceExpired, an unexpired invitation of email is
// refused (INV-2) and an expired one is marked expired, so that a new one
// can take its place; it is then not returned.
func (s *Service) seatsFor(ctx context.Context, tx Tx, teamID, email string, now time.Time, replaceExpired bool) (int, []Invitation, error) {
	members, err := tx.Members(ctx, teamID)
	if err != nil {
		return 0, nil, err
	}
	for _, m := range members {
		if m.Email == email {
			return 0, nil, fmt.Errorf("%w: %s is already a member of team %s", ErrAlreadyMember, email, teamID)
		}
	}
	pending, err := tx.Invitations(ctx, teamID, InvitationPending)
	if err != nil {
		return 0, nil, err
	}
	used := len(members)
	var own []Invitation
	for _, p := range pending {
		expired := p.State(now) == InvitationExpired
		switch {
		case p.Email != email:
			if !expired {
				used++
			}
		case !replaceExpired:
			own = append(own, p)
		case !expired:
			return 0, nil, fmt.Errorf("%w: %s has pending invitation %s to team %s; use ResendInvitation", ErrAlreadyInvited, email, p.ID, teamID)
		default:
			p.Status, p.UpdatedAt = InvitationExpired, now
			if err := tx.UpdateInvitation(ctx, p); err != nil {
				return 0, nil, err
			}
		}
	}
	return used, own, nil
}

// ResendInvitation gives the pending invitation p.InvitationID of p.TeamID a
// new token and a new expiry, which kills the old link, returns the
// invitation with the new token (INV-9) and notifies the invitee again, if
// the service has a Notifier (INV-6, INV-7). The actor needs the invite
// permission and the authority to invite to the invitation's role, and the
// invitation is re-issued under them: its InviterID becomes p.ActorID
// (INV-8), so a re-sent invitation outlives its first inviter. Resending an
// expired invitation takes a seat again, so the seat limit applies. Records
// InvitationResent.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied,
// ErrNotFound (no such invitation in this team), ErrInvitationCancelled,
// ErrInvitationDeclined, ErrInvitationUsed, ErrInvitationExpired (replaced
// by a newer invitation), ErrAlreadyMember, ErrSeatLimit or
// ErrNotifyFailed; with ErrNotifyFailed the result is returned too.
func (s *Service) ResendInvitation(ctx context.Context, p ResendInvitationParams) (InviteResult, error) {
	actorID, teamID, invitationID := p.ActorID, p.TeamID, p.InvitationID
	if err := checkIDs("actor_id", actorID, "team_id", teamID, "invitation_id", invitationID); err != nil {
		return InviteResult{}, err
	}
	return s.sendInvitation(ctx, actorID, func(ctx context.Context, tx Tx, hash string) (Invitation, Team, error) {
		t, _, actorRole, err := s.lockAs(ctx, tx, actorID, teamID, rbac.Invite, "re-send invitations")
		if err != nil {
			return Invitation{}, Team{}, err
		}
		inv, err := teamInvitation(ctx, tx, teamID, invitationID)
		if err != nil {
			return Invitation{}, Team{}, err
		}
		if inv.Status != InvitationPending {
			return Invitation{}, Team{}, statusError(inv, inv.Status)
		}
		r, err := s.policy.Role(inv.Role)
		if err != nil {
			return Invitation{}, Team{}, fmt.Errorf("teamkit: invitation %s names role %q that the policy does not define; cancel it and invite again: %w", inv.ID, inv.Role, err)
		}
		if err := s.requireInvite(actorRole, r); err != nil {
			return Invitation{}, Team{}, err
		}
		now := s.now().UTC()
		used, _, err := s.seatsFor(ctx, tx, teamID, inv.Email, now, false)
		if err != nil {
			return Invitation{}, Team{}, err
		}
		if limit := s.seatLimitOf(ctx, tx, t); inv.State(now) == InvitationExpired && used >= limit {
			return Invitation{}, Team{}, &SeatLimitError{TeamID: teamID, Limit: limit, Used: used}
		}
		// INV-8: the re-sent invitation carries the re-sender's authority.
		inv.InviterID = actorID
		inv.TokenHash, inv.ExpiresAt, inv.UpdatedAt = hash, now.Add(s.invitationTTL), now
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return Invitation{}, Team{}, err
		}
		_, err = s.record(ctx, tx, actorID, teamID, audit.InvitationResent, inv.ID,
			map[string]string{"email": inv.Email, "role": inv.Role})
		return inv, t, err
	})
}

// CancelInvitation cancels the pending invitation p.InvitationID of p.TeamID
// (INV-6). The actor needs the invite permission. Records
// InvitationCancelled.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied,
// ErrNotFound (no such invitation in this team), ErrInvitationCancelled,
// ErrInvitationDeclined, ErrInvitationUsed or ErrInvitationExpired (already
// replaced).
func (s *Service) CancelInvitation(ctx context.Context, p CancelInvitationParams) error {
	actorID, teamID, invitationID := p.ActorID, p.TeamID, p.InvitationID
	if err := checkIDs("actor_id", actorID, "team_id", teamID, "invitation_id", invitationID); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if _, _, _, err := s.lockAs(ctx, tx, actorID, teamID, rbac.Invite, "cancel invitations"); err != nil {
			return err
		}
		inv, err := teamInvitation(ctx, tx, teamID, invitationID)
		if err != nil {
			return err
		}
		if inv.Status != InvitationPending {
			return statusError(inv, inv.Status)
		}
		return s.cancelInvitation(ctx, tx, actorID, inv, s.now().UTC(), "")
	})
}

// cancelInvitation marks the pending invitation inv, whose team the caller
// has locked, cancelled at now and records InvitationCancelled by actorID
// (empty: the host); reason, when set, says why the library did it.
func (s *Service) cancelInvitation(ctx context.Context, tx Tx, actorID string, inv Invitation, now time.Time, reason string) error {
	inv.Status, inv.UpdatedAt = InvitationCancelled, now
	if err := tx.UpdateInvitation(ctx, inv); err != nil {
		return err
	}
	details := map[string]string{"email": inv.Email}
	if reason != "" {
		details["reason"] = reason
	}
	_, err := s.record(ctx, tx, actorID, inv.TeamID, audit.InvitationCancelled, inv.ID, details)
	return err
}

// DeclineInvitation declines invitationID on behalf of u, whose verified
// email must be the invited one (INV-6). Records InvitationDeclined.
//
// Errors match ErrInvalidInput, ErrNotFound (no such invitation, or its team
// was deleted), ErrEmailMismatch, ErrInvitationExpired,
// ErrInvitationCancelled, ErrInvitationDeclined or ErrInvitationUsed.
func (s *Service) DeclineInvitation(ctx context.Context, u User, invitationID string) error {
	u, err := checkUser(u)
	if err != nil {
		return err
	}
	if err := checkID("invitation_id", invitationID); err != nil {
		return err
	}
	found, err := s.store.Invitation(ctx, invitationID)
	if err != nil {
		return invitationLookupError(err, invitationID)
	}
	return s.decline(ctx, u, found, "")
}

// decline declines found, an invitation read from committed data, on behalf
// of u, a checked user (INV-6). A non-empty hash is the hash of the link
// token the invitation was found by; the invitation must still carry it.
func (s *Service) decline(ctx context.Context, u User, found Invitation, hash string) error {
	invitationID := found.ID
	return s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := lockInvitedTeam(ctx, tx, found.TeamID); err != nil {
			return err
		}
		inv, err := tx.Invitation(ctx, invitationID)
		if err != nil {
			return invitationLookupError(err, invitationID)
		}
		if hash != "" && subtle.ConstantTimeCompare([]byte(inv.TokenHash), []byte(hash)) != 1 {
			return fmt.Errorf("%w: this invitation link was replaced by a newer one; use the newest link", ErrNotFound)
		}
		if inv.Email != u.Email {
			return fmt.Errorf("%w: invitation %s is not for the signed-in user's email", ErrEmailMismatch, invitationID)
		}
		now := s.now().UTC()
		if st := inv.State(now); st != InvitationPending {
			return statusError(inv, st)
		}
		inv.Status, inv.UpdatedAt = InvitationDeclined, now
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, u.ID, inv.TeamID, audit.InvitationDeclined, inv.ID,
			map[string]string{"email": inv.Email})
		return err
	})
}

// AcceptInvitation makes u a member of the invitation's team with the
// invited role (INV-5). token is the one from the invitation link; u's
// verified email must be the invited one. The invitation carries its
// inviter's authority (INV-8): it is accepted only while the inviter is
// still a member whose current role could issue it (the invite permission
// and the ROLE-7 ceiling); otherwise nothing changes and a team admin can
// re-send it under their own authority. The pending invitation already held
// a seat, so only a team whose members alone fill its seat limit (as after
// the owner moved to a plan with fewer seats, BILL-7) refuses it. Concurrent accepts of one
// invitation create one membership. The new membership's Epoch starts above
// any its user held in the team before, whatever the clock does (ROLE-5).
//
// A user the library does not know yet is registered in the same unit of
// work, as EnsurePersonalTeam would (TEAM-1, BILL-1): a personal team named
// after u.Name, with its TeamCreated event, and a FREE billing account.
// Records InvitationAccepted.
//
// Errors match ErrInvalidInput, ErrNotFound (unknown or superseded link, or
// the team was deleted), ErrInvitationExpired, ErrInvitationCancelled,
// ErrInvitationDeclined, ErrInvitationUsed, ErrEmailMismatch,
// ErrAlreadyMember, ErrSeatLimit or ErrInviterLacksAuthority.
func (s *Service) AcceptInvitation(ctx context.Context, u User, token string) (Member, error) {
	u, err := checkUser(u)
	if err != nil {
		return Member{}, err
	}
	if token == "" || len(token) > maxTokenLength {
		return Member{}, invalid("token", "must have 1 to %d bytes; use the token from the invitation link", maxTokenLength)
	}
	personalName, err := personalTeamName(u)
	if err != nil {
		return Member{}, err
	}
	hash := hashToken(token)
	found, err := s.store.InvitationByTokenHash(ctx, hash)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Member{}, fmt.Errorf("%w: no invitation for this link; it may have been re-sent, ask for the newest link", ErrNotFound)
		}
		return Member{}, err
	}
	var m Member
	// A concurrent registration of u (EnsurePersonalTeam, another accept)
	// may insert u's personal team or account first; ours then fails with
	// ErrConflict and the next attempt finds them.
	for attempt := 0; ; attempt++ {
		err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
			var err error
			m, err = s.accept(ctx, tx, u, found, hash, personalName)
			return err
		})
		if err == nil || !errors.Is(err, ErrConflict) || attempt >= 2 {
			break
		}
	}
	if err != nil {
		return Member{}, err
	}
	return m, nil
}

// accept is the unit of work of AcceptInvitation.
// found is the invitation as read before the unit began.
func (s *Service) accept(ctx context.Context, tx Tx, u User, found Invitation, hash, personalName string) (Member, error) {
	t, err := lockInvitedTeam(ctx, tx, found.TeamID)
	if err != nil {
		return Member{}, err
	}
	inv, err := tx.Invitation(ctx, found.ID)
	if err != nil {
		return Member{}, invitationLookupError(err, found.ID)
	}
	if subtle.ConstantTimeCompare([]byte(inv.TokenHash), []byte(hash)) != 1 {
		return Member{}, fmt.Errorf("%w: this invitation link was replaced by a newer one; use the newest link", ErrNotFound)
	}
	now := s.now().UTC()
	if st := inv.State(now); st != InvitationPending {
		return Member{}, statusError(inv, st)
	}
	if inv.Email != u.Email {
		return Member{}, fmt.Errorf("%w: the invitation is for another address; sign in with the invited email", ErrEmailMismatch)
	}
	if _, err := tx.Member(ctx, inv.TeamID, u.ID); err == nil {
		return Member{}, fmt.Errorf("%w: user %s is already a member of team %s", ErrAlreadyMember, u.ID, inv.TeamID)
	} else if !errors.Is(err, ErrNotFound) {
		return Member{}, err
	}
	role, err := s.policy.Role(inv.Role)
	if err != nil {
		return Member{}, fmt.Errorf("teamkit: invitation %s names role %q that the policy does not define; ask for a new invitation: %w", inv.ID, inv.Role, err)
	}
	if err := s.inviterHoldsAuthority(ctx, tx, inv, role); err != nil {
		return Member{}, err
	}
	if err := s.checkAcceptSeat(ctx, tx, t); err != nil {
		return Member{}, err
	}
	// INV-5: every member of every team has a personal team and an account.
	if _, err := s.ensurePersonal(ctx, tx, u, personalName); err != nil {
		return Member{}, err
	}
	epoch, err := s.joinEpoch(ctx, tx, inv.TeamID, u.ID, now)
	if err != nil {
		return Member{}, err
	}
	m := Member{
		TeamID:   inv.TeamID,
		UserID:   u.ID,
		Email:    u.Email,
		Name:     u.Name,
		Role:     inv.Role,
		JoinedAt: now,
		Epoch:    epoch,
	}
	if err := tx.InsertMember(ctx, m); err != nil {
		return Member{}, err
	}
	if err := s.closeJoinRequestOf(ctx, tx, inv.TeamID, u.ID, now); err != nil {
		return Member{}, err
	}
	inv.Status, inv.UpdatedAt = InvitationAccepted, now
	if err := tx.UpdateInvitation(ctx, inv); err != nil {
		return Member{}, err
	}
	if _, err := s.record(ctx, tx, u.ID, inv.TeamID, audit.InvitationAccepted, inv.ID,
		map[string]string{"user_id": u.ID, "role": inv.Role}); err != nil {
		return Member{}, err
	}
	return m, nil
}

// inviterHoldsAuthority refuses, with an error matching
// ErrInviterLacksAuthority, unless inv's inviter is still a member of its
// team whose current role could invite to role (INV-8, INV-1, ROLE-7).
func (s *Service) inviterHoldsAuthority(ctx context.Context, tx Tx, inv Invitation, role rbac.Role) error {
	why, err := s.lostAuthority(ctx, tx, inv.InviterID, inv.TeamID, role, rbac.Invite)
	if why != "" {
		return fmt.Errorf("%w: invitation %s to role %q was issued by %s, who %s; ask a team admin for a new invitation",
			ErrInviterLacksAuthority, inv.ID, role.Name, inv.InviterID, why)
	}
	return err
}

// lostAuthority says why grantorID can no longer grant role in teamID, as
// an invitation, a link or a join policy they issued does (INV-8): they are
// no longer a member, or their current role lacks need or cannot invite to
// role (ROLE-7). It returns "" while they still can.
func (s *Service) lostAuthority(ctx context.Context, r Reader, grantorID, teamID string, role rbac.Role, need rbac.Permission) (string, error) {
	_, cur, err := s.memberRole(ctx, r, grantorID, teamID)
	if errors.Is(err, ErrNotMember) {
		return "is no longer a member of team " + teamID, nil
	}
	if err != nil {
		return "", err
	}
	if !cur.Can(need) || !s.policy.CanInvite(cur, role) {
		return fmt.Sprintf("now holds role %q, which cannot grant role %q", cur.Name, role.Name), nil
	}
	return "", nil
}

// Invitations returns the invitations of teamID with status pending,
// including those past their expiry (Invitation.State tells; they can be
// re-sent). Every member may list them (MEM-5).
//
// Errors match ErrInvalidInput or ErrNotMember.
func (s *Service) Invitations(ctx context.Context, actorID, teamID string) ([]Invitation, error) {
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return nil, err
	}
	if _, _, err := s.memberRole(ctx, s.store, actorID, teamID); err != nil {
		return nil, err
	}
	return s.store.Invitations(ctx, teamID, InvitationPending)
}

// PendingInvitations returns the pending, unexpired invitations to u's
// verified email, across teams (INV-5).
//
// Errors match ErrInvalidInput.
func (s *Service) PendingInvitations(ctx context.Context, u User) ([]Invitation, error) {
	u, err := checkUser(u)
	if err != nil {
		return nil, err
	}
	invs, err := s.store.InvitationsByEmail(ctx, u.Email, InvitationPending)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	out := invs[:0]
	for _, inv := range invs {
		if inv.State(now) == InvitationPending {
			out = append(out, inv)
		}
	}
	return out, nil
}

// roleArg resolves a role name given by a caller; "" is the default role.
// An unknown name matches both ErrInvalidInput and ErrUnknownRole.
func (s *Service) roleArg(name string) (rbac.Role, error) {
	if name == "" {
		return s.policy.DefaultRole(), nil
	}
	r, err := s.policy.Role(name)
	if err != nil {
		return rbac.Role{}, fmt.Errorf("%w: %w", invalid("role", "is not defined by the policy"), err)
	}
	return r, nil
}

// requireInvite refuses unless actor may invite to role (INV-1, ROLE-6,
// ROLE-7).
func (s *Service) requireInvite(actor, role rbac.Role) error {
	if err := require(actor, rbac.Invite, "invite members"); err != nil {
		return err
	}
	if !s.policy.CanInvite(actor, role) {
		return fmt.Errorf("%w: role %q may not invite to role %q; invite to a role ranked at or below your own that holds no permission yours lacks (never owner)",
			ErrPermissionDenied, actor.Name, role.Name)
	}
	return nil
}

// newToken returns a fresh invitation token and its hash (INV-4).
func (s *Service) newToken() (token, hash string, err error) {
	var b [tokenBytes]byte
	if _, err := io.ReadFull(s.random, b[:]); err != nil {
		return "", "", fmt.Errorf("teamkit: reading random bytes for an invitation token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token), nil
}

// hashToken returns the hex SHA-256 of token, the only form stored.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// notify hands the link to the Notifier after the unit of work committed
// (INV-7).
func (s *Service) notify(ctx context.Context, inv Invitation, teamName, token, inviterID string) error {
	if s.notifier == nil {
		return nil
	}
	err := s.notifier.NotifyInvitation(ctx, InvitationMessage{
		Invitation: inv,
		TeamName:   teamName,
		Token:      token,
		InviterID:  inviterID,
	})
	if err != nil {
		return fmt.Errorf("%w: invitation %s to %s: %w; retry with ResendInvitation", ErrNotifyFailed, inv.ID, inv.Email, err)
	}
	return nil
}

// teamInvitation returns invitationID if it belongs to teamID; otherwise an
// error matching ErrNotFound (TEAM-6).
func teamInvitation(ctx context.Context, r Reader, teamID, invitationID string) (Invitation, error) {
	inv, err := r.Invitation(ctx, invitationID)
	if err != nil {
		return Invitation{}, invitationLookupError(err, invitationID)
	}
	if inv.TeamID != teamID {
		return Invitation{}, invitationLookupError(ErrNotFound, invitationID)
	}
	return inv, nil
}

func invitationLookupError(err error, invitationID string) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: invitation %s; check the ID or ask for a new invitation", ErrNotFound, invitationID)
	}
	return err
}

// lockInvitedTeam locks teamID; a deleted or missing team gives ErrNotFound.
func lockInvitedTeam(ctx context.Context, tx Tx, teamID string) (Team, error) {
	t, err := live(tx.LockTeam(ctx, teamID))
	if err != nil {
		return Team{}, invitationTeamError(err, teamID)
	}
	return t, nil
}

func invitationTeamError(err error, teamID string) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: the invitation's team %s no longer exists", ErrNotFound, teamID)
	}
	return err
}

// statusError explains why an invitation in state st cannot be used.
func statusError(inv Invitation, st InvitationStatus) error {
	switch st {
	case InvitationExpired:
		return fmt.Errorf("%w: invitation %s expired at %s; ask the team for a new one", ErrInvitationExpired, inv.ID, inv.ExpiresAt.Format(time.RFC3339))
	case InvitationCancelled:
		return fmt.Errorf("%w: invitation %s; ask the team for a new one", ErrInvitationCancelled, inv.ID)
	case InvitationDeclined:
		return fmt.Errorf("%w: invitation %s; ask the team for a new one", ErrInvitationDeclined, inv.ID)
	case InvitationAccepted:
		return fmt.Errorf("%w: invitation %s", ErrInvitationUsed, inv.ID)
	}
	return fmt.Errorf("teamkit: invitation %s has unknown status %q", inv.ID, st)
}
