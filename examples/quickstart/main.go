// Command quickstart tells teamkit's collaboration-team story end to end on
// the in-memory store: a user registers, subscribes, creates a team,
// invites three people, manages roles and session epochs, lets members use
// resources billed to the owner, transfers ownership, cleans up, deletes
// the team and verifies its audit chain.
//
//	go run ./examples/quickstart
//
// The clock, the record IDs and the invitation tokens are deterministic, so
// two runs print the same story.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// The people of the story. Each has a verified email, as the host vouches.
var (
	ana = team.User{ID: "ana", Email: "ana@example.com", Name: "Ana"}
	bo  = team.User{ID: "bo", Email: "bo@example.com", Name: "Bo"}
	cy  = team.User{ID: "cy", Email: "cy@example.com", Name: "Cy"}
	dee = team.User{ID: "dee", Email: "dee@example.com", Name: "Dee"}
	eve = team.User{ID: "eve", Email: "eve@example.com", Name: "Eve"}
)

// run tells the story to w. It returns an error when a step does not behave
// as the story expects.
func run(ctx context.Context, w io.Writer) error {
	out := &narrator{w: w}
	mail := &mailbox{links: map[string]string{}}
	things := &resources{byTeam: map[string]map[string]team.Resource{}}
	svc, err := team.New(store.NewMemory(),
		team.WithPolicy(rbac.Standard()),
		team.WithNotifier(mail),
		team.WithResourceCounter(things),
		team.WithClock(newClock(time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)).now),
		team.WithIDs(newSequence().next),
		team.WithRandom(rand.NewChaCha8([32]byte{'t', 'e', 'a', 'm', 'k', 'i', 't'})),
	)
	if err != nil {
		return err
	}

	// 1. Registration.
	out.step("1. Ana registers")
	personal, err := svc.EnsurePersonalTeam(ctx, ana)
	if err != nil {
		return err
	}
	out.say("Ana's personal team %q (%s, kind %s) appears, with a FREE billing account.", personal.Name, personal.ID, personal.Kind)
	again, err := svc.EnsurePersonalTeam(ctx, ana)
	if err != nil {
		return err
	}
	out.say("Registering her again is harmless: same team %s.", again.ID)

	// 2. Subscription.
	out.step("2. Ana buys a TEAM plan")
	_, err = svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme Research"})
	if err := expect(err, team.ErrSubscriptionRequired); err != nil {
		return err
	}
	out.say("On the FREE plan, creating a team is refused: %v", err)
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: ana.ID, TeamID: personal.ID, Plan: billing.PlanTeam}); err != nil {
		return err
	}
	acct, err := svc.TopUp(ctx, team.TopUpParams{ActorID: ana.ID, TeamID: personal.ID, Amount: 1000})
	if err != nil {
		return err
	}
	out.say("Ana subscribes to %s in her personal team and tops up: balance %d tokens.", acct.Plan, acct.Balance)
	anaStart := acct.Balance

	// 3. The team.
	out.step("3. Ana creates a team")
	acme, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme Research"})
	if err != nil {
		return err
	}
	out.say("Team %q (%s) is created; Ana is its owner and billing goes to her account.", acme.Name, acme.ID)

	// 4. Invitations.
	out.step("4. Ana invites three people")
	personals := map[string]team.Team{}
	for _, u := range []team.User{bo, cy, dee, eve} {
		p, err := svc.EnsurePersonalTeam(ctx, u) // they registered with the host
		if err != nil {
			return err
		}
		personals[u.ID] = p
	}
	for _, inv := range []struct {
		who  team.User
		role string
	}{{bo, rbac.RoleAdmin}, {cy, rbac.RoleMember}, {dee, rbac.RoleViewer}} {
		res, err := svc.Invite(ctx, team.InviteParams{ActorID: ana.ID, TeamID: acme.ID, Email: inv.who.Email, Role: inv.role})
		if err != nil {
			return err
		}
		got := res.Invitation
		out.say("Invitation %s: %s as %s, valid until %s.", got.ID, got.Email, got.Role, got.ExpiresAt.Format(time.DateOnly))
		out.say("  mail to %s: join %q: https://app.example.com/join?token=%s...", got.Email, acme.Name, mail.link(got.Email)[:10])
	}

	// 5. Acceptance.
	out.step("5. Accepting, with the right email only")
	_, err = svc.AcceptInvitation(ctx, eve, mail.link(bo.Email))
	if err := expect(err, team.ErrEmailMismatch); err != nil {
		return err
	}
	out.say("Eve opens Bo's forwarded link signed in as %s: refused: %v", eve.Email, err)
	for _, u := range []team.User{bo, cy, dee} {
		m, err := svc.AcceptInvitation(ctx, u, mail.link(u.Email))
		if err != nil {
			return err
		}
		out.say("%s accepts signed in as %s: joins as %s.", u.Name, u.Email, m.Role)
	}
	if err := printMembers(ctx, out, svc, ana.ID, acme.ID); err != nil {
		return err
	}

	// 6. Resources and decisions.
	out.step("6. Members use resources (Authorize)")
	anaAgent := team.Resource{Type: "agent", ID: "agent-1", CreatorID: ana.ID}
	cyAgent := team.Resource{Type: "agent", ID: "agent-2", CreatorID: cy.ID}
	boDoc := team.Resource{Type: "document", ID: "doc-1", CreatorID: bo.ID}
	for _, r := range []team.Resource{anaAgent, cyAgent, boDoc} {
		if err := svc.Authorize(ctx, r.CreatorID, acme.ID, rbac.Create, r); err != nil {
			return err
		}
		things.add(acme.ID, r)
		out.say("%s creates %s %s.", r.CreatorID, r.Type, r.ID)
	}
	decide := func(u team.User, action team.Action, r team.Resource) error {
		err := svc.Authorize(ctx, u.ID, acme.ID, action, r)
		verdict := "allowed"
		switch {
		case errors.Is(err, team.ErrPermissionDenied):
			verdict = "denied (permission)"
		case errors.Is(err, team.ErrNotMember):
			verdict = "denied (not a member)"
		case err != nil:
			return err
		}
		out.say("  %-4s %-6s %-8s %-8s (by %-3s) -> %s", u.ID, action, r.Type, r.ID, r.CreatorID, verdict)
		return nil
	}
	for _, d := range []struct {
		who    team.User
		action team.Action
		res    team.Resource
	}{
		{cy, rbac.Edit, cyAgent},  // member, own
		{cy, rbac.Edit, anaAgent}, // member, someone else's
		{cy, rbac.Use, anaAgent},
		{bo, rbac.Edit, cyAgent}, // admin: any
		{dee, rbac.View, anaAgent},
		{dee, rbac.Use, anaAgent}, // viewer
		{eve, rbac.View, anaAgent},
	} {
		if err := decide(d.who, d.action, d.res); err != nil {
			return err
		}
	}

	// 7. A role change and session epochs.
	out.step("7. Bo promotes Dee; her old session goes stale")
	before, err := svc.SessionEpoch(ctx, dee.ID, acme.ID)
	if err != nil {
		return err
	}
	m, err := svc.ChangeRole(ctx, team.ChangeRoleParams{ActorID: bo.ID, TeamID: acme.ID, UserID: dee.ID, Role: rbac.RoleMember})
	if err != nil {
		return err
	}
	after, err := svc.SessionEpoch(ctx, dee.ID, acme.ID)
	if err != nil {
		return err
	}
	out.say("Dee is now %s; her session epoch rose from %d to %d.", m.Role, before, after)
	if before < after {
		out.say("Dee's session stamped with the old epoch is stale: the host asks her to sign in again.")
	}
	if err := decide(dee, rbac.Use, anaAgent); err != nil {
		return err
	}

	// 8. Usage, billed to the owner.
	out.step("8. Usage is charged to the owner's account")
	charge := func(u team.User, amount int64, key, resource string) (billing.UsageRecord, error) {
		rec, err := svc.RecordUsage(ctx, team.RecordUsageParams{
			ActorID:        u.ID,
			TeamID:         acme.ID,
			Amount:         amount,
			IdempotencyKey: key,
			Metadata:       map[string]string{"resource": resource},
		})
		if err != nil {
			return rec, err
		}
		out.say("%-4s uses %-8s %4d tokens, key %s, record %s charged to account %s.", u.ID, resource, amount, key, rec.ID, rec.AccountID)
		return rec, nil
	}
	first, err := charge(cy, 120, "run-0001", cyAgent.ID)
	if err != nil {
		return err
	}
	retry, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: cy.ID, TeamID: acme.ID, Amount: 120, IdempotencyKey: "run-0001"})
	if err != nil {
		return err
	}
	out.say("A retry with key run-0001 returns record %s again: nothing is charged twice.", retry.ID)
	for _, c := range []struct {
		who    team.User
		amount int64
		key    string
		res    string
	}{{bo, 300, "run-0002", boDoc.ID}, {dee, 45, "run-0003", anaAgent.ID}, {cy, 80, "run-0004", cyAgent.ID}} {
		if _, err := charge(c.who, c.amount, c.key, c.res); err != nil {
			return err
		}
	}
	acct, err = svc.BillingAccount(ctx, ana.ID, acme.ID)
	if err != nil {
		return err
	}
	out.say("Ana's balance: %d -> %d tokens.", anaStart, acct.Balance)
	anaAfterUsage := acct.Balance

	// 9. Analytics.
	out.step("9. Usage per member (UsageSummary)")
	sum, err := svc.UsageSummary(ctx, team.UsageSummaryParams{ActorID: ana.ID, TeamID: acme.ID})
	if err != nil {
		return err
	}
	out.say("  %-6s %8s %8s", "member", "tokens", "charges")
	for _, row := range sum.Members {
		out.say("  %-6s %8d %8d", row.UserID, row.Amount, row.Records)
	}
	out.say("  %-6s %8d %8d", "total", sum.Amount, sum.Records)

	// 10. Ownership transfer.
	out.step("10. Ana transfers the team to Bo")
	boAcct, err := svc.TopUp(ctx, team.TopUpParams{ActorID: bo.ID, TeamID: personals[bo.ID].ID, Amount: 500})
	if err != nil {
		return err
	}
	out.say("Bo's own billing account %s (from registration) holds %d tokens after a top-up.", boAcct.ID, boAcct.Balance)
	err = svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: acme.ID, NewOwnerID: bo.ID, ConfirmNewOwnerID: cy.ID})
	if err := expect(err, team.ErrConfirmationMismatch); err != nil {
		return err
	}
	out.say("A transfer confirmed for the wrong person is refused: %v", err)
	err = svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: acme.ID, NewOwnerID: bo.ID, ConfirmNewOwnerID: bo.ID})
	if err := expect(err, team.ErrSubscriptionRequired); err != nil {
		return err
	}
	out.say("Bo, on the FREE plan, may not own a collaboration team yet (OWN-5): %v", err)
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: bo.ID, TeamID: personals[bo.ID].ID, Plan: billing.PlanTeam}); err != nil {
		return err
	}
	out.say("Bo subscribes to TEAM.")
	if err := svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: acme.ID, NewOwnerID: bo.ID, ConfirmNewOwnerID: bo.ID}); err != nil {
		return err
	}
	acme, err = svc.Team(ctx, bo.ID, acme.ID)
	if err != nil {
		return err
	}
	out.say("Owner of %s is now %s.", acme.Name, acme.OwnerID)
	if err := printMembers(ctx, out, svc, bo.ID, acme.ID); err != nil {
		return err
	}
	next, err := charge(cy, 60, "run-0005", cyAgent.ID)
	if err != nil {
		return err
	}
	if next.AccountID != boAcct.ID || first.AccountID == boAcct.ID {
		return fmt.Errorf("charge after transfer went to %s, want Bo's account %s", next.AccountID, boAcct.ID)
	}
	boNow, err := svc.BillingAccount(ctx, bo.ID, acme.ID)
	if err != nil {
		return err
	}
	anaNow, err := svc.BillingAccount(ctx, ana.ID, personal.ID)
	if err != nil {
		return err
	}
	out.say("The next charge hits Bo's account: Bo %d -> %d tokens; Ana stays at %d (was %d).",
		boAcct.Balance, boNow.Balance, anaNow.Balance, anaAfterUsage)
	out.say("Earlier records keep their account: record %s stays on %s.", first.ID, first.AccountID)

	// 11. Deletion.
	out.step("11. Bo deletes the team")
	err = svc.DeleteTeam(ctx, bo.ID, acme.ID)
	var remain *team.ResourcesRemainError
	if !errors.As(err, &remain) {
		return fmt.Errorf("deleting a team with resources: got %v, want a *team.ResourcesRemainError", err)
	}
	out.say("Refused while resources remain:")
	for _, typ := range slices.Sorted(maps.Keys(remain.Counts)) {
		out.say("  %-10s %d", typ, remain.Counts[typ])
	}
	for _, r := range things.list(acme.ID) {
		if err := svc.Authorize(ctx, bo.ID, acme.ID, rbac.Delete, r); err != nil {
			return err
		}
		things.remove(acme.ID, r.ID)
		out.say("Bo deletes %s %s.", r.Type, r.ID)
	}
	if err := svc.DeleteTeam(ctx, bo.ID, acme.ID); err != nil {
		return err
	}
	out.say("Team %s is deleted: its memberships and pending invitations are gone.", acme.ID)
	_, err = svc.Team(ctx, cy.ID, acme.ID)
	if err := expect(err, team.ErrNotMember); err != nil {
		return err
	}
	out.say("Cy asks for it: %v", err)

	// 12. The audit trail survives.
	out.step("12. The audit trail (HostAuditLog) and its chain")
	q := audit.Query{Limit: 4} // small pages, to show the cursor
	pages, events := 0, 0
	for {
		page, err := svc.HostAuditLog(ctx, acme.ID, q)
		if err != nil {
			return err
		}
		pages++
		for _, e := range page.Events {
			events++
			out.say("  #%-2d %s %-4s %-22s %-7s %s", e.Seq, e.Time.Format(time.TimeOnly), e.ActorID, e.Action, e.Target, details(e.Details))
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if err := svc.VerifyAuditChain(ctx, acme.ID); err != nil {
		return err
	}
	out.say("%d events in %d pages; chain verified.", events, pages)
	return out.err
}

// printMembers prints the team's members as a table.
func printMembers(ctx context.Context, out *narrator, svc *team.Service, actorID, teamID string) error {
	members, err := svc.Members(ctx, actorID, teamID)
	if err != nil {
		return err
	}
	out.say("  %-5s %-16s %-7s %-8s %s", "user", "email", "role", "joined", "epoch")
	for _, m := range members {
		out.say("  %-5s %-16s %-7s %-8s %d", m.UserID, m.Email, m.Role, m.JoinedAt.Format(time.TimeOnly), m.Epoch)
	}
	return nil
}

// expect returns nil when err matches want, else an error saying so.
func expect(err, want error) error {
	if errors.Is(err, want) {
		return nil
	}
	return fmt.Errorf("got error %v, want one matching %v", err, want)
}

// details formats an event's details sorted by key.
func details(d map[string]string) string {
	parts := make([]string, 0, len(d))
	for _, k := range slices.Sorted(maps.Keys(d)) {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, " ")
}

// narrator prints lines and keeps the first write error.
type narrator struct {
	w   io.Writer
	err error
}

func (n *narrator) say(format string, args ...any) {
	if n.err == nil {
		_, n.err = fmt.Fprintf(n.w, format+"\n", args...)
	}
}

func (n *narrator) step(title string) {
	if n.err == nil {
		_, n.err = fmt.Fprintf(n.w, "\n== %s\n", title)
	}
}

// clock is a fake clock that moves one second forward on every reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(start time.Time) *clock { return &clock{t: start} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// sequence hands out record IDs id-001, id-002, ...
type sequence struct {
	mu sync.Mutex
	n  int
}

func newSequence() *sequence { return &sequence{} }

func (s *sequence) next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("id-%03d", s.n)
}

// mailbox is the story's Notifier: it "emails" each invitation link by
// keeping the newest token per address.
type mailbox struct {
	mu    sync.Mutex
	links map[string]string
}

func (m *mailbox) NotifyInvitation(_ context.Context, msg team.InvitationMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links[msg.Invitation.Email] = msg.Token
	return nil
}

func (m *mailbox) link(email string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.links[email]
}

// resources is the host's own resource storage, reduced to what the story
// needs: it answers the service's CountResources before a deletion.
type resources struct {
	mu     sync.Mutex
	byTeam map[string]map[string]team.Resource
}

func (r *resources) add(teamID string, res team.Resource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byTeam[teamID] == nil {
		r.byTeam[teamID] = map[string]team.Resource{}
	}
	r.byTeam[teamID][res.ID] = res
}

func (r *resources) remove(teamID, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byTeam[teamID], id)
}

// list returns the team's resources by ID.
func (r *resources) list(teamID string) []team.Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]team.Resource, 0, len(r.byTeam[teamID]))
	for _, id := range slices.Sorted(maps.Keys(r.byTeam[teamID])) {
		out = append(out, r.byTeam[teamID][id])
	}
	return out
}

// CountResources counts the team's resources by type, in plural ("agents").
func (r *resources) CountResources(_ context.Context, teamID string) (map[string]int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := map[string]int{}
	for _, res := range r.byTeam[teamID] {
		counts[res.Type+"s"]++
	}
	return counts, nil
}
