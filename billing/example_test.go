package billing_test

import (
	"errors"
	"fmt"

	"github.com/teamkit/teamkit/billing"
)

// A FREE account may own no collaboration team, a TEAM account one by
// default, and a suspended account none at all (TEAM-4).
func ExamplePlans_CheckTeamOwnership() {
	plans := billing.DefaultPlans()
	free := billing.Account{ID: "acct-1", Plan: billing.PlanFree, Status: billing.StatusActive}
	team := billing.Account{ID: "acct-2", Plan: billing.PlanTeam, Status: billing.StatusActive}
	suspended := billing.Account{ID: "acct-3", Plan: billing.PlanEnterprise, Status: billing.StatusSuspended}

	fmt.Println(errors.Is(plans.CheckTeamOwnership(free, 0), billing.ErrSubscriptionRequired))
	fmt.Println(plans.CheckTeamOwnership(team, 0))
	fmt.Println(errors.Is(plans.CheckTeamOwnership(team, 1), billing.ErrTeamLimit))
	fmt.Println(errors.Is(plans.CheckTeamOwnership(suspended, 0), billing.ErrInvalidAccount))
	// Output:
	// true
	// <nil>
	// true
	// true
}

// Debit takes tokens off the balance, or refuses and leaves the account as
// it was (BILL-3).
func ExampleAccount_Debit() {
	acct := billing.Account{ID: "acct-1", Plan: billing.PlanTeam, Status: billing.StatusActive, Balance: 100}

	acct, err := acct.Debit(30)
	fmt.Println(acct.Balance, err)

	_, err = acct.Debit(500)
	var ib *billing.InsufficientBalanceError
	fmt.Println(errors.Is(err, billing.ErrInsufficientBalance), errors.As(err, &ib) && ib.Balance == 70)
	fmt.Println(acct.Balance)
	// Output:
	// 70 <nil>
	// true true
	// 70
}

// Credit adds tokens unless the balance would overflow.
func ExampleAccount_Credit() {
	acct := billing.Account{ID: "acct-1", Status: billing.StatusActive}
	acct, err := acct.Credit(250)
	fmt.Println(acct.Balance, err)

	_, err = acct.Credit(-5)
	fmt.Println(errors.Is(err, billing.ErrInvalidAmount))
	// Output:
	// 250 <nil>
	// true
}
