package team

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
)

// MaxDomainLength is the longest email domain, in bytes (JOIN-1).
const MaxDomainLength = 253

// challengeBytes is the size of a domain claim's random challenge.
const challengeBytes = 16

// DomainVerifier confirms that whoever claims a domain controls it
// (JOIN-1). The service calls it from VerifyDomain, outside any unit of
// work; it returns nil when the claim is confirmed and an error saying why
// not otherwise. DNSVerifier is a ready implementation; hosts may verify
// another way (say, an email to the domain's postmaster).
type DomainVerifier interface {
	VerifyDomain(ctx context.Context, claim DomainClaim) error
}

// DNSVerifier verifies a claim by a DNS TXT record: the name
// claim.TXTRecordName() ("_teamkit-challenge.<domain>") must hold a TXT
// record whose value is claim.TXTRecordValue()
// ("teamkit-domain-verification=<challenge>"). Tell the claiming team to
// publish it, then call VerifyDomain.
type DNSVerifier struct {
	// LookupTXT returns the TXT records of a name, as
	// (*net.Resolver).LookupTXT does. Tests inject their own.
	LookupTXT func(ctx context.Context, name string) ([]string, error)
}

// NewDNSVerifier returns a DNSVerifier that looks records up with r (nil:
// net.DefaultResolver).
func NewDNSVerifier(r *net.Resolver) *DNSVerifier {
	if r == nil {
		r = net.DefaultResolver
	}
	return &DNSVerifier{LookupTXT: r.LookupTXT}
}

// VerifyDomain implements DomainVerifier: nil when claim.TXTRecordName()
// holds the value claim.TXTRecordValue().
func (v *DNSVerifier) VerifyDomain(ctx context.Context, claim DomainClaim) error {
	if v == nil || v.LookupTXT == nil {
		return errors.New("teamkit: DNSVerifier has no LookupTXT; create it with NewDNSVerifier")
	}
	name, want := claim.TXTRecordName(), claim.TXTRecordValue()
	records, err := v.LookupTXT(ctx, name)
	if err != nil {
		return fmt.Errorf("teamkit: looking up TXT records of %s: %w", name, err)
	}
	for _, r := range records {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(r)), []byte(want)) == 1 {
			return nil
		}
	}
	return fmt.Errorf("teamkit: %s has no TXT record %q (found %d records); publish it and retry", name, want, len(records))
}

// DefaultPublicEmailDomains returns the mail providers whose domains cannot
// be claimed unless WithPublicEmailDomains says otherwise (JOIN-1), in a
// new slice.
func DefaultPublicEmailDomains() []string {
	return []string{
		"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "msn.com",
		"yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com",
		"proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com",
		"yandex.com", "yandex.ru", "mail.ru", "zoho.com", "qq.com", "163.com", "126.com", "fastmail.com",
		"hey.com", "tutanota.com", "tuta.io", "orange.fr", "free.fr", "comcast.net", "verizon.net",
	}
}

// defaultPublicDomains is DefaultPublicEmailDomains as a set.
var defaultPublicDomains = func() map[string]bool {
	m := map[string]bool{}
	for _, d := range DefaultPublicEmailDomains() {
		m[d] = true
	}
	return m
}()

// WithDomainVerifier sets the DomainVerifier that confirms domain claims
// (JOIN-1; default: none, so VerifyDomain fails with ErrDomainNotVerified).
func WithDomainVerifier(v DomainVerifier) Option { return func(s *Service) { s.domainVerifier = v } }

// WithPublicEmailDomains replaces the list of domains that cannot be
// claimed (default DefaultPublicEmailDomains()). Entries are normalised
// as claims are; an empty list allows every domain.
func WithPublicEmailDomains(domains []string) Option {
	return func(s *Service) {
		s.publicDomains = make(map[string]bool, len(domains))
		for _, d := range domains {
			s.publicDomains[lowerASCII(strings.TrimSuffix(strings.TrimSpace(d), "."))] = true
		}
	}
}

// isPublicDomain reports whether domain (normalised) is a public mail
// provider's.
func (s *Service) isPublicDomain(domain string) bool {
	if s.publicDomains == nil {
		return defaultPublicDomains[domain]
	}
	return s.publicDomains[domain]
}

// NormalizeDomain trims domain, drops one trailing dot and lower-cases its
// ASCII letters; it must be an ASCII host name (write internationalised
// names in their xn-- form) of at most MaxDomainLength bytes with at least
// two labels, each 1 to 63 letters, digits or hyphens, not starting or
// ending with a hyphen. The error matches ErrInvalidInput.
func NormalizeDomain(domain string) (string, error) {
	d := lowerASCII(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	if d == "" {
		return "", invalid("domain", "is empty")
	}
	if len(d) > MaxDomainLength {
		return "", invalid("domain", "has %d bytes, more than %d", len(d), MaxDomainLength)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", invalid("domain", "needs at least two labels, as in example.com")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", invalid("domain", "has an empty label, one longer than 63 bytes or one starting or ending with a hyphen")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", invalid("domain", "may hold only ASCII letters, digits, hyphens and dots; write internationalised names in their xn-- form")
			}
		}
	}
	return d, nil
}

// emailDomain returns the domain of a normalised email (after its last
// "@"), lower-cased; "" when it is not a valid domain.
func emailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	d, err := NormalizeDomain(email[i+1:])
	if err != nil {
		return ""
	}
	return d
}

// ClaimDomainParams are the arguments of ClaimDomain (JOIN-1).
type ClaimDomainParams struct {
	// ActorID is the acting user, who needs the settings permission.
	ActorID string
	// TeamID is the collaboration team that claims the domain.
	TeamID string
	// Domain is the email domain, as in "example.com"; see NormalizeDomain.
	Domain string
}

// VerifyDomainParams are the arguments of VerifyDomain (JOIN-1).
type VerifyDomainParams struct {
	// ActorID is the acting user, who needs the settings permission.
	ActorID string
	// TeamID is the team holding the claim.
	TeamID string
	// Domain is the claimed domain.
	Domain string
}

// RemoveDomainClaimParams are the arguments of RemoveDomainClaim (JOIN-1).
type RemoveDomainClaimParams struct {
	// ActorID is the acting user, who needs the settings permission.
	ActorID string
	// TeamID is the team holding the claim.
	TeamID string
	// Domain is the claimed domain.
	Domain string
}

// SetJoinPolicyParams are the arguments of SetJoinPolicy (JOIN-2).
type SetJoinPolicyParams struct {
	// ActorID is the acting user, who needs the settings permission and,
	// for JoinAutomatic, the invite permission and a role that could
	// invite to DefaultRole (ROLE-7).
	ActorID string
	// TeamID is the team holding the claim.
	TeamID string
	// Domain is the claimed domain.
	Domain string
	// Policy is the new policy.
	Policy JoinPolicy
	// DefaultRole is the role of users who join under JoinAutomatic; ""
	// means the policy's default role. It is ignored for the other
	// policies.
	DefaultRole string
}

// ClaimDomain makes p.TeamID claim the email domain p.Domain (JOIN-1). The
// claim takes effect only once VerifyDomain confirms it; until then it
// opens nothing. It starts with policy JoinOff and a random challenge:
// publish claim.TXTRecordValue() at claim.TXTRecordName() for DNSVerifier.
// The actor needs the settings permission. Records DomainClaimed.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPersonalTeam,
// ErrPermissionDenied, ErrPublicEmailDomain or ErrDomainClaimed (another
// team verified it, or this team claimed it already).
func (s *Service) ClaimDomain(ctx context.Context, p ClaimDomainParams) (DomainClaim, error) {
	if err := checkIDs("actor_id", p.ActorID, "team_id", p.TeamID); err != nil {
		return DomainClaim{}, err
	}
	domain, err := NormalizeDomain(p.Domain)
	if err != nil {
		return DomainClaim{}, err
	}
	if s.isPublicDomain(domain) {
		return DomainClaim{}, fmt.Errorf("%w: %s is a public mail provider's domain; claim a domain your organisation owns", ErrPublicEmailDomain, domain)
	}
	var b [challengeBytes]byte
	if _, err := io.ReadFull(s.random, b[:]); err != nil {
		return DomainClaim{}, fmt.Errorf("teamkit: reading random bytes for a domain challenge: %w", err)
	}
	var c DomainClaim
	err = s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		t, _, _, err := s.lockAs(ctx, tx, p.ActorID, p.TeamID, rbac.Settings, "claim email domains")
		if err != nil {
			return err
		}
		if t.Kind == Personal {
			return fmt.Errorf("%w: team %s cannot claim a domain; create a collaboration team or upgrade this one", ErrPersonalTeam, t.ID)
		}
		if _, err := tx.DomainClaim(ctx, t.ID, domain); err == nil {
			return fmt.Errorf("%w: team %s claimed %s already", ErrDomainClaimed, t.ID, domain)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if other, err := tx.VerifiedDomainClaim(ctx, domain); err == nil {
			return fmt.Errorf("%w: %s is verified by team %s", ErrDomainClaimed, domain, other.TeamID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.now().UTC()
		c = DomainClaim{
			TeamID:    t.ID,
			Domain:    domain,
			Challenge: hex.EncodeToString(b[:]),
			ClaimedBy: p.ActorID,
			Policy:    JoinOff,
			CreatedAt: now,
			UpdatedAt: now,
		}
		if err := tx.InsertDomainClaim(ctx, c); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, p.ActorID, t.ID, audit.DomainClaimed, domain, map[string]string{"domain": domain})
		return err
	})
	if err != nil {
		return DomainClaim{}, err
	}
	return c, nil
}

// VerifyDomain asks the service's DomainVerifier to confirm p.TeamID's
// claim to p.Domain and, when it does, marks the claim verified (JOIN-1).
// The verifier runs before the unit of work, on the claim as committed; the
// unit then checks that the claim and its challenge are unchanged. A claim
// verified already is returned as it is, with nothing recorded. The actor
// needs the settings permission. Records DomainVerified.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied,
// ErrNotFound (no such claim), ErrDomainNotVerified (the verifier said no,
// wrapped, or the service has none) or ErrDomainClaimed (another team's
// claim was verified first).
func (s *Service) VerifyDomain(ctx context.Context, p VerifyDomainParams) (DomainClaim, error) {
	if err := checkIDs("actor_id", p.ActorID, "team_id", p.TeamID); err != nil {
		return DomainClaim{}, err
	}
	domain, err := NormalizeDomain(p.Domain)
	if err != nil {
		return DomainClaim{}, err
	}
	jr, err := s.joinReader()
	if err != nil {
		return DomainClaim{}, err
	}
	if _, _, _, err := s.readAs(ctx, s.store, p.ActorID, p.TeamID, rbac.Settings, "verify email domains"); err != nil {
		return DomainClaim{}, err
	}
	found, err := jr.DomainClaim(ctx, p.TeamID, domain)
	if err != nil {
		return DomainClaim{}, claimLookupError(err, domain)
	}
	if found.Verified() {
		return found, nil
	}
	if s.domainVerifier == nil {
		return DomainClaim{}, fmt.Errorf("%w: the service has no DomainVerifier; the host passes one with team.WithDomainVerifier", ErrDomainNotVerified)
	}
	if err := s.domainVerifier.VerifyDomain(ctx, found); err != nil {
		return DomainClaim{}, fmt.Errorf("%w: %s for team %s: %w", ErrDomainNotVerified, domain, p.TeamID, err)
	}
	var c DomainClaim
	err = s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		if _, _, _, err := s.lockAs(ctx, tx, p.ActorID, p.TeamID, rbac.Settings, "verify email domains"); err != nil {
			return err
		}
		cur, err := tx.DomainClaim(ctx, p.TeamID, domain)
		if err != nil {
			return claimLookupError(err, domain)
		}
		if cur.Verified() {
			c = cur
			return nil
		}
		if cur.Challenge != found.Challenge {
			return fmt.Errorf("%w: the claim to %s changed while it was being verified; verify again", ErrDomainNotVerified, domain)
		}
		if other, err := tx.VerifiedDomainClaim(ctx, domain); err == nil {
			return fmt.Errorf("%w: %s was verified by team %s first", ErrDomainClaimed, domain, other.TeamID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.now().UTC()
		cur.VerifiedAt, cur.UpdatedAt = now, now
		if err := tx.UpdateDomainClaim(ctx, cur); err != nil {
			if errors.Is(err, ErrConflict) {
				return fmt.Errorf("%w: %s was verified by another team at the same time: %w", ErrDomainClaimed, domain, err)
			}
			return err
		}
		c = cur
		_, err = s.record(ctx, tx, p.ActorID, p.TeamID, audit.DomainVerified, domain, map[string]string{"domain": domain})
		return err
	})
	if err != nil {
		return DomainClaim{}, err
	}
	return c, nil
}

// RemoveDomainClaim removes p.TeamID's claim to p.Domain, verified or not
// (JOIN-1); pending join requests stay and can still be decided. The actor
// needs the settings permission. Records DomainClaimRemoved.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied or
// ErrNotFound (no such claim).
func (s *Service) RemoveDomainClaim(ctx context.Context, p RemoveDomainClaimParams) error {
	if err := checkIDs("actor_id", p.ActorID, "team_id", p.TeamID); err != nil {
		return err
	}
	domain, err := NormalizeDomain(p.Domain)
	if err != nil {
		return err
	}
	return s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		if _, _, _, err := s.lockAs(ctx, tx, p.ActorID, p.TeamID, rbac.Settings, "remove email domains"); err != nil {
			return err
		}
		if _, err := tx.DomainClaim(ctx, p.TeamID, domain); err != nil {
			return claimLookupError(err, domain)
		}
		if err := tx.DeleteDomainClaim(ctx, p.TeamID, domain); err != nil {
			return err
		}
		_, err := s.record(ctx, tx, p.ActorID, p.TeamID, audit.DomainClaimRemoved, domain, map[string]string{"domain": domain})
		return err
	})
}

// DomainClaims returns teamID's domain claims, by domain. Every member may
// list them.
//
// Errors match ErrInvalidInput or ErrNotMember.
func (s *Service) DomainClaims(ctx context.Context, actorID, teamID string) ([]DomainClaim, error) {
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return nil, err
	}
	jr, err := s.joinReader()
	if err != nil {
		return nil, err
	}
	if _, _, _, err := s.readAs(ctx, s.store, actorID, teamID, membersOnly, ""); err != nil {
		return nil, err
	}
	return jr.DomainClaims(ctx, teamID)
}

// SetJoinPolicy sets the join policy of p.TeamID's claim to p.Domain
// (JOIN-2); it takes effect once the claim is verified. The actor needs the
// settings permission; for JoinAutomatic also a role that could invite to
// the default role (INV-1, ROLE-7), checked now. Setting the policy the
// claim has already changes and records nothing. Records
// JoinPolicyChanged.
//
// Errors match ErrInvalidInput (an unknown policy or role; an unknown role
// also ErrUnknownRole), ErrNotMember, ErrPermissionDenied or ErrNotFound (no
// such claim).
func (s *Service) SetJoinPolicy(ctx context.Context, p SetJoinPolicyParams) (DomainClaim, error) {
	if err := checkIDs("actor_id", p.ActorID, "team_id", p.TeamID); err != nil {
		return DomainClaim{}, err
	}
	domain, err := NormalizeDomain(p.Domain)
	if err != nil {
		return DomainClaim{}, err
	}
	var role rbac.Role
	switch p.Policy {
	case JoinOff, JoinByRequest:
	case JoinAutomatic:
		if role, err = s.roleArg(p.DefaultRole); err != nil {
			return DomainClaim{}, err
		}
	default:
		return DomainClaim{}, invalid("policy", "must be %q, %q or %q", JoinOff, JoinByRequest, JoinAutomatic)
	}
	var c DomainClaim
	err = s.inJoinTx(ctx, func(ctx context.Context, tx JoinTx) error {
		_, _, actorRole, err := s.lockAs(ctx, tx, p.ActorID, p.TeamID, rbac.Settings, "set join policies")
		if err != nil {
			return err
		}
		if p.Policy == JoinAutomatic {
			if err := s.requireInvite(actorRole, role); err != nil {
				return err
			}
		}
		cur, err := tx.DomainClaim(ctx, p.TeamID, domain)
		if err != nil {
			return claimLookupError(err, domain)
		}
		if cur.Policy == p.Policy && cur.DefaultRole == role.Name {
			c = cur
			return nil
		}
		cur.Policy, cur.DefaultRole, cur.PolicySetBy, cur.UpdatedAt = p.Policy, role.Name, p.ActorID, s.now().UTC()
		if err := tx.UpdateDomainClaim(ctx, cur); err != nil {
			return err
		}
		c = cur
		details := map[string]string{"domain": domain, "policy": string(p.Policy)}
		if role.Name != "" {
			details["default_role"] = role.Name
		}
		_, err = s.record(ctx, tx, p.ActorID, p.TeamID, audit.JoinPolicyChanged, domain, details)
		return err
	})
	if err != nil {
		return DomainClaim{}, err
	}
	return c, nil
}

func claimLookupError(err error, domain string) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: no claim to %s in this team; claim it with ClaimDomain", ErrNotFound, domain)
	}
	return err
}
