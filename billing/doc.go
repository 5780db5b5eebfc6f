// Package billing holds the billing types of teamkit and their pure rules:
// each user's personal billing Account (a token balance, a Plan and a
// Status, BILL-1), the usage ledger's UsageRecord (BILL-2), TopUp, the
// usage analytics' Summary (BILL-5), and the plan limits on owning
// collaboration teams (Plans, TEAM-4). It stores nothing and knows no
// teams or roles: the team package's Service applies these rules inside
// its units of work, and every refusal here matches one of the package's
// sentinel errors with errors.Is.
//
// The main calls are Account.Debit, which refuses a charge the balance
// cannot pay (ErrInsufficientBalance, BILL-3) and leaves the account
// unchanged, Account.Credit, which refuses amounts that would overflow, and
// Plans.CheckTeamOwnership, which decides whether an account holder may
// own one more collaboration team:
//
//	acct, err := acct.Debit(120)
//	if errors.Is(err, billing.ErrInsufficientBalance) {
//		// ask the team owner to top up
//	}
//	err = billing.DefaultPlans().CheckTeamOwnership(acct, owned)
package billing
