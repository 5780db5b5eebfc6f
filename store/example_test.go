package store_test

import (
	"context"
	"fmt"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// NewMemory backs a team.Service in tests, examples and single-process
// hosts; Snapshot lets a test look at every stored record.
func ExampleNewMemory() {
	ctx := context.Background()
	mem := store.NewMemory()
	svc, err := team.New(mem)
	if err != nil {
		panic(err)
	}
	ada := team.User{ID: "u-ada", Email: "ada@example.com", Name: "Ada"}
	personal, err := svc.EnsurePersonalTeam(ctx, ada)
	if err != nil {
		panic(err)
	}
	// Authorize reads the membership straight from the store.
	fmt.Println(personal.Kind, svc.Authorize(ctx, ada.ID, personal.ID, rbac.Delete, team.Resource{Type: "agent", CreatorID: "u-bob"}))

	snap := mem.Snapshot()
	fmt.Println(len(snap.Teams), "team,", len(snap.Members), "member,", len(snap.Accounts), "account,",
		len(snap.AuditEvents[personal.ID]), "audit event")
	// Output:
	// personal <nil>
	// 1 team, 1 member, 1 account, 1 audit event
}

// A unit of work commits when fn returns nil and leaves no trace when it
// returns an error.
func ExampleMemory_InTx() {
	ctx := context.Background()
	mem := store.NewMemory()
	insert := func(id string, fail bool) error {
		return mem.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			if err := tx.InsertTeam(ctx, team.Team{ID: id, Kind: team.Collaboration, Name: id, OwnerID: "u-ada"}); err != nil {
				return err
			}
			if fail {
				return fmt.Errorf("changed my mind")
			}
			return nil
		})
	}
	fmt.Println(insert("t-kept", false))
	fmt.Println(insert("t-dropped", true))
	_, err := mem.Team(ctx, "t-dropped")
	fmt.Println(err)
	t, _ := mem.Team(ctx, "t-kept")
	fmt.Println(t.Name)
	// Output:
	// <nil>
	// changed my mind
	// store: team "t-dropped": teamkit: not found
	// t-kept
}
