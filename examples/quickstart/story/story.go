// Package story tells teamkit's collaboration-team story on any team.Store:
// Ana registers, subscribes, creates a team, invites Bo and Cy, lets them
// use resources billed to her, changes a role, hands the team to Bo, who
// deletes it, and the audit chain is verified. Refusals print what a host
// shows the caller: team.Code and team.PublicMessage (SEC-4). It runs on the
// in-memory store in examples/quickstart and on a SQLite file in
// store/sqlite's cmd/quickstart, where a later run finds an earlier's data.
package story

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// The people of the story; the host has verified their emails.
var (
	ana = team.User{ID: "ana", Email: "ana@example.com", Name: "Ana"}
	bo  = team.User{ID: "bo", Email: "bo@example.com", Name: "Bo"}
	cy  = team.User{ID: "cy", Email: "cy@example.com", Name: "Cy"}
	eve = team.User{ID: "eve", Email: "eve@example.com", Name: "Eve"}
)

// Run tells the story to w on st, the service built with opts (tests fix
// the clock, IDs and random source); it fails when a step goes otherwise.
// The users' IDs are fixed, so it runs again on the data of an earlier run:
// it then says what it found, tops Ana up to 1000 and creates a new team.
func Run(ctx context.Context, w io.Writer, st team.Store, opts ...team.Option) error {
	var werr error
	say := func(format string, args ...any) {
		if werr == nil {
			_, werr = fmt.Fprintf(w, format+"\n", args...)
		}
	}
	// refused prints what the caller is shown; want is the refusal expected.
	refused := func(what string, err, want error) error {
		if !errors.Is(err, want) {
			return fmt.Errorf("%s: got %v, want an error matching %v", what, err, want)
		}
		say("%s: refused [%s] %s", what, team.Code(err), team.PublicMessage(err))
		return nil
	}
	agents := 0 // the host's own data: how many agents the team holds
	svc, err := team.New(st, append([]team.Option{
		team.WithPolicy(rbac.Standard()),
		team.WithResourceCounter(team.ResourceCounterFunc(func(context.Context, string) (map[string]int, error) {
			return map[string]int{"agent": agents}, nil
		})),
	}, opts...)...)
	if err != nil {
		return err
	}

	say("== 1. Ana registers and subscribes")
	personal, err := svc.EnsurePersonalTeam(ctx, ana) // idempotent: call it at every sign-up
	if err != nil {
		return err
	}
	acct, err := svc.BillingAccount(ctx, ana.ID, personal.ID)
	if err != nil {
		return err
	}
	plan := "switches to " + string(billing.PlanTeam)
	if acct.Plan == billing.PlanFree {
		say("Ana gets her personal team %q and a billing account on the FREE plan.", personal.Name)
		_, err = svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
		if err := refused("Creating a team on FREE", err, team.ErrSubscriptionRequired); err != nil {
			return err
		}
		if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: ana.ID, TeamID: personal.ID, Plan: billing.PlanTeam}); err != nil {
			return err
		}
	} else { // the store kept an earlier run's data
		say("Ana is back: her team %q and %s account with %d tokens are as a run left them.", personal.Name, acct.Plan, acct.Balance)
		plan = "stays on " + string(acct.Plan)
	}
	if acct.Balance < 1000 {
		if acct, err = svc.TopUp(ctx, team.TopUpParams{ActorID: ana.ID, TeamID: personal.ID, Amount: 1000 - acct.Balance}); err != nil {
			return err
		}
	}
	say("Ana %s and tops up: %d tokens.", plan, acct.Balance)

	say("\n== 2. Ana creates a team and invites Bo and Cy")
	acme, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	if err != nil {
		return err
	}
	say("Team %q is created; Ana owns it and its usage is billed to her.", acme.Name)
	links := map[string]string{}
	for _, inv := range []struct {
		who  team.User
		role string
	}{{bo, rbac.RoleAdmin}, {cy, rbac.RoleMember}} {
		res, err := svc.Invite(ctx, team.InviteParams{ActorID: ana.ID, TeamID: acme.ID, Email: inv.who.Email, Role: inv.role})
		if err != nil {
			return err
		}
		links[inv.who.Email] = res.Token // the host mails https://app.example.com/join?token=...
		say("Invitation for %s as %s, valid until %s; its token goes into the link.",
			res.Invitation.Email, res.Invitation.Role, res.Invitation.ExpiresAt.Format("2006-01-02"))
	}
	_, err = svc.AcceptInvitation(ctx, eve, links[bo.Email])
	if err := refused("Eve opens Bo's link", err, team.ErrEmailMismatch); err != nil {
		return err
	}
	for _, u := range []team.User{bo, cy} {
		m, err := svc.AcceptInvitation(ctx, u, links[u.Email])
		if err != nil {
			return err
		}
		say("%s accepts and joins as %s.", u.Name, m.Role)
	}

	say("\n== 3. Cy works with an agent; usage is billed to Ana")
	agent := team.Resource{Type: "agent", ID: "agent-1", CreatorID: cy.ID}
	if err := svc.Authorize(ctx, cy.ID, acme.ID, rbac.Create, agent); err != nil {
		return err
	}
	agents++
	say("Cy may create agent-1 (members create and edit their own); the host stores it.")
	for range 2 { // a retry with the same key charges once
		if _, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: cy.ID, TeamID: acme.ID, Amount: 120, IdempotencyKey: "run-1"}); err != nil {
			return err
		}
	}
	acct, err = svc.BillingAccount(ctx, ana.ID, acme.ID)
	if err != nil {
		return err
	}
	say("Cy runs agent-1 for 120 tokens (sent twice, charged once); Ana's balance: %d.", acct.Balance)
	_, err = svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: cy.ID, TeamID: acme.ID, Amount: 5000, IdempotencyKey: "run-2"})
	if err := refused("Cy runs a job of 5000 tokens", err, team.ErrInsufficientBalance); err != nil {
		return err
	}
	_, err = svc.BillingAccount(ctx, cy.ID, acme.ID)
	if err := refused("Cy asks for the balance", err, team.ErrPermissionDenied); err != nil {
		return err
	}

	say("\n== 4. Bo makes Cy a viewer")
	before, err := svc.SessionEpoch(ctx, cy.ID, acme.ID)
	if err != nil {
		return err
	}
	if _, err := svc.ChangeRole(ctx, team.ChangeRoleParams{ActorID: bo.ID, TeamID: acme.ID, UserID: cy.ID, Role: rbac.RoleViewer}); err != nil {
		return err
	}
	after, err := svc.SessionEpoch(ctx, cy.ID, acme.ID)
	if err != nil {
		return err
	}
	// The host stamps the epoch into sessions and signs members in again when it changes.
	if after == before {
		return fmt.Errorf("session epoch stayed %d after a role change", after)
	}
	say("Cy is now a viewer; Cy's session epoch changed, so the host signs Cy in again.")
	err = svc.Authorize(ctx, cy.ID, acme.ID, rbac.Edit, agent)
	if err := refused("Cy edits agent-1", err, team.ErrPermissionDenied); err != nil {
		return err
	}

	say("\n== 5. Ana hands the team to Bo, who deletes it")
	if _, err := svc.EnsurePersonalTeam(ctx, bo); err != nil { // Bo signed up: he has a billing account
		return err
	}
	if err := svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: acme.ID, NewOwnerID: bo.ID, ConfirmNewOwnerID: bo.ID}); err != nil {
		return err
	}
	members, err := svc.Members(ctx, bo.ID, acme.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		say("  %-4s %s", m.UserID, m.Role)
	}
	err = svc.DeleteTeam(ctx, bo.ID, acme.ID)
	if err := refused("Bo deletes Acme", err, team.ErrResourcesRemain); err != nil {
		return err
	}
	agents-- // the host deletes agent-1
	if err := svc.DeleteTeam(ctx, bo.ID, acme.ID); err != nil {
		return err
	}
	page, err := svc.HostAuditLog(ctx, acme.ID, audit.Query{})
	if err != nil {
		return err
	}
	if err := svc.VerifyAuditChain(ctx, acme.ID); err != nil {
		return err
	}
	say("With agent-1 gone, Acme is deleted; its audit trail of %d events stays and verifies.", len(page.Events))
	return werr
}
