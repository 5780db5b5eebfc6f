package team_test

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// requireInputError checks that err is an *InputError for field.
func requireInputError(t *testing.T, err error, field string) {
	t.Helper()
	var ie *team.InputError
	if !errors.Is(err, team.ErrInvalidInput) || !errors.As(err, &ie) || ie.Field != field {
		t.Fatalf("want an InputError for %q, got %v", field, err)
	}
}

// FuzzNormalizeEmail: NormalizeEmail never panics; what it accepts is its
// input trimmed with only its ASCII letters lower-cased (no Unicode folding,
// INV-2), a single plain address of at most 254
// bytes with a user and a dotted domain, and normalising it again changes
// nothing; what it refuses is an input error for "email" (INV-2, SEC-2).
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ana@example.com", "  Ana@Example.COM ", "", "ana", "@example.com", "ana@", "ana@localhost",
		"a@b.c", "Ana <ana@example.com>", "ana@example.com, bo@example.com", "\"a b\"@example.com", "ana@exa mple.com",
		"ana@example.com\n", "ana\x00@example.com", "ÄNA@EXAMPLE.COM", "\u212Aim@example.com", "İNA@example.com", "ＡＮＡ@example.com", strings.Repeat("a", 250) + "@x.io"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := team.NormalizeEmail(in)
		if err != nil {
			requireInputError(t, err, "email")
			if out != "" {
				t.Fatalf("refused %q but returned %q", in, out)
			}
			return
		}
		if want := asciiLower(strings.TrimSpace(in)); out != want {
			t.Fatalf("NormalizeEmail(%q) = %q, want %q: the input trimmed, only ASCII letters lower-cased", in, out, want)
		}
		if len(out) > team.MaxEmailLength || !utf8.ValidString(out) {
			t.Fatalf("accepted %q: too long or not UTF-8", out)
		}
		at := strings.LastIndexByte(out, '@')
		if at <= 0 || at == len(out)-1 || !strings.Contains(out[at+1:], ".") {
			t.Fatalf("accepted %q without a user and a dotted domain", out)
		}
		if strings.ContainsFunc(out, unicode.IsControl) || strings.ContainsAny(out, "<>,\n\r") {
			t.Fatalf("accepted %q with a control character or list syntax", out)
		}
		again, err := team.NormalizeEmail(out)
		if err != nil || again != out {
			t.Fatalf("normalising %q again gave %q, %v", out, again, err)
		}
	})
}

// asciiLower lower-cases the ASCII letters of s, rune by rune, and keeps
// every other character: the reference for FuzzNormalizeEmail, written
// independently of the library's own helper.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// FuzzNormalizeTeamName: NormalizeTeamName never panics; what it accepts is
// its input trimmed, 1 to 100 characters of valid UTF-8 without control
// characters, and stable; what it refuses is an input error for "name"
// (TEAM-5).
func FuzzNormalizeTeamName(f *testing.F) {
	for _, s := range []string{"Acme", "  Acme  ", "", "   ", "\t", "a\x00b", "a\nb", "\xff\xfe", "Café ☕",
		strings.Repeat("x", 100), strings.Repeat("x", 101), strings.Repeat("é", 100), "\u200bzero width", "a\u0085b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := team.NormalizeTeamName(in)
		if err != nil {
			requireInputError(t, err, "name")
			return
		}
		if out != strings.TrimSpace(in) {
			t.Fatalf("NormalizeTeamName(%q) = %q, want the input trimmed", in, out)
		}
		n := utf8.RuneCountInString(out)
		if !utf8.ValidString(out) || n < 1 || n > team.MaxNameLength || strings.ContainsFunc(out, unicode.IsControl) {
			t.Fatalf("accepted %q (%d characters)", out, n)
		}
		if again, err := team.NormalizeTeamName(out); err != nil || again != out {
			t.Fatalf("normalising %q again gave %q, %v", out, again, err)
		}
	})
}

// fuzzTokenBytes is the random source of FuzzInvitationToken's service, so
// the one valid token is known: base64url of 32 bytes 0x42.
var fuzzTokenBytes = strings.Repeat("\x42", 32)

// newTokenFuzzWorld returns a service whose random bytes are
// fuzzTokenBytes, over a memory store, with ana owning collaboration team
// tm and bo, a user the token fuzzers try to admit.
func newTokenFuzzWorld(t *testing.T) (context.Context, *store.Memory, *team.Service, team.User, team.User, team.Team) {
	t.Helper()
	ctx := context.Background()
	mem := store.NewMemory()
	svc, err := team.New(mem, team.WithRandom(strings.NewReader(fuzzTokenBytes)))
	if err != nil {
		t.Fatal(err)
	}
	ana := team.User{ID: "ana", Email: "ana@example.com"}
	bo := team.User{ID: "bo", Email: "bo@example.com"}
	p, err := svc.EnsurePersonalTeam(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: ana.ID, TeamID: p.ID, Plan: billing.PlanTeam}); err != nil {
		t.Fatal(err)
	}
	tm, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Fuzz"})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, mem, svc, ana, bo, tm
}

// requireUnchanged fails when a refused token changed the members or the
// audit trail of teamID.
func requireUnchanged(t *testing.T, token string, before, after store.Snapshot, teamID string) {
	t.Helper()
	if len(after.Members) != len(before.Members) || len(after.AuditEvents[teamID]) != len(before.AuditEvents[teamID]) {
		t.Fatalf("token %q was refused but changed the store", token)
	}
}

// FuzzInvitationToken: AcceptInvitation with any string as token never
// panics and never accepts anything but the invitation's own token: every
// other string — its hash, a prefix, a case change, one character off — is
// refused and changes nothing; the valid token works (INV-4, INV-5).
func FuzzInvitationToken(f *testing.F) {
	good := base64.RawURLEncoding.EncodeToString([]byte(fuzzTokenBytes))
	f.Add(good)
	f.Add(good[:42])
	f.Add(good + "=")
	f.Add(strings.ToLower(good))
	f.Add(mdlHash(good))
	f.Add("")
	f.Add(strings.Repeat("Q", 129))
	f.Add("QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI\x00")
	f.Fuzz(func(t *testing.T, token string) {
		ctx, mem, svc, ana, bo, tm := newTokenFuzzWorld(t)
		if _, err := svc.EnsurePersonalTeam(ctx, bo); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Invite(ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: bo.Email, Role: rbac.RoleMember}); err != nil {
			t.Fatal(err)
		}
		before := mem.Snapshot()
		m, err := svc.AcceptInvitation(ctx, bo, token)
		if token == good {
			if err != nil || m.TeamID != tm.ID || m.Role != rbac.RoleMember {
				t.Fatalf("the valid token was refused: %v", err)
			}
			return
		}
		if err == nil {
			t.Fatalf("token %q accepted; only %q is valid", token, good)
		}
		if !errors.Is(err, team.ErrNotFound) && !errors.Is(err, team.ErrInvalidInput) {
			t.Fatalf("token %q: want ErrNotFound or ErrInvalidInput, got %v", token, err)
		}
		requireUnchanged(t, token, before, mem.Snapshot(), tm.ID)
	})
}

// FuzzNormalizeDomain: NormalizeDomain never panics; what it accepts is its
// input trimmed, without one trailing dot, ASCII letters lower-cased, made
// of at least two dot-separated labels of 1 to 63 letters, digits and inner
// hyphens, and stable; so no lookalike (KELVIN SIGN, fullwidth letters) can
// claim or match an ASCII domain (JOIN-1). What it refuses is an input
// error for "domain".
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"example.com", " Example.COM. ", "", ".", "com", "a..b", "-a.b", "a-.b", "xn--bcher-kva.example",
		"exa\u212Aple.com", "ｅxample.com", "example.com..", "a.b\x00", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 130) + "io"} {
		f.Add(s)
	}
	label := regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	f.Fuzz(func(t *testing.T, in string) {
		out, err := team.NormalizeDomain(in)
		if err != nil {
			requireInputError(t, err, "domain")
			if out != "" {
				t.Fatalf("refused %q but returned %q", in, out)
			}
			return
		}
		if want := asciiLower(strings.TrimSuffix(strings.TrimSpace(in), ".")); out != want {
			t.Fatalf("NormalizeDomain(%q) = %q, want %q", in, out, want)
		}
		labels := strings.Split(out, ".")
		if len(out) > team.MaxDomainLength || len(labels) < 2 {
			t.Fatalf("accepted %q: too long or fewer than two labels", out)
		}
		for _, l := range labels {
			if !label.MatchString(l) {
				t.Fatalf("accepted %q with label %q", out, l)
			}
		}
		if again, err := team.NormalizeDomain(out); err != nil || again != out {
			t.Fatalf("normalising %q again gave %q, %v", out, again, err)
		}
	})
}

// FuzzInviteLinkToken: JoinByLink with any string as token never panics and
// never admits anyone but the holder of the link's own token: every other
// string is refused with ErrNotFound or ErrInvalidInput and changes
// nothing (LINK-1, LINK-2, INV-4).
func FuzzInviteLinkToken(f *testing.F) {
	good := base64.RawURLEncoding.EncodeToString([]byte(fuzzTokenBytes))
	for _, s := range []string{good, good[:42], good + "=", strings.ToLower(good), mdlHash(good), "", strings.Repeat("Q", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		ctx, mem, svc, ana, bo, tm := newTokenFuzzWorld(t)
		link, err := svc.CreateInviteLink(ctx, team.CreateInviteLinkParams{ActorID: ana.ID, TeamID: tm.ID, Role: rbac.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		if link.Token != good {
			t.Fatalf("the link's token is %q; the fuzz target assumes %q", link.Token, good)
		}
		before := mem.Snapshot()
		m, err := svc.JoinByLink(ctx, bo, token)
		if token == good {
			if err != nil || m.TeamID != tm.ID || m.Role != rbac.RoleMember {
				t.Fatalf("the valid token was refused: %v", err)
			}
			return
		}
		if err == nil {
			t.Fatalf("token %q joined; only %q is valid", token, good)
		}
		if !errors.Is(err, team.ErrNotFound) && !errors.Is(err, team.ErrInvalidInput) {
			t.Fatalf("token %q: want ErrNotFound or ErrInvalidInput, got %v", token, err)
		}
		requireUnchanged(t, token, before, mem.Snapshot(), tm.ID)
	})
}
