package team

import (
	"context"
	"errors"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
)

// Errors of the Store contract. Implementations return errors that match
// them with errors.Is (wrapping is fine); the storetest suite checks each
// sentence below that names one.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errors.New("teamkit: not found")
	// ErrConflict: a write would break a uniqueness rule of the contract.
	ErrConflict = errors.New("teamkit: conflicts with an existing record")
)

// Store is the persistence contract of the team service: records and
// queries, no business rules. The service checks every rule inside one
// unit of work (InTx); the Store makes that unit atomic and isolated and
// keeps the uniqueness rules below even against concurrent units of work.
//
// Reads on Store itself see only committed data. Returned values are
// copies: changing them changes nothing stored.
//
// Implementations: store.Memory (the reference) and store/postgres. Prove a
// new one with storetest.Run.
type Store interface {
	Reader

	// InTx runs fn as one unit of work. It commits when fn returns nil and
	// rolls back, leaving no trace, when fn returns an error (which InTx
	// returns) or panics (InTx rolls back and re-panics). If ctx is done
	// before fn starts or when fn returns, InTx rolls back and returns an
	// error matching ctx.Err(). Nobody outside the unit of work sees any of
	// its writes before it commits. fn must not call InTx on the same Store.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}

// Reader holds the queries. Every method that reads one record returns an
// error matching ErrNotFound when there is none. Lists are never nil errors
// for "none": they return an empty slice.
type Reader interface {
	// Team returns the team with the given ID, deleted or not.
	Team(ctx context.Context, teamID string) (Team, error)
	// PersonalTeam returns the personal team of userID.
	PersonalTeam(ctx context.Context, userID string) (Team, error)
	// TeamsOfUser returns the teams userID is a member of, by CreatedAt then ID.
	TeamsOfUser(ctx context.Context, userID string) ([]Team, error)
	// CountOwnedTeams returns how many live (not deleted) teams of kind
	// ownerID owns.
	CountOwnedTeams(ctx context.Context, ownerID string, kind Kind) (int, error)

	// Member returns userID's membership of teamID. This is the hot path of
	// Authorize: implementations should make it fast and allocation-free.
	Member(ctx context.Context, teamID, userID string) (Member, error)
	// Members returns the members of teamID, by JoinedAt then UserID.
	Members(ctx context.Context, teamID string) ([]Member, error)

	// Invitation returns the invitation with the given ID.
	Invitation(ctx context.Context, invitationID string) (Invitation, error)
	// InvitationByTokenHash returns the invitation whose TokenHash is hash.
	InvitationByTokenHash(ctx context.Context, hash string) (Invitation, error)
	// Invitations returns the invitations of teamID with the given status
	// (all statuses when status is ""), by CreatedAt then ID.
	Invitations(ctx context.Context, teamID string, status InvitationStatus) ([]Invitation, error)
	// InvitationsByEmail returns the invitations to the normalised email with
	// the given status (all when ""), by CreatedAt then ID.
	InvitationsByEmail(ctx context.Context, email string, status InvitationStatus) ([]Invitation, error)

	// Account returns userID's billing account.
	Account(ctx context.Context, userID string) (billing.Account, error)
	// UsageByKey returns the usage record of teamID with the idempotency key.
	UsageByKey(ctx context.Context, teamID, key string) (billing.UsageRecord, error)
	// UsageTotals sums teamID's usage records with Time in [from, to) (a zero
	// to means no end) per member, members ordered by UserID.
	UsageTotals(ctx context.Context, teamID string, from, to time.Time) ([]billing.MemberUsage, error)

	// AuditEvents returns teamID's events that pass f, in ascending Seq.
	AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error)
	// LastAuditEvent returns teamID's event with the highest Seq.
	LastAuditEvent(ctx context.Context, teamID string) (audit.Event, error)

	// Audit chain head (AUD-4, issue 12).

	// AuditHead returns the head of teamID's audit chain, kept on the team
	// record by AppendAuditEvent: the Seq and Hash of the newest event ever
	// appended (the zero AuditHead when none was). It matches ErrNotFound
	// when there is no such team.
	AuditHead(ctx context.Context, teamID string) (AuditHead, error)
}

// Tx is a unit of work: the queries of Reader, which see the unit's own
// writes, and the writes. Inserts return an error matching ErrConflict when
// a uniqueness rule would break; updates and deletes return one matching
// ErrNotFound when the record does not exist.
type Tx interface {
	Reader

	// LockTeam locks teamID until the unit of work ends and returns it.
	// Units of work that lock the same team run one after the other, so
	// seat counts, owner changes, deletion and charges serialize per team.
	LockTeam(ctx context.Context, teamID string) (Team, error)
	// InsertTeam stores a new team. Unique: ID; one personal team per
	// OwnerID (among teams of kind Personal).
	InsertTeam(ctx context.Context, t Team) error
	// UpdateTeam replaces the stored team with the same ID. A team changed
	// from Personal to Collaboration frees its owner's personal-team slot.
	UpdateTeam(ctx context.Context, t Team) error
	// DeleteTeamMembers removes every membership and every pending
	// invitation of teamID (used by deletion, DEL-3; the team record and
	// its audit events stay).
	DeleteTeamMembers(ctx context.Context, teamID string) error

	// InsertMember stores a membership. Unique: (TeamID, UserID).
	InsertMember(ctx context.Context, m Member) error
	// UpdateMember replaces the membership with the same (TeamID, UserID).
	UpdateMember(ctx context.Context, m Member) error
	// DeleteMember removes userID's membership of teamID.
	DeleteMember(ctx context.Context, teamID, userID string) error

	// InsertInvitation stores an invitation. Unique: ID; TokenHash; one
	// invitation with status Pending per (TeamID, Email).
	InsertInvitation(ctx context.Context, inv Invitation) error
	// UpdateInvitation replaces the invitation with the same ID; the
	// uniqueness rules of InsertInvitation hold (ErrConflict).
	UpdateInvitation(ctx context.Context, inv Invitation) error

	// InsertAccount stores a billing account. Unique: ID; UserID.
	InsertAccount(ctx context.Context, a billing.Account) error
	// LockAccount locks userID's account until the unit of work ends and
	// returns it, so charges to one account from several teams serialize.
	LockAccount(ctx context.Context, userID string) (billing.Account, error)
	// UpdateAccount replaces the account with the same ID.
	UpdateAccount(ctx context.Context, a billing.Account) error
	// InsertUsage appends a usage record. Unique: ID; (TeamID,
	// IdempotencyKey).
	InsertUsage(ctx context.Context, r billing.UsageRecord) error
	// InsertTopUp appends a top-up record. Unique: ID.
	InsertTopUp(ctx context.Context, t billing.TopUp) error

	// AppendAuditEvent appends an event of an existing team (ErrNotFound
	// otherwise). Unique: ID; (TeamID, Seq). In the same write it moves the
	// team's AuditHead to the event when e.Seq is above the head's Seq, so
	// the head never moves back and survives the loss of any events (AUD-4);
	// UpdateTeam never changes it. There is no way to change or delete an
	// event.
	AppendAuditEvent(ctx context.Context, e audit.Event) error

	// Epoch high-water marks (ROLE-5, issue 12).

	// MemberEpochMark returns the highest Epoch any membership of userID in
	// teamID has been stored with (by InsertMember or UpdateMember), 0 when
	// there never was one. DeleteMember and DeleteTeamMembers keep the
	// mark, so a membership created later can start above it.
	MemberEpochMark(ctx context.Context, teamID, userID string) (uint64, error)
}

// AuditHead is the head of a team's audit chain (AUD-4): the Seq and Hash of
// its newest event, kept on the team record apart from the events, so that
// removing events, the newest ones or all of them, is detected.
type AuditHead struct {
	Seq  uint64
	Hash string
}

// Batcher is an optional interface of a Store whose units of work are
// expensive, such as a network database where each commit waits for a
// disk flush. The service uses it, when the Store has it, for usage charges,
// its hottest write (BILL-2): concurrent charges to one team then share a
// commit ("group commit") while each stays its own decision.
type Batcher interface {
	// InBatch runs fn with the guarantees of InTx as each caller sees them:
	// when it returns nil, fn's writes are committed; when it returns an
	// error, none of fn's writes are. Unlike InTx it may run fn inside one
	// transaction shared with other concurrent InBatch calls with the same
	// key, one fn after the other. fn must make every refusal before its
	// first write, as the service does. fn may run more than once (say,
	// again on its own after the shared commit failed), so it sets its
	// results afresh on each run. One caller's ctx ending does not abort
	// the shared transaction: that caller gets the ctx error and none of
	// its fn's writes are committed.
	InBatch(ctx context.Context, key string, fn func(ctx context.Context, tx Tx) error) error
}
