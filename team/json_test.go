package team_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/internal/golden"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
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
	inv := team.Invitation{
		ID: "inv-1", TeamID: "team-1", Email: "ana@example.com", Role: "admin", InviterID: "user-1",
		Status: team.InvitationPending, TokenHash: strings.Repeat("ab", 32),
		CreatedAt: created, ExpiresAt: created.Add(7 * 24 * time.Hour), UpdatedAt: updated,
	}
	noHash := inv
	noHash.TokenHash = ""
	cases := []struct {
		file    string
		v, want any
	}{
		{"user.json", team.User{ID: "user-1", Email: "ana@example.com", Name: "Ana"}, nil},
		{"user_no_name.json", team.User{ID: "user-2", Email: "bo@example.com"}, nil},
		{"team.json", team.Team{
			ID: "team-1", Kind: team.Collaboration, Name: "Acme", OwnerID: "user-1",
			Settings: map[string]string{"locale": "en", "theme": "dark"}, CreatedAt: created, UpdatedAt: updated,
		}, nil},
		{"team_deleted.json", team.Team{
			ID: "team-2", Kind: team.Personal, Name: "Ana", OwnerID: "user-1",
			CreatedAt: created, UpdatedAt: updated, DeletedAt: updated.Add(time.Hour),
		}, nil},
		{"member.json", team.Member{
			TeamID: "team-1", UserID: "user-1", Email: "ana@example.com", Name: "Ana", Role: "owner",
			JoinedAt: created, Epoch: uint64(created.UnixMicro()),
		}, nil},
		{"invitation.json", inv, noHash},
		{"resource.json", team.Resource{Type: "agent", ID: "agent-7", CreatorID: "user-1"}, nil},
		// Rule BILL-9: a ledger page.
		{"ledger_page.json", team.LedgerPage{Entries: []billing.LedgerEntry{
			{Kind: billing.EntryTopUp, ID: "top-1", Time: created, AccountID: "acct-1", UserID: team.SystemActor, Amount: 500, IdempotencyKey: "pay-7"},
			{Kind: billing.EntryUsage, ID: "use-1", Time: updated, AccountID: "acct-1", TeamID: "team-1", UserID: "user-2", Amount: 120,
				IdempotencyKey: "req-42", Metadata: map[string]string{"model": "small"}},
		}, NextCursor: "AQAABgxEXs5gdXNlLTE"}, nil},
		// Rule BILL-7: a plan as the service reports it.
		{"plan_info.json", team.PlanInfo{PlanSpec: billing.PlanSpec{Name: "PRO", TeamLimit: 3, SeatLimit: 5}, Seats: 5}, nil},
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.file, ".json"), func(t *testing.T) {
			want := c.want
			if want == nil {
				want = c.v
			}
			checkGolden(t, c.file, c.v, want)
		})
	}
}

// TestInvitationJSONHasNoTokenHash: json.Marshal of an invitation contains
// no token hash, so a host that sends an invitation to a client as it is
// cannot leak it.
//
// Rule INV-4 (the token is stored only as a hash, and the hash stays
// inside), Rule SEC-4, Rule HTTP-4 (secrets never appear in a response).
func TestInvitationJSONHasNoTokenHash(t *testing.T) {
	hash := strings.Repeat("0123456789abcdef", 4)
	inv := team.Invitation{ID: "inv-1", TeamID: "team-1", Email: "ana@example.com", Role: "member",
		Status: team.InvitationPending, TokenHash: hash, CreatedAt: created, ExpiresAt: updated, UpdatedAt: created}
	for _, v := range []any{inv, &inv, []team.Invitation{inv}, map[string]any{"invitation": inv}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(hash)) || bytes.Contains(bytes.ToLower(b), []byte("token")) {
			t.Fatalf("json.Marshal(%T) = %s: holds the token hash", v, b)
		}
	}
}
