package billing_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/billing"
)

func active(balance int64) billing.Account {
	return billing.Account{ID: "acct-1", UserID: "u1", Plan: billing.PlanTeam, Status: billing.StatusActive, Balance: balance}
}

func TestPlanValid(t *testing.T) {
	for _, p := range []billing.Plan{billing.PlanFree, billing.PlanTeam, billing.PlanEnterprise} {
		require.True(t, p.Valid(), p)
	}
	for _, p := range []billing.Plan{"", "free", "PRO", "TEAM "} {
		require.False(t, p.Valid(), p)
	}
}

// Rule BILL-3: a charge the account cannot pay is refused with its own
// error and the account is left unchanged.
func TestAccountDebit_BILL3(t *testing.T) {
	suspended := active(100)
	suspended.Status = billing.StatusSuspended
	tests := []struct {
		name    string
		acct    billing.Account
		amount  int64
		want    int64 // balance after a successful debit
		wantErr error
	}{
		{name: "part of the balance", acct: active(100), amount: 40, want: 60},
		{name: "whole balance", acct: active(100), amount: 100, want: 0},
		{name: "one token too many", acct: active(100), amount: 101, wantErr: billing.ErrInsufficientBalance},
		{name: "empty balance", acct: active(0), amount: 1, wantErr: billing.ErrInsufficientBalance},
		{name: "max amount", acct: active(5), amount: math.MaxInt64, wantErr: billing.ErrInsufficientBalance},
		{name: "zero", acct: active(100), amount: 0, wantErr: billing.ErrInvalidAmount},
		{name: "negative", acct: active(100), amount: -1, wantErr: billing.ErrInvalidAmount},
		{name: "min int64", acct: active(100), amount: math.MinInt64, wantErr: billing.ErrInvalidAmount},
		{name: "suspended", acct: suspended, amount: 1, wantErr: billing.ErrInvalidAccount},
		{name: "missing account", acct: billing.Account{}, amount: 1, wantErr: billing.ErrInvalidAccount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.acct.Debit(tc.amount)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Equal(t, tc.acct, got, "a refused debit leaves the account unchanged")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got.Balance)
			require.GreaterOrEqual(t, got.Balance, int64(0))
			got.Balance = tc.acct.Balance
			require.Equal(t, tc.acct, got, "only the balance changes")
		})
	}
}

// Rule BILL-3: the refusal carries the balance and the amount.
func TestInsufficientBalanceError_BILL3(t *testing.T) {
	_, err := active(7).Debit(9)
	var ib *billing.InsufficientBalanceError
	require.True(t, errors.As(err, &ib))
	require.Equal(t, billing.InsufficientBalanceError{AccountID: "acct-1", UserID: "u1", Balance: 7, Amount: 9}, *ib)
	require.Contains(t, err.Error(), "top up")
	require.NotErrorIs(t, err, billing.ErrInvalidAmount)
}

func TestAccountCredit(t *testing.T) {
	suspended := active(10)
	suspended.Status = billing.StatusSuspended
	tests := []struct {
		name    string
		acct    billing.Account
		amount  int64
		want    int64
		wantErr error
	}{
		{name: "to zero balance", acct: active(0), amount: 5, want: 5},
		{name: "adds", acct: active(10), amount: 5, want: 15},
		{name: "up to max", acct: active(10), amount: math.MaxInt64 - 10, want: math.MaxInt64},
		{name: "suspended account can be credited", acct: suspended, amount: 1, want: 11},
		{name: "overflow by one", acct: active(10), amount: math.MaxInt64 - 9, wantErr: billing.ErrInvalidAmount},
		{name: "overflow max", acct: active(math.MaxInt64), amount: 1, wantErr: billing.ErrInvalidAmount},
		{name: "zero", acct: active(10), amount: 0, wantErr: billing.ErrInvalidAmount},
		{name: "negative", acct: active(10), amount: -10, wantErr: billing.ErrInvalidAmount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.acct.Credit(tc.amount)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Equal(t, tc.acct, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got.Balance)
		})
	}
}

// Rule TEAM-4: an account must exist and be active.
func TestAccountUsable_TEAM4(t *testing.T) {
	require.NoError(t, active(0).Usable())
	require.ErrorIs(t, billing.Account{}.Usable(), billing.ErrInvalidAccount)
	s := active(0)
	s.Status = billing.StatusSuspended
	require.ErrorIs(t, s.Usable(), billing.ErrInvalidAccount)
	s.Status = ""
	require.ErrorIs(t, s.Usable(), billing.ErrInvalidAccount, "an unknown status is not active")
}

// Rule TEAM-4: owning a collaboration team needs an active TEAM or
// ENTERPRISE plan and room under its limit (ENTERPRISE 10, TEAM 1, FREE 0),
// each failure with its own error.
func TestCheckTeamOwnership_TEAM4(t *testing.T) {
	acct := func(plan billing.Plan, status billing.Status) billing.Account {
		return billing.Account{ID: "a", UserID: "u", Plan: plan, Status: status}
	}
	custom, err := billing.NewPlans(billing.PlanSpec{Name: billing.PlanFree}, billing.PlanSpec{Name: billing.PlanTeam, TeamLimit: 3})
	require.NoError(t, err)
	tests := []struct {
		name    string
		plans   billing.Plans
		acct    billing.Account
		owned   int
		wantErr error
	}{
		{name: "free owns none", plans: billing.DefaultPlans(), acct: acct(billing.PlanFree, billing.StatusActive), owned: 0, wantErr: billing.ErrSubscriptionRequired},
		{name: "team first", plans: billing.DefaultPlans(), acct: acct(billing.PlanTeam, billing.StatusActive), owned: 0},
		{name: "team second", plans: billing.DefaultPlans(), acct: acct(billing.PlanTeam, billing.StatusActive), owned: 1, wantErr: billing.ErrTeamLimit},
		{name: "enterprise tenth", plans: billing.DefaultPlans(), acct: acct(billing.PlanEnterprise, billing.StatusActive), owned: 9},
		{name: "enterprise eleventh", plans: billing.DefaultPlans(), acct: acct(billing.PlanEnterprise, billing.StatusActive), owned: 10, wantErr: billing.ErrTeamLimit},
		{name: "suspended enterprise", plans: billing.DefaultPlans(), acct: acct(billing.PlanEnterprise, billing.StatusSuspended), owned: 0, wantErr: billing.ErrInvalidAccount},
		{name: "suspended free", plans: billing.DefaultPlans(), acct: acct(billing.PlanFree, billing.StatusSuspended), owned: 0, wantErr: billing.ErrInvalidAccount},
		{name: "no account", plans: billing.DefaultPlans(), acct: billing.Account{}, owned: 0, wantErr: billing.ErrInvalidAccount},
		{name: "configured team limit third", plans: custom, acct: acct(billing.PlanTeam, billing.StatusActive), owned: 2},
		{name: "configured team limit fourth", plans: custom, acct: acct(billing.PlanTeam, billing.StatusActive), owned: 3, wantErr: billing.ErrTeamLimit},
		{name: "plan missing from config", plans: custom, acct: acct(billing.PlanEnterprise, billing.StatusActive), owned: 0, wantErr: billing.ErrSubscriptionRequired},
		{name: "zero plans", plans: billing.Plans{}, acct: acct(billing.PlanTeam, billing.StatusActive), owned: 0, wantErr: billing.ErrSubscriptionRequired},
	}
	sentinels := []error{billing.ErrSubscriptionRequired, billing.ErrTeamLimit, billing.ErrInvalidAccount}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.plans.CheckTeamOwnership(tc.acct, tc.owned)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			for _, s := range sentinels {
				if s != tc.wantErr {
					require.NotErrorIs(t, err, s, "each failure has its own error")
				}
			}
		})
	}
}

// Rule TEAM-4: the default limits are those of the product documents.
// Rule BILL-7: FREE, TEAM and ENTERPRISE are the default set.
func TestDefaultPlans_TEAM4_BILL7(t *testing.T) {
	p := billing.DefaultPlans()
	require.Equal(t, []billing.Plan{billing.PlanFree, billing.PlanTeam, billing.PlanEnterprise}, p.Names())
	for plan, limit := range map[billing.Plan]int{billing.PlanEnterprise: 10, billing.PlanTeam: 1, billing.PlanFree: 0} {
		spec, err := p.Lookup(plan)
		require.NoError(t, err)
		require.Equal(t, limit, spec.TeamLimit, plan)
		require.Equal(t, limit > 0, spec.AllowsTeams(), plan)
		require.Zero(t, spec.SeatLimit, "default plans keep the service's seat limit")
	}
	specs := p.Specs()
	specs[1].TeamLimit = 99
	got, _ := billing.DefaultPlans().Lookup(billing.PlanTeam)
	require.Equal(t, 1, got.TeamLimit, "Specs returns a copy")
}

// Rule BILL-7: plans are host data; an unknown name is refused with an
// error that lists the defined ones.
func TestPlans_BILL7(t *testing.T) {
	p, err := billing.NewPlans(
		billing.PlanSpec{Name: billing.PlanFree},
		billing.PlanSpec{Name: "PRO", TeamLimit: 3, SeatLimit: 5},
	)
	require.NoError(t, err)
	pro, err := p.Lookup("PRO")
	require.NoError(t, err)
	require.Equal(t, billing.PlanSpec{Name: "PRO", TeamLimit: 3, SeatLimit: 5}, pro)

	_, err = p.Lookup(billing.PlanEnterprise)
	require.ErrorIs(t, err, billing.ErrUnknownPlan)
	var upe *billing.UnknownPlanError
	require.ErrorAs(t, err, &upe)
	require.Equal(t, []billing.Plan{billing.PlanFree, "PRO"}, upe.Defined)
	require.Contains(t, err.Error(), "FREE, PRO")

	acct := billing.Account{ID: "a", UserID: "u", Plan: "PRO", Status: billing.StatusActive}
	require.NoError(t, p.CheckTeamOwnership(acct, 2))
	require.ErrorIs(t, p.CheckTeamOwnership(acct, 3), billing.ErrTeamLimit)
	acct.Plan = billing.PlanEnterprise // not defined here
	require.ErrorIs(t, p.CheckTeamOwnership(acct, 0), billing.ErrSubscriptionRequired)

	for name, specs := range map[string][]billing.PlanSpec{
		"empty set":      nil,
		"empty name":     {{Name: ""}},
		"duplicate":      {{Name: "A"}, {Name: "A"}},
		"negative teams": {{Name: "A", TeamLimit: -1}},
		"negative seats": {{Name: "A", SeatLimit: -1}},
	} {
		_, err := billing.NewPlans(specs...)
		require.Error(t, err, name)
	}
}
