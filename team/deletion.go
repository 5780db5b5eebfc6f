package team

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
)

// DeletionPreflight returns the resources the host still keeps in teamID,
// by type, as its ResourceCounter reports them (DEL-2); only types with a
// count above zero are listed, and an empty map means the team can be
// deleted. The actor needs the delete-team permission.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPersonalTeam or
// ErrPermissionDenied; a ResourceCounter error is returned wrapped.
func (s *Service) DeletionPreflight(ctx context.Context, actorID, teamID string) (map[string]int, error) {
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return nil, err
	}
	if err := s.checkDeletable(ctx, s.store, actorID, teamID); err != nil {
		return nil, err
	}
	return s.remainingResources(ctx, teamID)
}

// DeleteTeam deletes the collaboration team teamID (DEL-1..3). Only the owner
// can, and only once the host's ResourceCounter reports no resources left
// (DEL-2); otherwise the error is a *ResourcesRemainError with the counts.
// The resources are the host's data, so they are counted before the unit of
// work, which cannot lock them: a host that creates resources concurrently
// with a deletion must serialize that itself.
//
// In one unit of work the team is marked deleted, every membership and
// pending invitation is removed, its email domain claims are released and
// its pending join requests rejected without their email (on a JoinStore;
// the event's "domains_released" and "join_requests_closed" say so), and
// TeamDeleted is recorded. The team record and its audit trail stay
// (HostAuditLog reads them).
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPersonalTeam,
// ErrPermissionDenied or ErrResourcesRemain; a ResourceCounter error is
// returned wrapped.
func (s *Service) DeleteTeam(ctx context.Context, actorID, teamID string) error {
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return err
	}
	// Check first on committed data, so the host is not asked for a caller
	// who may not delete; the unit of work checks again under the lock.
	if err := s.checkDeletable(ctx, s.store, actorID, teamID); err != nil {
		return err
	}
	counts, err := s.remainingResources(ctx, teamID)
	if err != nil {
		return err
	}
	if len(counts) > 0 {
		return &ResourcesRemainError{TeamID: teamID, Counts: counts}
	}
	return s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		t, _, role, err := s.lockAs(ctx, tx, actorID, teamID, membersOnly, "")
		if err != nil {
			return err
		}
		if err := s.deletableBy(t, role, actorID); err != nil {
			return err
		}
		t.DeletedAt = s.now().UTC()
		t.UpdatedAt = t.DeletedAt
		if err := tx.UpdateTeam(ctx, t); err != nil {
			return err
		}
		if err := tx.DeleteTeamMembers(ctx, teamID); err != nil {
			return err
		}
		details := map[string]string{"name": t.Name}
		released, err := releaseDomains(ctx, tx, teamID)
		if err != nil {
			return err
		}
		if len(released) > 0 {
			details["domains_released"] = strings.Join(released, ",")
		}
		closed, err := closeTeamJoinRequests(ctx, tx, teamID, t.DeletedAt)
		if err != nil {
			return err
		}
		if closed > 0 {
			details["join_requests_closed"] = strconv.Itoa(closed)
		}
		_, err = s.record(ctx, tx, actorID, teamID, audit.TeamDeleted, teamID, details)
		return err
	})
}

// closeTeamJoinRequests rejects every pending join request of teamID,
// whose lock the caller holds, by SystemActor, and clears their email and
// name: a deleted team keeps no requests to decide, nor the addresses of
// those who asked (as its pending invitations are removed). It returns how
// many it closed; on a store without JoinStore there are none.
func closeTeamJoinRequests(ctx context.Context, tx Tx, teamID string, now time.Time) (int, error) {
	jt, err := joinTx(tx)
	if err != nil {
		return 0, nil
	}
	reqs, err := jt.JoinRequests(ctx, teamID, JoinRequestPending)
	if err != nil {
		return 0, err
	}
	for _, r := range reqs {
		r.Status, r.DecidedBy, r.Email, r.Name, r.UpdatedAt = JoinRequestRejected, SystemActor, "", "", now
		if err := jt.UpdateJoinRequest(ctx, r); err != nil {
			return 0, err
		}
	}
	return len(reqs), nil
}

// releaseDomains removes every domain claim of teamID, whose lock the
// caller holds, and returns the domains, sorted: a deleted team must not
// keep a verified domain from the team that claims it next (JOIN-1). On a
// store without JoinStore there is nothing to release.
func releaseDomains(ctx context.Context, tx Tx, teamID string) ([]string, error) {
	jt, err := joinTx(tx)
	if err != nil {
		return nil, nil
	}
	claims, err := jt.DomainClaims(ctx, teamID)
	if err != nil {
		return nil, err
	}
	domains := make([]string, 0, len(claims))
	for _, c := range claims {
		if err := jt.DeleteDomainClaim(ctx, teamID, c.Domain); err != nil {
			return nil, err
		}
		domains = append(domains, c.Domain)
	}
	slices.Sort(domains)
	return domains, nil
}

// checkDeletable checks, reading through r, that actorID may delete teamID.
func (s *Service) checkDeletable(ctx context.Context, r Reader, actorID, teamID string) error {
	t, _, role, err := s.readAs(ctx, r, actorID, teamID, membersOnly, "")
	if err != nil {
		return err
	}
	return s.deletableBy(t, role, actorID)
}

// deletableBy refuses personal teams (TEAM-2) and anyone but the owner
// (DEL-1).
func (s *Service) deletableBy(t Team, role rbac.Role, actorID string) error {
	if t.Kind == Personal {
		return fmt.Errorf("%w: personal team %s cannot be deleted", ErrPersonalTeam, t.ID)
	}
	if err := require(role, rbac.DeleteTeam, "delete the team"); err != nil {
		return err
	}
	if !s.policy.IsOwner(role) || t.OwnerID != actorID {
		return fmt.Errorf("%w: only the owner of team %s can delete it", ErrPermissionDenied, t.ID)
	}
	return nil
}

// remainingResources asks the ResourceCounter (DEL-2) and keeps the counts
// above zero. Without a counter the team holds nothing.
func (s *Service) remainingResources(ctx context.Context, teamID string) (map[string]int, error) {
	out := map[string]int{}
	if s.counter == nil {
		return out, nil
	}
	counts, err := s.counter.CountResources(ctx, teamID)
	if err != nil {
		return nil, fmt.Errorf("teamkit: counting the resources of team %s before deletion: %w", teamID, err)
	}
	maps.Copy(out, counts)
	maps.DeleteFunc(out, func(_ string, n int) bool { return n <= 0 })
	return out, nil
}
