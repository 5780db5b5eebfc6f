package team

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// InvitationPreview is what the holder of an invitation link may see
// without signing in (INV-9): enough for "Ana invited you to Acme as a
// member" and nothing else: no email, no user or team ID, no token hash.
type InvitationPreview struct {
	// TeamName is the name of the team the invitation is for.
	TeamName string `json:"team_name"`
	// InviterName is the display name of the member who sent it; "" when
	// they have none or are no longer a member.
	InviterName string `json:"inviter_name"`
	// Role names the role the invitee gets on accepting.
	Role string `json:"role"`
	// ExpiresAt is when the link stops working.
	ExpiresAt time.Time `json:"expires_at"`
	// State is the invitation's status as of now (Invitation.State).
	State InvitationStatus `json:"state"`
}

// InvitationByToken returns the preview of the invitation whose link
// carries token (INV-9). It needs no signed-in user: the token is the
// credential. A token that was replaced (ResendInvitation), whose
// invitation was removed, or whose team was deleted is not found.
//
// Errors match ErrInvalidInput (empty or over-long token) or ErrNotFound.
func (s *Service) InvitationByToken(ctx context.Context, token string) (InvitationPreview, error) {
	inv, err := s.invitationOfToken(ctx, token)
	if err != nil {
		return InvitationPreview{}, err
	}
	t, err := live(s.store.Team(ctx, inv.TeamID))
	if err != nil {
		return InvitationPreview{}, invitationTeamError(err, inv.TeamID)
	}
	var inviter string
	if m, err := s.store.Member(ctx, inv.TeamID, inv.InviterID); err == nil {
		inviter = m.Name
	} else if !errors.Is(err, ErrNotFound) {
		return InvitationPreview{}, err
	}
	return InvitationPreview{
		TeamName:    t.Name,
		InviterName: inviter,
		Role:        inv.Role,
		ExpiresAt:   inv.ExpiresAt,
		State:       inv.State(s.now().UTC()),
	}, nil
}

// DeclineInvitationByToken declines, on behalf of u, the invitation whose
// link carries token (INV-6, INV-9), with the rules of DeclineInvitation:
// u's verified email must be the invited one. Records InvitationDeclined.
//
// Errors match ErrInvalidInput, ErrNotFound (unknown or replaced link, or
// the team was deleted), ErrEmailMismatch, ErrInvitationExpired,
// ErrInvitationCancelled, ErrInvitationDeclined or ErrInvitationUsed.
func (s *Service) DeclineInvitationByToken(ctx context.Context, u User, token string) error {
	u, err := checkUser(u)
	if err != nil {
		return err
	}
	found, err := s.invitationOfToken(ctx, token)
	if err != nil {
		return err
	}
	return s.decline(ctx, u, found, hashToken(token))
}

// invitationOfToken checks token and returns the invitation that holds its
// hash, read from committed data.
func (s *Service) invitationOfToken(ctx context.Context, token string) (Invitation, error) {
	if token == "" || len(token) > maxTokenLength {
		return Invitation{}, invalid("token", "must have 1 to %d bytes; use the token from the invitation link", maxTokenLength)
	}
	inv, err := s.store.InvitationByTokenHash(ctx, hashToken(token))
	if errors.Is(err, ErrNotFound) {
		return Invitation{}, fmt.Errorf("%w: no invitation for this link; it may have been re-sent, ask for the newest link", ErrNotFound)
	}
	return inv, err
}
