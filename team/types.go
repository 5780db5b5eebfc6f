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
//
// It marshals to JSON as {"id", "email", "name"}, name left out when empty;
// see testdata/user.json.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`          // verified by the host
	Name  string `json:"name,omitempty"` // optional display name
}

// Team is the unit of collaboration and data isolation.
//
// It marshals to JSON as {"id", "kind", "name", "owner_id", "settings",
// "created_at", "updated_at", "deleted_at"}, times in RFC 3339, settings left
// out when empty and deleted_at while the team exists; see
// testdata/team.json.
type Team struct {
	ID        string            `json:"id"`
	Kind      Kind              `json:"kind"`
	Name      string            `json:"name"`
	OwnerID   string            `json:"owner_id"` // the member holding the owner role; billing goes to this user's account
	Settings  map[string]string `json:"settings,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	DeletedAt time.Time         `json:"deleted_at,omitzero"` // zero while the team exists; set by deletion, whose audit trail stays (DEL-3)
}

// Deleted reports whether the team has been deleted.
func (t Team) Deleted() bool { return !t.DeletedAt.IsZero() }

// Member is a user's membership of a team, with exactly one role.
//
// It marshals to JSON as {"team_id", "user_id", "email", "name", "role",
// "joined_at", "epoch"}, joined_at in RFC 3339, name left out when empty,
// epoch a number (microseconds, below 2^53, so JavaScript reads it exactly);
// see testdata/member.json.
type Member struct {
	TeamID   string    `json:"team_id"`
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"` // normalised
	Name     string    `json:"name,omitempty"`
	Role     string    `json:"role"` // a role name of the service's policy
	JoinedAt time.Time `json:"joined_at"`
	// Epoch is the session epoch of this membership (ROLE-5): it rises with
	// every role change and ownership transfer, and a new membership starts
	// above the highest epoch its (team, user) pair ever had (a mark the
	// store keeps across removals) and not behind the clock's microseconds,
	// so a user removed and invited again gets an epoch above any their old
	// sessions carry, whatever the clock does. Hosts stamp it into sessions
	// and reject a session whose epoch differs from the current one.
	Epoch uint64 `json:"epoch"`
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
//
// It marshals to JSON as {"id", "team_id", "email", "role", "inviter_id",
// "status", "created_at", "expires_at", "updated_at"}, times in RFC 3339;
// the token hash never marshals (SEC-4); see testdata/invitation.json.
// status is the stored status: a pending invitation past expires_at is
// expired (State).
type Invitation struct {
	ID        string           `json:"id"`
	TeamID    string           `json:"team_id"`
	Email     string           `json:"email"` // normalised
	Role      string           `json:"role"`
	InviterID string           `json:"inviter_id"`
	Status    InvitationStatus `json:"status"`
	TokenHash string           `json:"-"` // hex SHA-256 of the token sent to the invitee; never marshalled
	CreatedAt time.Time        `json:"created_at"`
	ExpiresAt time.Time        `json:"expires_at"`
	UpdatedAt time.Time        `json:"updated_at"`
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
//
// It marshals to JSON as {"type", "id", "creator_id"}, creator_id left out
// when empty; see testdata/resource.json.
type Resource struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	CreatorID string `json:"creator_id,omitempty"`
}

// Action is a resource action; it is rbac.Action, so rbac.View, rbac.Use,
// rbac.Create, rbac.Edit and rbac.Delete are the values.
type Action = rbac.Action
