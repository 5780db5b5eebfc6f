package team_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// mailbox is an example Notifier that keeps the last link token per email.
type mailbox map[string]string

func (m mailbox) NotifyInvitation(_ context.Context, msg team.InvitationMessage) error {
	m[msg.Invitation.Email] = msg.Token
	return nil
}

// newExampleService returns a service on the memory store with a fixed
// clock, so the examples print the same output every time.
func newExampleService(opts ...team.Option) (*team.Service, mailbox) {
	mail := mailbox{}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	opts = append([]team.Option{
		team.WithNotifier(mail),
		team.WithClock(func() time.Time { now = now.Add(time.Second); return now }),
	}, opts...)
	svc, err := team.New(store.NewMemory(), opts...)
	if err != nil {
		panic(err)
	}
	return svc, mail
}

// subscribe puts u on the TEAM plan with a balance, as a host does when
// the user buys a plan; u acts in their own personal team.
func subscribe(ctx context.Context, svc *team.Service, u team.User, tokens int64) {
	personal, err := svc.EnsurePersonalTeam(ctx, u)
	if err != nil {
		panic(err)
	}
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: u.ID, TeamID: personal.ID, Plan: billing.PlanTeam}); err != nil {
		panic(err)
	}
	if tokens == 0 {
		return
	}
	if _, err := svc.TopUp(ctx, team.TopUpParams{ActorID: u.ID, TeamID: personal.ID, Amount: tokens}); err != nil {
		panic(err)
	}
}

// Register a user: their personal team appears, and registering again
// returns the same team (TEAM-1).
func ExampleService_EnsurePersonalTeam() {
	ctx := context.Background()
	svc, _ := newExampleService()
	ana := team.User{ID: "ana", Email: "Ana@Example.com", Name: "Ana"}

	first, _ := svc.EnsurePersonalTeam(ctx, ana)
	again, _ := svc.EnsurePersonalTeam(ctx, ana)
	fmt.Println(first.Kind, first.Name, first.OwnerID, first.ID == again.ID)
	// Output: personal Ana ana true
}

// Create a collaboration team, invite a member and accept the invitation
// with the token the Notifier delivered (TEAM-4, INV-1, INV-5).
func ExampleService_Invite() {
	ctx := context.Background()
	svc, mail := newExampleService()
	ana := team.User{ID: "ana", Email: "ana@example.com"}
	bo := team.User{ID: "bo", Email: "bo@example.com"}

	_, _ = svc.EnsurePersonalTeam(ctx, ana) // registration opens a FREE account
	_, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	fmt.Println("on the FREE plan:", errors.Is(err, team.ErrSubscriptionRequired))

	subscribe(ctx, svc, ana, 100)
	acme, _ := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	inv, _ := svc.Invite(ctx, team.InviteParams{ActorID: ana.ID, TeamID: acme.ID, Email: "bo@example.com", Role: rbac.RoleAdmin})
	fmt.Println("invitation:", inv.Invitation.Email, inv.Invitation.Role, inv.Invitation.Status)

	_, err = svc.AcceptInvitation(ctx, team.User{ID: "eve", Email: "eve@example.com"}, mail["bo@example.com"])
	fmt.Println("wrong email:", errors.Is(err, team.ErrEmailMismatch))
	m, _ := svc.AcceptInvitation(ctx, bo, mail["bo@example.com"])
	fmt.Println("member:", m.UserID, m.Role)
	// Output:
	// on the FREE plan: true
	// invitation: bo@example.com admin pending
	// wrong email: true
	// member: bo admin
}

// Authorize decides resource actions from the member's current role: a
// Member edits only what they created, a Viewer only views (RES-1, RES-2).
func ExampleService_Authorize() {
	ctx := context.Background()
	svc, mail := newExampleService()
	ana := team.User{ID: "ana", Email: "ana@example.com"}
	cy := team.User{ID: "cy", Email: "cy@example.com"}
	subscribe(ctx, svc, ana, 0)
	acme, _ := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	_, _ = svc.Invite(ctx, team.InviteParams{ActorID: ana.ID, TeamID: acme.ID, Email: cy.Email, Role: rbac.RoleMember})
	_, _ = svc.AcceptInvitation(ctx, cy, mail[cy.Email])

	own := team.Resource{Type: "agent", ID: "a1", CreatorID: "cy"}
	anas := team.Resource{Type: "agent", ID: "a2", CreatorID: "ana"}
	fmt.Println("cy edits own:", svc.Authorize(ctx, "cy", acme.ID, rbac.Edit, own) == nil)
	fmt.Println("cy edits ana's:", errors.Is(svc.Authorize(ctx, "cy", acme.ID, rbac.Edit, anas), team.ErrPermissionDenied))
	fmt.Println("cy uses ana's:", svc.Authorize(ctx, "cy", acme.ID, rbac.Use, anas) == nil)
	fmt.Println("stranger views:", errors.Is(svc.Authorize(ctx, "eve", acme.ID, rbac.View, anas), team.ErrNotMember))
	// Output:
	// cy edits own: true
	// cy edits ana's: true
	// cy uses ana's: true
	// stranger views: true
}

// Usage is charged to the team owner's account; after an ownership
// transfer new usage goes to the new owner (BILL-1, OWN-2).
func ExampleService_TransferOwnership() {
	ctx := context.Background()
	svc, mail := newExampleService()
	ana := team.User{ID: "ana", Email: "ana@example.com"}
	bo := team.User{ID: "bo", Email: "bo@example.com"}
	subscribe(ctx, svc, ana, 100)
	subscribe(ctx, svc, bo, 100)
	acme, _ := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	_, _ = svc.Invite(ctx, team.InviteParams{ActorID: ana.ID, TeamID: acme.ID, Email: bo.Email, Role: rbac.RoleAdmin})
	_, _ = svc.AcceptInvitation(ctx, bo, mail[bo.Email])

	before, _ := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: "bo", TeamID: acme.ID, Amount: 30, IdempotencyKey: "run-1"})
	err := svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: "ana", TeamID: acme.ID, NewOwnerID: "bo", ConfirmNewOwnerID: "cy"})
	fmt.Println("unconfirmed:", errors.Is(err, team.ErrConfirmationMismatch))
	_ = svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: "ana", TeamID: acme.ID, NewOwnerID: "bo", ConfirmNewOwnerID: "bo"})
	after, _ := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: "bo", TeamID: acme.ID, Amount: 20, IdempotencyKey: "run-2"})

	owners, _ := svc.BillingAccount(ctx, "bo", acme.ID) // acme's account is now bo's
	fmt.Println("charges before and after on different accounts:", before.AccountID != after.AccountID)
	fmt.Println("new owner's balance:", owners.Balance)
	// Output:
	// unconfirmed: true
	// charges before and after on different accounts: true
	// new owner's balance: 80
}

// Deletion is refused while the host still holds resources in the team,
// with the counts by type (DEL-2).
func ExampleService_DeleteTeam() {
	ctx := context.Background()
	left := map[string]int{"agents": 2, "documents": 1}
	svc, _ := newExampleService(team.WithResourceCounter(team.ResourceCounterFunc(
		func(context.Context, string) (map[string]int, error) { return left, nil })))
	ana := team.User{ID: "ana", Email: "ana@example.com"}
	subscribe(ctx, svc, ana, 0)
	acme, _ := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})

	err := svc.DeleteTeam(ctx, "ana", acme.ID)
	var remain *team.ResourcesRemainError
	if errors.As(err, &remain) {
		fmt.Println("refused:", remain.Counts["agents"], "agents,", remain.Counts["documents"], "document")
	}
	left = map[string]int{}
	fmt.Println("after cleanup:", svc.DeleteTeam(ctx, "ana", acme.ID))
	// Output:
	// refused: 2 agents, 1 document
	// after cleanup: <nil>
}

// Owners and admins read the audit log page by page; the chain verifies
// (AUD-3, AUD-4).
func ExampleService_AuditLog() {
	ctx := context.Background()
	svc, _ := newExampleService()
	ana := team.User{ID: "ana", Email: "ana@example.com"}
	subscribe(ctx, svc, ana, 0)
	acme, _ := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	_, _ = svc.Invite(ctx, team.InviteParams{ActorID: "ana", TeamID: acme.ID, Email: "bo@example.com", Role: rbac.RoleMember})
	_, _ = svc.RecordEvent(ctx, team.RecordEventParams{ActorID: "ana", TeamID: acme.ID, Action: "document.exported", Target: "doc-7"})

	page, _ := svc.AuditLog(ctx, team.AuditLogParams{ActorID: "ana", TeamID: acme.ID, Query: audit.Query{Limit: 2}})
	for page.NextCursor != "" || len(page.Events) > 0 {
		for _, e := range page.Events {
			fmt.Println(e.Seq, e.Action, e.Target == "doc-7")
		}
		if page.NextCursor == "" {
			break
		}
		page, _ = svc.AuditLog(ctx, team.AuditLogParams{ActorID: "ana", TeamID: acme.ID, Query: audit.Query{Limit: 2, Cursor: page.NextCursor}})
	}
	fmt.Println("chain:", svc.VerifyAuditChain(ctx, acme.ID))
	// Output:
	// 1 team.created false
	// 2 invitation.sent false
	// 3 document.exported true
	// chain: <nil>
}
