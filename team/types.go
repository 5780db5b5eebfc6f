package team

import (
	"time"

	"github.com/teamkit/teamkit/rbac"
)

// Kind is the kind of a team (TEAM-1, TEAM-3).
type Kind string

// The team kinds.
const (
	// Personal is a user's own team: one member, its owner; it cannot be
	// deleted, transferred, left or invited to (TEAM-2).
	Personal Kind = "personal"
	// Collaboration is a team of several members with roles.
	Collaboration Kind = "collaboration"
)

// User is a person known to the host, as the host vouches for them: a user
// ID and a verified email. The library never stores passwords.
type User struct {
	ID    string
	Email string // verified by the host
	Name  string // optional display name
}

// Team is the unit of collaboration and data isolation.
type Team struct {
	ID        string
	Kind      Kind
	Name      string
	OwnerID   string // the member holding the owner role; billing goes to this user's account
	Settings  map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt time.Time // zero while the team exists; set by deletion, whose audit trail stays (DEL-3)
}

// Deleted reports whether the team has been deleted.
func (t Team) Deleted() bool { return !t.DeletedAt.IsZero() }

// Member is a user's membership of a team, with exactly one role.
type Member struct {
	TeamID   string
	UserID   string
	Email    string // normalised
	Name     string
	Role     string // a role name of the service's policy
	JoinedAt time.Time
	// Epoch is the session epoch of this membership (ROLE-5): it rises with
	// every role change and ownership transfer, and a new membership starts
	// above the highest epoch its (team, user) pair ever had (a mark the
	// store keeps across removals) and not behind the clock's microseconds,
	// so a user removed and invited again gets an epoch above any their old
	// sessions carry, whatever the clock does. Hosts stamp it into sessions
	// and reject a session whose epoch differs from the current one.
	Epoch uint64
}

// InvitationStatus is where an invitation stands.
type InvitationStatus string

// The invitation statuses. An expired invitation keeps status Pending in the
// store until it is replaced; Invitation.State reports Expired from its
// expiry time.
const (
	InvitationPending   InvitationStatus = "pending"
	InvitationAccepted  InvitationStatus = "accepted"
	InvitationDeclined  InvitationStatus = "declined"
	InvitationCancelled InvitationStatus = "cancelled"
	InvitationExpired   InvitationStatus = "expired"
)

// Invitation asks an email address to join a team with a role (INV-2). It
// holds only the hash of its token, never the token itself (INV-4).
type Invitation struct {
	ID        string
	TeamID    string
	Email     string // normalised
	Role      string
	InviterID string
	Status    InvitationStatus
	TokenHash string // hex SHA-256 of the token sent to the invitee
	CreatedAt time.Time
	ExpiresAt time.Time
	UpdatedAt time.Time
}

// State returns the status as of now: a pending invitation past its expiry
// is Expired.
func (i Invitation) State(now time.Time) InvitationStatus {
	if i.Status == InvitationPending && !now.Before(i.ExpiresAt) {
		return InvitationExpired
	}
	return i.Status
}

// Resource describes a host resource for Authorize (RES-1): its type, ID and
// the user who created it.
type Resource struct {
	Type      string
	ID        string
	CreatorID string
}

// Action is a resource action; it is rbac.Action, so rbac.View, rbac.Use,
// rbac.Create, rbac.Edit and rbac.Delete are the values.
type Action = rbac.Action
