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
	// to means no end) per member, members ordered by UserID. The sums are
	// exact: a member's total above math.MaxInt64 is an error matching
	// billing.ErrTotalOverflow, never a wrapped number (BILL-10).
	UsageTotals(ctx context.Context, teamID string, from, to time.Time) ([]billing.MemberUsage, error)

	// AuditEvents returns teamID's events that pass f, in ascending Seq.
	AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error)
	// LastAuditEvent returns teamID's event with the highest Seq.
	LastAuditEvent(ctx context.Context, teamID string) (audit.Event, error)

	// User lifecycle (ROLE-8, USER-1, USER-2).

	// MembershipsOfUser returns every membership of userID with its team,
	// deleted or not, by the team's CreatedAt then ID, in one query.
	MembershipsOfUser(ctx context.Context, userID string) ([]Membership, error)
}

// Tx is a unit of work: the queries of Reader, which see the unit's own
// writes, and the writes. Inserts return an error matching ErrConflict when
// a uniqueness rule would break; updates and deletes return one matching
// ErrNotFound when the record does not exist.
//
// Writes need locks. A unit of work writes to a team's records only after
// it locked that team with LockTeam, or inserted it with InsertTeam,
// earlier in the same unit: UpdateTeam and DeleteTeamMembers of the team,
// InsertMember, UpdateMember and DeleteMember of its memberships,
// InsertInvitation, UpdateInvitation and DeleteInvitationsByEmail of its
// invitations, InsertUsage of
// its usage records and AppendAuditEvent of its events (the team is the
// record's TeamID). It writes to a billing account, with UpdateAccount or
// InsertTopUp (whose AccountID names it), only after it locked that account
// with LockAccount, or inserted it with InsertAccount, earlier in the same
// unit; so a usage charge locks the team, for the usage record, and the
// account it debits. InsertTeam and InsertAccount need no lock. A lock
// taken in one unit of work says nothing about the next. A store with row
// locks relies on this order to serialize units that touch the same team
// or account; store.Memory, which runs units one at a time, refuses a
// write that breaks it (store.ErrNotLocked), so tests without a database
// see a missing lock.
type Tx interface {
	Reader

	// LockTeam locks teamID until the unit of work ends and returns it,
	// deleted or not; a missing team gives ErrNotFound and no lock. Units
	// of work that lock the same team run one after the other, so seat
	// counts, owner changes, deletion and charges serialize per team. The
	// lock lets the unit write to the team's records (see Tx).
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
	// returns it, so charges to one account from several teams serialize;
	// a missing account gives ErrNotFound and no lock. The lock lets the
	// unit write to the account (see Tx).
	LockAccount(ctx context.Context, userID string) (billing.Account, error)
	// UpdateAccount replaces the account with the same ID.
	UpdateAccount(ctx context.Context, a billing.Account) error
	// InsertUsage appends a usage record. Unique: ID; (TeamID,
	// IdempotencyKey).
	InsertUsage(ctx context.Context, r billing.UsageRecord) error
	// InsertTopUp appends a top-up record. Unique: ID.
	InsertTopUp(ctx context.Context, t billing.TopUp) error

	// AppendAuditEvent appends an event. Unique: ID; (TeamID, Seq). There is
	// no way to change or delete an event.
	AppendAuditEvent(ctx context.Context, e audit.Event) error

	// User lifecycle (USER-2).

	// DeleteInvitationsByEmail removes every invitation of teamID addressed
	// to the normalised email, whatever its status, and returns how many it
	// removed (0 is no error). Their token hashes and pending slots are
	// freed. It returns an error matching ErrNotFound when teamID does not
	// exist.
	DeleteInvitationsByEmail(ctx context.Context, teamID, email string) (int, error)
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
	// results afresh on each run. One caller's fn failing (an error or a
	// panic) does not fail the others: its writes are dropped, and a panic
	// is raised again in that caller's goroutine. One caller's ctx ending
	// does not abort the shared transaction: that caller gets the ctx
	// error, promptly even while the batch waits for a lock (SEC-5), and
	// none of its fn's writes are committed; once its writes are in the
	// shared commit, it gets the commit's outcome instead.
	InBatch(ctx context.Context, key string, fn func(ctx context.Context, tx Tx) error) error
}

// ---- Change feed and consumers (FEED-1, FEED-2) ----
//
// FeedStore is optional: the service finds it by type assertion, so a store
// without it still passes storetest.Run; Service.Feed and Service.Consumer
// then fail with ErrFeedUnsupported. storetest.RunFeed checks it.

// FeedEvent is one audit event in the change feed (FEED-1) with Cursor, the
// feed position just after it: read on from Cursor to get the events that
// follow it.
type FeedEvent struct {
	Event  audit.Event `json:"event"`
	Cursor string      `json:"cursor"`
}

// ConsumerState is what a FeedStore keeps of a named consumer (FEED-2): the
// cursor it acknowledged last ("" for the start of the feed) and who holds
// its lease until when (Holder "" and a zero LeaseUntil when nobody has
// claimed it or it was released).
type ConsumerState struct {
	Name       string
	Cursor     string
	Holder     string
	LeaseUntil time.Time
}

// ClaimConsumerParams are the arguments of FeedStore.ClaimConsumer.
type ClaimConsumerParams struct {
	Name   string    // the consumer's name
	Holder string    // who claims it: a random ID per Consumer value
	Now    time.Time // the claimer's clock
	Until  time.Time // the lease ends then, unless renewed
}

// AckConsumerParams are the arguments of FeedStore.AckConsumer.
type AckConsumerParams struct {
	Name   string    // the consumer's name
	Holder string    // who acknowledges: must hold the lease
	Cursor string    // a FeedEvent.Cursor of this store
	Now    time.Time // the acknowledger's clock
}

// Errors of the change feed.
var (
	// ErrFeedUnsupported: the Store does not implement FeedStore.
	ErrFeedUnsupported = errors.New("teamkit: the store keeps no change feed; use a store that implements team.FeedStore (store.Memory, store/postgres)")
	// ErrConsumerBusy: another holder's lease on the named consumer has not
	// expired. Wait for it to end, or use another name.
	ErrConsumerBusy = errors.New("teamkit: the consumer is held by another process")
	// ErrLeaseLost: the caller no longer holds the consumer's lease (it
	// expired and another holder may have claimed it). Nothing was
	// acknowledged; claim again and redo what was not acknowledged.
	ErrLeaseLost = errors.New("teamkit: the consumer's lease was lost")
)

// FeedStore is an optional interface of a Store: the change feed (FEED-1)
// and the cursors of named consumers (FEED-2). Its methods act on committed
// data, each as one atomic step; they are not part of any unit of work.
type FeedStore interface {
	// FeedEvents returns at most limit (at least 1) events of every team
	// that come after cursor ("" for the start) in the feed order. Every
	// committed audit event has one place in that order, and the order
	// never changes: a reader that follows the cursors (passing the Cursor
	// of the last event it read) sees every committed event exactly once,
	// even when units of work commit in another order than they started.
	// An implementation may hold back events committed recently (while an
	// earlier unit could still commit an event before them); it returns
	// them later. Events of one team come in ascending Seq. A cursor this
	// store did not make gives an error matching audit.ErrInvalidCursor.
	FeedEvents(ctx context.Context, cursor string, limit int) ([]FeedEvent, error)

	// ClaimConsumer gives p.Holder the lease of consumer p.Name until
	// p.Until when nobody holds it, its lease ended (LeaseUntil not after
	// p.Now) or p.Holder holds it already (a renewal), creating the
	// consumer with cursor "" when it is new, and returns its state. A
	// live lease of another holder gives an error matching
	// ErrConsumerBusy.
	ClaimConsumer(ctx context.Context, p ClaimConsumerParams) (ConsumerState, error)
	// AckConsumer moves consumer p.Name's cursor to p.Cursor when
	// p.Holder holds its lease at p.Now. It never moves the cursor back:
	// acknowledging a cursor at or before the stored one changes nothing,
	// so acknowledging twice is harmless. Without the lease it returns an
	// error matching ErrLeaseLost (also for a consumer never claimed); a
	// malformed cursor one matching audit.ErrInvalidCursor.
	AckConsumer(ctx context.Context, p AckConsumerParams) error
	// ReleaseConsumer ends holder's lease of consumer name, so another
	// holder may claim it at once. It is a no-op when holder does not hold
	// it.
	ReleaseConsumer(ctx context.Context, name, holder string) error
}

// ---- Invite links, domain claims and join requests (LINK, JOIN): an
// optional part of the contract, so stores written before it keep working.

// JoinStore is an optional interface of a Store that keeps invite links,
// domain claims and join requests (LINK, JOIN). It is separate from Store
// so that a store without these features still serves everything else: the
// Service finds it by type assertion, and its link, domain and join-request
// methods fail with an error (code "internal") saying the store lacks it.
// A JoinStore's InTx hands fn a Tx that also implements JoinTx.
//
// store.Memory and store/postgres implement it; storetest.Run checks it
// when the store has it.
type JoinStore interface {
	Store
	JoinReader
}

// JoinReader holds the queries of JoinStore. Reads of one record return an
// error matching ErrNotFound when there is none; lists return an empty
// slice.
type JoinReader interface {
	// InviteLink returns the link with the given ID.
	InviteLink(ctx context.Context, linkID string) (InviteLink, error)
	// InviteLinkByTokenHash returns the link whose TokenHash is hash.
	InviteLinkByTokenHash(ctx context.Context, hash string) (InviteLink, error)
	// InviteLinks returns the links of teamID, by CreatedAt then ID.
	InviteLinks(ctx context.Context, teamID string) ([]InviteLink, error)

	// DomainClaim returns teamID's claim to domain.
	DomainClaim(ctx context.Context, teamID, domain string) (DomainClaim, error)
	// DomainClaims returns the claims of teamID, by Domain.
	DomainClaims(ctx context.Context, teamID string) ([]DomainClaim, error)
	// VerifiedDomainClaim returns the verified claim to domain, whichever
	// team holds it.
	VerifiedDomainClaim(ctx context.Context, domain string) (DomainClaim, error)

	// JoinRequest returns the join request with the given ID.
	JoinRequest(ctx context.Context, requestID string) (JoinRequest, error)
	// JoinRequests returns the join requests of teamID with the given
	// status (all when ""), by CreatedAt then ID.
	JoinRequests(ctx context.Context, teamID string, status JoinRequestStatus) ([]JoinRequest, error)
	// PendingJoinRequest returns userID's pending request to teamID.
	PendingJoinRequest(ctx context.Context, teamID, userID string) (JoinRequest, error)
}

// JoinTx is the Tx of a JoinStore: its reads see the unit's own writes.
// Every write is to a team's records (the record's TeamID) and needs that
// team locked first, as Tx says. Inserts return an error matching
// ErrConflict when a uniqueness rule would break; updates and deletes one
// matching ErrNotFound when the record does not exist.
type JoinTx interface {
	Tx
	JoinReader

	// InsertInviteLink stores a link. Unique: ID; TokenHash.
	InsertInviteLink(ctx context.Context, l InviteLink) error
	// UpdateInviteLink replaces the link with the same ID (TeamID and
	// TokenHash do not change).
	UpdateInviteLink(ctx context.Context, l InviteLink) error

	// InsertDomainClaim stores a claim. Unique: (TeamID, Domain); Domain
	// among claims with a non-zero VerifiedAt.
	InsertDomainClaim(ctx context.Context, c DomainClaim) error
	// UpdateDomainClaim replaces the claim with the same (TeamID, Domain);
	// the uniqueness rules of InsertDomainClaim hold (ErrConflict).
	UpdateDomainClaim(ctx context.Context, c DomainClaim) error
	// DeleteDomainClaim removes teamID's claim to domain.
	DeleteDomainClaim(ctx context.Context, teamID, domain string) error

	// InsertJoinRequest stores a request. Unique: ID; one request with
	// status Pending per (TeamID, UserID).
	InsertJoinRequest(ctx context.Context, r JoinRequest) error
	// UpdateJoinRequest replaces the request with the same ID; the
	// uniqueness rules of InsertJoinRequest hold (ErrConflict).
	UpdateJoinRequest(ctx context.Context, r JoinRequest) error
}
