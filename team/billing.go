package team

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"sync"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
)

// Limits on a usage charge's input, checked before anything is written
// (SEC-2).
const (
	// MaxIdempotencyKeyLength is the longest Usage.IdempotencyKey, in bytes.
	MaxIdempotencyKeyLength = 128
	// MaxUsageMetadataKeys is the most entries Usage.Metadata holds.
	MaxUsageMetadataKeys = 32
	// MaxUsageMetadataLength is the longest Usage.Metadata key and the
	// longest value, in bytes each.
	MaxUsageMetadataLength = 256
)

// RecordUsageParams are the arguments of RecordUsage: one charge a host
// records for a member's use of the service (BILL-2).
type RecordUsageParams struct {
	// ActorID is the acting user, the member whose use is charged.
	ActorID string
	// TeamID is the team whose billing account pays.
	TeamID string
	// Amount is the number of tokens to charge; it must be positive.
	Amount int64
	// IdempotencyKey identifies the charge within the team (BILL-4): a retry
	// with the same key returns the first record and charges nothing. 1 to
	// 128 bytes of valid UTF-8 without control characters.
	IdempotencyKey string
	// Metadata is the host's description of the charge, such as
	// {"resource": "agent-7", "model": "large"}: at most 32 entries, each key
	// 1 to 256 bytes and each value at most 256 bytes, all valid UTF-8
	// without control characters (SEC-6). It is copied.
	Metadata map[string]string
}

// checkUsageInput validates u's charge (SEC-2), not its IDs. A bad amount
// matches billing.ErrInvalidAmount, anything else ErrInvalidInput.
func checkUsageInput(u RecordUsageParams) error {
	if u.Amount <= 0 {
		return fmt.Errorf("%w: usage amount must be positive, got %d", billing.ErrInvalidAmount, u.Amount)
	}
	if err := checkText(textField{field: "idempotency_key", limit: MaxIdempotencyKeyLength}, u.IdempotencyKey); err != nil {
		return err
	}
	if len(u.Metadata) > MaxUsageMetadataKeys {
		return invalid("metadata", "has %d entries; the limit is %d", len(u.Metadata), MaxUsageMetadataKeys)
	}
	for k, v := range u.Metadata {
		if err := checkText(textField{field: "metadata", subject: "key", limit: MaxUsageMetadataLength}, k); err != nil {
			return err
		}
		if err := checkText(textField{field: "metadata", subject: fmt.Sprintf("value of %q", k), limit: MaxUsageMetadataLength, optional: true}, v); err != nil {
			return err
		}
	}
	return nil
}

// lockOwnerAccount locks the billing account of t, its owner's (BILL-1),
// refusing a missing one with an error matching billing.ErrInvalidAccount.
func lockOwnerAccount(ctx context.Context, tx Tx, t Team) (billing.Account, error) {
	acct, err := tx.LockAccount(ctx, t.OwnerID)
	if errors.Is(err, ErrNotFound) {
		return billing.Account{}, fmt.Errorf("%w: owner %s of team %s has no billing account; register the owner with EnsurePersonalTeam",
			billing.ErrInvalidAccount, t.OwnerID, t.ID)
	}
	return acct, err
}

// canUseResources reports whether role may use team resources, its own or any: the
// permission behind recording usage.
func canUseResources(role rbac.Role) bool {
	return role.Permissions&(rbac.UseOwnResources|rbac.UseAnyResources) != 0
}

func requireUseResources(role rbac.Role) error {
	if canUseResources(role) {
		return nil
	}
	return fmt.Errorf("%w: role %q may not record usage (needs %s or %s); ask the team owner or an admin",
		ErrPermissionDenied, role.Name, rbac.UseOwnResources, rbac.UseAnyResources)
}

// RecordUsage charges p.Amount tokens for p.ActorID's use of the service in
// p.TeamID (BILL-2): in one unit of work it takes the tokens off the team's
// billing account, the current owner's personal account (BILL-1, OWN-2),
// and appends a usage record tagged with the team, the actor, the time, the
// amount, the account and a copy of p.Metadata, which it returns. The
// actor must be a member whose role may use team resources (own or any).
//
// p.IdempotencyKey makes the call safe to retry (BILL-4): when the team
// already has a record with that key for the same actor and amount, that
// record is returned and nothing is charged; for a different actor or
// amount the error matches ErrIdempotencyConflict. Charges to one team are
// serialized by its lock, so concurrent retries of one key also charge
// once; should a Store still report ErrConflict on the key, the error
// matches ErrConflict and a retry returns the first record.
//
// Charges write no audit event: the usage ledger is their record (AUD-1).
// When the Store implements Batcher, charges to one team may share a
// commit; each is still decided on its own.
//
// Errors match ErrInvalidInput or ErrInvalidAmount (bad input, nothing
// read), ErrNotMember, ErrPermissionDenied, ErrIdempotencyConflict,
// ErrInvalidAccount (the owner's account is missing or suspended) or
// ErrInsufficientBalance (BILL-3); on any of them nothing is charged or
// recorded. A charge refused for lack of balance is told to the account
// holder through a LowBalanceNotifier (BILL-11), after the unit of work.
func (s *Service) RecordUsage(ctx context.Context, p RecordUsageParams) (billing.UsageRecord, error) {
	actorID, teamID := p.ActorID, p.TeamID
	// Two calls rather than checkIDs: this is the hot path.
	if err := checkID("actor_id", actorID); err != nil {
		return billing.UsageRecord{}, err
	}
	if err := checkID("team_id", teamID); err != nil {
		return billing.UsageRecord{}, err
	}
	if err := checkUsageInput(p); err != nil {
		return billing.UsageRecord{}, err
	}
	// Membership and permission are checked once, under the team's lock in
	// the unit of work, where they decide.
	if b, ok := s.store.(Batcher); ok {
		// A fresh op: a batch shared with others might still hold fn
		// after InBatch returns to this caller (say, on ctx expiry).
		op := &usageOp{s: s, u: p}
		if err := b.InBatch(ctx, teamID, op.run); err != nil {
			s.noticeLowBalance(ctx, err, &p)
			return billing.UsageRecord{}, err
		}
		return op.rec, nil
	}
	op := usageOps.Get().(*usageOp)
	op.s, op.u = s, p
	err := s.store.InTx(ctx, op.fn)
	rec := op.rec
	*op = usageOp{fn: op.fn}
	usageOps.Put(op)
	if err != nil {
		s.noticeLowBalance(ctx, err, &p)
		return billing.UsageRecord{}, err
	}
	return rec, nil
}

// usageOp is one RecordUsage call's unit of work: its inputs, its result
// and fn, bound once to run, so that the hot path allocates no closure.
// Ops run through InTx are pooled: InTx runs fn and returns only after fn
// has returned (the Store contract), so nothing holds fn afterwards.
type usageOp struct {
	s   *Service
	u   RecordUsageParams
	rec billing.UsageRecord
	fn  func(ctx context.Context, tx Tx) error
}

var usageOps = sync.Pool{New: func() any {
	op := &usageOp{}
	op.fn = op.run
	return op
}}

// run is the unit of work of RecordUsage (BILL-1..4): every refusal comes
// before the first write.
func (op *usageOp) run(ctx context.Context, tx Tx) error {
	s, u := op.s, &op.u
	actorID, teamID := u.ActorID, u.TeamID
	op.rec = billing.UsageRecord{} // a Batcher may run fn again after a failed shared commit
	t, _, role, err := s.lockAs(ctx, tx, actorID, teamID, membersOnly, "")
	if err != nil {
		return err
	}
	if err := requireUseResources(role); err != nil {
		return err
	}
	prev, err := tx.UsageByKey(ctx, teamID, u.IdempotencyKey)
	switch {
	case err == nil:
		if prev.Amount != u.Amount || prev.UserID != actorID {
			return fmt.Errorf("%w: key %q of team %s charged %d tokens for user %s; use a new key for a new charge",
				billing.ErrIdempotencyConflict, u.IdempotencyKey, teamID, prev.Amount, prev.UserID)
		}
		op.rec = prev // BILL-4: the retry returns the first record
		return nil
	case !errors.Is(err, ErrNotFound):
		return err
	}
	acct, err := lockOwnerAccount(ctx, tx, t)
	if err != nil {
		return err
	}
	debited, err := acct.Debit(u.Amount)
	if err != nil {
		return fmt.Errorf("teamkit: charging team %s: %w", teamID, err)
	}
	now := s.now().UTC()
	debited.UpdatedAt = now
	if err := tx.UpdateAccount(ctx, debited); err != nil {
		return err
	}
	r := billing.UsageRecord{
		ID:             s.newID(),
		TeamID:         teamID,
		UserID:         actorID,
		AccountID:      acct.ID,
		Amount:         u.Amount,
		Time:           now,
		IdempotencyKey: u.IdempotencyKey,
		Metadata:       maps.Clone(u.Metadata),
	}
	if err := tx.InsertUsage(ctx, r); err != nil {
		if errors.Is(err, ErrConflict) {
			return fmt.Errorf("teamkit: usage key %q of team %s was recorded concurrently; retry to get its record: %w",
				u.IdempotencyKey, teamID, err)
		}
		return err
	}
	op.rec = r
	return nil
}

// BillingAccount returns the billing account of teamID, its owner's
// (BILL-1). The actor needs the billing permission in the team (BILL-6).
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied or
// ErrNotFound (the owner has no account).
func (s *Service) BillingAccount(ctx context.Context, actorID, teamID string) (billing.Account, error) {
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return billing.Account{}, err
	}
	t, _, _, err := s.readAs(ctx, s.store, actorID, teamID, rbac.Billing, "read the billing account")
	if err != nil {
		return billing.Account{}, err
	}
	acct, err := s.store.Account(ctx, t.OwnerID)
	if err != nil {
		return billing.Account{}, fmt.Errorf("teamkit: billing account of team %s (owner %s): %w", teamID, t.OwnerID, err)
	}
	return acct, nil
}

// UsageSummaryParams are the arguments of UsageSummary (BILL-5).
type UsageSummaryParams struct {
	// ActorID is the acting user, who needs the usage permission.
	ActorID string
	// TeamID is the team whose usage is summed.
	TeamID string
	// From is the inclusive start of the period; zero means since the
	// beginning.
	From time.Time
	// To is the exclusive end of the period; zero means no end. Otherwise
	// it must be after From.
	To time.Time
}

// UsageSummary returns p.TeamID's usage with Time in [p.From, p.To)
// (BILL-5): the team's total and one row per member who used anything,
// ordered by user ID. A zero From means since the beginning, a zero To
// means no end; otherwise From must be before To. The actor needs the usage permission
// in the team.
//
// Totals are exact (BILL-10): when a member's or the team's total over the
// range exceeds math.MaxInt64 the call fails with an error matching
// ErrTotalOverflow; query a shorter range.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied or
// ErrTotalOverflow.
func (s *Service) UsageSummary(ctx context.Context, p UsageSummaryParams) (billing.Summary, error) {
	actorID, teamID, from, to := p.ActorID, p.TeamID, p.From, p.To
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return billing.Summary{}, err
	}
	if !to.IsZero() && !from.Before(to) {
		return billing.Summary{}, invalid("to", "%s is not after from %s; pass a later end or a zero time for no end",
			to.UTC().Format(time.RFC3339Nano), from.UTC().Format(time.RFC3339Nano))
	}
	if _, _, _, err := s.readAs(ctx, s.store, actorID, teamID, rbac.ViewUsage, "view usage"); err != nil {
		return billing.Summary{}, err
	}
	rows, err := s.store.UsageTotals(ctx, teamID, from, to)
	if err != nil {
		return billing.Summary{}, err
	}
	sum := billing.Summary{TeamID: teamID, From: from, To: to, Members: rows}
	if sum.Members == nil {
		sum.Members = []billing.MemberUsage{}
	}
	for _, m := range rows {
		if m.Amount > math.MaxInt64-sum.Amount { // amounts are non-negative
			return billing.Summary{}, fmt.Errorf("%w: the total of team %s over the range", billing.ErrTotalOverflow, teamID)
		}
		sum.Amount += m.Amount
		sum.Records += m.Records
	}
	return sum, nil
}
