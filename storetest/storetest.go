package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// Run checks that the stores made by newStore keep every sentence of the
// team.Store contract. It runs one parallel subtest per sentence, named
// "Method/Behaviour" (for example "InsertMember/DuplicateIsConflict"), and
// calls newStore once per subtest, from that subtest, so an implementation
// can hand out a fresh store each time or share one database: every record
// the suite writes has a random ID, email and token hash, so parallel
// subtests never see each other's records.
//
// newStore may use t.Cleanup to release what it made. Run waits for all
// its subtests to end before it returns.
func Run(t *testing.T, newStore func(t *testing.T) team.Store) {
	t.Helper()
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newStore(t))
		})
	}
}

// testCase is one subtest of Run.
type testCase struct {
	name string
	run  func(t *testing.T, s team.Store)
}

func cases() []testCase {
	var all []testCase
	all = append(all, teamCases()...)
	all = append(all, memberCases()...)
	all = append(all, invitationCases()...)
	all = append(all, billingCases()...)
	all = append(all, billing2Cases()...)
	all = append(all, auditCases()...)
	all = append(all, copyCases()...)
	all = append(all, txCases()...)
	all = append(all, userCases()...)
	all = append(all, headCases()...)
	return all
}

// base is the time the fixtures start from, whole seconds in UTC so that
// stores keeping microseconds round-trip it exactly.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns base plus n minutes.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

// randomHex returns n random bytes in hex.
func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("crypto/rand: %v", err)
	}
	return hex.EncodeToString(b)
}

// newID returns a random ID with a readable prefix.
func newID(t *testing.T, prefix string) string {
	t.Helper()
	return prefix + "-" + randomHex(t, 8)
}

// newEmail returns a random normalised email address.
func newEmail(t *testing.T) string {
	t.Helper()
	return "user-" + randomHex(t, 8) + "@example.com"
}

// Fixtures: records with random IDs.

func newTeam(t *testing.T, kind team.Kind, ownerID string) team.Team {
	t.Helper()
	id := newID(t, "team")
	return team.Team{
		ID:        id,
		Kind:      kind,
		Name:      "Team " + id,
		OwnerID:   ownerID,
		Settings:  map[string]string{"color": "blue"},
		CreatedAt: at(0),
		UpdatedAt: at(0),
	}
}

func newMember(t *testing.T, teamID, userID, role string, joined time.Time) team.Member {
	t.Helper()
	return team.Member{
		TeamID:   teamID,
		UserID:   userID,
		Email:    newEmail(t),
		Name:     "Name of " + userID,
		Role:     role,
		JoinedAt: joined,
		Epoch:    1,
	}
}

func newInvitation(t *testing.T, teamID, email string, status team.InvitationStatus) team.Invitation {
	t.Helper()
	return team.Invitation{
		ID:        newID(t, "inv"),
		TeamID:    teamID,
		Email:     email,
		Role:      "member",
		InviterID: newID(t, "inviter"),
		Status:    status,
		TokenHash: randomHex(t, 32),
		CreatedAt: at(0),
		ExpiresAt: at(7 * 24 * 60),
		UpdatedAt: at(0),
	}
}

func newAccount(t *testing.T, userID string) billing.Account {
	t.Helper()
	return billing.Account{
		ID:        newID(t, "acct"),
		UserID:    userID,
		Plan:      billing.PlanTeam,
		Status:    billing.StatusActive,
		Balance:   100,
		CreatedAt: at(0),
		UpdatedAt: at(0),
	}
}

func newUsage(t *testing.T, teamID, userID string, amount int64, when time.Time) billing.UsageRecord {
	t.Helper()
	return billing.UsageRecord{
		ID:             newID(t, "usage"),
		TeamID:         teamID,
		UserID:         userID,
		AccountID:      newID(t, "acct"),
		Amount:         amount,
		Time:           when,
		IdempotencyKey: newID(t, "key"),
		Metadata:       map[string]string{"resource": "agent-1"},
	}
}

// topUp is a top-up with the user of its account, whom LockAccount needs
// before the top-up is inserted.
type topUp struct {
	billing.TopUp
	userID string
}

func newTopUp(t *testing.T, a billing.Account, teamID string) topUp {
	t.Helper()
	return topUp{userID: a.UserID, TopUp: billing.TopUp{
		ID:        newID(t, "topup"),
		AccountID: a.ID,
		TeamID:    teamID,
		ActorID:   newID(t, "user"),
		Amount:    50,
		Time:      at(0),
	}}
}

// newEvents returns n chained events of teamID (Seq 1..n), alternating
// actors and actions, one minute apart.
func newEvents(t *testing.T, teamID string, n int) []audit.Event {
	t.Helper()
	actors := []string{newID(t, "alice"), newID(t, "bob")}
	actions := []audit.Action{audit.TeamUpdated, audit.InvitationSent, audit.MemberRoleChanged}
	var prev audit.Event
	out := make([]audit.Event, n)
	for i := range out {
		e := audit.Seal(audit.Event{
			ID:      newID(t, "event"),
			TeamID:  teamID,
			Time:    at(i),
			ActorID: actors[i%len(actors)],
			Action:  actions[i%len(actions)],
			Target:  fmt.Sprintf("target-%d", i),
			Details: map[string]string{"n": fmt.Sprint(i)},
		}, prev)
		out[i] = e
		prev = e
	}
	return out
}

// insert writes rec with the Tx insert of its type, after the lock team.Tx
// requires for it: its team's for a team's records, its account's for a
// top-up. The team or account must exist, possibly inserted earlier in tx.
func insert(ctx context.Context, tx team.Tx, rec any) error {
	switch r := rec.(type) {
	case team.Team:
		return tx.InsertTeam(ctx, r)
	case team.Member:
		return teamLocked(r.TeamID, func(ctx context.Context, tx team.Tx) error { return tx.InsertMember(ctx, r) })(ctx, tx)
	case team.Invitation:
		return teamLocked(r.TeamID, func(ctx context.Context, tx team.Tx) error { return tx.InsertInvitation(ctx, r) })(ctx, tx)
	case billing.Account:
		return tx.InsertAccount(ctx, r)
	case billing.UsageRecord:
		return teamLocked(r.TeamID, func(ctx context.Context, tx team.Tx) error { return tx.InsertUsage(ctx, r) })(ctx, tx)
	case topUp:
		return accountLocked(r.userID, func(ctx context.Context, tx team.Tx) error { return tx.InsertTopUp(ctx, r.TopUp) })(ctx, tx)
	case audit.Event:
		return teamLocked(r.TeamID, func(ctx context.Context, tx team.Tx) error { return tx.AppendAuditEvent(ctx, r) })(ctx, tx)
	}
	panic(fmt.Sprintf("storetest: no insert for %T", rec))
}

// teamLocked returns a unit of work that locks teamID and then runs write,
// as team.Tx requires before a write to the team's records.
func teamLocked(teamID string, write func(ctx context.Context, tx team.Tx) error) func(ctx context.Context, tx team.Tx) error {
	return func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockTeam(ctx, teamID); err != nil {
			return fmt.Errorf("locking team %s: %w", teamID, err)
		}
		return write(ctx, tx)
	}
}

// accountLocked returns a unit of work that locks userID's billing account
// and then runs write, as team.Tx requires before a write to the account.
func accountLocked(userID string, write func(ctx context.Context, tx team.Tx) error) func(ctx context.Context, tx team.Tx) error {
	return func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockAccount(ctx, userID); err != nil {
			return fmt.Errorf("locking the account of %s: %w", userID, err)
		}
		return write(ctx, tx)
	}
}

// seed inserts the records in one unit of work and fails the test on error.
func seed(t *testing.T, s team.Store, recs ...any) {
	t.Helper()
	err := s.InTx(t.Context(), func(ctx context.Context, tx team.Tx) error {
		for _, r := range recs {
			if err := insert(ctx, tx, r); err != nil {
				return fmt.Errorf("insert %T: %w", r, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seeding the store: %v", err)
	}
}

// mustTx runs fn as a unit of work and fails the test on error.
func mustTx(t *testing.T, s team.Store, fn func(ctx context.Context, tx team.Tx) error) {
	t.Helper()
	if err := s.InTx(t.Context(), fn); err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

// wantTxErr runs fn as a unit of work and requires an error matching want.
func wantTxErr(t *testing.T, s team.Store, want error, fn func(ctx context.Context, tx team.Tx) error) {
	t.Helper()
	err := s.InTx(t.Context(), fn)
	if !errors.Is(err, want) {
		t.Fatalf("InTx error = %v, want one matching %v", err, want)
	}
}

// wantInsertErr inserts rec in a unit of work of its own and requires an
// error matching want.
func wantInsertErr(t *testing.T, s team.Store, want error, rec any) {
	t.Helper()
	wantTxErr(t, s, want, func(ctx context.Context, tx team.Tx) error { return insert(ctx, tx, rec) })
}

// wantErr requires err to match want.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error = %v, want one matching %v", what, err, want)
	}
}

// noErr requires err to be nil.
func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Comparison: stores may hand times back in another location and maps as
// nil or empty, so records are normalised before reflect.DeepEqual.

func normTime(t time.Time) time.Time { return t.UTC().Round(0) }

func normMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func normTeam(x team.Team) team.Team {
	x.Settings = normMap(x.Settings)
	x.CreatedAt, x.UpdatedAt, x.DeletedAt = normTime(x.CreatedAt), normTime(x.UpdatedAt), normTime(x.DeletedAt)
	return x
}

func normMember(x team.Member) team.Member {
	x.JoinedAt = normTime(x.JoinedAt)
	return x
}

func normInvitation(x team.Invitation) team.Invitation {
	x.CreatedAt, x.ExpiresAt, x.UpdatedAt = normTime(x.CreatedAt), normTime(x.ExpiresAt), normTime(x.UpdatedAt)
	return x
}

func normAccount(x billing.Account) billing.Account {
	x.CreatedAt, x.UpdatedAt = normTime(x.CreatedAt), normTime(x.UpdatedAt)
	return x
}

func normUsage(x billing.UsageRecord) billing.UsageRecord {
	x.Time = normTime(x.Time)
	x.Metadata = normMap(x.Metadata)
	return x
}

func normEvent(x audit.Event) audit.Event {
	x.Time = normTime(x.Time)
	x.Details = normMap(x.Details)
	return x
}

// same fails the test unless got equals want after normalising both.
func same[T any](t *testing.T, what string, got, want T, norm func(T) T) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, g, w)
	}
}

// sameList fails the test unless got equals want element by element, in
// order, after normalising.
func sameList[T any](t *testing.T, what string, got, want []T, norm func(T) T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d records, want %d:\n got  %+v\n want %+v", what, len(got), len(want), got, want)
	}
	for i := range got {
		if g, w := norm(got[i]), norm(want[i]); !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: record %d:\n got  %+v\n want %+v", what, i, g, w)
		}
	}
}

// teamIDs, invitationIDs and eventIDs name records in order for messages.

func teamIDs(ts []team.Team) []string {
	out := make([]string, len(ts))
	for i, x := range ts {
		out[i] = x.ID
	}
	return out
}

func invitationIDs(is []team.Invitation) []string {
	out := make([]string, len(is))
	for i, x := range is {
		out[i] = x.ID
	}
	return out
}

func eventIDs(es []audit.Event) []string {
	out := make([]string, len(es))
	for i, x := range es {
		out[i] = x.ID
	}
	return out
}

// sameIDs fails the test unless got and want list the same IDs in order.
func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  [%s]\n want [%s]", what, strings.Join(got, " "), strings.Join(want, " "))
	}
}

// sortedKeys is used in messages and expectations.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
