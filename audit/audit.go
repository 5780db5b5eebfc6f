package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Action names what happened. The library's own actions are the constants
// below; hosts may record their own (AUD-2), such as "resource.deleted".
type Action string

// The actions the team service records (AUD-1).
const (
	TeamCreated          Action = "team.created"
	TeamUpgraded         Action = "team.upgraded"
	TeamUpdated          Action = "team.updated"
	TeamDeleted          Action = "team.deleted"
	InvitationSent       Action = "invitation.sent"
	InvitationResent     Action = "invitation.resent"
	InvitationCancelled  Action = "invitation.cancelled"
	InvitationDeclined   Action = "invitation.declined"
	InvitationAccepted   Action = "invitation.accepted"
	MemberRoleChanged    Action = "member.role_changed"
	MemberRemoved        Action = "member.removed"
	MemberLeft           Action = "member.left"
	OwnershipTransferred Action = "ownership.transferred"
	BillingTopUp         Action = "billing.top_up"
	BillingPlanChanged   Action = "billing.plan_changed"
	BillingStatusChanged Action = "billing.status_changed"
	// UserUpdated: the host changed a user's email or display name
	// (USER-1); recorded in each team the user belongs to.
	UserUpdated Action = "user.updated"
	// UserOffboarded: the host offboarded a user (USER-2); recorded once in
	// each team the offboarding changed: teams the user left, their deleted
	// personal team (whose billing account was closed) and teams whose
	// invitations to the user's email were removed.
	UserOffboarded Action = "user.offboarded"

	// Invite links, domains and join requests (LINK, JOIN).

	InviteLinkCreated   Action = "invite_link.created"
	InviteLinkRevoked   Action = "invite_link.revoked"
	InviteLinkJoined    Action = "invite_link.joined" // a user joined through a link; the target is the link's ID
	DomainClaimed       Action = "domain.claimed"
	DomainVerified      Action = "domain.verified"
	DomainClaimRemoved  Action = "domain.removed"
	JoinPolicyChanged   Action = "domain.join_policy_changed"
	DomainJoined        Action = "domain.joined" // a user joined under JoinAutomatic; the target is the domain
	JoinRequested       Action = "join_request.created"
	JoinRequestApproved Action = "join_request.approved"
	JoinRequestRejected Action = "join_request.rejected"
)

// libraryActions are the actions only the library itself records.
var libraryActions = []Action{
	TeamCreated, TeamUpgraded, TeamUpdated, TeamDeleted,
	InvitationSent, InvitationResent, InvitationCancelled, InvitationDeclined, InvitationAccepted,
	MemberRoleChanged, MemberRemoved, MemberLeft, OwnershipTransferred,
	BillingTopUp, BillingPlanChanged, BillingStatusChanged,
	UserUpdated, UserOffboarded,
	InviteLinkCreated, InviteLinkRevoked, InviteLinkJoined,
	DomainClaimed, DomainVerified, DomainClaimRemoved, JoinPolicyChanged, DomainJoined,
	JoinRequested, JoinRequestApproved, JoinRequestRejected,
}

// LibraryActions returns the library's own actions, the constants above, in
// a new slice.
func LibraryActions() []Action { return slices.Clone(libraryActions) }

// Reserved reports whether a is one of the library's own actions (the
// constants above). Hosts record their own actions, never these, so the log
// cannot claim that the library made a change it did not make.
func (a Action) Reserved() bool { return slices.Contains(libraryActions, a) }

// Event is one entry of a team's audit log (AUD-2). Seq numbers a team's
// events 1, 2, 3, … without gaps; Hash covers the event and PrevHash, the
// Hash of the event before it (AUD-4).
//
// It marshals to JSON as {"id", "team_id", "seq", "time", "actor_id",
// "action", "target", "details", "prev_hash", "hash"}, time in RFC 3339
// (with the microseconds Seal keeps), details left out when empty; see
// testdata/event.json. The hash does not depend on JSON: an event read back
// from its JSON verifies as before.
type Event struct {
	ID       string            `json:"id"`
	TeamID   string            `json:"team_id"`
	Seq      uint64            `json:"seq"`
	Time     time.Time         `json:"time"`
	ActorID  string            `json:"actor_id"`
	Action   Action            `json:"action"`
	Target   string            `json:"target"`
	Details  map[string]string `json:"details,omitempty"`
	PrevHash string            `json:"prev_hash"` // hex SHA-256; empty for the first event of a team
	Hash     string            `json:"hash"`      // hex SHA-256 of the canonical encoding of the event
}

// Seal sets e's sequence number and hashes after prev, the team's last event
// (the zero Event when e is the first), and returns it. It first rounds
// e.Time down to the microsecond, in UTC: the precision that stores such as
// PostgreSQL keep, so an event read back still matches its hash.
func Seal(e Event, prev Event) Event {
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.Seq = prev.Seq + 1
	e.PrevHash = prev.Hash
	e.Hash = ComputeHash(e)
	return e
}

// ComputeHash returns the hex SHA-256 of the canonical encoding of e: every
// field but Hash, each length-prefixed so no two events encode alike, with
// Details sorted by key and Time as Unix seconds and nanoseconds (so every
// instant encodes differently and the time zone does not matter).
func ComputeHash(e Event) string {
	var arr [512]byte // most events encode in less; longer ones grow the slice
	buf := arr[:0]
	putString := func(s string) {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(hashVersion)))
	buf = append(buf, hashVersion...)
	putString(e.ID)
	putString(e.TeamID)
	buf = binary.BigEndian.AppendUint64(buf, e.Seq)
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.Time.Unix()))
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.Time.Nanosecond()))
	putString(e.ActorID)
	putString(string(e.Action))
	putString(e.Target)
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(e.Details)))
	if len(e.Details) > 0 {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			putString(k)
			putString(e.Details[k])
		}
	}
	putString(e.PrevHash)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// hashVersion starts every encoding, so that a future encoding never hashes
// like this one.
const hashVersion = "teamkit.audit.v1"

// ErrBrokenChain is matched by every *ChainError.
var ErrBrokenChain = errors.New("audit: the audit chain is broken")

// ChainError reports the first broken link of a team's audit chain: the
// position in the verified slice, the sequence number found there and why
// it does not verify. It matches ErrBrokenChain.
type ChainError struct {
	Index  int    // position of the first bad event in the verified slice
	Seq    uint64 // the Seq that position should hold
	Found  uint64 // the Seq it holds (0 when the slice ended early)
	ID     string // the ID of the event found there
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit: chain broken at event %d (id %q, seq %d): %s; the log was modified, reordered, or events were inserted or deleted",
		e.Seq, e.ID, e.Found, e.Reason)
}

// Is makes errors.Is(err, ErrBrokenChain) true.
func (e *ChainError) Is(target error) bool { return target == ErrBrokenChain }

// Verify checks a team's complete log in sequence order, from its first
// event: sequence numbers run 1, 2, 3, …, every event belongs to teamID,
// each PrevHash is the previous Hash, and each Hash matches its event. It
// returns nil or a *ChainError naming the first broken link: a changed
// field, a deleted, inserted or reordered event, or another team's event.
// Events deleted from the end leave a shorter chain that still verifies;
// Verifier.End catches them against the newest event the store reports.
func Verify(teamID string, events []Event) error {
	v := NewVerifier(teamID)
	for _, e := range events {
		if err := v.Add(e); err != nil {
			return err
		}
	}
	return nil
}

// Verifier checks a team's log one event at a time, for logs too long to
// hold in memory: feed it the events in sequence order from the first, page
// by page. Stop at the first error. The zero Verifier is not usable; call
// NewVerifier.
type Verifier struct {
	teamID string
	prev   Event
	n      int
}

// NewVerifier returns a Verifier of teamID's log, expecting its first event.
func NewVerifier(teamID string) *Verifier { return &Verifier{teamID: teamID} }

// Add checks e, the next event of the log, against the events added before
// it. It returns nil or a *ChainError naming e as the first broken link.
func (v *Verifier) Add(e Event) error {
	want := v.prev.Seq + 1
	bad := func(reason string) error {
		return &ChainError{Index: v.n, Seq: want, Found: e.Seq, ID: e.ID, Reason: reason}
	}
	switch {
	case e.Seq != want:
		return bad("sequence gap or reordering: expected seq " + strconv.FormatUint(want, 10))
	case e.TeamID != v.teamID:
		return bad("event belongs to another team")
	case e.PrevHash != v.prev.Hash:
		return bad("previous-hash link does not match the event before it")
	case ComputeHash(e) != e.Hash:
		return bad("event content does not match its hash")
	}
	v.prev = e
	v.n++
	return nil
}

// Last returns the last event added without error (the zero Event before
// the first).
func (v *Verifier) Last() Event { return v.prev }

// End checks that the chain verified so far ends at head, the team's newest
// event as the store reports it (the zero Event for an empty log). A chain
// that stops short of head, because events were deleted from its end or
// hidden from the reader, or that ends at a different event, is a broken
// link: End returns a *ChainError naming where it breaks.
func (v *Verifier) End(head Event) error {
	switch {
	case v.prev.Seq < head.Seq:
		return &ChainError{Index: v.n, Seq: v.prev.Seq + 1, ID: head.ID,
			Reason: "the log ends at seq " + strconv.FormatUint(v.prev.Seq, 10) + " but its newest event is seq " + strconv.FormatUint(head.Seq, 10) + ": events are missing"}
	case v.prev.Seq > head.Seq, v.prev.Hash != head.Hash:
		return &ChainError{Index: v.n - 1, Seq: v.prev.Seq, Found: v.prev.Seq, ID: v.prev.ID,
			Reason: "the log's last event is not its newest event as stored"}
	}
	return nil
}

// Filter selects events of one team for a store query: by actor, by action
// and by time range [From, To), after a sequence number, at most Limit.
// Zero fields do not filter. Stores return matching events in ascending Seq.
type Filter struct {
	ActorID  string
	Actions  []Action
	From     time.Time // inclusive; zero: from the beginning
	To       time.Time // exclusive; zero: no end
	AfterSeq uint64    // only events with Seq > AfterSeq (the cursor)
	Limit    int       // at most this many; <= 0: no limit
}

// Match reports whether e passes the filter's actor, action and time
// conditions (not AfterSeq or Limit).
func (f Filter) Match(e Event) bool {
	if f.ActorID != "" && e.ActorID != f.ActorID {
		return false
	}
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, e.Action) {
		return false
	}
	if !f.From.IsZero() && e.Time.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !e.Time.Before(f.To) {
		return false
	}
	return true
}
