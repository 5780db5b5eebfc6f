package rbac

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength is the longest role or policy name, in characters, that
// Builder.Build accepts.
const MaxNameLength = 64

// Builder collects the roles of a custom policy (rule ROLE-4). Its methods
// record what they are given and return the builder for chaining; every
// problem is reported by Build. A Builder is not safe for concurrent use.
// Build copies what it needs, so later calls on the Builder never change a
// Policy it has built.
type Builder struct {
	name     string
	roles    []roleSpec
	owners   []string // distinct names passed to Owner, in call order
	defaults []string // distinct names passed to Default
	regulars []string // distinct names passed to Regular
}

type roleSpec struct {
	name      string
	rank      int
	perms     Permission
	permNames []string // set by RoleNamed
	named     bool
}

// NewBuilder starts a custom policy with the given name.
func NewBuilder(name string) *Builder { return &Builder{name: name} }

// Role adds a role with the given name, rank (higher can do more) and
// permissions. Bits outside AllPermissions make Build fail.
func (b *Builder) Role(name string, rank int, perms Permission) *Builder {
	b.roles = append(b.roles, roleSpec{name: name, rank: rank, perms: perms})
	return b
}

// RoleNamed adds a role whose permissions are given by name, as accepted by
// ParsePermission (for policies read from configuration files). An unknown
// name makes Build fail with an error matching ErrUnknownPermission.
func (b *Builder) RoleNamed(name string, rank int, permNames ...string) *Builder {
	b.roles = append(b.roles, roleSpec{name: name, rank: rank, permNames: slices.Clone(permNames), named: true})
	return b
}

// Owner names the owner role; it must be one of the added roles and rank
// strictly above every other role. Exactly one owner is required: calling
// Owner with two different names makes Build fail.
func (b *Builder) Owner(name string) *Builder {
	b.owners = addDistinct(b.owners, name)
	return b
}

// Default names the role given to new members when the caller names none. It
// must not be the owner role. Optional: without it the lowest-ranked non-owner
// role is the default (the first one added, among equals). Calling Default
// with two different names makes Build fail.
func (b *Builder) Default(name string) *Builder {
	b.defaults = addDistinct(b.defaults, name)
	return b
}

// Regular names the role a former owner holds after transferring ownership
// (rule OWN-3). It must not be the owner role. Optional: without it the
// default role is used. Calling Regular with two different names makes Build
// fail.
func (b *Builder) Regular(name string) *Builder {
	b.regulars = addDistinct(b.regulars, name)
	return b
}

func addDistinct(list []string, name string) []string {
	if slices.Contains(list, name) {
		return list
	}
	return append(list, name)
}

// Build validates the collected definition and returns an immutable Policy.
// Every error matches ErrInvalidPolicy; unknown permissions also match
// ErrUnknownPermission, and Owner, Default or Regular naming a role that was
// not added also match ErrUnknownRole. When several things are wrong, all of
// them are reported (joined with errors.Join).
//
// Build refuses: an invalid policy or role name (empty after trimming, leading
// or trailing spaces, more than MaxNameLength characters, control characters
// or invalid UTF-8); duplicate role names; no roles; no owner, an owner that is
// not a role, Owner called with different names, or an owner that does not
// rank strictly highest; permissions outside AllPermissions or unknown
// permission names; Default or Regular naming an unknown role or the owner
// role, or called with different names; and a policy with no role but the
// owner.
func (b *Builder) Build() (*Policy, error) {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: policy %q: "+format, append([]any{ErrInvalidPolicy, b.name}, args...)...))
	}

	if msg := checkName(b.name); msg != "" {
		fail("policy name %s", msg)
	}
	if len(b.roles) == 0 {
		fail("no roles; add roles with Builder.Role or Builder.RoleNamed")
	}

	roles := make([]Role, 0, len(b.roles))
	seen := make(map[string]bool, len(b.roles))
	for _, spec := range b.roles {
		if msg := checkName(spec.name); msg != "" {
			fail("role name %s", msg)
		} else if seen[spec.name] {
			fail("role %q is defined twice; give each role a unique name", spec.name)
		}
		seen[spec.name] = true
		perms := spec.perms
		if spec.named {
			for _, pn := range spec.permNames {
				q, err := ParsePermission(pn)
				if err != nil {
					errs = append(errs, fmt.Errorf("%w: policy %q: role %q: %w", ErrInvalidPolicy, b.name, spec.name, err))
					continue
				}
				perms |= q
			}
		} else if extra := perms &^ AllPermissions; extra != 0 {
			errs = append(errs, fmt.Errorf("%w: policy %q: role %q: %w: bits %#x are not defined; use only the Permission constants (AllPermissions = %#x)",
				ErrInvalidPolicy, b.name, spec.name, ErrUnknownPermission, uint32(extra), uint32(AllPermissions)))
		}
		roles = append(roles, Role{Name: spec.name, Rank: spec.rank, Permissions: perms & AllPermissions})
	}
	// Stable: roles of equal rank keep their definition order.
	slices.SortStableFunc(roles, func(x, y Role) int {
		switch {
		case x.Rank > y.Rank:
			return -1
		case x.Rank < y.Rank:
			return 1
		}
		return 0
	})
	index := func(name string) int {
		return slices.IndexFunc(roles, func(r Role) bool { return r.Name == name })
	}
	unknown := func(what, name string) {
		errs = append(errs, fmt.Errorf("%w: policy %q: %s role %q is not defined (%w); add it with Builder.Role or name an existing role",
			ErrInvalidPolicy, b.name, what, name, ErrUnknownRole))
	}

	owner := -1
	switch len(b.owners) {
	case 0:
		fail("no owner role; call Builder.Owner with the name of the role that owns the team")
	case 1:
		if owner = index(b.owners[0]); owner < 0 {
			unknown("owner", b.owners[0])
		}
	default:
		fail("Owner was called with different names %q; a policy has exactly one owner role", b.owners)
	}
	if owner >= 0 {
		o := roles[owner]
		for i, r := range roles {
			if i != owner && r.Rank >= o.Rank {
				fail("owner role %q has rank %d but role %q has rank %d; give the owner a rank above every other role", o.Name, o.Rank, r.Name, r.Rank)
				break
			}
		}
	}
	if owner >= 0 && len(roles) == 1 {
		fail("no role besides the owner %q; add at least one role for other members", roles[owner].Name)
	}

	pick := func(what string, names []string) (int, bool) {
		switch len(names) {
		case 0:
			return -1, true
		case 1:
			i := index(names[0])
			switch {
			case i < 0:
				unknown(what, names[0])
			case i == owner:
				fail("%s role %q is the owner role; name a non-owner role (the owner role is only given by ownership transfer)", what, names[0])
			default:
				return i, true
			}
		default:
			fail("%s was called with different names %q; name one role", what, names)
		}
		return -1, false
	}
	def, defOK := pick("default", b.defaults)
	regular, regOK := pick("regular", b.regulars)

	if len(errs) > 0 {
		if len(errs) == 1 {
			return nil, errs[0]
		}
		return nil, errors.Join(errs...)
	}
	if def < 0 && defOK {
		// Lowest-ranked non-owner role; among equals, the first defined.
		for i := len(roles) - 1; i >= 0; i-- {
			if i != owner && (def < 0 || roles[i].Rank == roles[def].Rank) {
				def = i
			} else if def >= 0 {
				break
			}
		}
	}
	if regular < 0 && regOK {
		regular = def
	}
	p := &Policy{name: b.name, roles: roles, owner: owner, def: def, regular: regular}
	p.buildIndex()
	return p, nil
}

// checkName returns "" for a valid role or policy name, or what is wrong.
func checkName(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Sprintf("%q is empty; give a non-empty name", name)
	case strings.TrimSpace(name) != name:
		return fmt.Sprintf("%q has leading or trailing spaces; remove them", name)
	case !utf8.ValidString(name):
		return fmt.Sprintf("%q is not valid UTF-8; use UTF-8 text", name)
	case utf8.RuneCountInString(name) > MaxNameLength:
		return fmt.Sprintf("%q is longer than %d characters; shorten it", name, MaxNameLength)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Sprintf("%q contains control characters; remove them", name)
	}
	return ""
}
