package rbac_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/rbac"
)

// validBuilder returns a builder for a small valid policy.
func validBuilder() *rbac.Builder {
	return rbac.NewBuilder("custom").
		Role("boss", 30, rbac.AllPermissions&^rbac.Leave).
		RoleNamed("editor", 20, "create_resources", "view_any_resources", "edit_own_resources|delete_own_resources", "leave").
		Role("reader", 10, rbac.ViewAnyResources|rbac.Leave).
		Owner("boss")
}

// Rule ROLE-4: a valid custom policy works.
func TestBuilderValidPolicy_ROLE4(t *testing.T) {
	p, err := validBuilder().Build()
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "custom" || p.Owner().Name != "boss" {
		t.Fatalf("policy %q owner %q", p.Name(), p.Owner().Name)
	}
	editor := mustRole(t, p, "editor")
	want := rbac.CreateResources | rbac.ViewAnyResources | rbac.EditOwnResources | rbac.DeleteOwnResources | rbac.Leave
	if editor.Permissions != want || editor.Rank != 20 {
		t.Fatalf("editor = %+v, want permissions %v", editor, want)
	}
	if !editor.CanAct(rbac.Edit, "u1", "u1") || editor.CanAct(rbac.Edit, "u1", "u2") {
		t.Error("editor own/any wrong")
	}
	// Default: lowest-ranked non-owner role; regular: the default.
	if p.DefaultRole().Name != "reader" || p.RegularRole().Name != "reader" {
		t.Errorf("default %q regular %q, want reader reader", p.DefaultRole().Name, p.RegularRole().Name)
	}
	if !p.CanInvite(p.Owner(), editor) || p.CanInvite(editor, editor) {
		t.Error("invite rules wrong")
	}

	// Explicit default and regular; Owner/Default/Regular repeated with the same name are fine.
	p, err = validBuilder().Owner("boss").Default("editor").Default("editor").Regular("reader").Build()
	if err != nil {
		t.Fatal(err)
	}
	if p.DefaultRole().Name != "editor" || p.RegularRole().Name != "reader" {
		t.Errorf("default %q regular %q", p.DefaultRole().Name, p.RegularRole().Name)
	}

	// Equal lowest ranks: the first defined is the default. Non-ASCII names are fine.
	p, err = rbac.NewBuilder("ties").
		Role("chef", 9, rbac.AllPermissions).
		Role("b", 1, 0).
		Role("a", 1, rbac.Leave).
		Role("équipe", 5, 0).
		Owner("chef").Build()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range p.Roles() {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "chef,équipe,b,a" || p.DefaultRole().Name != "b" {
		t.Errorf("roles %v default %q", names, p.DefaultRole().Name)
	}
}

// Rule ROLE-4: Build copies; changing the builder afterwards does not change the policy.
func TestBuilderBuildCopies_ROLE4(t *testing.T) {
	perms := []string{"leave"}
	b := rbac.NewBuilder("copy").Role("boss", 2, rbac.AllPermissions).RoleNamed("staff", 1, perms...).Owner("boss")
	p1, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	perms[0] = "billing"
	b.Role("late", 0, rbac.Billing)
	p2, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Roles()) != 2 || len(p2.Roles()) != 3 {
		t.Fatalf("roles: %d and %d", len(p1.Roles()), len(p2.Roles()))
	}
	if s := mustRole(t, p2, "staff"); s.Permissions != rbac.Leave {
		t.Errorf("RoleNamed kept the caller's slice: %v", s.Permissions)
	}
}

// Rule ROLE-4, ROLE-1: every invalid builder input is refused with an error
// matching ErrInvalidPolicy (and ErrUnknownPermission / ErrUnknownRole where
// it applies) whose message says what is wrong.
func TestBuilderInvalid_ROLE4(t *testing.T) {
	all := rbac.AllPermissions
	tests := []struct {
		name     string
		b        *rbac.Builder
		alsoPerm bool // also matches ErrUnknownPermission
		alsoRole bool // also matches ErrUnknownRole
		msg      string
	}{
		{name: "empty policy name", b: rbac.NewBuilder("").Role("o", 2, all).Role("m", 1, 0).Owner("o"), msg: "policy name"},
		{name: "blank policy name", b: rbac.NewBuilder("  ").Role("o", 2, all).Role("m", 1, 0).Owner("o"), msg: "empty"},
		{name: "no roles", b: rbac.NewBuilder("p").Owner("o"), alsoRole: true, msg: "no roles"},
		{name: "nothing at all", b: rbac.NewBuilder("p"), msg: "no roles"},
		{name: "empty role name", b: rbac.NewBuilder("p").Role("o", 2, all).Role("", 1, 0).Owner("o"), msg: "empty"},
		{name: "blank role name", b: rbac.NewBuilder("p").Role("o", 2, all).Role(" \t", 1, 0).Owner("o"), msg: "empty"},
		{name: "untrimmed role name", b: rbac.NewBuilder("p").Role("o", 2, all).Role(" m", 1, 0).Owner("o"), msg: "spaces"},
		{name: "long role name", b: rbac.NewBuilder("p").Role("o", 2, all).Role(strings.Repeat("x", 65), 1, 0).Owner("o"), msg: "longer than 64"},
		{name: "control char in role name", b: rbac.NewBuilder("p").Role("o", 2, all).Role("a\nb", 1, 0).Owner("o"), msg: "control"},
		{name: "invalid utf-8 role name", b: rbac.NewBuilder("p").Role("o", 2, all).Role("a\xffb", 1, 0).Owner("o"), msg: "UTF-8"},
		{name: "duplicate role", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 1, 0).Role("m", 0, 0).Owner("o"), msg: "defined twice"},
		{name: "duplicate owner-named role", b: rbac.NewBuilder("p").Role("o", 2, all).Role("o", 1, 0).Role("m", 0, 0).Owner("o"), msg: "defined twice"},
		{name: "no owner", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 1, 0), msg: "no owner"},
		{name: "owner unknown", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 1, 0).Owner("x"), alsoRole: true, msg: "owner role \"x\""},
		{name: "owner twice", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 1, 0).Owner("o").Owner("m"), msg: "exactly one owner"},
		{name: "owner not highest", b: rbac.NewBuilder("p").Role("o", 1, all).Role("m", 2, 0).Owner("o"), msg: "rank"},
		{name: "owner rank tie", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 2, 0).Owner("o"), msg: "rank"},
		{name: "only the owner", b: rbac.NewBuilder("p").Role("o", 2, all).Owner("o"), msg: "no role besides the owner"},
		{name: "unknown permission bits", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 1, 1<<25).Owner("o"), alsoPerm: true, msg: "0x2000000"},
		{name: "all bits", b: rbac.NewBuilder("p").Role("o", 2, ^rbac.Permission(0)).Role("m", 1, 0).Owner("o"), alsoPerm: true, msg: "not defined"},
		{name: "unknown permission name", b: rbac.NewBuilder("p").Role("o", 2, all).RoleNamed("m", 1, "leave", "fly").Owner("o"), alsoPerm: true, msg: "\"fly\""},
		{name: "empty permission name", b: rbac.NewBuilder("p").Role("o", 2, all).RoleNamed("m", 1, "").Owner("o"), alsoPerm: true, msg: "empty permission"},
		{name: "default unknown", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 1, 0).Owner("o").Default("x"), alsoRole: true, msg: "default role"},
		{name: "default is owner", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 1, 0).Owner("o").Default("o"), msg: "owner role"},
		{name: "default twice", b: rbac.NewBuilder("p").Role("o", 3, all).Role("m", 2, 0).Role("n", 1, 0).Owner("o").Default("m").Default("n"), msg: "different names"},
		{name: "regular unknown", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 1, 0).Owner("o").Regular(""), alsoRole: true, msg: "regular role"},
		{name: "regular is owner", b: rbac.NewBuilder("p").Role("o", 2, all).Role("m", 1, 0).Owner("o").Regular("o"), msg: "owner role"},
		{name: "regular twice", b: rbac.NewBuilder("p").Role("o", 3, all).Role("m", 2, 0).Role("n", 1, 0).Owner("o").Regular("m").Regular("n"), msg: "different names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.b.Build()
			if p != nil {
				t.Fatalf("Build returned a policy: %+v", p.Roles())
			}
			if !errors.Is(err, rbac.ErrInvalidPolicy) {
				t.Fatalf("err = %v, want ErrInvalidPolicy", err)
			}
			if got := errors.Is(err, rbac.ErrUnknownPermission); got != tt.alsoPerm {
				t.Errorf("errors.Is(err, ErrUnknownPermission) = %v, want %v (err: %v)", got, tt.alsoPerm, err)
			}
			if got := errors.Is(err, rbac.ErrUnknownRole); got != tt.alsoRole {
				t.Errorf("errors.Is(err, ErrUnknownRole) = %v, want %v (err: %v)", got, tt.alsoRole, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

// Rule ROLE-4: several problems are all reported.
func TestBuilderReportsAllProblems_ROLE4(t *testing.T) {
	_, err := rbac.NewBuilder("").Role("a", 1, 1<<30).Role("a", 1, 0).Build()
	if !errors.Is(err, rbac.ErrInvalidPolicy) || !errors.Is(err, rbac.ErrUnknownPermission) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"policy name", "defined twice", "no owner", "not defined"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// Rule ROLE-4: a name of exactly 64 characters (not bytes) is accepted.
func TestBuilderNameLength_ROLE4(t *testing.T) {
	long := strings.Repeat("é", 64)
	p, err := rbac.NewBuilder(long).Role(long, 2, rbac.AllPermissions).Role("m", 1, 0).Owner(long).Build()
	if err != nil {
		t.Fatal(err)
	}
	if p.Owner().Name != long {
		t.Fatal("long owner name lost")
	}
}

// Rule ROLE-4: lookups stay exact for larger policies whose names share first
// letters and lengths (more roles than the lookup's fast-path slots).
func TestBuilderManyRoles_ROLE4(t *testing.T) {
	b := rbac.NewBuilder("many").Role("root", 1000, rbac.AllPermissions)
	var names []string
	for i := range 300 {
		name := "r" + strconv.Itoa(i)
		names = append(names, name)
		b.Role(name, i, rbac.Permission(i)&rbac.AllPermissions)
	}
	p, err := b.Owner("root").Build()
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		r, err := p.Role(name)
		if err != nil || r.Name != name || r.Rank != i {
			t.Fatalf("Role(%q) = %+v, %v", name, r, err)
		}
	}
	for _, bad := range []string{"r", "r300", "R1", "r01", "root "} {
		if _, err := p.Role(bad); !errors.Is(err, rbac.ErrUnknownRole) {
			t.Errorf("Role(%q) err = %v", bad, err)
		}
	}
	if p.DefaultRole().Name != "r0" {
		t.Errorf("default = %q, want r0", p.DefaultRole().Name)
	}
}
