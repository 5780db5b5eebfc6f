package team_test

import (
	"context"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// acceptingVerifier confirms every domain claim.
type acceptingVerifier struct{}

func (acceptingVerifier) VerifyDomain(context.Context, team.DomainClaim) error { return nil }

// joinSweep is the part of the sweep fixture for links, domains and join
// requests: a link by ana (member role, 5 uses), verified claims to
// acme.test (request) and auto.test (automatic, member), an unverified
// claim to later.test, and gina's pending request.
type joinSweep struct {
	link             team.InviteLink
	token            string
	request          team.JoinRequest
	gina, hal, ivy   team.User
	jack             team.User
	acme, auto, late string
}

func (f *sweepFixture) joinSetup(t *testing.T) {
	t.Helper()
	j := &f.j
	j.acme, j.auto, j.late = "acme.test", "auto.test", "later.test"
	j.gina = team.User{ID: "user-gina", Email: "gina@acme.test", Name: "Gina"}
	j.jack = team.User{ID: "user-jack", Email: "jack@acme.test", Name: "Jack"}
	j.hal = user("hal")
	j.ivy = team.User{ID: "user-ivy", Email: "ivy@auto.test", Name: "Ivy"}
	res, err := f.svc.CreateInviteLink(f.ctx, team.CreateInviteLinkParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Role: rbac.RoleMember, MaxUses: 5})
	require.NoError(t, err)
	j.link, j.token = res.Link, res.Token
	for _, c := range []struct {
		domain string
		policy team.JoinPolicy
	}{{j.acme, team.JoinByRequest}, {j.auto, team.JoinAutomatic}, {j.late, ""}} {
		_, err := f.svc.ClaimDomain(f.ctx, team.ClaimDomainParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: c.domain})
		require.NoError(t, err)
		if c.policy == "" {
			continue
		}
		_, err = f.svc.VerifyDomain(f.ctx, team.VerifyDomainParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: c.domain})
		require.NoError(t, err)
		_, err = f.svc.SetJoinPolicy(f.ctx, team.SetJoinPolicyParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: c.domain, Policy: c.policy, DefaultRole: rbac.RoleMember})
		require.NoError(t, err)
	}
	j.request, err = f.svc.RequestToJoin(f.ctx, j.gina, f.tm.ID)
	require.NoError(t, err)
}

// personalOf returns the ID of u's personal team, "" if none.
func (f *sweepFixture) personalOf(u team.User) string {
	p, err := f.st.PersonalTeam(f.ctx, u.ID)
	if err != nil {
		return ""
	}
	return p.ID
}

// withRegistration adds the TeamCreated event of u's new personal team to
// want (INV-5), when the call created one.
func (f *sweepFixture) withRegistration(want map[string]wantEvent, u team.User) map[string]wantEvent {
	if id := f.personalOf(u); id != "" {
		want[id] = wantEvent{audit.TeamCreated, u.ID}
	}
	return want
}

// withJoinSweepCases adds the cases of links, domains and join requests
// (LINK, JOIN) to the AUD-1 sweep table.
func withJoinSweepCases(m map[string]sweepCase) map[string]sweepCase {
	maps.Copy(m, map[string]sweepCase{
		"CreateInviteLink": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.CreateInviteLink(f.ctx, team.CreateInviteLinkParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Role: rbac.RoleViewer})
				return one(f.tm.ID, audit.InviteLinkCreated, f.bob.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.CreateInviteLink(f.ctx, team.CreateInviteLinkParams{ActorID: f.dan.ID, TeamID: f.tm.ID}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.CreateInviteLink(f.ctx, team.CreateInviteLinkParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Role: rbac.RoleOwner}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.CreateInviteLink(f.ctx, team.CreateInviteLinkParams{ActorID: f.ana.ID, TeamID: f.anaPersonal.ID}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.CreateInviteLink(f.ctx, team.CreateInviteLinkParams{ActorID: f.ana.ID, TeamID: f.tm.ID, MaxUses: -1}))
				},
			},
		},
		"RevokeInviteLink": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				err := f.svc.RevokeInviteLink(f.ctx, team.RevokeInviteLinkParams{ActorID: f.bob.ID, TeamID: f.tm.ID, LinkID: f.j.link.ID})
				return one(f.tm.ID, audit.InviteLinkRevoked, f.bob.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return f.svc.RevokeInviteLink(f.ctx, team.RevokeInviteLinkParams{ActorID: f.dan.ID, TeamID: f.tm.ID, LinkID: f.j.link.ID})
				},
				func(f *sweepFixture) error {
					return f.svc.RevokeInviteLink(f.ctx, team.RevokeInviteLinkParams{ActorID: f.ana.ID, TeamID: f.tm.ID, LinkID: "no-such-link"})
				},
			},
		},
		"JoinByLink": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.JoinByLink(f.ctx, f.j.hal, f.j.token)
				return f.withRegistration(one(f.tm.ID, audit.InviteLinkJoined, f.j.hal.ID), f.j.hal), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.JoinByLink(f.ctx, f.carl, f.j.token)) },
				func(f *sweepFixture) error { return ignore(f.svc.JoinByLink(f.ctx, f.j.hal, "not-the-token")) },
				func(f *sweepFixture) error { return ignore(f.svc.JoinByLink(f.ctx, f.j.hal, "")) },
			},
		},
		"ClaimDomain": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.ClaimDomain(f.ctx, team.ClaimDomainParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: "new.test"})
				return one(f.tm.ID, audit.DomainClaimed, f.ana.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.ClaimDomain(f.ctx, team.ClaimDomainParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: "gmail.com"}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ClaimDomain(f.ctx, team.ClaimDomainParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: f.j.acme}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ClaimDomain(f.ctx, team.ClaimDomainParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Domain: "new.test"}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ClaimDomain(f.ctx, team.ClaimDomainParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: "no_dots"}))
				},
			},
		},
		"VerifyDomain": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.VerifyDomain(f.ctx, team.VerifyDomainParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: f.j.late})
				return one(f.tm.ID, audit.DomainVerified, f.ana.ID), err
			},
			repeat: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.VerifyDomain(f.ctx, team.VerifyDomainParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: f.j.acme}))
				},
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.VerifyDomain(f.ctx, team.VerifyDomainParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Domain: f.j.late}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.VerifyDomain(f.ctx, team.VerifyDomainParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: "unclaimed.test"}))
				},
			},
		},
		"RemoveDomainClaim": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				err := f.svc.RemoveDomainClaim(f.ctx, team.RemoveDomainClaimParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: f.j.acme})
				return one(f.tm.ID, audit.DomainClaimRemoved, f.ana.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return f.svc.RemoveDomainClaim(f.ctx, team.RemoveDomainClaimParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Domain: f.j.acme})
				},
				func(f *sweepFixture) error {
					return f.svc.RemoveDomainClaim(f.ctx, team.RemoveDomainClaimParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: "unclaimed.test"})
				},
			},
		},
		"SetJoinPolicy": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.SetJoinPolicy(f.ctx, team.SetJoinPolicyParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Domain: f.j.acme, Policy: team.JoinAutomatic, DefaultRole: rbac.RoleViewer})
				return one(f.tm.ID, audit.JoinPolicyChanged, f.bob.ID), err
			},
			repeat: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.SetJoinPolicy(f.ctx, team.SetJoinPolicyParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: f.j.acme, Policy: team.JoinByRequest}))
				},
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.SetJoinPolicy(f.ctx, team.SetJoinPolicyParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Domain: f.j.acme, Policy: team.JoinAutomatic, DefaultRole: rbac.RoleOwner}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.SetJoinPolicy(f.ctx, team.SetJoinPolicyParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Domain: f.j.acme, Policy: team.JoinOff}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.SetJoinPolicy(f.ctx, team.SetJoinPolicyParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Domain: f.j.acme, Policy: "sometimes"}))
				},
			},
		},
		"JoinByDomain": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.JoinByDomain(f.ctx, f.j.ivy, f.tm.ID)
				return f.withRegistration(one(f.tm.ID, audit.DomainJoined, f.j.ivy.ID), f.j.ivy), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.JoinByDomain(f.ctx, f.j.jack, f.tm.ID)) },
				func(f *sweepFixture) error { return ignore(f.svc.JoinByDomain(f.ctx, f.fred, f.tm.ID)) },
			},
		},
		"RequestToJoin": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.RequestToJoin(f.ctx, f.j.jack, f.tm.ID)
				return one(f.tm.ID, audit.JoinRequested, f.j.jack.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.RequestToJoin(f.ctx, f.j.gina, f.tm.ID)) },
				func(f *sweepFixture) error { return ignore(f.svc.RequestToJoin(f.ctx, f.j.ivy, f.tm.ID)) },
			},
		},
		"ApproveJoinRequest": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.ApproveJoinRequest(f.ctx, team.ApproveJoinRequestParams{ActorID: f.bob.ID, TeamID: f.tm.ID, RequestID: f.j.request.ID, Role: rbac.RoleMember})
				return f.withRegistration(one(f.tm.ID, audit.JoinRequestApproved, f.bob.ID), f.j.gina), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.ApproveJoinRequest(f.ctx, team.ApproveJoinRequestParams{ActorID: f.dan.ID, TeamID: f.tm.ID, RequestID: f.j.request.ID}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ApproveJoinRequest(f.ctx, team.ApproveJoinRequestParams{ActorID: f.bob.ID, TeamID: f.tm.ID, RequestID: f.j.request.ID, Role: rbac.RoleOwner}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ApproveJoinRequest(f.ctx, team.ApproveJoinRequestParams{ActorID: f.bob.ID, TeamID: f.tm.ID, RequestID: "no-such-request"}))
				},
			},
		},
		"RejectJoinRequest": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				err := f.svc.RejectJoinRequest(f.ctx, team.RejectJoinRequestParams{ActorID: f.bob.ID, TeamID: f.tm.ID, RequestID: f.j.request.ID})
				return one(f.tm.ID, audit.JoinRequestRejected, f.bob.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return f.svc.RejectJoinRequest(f.ctx, team.RejectJoinRequestParams{ActorID: f.dan.ID, TeamID: f.tm.ID, RequestID: f.j.request.ID})
				},
			},
		},
		// ---- read-only ----
		"InviteLinks": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.InviteLinks(f.ctx, f.bob.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.InviteLinks(f.ctx, f.dan.ID, f.tm.ID)) },
			}},
		"DomainClaims": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.DomainClaims(f.ctx, f.dan.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.DomainClaims(f.ctx, f.fred.ID, f.tm.ID)) },
			}},
		"JoinRequests": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.JoinRequests(f.ctx, f.bob.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.JoinRequests(f.ctx, f.dan.ID, f.tm.ID)) },
			}},
		"OpenTeams": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.OpenTeams(f.ctx, f.j.ivy))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.OpenTeams(f.ctx, team.User{})) },
			}},
	})
	return m
}
