package team_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// leakPatterns match what no public message may hold: the IDs the test
// services give out (teams, invitations, accounts, events: "id-000012") and
// user IDs ("user-ana"). The fixtures' emails are among the secrets.
var leakPatterns = []*regexp.Regexp{
	regexp.MustCompile(`id-\d{6}`),
	regexp.MustCompile(`user-[a-z]+`),
}

var planNames = []billing.Plan{billing.PlanFree, billing.PlanTeam, billing.PlanEnterprise}

// publicLeaks returns what of secrets, the IDs of leakPatterns or (unless
// plansOK) a plan name the public message of err shows.
func publicLeaks(err error, plansOK bool, secrets ...string) []string {
	return leaksIn(team.PublicMessage(err), plansOK, secrets...)
}

// leaksIn returns what of secrets, the IDs of leakPatterns or (unless
// plansOK) a plan name msg shows.
func leaksIn(msg string, plansOK bool, secrets ...string) []string {
	var leaks []string
	for _, re := range leakPatterns {
		leaks = append(leaks, re.FindAllString(msg, -1)...)
	}
	if !plansOK {
		for _, p := range planNames {
			if strings.Contains(msg, string(p)) {
				leaks = append(leaks, "plan "+string(p))
			}
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			leaks = append(leaks, s)
		}
	}
	return leaks
}

// sentinelsMatched returns the names of the package's sentinels err matches
// with errors.Is.
func sentinelsMatched(err error) []string {
	var out []string
	for name, s := range team.SentinelsForTest() {
		if errors.Is(err, s) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// requireOneSentinel checks the rule stated in errors.go: err matches
// exactly one sentinel, or is the *InputError of an undefined role, which
// matches ErrInvalidInput and ErrUnknownRole.
func requireOneSentinel(t *testing.T, err error) {
	t.Helper()
	got := sentinelsMatched(err)
	if len(got) == 2 && got[0] == "ErrInvalidInput" && got[1] == "ErrUnknownRole" {
		var ie *team.InputError
		require.ErrorAs(t, err, &ie)
		require.Equal(t, "role", ie.Field, "only an undefined role matches two sentinels: %v", err)
		return
	}
	require.Len(t, got, 1, "refusal %q matches sentinels %v", err, got)
}

// fixtureSecrets returns what the sweep fixture holds that a public message
// must not show: every account ID and non-zero balance, every email, and
// the token.
func fixtureSecrets(t *testing.T, f *sweepFixture) []string {
	t.Helper()
	secrets := []string{f.token, f.inv.TokenHash}
	for _, u := range []team.User{f.ana, f.bob, f.carl, f.dan, f.erin, f.fred} {
		secrets = append(secrets, u.Email)
		acct, err := f.st.Account(f.ctx, u.ID)
		require.NoError(t, err)
		secrets = append(secrets, acct.ID)
		if acct.Balance != 0 {
			secrets = append(secrets, strconv.FormatInt(acct.Balance, 10))
		}
	}
	return secrets
}

// Rule SEC-4 (and SEC-1's "exactly one sentinel"): every refused call of
// every exported method of *team.Service, as listed by the AUD-1 sweep
// table (a new method is missing from it and fails this test), has a public
// message and a code of its own sentinel, and the message holds no account
// ID, balance, plan, token, team, invitation or user ID or email; the same
// error's Error() keeps the detail.
func TestPublicMessage_SEC4_SweepEveryRefusal(t *testing.T) {
	table := sweepTable()
	typ := reflect.TypeFor[*team.Service]()
	var methods []string
	for i := range typ.NumMethod() {
		methods = append(methods, typ.Method(i).Name)
	}
	for _, m := range methods {
		if _, ok := table[m]; !ok {
			t.Errorf("method %s has no refusals in the sweep table; add it there", m)
		}
	}
	slices.Sort(methods)
	detailed := 0
	for _, name := range methods {
		c, ok := table[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			for i, fail := range c.fail {
				f := newSweepFixture(t)
				secrets := fixtureSecrets(t, f)
				err := fail(f)
				require.Error(t, err, "refused call %d succeeded", i)
				msg := team.PublicMessage(err)
				require.NotEmpty(t, msg)
				require.NotEqual(t, "internal", team.Code(err), "refusal %d (%v) has no sentinel", i, err)
				require.NotEqual(t, team.PublicMessage(errors.New("x")), msg, "refusal %d (%v) got the generic message", i, err)
				var ie *team.InputError
				plansOK := errors.As(err, &ie) && ie.Field == "plan" // the caller's own value and the valid names
				require.Empty(t, publicLeaks(err, plansOK, secrets...), "refusal %d: public %q of %q", i, msg, err)
				requireOneSentinel(t, err)
				if len(leaksIn(err.Error(), false, secrets...)) > 0 {
					detailed++
				}
			}
		})
	}
	require.Positive(t, detailed, "no Error() of any refusal holds an ID: the leak check would not catch one")
}

// Rule SEC-4: the refusals that carry billing or other users' detail in
// Error() (the owner's account ID and balance, another user's plan, ID or
// email, the team's ID) show none of it in PublicMessage to callers whose
// role lacks the billing permission (member carl, viewer dan), to
// non-members (fred) and to invitees; each still has its sentinel and code.
func TestPublicMessage_SEC4_NoBillingDetailForNonBillingRoles(t *testing.T) {
	const balance = 987_654
	type leakCase struct {
		name   string
		code   string
		want   error
		detail func(f *sweepFixture) []string // what Error() holds and PublicMessage must not
		call   func(f *sweepFixture) error
	}
	accountID := func(f *sweepFixture, u team.User) string {
		acct, err := f.st.Account(f.ctx, u.ID)
		require.NoError(t, err)
		return acct.ID
	}
	cases := []leakCase{
		{name: "insufficient balance, member", code: "insufficient_balance", want: team.ErrInsufficientBalance,
			detail: func(f *sweepFixture) []string { return []string{accountID(f, f.ana), strconv.Itoa(balance)} },
			call: func(f *sweepFixture) error {
				return ignore(f.svc.RecordUsage(f.ctx, team.RecordUsageParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Amount: balance + 1, IdempotencyKey: "big"}))
			}},
		{name: "suspended owner account, member", code: "invalid_account", want: team.ErrInvalidAccount,
			detail: func(f *sweepFixture) []string { return []string{accountID(f, f.ana)} },
			call: func(f *sweepFixture) error {
				if _, err := f.svc.SetAccountStatus(f.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: f.ana.ID, Status: billing.StatusSuspended}); err != nil {
					return err
				}
				return ignore(f.svc.RecordUsage(f.ctx, team.RecordUsageParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Amount: 1, IdempotencyKey: "k"}))
			}},
		{name: "idempotency key of another user, member", code: "idempotency_conflict", want: team.ErrIdempotencyConflict,
			detail: func(f *sweepFixture) []string { return []string{f.bob.ID} },
			call: func(f *sweepFixture) error {
				if _, err := f.svc.RecordUsage(f.ctx, team.RecordUsageParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Amount: 7, IdempotencyKey: "shared"}); err != nil {
					return err
				}
				return ignore(f.svc.RecordUsage(f.ctx, team.RecordUsageParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Amount: 7, IdempotencyKey: "shared"}))
			}},
		{name: "billing account, member", code: "permission_denied", want: team.ErrPermissionDenied,
			call: func(f *sweepFixture) error { return ignore(f.svc.BillingAccount(f.ctx, f.carl.ID, f.tm.ID)) }},
		{name: "usage summary, viewer", code: "permission_denied", want: team.ErrPermissionDenied,
			call: func(f *sweepFixture) error {
				return ignore(f.svc.UsageSummary(f.ctx, team.UsageSummaryParams{ActorID: f.dan.ID, TeamID: f.tm.ID}))
			}},
		{name: "top up, member", code: "permission_denied", want: team.ErrPermissionDenied,
			call: func(f *sweepFixture) error {
				return ignore(f.svc.TopUp(f.ctx, team.TopUpParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Amount: 5}))
			}},
		{name: "change plan, viewer", code: "permission_denied", want: team.ErrPermissionDenied,
			call: func(f *sweepFixture) error {
				return ignore(f.svc.ChangePlan(f.ctx, team.ChangePlanParams{ActorID: f.dan.ID, TeamID: f.tm.ID, Plan: billing.PlanFree}))
			}},
		{name: "transfer to a user whose account is suspended, owner", code: "invalid_account", want: team.ErrInvalidAccount,
			detail: func(f *sweepFixture) []string { return []string{accountID(f, f.bob), f.bob.ID} },
			call: func(f *sweepFixture) error {
				if _, err := f.svc.SetAccountStatus(f.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: f.bob.ID, Status: billing.StatusSuspended}); err != nil {
					return err
				}
				return f.svc.TransferOwnership(f.ctx, team.TransferOwnershipParams{ActorID: f.ana.ID, TeamID: f.tm.ID, NewOwnerID: f.bob.ID, ConfirmNewOwnerID: f.bob.ID})
			}},
		{name: "create a team on the free plan, member", code: "subscription_required", want: team.ErrSubscriptionRequired,
			detail: func(f *sweepFixture) []string { return []string{string(billing.PlanFree)} },
			call: func(f *sweepFixture) error {
				return ignore(f.svc.CreateTeam(f.ctx, team.CreateTeamParams{Owner: f.carl, Name: "Carl Co"}))
			}},
		{name: "members, non-member", code: "not_member", want: team.ErrNotMember,
			detail: func(f *sweepFixture) []string { return []string{f.fred.ID, f.tm.ID} },
			call:   func(f *sweepFixture) error { return ignore(f.svc.Members(f.ctx, f.fred.ID, f.tm.ID)) }},
		{name: "remove a non-member, admin", code: "not_member", want: team.ErrNotMember,
			detail: func(f *sweepFixture) []string { return []string{f.fred.ID} },
			call: func(f *sweepFixture) error {
				return f.svc.RemoveMember(f.ctx, team.RemoveMemberParams{ActorID: f.bob.ID, TeamID: f.tm.ID, UserID: f.fred.ID})
			}},
		{name: "invite an invited address, admin", code: "already_invited", want: team.ErrAlreadyInvited,
			detail: func(f *sweepFixture) []string { return []string{f.inv.ID, f.erin.Email} },
			call: func(f *sweepFixture) error {
				return ignore(f.svc.Invite(f.ctx, team.InviteParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Email: f.erin.Email, Role: rbac.RoleMember}))
			}},
		{name: "invite a member, admin", code: "already_member", want: team.ErrAlreadyMember,
			detail: func(f *sweepFixture) []string { return []string{f.carl.Email} },
			call: func(f *sweepFixture) error {
				return ignore(f.svc.Invite(f.ctx, team.InviteParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Email: f.carl.Email, Role: rbac.RoleMember}))
			}},
		{name: "accept as another user, invitee", code: "email_mismatch", want: team.ErrEmailMismatch,
			call: func(f *sweepFixture) error { return ignore(f.svc.AcceptInvitation(f.ctx, f.fred, f.token)) }},
		{name: "delete a team still holding resources, owner", code: "resources_remain", want: team.ErrResourcesRemain,
			detail: func(f *sweepFixture) []string { return []string{f.tm.ID} },
			call: func(f *sweepFixture) error {
				svc, err := team.New(f.st, team.WithClock(f.clock.Now), team.WithResourceCounter(team.ResourceCounterFunc(
					func(context.Context, string) (map[string]int, error) { return map[string]int{"agent": 3}, nil })))
				if err != nil {
					return err
				}
				err = svc.DeleteTeam(f.ctx, f.ana.ID, f.tm.ID)
				if err != nil && !strings.Contains(team.PublicMessage(err), "3 agent") {
					return fmt.Errorf("public message %q does not list the resources: %w", team.PublicMessage(err), err)
				}
				return err
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newSweepFixture(t)
			_, err := f.svc.TopUp(f.ctx, team.TopUpParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Amount: balance - 1000})
			require.NoError(t, err)
			var detail []string
			if c.detail != nil {
				detail = c.detail(f)
			}
			err = c.call(f)
			require.ErrorIs(t, err, c.want)
			require.Equal(t, c.code, team.Code(err))
			requireOneSentinel(t, err)
			for _, d := range detail {
				require.Contains(t, err.Error(), d, "Error() should keep the detail for logs")
			}
			secrets := append(fixtureSecrets(t, f), detail...)
			require.Empty(t, publicLeaks(err, false, secrets...), "public %q of %q", team.PublicMessage(err), err)
		})
	}
}

// seatLimitHost is a host error that carries its own public text.
type seatLimitHost struct{}

func (seatLimitHost) Error() string { return "host: plan of account acct-42 allows 3 teams" }
func (seatLimitHost) PublicMessage() string {
	return "Your organisation's contract allows no more teams."
}

// Rule SEC-4: PublicMessage and Code walk the chain (wrapping and joined
// errors), take a typed error's own public text, map a sentinel to its fixed
// sentence and anything else to a generic one, and keep Error() untouched.
func TestPublicMessage_SEC4_Chain(t *testing.T) {
	require.Equal(t, "", team.PublicMessage(nil))
	require.Equal(t, "", team.Code(nil))

	internal := fmt.Errorf("teamkit: charging team id-000001: %w", errors.New("pq: connection refused to 10.0.0.5"))
	require.Equal(t, "internal", team.Code(internal))
	require.NotContains(t, team.PublicMessage(internal), "10.0.0.5")
	require.NotContains(t, team.PublicMessage(internal), "id-000001")

	balance := fmt.Errorf("teamkit: charging team id-000001: %w", &billing.InsufficientBalanceError{AccountID: "id-000009", Balance: 880, Amount: 900})
	require.Equal(t, "insufficient_balance", team.Code(balance))
	require.NotContains(t, team.PublicMessage(balance), "880")
	require.Contains(t, balance.Error(), "880")

	host := fmt.Errorf("teamkit: new owner user-bo cannot take over team id-000002: %w", errors.Join(seatLimitHost{}, team.ErrTeamLimit))
	require.Equal(t, seatLimitHost{}.PublicMessage(), team.PublicMessage(host))
	require.Equal(t, "team_limit", team.Code(host))

	joined := errors.Join(errors.New("first, no sentinel"), fmt.Errorf("second: %w", team.ErrSeatLimit))
	require.Equal(t, "seat_limit", team.Code(joined))
	require.Equal(t, team.PublicMessage(team.ErrSeatLimit), team.PublicMessage(joined))

	ie := fmt.Errorf("%w: %w", &team.InputError{Field: "role", Problem: "is not defined by the policy"}, rbac.ErrUnknownRole)
	require.Equal(t, "invalid_input", team.Code(ie))
	require.Equal(t, "Invalid role: is not defined by the policy.", team.PublicMessage(ie))

	seats := &team.SeatLimitError{TeamID: "id-000003", Limit: 5, Used: 5}
	require.Equal(t, "seat_limit", team.Code(seats))
	require.NotContains(t, team.PublicMessage(seats), "id-000003")
	require.Contains(t, seats.Error(), "id-000003")

	canceled := fmt.Errorf("teamkit: reading team: %w", context.Canceled)
	require.Equal(t, "canceled", team.Code(canceled))
}
