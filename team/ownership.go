package team

import (
	"context"
	"errors"
	"fmt"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
)

// TransferOwnershipParams are the arguments of TransferOwnership (OWN-1..4).
// They name the new owner twice: ConfirmNewOwnerID is the explicit
// confirmation step of OWN-1 (a UI fills it from a separate "type the new
// owner to confirm" input).
type TransferOwnershipParams struct {
	// ActorID is the acting user, the team's owner.
	ActorID string
	// TeamID is the collaboration team to hand over.
	TeamID string
	// NewOwnerID is the member who becomes the owner.
	NewOwnerID string
	// ConfirmNewOwnerID must equal NewOwnerID.
	ConfirmNewOwnerID string
}

// TransferOwnership makes p.NewOwnerID the owner of the collaboration team
// p.TeamID (OWN-1..4). Only the owner can transfer, only to another active
// member, and only with a matching confirmation. The new owner's billing
// account must exist and be active (OWN-4); otherwise nothing changes. The
// old owner gets the role set by WithFormerOwnerRole, by default the
// policy's regular role (OWN-3); both memberships' epochs go up (ROLE-5).
// From the commit on, the team is billed to the new owner's account (OWN-2).
// Records OwnershipTransferred.
//
// Errors match ErrInvalidInput, ErrConfirmationMismatch, ErrNotMember
// (actor or new owner), ErrPersonalTeam, ErrPermissionDenied or
// ErrInvalidAccount.
func (s *Service) TransferOwnership(ctx context.Context, p TransferOwnershipParams) error {
	actorID, teamID := p.ActorID, p.TeamID
	if err := checkIDs("actor_id", actorID, "team_id", teamID, "new_owner_id", p.NewOwnerID, "confirm_new_owner_id", p.ConfirmNewOwnerID); err != nil {
		return err
	}
	if p.NewOwnerID != p.ConfirmNewOwnerID {
		return fmt.Errorf("%w: new owner %q, confirmed %q; pass the same user ID in both fields", ErrConfirmationMismatch, p.NewOwnerID, p.ConfirmNewOwnerID)
	}
	formerName := s.formerOwnerRole
	if formerName == "" {
		formerName = s.policy.RegularRole().Name
	}
	return s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		tm, oldOwner, role, err := s.lockAs(ctx, tx, actorID, teamID, membersOnly, "")
		if err != nil {
			return err
		}
		if tm.Kind == Personal {
			return fmt.Errorf("%w: the ownership of personal team %s cannot be transferred", ErrPersonalTeam, teamID)
		}
		if err := require(role, rbac.TransferOwnership, "transfer ownership"); err != nil {
			return err
		}
		if !s.policy.IsOwner(role) || tm.OwnerID != actorID {
			return fmt.Errorf("%w: only the owner of team %s can transfer its ownership", ErrPermissionDenied, teamID)
		}
		if p.NewOwnerID == actorID {
			return invalid("new_owner_id", "is already the team's owner")
		}
		newOwner, _, err := s.memberRole(ctx, tx, p.NewOwnerID, teamID)
		if err != nil {
			return err
		}
		// Locked, so a concurrent suspension cannot slip in before commit (OWN-4).
		account, err := tx.LockAccount(ctx, p.NewOwnerID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := account.Usable(); err != nil {
			return fmt.Errorf("teamkit: new owner %s cannot take over team %s: %w", p.NewOwnerID, teamID, err)
		}
		oldOwner.Role, newOwner.Role = formerName, s.policy.Owner().Name
		now := s.now()
		oldOwner.Epoch = nextEpoch(oldOwner.Epoch, now)
		newOwner.Epoch = nextEpoch(newOwner.Epoch, now)
		if err := tx.UpdateMember(ctx, oldOwner); err != nil {
			return err
		}
		if err := tx.UpdateMember(ctx, newOwner); err != nil {
			return err
		}
		tm.OwnerID, tm.UpdatedAt = p.NewOwnerID, s.now().UTC()
		if err := tx.UpdateTeam(ctx, tm); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, actorID, teamID, audit.OwnershipTransferred, p.NewOwnerID,
			map[string]string{"from": actorID, "to": p.NewOwnerID, "former_owner_role": formerName})
		return err
	})
}
