package team

import (
	"context"

	"github.com/teamkit/teamkit/billing"
)

// PlanInfo is one of the service's plans with the seat limit its holders'
// teams get (Seats: the plan's own, or the service's default).
type PlanInfo struct {
	billing.PlanSpec
	Seats int `json:"seats"`
}

// Plans (BILL-7): the seat limit a plan sets for the teams its holder owns.

// Plans returns the service's plans (WithPlans).
func (s *Service) Plans() []PlanInfo {
	specs := s.plans.Specs()
	out := make([]PlanInfo, len(specs))
	for i, p := range specs {
		seats := p.SeatLimit
		if seats == 0 {
			seats = s.seatLimit
		}
		out[i] = PlanInfo{PlanSpec: p, Seats: seats}
	}
	return out
}

// seatLimitOf returns the seat limit of t (INV-3): its owner's plan's, when
// the plan sets one (BILL-7), else the service's. A missing account or an
// undefined plan keeps the service's limit. It reads the owner's account
// without locking it: a plan change racing an invitation is decided by
// whichever commits first.
func (s *Service) seatLimitOf(ctx context.Context, r Reader, t Team) int {
	acct, err := r.Account(ctx, t.OwnerID)
	if err != nil {
		return s.seatLimit
	}
	if p, err := s.plans.Lookup(acct.Plan); err == nil && p.SeatLimit > 0 {
		return p.SeatLimit
	}
	return s.seatLimit
}

// checkAcceptSeat refuses a new member of t, locked in tx, when its
// members alone already fill its seat limit: the accepted invitation held
// a seat under a larger limit (BILL-7, INV-3).
func (s *Service) checkAcceptSeat(ctx context.Context, tx Tx, t Team) error {
	ms, err := tx.Members(ctx, t.ID)
	if err != nil {
		return err
	}
	if limit := s.seatLimitOf(ctx, tx, t); len(ms) >= limit {
		return &SeatLimitError{TeamID: t.ID, Limit: limit, Used: len(ms)}
	}
	return nil
}
