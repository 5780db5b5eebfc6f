package team

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
)

// OwnsTeamsError lists the collaboration teams a user still owns (USER-2).
// It matches ErrOwnsTeams.
type OwnsTeamsError struct {
	UserID  string
	TeamIDs []string // ascending
}

func (e *OwnsTeamsError) Error() string {
	return fmt.Sprintf("teamkit: user %s still owns collaboration teams %s; transfer or delete them first",
		e.UserID, strings.Join(e.TeamIDs, ", "))
}

// Is makes errors.Is(err, ErrOwnsTeams) true.
func (e *OwnsTeamsError) Is(target error) bool { return target == ErrOwnsTeams }

// UpdateUserParams are the arguments of UpdateUser (USER-1). Nil fields
// stay unchanged; at least one must be set.
type UpdateUserParams struct {
	// UserID is the user whose details change.
	UserID string
	// Email is the new verified email; it is normalised (NormalizeEmail).
	Email *string
	// Name is the new display name; it is trimmed, may be empty, and has
	// at most MaxNameLength characters and no control characters.
	Name *string
}

// UpdateUser changes a user's email and/or display name (USER-1). It is for
// the host (the user changed them in the host's account settings), so it
// checks no actor. In one unit of work every membership of the user takes
// the new values, so Members and Memberships show them from that commit
// on; invitations already sent stay addressed to the email they were sent
// to. Each team whose membership changed records audit.UserUpdated, with no
// actor and details naming the user ID and the changed fields, never their
// values. A pending invitation to the new email in a team the user belongs
// to is cancelled (audit.InvitationCancelled, reason "member's email"): it
// would hold a second seat and could never be accepted. Setting the values
// the user already has changes and records nothing.
//
// Errors match ErrInvalidInput or ErrNotFound (the user belongs to no team;
// register them with EnsurePersonalTeam first).
func (s *Service) UpdateUser(ctx context.Context, p UpdateUserParams) error {
	if err := checkID("user_id", p.UserID); err != nil {
		return err
	}
	if p.Email == nil && p.Name == nil {
		return invalid("update", "changes nothing; set Email or Name")
	}
	var email, name string
	if p.Email != nil {
		var err error
		if email, err = NormalizeEmail(*p.Email); err != nil {
			return err
		}
	}
	if p.Name != nil {
		var err error
		if name, err = checkDisplayName("user_name", *p.Name); err != nil {
			return err
		}
	}
	return s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		_, ms, _, err := lockUserTeams(ctx, tx, p.UserID, false)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return fmt.Errorf("%w: user %s belongs to no team; register the user with EnsurePersonalTeam first", ErrNotFound, p.UserID)
		}
		for _, mem := range ms {
			m := mem.Member
			var changed []string
			if p.Email != nil && m.Email != email {
				m.Email = email
				changed = append(changed, "email")
			}
			if p.Name != nil && m.Name != name {
				m.Name = name
				changed = append(changed, "name")
			}
			if len(changed) == 0 {
				continue
			}
			if err := tx.UpdateMember(ctx, m); err != nil {
				return err
			}
			if _, err := s.record(ctx, tx, "", m.TeamID, audit.UserUpdated, p.UserID,
				map[string]string{"user_id": p.UserID, "fields": strings.Join(changed, ",")}); err != nil {
				return err
			}
		}
		if p.Email == nil {
			return nil
		}
		// A pending invitation to the new email in a team the user belongs
		// to would hold a second seat and could never be accepted (INV-2,
		// INV-3): cancel it. The user's teams are locked.
		in := map[string]bool{}
		for _, mem := range ms {
			in[mem.Team.ID] = true
		}
		invs, err := tx.InvitationsByEmail(ctx, email, InvitationPending)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		for _, inv := range invs {
			if !in[inv.TeamID] {
				continue
			}
			if err := s.cancelInvitation(ctx, tx, "", inv, now, "member's email"); err != nil {
				return err
			}
		}
		return nil
	})
}

// OffboardUser removes a user from the library's records (USER-2). It is
// for the host, so it checks no actor. It is refused, with an
// *OwnsTeamsError listing them, while the user owns a collaboration team,
// and, with a *ResourcesRemainError, while the host's ResourceCounter
// reports resources in the user's personal team (DEL-2; counted before the
// unit of work, as DeleteTeam does).
//
// Otherwise, in one unit of work:
//   - every membership of the user is removed;
//   - their personal team is deleted (its name is reset to "Personal", so
//     the record keeps no display name; its audit trail stays);
//   - their billing account is closed (billing.StatusClosed): it is never
//     charged again and nothing reactivates it, so the user ID cannot be
//     registered again (EnsurePersonalTeam refuses it);
//   - every invitation addressed to the user's email, whatever its status,
//     is removed in every team, so no membership or invitation record holds
//     the email afterwards (audit events written before keep theirs; the
//     log is append-only);
//   - on a JoinStore, their join requests to the teams that hold a verified
//     claim to one of their email domains (JOIN-2), or that they belong to,
//     keep neither email nor name, and a pending one is rejected (decided by
//     SystemActor), so it can no longer be approved.
//
// Each team changed records one audit.UserOffboarded, with no actor and
// details holding the user ID and what changed ("role" they held,
// "invitations_removed", "join_request" IDs, "team": "deleted" and
// "account": "closed" in the personal team), never the email or name.
//
// Offboarding a user already offboarded changes and records nothing.
//
// Errors match ErrInvalidInput, ErrNotFound (the user is unknown: no
// membership and no billing account), ErrOwnsTeams or ErrResourcesRemain; a
// ResourceCounter error is returned wrapped.
func (s *Service) OffboardUser(ctx context.Context, userID string) error {
	if err := checkID("user_id", userID); err != nil {
		return err
	}
	// Check first on committed data, so the host is not asked to count the
	// resources of a user who cannot be offboarded; the unit of work checks
	// again under the locks.
	ms, err := s.store.MembershipsOfUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := ownsTeams(userID, ms); err != nil {
		return err
	}
	for _, m := range ms {
		if m.Team.Kind == Personal && m.Team.OwnerID == userID && !m.Team.Deleted() {
			counts, err := s.remainingResources(ctx, m.Team.ID)
			if err != nil {
				return err
			}
			if len(counts) > 0 {
				return &ResourcesRemainError{TeamID: m.Team.ID, Counts: counts}
			}
		}
	}
	return s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		locked, ms, invs, err := lockUserTeams(ctx, tx, userID, true)
		if err != nil {
			return err
		}
		if err := ownsTeams(userID, ms); err != nil {
			return err
		}
		acct, err := tx.LockAccount(ctx, userID)
		switch {
		case errors.Is(err, ErrNotFound):
			if len(ms) == 0 && len(invs) == 0 {
				return fmt.Errorf("%w: user %s has no membership and no billing account", ErrNotFound, userID)
			}
		case err != nil:
			return err
		}
		now := s.now().UTC()
		details := map[string]map[string]string{}
		detail := func(teamID string) map[string]string {
			d, ok := details[teamID]
			if !ok {
				d = map[string]string{"user_id": userID}
				details[teamID] = d
			}
			return d
		}
		for _, m := range ms {
			t := locked[m.Team.ID]
			detail(t.ID)["role"] = m.Member.Role
			if t.Kind == Personal && t.OwnerID == userID && !t.Deleted() {
				t.Name, t.DeletedAt, t.UpdatedAt = defaultPersonalTeamName, now, now
				if err := tx.UpdateTeam(ctx, t); err != nil {
					return err
				}
				if err := tx.DeleteTeamMembers(ctx, t.ID); err != nil {
					return err
				}
				detail(t.ID)["team"] = "deleted"
				if acct.ID != "" && acct.Status != billing.StatusClosed {
					acct.Status, acct.UpdatedAt = billing.StatusClosed, now
					if err := tx.UpdateAccount(ctx, acct); err != nil {
						return err
					}
					detail(t.ID)["account"] = "closed"
				}
				continue
			}
			if err := tx.DeleteMember(ctx, t.ID, userID); err != nil {
				return err
			}
		}
		if acct.ID != "" && acct.Status != billing.StatusClosed {
			// No live personal team to record it in: close it all the same.
			acct.Status, acct.UpdatedAt = billing.StatusClosed, now
			if err := tx.UpdateAccount(ctx, acct); err != nil {
				return err
			}
		}
		removed := map[string]map[string]int{} // team ID -> email -> invitations
		for _, inv := range invs {
			if removed[inv.TeamID] == nil {
				removed[inv.TeamID] = map[string]int{}
			}
			removed[inv.TeamID][inv.Email]++
		}
		for _, teamID := range slices.Sorted(maps.Keys(removed)) {
			n := 0
			for _, email := range slices.Sorted(maps.Keys(removed[teamID])) {
				k, err := tx.DeleteInvitationsByEmail(ctx, teamID, email)
				if err != nil {
					return err
				}
				n += k
			}
			if n > 0 {
				detail(teamID)["invitations_removed"] = fmt.Sprint(n)
			}
		}
		closed, err := closeJoinRequests(ctx, tx, userID, locked, now)
		if err != nil {
			return err
		}
		for teamID, ids := range closed {
			detail(teamID)["join_request"] = strings.Join(ids, ",")
		}
		for _, teamID := range slices.Sorted(maps.Keys(details)) {
			if _, err := s.record(ctx, tx, "", teamID, audit.UserOffboarded, userID, details[teamID]); err != nil {
				return err
			}
		}
		return nil
	})
}

// closeJoinRequests rejects userID's pending join requests in the teams of
// locked, whose locks the caller holds, and removes the user's email and
// name from every join request there (USER-2: no record keeps the email of
// an offboarded user). It returns the requests it changed by team. On a
// store without JoinStore there are none.
func closeJoinRequests(ctx context.Context, tx Tx, userID string, locked map[string]Team, now time.Time) (map[string][]string, error) {
	jt, err := joinTx(tx)
	if err != nil {
		return nil, nil
	}
	closed := map[string][]string{}
	for _, teamID := range slices.Sorted(maps.Keys(locked)) {
		reqs, err := jt.JoinRequests(ctx, teamID, "")
		if err != nil {
			return nil, err
		}
		for _, r := range reqs {
			if r.UserID != userID || (r.Status != JoinRequestPending && r.Email == "" && r.Name == "") {
				continue
			}
			if r.Status == JoinRequestPending {
				r.Status, r.DecidedBy = JoinRequestRejected, SystemActor
			}
			r.Email, r.Name, r.UpdatedAt = "", "", now
			if err := jt.UpdateJoinRequest(ctx, r); err != nil {
				return nil, err
			}
			closed[teamID] = append(closed[teamID], r.ID)
		}
	}
	return closed, nil
}

// ownsTeams returns an *OwnsTeamsError when ms holds a live collaboration
// team that userID owns.
func ownsTeams(userID string, ms []Membership) error {
	var owned []string
	for _, m := range ms {
		if m.Team.Kind == Collaboration && m.Team.OwnerID == userID && !m.Team.Deleted() {
			owned = append(owned, m.Team.ID)
		}
	}
	if len(owned) == 0 {
		return nil
	}
	slices.Sort(owned)
	return &OwnsTeamsError{UserID: userID, TeamIDs: owned}
}

// lockUserTeams locks, in ascending team ID order, every team userID is a
// member of and, when withInvitations, every team holding an invitation to
// one of the emails of those memberships or a verified claim to one of
// their domains (where the user may have filed a join request). It returns the locked teams by
// ID, the memberships with their teams as locked, and those invitations,
// all read once every team they name is locked. Should a concurrent unit
// of work add a membership or invitation in a team not yet locked, that
// team is locked too and everything read again.
func lockUserTeams(ctx context.Context, tx Tx, userID string, withInvitations bool) (map[string]Team, []Membership, []Invitation, error) {
	locked := map[string]Team{}
	for range 4 {
		ms, err := tx.MembershipsOfUser(ctx, userID)
		if err != nil {
			return nil, nil, nil, err
		}
		need := map[string]bool{}
		emails := map[string]bool{}
		for _, m := range ms {
			need[m.Team.ID] = true
			emails[m.Member.Email] = true
		}
		var invs []Invitation
		if withInvitations {
			for _, email := range slices.Sorted(maps.Keys(emails)) {
				found, err := tx.InvitationsByEmail(ctx, email, "")
				if err != nil {
					return nil, nil, nil, err
				}
				for _, inv := range found {
					need[inv.TeamID] = true
				}
				invs = append(invs, found...)
			}
		}
		if withInvitations {
			// The teams the user may have asked to join (JOIN-2): those
			// holding a verified claim to the domain of one of the emails.
			if jt, err := joinTx(tx); err == nil {
				for _, email := range slices.Sorted(maps.Keys(emails)) {
					c, err := jt.VerifiedDomainClaim(ctx, emailDomain(email))
					if err == nil {
						need[c.TeamID] = true
					} else if !errors.Is(err, ErrNotFound) {
						return nil, nil, nil, err
					}
				}
			}
		}
		var missing []string
		for id := range need {
			if _, ok := locked[id]; !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			for i, m := range ms {
				ms[i].Team = locked[m.Team.ID]
			}
			return locked, ms, invs, nil
		}
		slices.Sort(missing)
		for _, id := range missing {
			t, err := tx.LockTeam(ctx, id)
			if err != nil {
				return nil, nil, nil, err
			}
			locked[id] = t
		}
	}
	return nil, nil, nil, fmt.Errorf("teamkit: the teams of user %s keep changing; retry: %w", userID, ErrConflict)
}
