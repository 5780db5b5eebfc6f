package team

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"unicode"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
)

// Limits on host events (AUD-2), checked before anything is written.
const (
	// MaxAuditActionLength is the longest HostEvent.Action, in bytes.
	MaxAuditActionLength = 64
	// MaxAuditTargetLength is the longest HostEvent.Target, in bytes.
	MaxAuditTargetLength = 256
	// MaxAuditDetails is the most entries HostEvent.Details holds.
	MaxAuditDetails = 32
	// MaxAuditDetailKeyLength is the longest HostEvent.Details key, in
	// bytes.
	MaxAuditDetailKeyLength = 64
	// MaxAuditDetailValueLength is the longest HostEvent.Details value, in
	// bytes.
	MaxAuditDetailValueLength = 1024
)

// verifyPageSize is how many events VerifyAuditChain reads at a time.
const verifyPageSize = audit.MaxLimit

// RecordEventParams are the arguments of RecordEvent: an event the host
// records in a team's audit log (AUD-2), such as a resource operation or a
// data access: who did it, what happened, to what and any details.
type RecordEventParams struct {
	// ActorID is the user who acted; they need not be a member, so hosts
	// can also log refused attempts.
	ActorID string
	// TeamID is the team whose audit log gets the event.
	TeamID string
	// Action names what happened, for example "resource.deleted".
	Action audit.Action
	// Target names what it happened to; it may be empty.
	Target string
	// Details are optional host-defined details. They are copied.
	Details map[string]string
}

// RecordEvent appends the host's event p to p.TeamID's audit log, done by
// p.ActorID, in the same hash chain as the library's own events (AUD-2,
// AUD-4), and returns it sealed. p.ActorID need not be a member, so hosts
// can also log refused attempts.
//
// p.Action must be 1 to 64 bytes of UTF-8 without spaces at its ends or
// control characters, and not one of the library's own actions
// (audit.Action.Reserved); p.Target at most 256 bytes; p.Details at most 32
// entries with non-empty keys of at most 64 bytes and values of at most 1024.
// No field holds invalid UTF-8 or control characters, NUL included (SEC-6).
// Errors match ErrInvalidInput (nothing written) or ErrNotFound (no such
// team, or the team was deleted).
func (s *Service) RecordEvent(ctx context.Context, p RecordEventParams) (audit.Event, error) {
	actorID, teamID := p.ActorID, p.TeamID
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return audit.Event{}, err
	}
	if err := checkHostEvent(p); err != nil {
		return audit.Event{}, err
	}
	details := maps.Clone(p.Details)
	var out audit.Event
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		t, err := tx.LockTeam(ctx, teamID)
		if err != nil {
			return fmt.Errorf("teamkit: recording an audit event in team %s: %w", teamID, err)
		}
		if t.Deleted() {
			return fmt.Errorf("%w: team %s was deleted; its audit trail is closed", ErrNotFound, teamID)
		}
		out, err = s.record(ctx, tx, actorID, teamID, p.Action, p.Target, details)
		return err
	})
	if err != nil {
		return audit.Event{}, err
	}
	return out, nil
}

// checkHostEvent applies the limits of RecordEvent (SEC-6).
func checkHostEvent(e RecordEventParams) error {
	action := string(e.Action)
	if action == "" {
		return invalid("action", "is empty; name what happened, such as \"resource.deleted\"")
	}
	if err := checkText(textField{field: "action", limit: MaxAuditActionLength}, action); err != nil {
		return err
	}
	switch {
	case unicode.IsSpace(rune(action[0])) || unicode.IsSpace(rune(action[len(action)-1])):
		return invalid("action", "starts or ends with a space; trim it")
	case e.Action.Reserved():
		return invalid("action", "%q is recorded only by the library itself; choose a name of your own", action)
	}
	if err := checkText(textField{field: "target", limit: MaxAuditTargetLength, optional: true}, e.Target); err != nil {
		return err
	}
	if len(e.Details) > MaxAuditDetails {
		return invalid("details", "has %d entries; the limit is %d", len(e.Details), MaxAuditDetails)
	}
	for k, v := range e.Details {
		if err := checkText(textField{field: "details", subject: "key", limit: MaxAuditDetailKeyLength}, k); err != nil {
			return err
		}
		if err := checkText(textField{field: "details", subject: fmt.Sprintf("value of %q", k), limit: MaxAuditDetailValueLength, optional: true}, v); err != nil {
			return err
		}
	}
	return nil
}

// AuditLogParams are the arguments of AuditLog (AUD-3).
type AuditLogParams struct {
	// ActorID is the acting user, who needs rbac.ViewAudit.
	ActorID string
	// TeamID is the team whose log is read.
	TeamID string
	// Query selects the events and the page.
	Query audit.Query
}

// AuditLog returns one page of p.TeamID's audit log as p.Query asks
// (AUD-3): the events of Query.ActorID, with one of Query.Actions, in
// [Query.From, Query.To), after Query.Cursor, at most Query.Limit (default
// 50, at most 1000), in ascending Seq.
// p.ActorID must be a member whose role has rbac.ViewAudit (Owner and Admin in
// the presets).
//
// Errors match ErrInvalidInput (also audit.ErrInvalidCursor for a malformed
// cursor), ErrNotMember (also for a team that does not exist or was
// deleted) or ErrPermissionDenied.
func (s *Service) AuditLog(ctx context.Context, p AuditLogParams) (audit.Page, error) {
	actorID, teamID, q := p.ActorID, p.TeamID, p.Query
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return audit.Page{}, err
	}
	f, err := queryFilter(q)
	if err != nil {
		return audit.Page{}, err
	}
	_, role, err := s.memberRole(ctx, s.store, actorID, teamID)
	if err != nil {
		return audit.Page{}, err
	}
	if err := require(role, rbac.ViewAudit, "read the audit log"); err != nil {
		return audit.Page{}, err
	}
	return s.auditPage(ctx, teamID, f)
}

// HostAuditLog returns one page of teamID's audit log as q asks, like
// AuditLog but without a caller to check: it is for the host itself (an
// operator console, compliance export), and it reads the trail of deleted
// teams too (DEL-3). Errors match ErrInvalidInput or ErrNotFound (no team
// with that ID ever existed).
func (s *Service) HostAuditLog(ctx context.Context, teamID string, q audit.Query) (audit.Page, error) {
	if err := checkID("team_id", teamID); err != nil {
		return audit.Page{}, err
	}
	f, err := queryFilter(q)
	if err != nil {
		return audit.Page{}, err
	}
	if _, err := s.store.Team(ctx, teamID); err != nil {
		return audit.Page{}, fmt.Errorf("teamkit: reading the audit log of team %s: %w", teamID, err)
	}
	return s.auditPage(ctx, teamID, f)
}

// queryFilter converts q, reporting its errors as input errors that also
// match the audit package's sentinels.
func queryFilter(q audit.Query) (audit.Filter, error) {
	f, err := q.Filter()
	if err != nil {
		in := &InputError{Field: "query", Problem: "is out of range"}
		if errors.Is(err, audit.ErrInvalidCursor) {
			in = &InputError{Field: "cursor", Problem: "is not a NextCursor of this log"}
		}
		return audit.Filter{}, fmt.Errorf("%w: %w", in, err)
	}
	return f, nil
}

// auditPage reads the page of f from committed data: one event more than
// the page holds tells whether another page follows.
func (s *Service) auditPage(ctx context.Context, teamID string, f audit.Filter) (audit.Page, error) {
	limit := f.Limit
	f.Limit++
	events, err := s.store.AuditEvents(ctx, teamID, f)
	if err != nil {
		return audit.Page{}, err
	}
	return audit.NewPage(events, limit), nil
}

// VerifyAuditChain checks teamID's whole audit log, deleted team or not
// (AUD-4): it reads the chain's head (the Seq and hash of the newest event
// ever appended), which the store keeps on the team record apart from the
// events, then the log page by page up to that head, and verifies the hash
// chain and that it ends exactly at the head. Events appended after the head
// was read are not checked. So a log whose newest events, or all of them,
// were removed is reported too. It returns nil, a *audit.ChainError naming
// the first broken link or the first missing event (matching
// ErrBrokenChain), or an error matching ErrInvalidInput or ErrNotFound (no
// such team).
func (s *Service) VerifyAuditChain(ctx context.Context, teamID string) error {
	if err := checkID("team_id", teamID); err != nil {
		return err
	}
	head, err := s.store.AuditHead(ctx, teamID)
	if err != nil {
		return fmt.Errorf("teamkit: verifying the audit log of team %s: %w", teamID, err)
	}
	v := audit.NewVerifier(teamID)
	for v.Last().Seq < head.Seq {
		events, err := s.store.AuditEvents(ctx, teamID, audit.Filter{AfterSeq: v.Last().Seq, Limit: verifyPageSize})
		if err != nil {
			return err
		}
		if len(events) == 0 {
			break // the log stops short of head: End reports it
		}
		for _, e := range events {
			if err := v.Add(e); err != nil {
				return err
			}
			if e.Seq == head.Seq {
				break // later events were appended after head was read
			}
		}
	}
	if err := v.End(audit.Event{Seq: head.Seq, Hash: head.Hash}); err != nil {
		return fmt.Errorf("teamkit: the audit log of team %s does not reach the head kept on the team record (seq %d): %w", teamID, head.Seq, err)
	}
	return nil
}
