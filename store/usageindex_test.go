package store

import (
	"hash/maphash"
	"testing"

	"github.com/teamkit/teamkit/billing"
)

// Rule BILL-4: usageIndex keeps keys unique even when two keys share a
// 64-bit hash. Real collisions cannot be made to order, so the test plants
// record a under the hash of b's key, as if their keys collided.
func TestUsageIndexHashCollision(t *testing.T) {
	x := newUsageIndex(maphash.MakeSeed(), usageKey)
	a := &billing.UsageRecord{ID: "ra", IdempotencyKey: "ka"}
	b := &billing.UsageRecord{ID: "rb", IdempotencyKey: "kb"}
	x.byHash[maphash.String(x.seed, "kb")] = a
	if x.get("kb") != nil {
		t.Fatalf("get(kb) before b was added found %+v", x.get("kb"))
	}
	if !x.add(b) {
		t.Fatalf("add(b) refused though no record has key kb")
	}
	if got := x.get("kb"); got != b {
		t.Fatalf("get(kb) = %+v, want b", got)
	}
	if x.add(&billing.UsageRecord{ID: "rc", IdempotencyKey: "kb"}) {
		t.Fatalf("a second record with key kb was added")
	}
	if x.len() != 2 {
		t.Fatalf("len = %d, want 2", x.len())
	}
	x.remove(b)
	if got := x.get("kb"); got != nil {
		t.Fatalf("get(kb) after remove(b) = %+v, want nil", got)
	}
	if x.byHash[maphash.String(x.seed, "kb")] != a {
		t.Fatalf("remove(b) removed the record holding its hash")
	}
	if !x.add(b) {
		t.Fatalf("add(b) after remove(b) refused")
	}
}
