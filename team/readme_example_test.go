package team_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log"
	"os"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// Example_readme is the README's "Integration in a few lines", as written
// there: TestREADME_IntegrationSnippetIsExample keeps the two the same.
func Example_readme() {
	ctx := context.Background()
	st := store.NewMemory() // or postgres.New(pool): see store/postgres
	svc, err := team.New(st,
		team.WithPolicy(rbac.Standard()), // or rbac.Platform(), or your own
		// Answers "what is left in this team?" before a deletion.
		team.WithResourceCounter(team.ResourceCounterFunc(func(ctx context.Context, teamID string) (map[string]int, error) {
			return map[string]int{"agent": 0}, nil // count the team's rows in your tables
		})),
	)
	if err != nil {
		log.Fatal(err)
	}

	// At sign-up: the user's personal team and billing account (FREE plan).
	ana := team.User{ID: "u1", Email: "ana@example.com", Name: "Ana"}
	personal, err := svc.EnsurePersonalTeam(ctx, ana)
	if err != nil {
		log.Fatal(err)
	}
	// Owning a collaboration team needs a TEAM or ENTERPRISE plan: on FREE,
	// CreateTeam is refused with team.ErrSubscriptionRequired. Your checkout
	// calls ChangePlan once the user has paid.
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: ana.ID, TeamID: personal.ID, Plan: billing.PlanTeam}); err != nil {
		log.Fatal(err)
	}
	acme, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	if err != nil {
		log.Fatal(err)
	}
	res, err := svc.Invite(ctx, team.InviteParams{ActorID: ana.ID, TeamID: acme.ID, Email: "bo@example.com", Role: rbac.RoleAdmin})
	if err != nil {
		log.Fatal(err)
	}
	// res.Token goes into the link you email (or pass team.WithNotifier);
	// show it to nobody but the inviter and the invitee.
	bo := team.User{ID: "u2", Email: "bo@example.com", Name: "Bo"}
	if _, err := svc.AcceptInvitation(ctx, bo, res.Token); err != nil {
		log.Fatal(err)
	}

	// In your HTTP handlers:
	agent := team.Resource{Type: "agent", ID: "a1", CreatorID: ana.ID}
	for _, userID := range []string{bo.ID, "u3"} {
		if err := svc.Authorize(ctx, userID, acme.ID, rbac.Edit, agent); err != nil {
			// Log err; show the caller team.PublicMessage(err), which is
			// safe for any role; team.Code(err) picks the status.
			fmt.Printf("%s: %s: %s\n", userID, team.Code(err), team.PublicMessage(err))
			continue
		}
		fmt.Printf("%s may edit %s\n", userID, agent.ID)
	}
	// Output:
	// u2 may edit a1
	// u3: not_member: You are not a member of this team, or the team does not exist; ask a team admin for an invitation.
}

// dedent trims blank lines at both ends of s, the trailing spaces of every
// line and the indentation all non-blank lines share.
func dedent(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	prefix, first := "", true
	for i, l := range lines {
		l = strings.TrimRight(l, " \t")
		lines[i] = l
		if l == "" {
			continue
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if first {
			prefix, first = indent, false
		}
		for !strings.HasPrefix(indent, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, prefix)
	}
	return strings.Join(lines, "\n")
}

// readmeBlock returns the first ```go block after the heading in README.md.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i := strings.Index(text, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no heading %q", heading)
	}
	text = text[i:]
	start := strings.Index(text, "\n```go\n")
	if start < 0 {
		t.Fatalf("no ```go block after %q", heading)
	}
	text = text[start+len("\n```go\n"):]
	end := strings.Index(text, "\n```")
	if end < 0 {
		t.Fatalf("the ```go block after %q does not end", heading)
	}
	return text[:end]
}

// exampleBody returns the source between the braces of function name in
// file.
func exampleBody(t *testing.T, file, name string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
			from, to := fset.Position(fd.Body.Lbrace).Offset+1, fset.Position(fd.Body.Rbrace).Offset
			return string(src[from:to])
		}
	}
	t.Fatalf("%s has no func %s", file, name)
	return ""
}

// TestREADME_IntegrationSnippetIsExample checks that README.md's
// "Integration in a few lines" is the body of Example_readme, which go test
// compiles, runs and checks against its Output, so the snippet cannot drift.
func TestREADME_IntegrationSnippetIsExample(t *testing.T) {
	got := dedent(readmeBlock(t, "## Integration in a few lines"))
	want := dedent(exampleBody(t, "readme_example_test.go", "Example_readme"))
	if got != want {
		t.Errorf("README.md's integration snippet differs from Example_readme in team/readme_example_test.go; copy the function's body into the README.\n--- README\n%s\n--- Example_readme\n%s", got, want)
	}
}
