// Package team is the service a host application calls for teams and access
// control: personal and collaboration teams, members and roles, invitations,
// ownership transfer, deletion guarded by the host's resources, resource
// authorization, usage billed to the team owner, and the audit log.
//
// A host builds one Service over a Store (store.NewMemory for tests and
// examples, store/postgres in production) and calls it from its handlers.
// Every method that changes state is one unit of work of the Store, with its
// audit event written in the same unit, and every refusal is an error that
// errors.Is matches against a sentinel of this package (ErrPermissionDenied,
// ErrSeatLimit, ErrResourcesRemain, ...), decided before anything is written.
//
//	svc, err := team.New(store.NewMemory(), team.WithNotifier(mailer))
//	personal, err := svc.EnsurePersonalTeam(ctx, team.User{ID: "ana", Email: "ana@example.com"})
//	acme, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
//	res, err := svc.Invite(ctx, team.InviteParams{ActorID: "ana", TeamID: acme.ID, Email: "bo@example.com", Role: rbac.RoleAdmin})
//	err = svc.Authorize(ctx, "bo", acme.ID, rbac.Edit, team.Resource{Type: "agent", ID: "a1", CreatorID: "ana"})
//
// Authorize, Permissions and SessionEpoch answer from an in-process
// membership index when the Store reports its changes (ChangeNotifier:
// store.Memory and store/postgres do), without a query and without
// allocating; WithMembershipCache says what that guarantees across
// processes, and WithStrictAuthorization turns it off.
//
// The Store interface is the persistence contract, defined here where it is
// used: records and queries only, no business rules. storetest.Run checks an
// implementation against every sentence of it.
package team
