package team

import (
	"context"
	"errors"
	"fmt"

	"github.com/teamkit/teamkit/rbac"
)

// Authorize decides whether userID may perform action on res in teamID
// (RES-1..3), from the member's current role: nil means allowed. Roles with
// an "any" scope may act on every resource; roles with an "own" scope only
// on resources whose CreatorID is userID (RES-2). Non-members, removed
// members, members of other teams and deleted teams are refused (RES-3).
//
// Authorize answers from the service's membership index when it can (see
// WithMembershipCache: what it guarantees about changes) and otherwise
// reads the committed membership from the store, without a unit of work.
// It does not allocate on any outcome when the index answers (or the
// store's Member does not allocate, as store.Memory's): its refusals are
// built once, when the service is made, and name the role and action but
// not the IDs (the caller has them, for its logs).
//
// Errors match ErrInvalidInput (empty or over-long IDs, unknown action),
// ErrNotMember or ErrPermissionDenied.
func (s *Service) Authorize(ctx context.Context, userID, teamID string, action Action, res Resource) error {
	// Cheap checks only: an ID that checkID would refuse is never stored,
	// so the lookup below misses it anyway.
	if userID == "" || teamID == "" || len(userID) > MaxIDLength || len(teamID) > MaxIDLength || !action.Valid() {
		return authorizeInputError(userID, teamID, action)
	}
	r, _, err := s.membership(ctx, teamID, userID)
	if err != nil {
		return err
	}
	if !s.roles[r].CanAct(action, userID, res.CreatorID) {
		return s.denied[r][action]
	}
	return nil
}

// SessionEpoch returns the current epoch of userID's membership of teamID
// (ROLE-5). Hosts stamp it into sessions and reject a session whose epoch is
// older: every role change and ownership transfer increments it. It answers
// from the membership index like Authorize.
//
// Errors match ErrInvalidInput or ErrNotMember.
func (s *Service) SessionEpoch(ctx context.Context, userID, teamID string) (uint64, error) {
	if err := checkIDs("user_id", userID, "team_id", teamID); err != nil {
		return 0, err
	}
	_, epoch, err := s.membership(ctx, teamID, userID)
	return epoch, err
}

// membership returns the index (into s.roles) of userID's role in teamID
// and the membership's epoch, from the index when it has them, or an error
// matching ErrNotMember. A team that does not exist or was deleted has no
// memberships (DeleteTeam removes them in its unit of work), so it needs no
// check of its own.
func (s *Service) membership(ctx context.Context, teamID, userID string) (int, uint64, error) {
	ix := s.index
	if ix == nil {
		return s.membershipFromStore(ctx, teamID, userID, nil, indexKey{}, 0)
	}
	k := ix.key(teamID, userID)
	if v, ok := ix.get(k); ok {
		if r := v >> valueEpochBits; r != valueNotMember {
			return int(r) - 1, v & valueEpochMask, nil
		}
		return 0, 0, errNotMember
	}
	return s.membershipFromStore(ctx, teamID, userID, ix, k, ix.begin(k))
}

// membershipFromStore reads the membership from the store and, when ix is
// not nil, fills the index with it (put drops it if (teamID, userID)
// changed since gen was taken, before the read).
//
//go:noinline
func (s *Service) membershipFromStore(ctx context.Context, teamID, userID string, ix *memberIndex, k indexKey, gen uint64) (int, uint64, error) {
	m, err := s.store.Member(ctx, teamID, userID)
	if errors.Is(err, ErrNotFound) {
		if ix != nil {
			ix.put(k, gen, valueNotMember<<valueEpochBits)
		}
		return 0, 0, errNotMember
	}
	if err != nil {
		return 0, 0, err
	}
	r := s.roleIndex(m.Role)
	if r < 0 {
		return 0, 0, fmt.Errorf("teamkit: member %s of team %s holds role %q that the policy does not define: %w", userID, teamID, m.Role, ErrUnknownRole)
	}
	if ix != nil && r < indexMaxRoles && m.Epoch <= valueEpochMask {
		ix.put(k, gen, uint64(r+1)<<valueEpochBits|m.Epoch)
	}
	return r, m.Epoch, nil
}

// roleIndex returns the index of the role named name in s.roles, or -1.
func (s *Service) roleIndex(name string) int {
	for i := range s.roles {
		if s.roles[i].Name == name {
			return i
		}
	}
	return -1
}

// refusal is an error built once and returned by many calls, so that
// refusing allocates nothing: Error is its message and it unwraps to its
// sentinel.
type refusal struct {
	msg      string
	sentinel error
}

func (e *refusal) Error() string { return e.msg }
func (e *refusal) Unwrap() error { return e.sentinel }

// errNotMember is the refusal of a non-member by Authorize, Permissions and
// SessionEpoch. It does not name the user or the team, which the caller has.
var errNotMember error = &refusal{
	msg:      ErrNotMember.Error() + ": the user is not a member of the team, or the team does not exist; ask a team admin for an invitation",
	sentinel: ErrNotMember,
}

// deniedErrors builds the refusal of each (role, action) pair that the role
// does not always allow, indexed by the role's position in roles.
func deniedErrors(roles []rbac.Role) [][rbac.Delete + 1]error {
	out := make([][rbac.Delete + 1]error, len(roles))
	for i, r := range roles {
		for a := rbac.View; a <= rbac.Delete; a++ {
			var what string
			switch {
			case r.CanAct(a, "u", "other"):
				continue
			case r.CanAct(a, "u", "u"):
				what = fmt.Sprintf("may %s only resources the user created", a)
			default:
				what = fmt.Sprintf("may not %s resources", a)
			}
			out[i][a] = &refusal{
				msg:      fmt.Sprintf("%v: role %q %s; ask the team owner or an admin for a role that can", ErrPermissionDenied, r.Name, what),
				sentinel: ErrPermissionDenied,
			}
		}
	}
	return out
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
