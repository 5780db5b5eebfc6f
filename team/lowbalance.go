package team

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/teamkit/teamkit/billing"
)

// DefaultLowBalanceInterval is how often, at most, an account holder is
// told that charges to their account are refused for lack of balance
// (BILL-11).
const DefaultLowBalanceInterval = time.Hour

// LowBalanceMessage is what a LowBalanceNotifier delivers (BILL-11): a
// charge to the holder's account was refused for lack of balance.
type LowBalanceMessage struct {
	// AccountID and UserID name the account and its holder, whom to tell.
	AccountID string
	UserID    string
	// TeamID is the team whose charge was refused and MemberID the member
	// whose use it was.
	TeamID   string
	MemberID string
	// Balance is the account's balance and Amount the refused charge.
	Balance int64
	Amount  int64
	// Time is when the charge was refused.
	Time time.Time
}

// LowBalanceNotifier is an optional interface of the Notifier (WithNotifier):
// when the Notifier has it, the service tells account holders that a
// charge was refused for lack of balance (BILL-11), at most once per
// interval per account (WithLowBalanceInterval, default one hour). The
// service calls it after the refused charge's unit of work, in the
// caller's goroutine, with the caller's context; its error is ignored, so
// it never fails the caller (a failed notice frees the interval for the
// next refusal). Implementations should return promptly, say by queueing
// the email.
type LowBalanceNotifier interface {
	NotifyLowBalance(ctx context.Context, msg LowBalanceMessage) error
}

// WithLowBalanceInterval sets how often, at most, one account's holder is
// told of refused charges (BILL-11; default one hour, must be positive).
func WithLowBalanceInterval(d time.Duration) Option {
	return func(s *Service) { s.lowBalance.interval = d }
}

// lowBalanceGate rate-limits low-balance notices per account.
type lowBalanceGate struct {
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time // account ID -> last notice claimed
}

// claim reports whether a notice for accountID may go out at now, and if
// so records it; release undoes a claim whose notice failed.
func (g *lowBalanceGate) claim(accountID string, now time.Time) (prev time.Time, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[string]time.Time{}
	}
	prev, had := g.last[accountID]
	if had && now.Sub(prev) < g.interval && !now.Before(prev) {
		return prev, false
	}
	if len(g.last) >= 4096 { // forget accounts whose interval is over
		for id, t := range g.last {
			if now.Sub(t) >= g.interval {
				delete(g.last, id)
			}
		}
	}
	g.last[accountID] = now
	return prev, true
}

func (g *lowBalanceGate) release(accountID string, claimed, prev time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last[accountID].Equal(claimed) {
		if prev.IsZero() {
			delete(g.last, accountID)
		} else {
			g.last[accountID] = prev
		}
	}
}

// noticeLowBalance tells the holder of the account err refused a charge
// for (BILL-11), when err is one and the Notifier can; outside any unit of
// work, never failing the caller.
func (s *Service) noticeLowBalance(ctx context.Context, err error, p *RecordUsageParams) {
	n, ok := s.notifier.(LowBalanceNotifier)
	if !ok {
		return
	}
	var ib *billing.InsufficientBalanceError
	if !errors.As(err, &ib) || ib.AccountID == "" {
		return
	}
	now := s.now()
	prev, ok := s.lowBalance.claim(ib.AccountID, now)
	if !ok {
		return
	}
	msg := LowBalanceMessage{
		AccountID: ib.AccountID, UserID: ib.UserID, TeamID: p.TeamID, MemberID: p.ActorID,
		Balance: ib.Balance, Amount: ib.Amount, Time: now,
	}
	if nerr := safeNotify(ctx, n, msg); nerr != nil {
		s.lowBalance.release(ib.AccountID, now, prev)
	}
}

// safeNotify calls n, turning a panic into an error.
func safeNotify(ctx context.Context, n LowBalanceNotifier, msg LowBalanceMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("teamkit: low-balance notifier panicked: %v", r)
		}
	}()
	return n.NotifyLowBalance(ctx, msg)
}
