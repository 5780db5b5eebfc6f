package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

type memberKey struct{ teamID, userID string }

type usageKey struct{ teamID, key string }

// memberEntry is a cached membership lookup (found or not).
type memberEntry struct {
	m     team.Member
	found bool
}

// acctEntry is an account locked by the batch: base is its value in the
// transaction (as the database has it), cur its value with buffered updates.
type acctEntry struct {
	base, cur billing.Account
	dirty     bool // cur must be written at flush
}

// batchTx is the team.Tx of a batch (see batch.go). Every database call uses
// the batch's ctx, not the fn's.
type batchTx struct {
	tx  // the transaction itself, for what is not buffered or cached
	ctx context.Context

	teams   map[string]team.Team // locked by this transaction
	members map[memberKey]memberEntry
	// allMembers: every membership of the team is in members.
	allMembers map[string]bool
	accounts   map[string]*acctEntry // locked, by user ID
	acctByID   map[string]string     // account ID → user ID
	usage      []billing.UsageRecord // buffered inserts, normalised
	usageKey   map[usageKey]int      // (team, key) → index in usage
	usageID    map[string]struct{}
	absent     map[usageKey]struct{} // keys known not to be in the database (team locked)

	// optimistic: UsageByKey assumes keys of locked teams absent without a
	// query; flush checks every assumption at once (errStaleAssumption).
	optimistic bool
	assumed    []usageKey

	// The running fn.
	snapUsage int
	snapAccts map[string]acctEntry
	sp        pgx.Tx // its savepoint once it made a write that is not buffered

	// broken is set when moving buffers to the database failed: the
	// transaction is then unusable and the batch's calls run again.
	broken error
}

var _ team.Tx = (*batchTx)(nil)

func newBatchTx(ctx context.Context, s *Store, pgtx pgx.Tx) *batchTx {
	return &batchTx{
		tx:         tx{reader: reader{q: &s.qs, db: pgtx}, pg: pgtx},
		ctx:        ctx,
		teams:      map[string]team.Team{},
		members:    map[memberKey]memberEntry{},
		allMembers: map[string]bool{},
		accounts:   map[string]*acctEntry{},
		acctByID:   map[string]string{},
		usageKey:   map[usageKey]int{},
		usageID:    map[string]struct{}{},
		absent:     map[usageKey]struct{}{},
	}
}

// begin starts a fn: snapshot of the buffers.
func (b *batchTx) begin() {
	b.snapUsage = len(b.usage)
	clear(b.snapAccts)
	if b.snapAccts == nil {
		b.snapAccts = map[string]acctEntry{}
	}
	for u, e := range b.accounts {
		b.snapAccts[u] = *e
	}
	b.sp = nil
}

// keep ends a fn that succeeded.
func (b *batchTx) keep() error {
	if b.broken != nil {
		return b.broken
	}
	if b.sp == nil {
		return nil
	}
	sp := b.sp
	b.sp = nil
	return sp.Commit(b.ctx) // RELEASE SAVEPOINT
}

// discard ends a fn that failed, leaving no trace of its writes.
func (b *batchTx) discard() error {
	if b.broken != nil {
		return b.broken
	}
	if b.sp != nil {
		sp := b.sp
		b.sp = nil
		// The savepoint may also have taken locks and changed rows that
		// the caches hold: forget them all (buffers are empty since the
		// savepoint began).
		clear(b.teams)
		clear(b.members)
		clear(b.allMembers)
		clear(b.accounts)
		clear(b.acctByID)
		clear(b.absent)
		return sp.Rollback(b.ctx) // ROLLBACK TO SAVEPOINT
	}
	for _, r := range b.usage[b.snapUsage:] {
		delete(b.usageKey, usageKey{r.TeamID, r.IdempotencyKey})
		delete(b.usageID, r.ID)
	}
	clear(b.usage[b.snapUsage:])
	b.usage = b.usage[:b.snapUsage]
	for u, e := range b.accounts {
		if snap, ok := b.snapAccts[u]; ok {
			*e = snap
		} else {
			e.cur, e.dirty = e.base, false
		}
	}
	return nil
}

// direct makes the running fn write straight to the database: it writes
// the buffers of earlier fns, opens a savepoint, writes the running fn's
// buffered writes inside it and leaves the buffers empty. Idempotent. If
// it fails, the batch is broken.
func (b *batchTx) direct() error {
	if b.broken != nil {
		return b.broken
	}
	if b.sp != nil {
		return nil
	}
	if err := b.moveToDB(); err != nil {
		b.broken = err
		return err
	}
	return nil
}

func (b *batchTx) moveToDB() error {
	// Earlier fns: their state is the snapshot.
	var prior []billing.Account
	for u, snap := range b.snapAccts {
		if snap.dirty {
			prior = append(prior, snap.cur)
			e := b.accounts[u]
			e.base = snap.cur
			e.dirty = e.cur != e.base
		}
	}
	// The keys assumed new so far are checked now, before the batch's own
	// records of them reach the database.
	if err := b.write(prior, b.usage[:b.snapUsage], b.assumed, false); err != nil {
		return err
	}
	b.assumed = b.assumed[:0]
	sp, err := b.pg.Begin(b.ctx)
	if err != nil {
		return mapErr("opening a savepoint in the batch", err)
	}
	b.sp = sp
	var current []billing.Account
	for _, e := range b.accounts {
		if e.cur != e.base {
			current = append(current, e.cur)
		}
	}
	if err := b.write(current, b.usage[b.snapUsage:], nil, false); err != nil {
		return err
	}
	for _, e := range b.accounts {
		e.base, e.dirty = e.cur, false
	}
	b.dropUsageBuffer()
	return nil
}

func (b *batchTx) dropUsageBuffer() {
	for _, r := range b.usage {
		delete(b.absent, usageKey{r.TeamID, r.IdempotencyKey})
	}
	clear(b.usageKey)
	clear(b.usageID)
	b.usage = b.usage[:0]
	b.snapUsage = 0
}

// staleKeySQLState is raised by usage_keys_absent (migrations/0001).
const staleKeySQLState = "TKB01"

// errStaleAssumption: a key the optimistic batch assumed absent exists.
var errStaleAssumption = errors.New("postgres: batch: an idempotency key assumed new exists")

// flushAndCommit checks the batch's assumptions, writes every buffered
// write and commits, in one round trip: the locks are held for as short as
// can be. If any statement fails, those after it (the COMMIT) do not run.
func (b *batchTx) flushAndCommit() error {
	if b.broken != nil {
		return b.broken
	}
	var accts []billing.Account
	for _, e := range b.accounts {
		if e.dirty {
			accts = append(accts, e.cur)
		}
	}
	return b.write(accts, b.usage, b.assumed, true)
}

// usageKeyConstraint is the unique index on (team_id, idempotency_key) of
// usage_records (migrations/0001): a batch insert that breaks it proves an
// assumption wrong.
const usageKeyConstraint = "usage_records_team_id_idempotency_key_key"

// write sends, in one round trip, the check of assumed keys (which fails
// when one exists), account updates, one multi-row usage insert and, when
// commit is set, the COMMIT. Assumed keys that the insert writes need no
// check of their own: the unique index on (team_id, idempotency_key)
// checks them, so the common batch (every assumed key recorded) sends no
// check at all.
func (b *batchTx) write(accts []billing.Account, usage []billing.UsageRecord, assumed []usageKey, commit bool) error {
	if len(accts) == 0 && len(usage) == 0 && len(assumed) == 0 {
		if lt, ok := b.pg.(*lazyTx); !commit || (ok && !lt.begun()) {
			return nil // nothing to write, or to commit
		}
	}
	optimistic := len(assumed) > 0
	assumed = uncovered(assumed, usage)
	batch := &pgx.Batch{}
	if len(assumed) > 0 {
		teams, keys := make([]string, len(assumed)), make([]string, len(assumed))
		for i, k := range assumed {
			teams[i], keys[i] = k.teamID, k.key
		}
		batch.Queue(b.q.usageKeysAbsent, teams, keys)
	}
	for _, a := range accts {
		batch.Queue(b.q.updateAccount, accountArgs(a)...)
	}
	if len(usage) > 0 {
		n := len(usage)
		ids, teams, users, accounts, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		amounts, times, metas := make([]int64, n), make([]time.Time, n), make([][]byte, n)
		for i, r := range usage {
			ids[i], teams[i], users[i], accounts[i], keys[i] = r.ID, r.TeamID, r.UserID, r.AccountID, r.IdempotencyKey
			amounts[i], times[i], metas[i] = r.Amount, r.Time, encodeMap(r.Metadata)
		}
		batch.Queue(b.q.insertUsageRows, ids, teams, users, accounts, amounts, times, keys, metas)
	}
	if commit {
		batch.Queue("COMMIT")
	}
	res := b.pg.SendBatch(b.ctx, batch)
	if len(assumed) > 0 {
		if _, err := res.Exec(); err != nil {
			_ = res.Close()
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == staleKeySQLState {
				return errStaleAssumption
			}
			return mapErr("checking the batch's idempotency keys", err)
		}
	}
	for i := range accts {
		tag, err := res.Exec()
		if err == nil && tag.RowsAffected() != 1 {
			err = notFound("account " + accts[i].ID)
		}
		if err != nil {
			_ = res.Close()
			return mapErr("writing the batch's account updates", err)
		}
	}
	if len(usage) > 0 {
		if _, err := res.Exec(); err != nil {
			_ = res.Close()
			var pgErr *pgconn.PgError
			if optimistic && errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == usageKeyConstraint {
				return errStaleAssumption
			}
			return mapErr("writing the batch's usage records", err)
		}
	}
	if commit {
		tag, err := res.Exec()
		if err == nil && tag.String() != "COMMIT" {
			err = fmt.Errorf("transaction ended with %s", tag)
		}
		if err != nil {
			_ = res.Close()
			return mapErr("committing the batch", err)
		}
	}
	return res.Close()
}

// uncovered returns, in a new slice, the keys of assumed that no record of
// usage has.
func uncovered(assumed []usageKey, usage []billing.UsageRecord) []usageKey {
	if len(assumed) == 0 || len(usage) == 0 {
		return assumed
	}
	in := make(map[usageKey]struct{}, len(usage))
	for _, r := range usage {
		in[usageKey{r.TeamID, r.IdempotencyKey}] = struct{}{}
	}
	out := assumed[:0:0]
	for _, k := range assumed {
		if _, ok := in[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// unbuffered switches the running fn to direct writes before a write the
// batch cannot buffer.
func (b *batchTx) unbuffered() error {
	if err := b.direct(); err != nil {
		return fmt.Errorf("postgres: batch: %w", err)
	}
	return nil
}

// ---- cached and buffered calls: the usage charge ----

// LockTeam implements team.Tx; a team locked once stays cached. In the
// same round trip as the lock it loads the team's memberships and locks its
// owner's account (after the team, as the service orders its locks), which
// a usage charge reads next.
func (b *batchTx) LockTeam(_ context.Context, teamID string) (team.Team, error) {
	if t, ok := b.teams[teamID]; ok {
		t.Settings = maps.Clone(t.Settings)
		return t, nil
	}
	if b.sp != nil { // inside a savepoint: keep it simple
		t, err := b.tx.LockTeam(b.ctx, teamID)
		if err != nil {
			return team.Team{}, err
		}
		b.teams[teamID] = t
		t.Settings = maps.Clone(t.Settings)
		return t, nil
	}
	batch := &pgx.Batch{}
	batch.Queue(b.q.teamForUpdate, teamID)
	batch.Queue(b.q.members, teamID)
	batch.Queue(b.q.ownerAccountForUpdate, teamID)
	res := b.pg.SendBatch(b.ctx, batch)
	defer res.Close()
	t, err := scanTeam(res.QueryRow())
	if err != nil {
		return team.Team{}, mapErr("locking team "+teamID, err)
	}
	rows, err := res.Query()
	if err != nil {
		return team.Team{}, mapErr("members of "+teamID, err)
	}
	var members []team.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			rows.Close()
			return team.Team{}, mapErr("members of "+teamID, err)
		}
		members = append(members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return team.Team{}, mapErr("members of "+teamID, err)
	}
	acct, acctErr := scanAccount(res.QueryRow())
	if acctErr != nil && !errors.Is(acctErr, pgx.ErrNoRows) {
		return team.Team{}, mapErr("locking the account of "+t.OwnerID, acctErr)
	}
	if err := res.Close(); err != nil {
		return team.Team{}, mapErr("locking team "+teamID, err)
	}
	b.teams[teamID] = t
	b.allMembers[teamID] = true
	for _, m := range members {
		b.members[memberKey{teamID, m.UserID}] = memberEntry{m: m, found: true}
	}
	if _, ok := b.accounts[acct.UserID]; acctErr == nil && !ok {
		b.accounts[acct.UserID] = &acctEntry{base: acct, cur: acct}
		b.acctByID[acct.ID] = acct.UserID
	}
	t.Settings = maps.Clone(t.Settings)
	return t, nil
}

// Team implements team.Reader.
func (b *batchTx) Team(_ context.Context, teamID string) (team.Team, error) {
	if t, ok := b.teams[teamID]; ok {
		t.Settings = maps.Clone(t.Settings)
		return t, nil
	}
	return b.tx.Team(b.ctx, teamID)
}

// Member implements team.Reader; memberships of locked teams are cached.
func (b *batchTx) Member(_ context.Context, teamID, userID string) (team.Member, error) {
	k := memberKey{teamID, userID}
	if e, ok := b.members[k]; ok || b.allMembers[teamID] {
		if !e.found {
			return team.Member{}, notFound("membership of " + userID + " in " + teamID)
		}
		return e.m, nil
	}
	m, err := b.tx.Member(b.ctx, teamID, userID)
	if _, locked := b.teams[teamID]; locked {
		switch {
		case err == nil:
			b.members[k] = memberEntry{m: m, found: true}
		case isNotFound(err):
			b.members[k] = memberEntry{}
		}
	}
	return m, err
}

// LockAccount implements team.Tx; an account locked once stays cached, with
// its buffered updates.
func (b *batchTx) LockAccount(_ context.Context, userID string) (billing.Account, error) {
	if e, ok := b.accounts[userID]; ok {
		return e.cur, nil
	}
	a, err := b.tx.LockAccount(b.ctx, userID)
	if err != nil {
		return billing.Account{}, err
	}
	b.accounts[userID] = &acctEntry{base: a, cur: a}
	b.acctByID[a.ID] = userID
	return a, nil
}

// Account implements team.Reader.
func (b *batchTx) Account(_ context.Context, userID string) (billing.Account, error) {
	if e, ok := b.accounts[userID]; ok {
		return e.cur, nil
	}
	return b.tx.Account(b.ctx, userID)
}

// UpdateAccount implements team.Tx; updates of locked accounts are buffered.
func (b *batchTx) UpdateAccount(_ context.Context, a billing.Account) error {
	if u, ok := b.acctByID[a.ID]; ok && u == a.UserID && b.sp == nil {
		e := b.accounts[u]
		e.cur = normAccount(a)
		e.dirty = e.cur != e.base
		return nil
	}
	if err := b.unbuffered(); err != nil {
		return err
	}
	if err := b.tx.UpdateAccount(b.ctx, a); err != nil {
		return err
	}
	if u, ok := b.acctByID[a.ID]; ok {
		if u == a.UserID {
			e := b.accounts[u]
			e.base, e.cur, e.dirty = normAccount(a), normAccount(a), false
		} else { // the account moved to another user: forget it
			delete(b.accounts, u)
			delete(b.acctByID, a.ID)
		}
	}
	return nil
}

// UsageByKey implements team.Reader; it sees buffered records.
func (b *batchTx) UsageByKey(_ context.Context, teamID, key string) (billing.UsageRecord, error) {
	k := usageKey{teamID, key}
	if i, ok := b.usageKey[k]; ok {
		r := b.usage[i]
		r.Metadata = maps.Clone(r.Metadata)
		return r, nil
	}
	if _, ok := b.absent[k]; ok {
		return billing.UsageRecord{}, notFound("usage by key in " + teamID)
	}
	if _, locked := b.teams[teamID]; locked && b.optimistic {
		b.absent[k] = struct{}{}
		b.assumed = append(b.assumed, k)
		return billing.UsageRecord{}, notFound("usage by key in " + teamID)
	}
	r, err := b.tx.UsageByKey(b.ctx, teamID, key)
	if _, locked := b.teams[teamID]; locked && isNotFound(err) {
		b.absent[k] = struct{}{}
	}
	return r, err
}

// InsertUsage implements team.Tx; inserts are buffered.
func (b *batchTx) InsertUsage(_ context.Context, r billing.UsageRecord) error {
	k := usageKey{r.TeamID, r.IdempotencyKey}
	if b.sp != nil {
		if err := b.tx.InsertUsage(b.ctx, r); err != nil {
			return err
		}
		delete(b.absent, k)
		return nil
	}
	_, dupKey := b.usageKey[k]
	_, dupID := b.usageID[r.ID]
	if dupKey || dupID {
		return conflict("usage record " + r.ID + " or its idempotency key exists in " + r.TeamID)
	}
	if _, ok := b.absent[k]; !ok {
		var exists bool
		if err := b.pg.QueryRow(b.ctx, b.q.usageKeyOrIDExists, r.TeamID, r.IdempotencyKey, r.ID).Scan(&exists); err != nil {
			return mapErr("checking usage record", err)
		}
		if exists {
			return conflict("usage record " + r.ID + " or its idempotency key exists in " + r.TeamID)
		}
	}
	// A record ID that is already in the database (not checked when the key
	// is known absent) fails the flush, and the batch's calls run again.
	r.Time = ts(r.Time)
	r.Metadata = maps.Clone(r.Metadata)
	b.usageKey[k] = len(b.usage)
	b.usageID[r.ID] = struct{}{}
	b.usage = append(b.usage, r)
	return nil
}

// UsageTotals implements team.Reader; it needs the buffered records in the
// database first.
func (b *batchTx) UsageTotals(_ context.Context, teamID string, from, to time.Time) ([]billing.MemberUsage, error) {
	if err := b.unbuffered(); err != nil {
		return nil, err
	}
	return b.tx.UsageTotals(b.ctx, teamID, from, to)
}

func normAccount(a billing.Account) billing.Account {
	a.CreatedAt, a.UpdatedAt = ts(a.CreatedAt), ts(a.UpdatedAt)
	return a
}

// ---- reads that touch nothing buffered: straight to the transaction ----

// PersonalTeam implements team.Reader.
func (b *batchTx) PersonalTeam(_ context.Context, userID string) (team.Team, error) {
	return b.tx.PersonalTeam(b.ctx, userID)
}

// TeamsOfUser implements team.Reader.
func (b *batchTx) TeamsOfUser(_ context.Context, userID string) ([]team.Team, error) {
	return b.tx.TeamsOfUser(b.ctx, userID)
}

// CountOwnedTeams implements team.Reader.
func (b *batchTx) CountOwnedTeams(_ context.Context, ownerID string, kind team.Kind) (int, error) {
	return b.tx.CountOwnedTeams(b.ctx, ownerID, kind)
}

// Members implements team.Reader.
func (b *batchTx) Members(_ context.Context, teamID string) ([]team.Member, error) {
	return b.tx.Members(b.ctx, teamID)
}

// Invitation implements team.Reader.
func (b *batchTx) Invitation(_ context.Context, invitationID string) (team.Invitation, error) {
	return b.tx.Invitation(b.ctx, invitationID)
}

// InvitationByTokenHash implements team.Reader.
func (b *batchTx) InvitationByTokenHash(_ context.Context, hash string) (team.Invitation, error) {
	return b.tx.InvitationByTokenHash(b.ctx, hash)
}

// Invitations implements team.Reader.
func (b *batchTx) Invitations(_ context.Context, teamID string, status team.InvitationStatus) ([]team.Invitation, error) {
	return b.tx.Invitations(b.ctx, teamID, status)
}

// InvitationsByEmail implements team.Reader.
func (b *batchTx) InvitationsByEmail(_ context.Context, email string, status team.InvitationStatus) ([]team.Invitation, error) {
	return b.tx.InvitationsByEmail(b.ctx, email, status)
}

// AuditEvents implements team.Reader.
func (b *batchTx) AuditEvents(_ context.Context, teamID string, f audit.Filter) ([]audit.Event, error) {
	return b.tx.AuditEvents(b.ctx, teamID, f)
}

// LastAuditEvent implements team.Reader.
func (b *batchTx) LastAuditEvent(_ context.Context, teamID string) (audit.Event, error) {
	return b.tx.LastAuditEvent(b.ctx, teamID)
}

// ---- writes the batch does not buffer: savepoint, then straight through ----

// InsertTeam implements team.Tx.
func (b *batchTx) InsertTeam(_ context.Context, t team.Team) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.InsertTeam(b.ctx, t)
}

// UpdateTeam implements team.Tx.
func (b *batchTx) UpdateTeam(_ context.Context, t team.Team) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	delete(b.teams, t.ID) // refetched (it stays locked) on next use
	delete(b.allMembers, t.ID)
	return b.tx.UpdateTeam(b.ctx, t)
}

// DeleteTeamMembers implements team.Tx.
func (b *batchTx) DeleteTeamMembers(_ context.Context, teamID string) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	delete(b.allMembers, teamID)
	for k := range b.members {
		if k.teamID == teamID {
			delete(b.members, k)
		}
	}
	return b.tx.DeleteTeamMembers(b.ctx, teamID)
}

// InsertMember implements team.Tx.
func (b *batchTx) InsertMember(_ context.Context, m team.Member) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	delete(b.members, memberKey{m.TeamID, m.UserID})
	delete(b.allMembers, m.TeamID)
	return b.tx.InsertMember(b.ctx, m)
}

// UpdateMember implements team.Tx.
func (b *batchTx) UpdateMember(_ context.Context, m team.Member) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	delete(b.members, memberKey{m.TeamID, m.UserID})
	delete(b.allMembers, m.TeamID)
	return b.tx.UpdateMember(b.ctx, m)
}

// DeleteMember implements team.Tx.
func (b *batchTx) DeleteMember(_ context.Context, teamID, userID string) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	delete(b.members, memberKey{teamID, userID})
	delete(b.allMembers, teamID)
	return b.tx.DeleteMember(b.ctx, teamID, userID)
}

// InsertInvitation implements team.Tx.
func (b *batchTx) InsertInvitation(_ context.Context, inv team.Invitation) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.InsertInvitation(b.ctx, inv)
}

// UpdateInvitation implements team.Tx.
func (b *batchTx) UpdateInvitation(_ context.Context, inv team.Invitation) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.UpdateInvitation(b.ctx, inv)
}

// InsertAccount implements team.Tx.
func (b *batchTx) InsertAccount(_ context.Context, a billing.Account) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.InsertAccount(b.ctx, a)
}

// InsertTopUp implements team.Tx.
func (b *batchTx) InsertTopUp(_ context.Context, t billing.TopUp) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.InsertTopUp(b.ctx, t)
}

// AppendAuditEvent implements team.Tx.
func (b *batchTx) AppendAuditEvent(_ context.Context, e audit.Event) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.AppendAuditEvent(b.ctx, e)
}

// ---- user lifecycle (ROLE-8, USER-2): straight through ----

// MembershipsOfUser implements team.Reader.
func (b *batchTx) MembershipsOfUser(_ context.Context, userID string) ([]team.Membership, error) {
	return b.tx.MembershipsOfUser(b.ctx, userID)
}

// DeleteInvitationsByEmail implements team.Tx.
func (b *batchTx) DeleteInvitationsByEmail(_ context.Context, teamID, email string) (int, error) {
	if err := b.unbuffered(); err != nil {
		return 0, err
	}
	return b.tx.DeleteInvitationsByEmail(b.ctx, teamID, email)
}

// AuditHead implements team.Reader.
func (b *batchTx) AuditHead(_ context.Context, teamID string) (team.AuditHead, error) {
	return b.tx.AuditHead(b.ctx, teamID)
}

// MemberEpochMark implements team.Tx.
func (b *batchTx) MemberEpochMark(_ context.Context, teamID, userID string) (uint64, error) {
	return b.tx.MemberEpochMark(b.ctx, teamID, userID)
}
