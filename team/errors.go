package team

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
)

// Sentinel errors of the service (SEC-1). Every refusal matches exactly one
// of the sentinels of this package (these, the ones repeated from the other
// packages below, and the Store errors ErrNotFound and ErrConflict) with
// errors.Is, with one exception: an *InputError for a role name the policy
// does not define matches ErrInvalidInput and ErrUnknownRole. (An
// *InputError may also wrap the other package's error that refused the
// value, such as audit.ErrInvalidCursor.) The error's message says what went
// wrong and what to do; it is for logs. What may be shown to the caller is
// PublicMessage(err), and Code(err) names the sentinel (SEC-4).
var (
	// ErrInvalidInput: an argument is empty, malformed or out of range. The
	// error is an *InputError naming the field. Nothing was written.
	ErrInvalidInput = errors.New("teamkit: invalid input")
	// ErrPermissionDenied: the caller's role lacks the permission, or the
	// role ceiling forbids the change (ROLE-6).
	ErrPermissionDenied = errors.New("teamkit: permission denied")
	// ErrNotMember: the user is not a member of the team (or the team does
	// not exist; the two are not told apart, so IDs reveal nothing: TEAM-6).
	ErrNotMember = errors.New("teamkit: not a member of the team")
	// ErrPersonalTeam: the operation is not possible on a personal team
	// (TEAM-2): no invitations, deletion, transfer or leaving.
	ErrPersonalTeam = errors.New("teamkit: not possible on a personal team")
	// ErrSeatLimit: members plus pending invitations would exceed the seat
	// limit (INV-3). Cancel an invitation or remove a member first.
	ErrSeatLimit = errors.New("teamkit: team seat limit reached")
	// ErrAlreadyMember: the email or user is already a member of the team.
	ErrAlreadyMember = errors.New("teamkit: already a member of the team")
	// ErrAlreadyInvited: the email has a pending invitation to the team; use
	// ResendInvitation instead (INV-2).
	ErrAlreadyInvited = errors.New("teamkit: a pending invitation for this email already exists")
	// ErrInvitationExpired: the invitation's link has expired; ask for a new
	// one (ResendInvitation).
	ErrInvitationExpired = errors.New("teamkit: invitation expired")
	// ErrInvitationCancelled: the invitation was cancelled by the team.
	ErrInvitationCancelled = errors.New("teamkit: invitation was cancelled")
	// ErrInvitationDeclined: the invitation was declined by the invitee.
	ErrInvitationDeclined = errors.New("teamkit: invitation was declined")
	// ErrInvitationUsed: the invitation was already accepted.
	ErrInvitationUsed = errors.New("teamkit: invitation was already accepted")
	// ErrEmailMismatch: the signed-in user's verified email is not the
	// invited one (INV-5). Sign in with the invited address.
	ErrEmailMismatch = errors.New("teamkit: signed-in email does not match the invitation")
	// ErrNotifyFailed: the invitation was stored but the Notifier failed to
	// deliver it (INV-7). Retry with ResendInvitation.
	ErrNotifyFailed = errors.New("teamkit: invitation saved but notification failed")
	// ErrOwnerCannotLeave: the owner must transfer ownership before leaving
	// (MEM-3).
	ErrOwnerCannotLeave = errors.New("teamkit: the team owner cannot leave; transfer ownership first")
	// ErrConfirmationMismatch: the ownership transfer was not confirmed for
	// the same user (OWN-1).
	ErrConfirmationMismatch = errors.New("teamkit: ownership transfer confirmation does not match the new owner")
	// ErrResourcesRemain: the team still holds resources; the error is a
	// *ResourcesRemainError with the counts by type (DEL-2).
	ErrResourcesRemain = errors.New("teamkit: team still holds resources")
	// ErrOwnsTeams: the user still owns collaboration teams, so they cannot
	// be offboarded (USER-2). The error is an *OwnsTeamsError listing the
	// teams; transfer their ownership or delete them first.
	ErrOwnsTeams = errors.New("teamkit: the user still owns collaboration teams")
)

// Errors of invite links, domain claims and join requests (LINK, JOIN).
var (
	// ErrLinkRevoked: the invite link was revoked by the team (LINK-3).
	ErrLinkRevoked = errors.New("teamkit: invite link was revoked")
	// ErrLinkExpired: the invite link is past its expiry (LINK-3).
	ErrLinkExpired = errors.New("teamkit: invite link expired")
	// ErrLinkUsedUp: the invite link has no uses left (LINK-3).
	ErrLinkUsedUp = errors.New("teamkit: invite link has no uses left")
	// ErrLinkAuthorityLost: the link's creator is no longer a member whose
	// role could create it, so the link grants nothing (LINK-3, INV-8). A
	// member with the authority creates a new link.
	ErrLinkAuthorityLost = errors.New("teamkit: the invite link's creator no longer holds the authority it grants")
	// ErrPublicEmailDomain: the domain is a public mail provider's and
	// cannot be claimed (JOIN-1).
	ErrPublicEmailDomain = errors.New("teamkit: public email domains cannot be claimed")
	// ErrDomainClaimed: the domain is already claimed: verified by another
	// team, or claimed by this team already (JOIN-1).
	ErrDomainClaimed = errors.New("teamkit: the domain is already claimed")
	// ErrDomainNotVerified: the DomainVerifier did not confirm the claim,
	// or the service has none (JOIN-1). Publish the TXT record and retry.
	ErrDomainNotVerified = errors.New("teamkit: the domain claim is not verified")
	// ErrJoinNotAllowed: the team does not let the user join through their
	// email domain: no verified claim to it, or its policy is off, or it
	// asks for a join request instead (JOIN-2).
	ErrJoinNotAllowed = errors.New("teamkit: the team does not accept joins from this email domain")
	// ErrAlreadyRequested: the user has a pending join request to the team
	// (JOIN-3).
	ErrAlreadyRequested = errors.New("teamkit: a pending join request to this team already exists")
	// ErrJoinRequestClosed: the join request was already approved or
	// rejected (JOIN-3).
	ErrJoinRequestClosed = errors.New("teamkit: the join request was already decided")
)

// Errors from the other packages, repeated here so one package lists every
// refusal. They are the same values: errors.Is matches either name.
var (
	// ErrUnknownRole: a role name that the policy does not define.
	ErrUnknownRole = rbac.ErrUnknownRole
	// ErrSubscriptionRequired: see billing.ErrSubscriptionRequired (TEAM-4).
	ErrSubscriptionRequired = billing.ErrSubscriptionRequired
	// ErrTeamLimit: see billing.ErrTeamLimit (TEAM-4).
	ErrTeamLimit = billing.ErrTeamLimit
	// ErrInvalidAccount: see billing.ErrInvalidAccount (TEAM-4, OWN-4).
	ErrInvalidAccount = billing.ErrInvalidAccount
	// ErrInsufficientBalance: see billing.ErrInsufficientBalance (BILL-3).
	ErrInsufficientBalance = billing.ErrInsufficientBalance
	// ErrIdempotencyConflict: see billing.ErrIdempotencyConflict (BILL-4).
	ErrIdempotencyConflict = billing.ErrIdempotencyConflict
	// ErrInvalidAmount: see billing.ErrInvalidAmount.
	ErrInvalidAmount = billing.ErrInvalidAmount
	// ErrTotalOverflow: see billing.ErrTotalOverflow (BILL-10).
	ErrTotalOverflow = billing.ErrTotalOverflow
	// ErrBrokenChain: see audit.ErrBrokenChain (AUD-4).
	ErrBrokenChain = audit.ErrBrokenChain
)

// InputError names the argument that was refused and why. It matches
// ErrInvalidInput.
type InputError struct {
	Field   string // e.g. "email", "name", "role", "team_id"
	Problem string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("teamkit: invalid %s: %s", e.Field, e.Problem)
}

// Is makes errors.Is(err, ErrInvalidInput) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

func invalid(field, format string, args ...any) error {
	return &InputError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// ResourcesRemainError carries the resources a team still holds, by type
// (DEL-2). It matches ErrResourcesRemain.
type ResourcesRemainError struct {
	TeamID string
	Counts map[string]int // only types with a count above zero
}

func (e *ResourcesRemainError) Error() string {
	parts := make([]string, 0, len(e.Counts))
	for _, k := range slices.Sorted(maps.Keys(e.Counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", e.Counts[k], k))
	}
	return fmt.Sprintf("teamkit: team %s still holds %s; clean them up before deleting the team", e.TeamID, strings.Join(parts, ", "))
}

// Is makes errors.Is(err, ErrResourcesRemain) true.
func (e *ResourcesRemainError) Is(target error) bool { return target == ErrResourcesRemain }

// SeatLimitError carries the limit and the seats in use (INV-3). It matches
// ErrSeatLimit.
type SeatLimitError struct {
	TeamID string
	Limit  int
	Used   int // members plus pending invitations
}

func (e *SeatLimitError) Error() string {
	return fmt.Sprintf("teamkit: team %s uses %d of %d seats (members and pending invitations); remove a member or cancel an invitation first",
		e.TeamID, e.Used, e.Limit)
}

// Is makes errors.Is(err, ErrSeatLimit) true.
func (e *SeatLimitError) Is(target error) bool { return target == ErrSeatLimit }
