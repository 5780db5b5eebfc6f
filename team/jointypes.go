package team

import "time"

// Records of invite links, domain claims and join requests (LINK-1..4,
// JOIN-1..3). The optional Store contract that keeps them, JoinStore, is in
// store.go.

// LinkState is where an invite link stands (LINK-3).
type LinkState string

// The invite link states. Only LinkActive lets a user join.
const (
	LinkActive  LinkState = "active"
	LinkRevoked LinkState = "revoked"
	LinkExpired LinkState = "expired"
	LinkUsedUp  LinkState = "used_up"
)

// InviteLink lets whoever holds its token join a team with a role
// (LINK-1, LINK-2). It holds only the hash of its token (INV-4).
//
// It marshals to JSON as {"id", "team_id", "role", "creator_id",
// "max_uses", "uses", "expires_at", "revoked_at", "created_at",
// "updated_at"}, times in RFC 3339, max_uses left out when unlimited,
// expires_at and revoked_at when zero; the token hash never marshals.
type InviteLink struct {
	ID        string `json:"id"`
	TeamID    string `json:"team_id"`
	Role      string `json:"role"`       // a role name of the service's policy
	CreatorID string `json:"creator_id"` // whose authority the link carries (INV-8)
	TokenHash string `json:"-"`          // hex SHA-256 of the token; never marshalled
	// MaxUses is how many users may join through the link; 0 means no
	// limit.
	MaxUses int `json:"max_uses,omitempty"`
	// Uses counts the joins so far; it never exceeds MaxUses (LINK-4).
	Uses      int       `json:"uses"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: never expires
	RevokedAt time.Time `json:"revoked_at,omitzero"` // zero: not revoked
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// State returns the link's state as of now: revoked first, then expired,
// then used up, otherwise active.
func (l InviteLink) State(now time.Time) LinkState {
	switch {
	case !l.RevokedAt.IsZero():
		return LinkRevoked
	case !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt):
		return LinkExpired
	case l.MaxUses > 0 && l.Uses >= l.MaxUses:
		return LinkUsedUp
	}
	return LinkActive
}

// JoinPolicy says what a user whose verified email is at a team's verified
// domain may do (JOIN-2).
type JoinPolicy string

// The join policies.
const (
	// JoinOff: the domain opens nothing; users need an invitation or link.
	JoinOff JoinPolicy = "off"
	// JoinByRequest: users file a join request that a member with the
	// invite permission approves or rejects (JOIN-3).
	JoinByRequest JoinPolicy = "request"
	// JoinAutomatic: users join at once with the claim's DefaultRole.
	JoinAutomatic JoinPolicy = "automatic"
)

// DomainChallengePrefix is the first label of the DNS name that proves a
// domain claim: the TXT record lives at DomainChallengePrefix + "." +
// domain (JOIN-1).
const DomainChallengePrefix = "_teamkit-challenge"

// DomainChallengeValuePrefix starts the value of the TXT record that proves
// a domain claim; the claim's Challenge follows it.
const DomainChallengeValuePrefix = "teamkit-domain-verification="

// DomainClaim is a team's claim to an email domain (JOIN-1). It takes
// effect once verified; among verified claims a domain belongs to at most
// one team.
//
// It marshals to JSON as {"team_id", "domain", "challenge", "claimed_by",
// "verified_at", "policy", "default_role", "policy_set_by", "created_at",
// "updated_at"}, times in RFC 3339, verified_at left out while unverified,
// default_role and policy_set_by when empty.
type DomainClaim struct {
	TeamID string `json:"team_id"`
	Domain string `json:"domain"` // normalised: lower-case ASCII, no trailing dot
	// Challenge is the random value the domain's DNS must publish (see
	// TXTRecordName and TXTRecordValue). It is not a secret.
	Challenge  string     `json:"challenge"`
	ClaimedBy  string     `json:"claimed_by"`
	VerifiedAt time.Time  `json:"verified_at,omitzero"` // zero until the DomainVerifier confirms the claim
	Policy     JoinPolicy `json:"policy"`
	// DefaultRole is the role of users who join under JoinAutomatic.
	DefaultRole string `json:"default_role,omitempty"`
	// PolicySetBy is the member who last set the policy; the role ceiling
	// (ROLE-7) was checked against their role then.
	PolicySetBy string    `json:"policy_set_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Verified reports whether the claim has been confirmed.
func (c DomainClaim) Verified() bool { return !c.VerifiedAt.IsZero() }

// TXTRecordName is the DNS name that must hold the claim's TXT record:
// "_teamkit-challenge.<domain>".
func (c DomainClaim) TXTRecordName() string { return DomainChallengePrefix + "." + c.Domain }

// TXTRecordValue is the TXT record's value:
// "teamkit-domain-verification=<challenge>".
func (c DomainClaim) TXTRecordValue() string { return DomainChallengeValuePrefix + c.Challenge }

// JoinRequestStatus is where a join request stands (JOIN-3).
type JoinRequestStatus string

// The join request statuses.
const (
	JoinRequestPending  JoinRequestStatus = "pending"
	JoinRequestApproved JoinRequestStatus = "approved"
	JoinRequestRejected JoinRequestStatus = "rejected"
)

// JoinRequest is a user's request to join a team whose verified domain
// matches their email, under the JoinByRequest policy (JOIN-2, JOIN-3). A
// pending request holds no seat.
//
// It marshals to JSON as {"id", "team_id", "user_id", "email", "name",
// "domain", "status", "role", "decided_by", "created_at", "updated_at"},
// name, role and decided_by left out when empty.
type JoinRequest struct {
	ID        string            `json:"id"`
	TeamID    string            `json:"team_id"`
	UserID    string            `json:"user_id"`
	Email     string            `json:"email"` // normalised, verified by the host when the request was filed
	Name      string            `json:"name,omitempty"`
	Domain    string            `json:"domain"`
	Status    JoinRequestStatus `json:"status"`
	Role      string            `json:"role,omitempty"`       // set on approval
	DecidedBy string            `json:"decided_by,omitempty"` // who approved or rejected it
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}
