package team

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
)

// MaxLinkUses is the largest use limit of an invite link (LINK-1).
const MaxLinkUses = 1_000_000

// CreateInviteLinkParams are the arguments of CreateInviteLink (LINK-1).
type CreateInviteLinkParams struct {
	// ActorID is the acting user, who needs the invite permission.
	ActorID string
	// TeamID is the collaboration team the link joins.
	TeamID string
	// Role names the role users join with; "" means the policy's default
	// role. The ROLE-7 ceiling applies, as for Invite.
	Role string
	// MaxUses limits how many users may join through the link, 1 to
	// MaxLinkUses; 0 means no limit.
	MaxUses int
	// ExpiresAt is when the link stops working; the zero time means never.
	// It must be in the future.
	ExpiresAt time.Time
}

// InviteLinkResult is what CreateInviteLink returns: the stored link and
// its raw token.
type InviteLinkResult struct {
	// Link is the link as stored.
	Link InviteLink
	// Token is the link's secret: whoever holds it can join the team with
	// the link's role. It is returned this once; only its hash is stored.
	// Put it in the URL you share; never log it.
	Token string
}

// RevokeInviteLinkParams are the arguments of RevokeInviteLink (LINK-3).
type RevokeInviteLinkParams struct {
	// ActorID is the acting user, who needs the invite permission.
	ActorID string
	// TeamID is the team the link belongs to.
	TeamID string
	// LinkID is the link to revoke.
	LinkID string
}

// errNoJoinStore is the error of link, domain and join-request methods on a
// store that does not implement JoinStore.
func errNoJoinStore(st any) error {
	return fmt.Errorf("teamkit: the store %T does not implement team.JoinStore, which invite links, domain claims and join requests need; use store.Memory or store/postgres, or implement it", st)
}

// joinReader returns the service's store as a JoinReader.
func (s *Service) joinReader() (JoinReader, error) {
	jr, ok := s.raw.(JoinReader) // raw: s.store may be wrapped for hooks (FEED-4)
	if !ok {
		return nil, errNoJoinStore(s.store)
	}
	return jr, nil
}

// joinTx returns tx as a JoinTx.
func joinTx(tx Tx) (JoinTx, error) {
	jt, ok := tx.(JoinTx)
	if !ok {
		return nil, errNoJoinStore(tx)
	}
	return jt, nil
}

// inJoinTx runs fn as one unit of work on a JoinStore. A unit that failed
// with ErrConflict, as when a concurrent unit registered the same user
// first (INV-5), is run again, twice at most.
func (s *Service) inJoinTx(ctx context.Context, fn func(ctx context.Context, tx JoinTx) error) error {
	if _, err := s.joinReader(); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
			jt, err := joinTx(tx)
			if err != nil {
				return err
			}
			return fn(ctx, jt)
		})
		if err == nil || !errors.Is(err, ErrConflict) || attempt >= 2 {
			return err
		}
	}
}

// CreateInviteLink creates an invite link to p.TeamID (LINK-1): the actor
// needs the invite permission and may link only to roles they could invite
// to (ROLE-7, never owner); role "" is the policy's default role. The
// result holds the token, returned this once (INV-4: 256 random bits,
// stored only as its hash). Records InviteLinkCreated.
//
// Errors match ErrInvalidInput (an unknown role also ErrUnknownRole; a use
// limit out of range or an expiry not in the future), ErrNotMember,
// ErrPersonalTeam or ErrPermissionDenied.
func (s *Service) CreateInviteLink(ctx context.Context, p CreateInviteLinkParams) (InviteLinkResult, error) {
	if err := checkIDs("actor_id", p.ActorID, "team_id", p.TeamID); err != nil {
		return InviteLinkResult{}, err
	}
	r, err := s.roleArg(p.Role)
	if err != nil {
		return InviteLinkResult{}, err
	}
	if p.MaxUses < 0 || p.MaxUses > MaxLinkUses {
		return InviteLinkResult{}, invalid("max_uses", "must be 0 (no limit) or positive, at most team.MaxLinkUses")
	}
	token, hash, err := s.newToken()
	if err != nil {
		return InviteLinkResult{}, err
	}
	var link InviteLink
	err = s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		t, _, actorRole, err := s.lockAs(ctx, tx, p.ActorID, p.TeamID, membersOnly, "")
		if err != nil {
			return err
		}
		if t.Kind == Personal {
			return fmt.Errorf("%w: team %s accepts no invite links; create a collaboration team or upgrade this one", ErrPersonalTeam, t.ID)
		}
		if err := s.requireInvite(actorRole, r); err != nil {
			return err
		}
		now := s.now().UTC()
		expires := time.Time{}
		if !p.ExpiresAt.IsZero() {
			expires = p.ExpiresAt.UTC().Truncate(time.Microsecond)
			if !expires.After(now) {
				return invalid("expires_at", "must be in the future (or zero for no expiry)")
			}
		}
		link = InviteLink{
			ID:        s.newID(),
			TeamID:    t.ID,
			Role:      r.Name,
			CreatorID: p.ActorID,
			TokenHash: hash,
			MaxUses:   p.MaxUses,
			ExpiresAt: expires,
			CreatedAt: now,
			UpdatedAt: now,
		}
		if err := tx.InsertInviteLink(ctx, link); err != nil {
			return err
		}
		details := map[string]string{"role": link.Role, "max_uses": strconv.Itoa(link.MaxUses)}
		if !expires.IsZero() {
			details["expires_at"] = expires.Format(time.RFC3339Nano)
		}
		_, err = s.record(ctx, tx, p.ActorID, t.ID, audit.InviteLinkCreated, link.ID, details)
		return err
	})
	if err != nil {
		return InviteLinkResult{}, err
	}
	return InviteLinkResult{Link: link, Token: token}, nil
}

// InviteLinks returns the invite links of teamID, every state included
// (InviteLink.State tells), by creation (LINK-3). The actor needs the
// invite permission.
//
// Errors match ErrInvalidInput, ErrNotMember or ErrPermissionDenied.
func (s *Service) InviteLinks(ctx context.Context, actorID, teamID string) ([]InviteLink, error) {
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return nil, err
	}
	jr, err := s.joinReader()
	if err != nil {
		return nil, err
	}
	if _, _, _, err := s.readAs(ctx, s.store, actorID, teamID, rbac.Invite, "list invite links"); err != nil {
		return nil, err
	}
	return jr.InviteLinks(ctx, teamID)
}

// RevokeInviteLink revokes the link p.LinkID of p.TeamID (LINK-3): joining
// through it fails with ErrLinkRevoked from then on. The actor needs the
// invite permission. Records InviteLinkRevoked.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied,
// ErrNotFound (no such link in this team) or ErrLinkRevoked (revoked
// already).
func (s *Service) RevokeInviteLink(ctx context.Context, p RevokeInviteLinkParams) error {
	if err := checkIDs("actor_id", p.ActorID, "team_id", p.TeamID, "link_id", p.LinkID); err != nil {
		return err
	}
	return s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		if _, _, _, err := s.lockAs(ctx, tx, p.ActorID, p.TeamID, rbac.Invite, "revoke invite links"); err != nil {
			return err
		}
		l, err := tx.InviteLink(ctx, p.LinkID)
		if err == nil && l.TeamID != p.TeamID {
			err = ErrNotFound
		}
		if err != nil {
			return linkLookupError(err, p.LinkID)
		}
		if !l.RevokedAt.IsZero() {
			return fmt.Errorf("%w: link %s was revoked at %s", ErrLinkRevoked, l.ID, l.RevokedAt.Format(time.RFC3339))
		}
		now := s.now().UTC()
		l.RevokedAt, l.UpdatedAt = now, now
		if err := tx.UpdateInviteLink(ctx, l); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, p.ActorID, p.TeamID, audit.InviteLinkRevoked, l.ID,
			map[string]string{"uses": strconv.Itoa(l.Uses)})
		return err
	})
}

// JoinByLink makes u, a signed-in user, a member of the link's team with
// the link's role (LINK-2). token is the one CreateInviteLink returned. A
// user the library does not know yet is registered in the same unit of
// work: personal team and FREE billing account (INV-5). The team must have a
// free seat (INV-3) and the link uses left; concurrent joins never exceed
// either (LINK-4). The link's creator must still be a member whose role
// could create it (INV-8). A user who is already a member gets
// ErrAlreadyMember and spends no use. Records InviteLinkJoined, whose
// target is the link's ID, in the team (and TeamCreated in a new personal
// team).
//
// Errors match ErrInvalidInput, ErrNotFound (unknown link, or its team was
// deleted), ErrLinkRevoked, ErrLinkExpired, ErrLinkUsedUp,
// ErrLinkAuthorityLost, ErrAlreadyMember, ErrSeatLimit (a
// *SeatLimitError) or ErrInvalidAccount (u was offboarded, USER-2).
func (s *Service) JoinByLink(ctx context.Context, u User, token string) (Member, error) {
	u, err := checkUser(u)
	if err != nil {
		return Member{}, err
	}
	personal, err := personalTeamName(u)
	if err != nil {
		return Member{}, err
	}
	if token == "" || len(token) > maxTokenLength {
		return Member{}, invalid("token", "must have 1 to %d bytes; use the token from the invite link", maxTokenLength)
	}
	jr, err := s.joinReader()
	if err != nil {
		return Member{}, err
	}
	hash := hashToken(token)
	found, err := jr.InviteLinkByTokenHash(ctx, hash)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Member{}, fmt.Errorf("%w: no invite link for this token; check the link or ask for a new one", ErrNotFound)
		}
		return Member{}, err
	}
	var m Member
	err = s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		t, err := live(tx.LockTeam(ctx, found.TeamID))
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w: the invite link's team no longer exists", ErrNotFound)
			}
			return err
		}
		l, err := tx.InviteLink(ctx, found.ID)
		if err != nil {
			return linkLookupError(err, found.ID)
		}
		if subtle.ConstantTimeCompare([]byte(l.TokenHash), []byte(hash)) != 1 {
			return fmt.Errorf("%w: no invite link for this token; check the link or ask for a new one", ErrNotFound)
		}
		if _, err := tx.Member(ctx, t.ID, u.ID); err == nil {
			return fmt.Errorf("%w: user %s is already a member of team %s; the link's use was not spent", ErrAlreadyMember, u.ID, t.ID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.now().UTC()
		if err := linkStateError(l, now); err != nil {
			return err
		}
		if err := s.linkAuthority(ctx, tx, l); err != nil {
			return err
		}
		if m, err = s.admit(ctx, tx, t, u, personal, l.Role, now); err != nil {
			return err
		}
		l.Uses++
		l.UpdatedAt = now
		if err := tx.UpdateInviteLink(ctx, l); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, u.ID, t.ID, audit.InviteLinkJoined, l.ID,
			map[string]string{"user_id": u.ID, "role": l.Role, "link_id": l.ID})
		return err
	})
	if err != nil {
		return Member{}, err
	}
	return m, nil
}

// linkAuthority refuses a link whose creator is no longer a member whose
// current role could create it (INV-8), with ErrLinkAuthorityLost.
func (s *Service) linkAuthority(ctx context.Context, tx Tx, l InviteLink) error {
	r, err := s.policy.Role(l.Role)
	if err != nil {
		return fmt.Errorf("teamkit: invite link %s names role %q that the policy does not define; revoke it and create a new one: %w", l.ID, l.Role, err)
	}
	why, err := s.lostAuthority(ctx, tx, l.CreatorID, l.TeamID, r, rbac.Invite)
	if why != "" {
		return fmt.Errorf("%w: link %s was created by %s, who %s; ask a team admin for a new link",
			ErrLinkAuthorityLost, l.ID, l.CreatorID, why)
	}
	return err
}

// linkStateError explains why link l cannot be used at now; nil when it is
// active.
func linkStateError(l InviteLink, now time.Time) error {
	switch l.State(now) {
	case LinkRevoked:
		return fmt.Errorf("%w: link %s; ask the team for a new one", ErrLinkRevoked, l.ID)
	case LinkExpired:
		return fmt.Errorf("%w: link %s expired at %s; ask the team for a new one", ErrLinkExpired, l.ID, l.ExpiresAt.Format(time.RFC3339))
	case LinkUsedUp:
		return fmt.Errorf("%w: link %s was used %d of %d times; ask the team for a new one", ErrLinkUsedUp, l.ID, l.Uses, l.MaxUses)
	}
	return nil
}

func linkLookupError(err error, linkID string) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: invite link %s; check the ID", ErrNotFound, linkID)
	}
	return err
}

// admit makes u, a checked user who is not a member, a member of t, a
// live team locked by tx, with role, at now: it refuses a personal team
// and a full team (INV-3: the seats of the owner's plan, or the service's),
// registers u as EnsurePersonalTeam does when the library does not know
// them (INV-5: personal team named personal, FREE account) and inserts the
// membership. A pending invitation to u's email is cancelled, since u
// takes its seat (recorded as InvitationCancelled with reason "joined"), and
// so is u's pending join request (closeJoinRequestOf). The caller records
// the team's event.
func (s *Service) admit(ctx context.Context, tx Tx, t Team, u User, personal, role string, now time.Time) (Member, error) {
	if t.Kind == Personal {
		return Member{}, fmt.Errorf("%w: team %s accepts no new members", ErrPersonalTeam, t.ID)
	}
	if _, err := s.policy.Role(role); err != nil {
		return Member{}, fmt.Errorf("teamkit: role %q is not defined by the policy; ask a team admin to fix the link or policy: %w", role, err)
	}
	// A pending invitation to u's email holds the seat u now takes: it is
	// not counted, and it is cancelled below (INV-2, INV-3).
	used, own, err := s.seatsFor(ctx, tx, t.ID, u.Email, now, false)
	if err != nil {
		return Member{}, err
	}
	if limit := s.seatLimitOf(ctx, tx, t); used >= limit {
		return Member{}, &SeatLimitError{TeamID: t.ID, Limit: limit, Used: used}
	}
	if _, err := s.ensurePersonal(ctx, tx, u, personal); err != nil {
		return Member{}, err
	}
	epoch, err := s.joinEpoch(ctx, tx, t.ID, u.ID, now) // ROLE-5: above any earlier membership's
	if err != nil {
		return Member{}, err
	}
	m := Member{
		TeamID:   t.ID,
		UserID:   u.ID,
		Email:    u.Email,
		Name:     u.Name,
		Role:     role,
		JoinedAt: now,
		Epoch:    epoch,
	}
	if err := tx.InsertMember(ctx, m); err != nil {
		return Member{}, err
	}
	if err := s.closeJoinRequestOf(ctx, tx, t.ID, u.ID, now); err != nil {
		return Member{}, err
	}
	for _, inv := range own {
		if err := s.cancelInvitation(ctx, tx, u.ID, inv, now, "joined"); err != nil {
			return Member{}, err
		}
	}
	return m, nil
}

// closeJoinRequestOf closes userID's pending join request to teamID, whose
// lock the caller holds, once they joined another way (JOIN-3): left
// pending it would ask the team's admins to admit a member. It is rejected
// by SystemActor and recorded as JoinRequestRejected with reason "joined".
// On a store without JoinStore there are no requests.
func (s *Service) closeJoinRequestOf(ctx context.Context, tx Tx, teamID, userID string, now time.Time) error {
	jt, err := joinTx(tx)
	if err != nil {
		return nil
	}
	r, err := jt.PendingJoinRequest(ctx, teamID, userID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	r.Status, r.DecidedBy, r.UpdatedAt = JoinRequestRejected, SystemActor, now
	if err := jt.UpdateJoinRequest(ctx, r); err != nil {
		return err
	}
	_, err = s.record(ctx, tx, userID, teamID, audit.JoinRequestRejected, r.ID,
		map[string]string{"user_id": userID, "reason": "joined"})
	return err
}
