package billing_test

import (
	"strings"
	"testing"

	"github.com/teamkit/teamkit/internal/golden"
	"time"

	"github.com/teamkit/teamkit/billing"
)

// checkGolden is golden.JSON: the shape of v against testdata/name.
func checkGolden(t *testing.T, name string, v, want any) {
	t.Helper()
	golden.JSON(t, name, v, want)
}

var (
	created = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)
	updated = time.Date(2025, 3, 15, 10, 0, 0, 0, time.UTC)
)

// TestJSONShapes pins the JSON of every record type of the package: snake
// case names, RFC 3339 times, optional fields left out.
func TestJSONShapes(t *testing.T) {
	cases := []struct {
		file string
		v    any
	}{
		{"account.json", billing.Account{
			ID: "acct-1", UserID: "user-1", Plan: billing.PlanTeam, Status: billing.StatusActive,
			Balance: 12500, CreatedAt: created, UpdatedAt: updated,
		}},
		{"usage_record.json", billing.UsageRecord{
			ID: "use-1", TeamID: "team-1", UserID: "user-2", AccountID: "acct-1", Amount: 120,
			Time: updated, IdempotencyKey: "req-42", Metadata: map[string]string{"model": "small", "resource": "agent-7"},
		}},
		{"usage_record_no_metadata.json", billing.UsageRecord{
			ID: "use-2", TeamID: "team-1", UserID: "user-2", AccountID: "acct-1", Amount: 1,
			Time: updated, IdempotencyKey: "req-43",
		}},
		{"top_up.json", billing.TopUp{
			ID: "top-1", AccountID: "acct-1", TeamID: "team-1", ActorID: "user-1", Amount: 10000, Time: created,
			IdempotencyKey: "pay-7",
		}},
		{"top_up_by_host.json", billing.TopUp{
			ID: "top-2", AccountID: "acct-1", ActorID: "teamkit system", Amount: 500, Time: created,
		}},
		// Rule BILL-9: a ledger line.
		{"ledger_entry.json", billing.LedgerEntry{
			Kind: billing.EntryUsage, ID: "use-1", Time: updated, AccountID: "acct-1", TeamID: "team-1",
			UserID: "user-2", Amount: 120, IdempotencyKey: "req-42", Metadata: map[string]string{"model": "small"},
		}},
		// Rule BILL-10: a series point and a breakdown.
		{"series_point.json", billing.SeriesPoint{Start: updated, UserID: "user-2", Amount: 120, Records: 2}},
		{"breakdown.json", billing.Breakdown{
			Key: "model", From: created, To: updated, Amount: 131, Records: 5,
			Rows: []billing.BreakdownRow{
				{Value: "large", Amount: 100, Records: 1},
				{Value: "", Amount: 20, Records: 2, Missing: true},
				{Value: "", Amount: 11, Records: 2, Other: true},
			},
		}},
		// Rule BILL-12: a statement.
		{"statement.json", billing.Statement{
			AccountID: "acct-1", UserID: "user-1", From: created, To: updated,
			Opening: 1000,
			TopUps: []billing.TopUp{{
				ID: "top-1", AccountID: "acct-1", ActorID: "teamkit system", Amount: 500, Time: created,
				IdempotencyKey: "pay-7",
			}},
			TopUpTotal: 500,
			Charges: []billing.TeamCharges{{
				TeamID: "team-1", Amount: 121, Records: 3,
				Members: []billing.MemberUsage{{UserID: "user-1", Amount: 1, Records: 1}, {UserID: "user-2", Amount: 120, Records: 2}},
			}},
			ChargeTotal: 121,
			Closing:     1379,
		}},
		{"statement_empty.json", billing.Statement{
			AccountID: "acct-1", UserID: "user-1", From: created, To: updated, Opening: 7, Closing: 7,
			TopUps: []billing.TopUp{}, Charges: []billing.TeamCharges{},
		}},
		{"summary.json", billing.Summary{
			TeamID: "team-1", From: created, To: updated, Amount: 121, Records: 3,
			Members: []billing.MemberUsage{{UserID: "user-1", Amount: 1, Records: 1}, {UserID: "user-2", Amount: 120, Records: 2}},
		}},
		{"summary_empty.json", billing.Summary{TeamID: "team-1", From: created, To: updated}},
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.file, ".json"), func(t *testing.T) {
			checkGolden(t, c.file, c.v, c.v)
		})
	}
}
