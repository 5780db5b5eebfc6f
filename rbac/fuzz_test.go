package rbac_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/rbac"
)

// FuzzBuilder feeds arbitrary definitions to the Builder. Rule ROLE-4, ROLE-1:
// Build never panics; it either returns an error matching ErrInvalidPolicy or
// a policy that keeps every invariant.
//
// spec is a ";"-separated list of roles "name=rank=perms", where perms is
// "#N" (a raw Permission, via Builder.Role) or permission names joined with
// "|" (via Builder.RoleNamed). Empty owner, def and regular mean "not called";
// a value with "," names several calls.
func FuzzBuilder(f *testing.F) {
	f.Add("standard", "owner=400=#262143;admin=300=settings|invite|leave;member=200=leave", "owner", "", "")
	f.Add("p", "o=2=#1;m=1=#0", "o", "m", "m")
	f.Add("p", "o=2=#1;m=1=fly", "o", "", "")
	f.Add("", "", "", "", "")
	f.Add("p", "o=1=#0;m=1=#0", "o", "o", "x")
	f.Add("p", "o=3=#0;a=2=#0;b=1=#0", "o,a", "a,b", "")
	f.Fuzz(func(t *testing.T, name, spec, owner, def, regular string) {
		b := rbac.NewBuilder(name)
		if spec != "" {
			for _, entry := range strings.Split(spec, ";") {
				parts := strings.SplitN(entry, "=", 3)
				for len(parts) < 3 {
					parts = append(parts, "")
				}
				rank, err := strconv.Atoi(parts[1])
				if err != nil {
					rank = len(parts[1])
				}
				if n, ok := strings.CutPrefix(parts[2], "#"); ok {
					v, _ := strconv.ParseUint(n, 10, 32)
					b.Role(parts[0], rank, rbac.Permission(v))
				} else {
					b.RoleNamed(parts[0], rank, strings.Split(parts[2], ",")...)
				}
			}
		}
		for _, call := range []struct {
			arg string
			f   func(string) *rbac.Builder
		}{{owner, b.Owner}, {def, b.Default}, {regular, b.Regular}} {
			if call.arg != "" {
				for _, n := range strings.Split(call.arg, ",") {
					call.f(n)
				}
			}
		}

		p, err := b.Build()
		if err != nil {
			if p != nil {
				t.Fatal("Build returned both a policy and an error")
			}
			if !errors.Is(err, rbac.ErrInvalidPolicy) {
				t.Fatalf("error does not match ErrInvalidPolicy: %v", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		checkInvariants(t, p)
	})
}

// checkInvariants checks what every built policy guarantees.
func checkInvariants(t *testing.T, p *rbac.Policy) {
	t.Helper()
	if strings.TrimSpace(p.Name()) == "" {
		t.Fatal("empty policy name")
	}
	roles := p.Roles()
	if len(roles) < 2 {
		t.Fatalf("%d roles; a policy needs the owner and one more", len(roles))
	}
	owner := p.Owner()
	owners := 0
	seen := map[string]bool{}
	for i, r := range roles {
		if seen[r.Name] {
			t.Fatalf("duplicate role %q", r.Name)
		}
		seen[r.Name] = true
		if strings.TrimSpace(r.Name) == "" || strings.TrimSpace(r.Name) != r.Name {
			t.Fatalf("bad role name %q", r.Name)
		}
		if r.Permissions&^rbac.AllPermissions != 0 {
			t.Fatalf("role %q has unknown bits %v", r.Name, r.Permissions)
		}
		if i > 0 && roles[i-1].Rank < r.Rank {
			t.Fatalf("Roles not ordered by rank: %v", roles)
		}
		got, err := p.Role(r.Name)
		if err != nil || got != r {
			t.Fatalf("Role(%q) = %+v, %v; want %+v", r.Name, got, err, r)
		}
		if p.IsOwner(r) {
			owners++
		} else if r.Rank >= owner.Rank {
			t.Fatalf("role %q rank %d not below owner rank %d", r.Name, r.Rank, owner.Rank)
		}
		// ROLE-6: nobody invites to or grants the owner role, nobody changes or removes the owner.
		if p.CanInvite(r, owner) || p.CanRemove(r, owner) || p.CanChangeRole(r, owner, roles[len(roles)-1]) || p.CanChangeRole(r, roles[len(roles)-1], owner) {
			t.Fatalf("role %q may touch the owner role", r.Name)
		}
	}
	if owners != 1 || roles[0] != owner {
		t.Fatalf("%d owner roles; Roles()[0] = %+v, Owner() = %+v", owners, roles[0], owner)
	}
	for _, r := range []rbac.Role{p.DefaultRole(), p.RegularRole()} {
		if p.IsOwner(r) || !seen[r.Name] {
			t.Fatalf("default/regular role %+v is the owner or unknown", r)
		}
	}
}
