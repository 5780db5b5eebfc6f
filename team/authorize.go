package team

import (
	"context"
	"errors"
	"fmt"
)

// Authorize decides whether userID may perform action on res in teamID
// (RES-1..3), from the member's current role: nil means allowed. Roles with
// an "any" scope may act on every resource; roles with an "own" scope only
// on resources whose CreatorID is userID (RES-2). Non-members, removed
// members, members of other teams and deleted teams are refused (RES-3).
//
// Authorize reads committed data without a unit of work and does not
// allocate when it allows, so it can guard every request.
//
// Errors match ErrInvalidInput (empty or over-long IDs, unknown action),
// ErrNotMember or ErrPermissionDenied.
func (s *Service) Authorize(ctx context.Context, userID, teamID string, action Action, res Resource) error {
	// Cheap checks only: an ID that checkID would refuse is never stored,
	// so the lookup below misses it anyway.
	if userID == "" || teamID == "" || len(userID) > MaxIDLength || len(teamID) > MaxIDLength || !action.Valid() {
		return authorizeInputError(userID, teamID, action)
	}
	m, err := s.store.Member(ctx, teamID, userID)
	if err != nil {
		return authorizeLookupError(err, userID, teamID)
	}
	role, err := s.policy.Role(m.Role)
	if err != nil {
		return err
	}
	if !role.CanAct(action, userID, res.CreatorID) {
		return deniedError(role.Name, action, res)
	}
	return nil
}

// SessionEpoch returns the current epoch of userID's membership of teamID
// (ROLE-5). Hosts stamp it into sessions and reject a session whose epoch is
// older: every role change and ownership transfer increments it.
//
// Errors match ErrInvalidInput or ErrNotMember.
func (s *Service) SessionEpoch(ctx context.Context, userID, teamID string) (uint64, error) {
	if err := checkIDs("user_id", userID, "team_id", teamID); err != nil {
		return 0, err
	}
	m, err := s.store.Member(ctx, teamID, userID)
	if err != nil {
		return 0, authorizeLookupError(err, userID, teamID)
	}
	return m.Epoch, nil
}

// The error builders below run only on refusals; keeping them out of line
// keeps Authorize's allowed path small and free of allocations.

//go:noinline
func authorizeInputError(userID, teamID string, action Action) error {
	if err := checkIDs("user_id", userID, "team_id", teamID); err != nil {
		return err
	}
	return invalid("action", "%s is not one of view, use, create, edit, delete", action)
}

//go:noinline
func authorizeLookupError(err error, userID, teamID string) error {
	if errors.Is(err, ErrNotFound) {
		return notMember(userID, teamID)
	}
	return err
}

//go:noinline
func deniedError(role string, action Action, res Resource) error {
	return fmt.Errorf("%w: role %q may not %s %s %q; ask the team owner or an admin for a role that can",
		ErrPermissionDenied, role, action, res.Type, res.ID)
}
