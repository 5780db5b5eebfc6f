package rbac_test

import (
	"testing"

	"github.com/teamkit/teamkit/rbac"
)

// Rule ROLE-7: "you can only grant what you hold". Two roles of equal rank
// with different permissions give neither power over the other's extra
// permissions: the lead cannot raise itself to peer (nor invite to it, nor
// change or remove a peer), and the peer, lacking the lead's resource
// permission, cannot do so the other way round either.
func TestGrantSubsetCustomPolicy_ROLE7(t *testing.T) {
	mgmt := rbac.Invite | rbac.RemoveMembers | rbac.ChangeRoles
	p, err := rbac.NewBuilder("subset").
		Role("boss", 100, rbac.AllPermissions&^rbac.Leave).
		Role("lead", 50, mgmt|rbac.ViewAnyResources|rbac.Leave).
		Role("peer", 50, mgmt|rbac.Settings|rbac.Billing|rbac.ViewAudit|rbac.Leave).
		Role("editor", 40, rbac.EditAnyResources|rbac.DeleteAnyResources|rbac.Leave).
		Role("author", 30, rbac.EditOwnResources|rbac.DeleteOwnResources|rbac.Leave).
		Role("guest", 10, rbac.Leave).
		Owner("boss").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"boss", "lead", "peer", "editor", "author", "guest"}
	checkPairs(t, p, names, "CanInvite", p.CanInvite, map[string]string{
		//          to: boss lead peer editor author guest
		"boss":   "NYYYYY", // the owner lacks only Leave, which grants no power over others
		"lead":   "NYNNNY", // not peer's settings/billing/audit, not editor's or author's edit bits
		"peer":   "NNYNNY", // not lead's view-any
		"editor": "NNNNNN",
		"author": "NNNNNN",
		"guest":  "NNNNNN",
	})
	checkPairs(t, p, names, "CanRemove", p.CanRemove, map[string]string{
		"boss":   "NYYYYY",
		"lead":   "NYNNNY",
		"peer":   "NNYNNY",
		"editor": "NNNNNN",
		"author": "NNNNNN",
		"guest":  "NNNNNN",
	})
	none := map[string]string{"boss": "NNNNNN", "lead": "NNNNNN", "peer": "NNNNNN", "editor": "NNNNNN", "author": "NNNNNN", "guest": "NNNNNN"}
	all := "NYYYYY"
	checkChange(t, p, names, map[string]map[string]string{
		"boss": {"boss": "NNNNNN", "lead": all, "peer": all, "editor": all, "author": all, "guest": all},
		// The defect: ChangeRole(lead → lead, "peer") must be refused.
		"lead":   {"boss": "NNNNNN", "lead": "NYNNNY", "peer": "NNNNNN", "editor": "NNNNNN", "author": "NNNNNN", "guest": "NYNNNY"},
		"peer":   {"boss": "NNNNNN", "lead": "NNNNNN", "peer": "NNYNNY", "editor": "NNNNNN", "author": "NNNNNN", "guest": "NNYNNY"},
		"editor": none,
		"author": none,
		"guest":  none,
	})
}

// Rule ROLE-7: an Any resource permission covers its Own counterpart (RES-2:
// "any" includes the resources the member created), so a role holding edit
// any may grant a role holding only edit own, but not the reverse.
func TestGrantSubsetAnyCoversOwn_ROLE7(t *testing.T) {
	mgmt := rbac.Invite | rbac.RemoveMembers | rbac.ChangeRoles
	p, err := rbac.NewBuilder("own-any").
		Role("boss", 100, rbac.AllPermissions).
		Role("chief", 50, mgmt|rbac.EditAnyResources).
		Role("clerk", 50, mgmt|rbac.EditOwnResources).
		Owner("boss").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	chief, clerk := mustRole(t, p, "chief"), mustRole(t, p, "clerk")
	if !p.CanInvite(chief, clerk) || !p.CanChangeRole(chief, clerk, clerk) || !p.CanRemove(chief, clerk) {
		t.Error("chief (edit any) refused power over clerk (edit own), want allowed")
	}
	if p.CanInvite(clerk, chief) || p.CanChangeRole(clerk, clerk, chief) || p.CanRemove(clerk, chief) {
		t.Error("clerk (edit own) allowed power over chief (edit any), want refused")
	}
}
