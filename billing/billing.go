package billing

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Plan is the subscription plan of a billing account.
type Plan string

// The default plans (DefaultPlans); a host may define others (BILL-7).
// Every new account starts on PlanFree, so a host's set should define it.
const (
	PlanFree       Plan = "FREE"
	PlanTeam       Plan = "TEAM"
	PlanEnterprise Plan = "ENTERPRISE"
)

// Valid reports whether p is one of the three default plans. The service
// checks a plan against its configured Plans instead (Plans.Lookup).
func (p Plan) Valid() bool {
	switch p {
	case PlanFree, PlanTeam, PlanEnterprise:
		return true
	}
	return false
}

// Status is the standing of a billing account.
type Status string

// The statuses of a billing account. A suspended account can neither pay
// for usage nor entitle its holder to own collaboration teams. A closed
// account is one whose user was offboarded (USER-2): like a suspended one
// it is never charged (Usable refuses it with ErrInvalidAccount), and it is
// final: nothing reactivates it.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusClosed    Status = "closed"
)

// Account is a user's personal billing account (BILL-1): a token balance and
// a subscription plan. Every user has exactly one; a team is billed to its
// owner's account.
//
// It marshals to JSON as {"id", "user_id", "plan", "status", "balance",
// "created_at", "updated_at"}, times in RFC 3339; see testdata/account.json.
type Account struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Plan      Plan      `json:"plan"`
	Status    Status    `json:"status"`
	Balance   int64     `json:"balance"` // tokens; never negative
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UsageRecord is one charge in the usage ledger (BILL-2): who used what in
// which team, and which account paid for it. Records are append-only; a
// record keeps the account it was charged to even after an ownership
// transfer (OWN-2).
//
// It marshals to JSON as {"id", "team_id", "user_id", "account_id",
// "amount", "time", "idempotency_key", "metadata"}, time in RFC 3339,
// metadata left out when empty; see testdata/usage_record.json.
type UsageRecord struct {
	ID             string            `json:"id"`
	TeamID         string            `json:"team_id"`
	UserID         string            `json:"user_id"`    // the member who used the service
	AccountID      string            `json:"account_id"` // the billing account charged
	Amount         int64             `json:"amount"`     // tokens, > 0
	Time           time.Time         `json:"time"`
	IdempotencyKey string            `json:"idempotency_key"` // unique per team (BILL-4)
	Metadata       map[string]string `json:"metadata,omitempty"`
}

// TopUp is one credit to a billing account. Together with the usage ledger it
// explains every balance: balance = sum(top-ups) - sum(charges).
//
// It marshals to JSON as {"id", "account_id", "team_id", "actor_id",
// "amount", "time", "idempotency_key"}, time in RFC 3339, team_id and
// idempotency_key left out when empty; see testdata/top_up.json.
type TopUp struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	TeamID    string    `json:"team_id,omitempty"` // the team the actor acted through; "" for the holder or the host
	ActorID   string    `json:"actor_id"`
	Amount    int64     `json:"amount"`
	Time      time.Time `json:"time"`
	// IdempotencyKey identifies the top-up within its account (BILL-8):
	// unique per account when not empty.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// Sentinel errors of billing. Each refusal matches one of these with
// errors.Is; the team service returns them unchanged, wrapped with detail.
var (
	// ErrSubscriptionRequired: the account's plan does not allow owning
	// collaboration teams. Subscribe to TEAM or ENTERPRISE first.
	ErrSubscriptionRequired = errors.New("billing: an active TEAM or ENTERPRISE subscription is required")
	// ErrTeamLimit: the account already owns as many collaboration teams as
	// its plan allows. Upgrade the plan or delete or transfer a team.
	ErrTeamLimit = errors.New("billing: collaboration team limit of the plan reached")
	// ErrInvalidAccount: the billing account is missing, suspended or
	// closed.
	ErrInvalidAccount = errors.New("billing: billing account is missing or suspended")
	// ErrInsufficientBalance: the account cannot pay the charge. Top up the
	// team owner's account.
	ErrInsufficientBalance = errors.New("billing: insufficient token balance on the team owner's account")
	// ErrIdempotencyConflict: an idempotency key was reused with a different
	// charge. Use a new key for a new charge.
	ErrIdempotencyConflict = errors.New("billing: idempotency key already used for a different charge")
	// ErrInvalidAmount: an amount is zero, negative or would overflow.
	ErrInvalidAmount = errors.New("billing: amount must be a positive number of tokens that does not overflow")
	// ErrTotalOverflow: a usage total over the requested range is larger
	// than an int64 can hold, so it cannot be reported exactly (BILL-10).
	// Query a shorter time range and add the parts with big integers.
	ErrTotalOverflow = errors.New("billing: usage total exceeds 9223372036854775807 tokens; query a shorter time range")
)

// InsufficientBalanceError carries the balance and the refused amount. It
// matches ErrInsufficientBalance.
type InsufficientBalanceError struct {
	AccountID string
	UserID    string // the account holder
	Balance   int64
	Amount    int64
}

func (e *InsufficientBalanceError) Error() string {
	return fmt.Sprintf("billing: account %s holds %d tokens, the charge needs %d: top up the team owner's account",
		e.AccountID, e.Balance, e.Amount)
}

// Is makes errors.Is(err, ErrInsufficientBalance) true.
func (e *InsufficientBalanceError) Is(target error) bool { return target == ErrInsufficientBalance }

// Usable reports whether the account can pay and entitle: it exists (has an
// ID) and is active. The error matches ErrInvalidAccount.
func (a Account) Usable() error {
	if a.ID == "" {
		return fmt.Errorf("%w: the user has no billing account; register the user first", ErrInvalidAccount)
	}
	if a.Status == StatusClosed {
		return fmt.Errorf("%w: account %s is closed because its user was offboarded; closed accounts are never charged or reactivated", ErrInvalidAccount, a.ID)
	}
	if a.Status != StatusActive {
		return fmt.Errorf("%w: account %s is %s; reactivate it first", ErrInvalidAccount, a.ID, a.Status)
	}
	return nil
}

// Debit returns the account with amount taken off its balance. It refuses a
// non-positive amount (ErrInvalidAmount), an unusable account
// (ErrInvalidAccount) and a balance that is too small
// (ErrInsufficientBalance), leaving a unchanged.
func (a Account) Debit(amount int64) (Account, error) {
	if amount <= 0 {
		return a, fmt.Errorf("%w: got %d", ErrInvalidAmount, amount)
	}
	if err := a.Usable(); err != nil {
		return a, err
	}
	if a.Balance < amount {
		return a, &InsufficientBalanceError{AccountID: a.ID, UserID: a.UserID, Balance: a.Balance, Amount: amount}
	}
	a.Balance -= amount
	return a, nil
}

// Credit returns the account with amount added to its balance. It refuses a
// non-positive amount or one that would overflow the balance
// (ErrInvalidAmount).
func (a Account) Credit(amount int64) (Account, error) {
	if amount <= 0 {
		return a, fmt.Errorf("%w: got %d", ErrInvalidAmount, amount)
	}
	if a.Balance > math.MaxInt64-amount {
		return a, fmt.Errorf("%w: balance %d plus %d overflows", ErrInvalidAmount, a.Balance, amount)
	}
	a.Balance += amount
	return a, nil
}

// PlanSpec defines one plan (BILL-7): its name, how many collaboration
// teams its holder may own (0: none, so the plan does not allow
// collaboration teams) and, optionally, the seat limit of each team its
// holder owns, which overrides the service's default (INV-3).
//
// It marshals to JSON as {"name", "team_limit", "seat_limit"}, seat_limit
// left out when 0.
type PlanSpec struct {
	Name      Plan `json:"name"`
	TeamLimit int  `json:"team_limit"`           // collaboration teams the holder may own; 0 allows none
	SeatLimit int  `json:"seat_limit,omitempty"` // seats per owned team; 0 means the service default
}

// AllowsTeams reports whether the plan lets its holder own collaboration
// teams at all.
func (p PlanSpec) AllowsTeams() bool { return p.TeamLimit > 0 }

// Plans is the set of plans a host defines (BILL-7, TEAM-4): build it with
// NewPlans, or take DefaultPlans. A Plans value is immutable and safe for
// concurrent use; the zero value defines no plan.
type Plans struct {
	specs []PlanSpec // in definition order
}

// ErrUnknownPlan: a plan name is not one of the defined plans. The error
// (an *UnknownPlanError) lists the defined ones.
var ErrUnknownPlan = errors.New("billing: unknown plan")

// UnknownPlanError names the refused plan and the defined ones. It matches
// ErrUnknownPlan.
type UnknownPlanError struct {
	Plan    Plan
	Defined []Plan
}

// Error implements error: the refused name and the defined ones.
func (e *UnknownPlanError) Error() string {
	names := make([]string, len(e.Defined))
	for i, p := range e.Defined {
		names[i] = string(p)
	}
	return fmt.Sprintf("billing: plan %q is not defined; the defined plans are %s", e.Plan, strings.Join(names, ", "))
}

// Is makes errors.Is(err, ErrUnknownPlan) true.
func (e *UnknownPlanError) Is(target error) bool { return target == ErrUnknownPlan }

// NewPlans returns the set of the given plans. It refuses an empty set, an
// empty or duplicate name and a negative limit, with an error saying which.
func NewPlans(specs ...PlanSpec) (Plans, error) {
	if len(specs) == 0 {
		return Plans{}, errors.New("billing: no plan given; define at least one plan (every new account starts on FREE)")
	}
	seen := map[Plan]bool{}
	for _, p := range specs {
		switch {
		case p.Name == "":
			return Plans{}, errors.New("billing: a plan has an empty name; name every plan")
		case seen[p.Name]:
			return Plans{}, fmt.Errorf("billing: plan %q is defined twice; define each name once", p.Name)
		case p.TeamLimit < 0 || p.SeatLimit < 0:
			return Plans{}, fmt.Errorf("billing: plan %q has a negative limit; use 0 for none (teams) or the default (seats)", p.Name)
		}
		seen[p.Name] = true
	}
	return Plans{specs: slices.Clone(specs)}, nil
}

// DefaultPlans returns the default set (BILL-1, TEAM-4): FREE (no
// collaboration team), TEAM (1) and ENTERPRISE (10), none with its own seat
// limit.
func DefaultPlans() Plans {
	return Plans{specs: []PlanSpec{
		{Name: PlanFree, TeamLimit: 0},
		{Name: PlanTeam, TeamLimit: 1},
		{Name: PlanEnterprise, TeamLimit: 10},
	}}
}

// Lookup returns the plan named name, or an *UnknownPlanError (matching
// ErrUnknownPlan) that lists the defined plans.
func (p Plans) Lookup(name Plan) (PlanSpec, error) {
	for _, s := range p.specs {
		if s.Name == name {
			return s, nil
		}
	}
	return PlanSpec{}, &UnknownPlanError{Plan: name, Defined: p.Names()}
}

// Names returns the names of the defined plans, in definition order.
func (p Plans) Names() []Plan {
	out := make([]Plan, len(p.specs))
	for i, s := range p.specs {
		out[i] = s.Name
	}
	return out
}

// Specs returns a copy of the defined plans, in definition order.
func (p Plans) Specs() []PlanSpec { return slices.Clone(p.specs) }

// CheckTeamOwnership decides whether the holder of acct, who owns owned
// collaboration teams now, may own one more (TEAM-4). The error matches
// ErrInvalidAccount, ErrSubscriptionRequired or ErrTeamLimit. An account
// on a plan the set does not define (say, one the host retired) may own
// none.
func (p Plans) CheckTeamOwnership(acct Account, owned int) error {
	if err := acct.Usable(); err != nil {
		return err
	}
	spec, err := p.Lookup(acct.Plan)
	if err != nil || !spec.AllowsTeams() {
		return fmt.Errorf("%w: plan %s allows no collaboration teams; subscribe to a plan that does (%s)", ErrSubscriptionRequired, acct.Plan, p.teamPlans())
	}
	if owned >= spec.TeamLimit {
		return fmt.Errorf("%w: plan %s allows %d, the user owns %d; upgrade the plan or delete or transfer a team", ErrTeamLimit, acct.Plan, spec.TeamLimit, owned)
	}
	return nil
}

// teamPlans names the plans that allow collaboration teams.
func (p Plans) teamPlans() string {
	var names []string
	for _, s := range p.specs {
		if s.AllowsTeams() {
			names = append(names, string(s.Name))
		}
	}
	if len(names) == 0 {
		return "none is defined"
	}
	return strings.Join(names, ", ")
}

// MemberUsage is the usage of one member in a time range (BILL-5).
//
// It marshals to JSON as {"user_id", "amount", "records"}; see the members
// of testdata/summary.json.
type MemberUsage struct {
	UserID  string `json:"user_id"`
	Amount  int64  `json:"amount"`  // tokens charged
	Records int    `json:"records"` // number of usage records
}

// Summary is a team's usage in a time range [From, To) (BILL-5): the team
// total and one row per member who used anything, ordered by user ID.
//
// It marshals to JSON as {"team_id", "from", "to", "amount", "records",
// "members"}, times in RFC 3339, members a list of MemberUsage left out when
// empty; see testdata/summary.json.
type Summary struct {
	TeamID  string        `json:"team_id"`
	From    time.Time     `json:"from"`
	To      time.Time     `json:"to"`
	Amount  int64         `json:"amount"`
	Records int           `json:"records"`
	Members []MemberUsage `json:"members,omitempty"`
}
