package store

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

var _ team.Store = (*Memory)(nil)

// ErrInsideUnit is returned by a read or an InTx on Memory itself (not on
// the Tx) made with the context of one of its own units of work while that
// unit runs. Such a call would wait for the unit, which waits for the call:
// use the Tx instead.
var ErrInsideUnit = errors.New("store: calling the Memory store itself inside its own unit of work would deadlock; use the Tx")

// ErrNotLocked is returned by a write of a unit of work to records that the
// Store contract (team.Tx) lets a unit write only under a lock it has not
// taken: to a team's records (the team itself, its members, invitations,
// usage records and audit events) without LockTeam or InsertTeam of that
// team, or to a billing account (UpdateAccount, InsertTopUp) without
// LockAccount or InsertAccount of that account, earlier in the same unit.
// The message names the method, the team or account, and the call to make
// first.
//
// It signals a bug in the caller, not a refusal a user could cause: Memory
// runs one unit of work at a time, so the write would be safe here, but on
// a store with row locks (store/postgres) it would race with concurrent
// units of work. Memory refuses it so that tests without a database catch a
// missing lock. The write changes nothing; the unit should end with the
// error, as after any failed write.
var ErrNotLocked = errors.New("store: write without the lock the Store contract requires")

// errUnitEnded is returned by a Tx used after its unit of work ended.
var errUnitEnded = errors.New("store: the unit of work has ended; the Tx is no longer usable")

// MemoryOption configures a Memory.
type MemoryOption func(*Memory)

// WithWriteFault makes Memory call fault before each write and lock of a
// unit of work (the Tx methods InsertTeam, UpdateTeam, DeleteTeamMembers,
// InsertMember, UpdateMember, DeleteMember, InsertInvitation,
// UpdateInvitation, DeleteInvitationsByEmail, InsertAccount, UpdateAccount, InsertUsage, InsertTopUp,
// AppendAuditEvent, LockTeam and LockAccount), passing the method name. A
// non-nil error is returned by that method without touching anything. Tests
// use it to prove that a failure in the middle of a use case leaves no trace
// (SEC-2). fault runs while the unit holds the store, so it must not use
// the store.
func WithWriteFault(fault func(op string) error) MemoryOption {
	return func(m *Memory) { m.fault = fault }
}

// Memory is the in-memory team.Store: the reference implementation of the
// contract. Create one with NewMemory; the zero value is not usable. A
// Memory is safe for concurrent use.
//
// Reads on Memory take a read lock and see committed data only; while a
// unit of work runs they wait for it to end. A unit of work holds the
// store exclusively from start to end, so LockTeam and LockAccount wait for
// nothing: they record what the unit has locked, and a write the contract
// puts under a lock the unit has not taken fails with ErrNotLocked.
type Memory struct {
	sem   chan struct{} // one slot: the unit of work running or about to
	mu    sync.RWMutex  // guards s and undo; a unit holds it for writing all its life
	s     state
	undo  undoLog // the running unit's, reused from one unit to the next
	fault func(op string) error

	watchMu  sync.Mutex
	watchers map[*watch]struct{} // team.ChangeNotifier

	consumers map[string]team.ConsumerState // FEED-2, guarded by mu; not part of units
}

// NewMemory returns an empty in-memory store.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{sem: make(chan struct{}, 1), s: newState()}
	for _, opt := range opts {
		opt(m)
	}
	return m
}

// unitKey is the context key under which a unit's context (its memTx)
// answers with the unit.
type unitKey struct{}

// InTx runs fn as one unit of work with exclusive access to the store; see
// team.Store. A unit waiting for another to end gives up with an error
// matching ctx.Err() when ctx is done. When fn returns an error and ctx is
// done too, the error InTx returns matches both.
//
// fn must not use the Tx after it returns, nor from several goroutines at
// once. Calls on the Memory itself with the context InTx passes to fn fail
// with ErrInsideUnit instead of deadlocking.
func (m *Memory) InTx(ctx context.Context, fn func(ctx context.Context, tx team.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: unit of work not started: %w", err)
	}
	if m.runs(ctx) {
		return fmt.Errorf("store: nested unit of work: %w", ErrInsideUnit)
	}
	select {
	case m.sem <- struct{}{}: // the usual case: the store is free
	default:
		select {
		case m.sem <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("store: unit of work not started while waiting for the store: %w", ctx.Err())
		}
		if err := ctx.Err(); err != nil {
			<-m.sem
			return fmt.Errorf("store: unit of work not started: %w", err)
		}
	}
	m.mu.Lock()
	// One allocation per unit: tx is also the context fn gets, which
	// carries the unit so that calls on m made with it fail fast (runs).
	tx := &memTx{parent: ctx, m: m, s: &m.s, undo: &m.undo, feedStart: len(m.s.feed)}
	committed := false
	defer func() {
		// Runs on return, on panic (which then goes on) and on Goexit.
		if !committed {
			tx.rollback()
		} else if len(tx.changed) > 0 {
			// Before other units or reads see the commit (ChangeNotifier).
			m.notify(tx.changed)
		}
		m.undo.reset()
		tx.ended.Store(true)
		m.mu.Unlock()
		<-m.sem
	}()
	err := fn(tx, tx)
	if cerr := ctx.Err(); cerr != nil {
		if err == nil {
			return fmt.Errorf("store: unit of work rolled back: %w", cerr)
		}
		if !errors.Is(err, cerr) {
			return fmt.Errorf("%w (unit of work rolled back: %w)", err, cerr)
		}
		return err
	}
	if err != nil {
		return err
	}
	committed = true
	return nil
}

// rlock takes the read lock, unless ctx belongs to a unit of work of m that
// is running, which would deadlock.
func (m *Memory) rlock(ctx context.Context) error {
	if m.mu.TryRLock() {
		return nil
	}
	if m.runs(ctx) {
		return ErrInsideUnit
	}
	m.mu.RLock()
	return nil
}

// runs reports whether ctx belongs to a running unit of work of m: it is
// the unit's tx or derives from it.
func (m *Memory) runs(ctx context.Context) bool {
	tx, ok := ctx.Value(unitKey{}).(*memTx)
	return ok && tx.m == m && !tx.ended.Load()
}

// Team implements team.Reader.
func (m *Memory) Team(ctx context.Context, teamID string) (team.Team, error) {
	if err := m.rlock(ctx); err != nil {
		return team.Team{}, err
	}
	defer m.mu.RUnlock()
	return m.s.team(teamID)
}

// PersonalTeam implements team.Reader.
func (m *Memory) PersonalTeam(ctx context.Context, userID string) (team.Team, error) {
	if err := m.rlock(ctx); err != nil {
		return team.Team{}, err
	}
	defer m.mu.RUnlock()
	return m.s.personalTeam(userID)
}

// TeamsOfUser implements team.Reader.
func (m *Memory) TeamsOfUser(ctx context.Context, userID string) ([]team.Team, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.teamsOfUser(userID), nil
}

// CountOwnedTeams implements team.Reader.
func (m *Memory) CountOwnedTeams(ctx context.Context, ownerID string, kind team.Kind) (int, error) {
	if err := m.rlock(ctx); err != nil {
		return 0, err
	}
	defer m.mu.RUnlock()
	return m.s.countOwnedTeams(ownerID, kind), nil
}

// Member implements team.Reader: one map lookup under the read lock, no
// allocation when the member exists.
func (m *Memory) Member(ctx context.Context, teamID, userID string) (team.Member, error) {
	if err := m.rlock(ctx); err != nil {
		return team.Member{}, err
	}
	mem, ok := m.s.members[memberKey{teamID, userID}]
	m.mu.RUnlock()
	if !ok {
		return team.Member{}, errMemberNotFound
	}
	return mem, nil
}

// Members implements team.Reader.
func (m *Memory) Members(ctx context.Context, teamID string) ([]team.Member, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.membersOf(teamID), nil
}

// Invitation implements team.Reader.
func (m *Memory) Invitation(ctx context.Context, invitationID string) (team.Invitation, error) {
	if err := m.rlock(ctx); err != nil {
		return team.Invitation{}, err
	}
	defer m.mu.RUnlock()
	return m.s.invitation(invitationID)
}

// InvitationByTokenHash implements team.Reader.
func (m *Memory) InvitationByTokenHash(ctx context.Context, hash string) (team.Invitation, error) {
	if err := m.rlock(ctx); err != nil {
		return team.Invitation{}, err
	}
	defer m.mu.RUnlock()
	return m.s.invitationByTokenHash(hash)
}

// Invitations implements team.Reader.
func (m *Memory) Invitations(ctx context.Context, teamID string, status team.InvitationStatus) ([]team.Invitation, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.invitationsIn(m.s.invByTeam[teamID], status), nil
}

// InvitationsByEmail implements team.Reader. email must be normalised as
// the stored invitations are; it is matched exactly.
func (m *Memory) InvitationsByEmail(ctx context.Context, email string, status team.InvitationStatus) ([]team.Invitation, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.invitationsIn(m.s.invByEmail[email], status), nil
}

// Account implements team.Reader.
func (m *Memory) Account(ctx context.Context, userID string) (billing.Account, error) {
	if err := m.rlock(ctx); err != nil {
		return billing.Account{}, err
	}
	defer m.mu.RUnlock()
	return m.s.account(userID)
}

// UsageByKey implements team.Reader.
func (m *Memory) UsageByKey(ctx context.Context, teamID, key string) (billing.UsageRecord, error) {
	if err := m.rlock(ctx); err != nil {
		return billing.UsageRecord{}, err
	}
	defer m.mu.RUnlock()
	return m.s.usageByKey(teamID, key)
}

// UsageTotals implements team.Reader.
func (m *Memory) UsageTotals(ctx context.Context, teamID string, from, to time.Time) ([]billing.MemberUsage, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.usageTotals(teamID, from, to)
}

// AuditEvents implements team.Reader. It finds the cursor (f.AfterSeq) by
// binary search, so a page costs O(log n + page).
func (m *Memory) AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.auditEvents(teamID, f), nil
}

// LastAuditEvent implements team.Reader.
func (m *Memory) LastAuditEvent(ctx context.Context, teamID string) (audit.Event, error) {
	if err := m.rlock(ctx); err != nil {
		return audit.Event{}, err
	}
	defer m.mu.RUnlock()
	return m.s.lastAuditEvent(teamID)
}

// AuditHead implements team.Reader.
func (m *Memory) AuditHead(ctx context.Context, teamID string) (team.AuditHead, error) {
	if err := m.rlock(ctx); err != nil {
		return team.AuditHead{}, err
	}
	defer m.mu.RUnlock()
	return m.s.auditHead(teamID)
}

// Snapshot is a copy of every record of a Memory, for invariant checkers
// and security tests (for example: one owner per team, balances equal to
// top-ups minus charges, no raw invitation token stored anywhere). Changing
// it changes nothing stored. Slices are sorted by ID (Members by TeamID
// then UserID; Usage by TeamID, Time then ID); AuditEvents maps a team ID to
// its events in ascending Seq, and a billing account's ID to its own trail
// (BILL-8).
type Snapshot struct {
	Teams       []team.Team
	Members     []team.Member
	Invitations []team.Invitation
	Accounts    []billing.Account
	Usage       []billing.UsageRecord
	TopUps      []billing.TopUp
	AuditEvents map[string][]audit.Event

	// Invite links (by ID), domain claims (by TeamID then Domain) and join
	// requests (by ID).
	InviteLinks  []team.InviteLink
	DomainClaims []team.DomainClaim
	JoinRequests []team.JoinRequest
}

// Snapshot returns a copy of every committed record. It waits for a running
// unit of work to end, so it must not be called from inside one.
func (m *Memory) Snapshot() Snapshot {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := &m.s
	snap := Snapshot{
		Teams:       make([]team.Team, 0, len(s.teams)),
		Members:     make([]team.Member, 0, len(s.members)),
		Invitations: make([]team.Invitation, 0, len(s.invitations)),
		Accounts:    make([]billing.Account, 0, len(s.accounts)),
		Usage:       make([]billing.UsageRecord, 0, s.usageIDs.len()),
		TopUps:      make([]billing.TopUp, 0, len(s.topUps)),
		AuditEvents: make(map[string][]audit.Event, len(s.audit)),
	}
	for _, t := range s.teams {
		snap.Teams = append(snap.Teams, copyTeam(t))
	}
	slices.SortFunc(snap.Teams, func(a, b team.Team) int { return strings.Compare(a.ID, b.ID) })
	for _, mem := range s.members {
		snap.Members = append(snap.Members, mem)
	}
	slices.SortFunc(snap.Members, func(a, b team.Member) int {
		if c := strings.Compare(a.TeamID, b.TeamID); c != 0 {
			return c
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	for _, inv := range s.invitations {
		snap.Invitations = append(snap.Invitations, inv)
	}
	slices.SortFunc(snap.Invitations, func(a, b team.Invitation) int { return strings.Compare(a.ID, b.ID) })
	for _, a := range s.accounts {
		snap.Accounts = append(snap.Accounts, a)
	}
	slices.SortFunc(snap.Accounts, func(a, b billing.Account) int { return strings.Compare(a.ID, b.ID) })
	teamIDs := slices.Sorted(maps.Keys(s.usageByTeam))
	for _, id := range teamIDs {
		for _, r := range s.usageByTeam[id].recs {
			snap.Usage = append(snap.Usage, copyUsage(*r))
		}
	}
	for _, tu := range s.topUps {
		snap.TopUps = append(snap.TopUps, tu)
	}
	slices.SortFunc(snap.TopUps, func(a, b billing.TopUp) int { return strings.Compare(a.ID, b.ID) })
	for id, events := range s.audit {
		out := make([]audit.Event, len(events))
		for i, e := range events {
			out[i] = copyEvent(e)
		}
		snap.AuditEvents[id] = out
	}
	for id, events := range s.acctAudit {
		out := make([]audit.Event, len(events))
		for i, e := range events {
			out[i] = copyEvent(e)
		}
		snap.AuditEvents[id] = out
	}
	s.join.snapshot(&snap)
	return snap
}

// Keys of the indexes.
type (
	memberKey  struct{ team, user string }
	pendingKey struct{ team, email string }
)

type set = map[string]struct{}

// state holds the records and their indexes. Its methods do no locking.
type state struct {
	teams    map[string]team.Team
	personal map[string]string // owner ID -> ID of their personal team
	owned    map[string]set    // owner ID -> IDs of the teams they own

	members       map[memberKey]team.Member
	membersByTeam map[string]set // team ID -> user IDs
	membersByUser map[string]set // user ID -> team IDs

	invitations map[string]team.Invitation
	invByToken  map[string]string // token hash -> invitation ID
	invByTeam   map[string]set    // team ID -> invitation IDs
	invByEmail  map[string]set    // email -> invitation IDs
	pending     map[pendingKey]string

	accounts      map[string]billing.Account // by ID
	accountByUser map[string]string          // user ID -> account ID

	usageIDs    usageIndex           // by ID
	usageByTeam map[string]*usageLog // team ID -> its usage
	usageSlots  usageArena           // holds the records usageLogs point to

	topUps map[string]billing.TopUp

	audit    map[string][]audit.Event // team ID -> events in ascending Seq
	auditIDs set

	feed []audit.Event // every team's events in commit order (FEED-1)

	join joinState // invite links, domain claims, join requests (join.go)

	// Issue 12: kept apart from the records they guard.
	heads      map[string]team.AuditHead // team ID -> its audit chain's head (AUD-4)
	epochMarks map[memberKey]uint64      // highest epoch of each (team, user) pair (ROLE-5)

	// Billing v2 (BILL-8).
	topUpByKey   map[[2]string]string     // (account ID, key) -> top-up ID
	acctAudit    map[string][]audit.Event // account ID -> its trail, ascending Seq
	acctAuditIDs set
}

func newState() state {
	return state{
		teams:         map[string]team.Team{},
		personal:      map[string]string{},
		owned:         map[string]set{},
		members:       map[memberKey]team.Member{},
		membersByTeam: map[string]set{},
		membersByUser: map[string]set{},
		invitations:   map[string]team.Invitation{},
		invByToken:    map[string]string{},
		invByTeam:     map[string]set{},
		invByEmail:    map[string]set{},
		pending:       map[pendingKey]string{},
		accounts:      map[string]billing.Account{},
		accountByUser: map[string]string{},
		usageIDs:      newUsageIndex(maphash.MakeSeed(), usageID),
		usageByTeam:   map[string]*usageLog{},
		topUps:        map[string]billing.TopUp{},
		audit:         map[string][]audit.Event{},
		auditIDs:      set{},
		topUpByKey:    map[[2]string]string{},
		acctAudit:     map[string][]audit.Event{},
		acctAuditIDs:  set{},
		join:          newJoinState(),
		heads:         map[string]team.AuditHead{},
		epochMarks:    map[memberKey]uint64{},
	}
}

// Misses on hot paths, returned as they are: a non-member's request
// (Member) and every new usage charge (UsageByKey). Callers test them with
// errors.Is and say which member or key themselves.
var (
	errMemberNotFound = fmt.Errorf("store: member: %w", team.ErrNotFound)
	errUsageNotFound  = fmt.Errorf("store: usage record with this idempotency key: %w", team.ErrNotFound)
)

// notFoundError matches team.ErrNotFound and names the missing record. It
// is formatted only when its text is asked for: callers mostly just test a
// miss with errors.Is.
type notFoundError struct{ what, id string }

func (e *notFoundError) Error() string {
	return "store: " + e.what + " " + strconv.Quote(e.id) + ": " + team.ErrNotFound.Error()
}

func (e *notFoundError) Unwrap() error { return team.ErrNotFound }

func notFound(what, id string) error {
	return &notFoundError{what: what, id: id}
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("store: %s: %w", fmt.Sprintf(format, args...), team.ErrConflict)
}

func copyTeam(t team.Team) team.Team {
	t.Settings = maps.Clone(t.Settings)
	return t
}

func copyUsage(r billing.UsageRecord) billing.UsageRecord {
	r.Metadata = maps.Clone(r.Metadata)
	return r
}

func copyEvent(e audit.Event) audit.Event {
	e.Details = maps.Clone(e.Details)
	return e
}

func (s *state) team(id string) (team.Team, error) {
	t, ok := s.teams[id]
	if !ok {
		return team.Team{}, notFound("team", id)
	}
	return copyTeam(t), nil
}

func (s *state) personalTeam(userID string) (team.Team, error) {
	id, ok := s.personal[userID]
	if !ok {
		return team.Team{}, notFound("personal team of user", userID)
	}
	return copyTeam(s.teams[id]), nil
}

func (s *state) teamsOfUser(userID string) []team.Team {
	ids := s.membersByUser[userID]
	out := make([]team.Team, 0, len(ids))
	for id := range ids {
		if t, ok := s.teams[id]; ok {
			out = append(out, copyTeam(t))
		}
	}
	slices.SortFunc(out, func(a, b team.Team) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func (s *state) countOwnedTeams(ownerID string, kind team.Kind) int {
	n := 0
	for id := range s.owned[ownerID] {
		if t := s.teams[id]; t.Kind == kind && !t.Deleted() {
			n++
		}
	}
	return n
}

func (s *state) membersOf(teamID string) []team.Member {
	users := s.membersByTeam[teamID]
	out := make([]team.Member, 0, len(users))
	for u := range users {
		out = append(out, s.members[memberKey{teamID, u}])
	}
	slices.SortFunc(out, func(a, b team.Member) int {
		if c := a.JoinedAt.Compare(b.JoinedAt); c != 0 {
			return c
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	return out
}

func (s *state) invitation(id string) (team.Invitation, error) {
	inv, ok := s.invitations[id]
	if !ok {
		return team.Invitation{}, notFound("invitation", id)
	}
	return inv, nil
}

func (s *state) invitationByTokenHash(hash string) (team.Invitation, error) {
	id, ok := s.invByToken[hash]
	if !ok {
		// The hash is not secret, but there is no need to echo it.
		return team.Invitation{}, fmt.Errorf("store: invitation with the given token hash: %w", team.ErrNotFound)
	}
	return s.invitations[id], nil
}

func (s *state) invitationsIn(ids set, status team.InvitationStatus) []team.Invitation {
	out := make([]team.Invitation, 0, len(ids))
	for id := range ids {
		if inv := s.invitations[id]; status == "" || inv.Status == status {
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(a, b team.Invitation) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func (s *state) account(userID string) (billing.Account, error) {
	id, ok := s.accountByUser[userID]
	if !ok {
		return billing.Account{}, notFound("billing account of user", userID)
	}
	return s.accounts[id], nil
}

func (s *state) usageByKey(teamID, key string) (billing.UsageRecord, error) {
	var r *billing.UsageRecord
	if l := s.usageByTeam[teamID]; l != nil {
		r = l.byKey.get(key)
	}
	if r == nil {
		return billing.UsageRecord{}, errUsageNotFound
	}
	return copyUsage(*r), nil
}

// usageLog is the usage of one team: its records ordered by Time, then
// insertion, and by idempotency key.
type usageLog struct {
	recs  []*billing.UsageRecord
	byKey usageIndex
}

func usageID(r *billing.UsageRecord) string  { return r.ID }
func usageKey(r *billing.UsageRecord) string { return r.IdempotencyKey }

// usageIndex maps a string of each record (as key says) to the record.
// The ledger only grows, to millions of records: a map keyed by the
// strings would reread every key, scattered in memory, each time it grows.
// So records are found by a 64-bit hash of their key instead, and the rare
// key whose hash another key holds already goes to spill.
type usageIndex struct {
	seed   maphash.Seed
	key    func(*billing.UsageRecord) string
	byHash map[uint64]*billing.UsageRecord
	spill  map[string]*billing.UsageRecord
}

func newUsageIndex(seed maphash.Seed, key func(*billing.UsageRecord) string) usageIndex {
	return usageIndex{seed: seed, key: key, byHash: map[uint64]*billing.UsageRecord{}}
}

func (x *usageIndex) len() int { return len(x.byHash) + len(x.spill) }

// get returns the record with key k, or nil.
func (x *usageIndex) get(k string) *billing.UsageRecord {
	if r := x.byHash[maphash.String(x.seed, k)]; r != nil && x.key(r) == k {
		return r
	}
	return x.spill[k] // nil map: nil
}

// add indexes r under its key unless a record holds it already; it reports
// whether it did.
func (x *usageIndex) add(r *billing.UsageRecord) bool {
	k := x.key(r)
	h := maphash.String(x.seed, k)
	other := x.byHash[h]
	if other == nil {
		x.byHash[h] = r
		return true
	}
	if x.key(other) == k || x.spill[k] != nil {
		return false
	}
	if x.spill == nil {
		x.spill = map[string]*billing.UsageRecord{}
	}
	x.spill[k] = r
	return true
}

// remove unindexes r, which add indexed.
func (x *usageIndex) remove(r *billing.UsageRecord) {
	h := maphash.String(x.seed, x.key(r))
	if x.byHash[h] == r {
		delete(x.byHash, h)
	} else {
		delete(x.spill, x.key(r))
	}
}

// usageArena allocates usage records in chunks: records are never deleted
// but by a rollback, which frees the latest first. Pointers to them stay
// valid, so the indexes hold pointers, not copies.
type usageArena struct {
	chunks []*[usageChunk]billing.UsageRecord
	n      int // records held
}

const usageChunk = 128

// alloc returns a fresh zero slot.
func (a *usageArena) alloc() *billing.UsageRecord {
	c, i := a.n/usageChunk, a.n%usageChunk
	if c == len(a.chunks) {
		a.chunks = append(a.chunks, new([usageChunk]billing.UsageRecord))
	}
	a.n++
	return &a.chunks[c][i]
}

// free zeroes and releases the slot alloc returned last.
func (a *usageArena) free() {
	a.n--
	a.chunks[a.n/usageChunk][a.n%usageChunk] = billing.UsageRecord{}
}

// usageAfter returns the index of the first record of rs with Time after t.
func usageAfter(rs []*billing.UsageRecord, t time.Time) int {
	return sort.Search(len(rs), func(i int) bool { return rs[i].Time.After(t) })
}

// usageFrom returns the index of the first record of rs with Time at or
// after t.
func usageFrom(rs []*billing.UsageRecord, t time.Time) int {
	return sort.Search(len(rs), func(i int) bool { return !rs[i].Time.Before(t) })
}

// usageTotals sums per member; a total beyond int64 is an error matching
// billing.ErrTotalOverflow (BILL-10).
func (s *state) usageTotals(teamID string, from, to time.Time) ([]billing.MemberUsage, error) {
	var rs []*billing.UsageRecord
	if l := s.usageByTeam[teamID]; l != nil {
		rs = l.recs
	}
	lo, hi := usageFrom(rs, from), len(rs)
	if !to.IsZero() {
		hi = max(lo, usageFrom(rs, to))
	}
	byUser := map[string]*billing.MemberUsage{}
	for _, r := range rs[lo:hi] {
		mu := byUser[r.UserID]
		if mu == nil {
			mu = &billing.MemberUsage{UserID: r.UserID}
			byUser[r.UserID] = mu
		}
		if r.Amount > (1<<63-1)-mu.Amount { // math.MaxInt64; amounts are positive
			return nil, fmt.Errorf("%w: member %s used more than that in the range", billing.ErrTotalOverflow, r.UserID)
		}
		mu.Amount += r.Amount
		mu.Records++
	}
	out := make([]billing.MemberUsage, 0, len(byUser))
	for _, mu := range byUser {
		out = append(out, *mu)
	}
	slices.SortFunc(out, func(a, b billing.MemberUsage) int { return strings.Compare(a.UserID, b.UserID) })
	return out, nil
}

// seqAfter returns the index of the first event of es with Seq > seq.
func seqAfter(es []audit.Event, seq uint64) int {
	return sort.Search(len(es), func(i int) bool { return es[i].Seq > seq })
}

func (s *state) auditEvents(teamID string, f audit.Filter) []audit.Event {
	es := s.audit[teamID]
	es = es[seqAfter(es, f.AfterSeq):]
	size := len(es)
	if f.Limit > 0 {
		size = min(size, f.Limit)
	}
	out := make([]audit.Event, 0, min(size, 1024))
	for _, e := range es {
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		if f.Match(e) {
			out = append(out, copyEvent(e))
		}
	}
	return out
}

func (s *state) auditHead(teamID string) (team.AuditHead, error) {
	if _, ok := s.teams[teamID]; !ok {
		return team.AuditHead{}, notFound("team", teamID)
	}
	return s.heads[teamID], nil
}

func (s *state) lastAuditEvent(teamID string) (audit.Event, error) {
	es := s.audit[teamID]
	if len(es) == 0 {
		return audit.Event{}, notFound("audit events of team", teamID)
	}
	return copyEvent(es[len(es)-1]), nil
}

// User lifecycle (ROLE-8, USER-1, USER-2).

// MembershipsOfUser implements team.Reader.
func (m *Memory) MembershipsOfUser(ctx context.Context, userID string) ([]team.Membership, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.membershipsOfUser(userID), nil
}

func (s *state) membershipsOfUser(userID string) []team.Membership {
	ids := s.membersByUser[userID]
	out := make([]team.Membership, 0, len(ids))
	for id := range ids {
		if t, ok := s.teams[id]; ok {
			out = append(out, team.Membership{Team: copyTeam(t), Member: s.members[memberKey{id, userID}]})
		}
	}
	slices.SortFunc(out, func(a, b team.Membership) int {
		if c := a.Team.CreatedAt.Compare(b.Team.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Team.ID, b.Team.ID)
	})
	return out
}
