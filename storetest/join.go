package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/teamkit/teamkit/team"
)

// joinCases check the optional team.JoinStore contract; RunJoin runs them.
func joinCases() []testCase {
	return []testCase{
		{"JoinStore/InviteLinkRoundTripAndUniqueToken", joinLinkRoundTrip},
		{"JoinStore/OneVerifiedClaimPerDomain", joinOneVerifiedClaim},
		{"JoinStore/OnePendingRequestPerUserAndTeam", joinOnePendingRequest},
	}
}

// joinTeam inserts a fresh team and returns the store as a JoinReader, the
// team, and a runner of units of work that lock the team and hand fn the
// JoinTx.
func joinTeam(t *testing.T, s team.Store) (team.JoinReader, team.Team, func(fn func(ctx context.Context, tx team.JoinTx) error) error) {
	t.Helper()
	jr, ok := s.(team.JoinReader)
	if !ok {
		t.Fatalf("store %T does not implement team.JoinStore", s)
	}
	tm := newTeam(t, team.Collaboration, newID(t, "owner"))
	ctx := context.Background()
	if err := s.InTx(ctx, func(ctx context.Context, tx team.Tx) error { return tx.InsertTeam(ctx, tm) }); err != nil {
		t.Fatalf("InsertTeam: %v", err)
	}
	unit := func(fn func(ctx context.Context, tx team.JoinTx) error) error {
		return s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			jt, ok := tx.(team.JoinTx)
			if !ok {
				t.Fatalf("the Tx %T of a JoinStore is not a team.JoinTx", tx)
			}
			if _, err := tx.LockTeam(ctx, tm.ID); err != nil {
				return err
			}
			return fn(ctx, jt)
		})
	}
	return jr, tm, unit
}

func joinLinkRoundTrip(t *testing.T, s team.Store) {
	jr, tm, unit := joinTeam(t, s)
	ctx := context.Background()
	l := team.InviteLink{ID: newID(t, "link"), TeamID: tm.ID, Role: "member", CreatorID: tm.OwnerID,
		TokenHash: randomHex(t, 32), MaxUses: 3, ExpiresAt: at(60), CreatedAt: at(1), UpdatedAt: at(1)}
	if err := unit(func(ctx context.Context, tx team.JoinTx) error { return tx.InsertInviteLink(ctx, l) }); err != nil {
		t.Fatalf("InsertInviteLink: %v", err)
	}
	got, err := jr.InviteLinkByTokenHash(ctx, l.TokenHash)
	if err != nil || got != l {
		t.Fatalf("InviteLinkByTokenHash = %+v, %v; want %+v", got, err, l)
	}
	dup := l
	dup.ID = newID(t, "link")
	err = unit(func(ctx context.Context, tx team.JoinTx) error { return tx.InsertInviteLink(ctx, dup) })
	if !errors.Is(err, team.ErrConflict) {
		t.Fatalf("second link with the same token hash: %v, want ErrConflict", err)
	}
	l.Uses, l.RevokedAt, l.UpdatedAt = 2, at(5), at(5)
	if err := unit(func(ctx context.Context, tx team.JoinTx) error { return tx.UpdateInviteLink(ctx, l) }); err != nil {
		t.Fatalf("UpdateInviteLink: %v", err)
	}
	links, err := jr.InviteLinks(ctx, tm.ID)
	if err != nil || len(links) != 1 || links[0] != l {
		t.Fatalf("InviteLinks = %+v, %v; want [%+v]", links, err, l)
	}
	missing := l
	missing.ID = newID(t, "link")
	err = unit(func(ctx context.Context, tx team.JoinTx) error { return tx.UpdateInviteLink(ctx, missing) })
	if !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("update of a missing link: %v, want ErrNotFound", err)
	}
}

func joinOneVerifiedClaim(t *testing.T, s team.Store) {
	jr, tm1, unit1 := joinTeam(t, s)
	_, tm2, unit2 := joinTeam(t, s)
	ctx := context.Background()
	domain := "d-" + randomHex(t, 6) + ".test"
	c1 := team.DomainClaim{TeamID: tm1.ID, Domain: domain, Challenge: "c1", ClaimedBy: "u1", Policy: team.JoinOff, CreatedAt: at(0), UpdatedAt: at(0)}
	c2 := c1
	c2.TeamID, c2.Challenge = tm2.ID, "c2"
	if err := unit1(func(ctx context.Context, tx team.JoinTx) error { return tx.InsertDomainClaim(ctx, c1) }); err != nil {
		t.Fatalf("InsertDomainClaim: %v", err)
	}
	if err := unit2(func(ctx context.Context, tx team.JoinTx) error { return tx.InsertDomainClaim(ctx, c2) }); err != nil {
		t.Fatalf("unverified claims of two teams to one domain: %v", err)
	}
	if err := unit1(func(ctx context.Context, tx team.JoinTx) error { return tx.InsertDomainClaim(ctx, c1) }); !errors.Is(err, team.ErrConflict) {
		t.Fatalf("second claim of one team: %v, want ErrConflict", err)
	}
	c1.VerifiedAt, c1.Policy, c1.DefaultRole = at(2), team.JoinAutomatic, "member"
	if err := unit1(func(ctx context.Context, tx team.JoinTx) error { return tx.UpdateDomainClaim(ctx, c1) }); err != nil {
		t.Fatalf("UpdateDomainClaim: %v", err)
	}
	c2.VerifiedAt = at(3)
	if err := unit2(func(ctx context.Context, tx team.JoinTx) error { return tx.UpdateDomainClaim(ctx, c2) }); !errors.Is(err, team.ErrConflict) {
		t.Fatalf("second verified claim to one domain: %v, want ErrConflict", err)
	}
	got, err := jr.VerifiedDomainClaim(ctx, domain)
	if err != nil || got != c1 {
		t.Fatalf("VerifiedDomainClaim = %+v, %v; want %+v", got, err, c1)
	}
	if err := unit1(func(ctx context.Context, tx team.JoinTx) error { return tx.DeleteDomainClaim(ctx, tm1.ID, domain) }); err != nil {
		t.Fatalf("DeleteDomainClaim: %v", err)
	}
	if err := unit2(func(ctx context.Context, tx team.JoinTx) error { return tx.UpdateDomainClaim(ctx, c2) }); err != nil {
		t.Fatalf("verify after the other claim was deleted: %v", err)
	}
	if _, err := jr.DomainClaim(ctx, tm1.ID, domain); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("deleted claim: %v, want ErrNotFound", err)
	}
}

func joinOnePendingRequest(t *testing.T, s team.Store) {
	jr, tm, unit := joinTeam(t, s)
	ctx := context.Background()
	r := team.JoinRequest{ID: newID(t, "req"), TeamID: tm.ID, UserID: newID(t, "user"), Email: newEmail(t), Domain: "example.com",
		Status: team.JoinRequestPending, CreatedAt: at(1), UpdatedAt: at(1)}
	if err := unit(func(ctx context.Context, tx team.JoinTx) error { return tx.InsertJoinRequest(ctx, r) }); err != nil {
		t.Fatalf("InsertJoinRequest: %v", err)
	}
	second := r
	second.ID, second.CreatedAt, second.UpdatedAt = newID(t, "req"), at(3), at(3)
	if err := unit(func(ctx context.Context, tx team.JoinTx) error { return tx.InsertJoinRequest(ctx, second) }); !errors.Is(err, team.ErrConflict) {
		t.Fatalf("second pending request: %v, want ErrConflict", err)
	}
	r.Status, r.DecidedBy, r.UpdatedAt = team.JoinRequestRejected, "admin", at(2)
	if err := unit(func(ctx context.Context, tx team.JoinTx) error { return tx.UpdateJoinRequest(ctx, r) }); err != nil {
		t.Fatalf("UpdateJoinRequest: %v", err)
	}
	if err := unit(func(ctx context.Context, tx team.JoinTx) error { return tx.InsertJoinRequest(ctx, second) }); err != nil {
		t.Fatalf("new pending request after the rejection: %v", err)
	}
	p, err := jr.PendingJoinRequest(ctx, tm.ID, r.UserID)
	if err != nil || p != second {
		t.Fatalf("PendingJoinRequest = %+v, %v; want %+v", p, err, second)
	}
	all, err := jr.JoinRequests(ctx, tm.ID, "")
	if err != nil || len(all) != 2 || all[0] != r {
		t.Fatalf("JoinRequests = %+v, %v", all, err)
	}
}
