package team

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
)

// SystemActor is the ActorID by which the host itself acts on a billing
// account (BILL-8): a payment webhook topping up, a fraud check
// suspending. It is an explicit value, never the empty string, so a
// forgotten actor ID is refused (ErrInvalidInput) rather than taken for the
// host. It contains a space, which every user ID is refused for, so no user
// can ever hold it; audit events of the host's acts carry it as ActorID.
// Only the account operations (ChangePlan, TopUp, SetAccountStatus) and
// the account reads (AccountAuditLog, Ledger, Statement) accept it; every
// other method refuses it as an invalid ID.
const SystemActor = "teamkit system"

// AccountRef names the billing account an operation acts on and says who
// acts and through which team (BILL-8). It is embedded in the parameters of
// the account operations.
//
// The account is AccountUserID's. The actor may be
//   - SystemActor, the host itself;
//   - the account holder (ActorID == AccountUserID);
//   - a member with the billing permission in TeamID, a team billed to the
//     account (one its holder owns).
//
// TeamID is optional for the host and the holder; when set it must be a
// live team billed to the account, a user actor must be a member of it
// with the permission, and it is recorded with the act. For
// compatibility with the calls of billing v1, an empty AccountUserID with
// a TeamID means that team's billing account (its owner's).
type AccountRef struct {
	// ActorID is the acting user, or SystemActor.
	ActorID string
	// AccountUserID is the user whose billing account is meant.
	AccountUserID string
	// TeamID is the team the actor acts through; see AccountRef.
	TeamID string
}

// accountAccess is the outcome of resolving an AccountRef.
type accountAccess struct {
	acct billing.Account // locked when resolved in a unit of work
	team Team            // the team acted through, if any
}

// checkRef validates ref's IDs: the actor (SystemActor allowed), the
// account's user and the team, of which one of the last two is needed.
func checkRef(ref AccountRef) error {
	if ref.ActorID != SystemActor {
		if err := checkID("actor_id", ref.ActorID); err != nil {
			return err
		}
	}
	if ref.AccountUserID == "" && ref.TeamID == "" {
		return invalid("account_user_id", "is empty; name the account by its user (or pass the team it is billed through)")
	}
	if ref.AccountUserID != "" {
		if err := checkID("account_user_id", ref.AccountUserID); err != nil {
			return err
		}
	}
	if ref.TeamID != "" {
		if err := checkID("team_id", ref.TeamID); err != nil {
			return err
		}
	}
	return nil
}

// resolveAccount checks that ref's actor may act on ref's account with
// perm (rbac.Billing for operations) and returns the account. With lock it
// runs in a unit of work and locks the team acted through (if any), then
// the account; otherwise it reads committed data through r.
func (s *Service) resolveAccount(ctx context.Context, r Reader, ref AccountRef, perms []rbac.Permission, doing string, lock bool) (accountAccess, error) {
	var out accountAccess
	userID := ref.AccountUserID
	if ref.TeamID != "" {
		var (
			t    Team
			role rbac.Role
			err  error
		)
		// Acting through a team, users (the holder too) act as its
		// members: a deleted team or a non-member looks alike (TEAM-6).
		member := ref.ActorID != SystemActor
		switch {
		case member && lock:
			t, _, role, err = s.lockAs(ctx, r.(Tx), ref.ActorID, ref.TeamID, membersOnly, "")
		case member:
			t, _, role, err = s.readAs(ctx, r, ref.ActorID, ref.TeamID, membersOnly, "")
		case lock:
			t, err = live(r.(Tx).LockTeam(ctx, ref.TeamID))
		default:
			t, err = live(r.Team(ctx, ref.TeamID))
		}
		if errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("teamkit: team %s: %w", ref.TeamID, err)
		}
		if err != nil {
			return out, err
		}
		if member {
			if err := requireAny(role, perms, doing); err != nil {
				return out, err
			}
		}
		if userID == "" {
			userID = t.OwnerID
		}
		if t.OwnerID != userID {
			return out, fmt.Errorf("%w: team %s is not billed to the account of user %s; act through a team that user owns", ErrPermissionDenied, t.ID, userID)
		}
		out.team = t
	} else if ref.ActorID != SystemActor && ref.ActorID != userID {
		return out, fmt.Errorf("%w: only the account holder, the host (SystemActor) or a member with the %s permission in a team billed to the account may %s; pass that team as TeamID", ErrPermissionDenied, rbac.Billing, doing)
	}
	var err error
	if lock {
		out.acct, err = r.(Tx).LockAccount(ctx, userID)
	} else {
		out.acct, err = r.Account(ctx, userID)
	}
	if errors.Is(err, ErrNotFound) {
		return out, fmt.Errorf("%w: user %s has no billing account; register the user with EnsurePersonalTeam", billing.ErrInvalidAccount, userID)
	}
	return out, err
}

// requireAny is require for the first of perms the role has.
func requireAny(role rbac.Role, perms []rbac.Permission, doing string) error {
	for _, p := range perms {
		if role.Can(p) {
			return nil
		}
	}
	return require(role, perms[0], doing)
}

var billingPerm = []rbac.Permission{rbac.Billing}

// recordAccount appends one audit event by actorID to the trail of acct,
// which the unit of work has locked (BILL-8).
func (s *Service) recordAccount(ctx context.Context, tx Tx, actorID string, acct billing.Account, action audit.Action, details map[string]string) error {
	prev, err := tx.LastAccountAuditEvent(ctx, acct.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	details["user_id"] = acct.UserID
	e := audit.Seal(audit.Event{
		ID:      s.newID(),
		TeamID:  acct.ID,
		Time:    s.now().UTC(),
		ActorID: actorID,
		Action:  action,
		Target:  acct.ID,
		Details: details,
	}, prev)
	return tx.AppendAccountAuditEvent(ctx, e)
}

// saveAccount stores acct, changed now, and records action on it in its
// trail, with the team acted through, if any.
func (s *Service) saveAccount(ctx context.Context, tx Tx, ref AccountRef, a accountAccess, acct billing.Account, action audit.Action, details map[string]string) (billing.Account, error) {
	acct.UpdatedAt = s.now().UTC()
	if err := tx.UpdateAccount(ctx, acct); err != nil {
		return billing.Account{}, err
	}
	if a.team.ID != "" {
		details["team_id"] = a.team.ID
	}
	if err := s.recordAccount(ctx, tx, ref.ActorID, acct, action, details); err != nil {
		return billing.Account{}, err
	}
	return acct, nil
}

// TopUpParams are the arguments of TopUp.
type TopUpParams struct {
	// ActorID is the acting user, or SystemActor (see AccountRef).
	ActorID string
	// AccountUserID is the user whose account is credited.
	AccountUserID string
	// TeamID is the team the actor acts through (see AccountRef): needed
	// for a member with the billing permission, optional otherwise.
	TeamID string
	// Amount is the number of tokens to credit; it must be positive.
	Amount int64
	// IdempotencyKey identifies the top-up within the account (BILL-8,
	// with BILL-4's semantics): a retry with the same key and amount
	// credits nothing, a different amount is ErrIdempotencyConflict. Set
	// it whenever the call can be retried, as a payment webhook's is (the
	// payment's ID makes a good key); "" makes every call a new credit.
	// At most 128 bytes of valid UTF-8 without control characters.
	IdempotencyKey string
}

func (p TopUpParams) ref() AccountRef { return AccountRef{p.ActorID, p.AccountUserID, p.TeamID} }

// TopUp credits p.Amount tokens to the billing account of p.AccountUserID
// (BILL-8) and returns the account. The credit is stored as a
// billing.TopUp and audited as audit.BillingTopUp in the account's trail
// (AccountAuditLog), in one unit of work. A suspended account can be
// topped up.
//
// With p.IdempotencyKey set, a retry with the same key and amount returns
// the account as it is now and credits nothing, however many retries run
// at once; the same key with another amount is refused with
// ErrIdempotencyConflict.
//
// Errors match ErrInvalidInput, ErrInvalidAmount (not positive, or the
// balance would overflow), ErrNotMember, ErrPermissionDenied,
// ErrIdempotencyConflict or ErrInvalidAccount (the user has no account);
// nothing changes on any of them.
func (s *Service) TopUp(ctx context.Context, p TopUpParams) (billing.Account, error) {
	ref := p.ref()
	if err := checkRef(ref); err != nil {
		return billing.Account{}, err
	}
	if p.Amount <= 0 {
		return billing.Account{}, fmt.Errorf("%w: top-up amount must be positive, got %d", billing.ErrInvalidAmount, p.Amount)
	}
	if p.IdempotencyKey != "" {
		if err := checkText(textField{field: "idempotency_key", limit: MaxIdempotencyKeyLength}, p.IdempotencyKey); err != nil {
			return billing.Account{}, err
		}
	}
	var out billing.Account
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		a, err := s.resolveAccount(ctx, tx, ref, billingPerm, "top up the billing account", true)
		if err != nil {
			return err
		}
		acct := a.acct
		if p.IdempotencyKey != "" {
			prev, err := tx.TopUpByKey(ctx, acct.ID, p.IdempotencyKey)
			switch {
			case err == nil:
				if prev.Amount != p.Amount {
					return fmt.Errorf("%w: top-up key %q of account %s credited %d tokens; use a new key for a new top-up",
						billing.ErrIdempotencyConflict, p.IdempotencyKey, acct.ID, prev.Amount)
				}
				out = acct
				return nil
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		credited, err := acct.Credit(p.Amount)
		if err != nil {
			return fmt.Errorf("teamkit: topping up the account of user %s: %w", acct.UserID, err)
		}
		if err := tx.InsertTopUp(ctx, billing.TopUp{
			ID:             s.newID(),
			AccountID:      acct.ID,
			TeamID:         a.team.ID,
			ActorID:        p.ActorID,
			Amount:         p.Amount,
			Time:           s.now().UTC(),
			IdempotencyKey: p.IdempotencyKey,
		}); err != nil {
			return err
		}
		details := map[string]string{
			"amount":  strconv.FormatInt(p.Amount, 10),
			"balance": strconv.FormatInt(credited.Balance, 10),
		}
		if p.IdempotencyKey != "" {
			details["idempotency_key"] = p.IdempotencyKey
		}
		out, err = s.saveAccount(ctx, tx, ref, a, credited, audit.BillingTopUp, details)
		return err
	})
	if err != nil {
		return billing.Account{}, err
	}
	return out, nil
}

// ChangePlanParams are the arguments of ChangePlan.
type ChangePlanParams struct {
	// ActorID is the acting user, or SystemActor (see AccountRef).
	ActorID string
	// AccountUserID is the user whose account changes plan.
	AccountUserID string
	// TeamID is the team the actor acts through (see AccountRef).
	TeamID string
	// Plan is the new plan, one of the service's plans (WithPlans).
	Plan billing.Plan
}

func (p ChangePlanParams) ref() AccountRef { return AccountRef{p.ActorID, p.AccountUserID, p.TeamID} }

// ChangePlan sets the plan of p.AccountUserID's billing account (BILL-8)
// and returns the account. The change is audited as
// audit.BillingPlanChanged in the account's trail; asking for the plan the
// account already has changes and records nothing. A lower plan does not
// touch teams already owned; it only limits new ones (TEAM-4) and, when it
// sets a seat limit, new invitations (BILL-7).
//
// Errors match ErrInvalidInput (also billing.ErrUnknownPlan, listing the
// defined plans), ErrNotMember, ErrPermissionDenied or ErrInvalidAccount
// (the user has no account); nothing changes on any of them.
func (s *Service) ChangePlan(ctx context.Context, p ChangePlanParams) (billing.Account, error) {
	ref := p.ref()
	if err := checkRef(ref); err != nil {
		return billing.Account{}, err
	}
	if _, err := s.plans.Lookup(p.Plan); err != nil {
		return billing.Account{}, fmt.Errorf("%w: %w", &InputError{Field: "plan", Problem: "is not a defined plan"}, err)
	}
	var out billing.Account
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		a, err := s.resolveAccount(ctx, tx, ref, billingPerm, "change the plan", true)
		if err != nil {
			return err
		}
		acct := a.acct
		if acct.Plan == p.Plan {
			out = acct
			return nil
		}
		from := acct.Plan
		acct.Plan = p.Plan
		out, err = s.saveAccount(ctx, tx, ref, a, acct, audit.BillingPlanChanged,
			map[string]string{"from": string(from), "to": string(p.Plan)})
		return err
	})
	if err != nil {
		return billing.Account{}, err
	}
	return out, nil
}

// SetAccountStatusParams are the arguments of SetAccountStatus.
type SetAccountStatusParams struct {
	// ActorID is the acting user, or SystemActor (see AccountRef).
	ActorID string
	// AccountUserID is the user whose account changes status.
	AccountUserID string
	// TeamID is the team the actor acts through (see AccountRef).
	TeamID string
	// Status is billing.StatusActive (reactivate) or
	// billing.StatusSuspended (suspend).
	Status billing.Status
}

func (p SetAccountStatusParams) ref() AccountRef {
	return AccountRef{p.ActorID, p.AccountUserID, p.TeamID}
}

// SetAccountStatus suspends or reactivates p.AccountUserID's billing
// account (BILL-8) and returns it; hosts call it as SystemActor for payment
// failures and fraud holds. A suspended account can neither pay for usage
// (ErrInvalidAccount from RecordUsage) nor entitle its holder to own more
// collaboration teams (TEAM-4) or take over one (OWN-4). The change is
// audited as audit.BillingStatusChanged in the account's trail; setting the
// status the account already has changes and records nothing. The rule
// allows the holder to reactivate their own account too: a host that puts
// holds its users must not lift should keep them in its own records (or
// refuse the charges with WithEntitlement and its own checks).
//
// A closed account (billing.StatusClosed, USER-2) is never reactivated.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied or
// ErrInvalidAccount (no account, or it is closed).
func (s *Service) SetAccountStatus(ctx context.Context, p SetAccountStatusParams) (billing.Account, error) {
	ref := p.ref()
	if err := checkRef(ref); err != nil {
		return billing.Account{}, err
	}
	if p.Status != billing.StatusActive && p.Status != billing.StatusSuspended {
		return billing.Account{}, invalid("status", "%q is not %s or %s", p.Status, billing.StatusActive, billing.StatusSuspended)
	}
	var out billing.Account
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		a, err := s.resolveAccount(ctx, tx, ref, billingPerm, "change the account status", true)
		if err != nil {
			return err
		}
		acct := a.acct
		if acct.Status == billing.StatusClosed {
			return fmt.Errorf("%w: account %s of user %s was closed when the user was offboarded; closed accounts are never reactivated", billing.ErrInvalidAccount, acct.ID, acct.UserID)
		}
		if acct.Status == p.Status {
			out = acct
			return nil
		}
		from := acct.Status
		acct.Status = p.Status
		out, err = s.saveAccount(ctx, tx, ref, a, acct, audit.BillingStatusChanged,
			map[string]string{"from": string(from), "to": string(p.Status)})
		return err
	})
	if err != nil {
		return billing.Account{}, err
	}
	return out, nil
}

// AccountAuditLogParams are the arguments of AccountAuditLog.
type AccountAuditLogParams struct {
	// ActorID is the account holder, or SystemActor for the host.
	ActorID string
	// AccountUserID is the user whose account's trail is read.
	AccountUserID string
	// Query selects the events and the page, as in AuditLog.
	Query audit.Query
}

// AccountAuditLog returns one page of the audit trail of
// p.AccountUserID's billing account (BILL-8): its plan changes, top-ups
// and status changes, as p.Query asks (AUD-3's paging). Events carry the
// account's ID in TeamID. The holder reads their own trail; the host reads
// any as SystemActor.
//
// Errors match ErrInvalidInput (also audit.ErrInvalidCursor),
// ErrPermissionDenied or ErrInvalidAccount (the user has no account).
func (s *Service) AccountAuditLog(ctx context.Context, p AccountAuditLogParams) (audit.Page, error) {
	ref := AccountRef{ActorID: p.ActorID, AccountUserID: p.AccountUserID}
	if p.AccountUserID == "" {
		return audit.Page{}, invalid("account_user_id", "is empty; name the account by its user")
	}
	if err := checkRef(ref); err != nil {
		return audit.Page{}, err
	}
	f, err := queryFilter(p.Query)
	if err != nil {
		return audit.Page{}, err
	}
	a, err := s.resolveAccount(ctx, s.store, ref, billingPerm, "read the account's audit trail", false)
	if err != nil {
		return audit.Page{}, err
	}
	limit := f.Limit
	f.Limit++
	events, err := s.store.AccountAuditEvents(ctx, a.acct.ID, f)
	if err != nil {
		return audit.Page{}, err
	}
	return audit.NewPage(events, limit), nil
}
