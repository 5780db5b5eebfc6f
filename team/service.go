package team

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
)

// Defaults of the service's options.
const (
	DefaultSeatLimit     = 50                 // INV-3
	DefaultInvitationTTL = 7 * 24 * time.Hour // INV-4
)

// Entitlement decides whether the holder of account, who owns owned
// collaboration teams now, may own one more (TEAM-4). account is the zero
// Account when the user has none. It runs inside the unit of work that
// creates or upgrades the team; its error is returned as it is.
type Entitlement func(ctx context.Context, account billing.Account, owned int) error

// Service is what a host application calls: every use case of teams,
// members, invitations, ownership, deletion, authorization, billing and
// audit. Each method that changes state is one unit of work of the Store,
// with its audit event written in it. A Service is safe for concurrent use.
type Service struct {
	store                    Store
	raw                      Store     // the Store New was given; store may wrap it (FEED-4), so find optional interfaces on raw
	feed                     FeedStore // raw's, or nil (FEED-1)
	policy                   *rbac.Policy
	notifier                 Notifier
	counter                  ResourceCounter
	now                      Clock
	newID                    func() string
	random                   io.Reader
	seatLimit                int
	invitationTTL            time.Duration
	entitlement              Entitlement
	plans                    billing.Plans  // BILL-7
	lowBalance               lowBalanceGate // BILL-11
	upgradeNeedsEntitlement  bool
	transferNeedsEntitlement bool   // OWN-5
	formerOwnerRole          string // OWN-3; "" means the policy's regular role
	hooks                    hooks  // FEED-4

	// Authorization (RES-1, ROLE-5, ROLE-8): the policy's roles in order,
	// the refusal of each (role, action) pair, and the membership index
	// (nil: every check reads the store).
	roles     []rbac.Role
	denied    [][rbac.Delete + 1]error
	cacheSize int // memberships; 0 turns the index off
	index     *memberIndex

	// Domain claims (JOIN-1).
	domainVerifier DomainVerifier
	publicDomains  map[string]bool // nil: DefaultPublicEmailDomains
}

// Option configures a Service.
type Option func(*Service)

// WithPolicy sets the role policy (default rbac.Standard()).
func WithPolicy(p *rbac.Policy) Option { return func(s *Service) { s.policy = p } }

// WithNotifier sets the Notifier that delivers invitation links (default:
// none). It is optional: Invite and ResendInvitation also return the
// link's token to their caller (INV-9).
func WithNotifier(n Notifier) Option { return func(s *Service) { s.notifier = n } }

// WithResourceCounter sets the host's ResourceCounter consulted before a
// team is deleted (DEL-2; default: the team holds nothing).
func WithResourceCounter(c ResourceCounter) Option { return func(s *Service) { s.counter = c } }

// WithClock sets the clock (default time.Now).
func WithClock(now Clock) Option { return func(s *Service) { s.now = now } }

// WithIDs sets the source of record IDs (default: random UUIDs).
func WithIDs(newID func() string) Option { return func(s *Service) { s.newID = newID } }

// WithRandom sets the source of invitation token bytes (default
// crypto/rand.Reader). Tests pass a deterministic reader; production must
// keep the default.
func WithRandom(r io.Reader) Option { return func(s *Service) { s.random = r } }

// WithSeatLimit sets the seats of a team: members plus pending invitations
// (default 50, INV-3).
func WithSeatLimit(n int) Option { return func(s *Service) { s.seatLimit = n } }

// WithInvitationTTL sets how long an invitation link stays valid (default 7
// days, INV-4).
func WithInvitationTTL(d time.Duration) Option { return func(s *Service) { s.invitationTTL = d } }

// WithPlans sets the host's plans (BILL-7; default billing.DefaultPlans()):
// the names ChangePlan accepts, the collaboration teams each allows (the
// default entitlement, TEAM-4) and the seat limit of the teams its holders
// own, where a plan sets one (INV-3). It also makes the plan entitlement
// the entitlement again, should an earlier WithEntitlement have replaced
// it. New fails when p defines no plan or leaves out FREE, the plan every
// new account starts on.
func WithPlans(p billing.Plans) Option {
	return func(s *Service) { s.plans, s.entitlement = p, planEntitlement(p) }
}

// WithEntitlement replaces the billing-plan entitlement with the host's own
// (TEAM-4), for hosts that keep subscriptions elsewhere.
func WithEntitlement(e Entitlement) Option { return func(s *Service) { s.entitlement = e } }

// WithUpgradeRequiresSubscription sets whether upgrading a personal team to
// a collaboration team needs the same entitlement as creating one (TEAM-3;
// default true).
func WithUpgradeRequiresSubscription(required bool) Option {
	return func(s *Service) { s.upgradeNeedsEntitlement = required }
}

// WithTransferRequiresEntitlement sets whether the new owner of an ownership
// transfer needs the entitlement to own one more collaboration team, exactly
// as if they created it (OWN-5, TEAM-4; default true).
func WithTransferRequiresEntitlement(required bool) Option {
	return func(s *Service) { s.transferNeedsEntitlement = required }
}

// DefaultMembershipCache is the number of memberships the service's index
// holds by default (about 55 bytes each when full; see WithMembershipCache).
const DefaultMembershipCache = 1 << 17

// WithMembershipCache sets how many memberships the service's in-process
// membership index holds (default DefaultMembershipCache; 0 turns it off,
// as WithStrictAuthorization does). The index answers Authorize,
// Permissions and SessionEpoch without a store query; a full index evicts.
// Its table takes about 55 bytes per membership at its full size, which it
// grows to as it fills.
//
// The index exists only over a Store that implements ChangeNotifier
// (store.Memory and store/postgres do); over any other Store every check
// reads the store. What it guarantees ("removal takes effect
// immediately", ROLE-5):
//
//   - A change committed through the same Store value (by this service,
//     another service over that value, or the host) is seen by every
//     check that starts after the committing call returned.
//   - A change committed elsewhere (another process on the same database)
//     is seen once the store's notification arrives: with store/postgres,
//     within milliseconds (LISTEN/NOTIFY; see its README for figures). While
//     the store cannot receive notifications (a lost connection), the index
//     answers nothing and every check reads the store, and it is emptied
//     before it answers again.
//
// Hosts that need every check to read the database, across processes
// too, use WithStrictAuthorization.
func WithMembershipCache(n int) Option { return func(s *Service) { s.cacheSize = n } }

// WithStrictAuthorization makes Authorize, Permissions and SessionEpoch
// read the store on every call (no membership index), so a change
// committed by any process is seen by the next check that starts after its
// commit, at the price of a store query per check.
func WithStrictAuthorization() Option { return func(s *Service) { s.cacheSize = 0 } }

// WithFormerOwnerRole sets the role the old owner gets after an ownership
// transfer (OWN-3; default: the policy's regular role).
func WithFormerOwnerRole(role string) Option { return func(s *Service) { s.formerOwnerRole = role } }

func planEntitlement(p billing.Plans) Entitlement {
	return func(_ context.Context, account billing.Account, owned int) error {
		return p.CheckTeamOwnership(account, owned)
	}
}

// New returns a Service over store. It fails, with an error matching
// ErrInvalidInput, when an option is out of range (a non-positive seat
// limit or invitation lifetime, a former-owner role the policy lacks or that
// is the owner role, a hook queue below 1 with hooks).
func New(store Store, opts ...Option) (*Service, error) {
	if store == nil {
		return nil, invalid("store", "is nil; pass a Store such as store.NewMemory()")
	}
	s := &Service{
		store:                    store,
		raw:                      store,
		policy:                   rbac.Standard(),
		now:                      time.Now,
		newID:                    uuid.NewString,
		random:                   rand.Reader,
		seatLimit:                DefaultSeatLimit,
		invitationTTL:            DefaultInvitationTTL,
		entitlement:              planEntitlement(billing.DefaultPlans()),
		plans:                    billing.DefaultPlans(),
		lowBalance:               lowBalanceGate{interval: DefaultLowBalanceInterval},
		upgradeNeedsEntitlement:  true,
		transferNeedsEntitlement: true,
		cacheSize:                DefaultMembershipCache,
	}
	for _, opt := range opts {
		opt(s)
	}
	switch {
	case s.policy == nil:
		return nil, invalid("policy", "is nil; pass rbac.Standard(), rbac.Platform() or a built policy")
	case s.seatLimit < 1:
		return nil, invalid("seat_limit", "must be at least 1, got %d", s.seatLimit)
	case s.invitationTTL <= 0:
		return nil, invalid("invitation_ttl", "must be positive, got %s", s.invitationTTL)
	case s.now == nil || s.newID == nil || s.random == nil || s.entitlement == nil:
		return nil, invalid("options", "clock, ID source, random source and entitlement must not be nil")
	case s.cacheSize < 0:
		return nil, invalid("membership_cache", "must be 0 (off) or more, got %d", s.cacheSize)
	case s.lowBalance.interval <= 0:
		return nil, invalid("low_balance_interval", "must be positive, got %s", s.lowBalance.interval)
	}
	if _, err := s.plans.Lookup(billing.PlanFree); err != nil {
		return nil, fmt.Errorf("%w: %w", &InputError{Field: "plans", Problem: "must define FREE, the plan every new account starts on"}, err)
	}
	// Every stored time is UTC with microsecond precision, the precision of
	// PostgreSQL timestamps, so records (and audit hashes over their times)
	// read back exactly as written from any store.
	clock := s.now
	s.now = func() time.Time { return clock().UTC().Truncate(time.Microsecond) }
	s.feed, _ = store.(FeedStore)
	if err := s.hooks.init(); err != nil {
		return nil, err
	}
	s.store = s.hooks.wrap(store)
	if s.formerOwnerRole != "" {
		r, err := s.policy.Role(s.formerOwnerRole)
		if err != nil {
			return nil, &InputError{Field: "former_owner_role", Problem: err.Error()}
		}
		if s.policy.IsOwner(r) {
			return nil, invalid("former_owner_role", "cannot be the owner role")
		}
	}
	s.roles = s.policy.Roles()
	s.denied = deniedErrors(s.roles)
	if n, ok := store.(ChangeNotifier); ok && s.cacheSize > 0 {
		s.index = newMemberIndex(s.cacheSize)
		s.index.stop = n.WatchMembers(s.index)
	}
	return s, nil
}

// Close stops the service's membership index from watching its store
// (ChangeNotifier); the service then reads the store on every check. Call
// it when discarding a Service over a Store that lives on. It is safe to
// call more than once and always returns nil.
func (s *Service) Close() error {
	if ix := s.index; ix != nil {
		ix.close()
	}
	return nil
}

// Policy returns the service's role policy.
func (s *Service) Policy() *rbac.Policy { return s.policy }

// memberRole returns userID's membership of teamID and its role, or an
// error matching ErrNotMember. Removed members and non-members look alike
// (RES-3), and so do members of other teams (TEAM-6).
func (s *Service) memberRole(ctx context.Context, r Reader, userID, teamID string) (Member, rbac.Role, error) {
	m, err := r.Member(ctx, teamID, userID)
	if errors.Is(err, ErrNotFound) {
		return Member{}, rbac.Role{}, notMember(userID, teamID)
	}
	if err != nil {
		return Member{}, rbac.Role{}, err
	}
	role, err := s.policy.Role(m.Role)
	if err != nil {
		return Member{}, rbac.Role{}, fmt.Errorf("teamkit: member %s of team %s holds role %q that the policy does not define: %w", userID, teamID, m.Role, err)
	}
	return m, role, nil
}

// require returns nil when role has perm, else an error matching
// ErrPermissionDenied that says what was needed.
func require(role rbac.Role, perm rbac.Permission, doing string) error {
	if role.Can(perm) {
		return nil
	}
	return fmt.Errorf("%w: role %q may not %s (needs %s); ask the team owner or an admin", ErrPermissionDenied, role.Name, doing, perm)
}

// record appends one audit event by actorID to teamID's log, chained to
// the team's last event. The team must be locked by the unit of work (LockTeam or a fresh
// InsertTeam), which serializes sequence numbers.
func (s *Service) record(ctx context.Context, tx Tx, actorID, teamID string, action audit.Action, target string, details map[string]string) (audit.Event, error) {
	prev, err := tx.LastAuditEvent(ctx, teamID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return audit.Event{}, err
	}
	e := audit.Seal(audit.Event{
		ID:      s.newID(),
		TeamID:  teamID,
		Time:    s.now().UTC(),
		ActorID: actorID,
		Action:  action,
		Target:  target,
		Details: details,
	}, prev)
	if err := tx.AppendAuditEvent(ctx, e); err != nil {
		return audit.Event{}, err
	}
	collect(ctx, e) // for the after-commit hooks (FEED-4)
	return e, nil
}

// firstEpoch is the session epoch of a pair's first membership (ROLE-5):
// the current time in microseconds. A membership's epoch only grows, and a
// user who is removed and invited again starts above anything the old
// membership reached (joinEpoch), so sessions from the old membership stay
// stale. Epochs are opaque numbers: compare them, don't read them.
func firstEpoch(now time.Time) uint64 { return uint64(max(now.UnixMicro(), 0)) }

// joinEpoch is the epoch of a new membership of userID in teamID (ROLE-5):
// above the highest epoch the pair ever had, which the store keeps across
// removals, and not behind the clock.
func (s *Service) joinEpoch(ctx context.Context, tx Tx, teamID, userID string, now time.Time) (uint64, error) {
	mark, err := tx.MemberEpochMark(ctx, teamID, userID)
	if err != nil {
		return 0, err
	}
	if mark == 0 {
		return firstEpoch(now), nil
	}
	return nextEpoch(mark, now), nil
}

// nextEpoch is the epoch after a role change: one more than cur, and never
// behind the clock (so it stays above any earlier membership's epochs).
func nextEpoch(cur uint64, now time.Time) uint64 { return max(cur+1, firstEpoch(now)) }
