package team

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
)

// Limits on team settings, checked before anything is written (SEC-2).
const (
	// MaxSettings is the most entries a team's settings hold.
	MaxSettings = 64
	// MaxSettingKeyLength is the longest settings key, in bytes; keys are
	// non-empty, without white space or control characters.
	MaxSettingKeyLength = 64
	// MaxSettingValueLength is the longest settings value, in bytes; values
	// may be empty and hold no control characters.
	MaxSettingValueLength = 1024
)

// defaultPersonalTeamName names a personal team whose user has no display
// name.
const defaultPersonalTeamName = "Personal"

// CreateTeamParams are the arguments of CreateTeam: a new collaboration
// team and its owner (TEAM-4).
type CreateTeamParams struct {
	// Owner is the acting user, who becomes the team's owner and only
	// member. ID and Email are required; the email is normalised.
	Owner User
	// Name is the team's name, required; see NormalizeTeamName.
	Name string
	// Settings are optional host-defined settings (see MaxSettings). They
	// are copied.
	Settings map[string]string
}

// UpgradeToCollaborationParams are the arguments of UpgradeToCollaboration
// (TEAM-3).
type UpgradeToCollaborationParams struct {
	// ActorID is the acting user, the owner of the personal team.
	ActorID string
	// TeamID is the personal team to upgrade.
	TeamID string
	// Name renames the team; "" keeps its name.
	Name string
}

// UpdateTeamParams are the arguments of UpdateTeam (TEAM-5). Nil fields
// stay unchanged; at least one of Name and Settings must be set.
type UpdateTeamParams struct {
	// ActorID is the acting user, who needs the settings permission.
	ActorID string
	// TeamID is the team to change.
	TeamID string
	// Name is the new name; nil leaves it unchanged.
	Name *string
	// Settings replaces every setting; nil leaves them unchanged. It is
	// copied.
	Settings map[string]string
}

// EnsurePersonalTeam returns u's personal team, creating it, with u as its
// owner, when u has none (TEAM-1). It is idempotent, also under concurrent
// calls for the same user: they all return the same team. In the same unit
// of work it creates u's billing account (plan FREE, active, balance 0)
// when u has none (BILL-1). The team is named after u.Name, or "Personal".
//
// A TeamCreated event is recorded only when the team is created. Errors
// match ErrInvalidInput (bad ID, email or name) or ErrInvalidAccount (the
// user was offboarded, USER-2).
func (s *Service) EnsurePersonalTeam(ctx context.Context, u User) (Team, error) {
	u, err := checkUser(u)
	if err != nil {
		return Team{}, err
	}
	name, err := personalTeamName(u)
	if err != nil {
		return Team{}, err
	}
	// Fast path: everything exists already.
	if t, err := s.store.PersonalTeam(ctx, u.ID); err == nil && !t.Deleted() {
		if a, err := s.store.Account(ctx, u.ID); err == nil && a.Status != billing.StatusClosed {
			return t, nil
		}
	}
	// A concurrent call for the same user may insert the team or the
	// account first; our insert then fails with ErrConflict and the next
	// attempt finds the other's records.
	for attempt := 0; ; attempt++ {
		var t Team
		err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
			var err error
			t, err = s.ensurePersonal(ctx, tx, u, name)
			return err
		})
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, ErrConflict) || attempt >= 2 {
			return Team{}, err
		}
	}
}

// personalTeamName is the name of u's personal team: u.Name, or "Personal"
// when u has no display name.
func personalTeamName(u User) (string, error) {
	if u.Name == "" {
		return defaultPersonalTeamName, nil
	}
	return NormalizeTeamName(u.Name)
}

// ensurePersonal finds or creates u's personal team and billing account in
// tx, recording TeamCreated when it creates the team.
func (s *Service) ensurePersonal(ctx context.Context, tx Tx, u User, name string) (Team, error) {
	if err := s.ensureAccount(ctx, tx, u.ID); err != nil {
		return Team{}, err
	}
	t, err := tx.PersonalTeam(ctx, u.ID)
	if err == nil {
		if t.Deleted() {
			return Team{}, errOffboarded(u.ID)
		}
		return t, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Team{}, err
	}
	return s.insertPersonal(ctx, tx, u, name)
}

// errOffboarded is the refusal of a user that OffboardUser removed (USER-2)
// by the calls that would register them again or store their email.
func errOffboarded(userID string) error {
	return fmt.Errorf("%w: user %s was offboarded; the user ID cannot be used again", billing.ErrInvalidAccount, userID)
}

// refuseOffboarded returns errOffboarded when userID's personal team was
// deleted by OffboardUser (a personal team is deleted no other way).
func refuseOffboarded(ctx context.Context, r Reader, userID string) error {
	t, err := r.PersonalTeam(ctx, userID)
	switch {
	case err == nil && t.Deleted():
		return errOffboarded(userID)
	case err == nil || errors.Is(err, ErrNotFound):
		return nil
	}
	return err
}

// insertPersonal creates a new personal team owned by u with u as its only
// member and records TeamCreated.
func (s *Service) insertPersonal(ctx context.Context, tx Tx, u User, name string) (Team, error) {
	return s.insertTeam(ctx, tx, u, Personal, name, nil)
}

// insertTeam creates a new team of kind owned by owner, with owner as its
// only member, and records TeamCreated.
func (s *Service) insertTeam(ctx context.Context, tx Tx, owner User, kind Kind, name string, settings map[string]string) (Team, error) {
	now := s.now().UTC()
	t := Team{
		ID:        s.newID(),
		Kind:      kind,
		Name:      name,
		OwnerID:   owner.ID,
		Settings:  settings,
		CreatedAt: now,
		UpdatedAt: now,
	}
	if err := tx.InsertTeam(ctx, t); err != nil {
		return Team{}, err
	}
	if err := tx.InsertMember(ctx, Member{
		TeamID:   t.ID,
		UserID:   owner.ID,
		Email:    owner.Email,
		Name:     owner.Name,
		Role:     s.policy.Owner().Name,
		JoinedAt: now,
		Epoch:    firstEpoch(now),
	}); err != nil {
		return Team{}, err
	}
	if _, err := s.record(ctx, tx, owner.ID, t.ID, audit.TeamCreated, t.ID,
		map[string]string{"kind": string(kind), "name": t.Name}); err != nil {
		return Team{}, err
	}
	return t, nil
}

// ensureAccount creates userID's billing account (FREE, active, balance 0)
// when it has none. A closed account (USER-2) is refused with an error
// matching ErrInvalidAccount: an offboarded user is not registered again.
func (s *Service) ensureAccount(ctx context.Context, tx Tx, userID string) error {
	a, err := tx.Account(ctx, userID)
	if err == nil && a.Status == billing.StatusClosed {
		return fmt.Errorf("%w: user %s was offboarded; an offboarded user ID cannot be registered again", billing.ErrInvalidAccount, userID)
	}
	if err == nil || !errors.Is(err, ErrNotFound) {
		return err
	}
	now := s.now().UTC()
	return tx.InsertAccount(ctx, billing.Account{
		ID:        s.newID(),
		UserID:    userID,
		Plan:      billing.PlanFree,
		Status:    billing.StatusActive,
		CreatedAt: now,
		UpdatedAt: now,
	})
}

// UpgradeToCollaboration turns the personal team p.TeamID of p.ActorID into
// a collaboration team in place (TEAM-3): its resources and audit trail stay
// and the actor stays owner. p.Name renames it ("" keeps the name). In the same
// unit of work the user gets a new, empty personal team (TEAM-1). There is
// no way back.
//
// Only the owner of the personal team may upgrade it. Unless the service was
// built with WithUpgradeRequiresSubscription(false), the upgrade needs the
// same entitlement as CreateTeam (TEAM-4). Records TeamUpgraded on the
// upgraded team and TeamCreated on the new personal team.
//
// Errors match ErrInvalidInput (bad IDs or name, or the team is already a
// collaboration team), ErrNotMember, ErrPermissionDenied, or the
// entitlement's errors (ErrInvalidAccount, ErrSubscriptionRequired,
// ErrTeamLimit).
func (s *Service) UpgradeToCollaboration(ctx context.Context, p UpgradeToCollaborationParams) (upgraded, personal Team, err error) {
	actorID, teamID, name := p.ActorID, p.TeamID, p.Name
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return Team{}, Team{}, err
	}
	if name != "" {
		if name, err = NormalizeTeamName(name); err != nil {
			return Team{}, Team{}, err
		}
	}
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		t, m, role, err := s.lockAs(ctx, tx, actorID, teamID, membersOnly, "")
		if err != nil {
			return err
		}
		if t.Kind != Personal {
			return invalid("team_id", "is already a collaboration team")
		}
		if !s.policy.IsOwner(role) || t.OwnerID != actorID {
			return fmt.Errorf("%w: only the owner of personal team %s may upgrade it", ErrPermissionDenied, teamID)
		}
		if s.upgradeNeedsEntitlement {
			if err := s.checkEntitlement(ctx, tx, actorID); err != nil {
				return err
			}
		}
		t.Kind = Collaboration
		if name != "" {
			t.Name = name
		}
		t.UpdatedAt = s.now().UTC()
		if err := tx.UpdateTeam(ctx, t); err != nil {
			return err
		}
		if _, err := s.record(ctx, tx, actorID, t.ID, audit.TeamUpgraded, t.ID,
			map[string]string{"kind": string(Collaboration), "name": t.Name}); err != nil {
			return err
		}
		if err := s.ensureAccount(ctx, tx, actorID); err != nil {
			return err
		}
		pt, err := s.insertPersonal(ctx, tx, User{ID: actorID, Email: m.Email, Name: m.Name}, defaultPersonalTeamName)
		if err != nil {
			return err
		}
		upgraded, personal = t, pt
		return nil
	})
	if err != nil {
		return Team{}, Team{}, err
	}
	return upgraded, personal, nil
}

// checkEntitlement asks the entitlement whether ownerID may own one more
// collaboration team (TEAM-4). It locks the owner's account, when there is
// one, so that concurrent creations by one owner serialize.
func (s *Service) checkEntitlement(ctx context.Context, tx Tx, ownerID string) error {
	account, err := tx.LockAccount(ctx, ownerID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	owned, err := tx.CountOwnedTeams(ctx, ownerID, Collaboration)
	if err != nil {
		return err
	}
	return s.entitlement(ctx, account, owned)
}

// CreateTeam creates a collaboration team with p.Owner as its owner and
// only member (TEAM-4). The owner's billing account must entitle them to one more
// collaboration team (by default: an active TEAM or ENTERPRISE plan with
// room under its team limit). Records TeamCreated.
//
// Errors match ErrInvalidInput (bad user, name or settings),
// ErrInvalidAccount, ErrSubscriptionRequired or ErrTeamLimit.
func (s *Service) CreateTeam(ctx context.Context, p CreateTeamParams) (Team, error) {
	owner, err := checkUser(p.Owner)
	if err != nil {
		return Team{}, err
	}
	name, err := NormalizeTeamName(p.Name)
	if err != nil {
		return Team{}, err
	}
	settings, err := checkSettings(p.Settings)
	if err != nil {
		return Team{}, err
	}
	var t Team
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if err := s.checkEntitlement(ctx, tx, owner.ID); err != nil {
			return err
		}
		var err error
		t, err = s.insertTeam(ctx, tx, owner, Collaboration, name, settings)
		return err
	})
	if err != nil {
		return Team{}, err
	}
	return t, nil
}

// UpdateTeam changes the name and/or the settings of p.TeamID (TEAM-5). The
// actor needs the settings permission. An update that names no change is
// refused. Records TeamUpdated.
//
// Errors match ErrInvalidInput, ErrNotMember or ErrPermissionDenied.
func (s *Service) UpdateTeam(ctx context.Context, p UpdateTeamParams) (Team, error) {
	actorID, teamID := p.ActorID, p.TeamID
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return Team{}, err
	}
	if p.Name == nil && p.Settings == nil {
		return Team{}, invalid("update", "changes nothing; set Name or Settings")
	}
	var name string
	if p.Name != nil {
		var err error
		if name, err = NormalizeTeamName(*p.Name); err != nil {
			return Team{}, err
		}
	}
	settings, err := checkSettings(p.Settings)
	if err != nil {
		return Team{}, err
	}
	var t Team
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		t, _, _, err = s.lockAs(ctx, tx, actorID, teamID, rbac.Settings, "change the team's settings")
		if err != nil {
			return err
		}
		details := map[string]string{}
		if p.Name != nil {
			details["old_name"], details["name"] = t.Name, name
			t.Name = name
		}
		if p.Settings != nil {
			details["settings"] = "replaced"
			t.Settings = settings
		}
		t.UpdatedAt = s.now().UTC()
		if err := tx.UpdateTeam(ctx, t); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, actorID, t.ID, audit.TeamUpdated, t.ID, details)
		return err
	})
	if err != nil {
		return Team{}, err
	}
	return t, nil
}

// Team returns teamID as seen by actorID, who must be a member (TEAM-6).
// Errors match ErrInvalidInput or ErrNotMember (also for a team that does
// not exist or was deleted).
func (s *Service) Team(ctx context.Context, actorID, teamID string) (Team, error) {
	if err := checkIDs("actor_id", actorID, "team_id", teamID); err != nil {
		return Team{}, err
	}
	t, _, _, err := s.readAs(ctx, s.store, actorID, teamID, membersOnly, "")
	if err != nil {
		return Team{}, err
	}
	return t, nil
}

// TeamsOf returns the live teams userID is a member of, by creation time,
// without the user's role in each; Memberships returns the teams with the
// memberships in the same single query (ROLE-8).
//
// Errors match ErrInvalidInput.
func (s *Service) TeamsOf(ctx context.Context, userID string) ([]Team, error) {
	if err := checkID("user_id", userID); err != nil {
		return nil, err
	}
	teams, err := s.store.TeamsOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := teams[:0]
	for _, t := range teams {
		if !t.Deleted() {
			out = append(out, t)
		}
	}
	return out, nil
}

// membersOnly asks lockAs and readAs for a membership, not a permission.
const membersOnly rbac.Permission = 0

// lockAs locks teamID in tx and returns it with actorID's membership and
// role, which must have perm (doing names the act for the error), unless
// perm is membersOnly. Every use case that changes a team as one of its
// members starts here. A team that does not exist or was deleted, and a user
// who is not a member, give an error matching ErrNotMember (TEAM-6); a role
// without perm one matching ErrPermissionDenied.
func (s *Service) lockAs(ctx context.Context, tx Tx, actorID, teamID string, perm rbac.Permission, doing string) (Team, Member, rbac.Role, error) {
	t, err := tx.LockTeam(ctx, teamID)
	return s.actorIn(ctx, tx, actorID, teamID, perm, doing, t, err)
}

// readAs is lockAs on committed data read through r, for reads.
func (s *Service) readAs(ctx context.Context, r Reader, actorID, teamID string, perm rbac.Permission, doing string) (Team, Member, rbac.Role, error) {
	t, err := r.Team(ctx, teamID)
	return s.actorIn(ctx, r, actorID, teamID, perm, doing, t, err)
}

// actorIn finishes lockAs and readAs from t and err, the result of locking
// or reading teamID.
func (s *Service) actorIn(ctx context.Context, r Reader, actorID, teamID string, perm rbac.Permission, doing string, t Team, err error) (Team, Member, rbac.Role, error) {
	if t, err = live(t, err); err != nil {
		if errors.Is(err, ErrNotFound) {
			err = notMember(actorID, teamID)
		}
		return Team{}, Member{}, rbac.Role{}, err
	}
	m, role, err := s.memberRole(ctx, r, actorID, teamID)
	if err == nil && perm != membersOnly {
		err = require(role, perm, doing)
	}
	if err != nil {
		return Team{}, Member{}, rbac.Role{}, err
	}
	return t, m, role, nil
}

// errTeamDeleted is live's error for a deleted team.
var errTeamDeleted = fmt.Errorf("%w: the team was deleted", ErrNotFound)

// live passes on t and err, the result of reading or locking a team, but
// refuses a deleted team as if it did not exist: with an error matching
// ErrNotFound.
func live(t Team, err error) (Team, error) {
	if err != nil {
		return Team{}, err
	}
	if t.Deleted() {
		return Team{}, errTeamDeleted
	}
	return t, nil
}

// notMember returns an error matching ErrNotMember.
func notMember(userID, teamID string) error {
	return fmt.Errorf("%w: user %s in team %s; ask a team admin for an invitation", ErrNotMember, userID, teamID)
}

// checkIDs checks pairs of (field, id).
func checkIDs(fieldsAndIDs ...string) error {
	for i := 0; i+1 < len(fieldsAndIDs); i += 2 {
		if err := checkID(fieldsAndIDs[i], fieldsAndIDs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// checkUser checks u's ID, normalises its email and trims its name.
func checkUser(u User) (User, error) {
	if err := checkID("user_id", u.ID); err != nil {
		return User{}, err
	}
	email, err := NormalizeEmail(u.Email)
	if err != nil {
		return User{}, err
	}
	u.Email = email
	if u.Name, err = checkDisplayName("user_name", u.Name); err != nil {
		return User{}, err
	}
	return u, nil
}

// checkSettings checks host settings and returns a copy (nil for nil).
func checkSettings(settings map[string]string) (map[string]string, error) {
	if settings == nil {
		return nil, nil
	}
	if len(settings) > MaxSettings {
		return nil, invalid("settings", "has %d entries; the limit is %d", len(settings), MaxSettings)
	}
	for k, v := range settings {
		if err := checkText(textField{field: "settings", subject: "key", limit: MaxSettingKeyLength, noSpace: true}, k); err != nil {
			return nil, err
		}
		if err := checkText(textField{field: "settings", subject: fmt.Sprintf("value of %q", k), limit: MaxSettingValueLength, optional: true}, v); err != nil {
			return nil, err
		}
	}
	return maps.Clone(settings), nil
}
