package team_test

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// usageSummaryAs calls Service.UsageSummary over all time; one place to
// adapt to its signature.
func usageSummaryAs(e *env, actorID, teamID string) (billing.Summary, error) {
	return e.svc.UsageSummary(e.ctx, team.UsageSummaryParams{ActorID: actorID, TeamID: teamID})
}

// chargeMax tops teamID's account up to math.MaxInt64 as ownerID, then
// charges all of it as actorID, so balances never overflow.
func chargeMax(t *testing.T, e *env, ownerID, actorID, teamID, payerID, key string) {
	t.Helper()
	acct, err := e.st.Account(e.ctx, payerID)
	require.NoError(t, err)
	_, err = topUpAs(e, ownerID, teamID, math.MaxInt64-acct.Balance)
	require.NoError(t, err)
	_, err = recordUsageAs(e, actorID, teamID, team.RecordUsageParams{Amount: math.MaxInt64, IdempotencyKey: key})
	require.NoError(t, err)
}

// requireOverflow checks that err is the BILL-10 overflow error and tells
// the caller what to do.
func requireOverflow(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, team.ErrTotalOverflow)
	require.ErrorIs(t, err, billing.ErrTotalOverflow)
	require.Contains(t, err.Error(), "shorter time range")
}

// Rule BILL-10: totals are exact or an error. Two charges of MaxInt64 by one
// member (each paid by a matching top-up) make UsageSummary fail with
// ErrTotalOverflow instead of reporting a wrapped total.
func TestUsageSummaryMemberTotalOverflow_BILL10(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	pt := e.register(ana)
	chargeMax(t, e, ana.ID, ana.ID, pt.ID, ana.ID, "a")
	chargeMax(t, e, ana.ID, ana.ID, pt.ID, ana.ID, "b")
	_, err := usageSummaryAs(e, ana.ID, pt.ID)
	requireOverflow(t, err)
}

// Rule BILL-10: the team total is exact or an error too. Two members with
// MaxInt64 each fit one by one, but not together: UsageSummary fails with
// ErrTotalOverflow instead of saturating at MaxInt64.
func TestUsageSummaryTeamTotalOverflow_BILL10(t *testing.T) {
	e := newEnv(t)
	ana, bob := user("ana"), user("bob")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, bob, rbac.RoleMember)
	chargeMax(t, e, ana.ID, ana.ID, tm.ID, ana.ID, "a")
	chargeMax(t, e, ana.ID, bob.ID, tm.ID, ana.ID, "b")
	_, err := usageSummaryAs(e, ana.ID, tm.ID)
	requireOverflow(t, err)
	require.True(t, strings.Contains(err.Error(), tm.ID), "error %q does not name the team", err)
}
