package team_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// afterFirstReadStore runs after once, right after the service's first
// committed-data read of a membership or member list: the window between
// two reads of one call.
type afterFirstReadStore struct {
	*store.Memory
	after func()
}

func (s *afterFirstReadStore) fire() {
	if f := s.after; f != nil {
		s.after = nil
		f()
	}
}

func (s *afterFirstReadStore) Member(ctx context.Context, teamID, userID string) (team.Member, error) {
	defer s.fire()
	return s.Memory.Member(ctx, teamID, userID)
}

func (s *afterFirstReadStore) Members(ctx context.Context, teamID string) ([]team.Member, error) {
	defer s.fire()
	return s.Memory.Members(ctx, teamID)
}

// Rule MEM-5, RES-3: a team deleted while Members runs never comes back as
// an empty member list: the caller gets either the list as it stood, with
// them and its owner in it, or ErrNotMember (the membership check and the
// list are one read).
func TestMembersOfTeamDeletedMeanwhile_MEM5(t *testing.T) {
	e := newEnv(t)
	ana, bo := user("ana"), user("bo")
	tm := e.teamOf(ana, "Acme")
	e.join(ana.ID, tm, bo, rbac.RoleMember)

	racy := &afterFirstReadStore{Memory: e.st}
	svc, err := team.New(racy)
	require.NoError(t, err)
	racy.after = func() { require.NoError(t, e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID)) }

	members, err := svc.Members(e.ctx, bo.ID, tm.ID)
	if err != nil {
		require.ErrorIs(t, err, team.ErrNotMember)
		return
	}
	var self, owners int
	for _, m := range members {
		if m.UserID == bo.ID {
			self++
		}
		if m.Role == rbac.RoleOwner {
			owners++
		}
	}
	require.Equal(t, 1, self, "the caller is in the list: %v", members)
	require.Equal(t, 1, owners, "the list has one owner: %v", members)
}
