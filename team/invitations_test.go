package team_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// Rule INV-1: only the invite permission invites, only to roles at or below
// the inviter's own, never owner.
func TestINV1_InvitePermissionAndCeiling(t *testing.T) {
	e := newEnv(t)
	ana, ada, max, vic := user("ana"), user("ada"), user("max"), user("vic")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, ada, rbac.RoleAdmin)
	e.join(ana.ID, tm, max, rbac.RoleMember)
	e.join(ana.ID, tm, vic, rbac.RoleViewer)

	for _, c := range []struct {
		actor team.User
		role  string
		want  error
	}{
		{max, rbac.RoleViewer, team.ErrPermissionDenied},
		{vic, rbac.RoleViewer, team.ErrPermissionDenied},
		{ada, rbac.RoleOwner, team.ErrPermissionDenied},
		{ana, rbac.RoleOwner, team.ErrPermissionDenied},
		{ada, rbac.RoleAdmin, nil},
		{ada, rbac.RoleViewer, nil},
		{ana, rbac.RoleAdmin, nil},
		{ana, "", nil}, // the policy's default role
	} {
		email := fmt.Sprintf("new-%s-%s@example.com", c.actor.ID, c.role)
		if c.want != nil {
			err := e.requireUnchanged(func() error {
				_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: c.actor.ID, TeamID: tm.ID, Email: email, Role: c.role})
				return err
			})
			requireRefused(t, err, c.want)
			continue
		}
		inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: c.actor.ID, TeamID: tm.ID, Email: email, Role: c.role})
		require.NoError(t, err, "%s inviting to %q", c.actor.ID, c.role)
		want := c.role
		if want == "" {
			want = rbac.RoleMember
		}
		require.Equal(t, want, inv.Invitation.Role)
		require.Equal(t, c.actor.ID, inv.Invitation.InviterID)
	}

	// Platform: an admin invites a developer; a finance admin invites nobody.
	p := newEnv(t, team.WithPolicy(rbac.Platform()))
	own, fin := user("own"), user("fin")
	pt := p.teamOf(own, "Platform team")
	p.join(own.ID, pt, fin, rbac.RoleFinanceAdmin)
	_, err := p.svc.Invite(p.ctx, team.InviteParams{ActorID: own.ID, TeamID: pt.ID, Email: "dev@example.com", Role: rbac.RoleDeveloper})
	require.NoError(t, err)
	_, err = p.svc.Invite(p.ctx, team.InviteParams{ActorID: fin.ID, TeamID: pt.ID, Email: "b@example.com", Role: rbac.RoleBasicUser})
	requireRefused(t, err, team.ErrPermissionDenied)
	_, err = p.svc.Invite(p.ctx, team.InviteParams{ActorID: own.ID, TeamID: pt.ID, Email: "v@example.com", Role: rbac.RoleViewer})
	requireRefused(t, err, team.ErrUnknownRole)
}

// Rule INV-1: an unknown role is invalid input and an unknown role.
func TestINV1_UnknownRoleIsInvalidInput(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Agency")
	err := e.requireUnchanged(func() error {
		_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "x@example.com", Role: "superuser"})
		return err
	})
	require.ErrorIs(t, err, team.ErrInvalidInput)
	require.ErrorIs(t, err, team.ErrUnknownRole)
	var ie *team.InputError
	require.ErrorAs(t, err, &ie)
	require.Equal(t, "role", ie.Field)
	require.Contains(t, err.Error(), "superuser")
}

// Rule INV-2: emails are normalised; a member's email and a pending
// invitation's email are refused; an expired one is replaced.
func TestINV2_EmailNormalisedAndDuplicatesRefused(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)

	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "  Zoe@Example.COM ", Role: rbac.RoleViewer})
	require.NoError(t, err)
	require.Equal(t, "zoe@example.com", inv.Invitation.Email)
	require.Equal(t, team.InvitationPending, inv.Invitation.Status)

	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "ZOE@example.com", Role: rbac.RoleMember})
		return err
	}), team.ErrAlreadyInvited)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: " MAX@example.com", Role: rbac.RoleMember})
		return err
	}), team.ErrAlreadyMember)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "zoe at example.com", Role: rbac.RoleMember})
		return err
	}), team.ErrInvalidInput)

	// Once expired, a new invitation replaces the old one.
	e.clock.Advance(team.DefaultInvitationTTL)
	again, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "zoe@example.com", Role: rbac.RoleMember})
	require.NoError(t, err)
	require.NotEqual(t, inv.Invitation.ID, again.Invitation.ID)
	old, err := e.st.Invitation(e.ctx, inv.Invitation.ID)
	require.NoError(t, err)
	require.Equal(t, team.InvitationExpired, old.Status)
	pending, err := e.svc.Invitations(e.ctx, max.ID, tm.ID)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, again.Invitation.ID, pending[0].ID)
}

// Rule INV-3: members plus pending invitations never exceed the seat limit;
// the refusal is its own error carrying the numbers.
func TestINV3_SeatLimitCountsMembersAndPendingInvitations(t *testing.T) {
	e := newEnv(t, team.WithSeatLimit(4))
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember) // 2 members
	first, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "a@example.com"})
	require.NoError(t, err)
	_, err = e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "b@example.com"})
	require.NoError(t, err)

	err = e.requireUnchanged(func() error {
		_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "c@example.com"})
		return err
	})
	requireRefused(t, err, team.ErrSeatLimit)
	var se *team.SeatLimitError
	require.ErrorAs(t, err, &se)
	require.Equal(t, team.SeatLimitError{TeamID: tm.ID, Limit: 4, Used: 4}, *se)

	// Cancelling frees a seat.
	require.NoError(t, e.svc.CancelInvitation(e.ctx, team.CancelInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: first.Invitation.ID}))
	_, err = e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "c@example.com"})
	require.NoError(t, err)

	// Expired invitations hold no seat; re-sending one takes it back, so the
	// limit applies to the resend too.
	e.clock.Advance(team.DefaultInvitationTTL + time.Second)
	d, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "d@example.com"})
	require.NoError(t, err)
	e.clock.Advance(time.Second)
	_, err = e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "e@example.com"})
	require.NoError(t, err) // 2 members + d + e
	pending, err := e.st.Invitations(e.ctx, tm.ID, team.InvitationPending)
	require.NoError(t, err)
	var expired team.Invitation
	for _, p := range pending {
		if p.State(e.clock.Now()) == team.InvitationExpired {
			expired = p
		}
	}
	require.NotEmpty(t, expired.ID)
	err = e.requireUnchanged(func() error {
		_, err := e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: expired.ID})
		return err
	})
	requireRefused(t, err, team.ErrSeatLimit)
	require.NoError(t, e.svc.CancelInvitation(e.ctx, team.CancelInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: d.Invitation.ID}))
	_, err = e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: expired.ID})
	require.NoError(t, err)
}

// Rule INV-4: the link's token is 256 random bits, stored only as its
// SHA-256, single-use, and expires after the configured lifetime.
func TestINV4_TokenHashedSingleUseAndExpiring(t *testing.T) {
	ttl := 48 * time.Hour
	e := newEnv(t, team.WithInvitationTTL(ttl))
	ana, zoe, yan := user("ana"), user("zoe"), user("yan")
	tm := e.teamOf(ana, "Agency")
	e.register(zoe)
	e.register(yan)

	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: zoe.Email, Role: rbac.RoleViewer})
	require.NoError(t, err)
	require.Equal(t, e.clock.Now().Add(ttl), inv.Invitation.ExpiresAt)
	tok := e.out.token(t, inv.Invitation.ID)
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	require.NoError(t, err)
	require.Len(t, raw, 32)
	sum := sha256.Sum256([]byte(tok))
	require.Equal(t, hex.EncodeToString(sum[:]), inv.Invitation.TokenHash)
	require.NotContains(t, fmt.Sprintf("%+v", e.st.Snapshot()), tok, "the raw token is stored nowhere")

	other, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "other@example.com", Role: rbac.RoleViewer})
	require.NoError(t, err)
	require.NotEqual(t, tok, e.out.token(t, other.Invitation.ID), "every invitation gets its own token")

	// Single use.
	_, err = e.svc.AcceptInvitation(e.ctx, zoe, tok)
	require.NoError(t, err)
	requireRefused(t, e.requireUnchanged(func() error { _, err := e.svc.AcceptInvitation(e.ctx, zoe, tok); return err }), team.ErrInvitationUsed)

	// Expiry.
	late, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: yan.Email, Role: rbac.RoleViewer})
	require.NoError(t, err)
	e.clock.Advance(ttl)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.AcceptInvitation(e.ctx, yan, e.out.token(t, late.Invitation.ID))
		return err
	}), team.ErrInvitationExpired)
}

// Rule INV-5: accepting needs the invited, verified email; the user can list
// their pending invitations by email.
func TestINV5_AcceptRequiresMatchingEmail(t *testing.T) {
	e := newEnv(t)
	ana, zoe, eve := user("ana"), user("zoe"), user("eve")
	tm := e.teamOf(ana, "Agency")
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: zoe.Email, Role: rbac.RoleAdmin})
	require.NoError(t, err)
	tok := e.out.token(t, inv.Invitation.ID)

	mine, err := e.svc.PendingInvitations(e.ctx, team.User{ID: zoe.ID, Email: "ZOE@example.com"})
	require.NoError(t, err)
	require.Len(t, mine, 1)
	require.Equal(t, inv.Invitation.ID, mine[0].ID)
	none, err := e.svc.PendingInvitations(e.ctx, eve)
	require.NoError(t, err)
	require.Empty(t, none)

	requireRefused(t, e.requireUnchanged(func() error { _, err := e.svc.AcceptInvitation(e.ctx, eve, tok); return err }), team.ErrEmailMismatch)

	// An unregistered user registers first, then accepts; email case does not matter.
	zoe.Email = "Zoe@EXAMPLE.com"
	e.register(zoe)
	m, err := e.svc.AcceptInvitation(e.ctx, zoe, tok)
	require.NoError(t, err)
	require.Equal(t, team.Member{TeamID: tm.ID, UserID: zoe.ID, Email: "zoe@example.com", Name: "Zoe", Role: rbac.RoleAdmin, JoinedAt: e.clock.Now(), Epoch: uint64(e.clock.Now().UnixMicro())}, m)
	stored, err := e.member(tm.ID, zoe.ID)
	require.NoError(t, err)
	require.Equal(t, m, stored)
	got, err := e.st.Invitation(e.ctx, inv.Invitation.ID)
	require.NoError(t, err)
	require.Equal(t, team.InvitationAccepted, got.Status)
	mine, err = e.svc.PendingInvitations(e.ctx, zoe)
	require.NoError(t, err)
	require.Empty(t, mine)
	require.Equal(t, audit.InvitationAccepted, e.actions(tm.ID)[len(e.actions(tm.ID))-1])

	// A member invited under a new address cannot join twice.
	zoe2 := team.User{ID: zoe.ID, Email: "zoe@new.example.com"}
	inv2, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: zoe2.Email, Role: rbac.RoleViewer})
	require.NoError(t, err)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.AcceptInvitation(e.ctx, zoe2, e.out.token(t, inv2.Invitation.ID))
		return err
	}), team.ErrAlreadyMember)
}

// Rule INV-6: cancel (invite permission), decline (invitee) and resend (new
// token and expiry, old token dead); unusable invitations each have their
// own error.
func TestINV6_CancelDeclineResend(t *testing.T) {
	e := newEnv(t)
	ana, max, zoe, yan, xia := user("ana"), user("max"), user("zoe"), user("yan"), user("xia")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)

	// Cancel.
	c, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: zoe.Email})
	require.NoError(t, err)
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.CancelInvitation(e.ctx, team.CancelInvitationParams{ActorID: max.ID, TeamID: tm.ID, InvitationID: c.Invitation.ID})
	}), team.ErrPermissionDenied)
	require.NoError(t, e.svc.CancelInvitation(e.ctx, team.CancelInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: c.Invitation.ID}))
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.AcceptInvitation(e.ctx, zoe, e.out.token(t, c.Invitation.ID))
		return err
	}), team.ErrInvitationCancelled)
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.CancelInvitation(e.ctx, team.CancelInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: c.Invitation.ID})
	}), team.ErrInvitationCancelled)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: c.Invitation.ID})
		return err
	}), team.ErrInvitationCancelled)

	// Decline.
	d, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: yan.Email})
	require.NoError(t, err)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeclineInvitation(e.ctx, zoe, d.Invitation.ID) }), team.ErrEmailMismatch)
	require.NoError(t, e.svc.DeclineInvitation(e.ctx, yan, d.Invitation.ID))
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.AcceptInvitation(e.ctx, yan, e.out.token(t, d.Invitation.ID))
		return err
	}), team.ErrInvitationDeclined)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeclineInvitation(e.ctx, yan, d.Invitation.ID) }), team.ErrInvitationDeclined)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeclineInvitation(e.ctx, yan, "no-such-invitation") }), team.ErrNotFound)

	// Resend: new token, new expiry, the old token is dead.
	r, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: xia.Email})
	require.NoError(t, err)
	oldTok := e.out.token(t, r.Invitation.ID)
	e.clock.Advance(time.Hour)
	r2, err := e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: r.Invitation.ID})
	require.NoError(t, err)
	require.Equal(t, r.Invitation.ID, r2.Invitation.ID)
	require.Equal(t, e.clock.Now().Add(team.DefaultInvitationTTL), r2.Invitation.ExpiresAt)
	require.NotEqual(t, r.Invitation.TokenHash, r2.Invitation.TokenHash)
	newTok := e.out.token(t, r.Invitation.ID)
	require.NotEqual(t, oldTok, newTok)
	requireRefused(t, e.requireUnchanged(func() error { _, err := e.svc.AcceptInvitation(e.ctx, xia, oldTok); return err }), team.ErrNotFound)
	_, err = e.svc.AcceptInvitation(e.ctx, xia, newTok)
	require.NoError(t, err)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: r.Invitation.ID})
		return err
	}), team.ErrInvitationUsed)

	acts := e.actions(tm.ID)
	require.Equal(t, []audit.Action{audit.InvitationSent, audit.InvitationCancelled, audit.InvitationSent, audit.InvitationDeclined,
		audit.InvitationSent, audit.InvitationResent, audit.InvitationAccepted}, acts[len(acts)-7:])
}

// Rule INV-7: when the Notifier fails the invitation is kept, the error says
// so, and re-sending retries.
func TestINV7_NotifierFailureKeepsInvitation(t *testing.T) {
	ctrl := gomock.NewController(t)
	notifier := NewMockNotifier(ctrl)
	smtpDown := errors.New("smtp: connection refused")
	var sent []team.InvitationMessage
	gomock.InOrder(
		notifier.EXPECT().NotifyInvitation(gomock.Any(), gomock.Any()).Return(smtpDown),
		notifier.EXPECT().NotifyInvitation(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m team.InvitationMessage) error {
			sent = append(sent, m)
			return nil
		}),
	)
	e := newEnv(t)
	ana, zoe := user("ana"), user("zoe")
	tm := e.teamOf(ana, "Agency")
	svc, err := team.New(e.st, team.WithClock(e.clock.Now), team.WithIDs(seqIDs("n-")), team.WithRandom(&countingReader{}), team.WithNotifier(notifier))
	require.NoError(t, err)

	inv, err := svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: zoe.Email, Role: rbac.RoleMember})
	requireRefused(t, err, team.ErrNotifyFailed)
	require.ErrorIs(t, err, smtpDown)
	require.Contains(t, err.Error(), "ResendInvitation")
	require.NotEmpty(t, inv.Invitation.ID, "the stored invitation is returned with the error")
	stored, err := e.st.Invitation(e.ctx, inv.Invitation.ID)
	require.NoError(t, err)
	require.Equal(t, inv.Invitation, stored)
	require.Equal(t, team.InvitationPending, stored.Status)

	again, err := svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: inv.Invitation.ID})
	require.NoError(t, err)
	require.Len(t, sent, 1)
	require.Equal(t, again.Invitation, sent[0].Invitation)
	require.Equal(t, again.Token, sent[0].Token, "INV-9: the caller gets the token the Notifier got")
	require.Equal(t, "Agency", sent[0].TeamName)
	require.Equal(t, ana.ID, sent[0].InviterID)
	e.register(zoe)
	_, err = svc.AcceptInvitation(e.ctx, zoe, sent[0].Token)
	require.NoError(t, err)
}

// Rule INV-4: the notifier runs after the unit of work has committed, so a
// slow or failing notifier never holds the team lock or undoes the write.
func TestINV4_NotifierRunsAfterCommit(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Agency")
	var seen team.Invitation
	svc, err := team.New(e.st, team.WithClock(e.clock.Now), team.WithIDs(seqIDs("n-")), team.WithRandom(&countingReader{}),
		team.WithNotifier(team.NotifierFunc(func(ctx context.Context, m team.InvitationMessage) error {
			// A read on the store from here would fail inside a unit of work.
			got, err := e.st.Invitation(ctx, m.Invitation.ID)
			seen = got
			return err
		})))
	require.NoError(t, err)
	inv, err := svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "zoe@example.com"})
	require.NoError(t, err)
	require.Equal(t, inv.Invitation, seen)
	require.True(t, strings.HasPrefix(inv.Invitation.ID, "n-"))
}

// Rule INV-9: Invite and ResendInvitation give the link token to their
// caller; without a Notifier the invitation still works end to end, and a
// re-sent token replaces the first one.
func TestINV9_InviteReturnsTokenWithoutNotifier(t *testing.T) {
	e := newEnv(t)
	ana, zoe := user("ana"), user("zoe")
	tm := e.teamOf(ana, "Agency")
	svc, err := team.New(e.st, team.WithClock(e.clock.Now), team.WithIDs(seqIDs("n-")), team.WithRandom(&countingReader{}))
	require.NoError(t, err)

	first, err := svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: zoe.Email, Role: rbac.RoleMember})
	require.NoError(t, err)
	require.NotEmpty(t, first.Token)
	require.NotContains(t, first.Invitation.TokenHash, first.Token, "only the hash is stored")

	again, err := svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: first.Invitation.ID})
	require.NoError(t, err)
	require.NotEqual(t, first.Token, again.Token)

	e.register(zoe)
	_, err = svc.AcceptInvitation(e.ctx, zoe, first.Token)
	require.ErrorIs(t, err, team.ErrNotFound, "the re-sent link replaced the first")
	m, err := svc.AcceptInvitation(e.ctx, zoe, again.Token)
	require.NoError(t, err)
	require.Equal(t, rbac.RoleMember, m.Role)
}
