package team

import (
	"context"
	"fmt"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
)

// Members returns the members of teamID with their roles, join times, user
// IDs and emails, by join time (MEM-5). Every member may list them.
//
// Errors match ErrInvalidInput or ErrNotMember.
func (s *Service) Members(ctx context.Context, actorID, teamID string) ([]Member, error) {
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return nil, err
	}
	// One read: the list answers whether actorID is a member too, so a
	// change committed between two reads (a deletion, say) cannot make a
	// member see an empty or foreign list.
	members, err := s.store.Members(ctx, teamID)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if m.UserID == actorID {
			return members, nil
		}
	}
	return nil, notMember(actorID, teamID)
}

// ChangeRoleParams are the arguments of ChangeRole (MEM-1).
type ChangeRoleParams struct {
	// ActorID is the acting user, who needs the change-roles permission.
	ActorID string
	// TeamID is the team.
	TeamID string
	// UserID is the member whose role changes.
	UserID string
	// Role names the new role; it must not be empty.
	Role string
}

// ChangeRole gives member p.UserID of p.TeamID the role named p.Role
// (MEM-1). The
// actor needs the change-roles permission and the ceiling rules hold
// (ROLE-6, ROLE-7): nobody changes the owner's role (only TransferOwnership
// does), grants the owner role, a role ranked above their own or a role with
// a permission they lack, changes a member whose role fails that test, or
// raises their own role; admins may change other admins. The membership's Epoch goes up
// by one, so sessions issued under the old role can be rejected (ROLE-5).
// Records MemberRoleChanged.
//
// Asking for the role the member already holds changes nothing: the member
// is returned as it is, with no audit event and no new epoch.
//
// Errors match ErrInvalidInput (an unknown role also matches
// ErrUnknownRole), ErrNotMember (actor or target) or ErrPermissionDenied.
func (s *Service) ChangeRole(ctx context.Context, p ChangeRoleParams) (Member, error) {
	actorID, teamID, userID, role := p.ActorID, p.TeamID, p.UserID, p.Role
	if err := checkIDs("actor_id", actorID, "team_id", teamID, "user_id", userID); err != nil {
		return Member{}, err
	}
	if role == "" {
		return Member{}, invalid("role", "is empty; name the new role")
	}
	newRole, err := s.roleArg(role)
	if err != nil {
		return Member{}, err
	}
	var m Member
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		_, _, actorRole, err := s.lockAs(ctx, tx, actorID, teamID, rbac.ChangeRoles, "change member roles")
		if err != nil {
			return err
		}
		target, targetRole, err := s.memberRole(ctx, tx, userID, teamID)
		if err != nil {
			return err
		}
		if s.policy.IsOwner(targetRole) {
			return fmt.Errorf("%w: nobody can change the owner's role; the owner hands it over with TransferOwnership", ErrPermissionDenied)
		}
		if !s.policy.CanChangeRole(actorRole, targetRole, newRole) {
			return fmt.Errorf("%w: role %q may not change a %q to %q; both roles must rank at or below your own and hold no permission yours lacks, and the owner role cannot be granted",
				ErrPermissionDenied, actorRole.Name, targetRole.Name, newRole.Name)
		}
		// Raising one's own role needs newRole above the actor's rank or with
		// a permission the actor lacks, which CanChangeRole already refuses
		// (ROLE-6, ROLE-7); lowering it is allowed.
		m = target
		if target.Role == newRole.Name {
			return nil
		}
		m.Role = newRole.Name
		m.Epoch = nextEpoch(m.Epoch, s.now())
		if err := tx.UpdateMember(ctx, m); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, actorID, teamID, audit.MemberRoleChanged, userID,
			map[string]string{"from": target.Role, "to": newRole.Name})
		return err
	})
	if err != nil {
		return Member{}, err
	}
	return m, nil
}

// RemoveMemberParams are the arguments of RemoveMember (MEM-2).
type RemoveMemberParams struct {
	// ActorID is the acting user, who needs the remove permission.
	ActorID string
	// TeamID is the team.
	TeamID string
	// UserID is the member to remove; not the actor (use Leave).
	UserID string
}

// RemoveMember removes member p.UserID from p.TeamID (MEM-2). The actor needs
// the remove permission and may remove members whose role ranks at or below
// their own and holds no permission theirs lacks, never the owner (ROLE-6,
// ROLE-7); admins may remove other admins. To leave a team
// yourself use Leave. The removal takes effect at once: Authorize refuses
// the user from the moment the unit of work commits (RES-3); the membership
// and its epoch are gone, and a later rejoin needs a new invitation.
// Resources the member created stay in the team (MEM-4): they are the
// host's, and nothing here touches them. Records MemberRemoved.
//
// Errors match ErrInvalidInput, ErrNotMember (actor or target) or
// ErrPermissionDenied.
func (s *Service) RemoveMember(ctx context.Context, p RemoveMemberParams) error {
	actorID, teamID, userID := p.ActorID, p.TeamID, p.UserID
	if err := checkIDs("actor_id", actorID, "team_id", teamID, "user_id", userID); err != nil {
		return err
	}
	if actorID == userID {
		return invalid("user_id", "is the caller; use Leave to leave a team")
	}
	return s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		_, _, actorRole, err := s.lockAs(ctx, tx, actorID, teamID, rbac.RemoveMembers, "remove members")
		if err != nil {
			return err
		}
		_, targetRole, err := s.memberRole(ctx, tx, userID, teamID)
		if err != nil {
			return err
		}
		if !s.policy.CanRemove(actorRole, targetRole) {
			return fmt.Errorf("%w: role %q may not remove a %q; the owner cannot be removed, and only members whose role ranks at or below your own and holds no permission yours lacks can",
				ErrPermissionDenied, actorRole.Name, targetRole.Name)
		}
		if err := tx.DeleteMember(ctx, teamID, userID); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, actorID, teamID, audit.MemberRemoved, userID,
			map[string]string{"role": targetRole.Name})
		return err
	})
}

// Leave removes userID from teamID at their own request (MEM-3). The owner
// cannot leave (transfer ownership first), nobody leaves a personal team
// (TEAM-2), and the role needs the leave permission. Resources the member
// created stay in the team (MEM-4). Records MemberLeft.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPersonalTeam,
// ErrOwnerCannotLeave or ErrPermissionDenied.
func (s *Service) Leave(ctx context.Context, userID, teamID string) error {
	if err := checkIDs("user_id", userID, "team_id", teamID); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		t, _, role, err := s.lockAs(ctx, tx, userID, teamID, membersOnly, "")
		if err != nil {
			return err
		}
		if t.Kind == Personal {
			return fmt.Errorf("%w: nobody leaves their personal team %s", ErrPersonalTeam, teamID)
		}
		if s.policy.IsOwner(role) || t.OwnerID == userID {
			return fmt.Errorf("%w: team %s", ErrOwnerCannotLeave, teamID)
		}
		if err := require(role, rbac.Leave, "leave the team"); err != nil {
			return err
		}
		if err := tx.DeleteMember(ctx, teamID, userID); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, userID, teamID, audit.MemberLeft, userID,
			map[string]string{"role": role.Name})
		return err
	})
}
