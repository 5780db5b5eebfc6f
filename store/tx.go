package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// memTx is a unit of work of Memory. It runs while its Memory's write lock
// is held, so it reads and writes the state directly, recording the inverse
// of every write in undo.
type memTx struct {
	m     *Memory
	s     *state
	undo  []undoEntry
	ended atomic.Bool
}

// undoEntry reverses one write: fn when set, else it truncates the audit
// log of auditTeam back to auditLen events (consecutive appends to the end
// of one team's log share one entry).
type undoEntry struct {
	fn        func()
	auditTeam string
	auditLen  int
}

var _ team.Tx = (*memTx)(nil)

func (t *memTx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		u := t.undo[i]
		if u.fn != nil {
			u.fn()
			continue
		}
		es := t.s.audit[u.auditTeam]
		for _, e := range es[u.auditLen:] {
			delete(t.s.auditIDs, e.ID)
		}
		clear(es[u.auditLen:])
		if u.auditLen == 0 {
			delete(t.s.audit, u.auditTeam)
		} else {
			t.s.audit[u.auditTeam] = es[:u.auditLen]
		}
	}
	t.undo = t.undo[:0]
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

// Undo-logged primitives.

func setKey[K comparable, V any](t *memTx, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	t.undo = append(t.undo, undoEntry{fn: func() {
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
	t.undo = append(t.undo, undoEntry{fn: func() { m[k] = old }})
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
	t.undo = append(t.undo, undoEntry{fn: func() {
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
	t.undo = append(t.undo, undoEntry{fn: func() {
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
		return team.Member{}, notFound("member", teamID+"/"+userID)
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
	return t.s.usageTotals(teamID, from, to), nil
}

func (t *memTx) AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.auditEvents(teamID, f), nil
}

func (t *memTx) LastAuditEvent(ctx context.Context, teamID string) (audit.Event, error) {
	if err := t.check(ctx); err != nil {
		return audit.Event{}, err
	}
	return t.s.lastAuditEvent(teamID)
}

// Locks: the unit already holds the whole store.

func (t *memTx) LockTeam(ctx context.Context, teamID string) (team.Team, error) {
	if err := t.write(ctx, "LockTeam"); err != nil {
		return team.Team{}, err
	}
	return t.s.team(teamID)
}

func (t *memTx) LockAccount(ctx context.Context, userID string) (billing.Account, error) {
	if err := t.write(ctx, "LockAccount"); err != nil {
		return billing.Account{}, err
	}
	return t.s.account(userID)
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
	k := memberKey{m.TeamID, m.UserID}
	if _, ok := t.s.members[k]; ok {
		return conflict("user %q is already a member of team %q", m.UserID, m.TeamID)
	}
	setKey(t, t.s.members, k, m)
	addToSet(t, t.s.membersByTeam, m.TeamID, m.UserID)
	addToSet(t, t.s.membersByUser, m.UserID, m.TeamID)
	return nil
}

func (t *memTx) UpdateMember(ctx context.Context, m team.Member) error {
	if err := t.write(ctx, "UpdateMember"); err != nil {
		return err
	}
	k := memberKey{m.TeamID, m.UserID}
	if _, ok := t.s.members[k]; !ok {
		return notFound("member", m.TeamID+"/"+m.UserID)
	}
	setKey(t, t.s.members, k, m)
	return nil
}

func (t *memTx) DeleteMember(ctx context.Context, teamID, userID string) error {
	if err := t.write(ctx, "DeleteMember"); err != nil {
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
	old, ok := t.s.invitations[inv.ID]
	if !ok {
		return notFound("invitation", inv.ID)
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
	if other, ok := t.s.accountByUser[a.UserID]; ok && other != a.ID {
		return conflict("user %q already has billing account %q", a.UserID, other)
	}
	if old.UserID != a.UserID {
		delKey(t, t.s.accountByUser, old.UserID)
		setKey(t, t.s.accountByUser, a.UserID, a.ID)
	}
	setKey(t, t.s.accounts, a.ID, a)
	return nil
}

func (t *memTx) InsertUsage(ctx context.Context, r billing.UsageRecord) error {
	if err := t.write(ctx, "InsertUsage"); err != nil {
		return err
	}
	if _, ok := t.s.usageIDs[r.ID]; ok {
		return conflict("usage record %q already exists", r.ID)
	}
	k := usageKey{r.TeamID, r.IdempotencyKey}
	if _, ok := t.s.usage[k]; ok {
		return conflict("team %q already has a usage record with idempotency key %q", r.TeamID, r.IdempotencyKey)
	}
	r = copyUsage(r)
	setKey(t, t.s.usageIDs, r.ID, struct{}{})
	setKey(t, t.s.usage, k, r)
	rs := t.s.usageByTeam[r.TeamID]
	i := usageAfter(rs, r.Time) // after records of the same time: stable
	t.s.usageByTeam[r.TeamID] = slices.Insert(rs, i, r)
	teamID := r.TeamID
	t.undo = append(t.undo, undoEntry{fn: func() {
		rs := t.s.usageByTeam[teamID]
		if len(rs) == 1 {
			delete(t.s.usageByTeam, teamID)
			return
		}
		t.s.usageByTeam[teamID] = slices.Delete(rs, i, i+1)
	}})
	return nil
}

func (t *memTx) InsertTopUp(ctx context.Context, tu billing.TopUp) error {
	if err := t.write(ctx, "InsertTopUp"); err != nil {
		return err
	}
	if _, ok := t.s.topUps[tu.ID]; ok {
		return conflict("top-up %q already exists", tu.ID)
	}
	setKey(t, t.s.topUps, tu.ID, tu)
	return nil
}

// Audit.

func (t *memTx) AppendAuditEvent(ctx context.Context, e audit.Event) error {
	if err := t.write(ctx, "AppendAuditEvent"); err != nil {
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
	t.s.auditIDs[e.ID] = struct{}{}
	if i == len(es) {
		// The usual case: append at the end. Consecutive appends to one
		// team share one undo entry.
		if n := len(t.undo); n == 0 || t.undo[n-1].fn != nil || t.undo[n-1].auditTeam != e.TeamID {
			t.undo = append(t.undo, undoEntry{auditTeam: e.TeamID, auditLen: len(es)})
		}
		t.s.audit[e.TeamID] = append(es, e)
		return nil
	}
	teamID, id := e.TeamID, e.ID
	t.s.audit[teamID] = slices.Insert(es, i, e)
	t.undo = append(t.undo, undoEntry{fn: func() {
		delete(t.s.auditIDs, id)
		t.s.audit[teamID] = slices.Delete(t.s.audit[teamID], i, i+1)
	}})
	return nil
}
