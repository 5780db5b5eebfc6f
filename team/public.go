package team

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Public messages of errors (SEC-4). An error of the service has two
// levels: Error() holds the full detail for logs (IDs, balances, plans,
// the cause), and PublicMessage gives the sentence that is safe to show the
// caller, whatever their role; Code gives a stable machine-readable name.

// publicMessager is implemented by errors that carry their own public text:
// *InputError, *SeatLimitError and *ResourcesRemainError, and any error of
// the host's own (say, from an Entitlement or a ResourceCounter) that has a
// PublicMessage() string method.
type publicMessager interface {
	PublicMessage() string
}

// publicEntry is one sentinel with its code and its public sentence.
type publicEntry struct {
	name    string // the Go name of the sentinel, for the tests and the docs
	err     error
	code    string
	message string
}

// publicTable lists every sentinel of the package (team/errors.go and
// team/store.go) and the context errors. Every sentence is fixed: it names
// no ID, email, balance or plan. A test checks that every exported sentinel
// is here and that the table of Code's doc matches.
var publicTable = []publicEntry{
	{"ErrInvalidInput", ErrInvalidInput, "invalid_input", "The request is invalid; check its fields and try again."},
	{"ErrPermissionDenied", ErrPermissionDenied, "permission_denied", "Your role in this team does not allow this; ask the team owner or an admin."},
	{"ErrNotMember", ErrNotMember, "not_member", "You are not a member of this team, or the team does not exist; ask a team admin for an invitation."},
	{"ErrPersonalTeam", ErrPersonalTeam, "personal_team", "This is not possible on a personal team; create a collaboration team or upgrade this one."},
	{"ErrSeatLimit", ErrSeatLimit, "seat_limit", "The team has no free seat; a team admin can remove a member or cancel an invitation first."},
	{"ErrAlreadyMember", ErrAlreadyMember, "already_member", "That user is already a member of the team."},
	{"ErrAlreadyInvited", ErrAlreadyInvited, "already_invited", "That address already has a pending invitation to the team; resend it instead."},
	{"ErrInvitationExpired", ErrInvitationExpired, "invitation_expired", "This invitation has expired; ask the team for a new one."},
	{"ErrInvitationCancelled", ErrInvitationCancelled, "invitation_cancelled", "This invitation was cancelled by the team; ask the team for a new one."},
	{"ErrInvitationDeclined", ErrInvitationDeclined, "invitation_declined", "This invitation was declined; ask the team for a new one."},
	{"ErrInvitationUsed", ErrInvitationUsed, "invitation_used", "This invitation was already accepted."},
	{"ErrEmailMismatch", ErrEmailMismatch, "email_mismatch", "This invitation is for another email address; sign in with the invited address."},
	{"ErrNotifyFailed", ErrNotifyFailed, "notify_failed", "The invitation was saved but could not be delivered; resend it later."},
	{"ErrOwnerCannotLeave", ErrOwnerCannotLeave, "owner_cannot_leave", "The team owner cannot leave; transfer ownership first."},
	{"ErrConfirmationMismatch", ErrConfirmationMismatch, "confirmation_mismatch", "The confirmation does not name the same new owner; confirm the same user."},
	{"ErrResourcesRemain", ErrResourcesRemain, "resources_remain", "The team still holds resources; delete them before deleting the team."},
	{"ErrOwnsTeams", ErrOwnsTeams, "owns_teams", "The user still owns collaboration teams; transfer or delete them first."},
	{"ErrLinkRevoked", ErrLinkRevoked, "link_revoked", "This invite link was revoked by the team; ask the team for a new one."},
	{"ErrLinkExpired", ErrLinkExpired, "link_expired", "This invite link has expired; ask the team for a new one."},
	{"ErrLinkUsedUp", ErrLinkUsedUp, "link_used_up", "This invite link has no uses left; ask the team for a new one."},
	{"ErrLinkAuthorityLost", ErrLinkAuthorityLost, "link_authority_lost", "The member who created this invite link can no longer grant its access; ask a team admin for a new link."},
	{"ErrPublicEmailDomain", ErrPublicEmailDomain, "public_email_domain", "Public email domains cannot be claimed; claim a domain your organisation owns."},
	{"ErrDomainClaimed", ErrDomainClaimed, "domain_claimed", "That domain is already claimed."},
	{"ErrDomainNotVerified", ErrDomainNotVerified, "domain_not_verified", "The domain could not be verified; publish the TXT record shown with the claim and try again."},
	{"ErrJoinNotAllowed", ErrJoinNotAllowed, "join_not_allowed", "This team does not accept joins from your email domain this way; ask a team admin for an invitation."},
	{"ErrAlreadyRequested", ErrAlreadyRequested, "already_requested", "You already have a pending request to join this team."},
	{"ErrJoinRequestClosed", ErrJoinRequestClosed, "join_request_closed", "This join request was already approved or rejected."},
	{"ErrUnknownRole", ErrUnknownRole, "unknown_role", "That role does not exist; choose one of the team's roles."},
	{"ErrSubscriptionRequired", ErrSubscriptionRequired, "subscription_required", "Owning a collaboration team needs a subscription that allows it; the future owner subscribes first."},
	{"ErrTeamLimit", ErrTeamLimit, "team_limit", "The future owner already owns as many collaboration teams as their subscription allows; upgrade it, or delete or transfer a team first."},
	{"ErrInvalidAccount", ErrInvalidAccount, "invalid_account", "The team owner's billing account is missing or suspended; the team owner must settle it first."},
	{"ErrInsufficientBalance", ErrInsufficientBalance, "insufficient_balance", "The team does not have enough tokens for this; ask the team owner or a billing admin to top up."},
	{"ErrIdempotencyConflict", ErrIdempotencyConflict, "idempotency_conflict", "This idempotency key was already used for a different charge; use a new key for a new charge."},
	{"ErrInvalidAmount", ErrInvalidAmount, "invalid_amount", "The amount must be a positive number of tokens within range."},
	{"ErrTotalOverflow", ErrTotalOverflow, "total_overflow", "The total over this time range is too large to report; query a shorter range."},
	{"ErrBrokenChain", ErrBrokenChain, "broken_chain", "The team's audit log failed its integrity check; report this to the service operator."},
	{"ErrNotFound", ErrNotFound, "not_found", "Not found: it does not exist or was replaced; check the link or ID, or ask for a new one."},
	{"ErrConflict", ErrConflict, "conflict", "The request conflicts with a change made at the same time; try again."},
	{"ErrFeedUnsupported", ErrFeedUnsupported, "feed_unsupported", "The change feed is not available on this service."},
	{"ErrConsumerBusy", ErrConsumerBusy, "consumer_busy", "Another process is reading this feed consumer; try again later."},
	{"ErrLeaseLost", ErrLeaseLost, "lease_lost", "This feed consumer was taken over by another process; start it again."},
	{"context.Canceled", context.Canceled, "canceled", "The request was cancelled before it finished."},
	{"context.DeadlineExceeded", context.DeadlineExceeded, "deadline_exceeded", "The request took too long and was stopped; try again."},
}

// Code and message of an error that matches none of the sentinels.
const (
	codeInternal    = "internal"
	messageInternal = "Something went wrong on our side; try again later."
)

// PublicMessage returns a sentence about err that is safe to show the
// caller who got it, whatever their role (SEC-4): it names no account ID,
// balance or plan, nothing of other teams and no other user's ID or email.
// err.Error() keeps the full detail for logs.
//
// PublicMessage walks err's chain (errors.Unwrap, and every branch of a
// joined error) and answers from the first link that is either an error
// with its own PublicMessage() string method (*InputError, *SeatLimitError,
// *ResourcesRemainError, or a host error of the same shape, say from an
// Entitlement) or one of the sentinels in the table of Code; a sentinel
// answers with a fixed sentence. An error that has neither, such as a
// failure of the store, gets a generic "something went wrong" sentence.
// A nil err gives "".
func PublicMessage(err error) string {
	if err == nil {
		return ""
	}
	msg := messageInternal
	walkChain(err, func(e error) bool {
		if pm, ok := e.(publicMessager); ok {
			msg = pm.PublicMessage()
			return true
		}
		if ent := entryOf(e); ent != nil {
			msg = ent.message
			return true
		}
		return false
	})
	return msg
}

// Code returns a stable, machine-readable name for err, for an API's
// response body or a metrics label: the code of the first sentinel on err's
// chain (walked as PublicMessage walks it), "internal" when there is none,
// and "" for a nil err. Codes never change once released:
//
//	invalid_input          ErrInvalidInput (*InputError)
//	permission_denied      ErrPermissionDenied
//	not_member             ErrNotMember
//	personal_team          ErrPersonalTeam
//	seat_limit             ErrSeatLimit (*SeatLimitError)
//	already_member         ErrAlreadyMember
//	already_invited        ErrAlreadyInvited
//	invitation_expired     ErrInvitationExpired
//	invitation_cancelled   ErrInvitationCancelled
//	invitation_declined    ErrInvitationDeclined
//	invitation_used        ErrInvitationUsed
//	email_mismatch         ErrEmailMismatch
//	notify_failed          ErrNotifyFailed
//	owner_cannot_leave     ErrOwnerCannotLeave
//	confirmation_mismatch  ErrConfirmationMismatch
//	resources_remain       ErrResourcesRemain (*ResourcesRemainError)
//	owns_teams             ErrOwnsTeams (*OwnsTeamsError)
//	link_revoked           ErrLinkRevoked
//	link_expired           ErrLinkExpired
//	link_used_up           ErrLinkUsedUp
//	link_authority_lost    ErrLinkAuthorityLost
//	public_email_domain    ErrPublicEmailDomain
//	domain_claimed         ErrDomainClaimed
//	domain_not_verified    ErrDomainNotVerified
//	join_not_allowed       ErrJoinNotAllowed
//	already_requested      ErrAlreadyRequested
//	join_request_closed    ErrJoinRequestClosed
//	unknown_role           ErrUnknownRole
//	subscription_required  ErrSubscriptionRequired
//	team_limit             ErrTeamLimit
//	invalid_account        ErrInvalidAccount
//	insufficient_balance   ErrInsufficientBalance
//	idempotency_conflict   ErrIdempotencyConflict
//	invalid_amount         ErrInvalidAmount
//	total_overflow         ErrTotalOverflow
//	broken_chain           ErrBrokenChain
//	not_found              ErrNotFound
//	conflict               ErrConflict
//	feed_unsupported       ErrFeedUnsupported
//	consumer_busy          ErrConsumerBusy
//	lease_lost             ErrLeaseLost
//	canceled               context.Canceled
//	deadline_exceeded      context.DeadlineExceeded
//	internal               anything else
//
// An *InputError for a role the policy does not define also matches
// ErrUnknownRole; its code is invalid_input, the first on its chain.
func Code(err error) string {
	if err == nil {
		return ""
	}
	code := codeInternal
	walkChain(err, func(e error) bool {
		if ent := entryOf(e); ent != nil {
			code = ent.code
			return true
		}
		return false
	})
	return code
}

// walkChain calls visit on err and then on what it wraps, depth first and
// in order, as errors.Is does, until visit returns true.
func walkChain(err error, visit func(error) bool) bool {
	for err != nil {
		if visit(err) {
			return true
		}
		switch x := err.(type) {
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				if walkChain(e, visit) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// entryOf returns the table entry that e itself is or matches through its
// own Is method, without unwrapping; nil if none.
func entryOf(e error) *publicEntry {
	is, _ := e.(interface{ Is(error) bool })
	for i := range publicTable {
		ent := &publicTable[i]
		if e == ent.err || (is != nil && is.Is(ent.err)) {
			return ent
		}
	}
	return nil
}

// PublicMessage returns the field and the problem: both describe the
// caller's own input, never stored data (SEC-4).
func (e *InputError) PublicMessage() string {
	return fmt.Sprintf("Invalid %s: %s.", e.Field, e.Problem)
}

// PublicMessage says the team has no free seat, without the team's ID or
// counts (SEC-4): an invitee who is not yet a member gets it too.
func (e *SeatLimitError) PublicMessage() string {
	return "The team has no free seat (members and pending invitations count); a team admin can remove a member or cancel an invitation first."
}

// PublicMessage lists the resources by type and count, without the team's
// ID (SEC-4); only the owner, who may delete the team, gets this error.
func (e *ResourcesRemainError) PublicMessage() string {
	parts := make([]string, 0, len(e.Counts))
	for _, k := range slices.Sorted(maps.Keys(e.Counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", e.Counts[k], k))
	}
	return fmt.Sprintf("The team still holds %s; delete them before deleting the team.", strings.Join(parts, ", "))
}
