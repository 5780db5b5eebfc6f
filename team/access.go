package team

import (
	"context"
	"encoding/json"
	"math/bits"

	"github.com/teamkit/teamkit/rbac"
)

// Membership is one team a user belongs to, with their membership of it
// (ROLE-8): the role, session epoch and join time are in Member.
type Membership struct {
	// Team is the team.
	Team Team `json:"team"`
	// Member is the user's membership of Team.
	Member Member `json:"member"`
}

// Permissions is what a member may do in a team (ROLE-8), for showing or
// hiding controls. The service still checks every call: it is a hint for
// the interface, not an authorization.
//
// Its JSON shape is {"team_id": …, "role": …, "permissions": […], "epoch": …},
// where permissions lists the names of rbac.Permission.String ("invite",
// "billing", …) in bit order.
type Permissions struct {
	// TeamID is the team.
	TeamID string
	// Role names the member's role.
	Role string
	// Set is the role's permission set.
	Set rbac.Permission
	// Epoch is the membership's session epoch (ROLE-5).
	Epoch uint64
}

// Can reports whether the member holds every permission in perm (false for
// the empty set).
func (p Permissions) Can(perm rbac.Permission) bool { return perm != 0 && p.Set.Has(perm) }

// Names returns the names of the permissions in the set, in bit order.
func (p Permissions) Names() []string {
	names := make([]string, 0, bits.OnesCount32(uint32(p.Set)))
	for b := range 32 {
		if bit := rbac.Permission(1) << b; p.Set.Has(bit) {
			names = append(names, bit.String())
		}
	}
	return names
}

// MarshalJSON encodes p in the shape documented on Permissions.
func (p Permissions) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TeamID      string   `json:"team_id"`
		Role        string   `json:"role"`
		Permissions []string `json:"permissions"`
		Epoch       uint64   `json:"epoch"`
	}{p.TeamID, p.Role, p.Names(), p.Epoch})
}

// Permissions returns the role, permission set and session epoch of
// userID's membership of teamID (ROLE-8), from committed data: the
// membership index or the store, as for Authorize.
//
// Errors match ErrInvalidInput or ErrNotMember (also for a team that does
// not exist or was deleted).
func (s *Service) Permissions(ctx context.Context, userID, teamID string) (Permissions, error) {
	if err := checkIDs("user_id", userID, "team_id", teamID); err != nil {
		return Permissions{}, err
	}
	r, epoch, err := s.membership(ctx, teamID, userID)
	if err != nil {
		return Permissions{}, err
	}
	role := s.roles[r]
	return Permissions{TeamID: teamID, Role: role.Name, Set: role.Permissions, Epoch: epoch}, nil
}

// Memberships returns every live team userID belongs to, with their
// membership of each (role, epoch, join time), by the team's creation time
// (ROLE-8). It costs one store query (Reader.MembershipsOfUser).
//
// Errors match ErrInvalidInput.
func (s *Service) Memberships(ctx context.Context, userID string) ([]Membership, error) {
	if err := checkID("user_id", userID); err != nil {
		return nil, err
	}
	ms, err := s.store.MembershipsOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := ms[:0]
	for _, m := range ms {
		if !m.Team.Deleted() {
			out = append(out, m)
		}
	}
	return out, nil
}
