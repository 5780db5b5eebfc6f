package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// memTx is a unit of work of Memory. It runs while its Memory's write lock
// is held, so it reads and writes the state directly, recording the inverse
// of every write in undo, its Memory's log.
//
// It is also the context InTx passes to fn: parent's, plus the unit under
// unitKey, so that calls on the Memory itself made with it fail with
// ErrInsideUnit instead of deadlocking. Being both saves an allocation per
// unit. Each unit gets a new memTx, not a reused one, so that a Tx kept
// past its unit stays ended.
type memTx struct {
	parent context.Context
	m      *Memory
	s      *state
	undo   *undoLog
	ended  atomic.Bool

	// feedStart is the length of the feed when the unit started: rollback
	// cuts the feed back to it (FEED-1).
	feedStart int

	// The teams and billing accounts (by account ID) the unit has locked
	// or inserted: those it may write to (see team.Tx and ErrNotLocked).
	teams, accounts held

	// The memberships the unit inserted, updated or deleted, reported to
	// the watchers when it commits (team.ChangeNotifier).
	changed []memberKey
}

// held is a set of IDs. A unit of work holds a handful at most, so a slice
// searched in order does, and the first two live in the memTx itself: the
// usual unit (one team, one account) allocates nothing for its locks.
type held struct {
	ids []string
	buf [2]string
}

func (h *held) add(id string) {
	if h.ids == nil {
		h.ids = h.buf[:0]
	}
	if !slices.Contains(h.ids, id) {
		h.ids = append(h.ids, id)
	}
}

func (h *held) has(id string) bool { return slices.Contains(h.ids, id) }

var (
	_ team.Tx         = (*memTx)(nil)
	_ context.Context = (*memTx)(nil)
)

// Deadline implements context.Context.
func (t *memTx) Deadline() (time.Time, bool) { return t.parent.Deadline() }

// Done implements context.Context.
func (t *memTx) Done() <-chan struct{} { return t.parent.Done() }

// Err implements context.Context.
func (t *memTx) Err() error { return t.parent.Err() }

// Value implements context.Context: the unit itself under unitKey.
func (t *memTx) Value(key any) any {
	if _, ok := key.(unitKey); ok {
		return t
	}
	return t.parent.Value(key)
}

// String implements fmt.Stringer, as the contexts of package context do.
func (t *memTx) String() string { return "store.Memory unit of work" }

// undoLog lists the inverses of a unit's writes, applied last first on
// rollback. Typed entries cover the hot writes without allocating; rarer
// ones record a closure.
type undoLog struct {
	entries  []undoEntry
	accounts []billing.Account // old values for undoAccount entries
}

type undoKind uint8

const (
	undoFunc    undoKind = iota // call fn
	undoAudit                   // truncate the audit log of key to n events
	undoAccount                 // put back accounts[key] = accounts[n] of the log
	undoUsage                   // remove record n of the usage of team key
)

// undoEntry reverses one write, as its kind says. Consecutive appends to
// the end of one team's audit log share one undoAudit entry.
type undoEntry struct {
	kind undoKind
	fn   func()
	key  string
	n    int
}

// maxKeptUndo bounds the entries a Memory keeps allocated between units.
const maxKeptUndo = 1 << 12

// reset empties the log for the next unit, dropping what the entries held.
func (l *undoLog) reset() {
	if cap(l.entries) > maxKeptUndo {
		l.entries = nil
	} else {
		clear(l.entries)
		l.entries = l.entries[:0]
	}
	if cap(l.accounts) > maxKeptUndo {
		l.accounts = nil
	} else {
		clear(l.accounts)
		l.accounts = l.accounts[:0]
	}
}

func (l *undoLog) add(u undoEntry) { l.entries = append(l.entries, u) }

func (t *memTx) rollback() {
	s, es := t.s, t.undo.entries
	for i := len(es) - 1; i >= 0; i-- {
		u := es[i]
		switch u.kind {
		case undoFunc:
			u.fn()
		case undoAudit:
			log := s.audit[u.key]
			for _, e := range log[u.n:] {
				delete(s.auditIDs, e.ID)
			}
			clear(log[u.n:])
			if u.n == 0 {
				delete(s.audit, u.key)
			} else {
				s.audit[u.key] = log[:u.n]
			}
		case undoAccount:
			s.accounts[u.key] = t.undo.accounts[u.n]
		case undoUsage:
			l := s.usageByTeam[u.key]
			r := l.recs[u.n]
			s.usageIDs.remove(r)
			l.byKey.remove(r)
			if len(l.recs) == 1 {
				delete(s.usageByTeam, u.key)
			} else {
				l.recs = slices.Delete(l.recs, u.n, u.n+1)
			}
			s.usageSlots.free() // r: the latest record, its inserts being undone last first
		}
	}
	clear(s.feed[t.feedStart:])
	s.feed = s.feed[:t.feedStart]
	t.undo.reset()
}

// check refuses use after the unit ended or once ctx is done.
func (t *memTx) check(ctx context.Context) error {
	if t.ended.Load() {
		return errUnitEnded
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: unit of work: %w", err)
	}
	return nil
}

// write is check plus the configured fault.
func (t *memTx) write(ctx context.Context, op string) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if t.m.fault != nil {
		if err := t.m.fault(op); err != nil {
			return err
		}
	}
	return nil
}

// needTeam refuses op, a write to the records of teamID, unless the unit
// locked or inserted that team earlier (team.Tx).
func (t *memTx) needTeam(op, teamID string) error {
	if t.teams.has(teamID) {
		return nil
	}
	return fmt.Errorf("%w: %s on team %q, which this unit of work has not locked; call LockTeam(ctx, %q) (or InsertTeam) first, in the same unit of work",
		ErrNotLocked, op, teamID, teamID)
}

// needAccount refuses op, a write to the billing account accountID, unless
// the unit locked or inserted that account earlier (team.Tx).
func (t *memTx) needAccount(op, accountID string) error {
	if t.accounts.has(accountID) {
		return nil
	}
	user := "its user's ID"
	if a, ok := t.s.accounts[accountID]; ok {
		user = strconv.Quote(a.UserID)
	}
	return fmt.Errorf("%w: %s on billing account %q, which this unit of work has not locked; call LockAccount(ctx, %s) (or InsertAccount) first, in the same unit of work",
		ErrNotLocked, op, accountID, user)
}

// Undo-logged primitives.

func setKey[K comparable, V any](t *memTx, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	t.undo.add(undoEntry{fn: func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	}})
}

func delKey[K comparable, V any](t *memTx, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	delete(m, k)
	t.undo.add(undoEntry{fn: func() { m[k] = old }})
}

func addToSet(t *memTx, idx map[string]set, outer, inner string) {
	s, ok := idx[outer]
	if !ok {
		s = set{}
		idx[outer] = s
	}
	if _, in := s[inner]; in {
		return
	}
	s[inner] = struct{}{}
	t.undo.add(undoEntry{fn: func() {
		delete(s, inner)
		if len(s) == 0 && !ok {
			delete(idx, outer)
		}
	}})
}

func removeFromSet(t *memTx, idx map[string]set, outer, inner string) {
	s, ok := idx[outer]
	if !ok {
		return
	}
	if _, in := s[inner]; !in {
		return
	}
	delete(s, inner)
	emptied := len(s) == 0
	if emptied {
		delete(idx, outer)
	}
	t.undo.add(undoEntry{fn: func() {
		s[inner] = struct{}{}
		if emptied {
			idx[outer] = s
		}
	}})
}

// Reads: the unit's own view, without locking.

func (t *memTx) Team(ctx context.Context, teamID string) (team.Team, error) {
	if err := t.check(ctx); err != nil {
		return team.Team{}, err
	}
	return t.s.team(teamID)
}

func (t *memTx) PersonalTeam(ctx context.Context, userID string) (team.Team, error) {
	if err := t.check(ctx); err != nil {
		return team.Team{}, err
	}
	return t.s.personalTeam(userID)
}

func (t *memTx) TeamsOfUser(ctx context.Context, userID string) ([]team.Team, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.teamsOfUser(userID), nil
}

func (t *memTx) CountOwnedTeams(ctx context.Context, ownerID string, kind team.Kind) (int, error) {
	if err := t.check(ctx); err != nil {
		return 0, err
	}
	return t.s.countOwnedTeams(ownerID, kind), nil
}

func (t *memTx) Member(ctx context.Context, teamID, userID string) (team.Member, error) {
	if err := t.check(ctx); err != nil {
		return team.Member{}, err
	}
	mem, ok := t.s.members[memberKey{teamID, userID}]
	if !ok {
		return team.Member{}, errMemberNotFound
	}
	return mem, nil
}

func (t *memTx) Members(ctx context.Context, teamID string) ([]team.Member, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.membersOf(teamID), nil
}

func (t *memTx) Invitation(ctx context.Context, invitationID string) (team.Invitation, error) {
	if err := t.check(ctx); err != nil {
		return team.Invitation{}, err
	}
	return t.s.invitation(invitationID)
}

func (t *memTx) InvitationByTokenHash(ctx context.Context, hash string) (team.Invitation, error) {
	if err := t.check(ctx); err != nil {
		return team.Invitation{}, err
	}
	return t.s.invitationByTokenHash(hash)
}

func (t *memTx) Invitations(ctx context.Context, teamID string, status team.InvitationStatus) ([]team.Invitation, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.invitationsIn(t.s.invByTeam[teamID], status), nil
}

func (t *memTx) InvitationsByEmail(ctx context.Context, email string, status team.InvitationStatus) ([]team.Invitation, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.invitationsIn(t.s.invByEmail[email], status), nil
}

func (t *memTx) Account(ctx context.Context, userID string) (billing.Account, error) {
	if err := t.check(ctx); err != nil {
		return billing.Account{}, err
	}
	return t.s.account(userID)
}

func (t *memTx) UsageByKey(ctx context.Context, teamID, key string) (billing.UsageRecord, error) {
	if err := t.check(ctx); err != nil {
		return billing.UsageRecord{}, err
	}
	return t.s.usageByKey(teamID, key)
}

func (t *memTx) UsageTotals(ctx context.Context, teamID string, from, to time.Time) ([]billing.MemberUsage, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.usageTotals(teamID, from, to)
}

func (t *memTx) AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.auditEvents(teamID, f), nil
}

func (t *memTx) AuditHead(ctx context.Context, teamID string) (team.AuditHead, error) {
	if err := t.check(ctx); err != nil {
		return team.AuditHead{}, err
	}
	return t.s.auditHead(teamID)
}

func (t *memTx) MemberEpochMark(ctx context.Context, teamID, userID string) (uint64, error) {
	if err := t.check(ctx); err != nil {
		return 0, err
	}
	return t.s.epochMarks[memberKey{teamID, userID}], nil
}

// raiseEpochMark keeps the high-water mark of m's (team, user) pair.
func (t *memTx) raiseEpochMark(m team.Member) {
	k := memberKey{m.TeamID, m.UserID}
	if m.Epoch > t.s.epochMarks[k] {
		setKey(t, t.s.epochMarks, k, m.Epoch)
	}
}

func (t *memTx) LastAuditEvent(ctx context.Context, teamID string) (audit.Event, error) {
	if err := t.check(ctx); err != nil {
		return audit.Event{}, err
	}
	return t.s.lastAuditEvent(teamID)
}

// Locks: the unit already holds the whole store, so they only record what
// the unit may write to, as a store with row locks would need.

func (t *memTx) LockTeam(ctx context.Context, teamID string) (team.Team, error) {
	if err := t.write(ctx, "LockTeam"); err != nil {
		return team.Team{}, err
	}
	tm, err := t.s.team(teamID)
	if err == nil {
		t.teams.add(teamID)
	}
	return tm, err
}

func (t *memTx) LockAccount(ctx context.Context, userID string) (billing.Account, error) {
	if err := t.write(ctx, "LockAccount"); err != nil {
		return billing.Account{}, err
	}
	a, err := t.s.account(userID)
	if err == nil {
		t.accounts.add(a.ID)
	}
	return a, err
}

// Teams.

// checkPersonalSlot refuses a personal team of owner other than teamID.
func (s *state) checkPersonalSlot(tm team.Team) error {
	if tm.Kind != team.Personal {
		return nil
	}
	if other, ok := s.personal[tm.OwnerID]; ok && other != tm.ID {
		return conflict("user %q already has personal team %q", tm.OwnerID, other)
	}
	return nil
}

func (t *memTx) InsertTeam(ctx context.Context, tm team.Team) error {
	if err := t.write(ctx, "InsertTeam"); err != nil {
		return err
	}
	if _, ok := t.s.teams[tm.ID]; ok {
		return conflict("team %q already exists", tm.ID)
	}
	if err := t.s.checkPersonalSlot(tm); err != nil {
		return err
	}
	setKey(t, t.s.teams, tm.ID, copyTeam(tm))
	if tm.Kind == team.Personal {
		setKey(t, t.s.personal, tm.OwnerID, tm.ID)
	}
	addToSet(t, t.s.owned, tm.OwnerID, tm.ID)
	t.teams.add(tm.ID) // a team the unit created is its own to write
	return nil
}

// UpdateTeam replaces the team; see team.Tx. Giving an owner a second
// personal team (by kind or by owner) is refused with ErrConflict.
func (t *memTx) UpdateTeam(ctx context.Context, tm team.Team) error {
	if err := t.write(ctx, "UpdateTeam"); err != nil {
		return err
	}
	old, ok := t.s.teams[tm.ID]
	if !ok {
		return notFound("team", tm.ID)
	}
	if err := t.needTeam("UpdateTeam", tm.ID); err != nil {
		return err
	}
	if err := t.s.checkPersonalSlot(tm); err != nil {
		return err
	}
	if old.Kind == team.Personal && t.s.personal[old.OwnerID] == old.ID {
		delKey(t, t.s.personal, old.OwnerID)
	}
	if tm.Kind == team.Personal {
		setKey(t, t.s.personal, tm.OwnerID, tm.ID)
	}
	if old.OwnerID != tm.OwnerID {
		removeFromSet(t, t.s.owned, old.OwnerID, tm.ID)
		addToSet(t, t.s.owned, tm.OwnerID, tm.ID)
	}
	setKey(t, t.s.teams, tm.ID, copyTeam(tm))
	return nil
}

func (t *memTx) DeleteTeamMembers(ctx context.Context, teamID string) error {
	if err := t.write(ctx, "DeleteTeamMembers"); err != nil {
		return err
	}
	if _, ok := t.s.teams[teamID]; !ok {
		return notFound("team", teamID)
	}
	if err := t.needTeam("DeleteTeamMembers", teamID); err != nil {
		return err
	}
	for _, user := range slices.Collect(maps.Keys(t.s.membersByTeam[teamID])) {
		t.deleteMember(teamID, user)
	}
	for _, id := range slices.Collect(maps.Keys(t.s.invByTeam[teamID])) {
		if inv := t.s.invitations[id]; inv.Status == team.InvitationPending {
			t.unindexInvitation(inv)
			delKey(t, t.s.invitations, id)
		}
	}
	return nil
}

// Members.

func (t *memTx) InsertMember(ctx context.Context, m team.Member) error {
	if err := t.write(ctx, "InsertMember"); err != nil {
		return err
	}
	if err := t.needTeam("InsertMember", m.TeamID); err != nil {
		return err
	}
	k := memberKey{m.TeamID, m.UserID}
	if _, ok := t.s.members[k]; ok {
		return conflict("user %q is already a member of team %q", m.UserID, m.TeamID)
	}
	setKey(t, t.s.members, k, m)
	t.raiseEpochMark(m)
	t.changed = append(t.changed, k)
	addToSet(t, t.s.membersByTeam, m.TeamID, m.UserID)
	addToSet(t, t.s.membersByUser, m.UserID, m.TeamID)
	return nil
}

func (t *memTx) UpdateMember(ctx context.Context, m team.Member) error {
	if err := t.write(ctx, "UpdateMember"); err != nil {
		return err
	}
	if err := t.needTeam("UpdateMember", m.TeamID); err != nil {
		return err
	}
	k := memberKey{m.TeamID, m.UserID}
	if _, ok := t.s.members[k]; !ok {
		return notFound("member", m.TeamID+"/"+m.UserID)
	}
	setKey(t, t.s.members, k, m)
	t.raiseEpochMark(m)
	t.changed = append(t.changed, k)
	return nil
}

func (t *memTx) DeleteMember(ctx context.Context, teamID, userID string) error {
	if err := t.write(ctx, "DeleteMember"); err != nil {
		return err
	}
	if err := t.needTeam("DeleteMember", teamID); err != nil {
		return err
	}
	if _, ok := t.s.members[memberKey{teamID, userID}]; !ok {
		return notFound("member", teamID+"/"+userID)
	}
	t.deleteMember(teamID, userID)
	return nil
}

func (t *memTx) deleteMember(teamID, userID string) {
	delKey(t, t.s.members, memberKey{teamID, userID})
	t.changed = append(t.changed, memberKey{teamID, userID})
	removeFromSet(t, t.s.membersByTeam, teamID, userID)
	removeFromSet(t, t.s.membersByUser, userID, teamID)
}

// Invitations.

// checkInvitation refuses inv when its token hash or, if pending, its
// (team, email) belongs to another invitation.
func (s *state) checkInvitation(inv team.Invitation) error {
	if other, ok := s.invByToken[inv.TokenHash]; ok && other != inv.ID {
		return conflict("another invitation has the same token hash")
	}
	if inv.Status == team.InvitationPending {
		if other, ok := s.pending[pendingKey{inv.TeamID, inv.Email}]; ok && other != inv.ID {
			return conflict("invitation %q to %q is already pending for team %q", other, inv.Email, inv.TeamID)
		}
	}
	return nil
}

func (t *memTx) indexInvitation(inv team.Invitation) {
	setKey(t, t.s.invByToken, inv.TokenHash, inv.ID)
	addToSet(t, t.s.invByTeam, inv.TeamID, inv.ID)
	addToSet(t, t.s.invByEmail, inv.Email, inv.ID)
	if inv.Status == team.InvitationPending {
		setKey(t, t.s.pending, pendingKey{inv.TeamID, inv.Email}, inv.ID)
	}
}

func (t *memTx) unindexInvitation(inv team.Invitation) {
	if t.s.invByToken[inv.TokenHash] == inv.ID {
		delKey(t, t.s.invByToken, inv.TokenHash)
	}
	removeFromSet(t, t.s.invByTeam, inv.TeamID, inv.ID)
	removeFromSet(t, t.s.invByEmail, inv.Email, inv.ID)
	k := pendingKey{inv.TeamID, inv.Email}
	if id, ok := t.s.pending[k]; ok && id == inv.ID {
		delKey(t, t.s.pending, k)
	}
}

func (t *memTx) InsertInvitation(ctx context.Context, inv team.Invitation) error {
	if err := t.write(ctx, "InsertInvitation"); err != nil {
		return err
	}
	if err := t.needTeam("InsertInvitation", inv.TeamID); err != nil {
		return err
	}
	if _, ok := t.s.invitations[inv.ID]; ok {
		return conflict("invitation %q already exists", inv.ID)
	}
	if err := t.s.checkInvitation(inv); err != nil {
		return err
	}
	setKey(t, t.s.invitations, inv.ID, inv)
	t.indexInvitation(inv)
	return nil
}

func (t *memTx) UpdateInvitation(ctx context.Context, inv team.Invitation) error {
	if err := t.write(ctx, "UpdateInvitation"); err != nil {
		return err
	}
	if err := t.needTeam("UpdateInvitation", inv.TeamID); err != nil {
		return err
	}
	old, ok := t.s.invitations[inv.ID]
	if !ok {
		return notFound("invitation", inv.ID)
	}
	if err := t.needTeam("UpdateInvitation", old.TeamID); err != nil {
		return err // moving an invitation writes to both teams' records
	}
	if err := t.s.checkInvitation(inv); err != nil {
		return err
	}
	t.unindexInvitation(old)
	setKey(t, t.s.invitations, inv.ID, inv)
	t.indexInvitation(inv)
	return nil
}

// Billing.

func (t *memTx) InsertAccount(ctx context.Context, a billing.Account) error {
	if err := t.write(ctx, "InsertAccount"); err != nil {
		return err
	}
	if _, ok := t.s.accounts[a.ID]; ok {
		return conflict("billing account %q already exists", a.ID)
	}
	if other, ok := t.s.accountByUser[a.UserID]; ok {
		return conflict("user %q already has billing account %q", a.UserID, other)
	}
	setKey(t, t.s.accounts, a.ID, a)
	setKey(t, t.s.accountByUser, a.UserID, a.ID)
	t.accounts.add(a.ID) // an account the unit created is its own to write
	return nil
}

// UpdateAccount replaces the account; see team.Tx. Moving it to a user who
// holds another account is refused with ErrConflict.
func (t *memTx) UpdateAccount(ctx context.Context, a billing.Account) error {
	if err := t.write(ctx, "UpdateAccount"); err != nil {
		return err
	}
	old, ok := t.s.accounts[a.ID]
	if !ok {
		return notFound("billing account", a.ID)
	}
	if err := t.needAccount("UpdateAccount", a.ID); err != nil {
		return err
	}
	if other, ok := t.s.accountByUser[a.UserID]; ok && other != a.ID {
		return conflict("user %q already has billing account %q", a.UserID, other)
	}
	if old.UserID != a.UserID {
		delKey(t, t.s.accountByUser, old.UserID)
		setKey(t, t.s.accountByUser, a.UserID, a.ID)
	}
	t.s.accounts[a.ID] = a
	t.undo.add(undoEntry{kind: undoAccount, key: a.ID, n: len(t.undo.accounts)})
	t.undo.accounts = append(t.undo.accounts, old)
	return nil
}

// InsertUsage appends r to the ledger; see team.Tx. Records arrive in
// nearly non-decreasing Time, so one is appended to its team's log unless
// it is older than the last, which takes a binary search and a shift.
func (t *memTx) InsertUsage(ctx context.Context, r billing.UsageRecord) error {
	if err := t.write(ctx, "InsertUsage"); err != nil {
		return err
	}
	if err := t.needTeam("InsertUsage", r.TeamID); err != nil {
		return err
	}
	s := t.s
	l := s.usageByTeam[r.TeamID]
	if l != nil && l.byKey.get(r.IdempotencyKey) != nil {
		return conflict("team %q already has a usage record with idempotency key %q", r.TeamID, r.IdempotencyKey)
	}
	p := s.usageSlots.alloc()
	*p = r
	if !s.usageIDs.add(p) {
		s.usageSlots.free()
		return conflict("usage record %q already exists", r.ID)
	}
	p.Metadata = maps.Clone(r.Metadata) // nil stays nil, without allocating
	if l == nil {
		l = &usageLog{byKey: newUsageIndex(s.usageIDs.seed, usageKey)}
		s.usageByTeam[r.TeamID] = l
	}
	l.byKey.add(p)
	i := len(l.recs)
	if i > 0 && r.Time.Before(l.recs[i-1].Time) {
		i = usageAfter(l.recs, r.Time) // after records of the same time: stable
		l.recs = slices.Insert(l.recs, i, p)
	} else {
		l.recs = append(l.recs, p)
	}
	t.undo.add(undoEntry{kind: undoUsage, key: r.TeamID, n: i})
	return nil
}

func (t *memTx) InsertTopUp(ctx context.Context, tu billing.TopUp) error {
	if err := t.write(ctx, "InsertTopUp"); err != nil {
		return err
	}
	if err := t.needAccount("InsertTopUp", tu.AccountID); err != nil {
		return err
	}
	if _, ok := t.s.topUps[tu.ID]; ok {
		return conflict("top-up %q already exists", tu.ID)
	}
	if tu.IdempotencyKey != "" {
		k := [2]string{tu.AccountID, tu.IdempotencyKey}
		if _, ok := t.s.topUpByKey[k]; ok {
			return conflict("account %q already has a top-up with key %q", tu.AccountID, tu.IdempotencyKey)
		}
		setKey(t, t.s.topUpByKey, k, tu.ID)
	}
	setKey(t, t.s.topUps, tu.ID, tu)
	return nil
}

// Audit.

func (t *memTx) AppendAuditEvent(ctx context.Context, e audit.Event) error {
	if err := t.write(ctx, "AppendAuditEvent"); err != nil {
		return err
	}
	if _, ok := t.s.teams[e.TeamID]; !ok {
		return notFound("team", e.TeamID)
	}
	if err := t.needTeam("AppendAuditEvent", e.TeamID); err != nil {
		return err
	}
	if _, ok := t.s.auditIDs[e.ID]; ok {
		return conflict("audit event %q already exists", e.ID)
	}
	es := t.s.audit[e.TeamID]
	i := seqAfter(es, e.Seq)
	if i > 0 && es[i-1].Seq == e.Seq {
		return conflict("team %q already has audit event %d", e.TeamID, e.Seq)
	}
	e = copyEvent(e)
	if e.Seq > t.s.heads[e.TeamID].Seq {
		setKey(t, t.s.heads, e.TeamID, team.AuditHead{Seq: e.Seq, Hash: e.Hash})
	}
	t.s.auditIDs[e.ID] = struct{}{}
	t.s.feed = append(t.s.feed, e) // rollback cuts it (feedStart)
	if i == len(es) {
		// The usual case: append at the end. Consecutive appends to one
		// team share one undo entry.
		if n := len(t.undo.entries); n == 0 || t.undo.entries[n-1].kind != undoAudit || t.undo.entries[n-1].key != e.TeamID {
			t.undo.add(undoEntry{kind: undoAudit, key: e.TeamID, n: len(es)})
		}
		t.s.audit[e.TeamID] = append(es, e)
		return nil
	}
	teamID, id := e.TeamID, e.ID
	t.s.audit[teamID] = slices.Insert(es, i, e)
	t.undo.add(undoEntry{fn: func() {
		delete(t.s.auditIDs, id)
		t.s.audit[teamID] = slices.Delete(t.s.audit[teamID], i, i+1)
	}})
	return nil
}

// User lifecycle (ROLE-8, USER-1, USER-2).

func (t *memTx) MembershipsOfUser(ctx context.Context, userID string) ([]team.Membership, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.membershipsOfUser(userID), nil
}

func (t *memTx) DeleteInvitationsByEmail(ctx context.Context, teamID, email string) (int, error) {
	if err := t.write(ctx, "DeleteInvitationsByEmail"); err != nil {
		return 0, err
	}
	if _, ok := t.s.teams[teamID]; !ok {
		return 0, notFound("team", teamID)
	}
	if err := t.needTeam("DeleteInvitationsByEmail", teamID); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range slices.Sorted(maps.Keys(t.s.invByEmail[email])) {
		if inv := t.s.invitations[id]; inv.TeamID == teamID {
			t.unindexInvitation(inv)
			delKey(t, t.s.invitations, id)
			n++
		}
	}
	return n, nil
}
