// Command platform tells the story of teamkit's second product preset,
// rbac.Platform(): a personal account upgraded in place to a team account,
// a Finance Admin who sees billing but no resources, a Basic User who sees
// only what they created, a Developer who edits anything, and the 50-seat
// limit.
//
//	go run ./examples/platform
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "platform:", err)
		os.Exit(1)
	}
}

var (
	lee = team.User{ID: "lee", Email: "lee@example.com", Name: "Lee"}
	fay = team.User{ID: "fay", Email: "fay@example.com", Name: "Fay"}
	bas = team.User{ID: "bas", Email: "bas@example.com", Name: "Bas"}
	dev = team.User{ID: "dev", Email: "dev@example.com", Name: "Dev"}
)

// run tells the story to w, the service built with the production defaults
// and opts (the test passes sequential IDs). It returns an error when a step
// does not behave as the story expects.
func run(ctx context.Context, w io.Writer, opts ...team.Option) error {
	out := &narrator{w: w}
	links := map[string]string{} // email -> newest invitation token
	svc, err := team.New(store.NewMemory(), append([]team.Option{
		team.WithPolicy(rbac.Platform()),
		team.WithNotifier(team.NotifierFunc(func(_ context.Context, msg team.InvitationMessage) error {
			links[msg.Invitation.Email] = msg.Token
			return nil
		})),
	}, opts...)...)
	if err != nil {
		return err
	}

	// 1. A personal account becomes a team account.
	out.step("1. Lee turns a personal account into a team account")
	personal, err := svc.EnsurePersonalTeam(ctx, lee)
	if err != nil {
		return err
	}
	out.say("Lee registers: personal team %q (%s).", personal.Name, personal.ID)
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: lee.ID, TeamID: personal.ID, Plan: billing.PlanTeam}); err != nil {
		return err
	}
	if _, err := svc.TopUp(ctx, team.TopUpParams{ActorID: lee.ID, TeamID: personal.ID, Amount: 5000}); err != nil {
		return err
	}
	out.say("Lee subscribes to TEAM and tops up 5000 tokens.")
	lab, newPersonal, err := svc.UpgradeToCollaboration(ctx, team.UpgradeToCollaborationParams{ActorID: lee.ID, TeamID: personal.ID, Name: "Lee Labs"})
	if err != nil {
		return err
	}
	out.say("Upgraded in place: %s is now %q, kind %s; its resources and audit trail stay.", lab.ID, lab.Name, lab.Kind)
	out.say("Lee got a new, empty personal team %q (%s).", newPersonal.Name, newPersonal.ID)
	_, _, err = svc.UpgradeToCollaboration(ctx, team.UpgradeToCollaborationParams{ActorID: lee.ID, TeamID: lab.ID})
	if !errors.Is(err, team.ErrInvalidInput) {
		return fmt.Errorf("upgrading twice: got %v, want ErrInvalidInput", err)
	}
	out.say("There is no downgrade: no API turns a team account back into a personal one. Upgrading again is refused: %s", team.PublicMessage(err))

	// 2. Members with Platform roles.
	out.step("2. Lee invites a Finance Admin, a Basic User and a Developer")
	for _, inv := range []struct {
		who  team.User
		role string
	}{{fay, rbac.RoleFinanceAdmin}, {bas, rbac.RoleBasicUser}, {dev, rbac.RoleDeveloper}} {
		if _, err := svc.EnsurePersonalTeam(ctx, inv.who); err != nil {
			return err
		}
		if _, err := svc.Invite(ctx, team.InviteParams{ActorID: lee.ID, TeamID: lab.ID, Email: inv.who.Email, Role: inv.role}); err != nil {
			return err
		}
		m, err := svc.AcceptInvitation(ctx, inv.who, links[inv.who.Email])
		if err != nil {
			return err
		}
		out.say("%s joins as %s.", inv.who.Name, m.Role)
	}

	leeModel := team.Resource{Type: "model", ID: "model-1", CreatorID: lee.ID}
	basReport := team.Resource{Type: "report", ID: "report-1", CreatorID: bas.ID}
	devNotebook := team.Resource{Type: "notebook", ID: "nb-1", CreatorID: dev.ID}
	decide := func(u team.User, action team.Action, r team.Resource) (bool, error) {
		err := svc.Authorize(ctx, u.ID, lab.ID, action, r)
		switch {
		case err == nil:
			out.say("  %-3s %-6s %-8s %-8s (by %s) -> allowed", u.ID, action, r.Type, r.ID, r.CreatorID)
			return true, nil
		case errors.Is(err, team.ErrPermissionDenied):
			out.say("  %-3s %-6s %-8s %-8s (by %s) -> denied", u.ID, action, r.Type, r.ID, r.CreatorID)
			return false, nil
		}
		return false, err
	}

	// 3. Basic User: only their own.
	out.step("3. The Basic User sees only what they created")
	for _, d := range []struct {
		action team.Action
		res    team.Resource
	}{{rbac.Create, basReport}, {rbac.View, basReport}, {rbac.Edit, basReport}, {rbac.View, leeModel}, {rbac.Use, leeModel}} {
		if _, err := decide(bas, d.action, d.res); err != nil {
			return err
		}
	}
	if _, err := svc.RecordUsage(ctx, team.RecordUsageParams{
		ActorID:        bas.ID,
		TeamID:         lab.ID,
		Amount:         50,
		IdempotencyKey: "report-1-run",
		Metadata:       map[string]string{"resource": basReport.ID},
	}); err != nil {
		return err
	}
	out.say("Bas runs %s: 50 tokens.", basReport.ID)

	// 4. Developer: every resource.
	out.step("4. The Developer works on any resource")
	for _, d := range []struct {
		action team.Action
		res    team.Resource
	}{{rbac.Create, devNotebook}, {rbac.Edit, leeModel}, {rbac.Delete, basReport}} {
		if _, err := decide(dev, d.action, d.res); err != nil {
			return err
		}
	}
	rec, err := svc.RecordUsage(ctx, team.RecordUsageParams{
		ActorID:        dev.ID,
		TeamID:         lab.ID,
		Amount:         700,
		IdempotencyKey: "train-1",
		Metadata:       map[string]string{"resource": leeModel.ID},
	})
	if err != nil {
		return err
	}
	out.say("Dev trains %s: %d tokens charged to Lee's account %s.", leeModel.ID, rec.Amount, rec.AccountID)
	_, err = svc.Invite(ctx, team.InviteParams{ActorID: dev.ID, TeamID: lab.ID, Email: "someone@example.com", Role: rbac.RoleBasicUser})
	if !errors.Is(err, team.ErrPermissionDenied) {
		return fmt.Errorf("developer inviting: got %v, want ErrPermissionDenied", err)
	}
	out.say("Dev may not manage members: inviting is denied.")

	// 5. Finance Admin: billing, no resources.
	out.step("5. The Finance Admin sees billing and usage, no resources")
	acct, err := svc.BillingAccount(ctx, fay.ID, lab.ID)
	if err != nil {
		return err
	}
	out.say("Fay reads the billing account: plan %s, balance %d tokens.", acct.Plan, acct.Balance)
	sum, err := svc.UsageSummary(ctx, team.UsageSummaryParams{ActorID: fay.ID, TeamID: lab.ID})
	if err != nil {
		return err
	}
	out.say("Fay reads usage analytics: %d tokens in %d charges.", sum.Amount, sum.Records)
	for _, row := range sum.Members {
		out.say("  %-4s %5d tokens", row.UserID, row.Amount)
	}
	if err := usageTable(ctx, svc, out, fay.ID, lab.ID, time.Now()); err != nil {
		return err
	}
	for _, r := range []team.Resource{leeModel, basReport} {
		if _, err := decide(fay, rbac.View, r); err != nil {
			return err
		}
	}
	_, err = svc.UsageSummary(ctx, team.UsageSummaryParams{ActorID: bas.ID, TeamID: lab.ID})
	if !errors.Is(err, team.ErrPermissionDenied) {
		return fmt.Errorf("basic user reading usage: got %v, want ErrPermissionDenied", err)
	}
	out.say("Bas may not read usage analytics: denied.")

	// 6. Seats.
	out.step("6. The 50-seat limit")
	members, err := svc.Members(ctx, lee.ID, lab.ID)
	if err != nil {
		return err
	}
	invited := 0
	for {
		_, err := svc.Invite(ctx, team.InviteParams{ActorID: lee.ID, TeamID: lab.ID, Email: fmt.Sprintf("guest%02d@example.com", invited+1)})
		if err != nil {
			var seats *team.SeatLimitError
			if !errors.As(err, &seats) {
				return fmt.Errorf("inviting guest %d: %w", invited+1, err)
			}
			out.say("%d members + %d pending invitations = %d of %d seats; invitation %d is refused: %s",
				len(members), invited, seats.Used, seats.Limit, invited+1, team.PublicMessage(err))
			break
		}
		invited++
		if invited > 2*team.DefaultSeatLimit {
			return fmt.Errorf("%d invitations accepted: the seat limit was never enforced", invited)
		}
	}
	return out.err
}

// usageTable prints each member's usage of the last 7 days (today
// included, days in UTC) as a table, from one UsageSeries call (BILL-10).
func usageTable(ctx context.Context, svc *team.Service, out *narrator, actorID, teamID string, now time.Time) error {
	to := billing.NextBucket(billing.BucketStart(now, billing.BucketDay, time.UTC), billing.BucketDay, time.UTC)
	from := to.AddDate(0, 0, -7)
	points, err := svc.UsageSeries(ctx, team.UsageSeriesParams{ActorID: actorID, TeamID: teamID, From: from, To: to})
	if err != nil {
		return err
	}
	rows := map[string][]int64{}
	var users []string
	for _, p := range points {
		if rows[p.UserID] == nil {
			rows[p.UserID] = make([]int64, 7)
			users = append(users, p.UserID)
		}
		rows[p.UserID][int(p.Start.Sub(from)/(24*time.Hour))] += p.Amount
	}
	slices.Sort(users)
	header := "  member"
	for d := range 7 {
		header += fmt.Sprintf(" %6s", from.AddDate(0, 0, d).Format("01-02"))
	}
	out.say("Usage per member, last 7 days (UTC):")
	out.say("%s  total", header)
	for _, u := range users {
		line, total := fmt.Sprintf("  %-6s", u), int64(0)
		for _, a := range rows[u] {
			line += fmt.Sprintf(" %6d", a)
			total += a
		}
		out.say("%s %6d", line, total)
	}
	return nil
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
