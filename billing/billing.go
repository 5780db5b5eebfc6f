package billing

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Plan is the subscription plan of a billing account.
type Plan string

// The plans a billing account can hold.
const (
	PlanFree       Plan = "FREE"
	PlanTeam       Plan = "TEAM"
	PlanEnterprise Plan = "ENTERPRISE"
)

// Valid reports whether p is one of the known plans.
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
// "amount", "time"}, time in RFC 3339; see testdata/top_up.json.
type TopUp struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	TeamID    string    `json:"team_id"` // the team context the top-up was made in
	ActorID   string    `json:"actor_id"`
	Amount    int64     `json:"amount"`
	Time      time.Time `json:"time"`
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
		return a, &InsufficientBalanceError{AccountID: a.ID, Balance: a.Balance, Amount: amount}
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

// Plans holds the plan limits: how many collaboration teams a user on each
// plan may own (TEAM-4). It is configuration; DefaultPlans gives the
// defaults of the product documents.
type Plans struct {
	// TeamLimits maps a plan to the number of collaboration teams its holder
	// may own. A plan missing from the map allows none.
	TeamLimits map[Plan]int
}

// DefaultPlans returns the default limits: ENTERPRISE 10, TEAM 1, FREE 0.
func DefaultPlans() Plans {
	return Plans{TeamLimits: map[Plan]int{PlanEnterprise: 10, PlanTeam: 1, PlanFree: 0}}
}

// CheckTeamOwnership decides whether the holder of acct, who owns owned
// collaboration teams now, may own one more (TEAM-4). The error matches
// ErrInvalidAccount, ErrSubscriptionRequired or ErrTeamLimit.
func (p Plans) CheckTeamOwnership(acct Account, owned int) error {
	if err := acct.Usable(); err != nil {
		return err
	}
	limit := p.TeamLimits[acct.Plan]
	if limit <= 0 {
		return fmt.Errorf("%w: plan %s allows no collaboration teams; subscribe to TEAM or ENTERPRISE", ErrSubscriptionRequired, acct.Plan)
	}
	if owned >= limit {
		return fmt.Errorf("%w: plan %s allows %d, the user owns %d; upgrade the plan or delete or transfer a team", ErrTeamLimit, acct.Plan, limit, owned)
	}
	return nil
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
