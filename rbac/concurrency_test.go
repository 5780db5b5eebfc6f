package rbac_test

import (
	"strconv"
	"sync"
	"testing"

	"github.com/teamkit/teamkit/rbac"
)

// Rule SEC-3: policies are immutable and safe for concurrent use; run with -race.
func TestPolicyConcurrentUse_SEC3(t *testing.T) {
	custom, err := validBuilder().Build()
	if err != nil {
		t.Fatal(err)
	}
	const goroutines = 32
	const rounds = 200
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				// Presets are created lazily: call them concurrently too.
				for _, p := range []*rbac.Policy{rbac.Standard(), rbac.Platform(), custom} {
					roles := p.Roles()
					roles[len(roles)-1].Permissions = rbac.AllPermissions // must not leak into p
					owner := p.Owner()
					def := p.DefaultRole()
					got, err := p.Role(def.Name)
					if err != nil || got != def || got.Permissions == rbac.AllPermissions {
						errs <- p.Name() + ": Role(default) wrong"
						return
					}
					if p.CanInvite(def, owner) || !p.CanInvite(owner, def) || !p.CanRemove(owner, def) || p.CanChangeRole(owner, owner, def) {
						errs <- p.Name() + ": ceiling rules wrong"
						return
					}
					actor := "u" + strconv.Itoa(g)
					creator := "u" + strconv.Itoa(i%goroutines)
					if !owner.CanAct(rbac.Edit, actor, creator) || !owner.Can(rbac.DeleteTeam) {
						errs <- p.Name() + ": owner refused"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	first, second := rbac.Standard(), rbac.Standard()
	if first != second {
		t.Error("Standard() is not shared")
	}
}
