package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

func txCases() []testCase {
	return []testCase{
		{"InTx/CommitMakesWritesVisible", testCommitVisible},
		{"InTx/ErrorRollsBackAndIsReturned", testRollbackOnError},
		{"InTx/PanicRollsBackAndRepanics", testRollbackOnPanic},
		{"InTx/ReadsSeeOwnWrites", testReadsSeeOwnWrites},
		{"InTx/OutsideReadersSeeOnlyCommitted", testIsolation},
		{"InTx/LockTeamSerializesUnits", testLockTeamSerializes},
		{"InTx/LockAccountSerializesUnits", testLockAccountSerializes},
		{"InTx/ConcurrentMembershipInsertsConflict", testConcurrentMembers},
		{"InTx/ConcurrentPersonalTeamInsertsConflict", testConcurrentPersonal},
		{"InTx/ConcurrentPendingInvitationsConflict", testConcurrentInvitations},
		{"InTx/ContextDoneBeforeStart", testCancelledBeforeStart},
		{"InTx/ContextDoneWhileRunningRollsBack", testCancelledWhileRunning},
		{"InTx/ContextDoneWhileWaitingForLock", testCancelledWhileWaiting},
	}
}

var errBoom = errors.New("storetest: boom")

// world is a set of committed records and a way to check that nothing of
// a failed unit of work is left: before holds them as committed, fresh
// holds the records that unit inserts.
type world struct {
	tm       team.Team
	member   team.Member
	inv      team.Invitation
	acct     billing.Account
	usage    billing.UsageRecord
	events   []audit.Event
	newTeam  team.Team
	newMem   team.Member
	newInv   team.Invitation
	newAcct  billing.Account
	newUsage billing.UsageRecord
	newTopUp topUp
	newEvent audit.Event
}

func newWorld(t *testing.T, s team.Store) *world {
	t.Helper()
	owner := newID(t, "user")
	w := &world{tm: newTeam(t, team.Personal, owner)}
	w.member = newMember(t, w.tm.ID, owner, "owner", at(0))
	w.inv = newInvitation(t, w.tm.ID, newEmail(t), team.InvitationPending)
	w.acct = newAccount(t, owner)
	w.usage = newUsage(t, w.tm.ID, owner, 5, at(1))
	w.events = newEvents(t, w.tm.ID, 3)
	seed(t, s, w.tm, w.member, w.inv, w.acct, w.usage, w.events[0], w.events[1])

	w.newTeam = newTeam(t, team.Collaboration, owner)
	w.newMem = newMember(t, w.tm.ID, newID(t, "user"), "member", at(2))
	w.newInv = newInvitation(t, w.tm.ID, newEmail(t), team.InvitationPending)
	w.newAcct = newAccount(t, newID(t, "user"))
	w.newUsage = newUsage(t, w.tm.ID, owner, 7, at(2))
	w.newTopUp = newTopUp(t, w.acct, w.tm.ID)
	w.newEvent = w.events[2]
	return w
}

// change writes into tx: every kind of insert, update and delete, after
// the locks they need (team.Tx).
func (w *world) change(ctx context.Context, tx team.Tx) error {
	upd := w.tm
	upd.Kind, upd.Name, upd.Settings = team.Collaboration, "Changed", map[string]string{"color": "red"}
	mem := w.member
	mem.Role, mem.Epoch = "admin", mem.Epoch+1
	inv := w.inv
	inv.Status, inv.TokenHash = team.InvitationCancelled, w.newInv.TokenHash+"0"
	acct := w.acct
	acct.Balance = 1
	steps := []func() error{
		func() error { _, err := tx.LockTeam(ctx, w.tm.ID); return err },
		func() error { _, err := tx.LockAccount(ctx, w.acct.UserID); return err },
		func() error { return tx.InsertTeam(ctx, w.newTeam) },
		func() error { return tx.UpdateTeam(ctx, upd) },
		func() error { return tx.UpdateMember(ctx, mem) },
		func() error { return tx.InsertMember(ctx, w.newMem) },
		func() error { return tx.UpdateInvitation(ctx, inv) },
		func() error { return tx.InsertInvitation(ctx, w.newInv) },
		func() error { return tx.InsertAccount(ctx, w.newAcct) },
		func() error { return tx.UpdateAccount(ctx, acct) },
		func() error { return tx.InsertUsage(ctx, w.newUsage) },
		func() error { return tx.InsertTopUp(ctx, w.newTopUp.TopUp) },
		func() error { return tx.AppendAuditEvent(ctx, w.newEvent) },
		func() error { return tx.DeleteMember(ctx, w.newMem.TeamID, w.newMem.UserID) },
		func() error { return tx.DeleteTeamMembers(ctx, w.tm.ID) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("write %d: %w", i, err)
		}
	}
	return nil
}

// unchanged checks that the store holds exactly what newWorld committed.
func (w *world) unchanged(t *testing.T, s team.Store) {
	t.Helper()
	ctx := t.Context()
	got, err := s.Team(ctx, w.tm.ID)
	noErr(t, "Team", err)
	same(t, "Team", got, w.tm, normTeam)
	got, err = s.PersonalTeam(ctx, w.tm.OwnerID)
	noErr(t, "PersonalTeam", err)
	same(t, "PersonalTeam", got, w.tm, normTeam)
	_, err = s.Team(ctx, w.newTeam.ID)
	wantErr(t, "Team inserted by the failed unit", err, team.ErrNotFound)
	n, err := s.CountOwnedTeams(ctx, w.tm.OwnerID, team.Collaboration)
	noErr(t, "CountOwnedTeams", err)
	if n != 0 {
		t.Fatalf("CountOwnedTeams = %d, want 0", n)
	}
	ms, err := s.Members(ctx, w.tm.ID)
	noErr(t, "Members", err)
	sameList(t, "Members", ms, []team.Member{w.member}, normMember)
	teams, err := s.TeamsOfUser(ctx, w.newMem.UserID)
	noErr(t, "TeamsOfUser", err)
	if len(teams) != 0 {
		t.Fatalf("TeamsOfUser of the member the failed unit added = %v, want none", teamIDs(teams))
	}
	invs, err := s.Invitations(ctx, w.tm.ID, "")
	noErr(t, "Invitations", err)
	sameList(t, "Invitations", invs, []team.Invitation{w.inv}, normInvitation)
	inv, err := s.InvitationByTokenHash(ctx, w.inv.TokenHash)
	noErr(t, "InvitationByTokenHash", err)
	same(t, "InvitationByTokenHash", inv, w.inv, normInvitation)
	_, err = s.InvitationByTokenHash(ctx, w.newInv.TokenHash)
	wantErr(t, "InvitationByTokenHash of the failed unit's invitation", err, team.ErrNotFound)
	byEmail, err := s.InvitationsByEmail(ctx, w.newInv.Email, "")
	noErr(t, "InvitationsByEmail", err)
	if len(byEmail) != 0 {
		t.Fatalf("InvitationsByEmail of the failed unit's invitation: %d, want 0", len(byEmail))
	}
	acct, err := s.Account(ctx, w.acct.UserID)
	noErr(t, "Account", err)
	same(t, "Account", acct, w.acct, normAccount)
	_, err = s.Account(ctx, w.newAcct.UserID)
	wantErr(t, "Account inserted by the failed unit", err, team.ErrNotFound)
	_, err = s.UsageByKey(ctx, w.tm.ID, w.newUsage.IdempotencyKey)
	wantErr(t, "UsageByKey of the failed unit's record", err, team.ErrNotFound)
	totals, err := s.UsageTotals(ctx, w.tm.ID, time.Time{}, time.Time{})
	noErr(t, "UsageTotals", err)
	if len(totals) != 1 || totals[0].Amount != w.usage.Amount || totals[0].Records != 1 {
		t.Fatalf("UsageTotals = %+v, want only the committed record", totals)
	}
	events, err := s.AuditEvents(ctx, w.tm.ID, audit.Filter{})
	noErr(t, "AuditEvents", err)
	sameList(t, "AuditEvents", events, w.events[:2], normEvent)
	last, err := s.LastAuditEvent(ctx, w.tm.ID)
	noErr(t, "LastAuditEvent", err)
	same(t, "LastAuditEvent", last, w.events[1], normEvent)

	// No unique slot is still taken: the same records insert cleanly.
	seed(t, s, w.newTeam, w.newMem, w.newInv, w.newAcct, w.newUsage, w.newTopUp, w.newEvent)
}

func testCommitVisible(t *testing.T, s team.Store) {
	w := newWorld(t, s)
	mustTx(t, s, w.change)
	ctx := t.Context()
	got, err := s.Team(ctx, w.tm.ID)
	noErr(t, "Team", err)
	if got.Name != "Changed" || got.Kind != team.Collaboration {
		t.Fatalf("Team after commit = %+v, want the update", got)
	}
	_, err = s.PersonalTeam(ctx, w.tm.OwnerID)
	wantErr(t, "PersonalTeam after committed upgrade", err, team.ErrNotFound)
	_, err = s.Team(ctx, w.newTeam.ID)
	noErr(t, "Team inserted by the unit", err)
	ms, err := s.Members(ctx, w.tm.ID)
	noErr(t, "Members", err)
	if len(ms) != 0 {
		t.Fatalf("Members after committed DeleteTeamMembers: %d, want 0", len(ms))
	}
	inv, err := s.Invitation(ctx, w.inv.ID)
	noErr(t, "Invitation", err)
	if inv.Status != team.InvitationCancelled {
		t.Fatalf("Invitation status after commit = %s, want cancelled", inv.Status)
	}
	_, err = s.Invitation(ctx, w.newInv.ID)
	wantErr(t, "pending Invitation after committed DeleteTeamMembers", err, team.ErrNotFound)
	acct, err := s.Account(ctx, w.acct.UserID)
	noErr(t, "Account", err)
	if acct.Balance != 1 {
		t.Fatalf("Account balance after commit = %d, want 1", acct.Balance)
	}
	_, err = s.Account(ctx, w.newAcct.UserID)
	noErr(t, "Account inserted by the unit", err)
	_, err = s.UsageByKey(ctx, w.tm.ID, w.newUsage.IdempotencyKey)
	noErr(t, "UsageByKey", err)
	last, err := s.LastAuditEvent(ctx, w.tm.ID)
	noErr(t, "LastAuditEvent", err)
	same(t, "LastAuditEvent after commit", last, w.newEvent, normEvent)
	wantInsertErr(t, s, team.ErrConflict, w.newTopUp)
}

// Rule SEC-2: nothing is half-written on any error.
func testRollbackOnError(t *testing.T, s team.Store) {
	w := newWorld(t, s)
	err := s.InTx(t.Context(), func(ctx context.Context, tx team.Tx) error {
		if err := w.change(ctx, tx); err != nil {
			return err
		}
		return fmt.Errorf("the use case refuses: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx error = %v, want fn's error (matching errBoom)", err)
	}
	w.unchanged(t, s)
}

// Rule SEC-2: a panic rolls back too, and goes on.
func testRollbackOnPanic(t *testing.T, s team.Store) {
	w := newWorld(t, s)
	type token struct{ n int }
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		_ = s.InTx(t.Context(), func(ctx context.Context, tx team.Tx) error {
			if err := w.change(ctx, tx); err != nil {
				t.Errorf("writes before the panic: %v", err)
			}
			panic(token{42})
		})
	}()
	if recovered != (token{42}) {
		t.Fatalf("recovered %v after InTx, want fn's panic value", recovered)
	}
	w.unchanged(t, s)
}

func testReadsSeeOwnWrites(t *testing.T, s team.Store) {
	w := newWorld(t, s)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		if err := w.change(ctx, tx); err != nil {
			return err
		}
		got, err := tx.Team(ctx, w.tm.ID)
		noErr(t, "Tx.Team", err)
		if got.Name != "Changed" {
			t.Errorf("Tx.Team name = %q, want the unit's update", got.Name)
		}
		_, err = tx.PersonalTeam(ctx, w.tm.OwnerID)
		wantErr(t, "Tx.PersonalTeam after upgrade", err, team.ErrNotFound)
		n, err := tx.CountOwnedTeams(ctx, w.tm.OwnerID, team.Collaboration)
		noErr(t, "Tx.CountOwnedTeams", err)
		if n != 2 {
			t.Errorf("Tx.CountOwnedTeams = %d, want 2", n)
		}
		_, err = tx.Member(ctx, w.tm.ID, w.member.UserID)
		wantErr(t, "Tx.Member after DeleteTeamMembers", err, team.ErrNotFound)
		ms, err := tx.Members(ctx, w.tm.ID)
		noErr(t, "Tx.Members", err)
		if len(ms) != 0 {
			t.Errorf("Tx.Members after DeleteTeamMembers: %d, want 0", len(ms))
		}
		teams, err := tx.TeamsOfUser(ctx, w.member.UserID)
		noErr(t, "Tx.TeamsOfUser", err)
		if len(teams) != 0 {
			t.Errorf("Tx.TeamsOfUser after DeleteTeamMembers = %v, want none", teamIDs(teams))
		}
		inv, err := tx.Invitation(ctx, w.inv.ID)
		noErr(t, "Tx.Invitation", err)
		if inv.Status != team.InvitationCancelled {
			t.Errorf("Tx.Invitation status = %s, want cancelled", inv.Status)
		}
		_, err = tx.InvitationByTokenHash(ctx, w.inv.TokenHash)
		wantErr(t, "Tx.InvitationByTokenHash of the replaced hash", err, team.ErrNotFound)
		_, err = tx.InvitationByTokenHash(ctx, inv.TokenHash)
		noErr(t, "Tx.InvitationByTokenHash of the new hash", err)
		pending, err := tx.Invitations(ctx, w.tm.ID, team.InvitationPending)
		noErr(t, "Tx.Invitations", err)
		if len(pending) != 0 {
			t.Errorf("Tx.Invitations pending after DeleteTeamMembers: %d, want 0", len(pending))
		}
		byEmail, err := tx.InvitationsByEmail(ctx, w.inv.Email, team.InvitationCancelled)
		noErr(t, "Tx.InvitationsByEmail", err)
		if len(byEmail) != 1 {
			t.Errorf("Tx.InvitationsByEmail cancelled: %d, want 1", len(byEmail))
		}
		acct, err := tx.Account(ctx, w.acct.UserID)
		noErr(t, "Tx.Account", err)
		if acct.Balance != 1 {
			t.Errorf("Tx.Account balance = %d, want the unit's 1", acct.Balance)
		}
		acct, err = tx.LockAccount(ctx, w.newAcct.UserID)
		noErr(t, "Tx.LockAccount", err)
		same(t, "Tx.LockAccount", acct, w.newAcct, normAccount)
		r, err := tx.UsageByKey(ctx, w.tm.ID, w.newUsage.IdempotencyKey)
		noErr(t, "Tx.UsageByKey", err)
		same(t, "Tx.UsageByKey", r, w.newUsage, normUsage)
		totals, err := tx.UsageTotals(ctx, w.tm.ID, time.Time{}, time.Time{})
		noErr(t, "Tx.UsageTotals", err)
		if len(totals) != 1 || totals[0].Amount != w.usage.Amount+w.newUsage.Amount || totals[0].Records != 2 {
			t.Errorf("Tx.UsageTotals = %+v, want both records", totals)
		}
		events, err := tx.AuditEvents(ctx, w.tm.ID, audit.Filter{})
		noErr(t, "Tx.AuditEvents", err)
		sameList(t, "Tx.AuditEvents", events, w.events, normEvent)
		locked, err := tx.LockTeam(ctx, w.newTeam.ID)
		noErr(t, "Tx.LockTeam of the unit's team", err)
		same(t, "Tx.LockTeam", locked, w.newTeam, normTeam)
		return nil
	})
}

// Rule SEC-3: nobody outside a unit of work sees its writes before it
// commits. The outside reads run in a goroutine while the unit is open; a
// store may make them wait for the unit (locking) or answer at once from
// the committed state (MVCC). Either way, since the unit rolls back, they
// must never see its writes.
func testIsolation(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	intruder := newMember(t, tm.ID, newID(t, "user"), "owner", at(0))

	wrote, release := make(chan struct{}), make(chan struct{})
	unitDone := make(chan error, 1)
	go func() {
		unitDone <- s.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
			upd := tm
			upd.Name = "uncommitted"
			_, err := tx.LockTeam(ctx, tm.ID)
			if err == nil {
				err = tx.UpdateTeam(ctx, upd)
			}
			if err == nil {
				err = tx.InsertMember(ctx, intruder)
			}
			close(wrote)
			if err != nil {
				return err
			}
			<-release
			return errBoom
		})
	}()

	type seen struct {
		name      string
		memberErr error
		err       error
	}
	readDone := make(chan seen, 1)
	select {
	case <-wrote:
	case err := <-unitDone:
		t.Fatalf("the unit of work ended early: %v", err)
	}
	go func() {
		// A context of its own: this reader is not part of the unit.
		ctx := context.Background()
		got, err := s.Team(ctx, tm.ID)
		_, memberErr := s.Member(ctx, tm.ID, intruder.UserID)
		readDone <- seen{got.Name, memberErr, err}
	}()
	var early *seen
	select {
	case r := <-readDone: // a store that does not block readers
		early = &r
	case <-time.After(50 * time.Millisecond): // a store that does
	}
	close(release)
	if err := <-unitDone; !errors.Is(err, errBoom) {
		t.Fatalf("InTx error = %v, want errBoom", err)
	}
	r := early
	if r == nil {
		late := <-readDone
		r = &late
	}
	if r.err != nil {
		t.Fatalf("outside Team read: %v", r.err)
	}
	if r.name != tm.Name {
		t.Fatalf("outside reader saw team name %q, want the committed %q", r.name, tm.Name)
	}
	if !errors.Is(r.memberErr, team.ErrNotFound) {
		t.Fatalf("outside reader's Member = %v, want ErrNotFound: it saw an uncommitted membership", r.memberErr)
	}
}

// runConcurrently runs fn(i) for i in [0, n) at once and returns the errors.
func runConcurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// Rule SEC-3: units of work that lock one team run one after the other;
// with lost updates the counter would end below n.
func testLockTeamSerializes(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	tm.Settings = map[string]string{"counter": "0"}
	seed(t, s, tm)
	const n = 20
	errs := runConcurrently(n, func(int) error {
		return s.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
			locked, err := tx.LockTeam(ctx, tm.ID)
			if err != nil {
				return err
			}
			c, err := strconv.Atoi(locked.Settings["counter"])
			if err != nil {
				return err
			}
			time.Sleep(time.Millisecond) // widen the window for lost updates
			locked.Settings["counter"] = strconv.Itoa(c + 1)
			return tx.UpdateTeam(ctx, locked)
		})
	})
	for i, err := range errs {
		noErr(t, fmt.Sprintf("unit %d", i), err)
	}
	got, err := s.Team(t.Context(), tm.ID)
	noErr(t, "Team", err)
	if got.Settings["counter"] != strconv.Itoa(n) {
		t.Fatalf("counter after %d serialized increments = %s", n, got.Settings["counter"])
	}
}

// Rule SEC-3: charges to one account serialize; the balance adds up.
func testLockAccountSerializes(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	a.Balance = 0
	seed(t, s, a)
	const n = 20
	errs := runConcurrently(n, func(int) error {
		return s.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
			locked, err := tx.LockAccount(ctx, a.UserID)
			if err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
			locked.Balance++
			return tx.UpdateAccount(ctx, locked)
		})
	})
	for i, err := range errs {
		noErr(t, fmt.Sprintf("unit %d", i), err)
	}
	got, err := s.Account(t.Context(), a.UserID)
	noErr(t, "Account", err)
	if got.Balance != n {
		t.Fatalf("balance after %d serialized credits = %d", n, got.Balance)
	}
}

// exactlyOneWins requires one nil error and ErrConflict for the rest.
func exactlyOneWins(t *testing.T, errs []error) {
	t.Helper()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, team.ErrConflict):
			t.Fatalf("unit %d: error = %v, want nil or one matching ErrConflict", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent inserts succeeded, want exactly 1", wins, len(errs))
	}
}

// insertAlone inserts rec in a unit of work of its own, without locks.
func insertAlone(s team.Store, rec any) error {
	return s.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error { return insert(ctx, tx, rec) })
}

// Rule SEC-3: one membership per user and team, even against concurrent
// units of work that lock nothing.
func testConcurrentMembers(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	user := newID(t, "user")
	ms := make([]team.Member, 8)
	for i := range ms {
		ms[i] = newMember(t, tm.ID, user, "member", at(i))
	}
	exactlyOneWins(t, runConcurrently(len(ms), func(i int) error { return insertAlone(s, ms[i]) }))
	got, err := s.Members(t.Context(), tm.ID)
	noErr(t, "Members", err)
	if len(got) != 1 {
		t.Fatalf("Members after concurrent inserts: %d, want 1", len(ms))
	}
}

// Rule TEAM-1: one personal team per user, even against concurrent units.
func testConcurrentPersonal(t *testing.T, s team.Store) {
	owner := newID(t, "user")
	teams := make([]team.Team, 8)
	for i := range teams {
		teams[i] = newTeam(t, team.Personal, owner)
	}
	exactlyOneWins(t, runConcurrently(len(teams), func(i int) error { return insertAlone(s, teams[i]) }))
}

// Rule INV-2: one pending invitation per team and email, even against
// concurrent units.
func testConcurrentInvitations(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	email := newEmail(t)
	invs := make([]team.Invitation, 8)
	for i := range invs {
		invs[i] = newInvitation(t, tm.ID, email, team.InvitationPending)
	}
	exactlyOneWins(t, runConcurrently(len(invs), func(i int) error { return insertAlone(s, invs[i]) }))
}

func testCancelledBeforeStart(t *testing.T, s team.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := s.InTx(ctx, func(context.Context, team.Tx) error {
		ran = true
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("InTx with a cancelled context: error = %v, want one matching context.Canceled", err)
	}
	if ran {
		t.Fatalf("InTx ran fn with a cancelled context")
	}
}

func testCancelledWhileRunning(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	err := s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, tm); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("InTx whose context ended while fn ran: error = %v, want one matching context.Canceled", err)
	}
	_, err = s.Team(t.Context(), tm.ID)
	wantErr(t, "Team written by the cancelled unit", err, team.ErrNotFound)
}

// Rule SEC-3: a unit of work waiting for a locked team gives up when its
// context ends, and leaves no trace.
func testCancelledWhileWaiting(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	locked, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
			_, err := tx.LockTeam(ctx, tm.ID)
			close(locked)
			if err != nil {
				return err
			}
			<-release
			return nil
		})
	}()
	<-locked
	// The waiter writes what needs no lock (a new team), then waits for the
	// lock, under which it would write to the locked team.
	fresh := newTeam(t, team.Collaboration, newID(t, "user"))
	waiter := newMember(t, tm.ID, newID(t, "user"), "member", at(0))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	waited := make(chan error, 1)
	go func() {
		waited <- s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			if err := tx.InsertTeam(ctx, fresh); err != nil {
				return err
			}
			if _, err := tx.LockTeam(ctx, tm.ID); err != nil {
				return err
			}
			return tx.InsertMember(ctx, waiter)
		})
	}()
	var err error
	select {
	case err = <-waited:
		close(release)
	case <-time.After(10 * time.Second):
		close(release) // unblock the store rather than hang the suite
		<-waited
		t.Fatalf("InTx waiting for a locked team was still waiting 10s after its 50ms deadline")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("InTx waiting for a locked team past its deadline: error = %v, want one matching context.DeadlineExceeded", err)
	}
	noErr(t, "the unit holding the lock", <-holder)
	_, err = s.Team(t.Context(), fresh.ID)
	wantErr(t, "Team written by the unit that gave up", err, team.ErrNotFound)
	_, err = s.Member(t.Context(), tm.ID, waiter.UserID)
	wantErr(t, "Member written by the unit that gave up", err, team.ErrNotFound)
}
