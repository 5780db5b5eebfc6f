package team_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// secWorld is a service over a memory store with crypto/rand tokens (no
// WithRandom) and a Notifier that keeps every token.
type secWorld struct {
	ctx    context.Context
	mem    *store.Memory
	svc    *team.Service
	tokens map[string]string // invitation ID -> newest token
	all    []string          // every token ever sent
}

func newSecWorld(t *testing.T, opts ...team.Option) *secWorld {
	t.Helper()
	w := &secWorld{ctx: context.Background(), mem: store.NewMemory(), tokens: map[string]string{}}
	svc, err := team.New(w.mem, append([]team.Option{team.WithNotifier(team.NotifierFunc(func(_ context.Context, msg team.InvitationMessage) error {
		w.tokens[msg.Invitation.ID] = msg.Token
		w.all = append(w.all, msg.Token)
		return nil
	}))}, opts...)...)
	require.NoError(t, err)
	w.svc = svc
	return w
}

func secUser(name string) team.User {
	return team.User{ID: "id-" + name, Email: name + "@example.com", Name: name}
}

// collab registers owner on ENTERPRISE and creates a collaboration team.
func (w *secWorld) collab(t *testing.T, owner team.User, name string) team.Team {
	t.Helper()
	p, err := w.svc.EnsurePersonalTeam(w.ctx, owner)
	require.NoError(t, err)
	_, err = w.svc.ChangePlan(w.ctx, team.ChangePlanParams{ActorID: owner.ID, TeamID: p.ID, Plan: billing.PlanEnterprise})
	require.NoError(t, err)
	tm, err := w.svc.CreateTeam(w.ctx, team.CreateTeamParams{Owner: owner, Name: name})
	require.NoError(t, err)
	return tm
}

// join invites u as role by actorID and accepts.
func (w *secWorld) join(t *testing.T, actorID, teamID string, u team.User, role string) {
	t.Helper()
	_, err := w.svc.EnsurePersonalTeam(w.ctx, u)
	require.NoError(t, err)
	inv, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: actorID, TeamID: teamID, Email: u.Email, Role: role})
	require.NoError(t, err)
	_, err = w.svc.AcceptInvitation(w.ctx, u, w.tokens[inv.Invitation.ID])
	require.NoError(t, err)
}

// TestSecurity_TokenEntropyINV4: without WithRandom, tokens are 32 bytes of
// crypto/rand (256 bits, at least the 128 INV-4 asks), base64url without
// padding (43 characters), and never repeat.
func TestSecurity_TokenEntropyINV4(t *testing.T) {
	w := newSecWorld(t, team.WithSeatLimit(500))
	tm := w.collab(t, secUser("ana"), "Entropy")
	seen := map[string]bool{}
	for i := range 200 {
		_, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: "id-ana", TeamID: tm.ID, Email: fmt.Sprintf("guest%d@example.com", i)})
		require.NoError(t, err)
	}
	require.Len(t, w.all, 200)
	for _, tok := range w.all {
		require.Len(t, tok, 43)
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(raw)*8, 128, "INV-4: at least 128 random bits")
		require.False(t, seen[tok], "a token repeated")
		seen[tok] = true
	}
	// The bits are spread: across 200 tokens every bit position is set in
	// some and clear in others (a constant or counter source would not be).
	var or, and [32]byte
	for i := range and {
		and[i] = 0xff
	}
	for _, tok := range w.all {
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		for i := range raw {
			or[i] |= raw[i]
			and[i] &= raw[i]
		}
	}
	for i := range or {
		require.Equal(t, byte(0xff), or[i], "byte %d: some bit is never set", i)
		require.Equal(t, byte(0), and[i], "byte %d: some bit is always set", i)
	}
}

// TestSecurity_TokenIsTheRandomSourceINV4: the token is exactly the bytes
// of the random source, all 32 of them, and a failing source fails the
// invitation before anything is written — tokens come from the random
// source and nowhere else (INV-4, SEC-2).
func TestSecurity_TokenIsTheRandomSourceINV4(t *testing.T) {
	fixed := strings.Repeat("\x5a", 32)
	w := newSecWorld(t, team.WithRandom(strings.NewReader(fixed)))
	tm := w.collab(t, secUser("ana"), "Source")
	_, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: "id-ana", TeamID: tm.ID, Email: "bo@example.com"})
	require.NoError(t, err)
	require.Equal(t, base64.RawURLEncoding.EncodeToString([]byte(fixed)), w.all[0])

	before := w.mem.Snapshot()
	_, err = w.svc.Invite(w.ctx, team.InviteParams{ActorID: "id-ana", TeamID: tm.ID, Email: "cy@example.com"}) // the reader is empty now
	require.Error(t, err)
	require.Equal(t, before, w.mem.Snapshot())
}

// TestSecurity_StoreNeverSeesRawToken: after invitations, re-sends and an
// acceptance, no string anywhere in the store (any field of any record,
// audit details included) contains a raw token; the invitation holds only
// its SHA-256 (INV-4).
func TestSecurity_StoreNeverSeesRawToken(t *testing.T) {
	w := newSecWorld(t)
	tm := w.collab(t, secUser("ana"), "Secrets")
	var invs []team.Invitation
	for _, name := range []string{"bo", "cy", "di"} {
		inv, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: "id-ana", TeamID: tm.ID, Email: name + "@example.com", Role: rbac.RoleMember})
		require.NoError(t, err)
		invs = append(invs, inv.Invitation)
	}
	_, err := w.svc.ResendInvitation(w.ctx, team.ResendInvitationParams{ActorID: "id-ana", TeamID: tm.ID, InvitationID: invs[0].ID})
	require.NoError(t, err)
	_, err = w.svc.EnsurePersonalTeam(w.ctx, secUser("cy"))
	require.NoError(t, err)
	_, err = w.svc.AcceptInvitation(w.ctx, secUser("cy"), w.tokens[invs[1].ID])
	require.NoError(t, err)
	require.Len(t, w.all, 4)

	snap := w.mem.Snapshot()
	var strs []string
	collectStrings(reflect.ValueOf(snap), &strs)
	require.NotEmpty(t, strs)
	for _, tok := range w.all {
		for _, s := range strs {
			require.NotContains(t, s, tok, "the store holds a raw invitation token")
		}
	}
	for _, inv := range snap.Invitations {
		require.Equal(t, mdlHash(w.tokens[inv.ID]), inv.TokenHash)
	}
}

// collectStrings appends every string reachable from v.
func collectStrings(v reflect.Value, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		*out = append(*out, v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			collectStrings(v.Field(i), out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			collectStrings(v.Index(i), out)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			collectStrings(it.Key(), out)
			collectStrings(it.Value(), out)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collectStrings(v.Elem(), out)
		}
	}
}

// lenientLookupStore answers InvitationByTokenHash with one invitation
// whatever the hash, like an index that matched too loosely.
type lenientLookupStore struct {
	team.Store
	inv team.Invitation
}

func (s lenientLookupStore) InvitationByTokenHash(context.Context, string) (team.Invitation, error) {
	return s.inv, nil
}

// TestSecurity_TokenComparedAfterLookup: the service does not trust the
// store's lookup by hash: it compares the invitation's stored hash with
// the token's itself, so a wrong token is refused even when the lookup
// returns an invitation, and the right one still works (INV-4, INV-6). The
// comparison is constant-time (crypto/subtle), so its duration tells an
// attacker nothing about how much of a hash matched.
func TestSecurity_TokenComparedAfterLookup(t *testing.T) {
	w := newSecWorld(t)
	tm := w.collab(t, secUser("ana"), "Lookup")
	inv, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: "id-ana", TeamID: tm.ID, Email: "bo@example.com", Role: rbac.RoleMember})
	require.NoError(t, err)
	_, err = w.svc.EnsurePersonalTeam(w.ctx, secUser("bo"))
	require.NoError(t, err)
	good := w.tokens[inv.Invitation.ID]

	lenient, err := team.New(lenientLookupStore{Store: w.mem, inv: inv.Invitation})
	require.NoError(t, err)
	before := w.mem.Snapshot()
	for _, wrong := range []string{"x", good[:42], good + "x", strings.ToUpper(good), good[1:] + good[:1]} {
		_, err := lenient.AcceptInvitation(w.ctx, secUser("bo"), wrong)
		requireRefused(t, err, team.ErrNotFound)
	}
	require.Equal(t, before, w.mem.Snapshot())
	_, err = lenient.AcceptInvitation(w.ctx, secUser("bo"), good)
	require.NoError(t, err)

	// Code-level: the comparison of hashes in the package uses crypto/subtle.
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	found := false
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		if strings.Contains(string(src), "subtle.ConstantTimeCompare(") && strings.Contains(string(src), "TokenHash") {
			found = true
		}
	}
	require.True(t, found, "the token hash must be compared with crypto/subtle.ConstantTimeCompare")
}

// TestSecurity_CrossTeamIDsTEAM6 generates every call that names a team
// together with an ID from another team (an invitation, a member, a
// resource creator, a user of the other team acting) and checks that each
// is refused with the error of an unknown ID and changes nothing, and
// that what the team's own reads return holds nothing of the other team.
// Rule TEAM-6.
func TestSecurity_CrossTeamIDsTEAM6(t *testing.T) {
	w := newSecWorld(t)
	ana, bo, cy, di := secUser("ana"), secUser("bo"), secUser("cy"), secUser("di")
	a := w.collab(t, ana, "Team A")
	b := w.collab(t, bo, "Team B")
	w.join(t, "id-ana", a.ID, cy, rbac.RoleAdmin)
	w.join(t, "id-bo", b.ID, di, rbac.RoleMember)
	invA, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: "id-ana", TeamID: a.ID, Email: "ed@example.com", Role: rbac.RoleMember})
	require.NoError(t, err)
	invB, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: "id-bo", TeamID: b.ID, Email: "fa@example.com", Role: rbac.RoleMember})
	require.NoError(t, err)
	for _, tm := range []struct{ id, owner, actor string }{{a.ID, "id-ana", "id-cy"}, {b.ID, "id-bo", "id-di"}} {
		_, err := w.svc.TopUp(w.ctx, team.TopUpParams{ActorID: tm.owner, TeamID: tm.id, Amount: 100})
		require.NoError(t, err)
		_, err = w.svc.RecordUsage(w.ctx, team.RecordUsageParams{ActorID: tm.actor, TeamID: tm.id, Amount: 3, IdempotencyKey: "same-key"})
		require.NoError(t, err)
	}

	type side struct {
		team, owner, member, inv string
	}
	sides := []side{{a.ID, "id-ana", "id-cy", invA.Invitation.ID}, {b.ID, "id-bo", "id-di", invB.Invitation.ID}}
	before := w.mem.Snapshot()
	calls := 0
	for i, own := range sides {
		other := sides[1-i]
		// The team's own owner, naming the other team's records.
		check := func(name string, want error, err error) {
			t.Helper()
			calls++
			require.ErrorIs(t, err, want, "%s in team %s with IDs of team %s", name, own.team, other.team)
		}
		for _, foreign := range []string{other.owner, other.member} {
			_, err := w.svc.ChangeRole(w.ctx, team.ChangeRoleParams{ActorID: own.owner, TeamID: own.team, UserID: foreign, Role: rbac.RoleViewer})
			check("ChangeRole", team.ErrNotMember, err)
			check("RemoveMember", team.ErrNotMember, w.svc.RemoveMember(w.ctx, team.RemoveMemberParams{ActorID: own.owner, TeamID: own.team, UserID: foreign}))
			check("TransferOwnership", team.ErrNotMember, w.svc.TransferOwnership(w.ctx, team.TransferOwnershipParams{ActorID: own.owner, TeamID: own.team, NewOwnerID: foreign, ConfirmNewOwnerID: foreign}))
			check("Authorize", team.ErrNotMember, w.svc.Authorize(w.ctx, foreign, own.team, rbac.View, team.Resource{Type: "doc", ID: "d", CreatorID: foreign}))
			_, err = w.svc.SessionEpoch(w.ctx, foreign, own.team)
			check("SessionEpoch", team.ErrNotMember, err)
		}
		_, err := w.svc.ResendInvitation(w.ctx, team.ResendInvitationParams{ActorID: own.owner, TeamID: own.team, InvitationID: other.inv})
		check("ResendInvitation", team.ErrNotFound, err)
		check("CancelInvitation", team.ErrNotFound, w.svc.CancelInvitation(w.ctx, team.CancelInvitationParams{ActorID: own.owner, TeamID: own.team, InvitationID: other.inv}))

		// Members of one team, naming the other team.
		for _, actor := range []string{own.owner, own.member} {
			name := "Hijacked"
			_, err := w.svc.UpdateTeam(w.ctx, team.UpdateTeamParams{ActorID: actor, TeamID: other.team, Name: &name})
			check("UpdateTeam", team.ErrNotMember, err)
			_, err = w.svc.Team(w.ctx, actor, other.team)
			check("Team", team.ErrNotMember, err)
			_, err = w.svc.Members(w.ctx, actor, other.team)
			check("Members", team.ErrNotMember, err)
			_, err = w.svc.Invitations(w.ctx, actor, other.team)
			check("Invitations", team.ErrNotMember, err)
			_, err = w.svc.Invite(w.ctx, team.InviteParams{ActorID: actor, TeamID: other.team, Email: "gi@example.com", Role: rbac.RoleMember})
			check("Invite", team.ErrNotMember, err)
			check("CancelInvitation", team.ErrNotMember, w.svc.CancelInvitation(w.ctx, team.CancelInvitationParams{ActorID: actor, TeamID: other.team, InvitationID: other.inv}))
			_, err = w.svc.ResendInvitation(w.ctx, team.ResendInvitationParams{ActorID: actor, TeamID: other.team, InvitationID: other.inv})
			check("ResendInvitation", team.ErrNotMember, err)
			_, err = w.svc.ChangeRole(w.ctx, team.ChangeRoleParams{ActorID: actor, TeamID: other.team, UserID: other.member, Role: rbac.RoleViewer})
			check("ChangeRole", team.ErrNotMember, err)
			check("RemoveMember", team.ErrNotMember, w.svc.RemoveMember(w.ctx, team.RemoveMemberParams{ActorID: actor, TeamID: other.team, UserID: other.member}))
			check("Leave", team.ErrNotMember, w.svc.Leave(w.ctx, actor, other.team))
			check("TransferOwnership", team.ErrNotMember, w.svc.TransferOwnership(w.ctx, team.TransferOwnershipParams{ActorID: actor, TeamID: other.team, NewOwnerID: actor, ConfirmNewOwnerID: actor}))
			_, err = w.svc.DeletionPreflight(w.ctx, actor, other.team)
			check("DeletionPreflight", team.ErrNotMember, err)
			check("DeleteTeam", team.ErrNotMember, w.svc.DeleteTeam(w.ctx, actor, other.team))
			for _, action := range []team.Action{rbac.View, rbac.Use, rbac.Create, rbac.Edit, rbac.Delete} {
				check("Authorize", team.ErrNotMember, w.svc.Authorize(w.ctx, actor, other.team, action, team.Resource{Type: "doc", ID: "d", CreatorID: actor}))
			}
			_, err = w.svc.RecordUsage(w.ctx, team.RecordUsageParams{ActorID: actor, TeamID: other.team, Amount: 1, IdempotencyKey: "x"})
			check("RecordUsage", team.ErrNotMember, err)
			_, err = w.svc.RecordUsage(w.ctx, team.RecordUsageParams{ActorID: actor, TeamID: other.team, Amount: 3, IdempotencyKey: "same-key"})
			check("RecordUsage(retry of the other team's key)", team.ErrNotMember, err)
			_, err = w.svc.TopUp(w.ctx, team.TopUpParams{ActorID: actor, TeamID: other.team, Amount: 5})
			check("TopUp", team.ErrNotMember, err)
			_, err = w.svc.ChangePlan(w.ctx, team.ChangePlanParams{ActorID: actor, TeamID: other.team, Plan: billing.PlanFree})
			check("ChangePlan", team.ErrNotMember, err)
			_, err = w.svc.BillingAccount(w.ctx, actor, other.team)
			check("BillingAccount", team.ErrNotMember, err)
			_, err = w.svc.UsageSummary(w.ctx, team.UsageSummaryParams{ActorID: actor, TeamID: other.team})
			check("UsageSummary", team.ErrNotMember, err)
			_, err = w.svc.AuditLog(w.ctx, team.AuditLogParams{ActorID: actor, TeamID: other.team})
			check("AuditLog", team.ErrNotMember, err)
		}
	}
	require.Equal(t, before, w.mem.Snapshot(), "a cross-team call changed something")
	t.Logf("%d cross-team calls refused", calls)

	// Reads of a team return only that team's records.
	for i, own := range sides {
		other := sides[1-i]
		ms, err := w.svc.Members(w.ctx, own.owner, own.team)
		require.NoError(t, err)
		for _, m := range ms {
			require.Equal(t, own.team, m.TeamID)
			require.NotContains(t, []string{other.owner, other.member}, m.UserID)
		}
		invs, err := w.svc.Invitations(w.ctx, own.owner, own.team)
		require.NoError(t, err)
		require.Len(t, invs, 1)
		require.Equal(t, own.inv, invs[0].ID)
		page, err := w.svc.AuditLog(w.ctx, team.AuditLogParams{ActorID: own.owner, TeamID: own.team, Query: audit.Query{Limit: audit.MaxLimit}})
		require.NoError(t, err)
		for _, e := range page.Events {
			require.Equal(t, own.team, e.TeamID)
			require.NotEqual(t, other.inv, e.Target)
		}
		sum, err := w.svc.UsageSummary(w.ctx, team.UsageSummaryParams{ActorID: own.owner, TeamID: own.team})
		require.NoError(t, err)
		require.Equal(t, int64(3), sum.Amount, "the same idempotency key in two teams charges each once")
		require.Len(t, sum.Members, 1)
		require.Equal(t, own.member, sum.Members[0].UserID)
	}
}

// The role matrix of SPEC ROLE-2 and ROLE-3, written out here from the
// tables (not from the rbac package) so the tests check the policy against
// the specification: ranks from highest to lowest, and who holds what.
type specPolicy struct {
	policy   *rbac.Policy
	ranked   []string // highest first
	managers []string // invite, remove, change roles, settings, audit
	billing  []string // billing and usage analytics
	use      []string // use team resources (any or own)
	regular  string   // OWN-3
}

func specPolicies() []specPolicy {
	return []specPolicy{
		{
			policy:   rbac.Standard(),
			ranked:   []string{rbac.RoleOwner, rbac.RoleAdmin, rbac.RoleMember, rbac.RoleViewer},
			managers: []string{rbac.RoleOwner, rbac.RoleAdmin},
			billing:  []string{rbac.RoleOwner, rbac.RoleAdmin},
			use:      []string{rbac.RoleOwner, rbac.RoleAdmin, rbac.RoleMember},
			regular:  rbac.RoleMember,
		},
		{
			policy:   rbac.Platform(),
			ranked:   []string{rbac.RoleOwner, rbac.RoleAdmin, rbac.RoleDeveloper, rbac.RoleFinanceAdmin, rbac.RoleBasicUser},
			managers: []string{rbac.RoleOwner, rbac.RoleAdmin},
			billing:  []string{rbac.RoleOwner, rbac.RoleAdmin, rbac.RoleFinanceAdmin},
			use:      []string{rbac.RoleOwner, rbac.RoleAdmin, rbac.RoleDeveloper, rbac.RoleBasicUser},
			regular:  rbac.RoleDeveloper,
		},
	}
}

func (sp specPolicy) rank(role string) int { return len(sp.ranked) - slices.Index(sp.ranked, role) }

// matrixWorld is a team with two members of each non-owner role, named
// "<role>-1" and "<role>-2", and the owner "owner-1".
func newMatrixWorld(t *testing.T, sp specPolicy) (*secWorld, string) {
	t.Helper()
	w := newSecWorld(t, team.WithPolicy(sp.policy))
	tm := w.collab(t, team.User{ID: "owner-1", Email: "owner-1@example.com"}, "Matrix")
	for _, role := range sp.ranked[1:] {
		for i := 1; i <= 2; i++ {
			id := fmt.Sprintf("%s-%d", role, i)
			w.join(t, "owner-1", tm.ID, team.User{ID: id, Email: id + "@example.com"}, role)
		}
	}
	// Every member may receive ownership (OWN-5): give them all a plan.
	require.NoError(t, w.mem.InTx(w.ctx, func(ctx context.Context, tx team.Tx) error {
		ms, err := tx.Members(ctx, tm.ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			a, err := tx.LockAccount(ctx, m.UserID)
			if err != nil {
				return err
			}
			a.Plan = billing.PlanEnterprise
			if err := tx.UpdateAccount(ctx, a); err != nil {
				return err
			}
		}
		return nil
	}))
	_, err := w.svc.TopUp(w.ctx, team.TopUpParams{ActorID: "owner-1", TeamID: tm.ID, Amount: 1000})
	require.NoError(t, err)
	return w, tm.ID
}

// TestSecurity_RoleMatrixROLE6: in both presets, a member of every role
// tries every privileged operation on a member of every role (another
// member with the same role included, and themselves) and gets exactly
// what SPEC says: ChangeRole to every role (MEM-1, ROLE-6), RemoveMember
// (MEM-2), TransferOwnership (OWN-1), Invite to every role (INV-1), Leave
// (MEM-3), settings (TEAM-5), deletion (DEL-1), billing and usage
// (BILL-5, BILL-6), audit (AUD-3) and charges. Each refusal changes
// nothing; each success changes what it says.
func TestSecurity_RoleMatrixROLE6(t *testing.T) {
	for _, sp := range specPolicies() {
		t.Run(sp.policy.Name(), func(t *testing.T) {
			calls := 0
			run := func(what string, want error, call func(w *secWorld, teamID string) error, after func(w *secWorld, teamID string)) {
				t.Helper()
				calls++
				w, teamID := newMatrixWorld(t, sp)
				before := w.mem.Snapshot()
				err := call(w, teamID)
				if want == nil {
					require.NoError(t, err, what)
					if after != nil {
						after(w, teamID)
					}
					return
				}
				require.ErrorIs(t, err, want, what)
				require.Equal(t, before, w.mem.Snapshot(), "%s: refused but changed the store", what)
			}
			memberRole := func(w *secWorld, teamID, userID string) string {
				m, err := w.mem.Member(w.ctx, teamID, userID)
				if errors.Is(err, team.ErrNotFound) {
					return ""
				}
				require.NoError(t, err)
				return m.Role
			}
			for _, actorRole := range sp.ranked {
				actor := actorRole + "-1"
				manager := slices.Contains(sp.managers, actorRole)
				for _, targetRole := range sp.ranked {
					targets := []string{targetRole + "-2"}
					if targetRole == rbac.RoleOwner {
						targets = []string{"owner-1"}
					}
					if targetRole == actorRole && targetRole != rbac.RoleOwner {
						targets = append(targets, actor) // themselves
					}
					for _, target := range targets {
						for _, newRole := range sp.ranked {
							var want error
							switch {
							case !manager, targetRole == rbac.RoleOwner, newRole == rbac.RoleOwner,
								sp.rank(newRole) > sp.rank(actorRole), sp.rank(targetRole) > sp.rank(actorRole):
								want = team.ErrPermissionDenied
							}
							run(fmt.Sprintf("%s changes %s to %s", actor, target, newRole), want,
								func(w *secWorld, teamID string) error {
									_, err := w.svc.ChangeRole(w.ctx, team.ChangeRoleParams{ActorID: actor, TeamID: teamID, UserID: target, Role: newRole})
									return err
								},
								func(w *secWorld, teamID string) {
									require.Equal(t, newRole, memberRole(w, teamID, target))
								})
						}
						if target == actor {
							continue
						}
						var want error
						if !manager || targetRole == rbac.RoleOwner {
							want = team.ErrPermissionDenied
						}
						run(fmt.Sprintf("%s removes %s", actor, target), want,
							func(w *secWorld, teamID string) error {
								return w.svc.RemoveMember(w.ctx, team.RemoveMemberParams{ActorID: actor, TeamID: teamID, UserID: target})
							},
							func(w *secWorld, teamID string) {
								require.Empty(t, memberRole(w, teamID, target), "MEM-2: access ends at once")
								require.ErrorIs(t, w.svc.Authorize(w.ctx, target, teamID, rbac.View, team.Resource{Type: "doc"}), team.ErrNotMember)
							})
						want = nil
						if actorRole != rbac.RoleOwner {
							want = team.ErrPermissionDenied
						}
						run(fmt.Sprintf("%s hands ownership to %s", actor, target), want,
							func(w *secWorld, teamID string) error {
								return w.svc.TransferOwnership(w.ctx, team.TransferOwnershipParams{ActorID: actor, TeamID: teamID, NewOwnerID: target, ConfirmNewOwnerID: target})
							},
							func(w *secWorld, teamID string) {
								require.Equal(t, rbac.RoleOwner, memberRole(w, teamID, target))
								require.Equal(t, sp.regular, memberRole(w, teamID, actor), "OWN-3")
							})
					}
					// Invite to targetRole.
					var want error
					if !manager || targetRole == rbac.RoleOwner || sp.rank(targetRole) > sp.rank(actorRole) {
						want = team.ErrPermissionDenied
					}
					run(fmt.Sprintf("%s invites as %s", actor, targetRole), want,
						func(w *secWorld, teamID string) error {
							_, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: actor, TeamID: teamID, Email: "new@example.com", Role: targetRole})
							return err
						},
						func(w *secWorld, teamID string) {
							invs, err := w.svc.Invitations(w.ctx, actor, teamID)
							require.NoError(t, err)
							require.Len(t, invs, 1)
							require.Equal(t, targetRole, invs[0].Role)
						})
				}

				// Operations on the team itself.
				canBill := slices.Contains(sp.billing, actorRole)
				deny := func(allowed bool) error {
					if allowed {
						return nil
					}
					return team.ErrPermissionDenied
				}
				leaveWant := error(nil)
				if actorRole == rbac.RoleOwner {
					leaveWant = team.ErrOwnerCannotLeave
				}
				run(actor+" leaves", leaveWant, func(w *secWorld, teamID string) error { return w.svc.Leave(w.ctx, actor, teamID) }, nil)
				run(actor+" renames", deny(manager), func(w *secWorld, teamID string) error {
					name := "Renamed"
					_, err := w.svc.UpdateTeam(w.ctx, team.UpdateTeamParams{ActorID: actor, TeamID: teamID, Name: &name})
					return err
				}, nil)
				run(actor+" deletes", deny(actorRole == rbac.RoleOwner), func(w *secWorld, teamID string) error { return w.svc.DeleteTeam(w.ctx, actor, teamID) }, nil)
				run(actor+" tops up", deny(canBill), func(w *secWorld, teamID string) error {
					_, err := w.svc.TopUp(w.ctx, team.TopUpParams{ActorID: actor, TeamID: teamID, Amount: 10})
					return err
				}, nil)
				run(actor+" changes the plan", deny(canBill), func(w *secWorld, teamID string) error {
					_, err := w.svc.ChangePlan(w.ctx, team.ChangePlanParams{ActorID: actor, TeamID: teamID, Plan: billing.PlanTeam})
					return err
				}, nil)
				run(actor+" reads the account", deny(canBill), func(w *secWorld, teamID string) error {
					_, err := w.svc.BillingAccount(w.ctx, actor, teamID)
					return err
				}, nil)
				run(actor+" reads usage", deny(canBill), func(w *secWorld, teamID string) error {
					_, err := w.svc.UsageSummary(w.ctx, team.UsageSummaryParams{ActorID: actor, TeamID: teamID})
					return err
				}, nil)
				run(actor+" reads the audit log", deny(manager), func(w *secWorld, teamID string) error {
					_, err := w.svc.AuditLog(w.ctx, team.AuditLogParams{ActorID: actor, TeamID: teamID})
					return err
				}, nil)
				run(actor+" charges usage", deny(slices.Contains(sp.use, actorRole)), func(w *secWorld, teamID string) error {
					_, err := w.svc.RecordUsage(w.ctx, team.RecordUsageParams{ActorID: actor, TeamID: teamID, Amount: 1, IdempotencyKey: "k"})
					return err
				}, nil)
			}
			t.Logf("%s: %d role × operation × target checks", sp.policy.Name(), calls)
		})
	}
}
