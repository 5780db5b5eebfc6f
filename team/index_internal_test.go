package team

import (
	"os"
	"runtime"
	"strconv"
	"testing"
)

// Rule RES-1: the membership index holds 1M memberships in at most 64 bytes
// each (runtime.MemStats), and never more entries than its table's slots.
func TestRES1_IndexMemoryPerMembership(t *testing.T) {
	n := 1 << 20
	if (testing.Short() || raceEnabled) && os.Getenv("TEAMKIT_LONG") == "" {
		n = 1 << 16 // the same layout; 1M takes half a minute under -race
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix := newMemberIndex(n)
	ix.MembersStale(true)
	for i := range n {
		k := ix.key("team-"+strconv.Itoa(i/50), "user-"+strconv.Itoa(i))
		ix.put(k, ix.begin(k), uint64(1)<<valueEpochBits|uint64(i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := ix.len()
	bytes := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	perHeld := bytes / float64(held)
	t.Logf("%d memberships put, %d held (%.1f%%), %.1f MB, %.1f B per held membership, %.1f B per membership put",
		n, held, 100*float64(held)/float64(n), bytes/1e6, perHeld, bytes/float64(n))
	if held < n*9/10 {
		t.Errorf("the index holds %d of %d memberships; want at least 90%%", held, n)
	}
	if perHeld > 64 {
		t.Errorf("the index takes %.1f B per membership; want at most 64", perHeld)
	}
	runtime.KeepAlive(ix)

	// Bounded: a small index never holds more than its table.
	small := newMemberIndex(10_000)
	small.MembersStale(true)
	for i := range 100_000 {
		k := small.key("t", strconv.Itoa(i))
		small.put(k, small.begin(k), uint64(1)<<valueEpochBits)
	}
	if got, slots := small.len(), len(small.table.Load().buckets)*indexWays; got > slots || slots > 4*10_000 {
		t.Errorf("index of 10,000 holds %d in %d slots", got, slots)
	}
}
