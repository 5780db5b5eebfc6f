package team

import (
	"hash/maphash"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// The membership index: an in-process cache of (team, user) → role and
// session epoch, or "not a member", that answers Authorize, Permissions and
// SessionEpoch without a store query (RES-1, RES-3, ROLE-5, ROLE-8).
//
// Layout. A table of buckets of indexWays slots each; a key goes to one
// bucket. A full bucket makes the table grow (twice the buckets, entries
// copied) until it reaches the size asked for; from then on a full bucket
// evicts round robin, so the index is bounded by its table and never grows
// a heap of small objects. A key is two 64-bit hashes, of the team ID and
// of the user ID, under random per-index seeds (hash/maphash): two
// different (team, user) pairs share a key only if their user hashes
// collide and their team hashes collide too (or the team is the same),
// about one chance in 2^64 per pair of pairs, and the seeds keep it out of
// an attacker's hands. A slot is three words (the two hashes and the
// value: role and epoch), 24 bytes; with the table's slack about 52 bytes
// per membership held (TestRES1_IndexMemoryPerMembership).
//
// Concurrency. Readers take no lock: each bucket has a sequence number,
// odd while a writer changes the bucket, and a reader retries when it
// changed under it (a seqlock). Every word is an atomic, so the race
// detector sees no data race.
//
// Coherence. A miss reads the store and fills the index, but only if no
// invalidation of the key's stripe happened since just before the read
// (gens), so a fill can never put back a value that an invalidation
// removed. Invalidations come from the store's ChangeNotifier; while the
// notifier is not reporting, the index is bypassed entirely.

const (
	indexWays       = 8
	indexStripes    = 1024 // generation counters for fills (a power of two)
	indexMinBuckets = 64
	// Values: the low 56 bits are the epoch, the top 8 the role's index in
	// the service's role table plus one, or valueNotMember.
	valueEpochBits = 56
	valueEpochMask = 1<<valueEpochBits - 1
	valueNotMember = 0xff
	indexMaxRoles  = valueNotMember - 1
)

type indexBucket struct {
	seq  atomic.Uint64 // odd while a writer holds the bucket
	next uint32        // the slot to evict next; only writers touch it
	team [indexWays]atomic.Uint64
	user [indexWays]atomic.Uint64
	val  [indexWays]atomic.Uint64
}

type indexTable struct {
	buckets []indexBucket
	mask    uint64
}

// memberIndex is the index; see the comment above.
type memberIndex struct {
	table      atomic.Pointer[indexTable]
	reporting  atomic.Bool // the notifier reports changes: the index may answer
	gens       [indexStripes]atomic.Uint64
	maxBuckets int
	teamSeed   maphash.Seed
	userSeed   maphash.Seed
	mu         sync.Mutex // serializes table swaps (growth, reset)
	stop       func()
}

// indexKey is a (team, user) pair as the index knows it.
type indexKey struct{ team, user uint64 }

// newMemberIndex returns an index that holds about capacity memberships.
func newMemberIndex(capacity int) *memberIndex {
	// Twice the slots asked for, so that buckets rarely overflow.
	want := max((2*capacity+indexWays-1)/indexWays, indexMinBuckets)
	ix := &memberIndex{
		maxBuckets: 1 << bits.Len(uint(want-1)),
		teamSeed:   maphash.MakeSeed(),
		userSeed:   maphash.MakeSeed(),
	}
	ix.table.Store(newIndexTable(min(indexMinBuckets, ix.maxBuckets)))
	return ix
}

func newIndexTable(buckets int) *indexTable {
	return &indexTable{buckets: make([]indexBucket, buckets), mask: uint64(buckets - 1)}
}

func (ix *memberIndex) key(teamID, userID string) indexKey {
	// The team hash is never 0, which marks an empty slot.
	return indexKey{maphash.String(ix.teamSeed, teamID) | 1, maphash.String(ix.userSeed, userID)}
}

func (k indexKey) spread() uint64 {
	return (k.team ^ bits.RotateLeft64(k.user, 29)) * 0x9e3779b97f4a7c15
}

func (k indexKey) stripe() uint64 { return k.spread() >> (64 - 10) } // 10 bits: indexStripes

// get returns the value stored for k. ok is false on a miss and when the
// index may not answer.
func (ix *memberIndex) get(k indexKey) (v uint64, ok bool) {
	if !ix.reporting.Load() {
		return 0, false
	}
	for range 4 {
		t := ix.table.Load()
		b := &t.buckets[k.spread()&t.mask]
		s := b.seq.Load()
		if s&1 != 0 { // a writer, or a table being copied by grow
			runtime.Gosched()
			continue
		}
		v, ok = 0, false
		for i := range indexWays {
			if b.team[i].Load() == k.team && b.user[i].Load() == k.user {
				v, ok = b.val[i].Load(), true
				break
			}
		}
		if b.seq.Load() == s {
			return v, ok
		}
	}
	return 0, false // busy: the caller reads the store, which is always right
}

// begin returns the generation to pass to put after reading k from the
// store; it must be taken before the read.
func (ix *memberIndex) begin(k indexKey) uint64 { return ix.gens[k.stripe()].Load() }

// put stores v for k, unless k's stripe was invalidated since begin
// returned gen, or the notifier stopped reporting.
func (ix *memberIndex) put(k indexKey, gen, v uint64) {
	if !ix.reporting.Load() {
		return
	}
	for {
		t, b, s := ix.lock(k)
		full := len(t.buckets) < ix.maxBuckets
		stored := true
		if ix.gens[k.stripe()].Load() == gen && ix.reporting.Load() {
			stored = b.set(k, v, !full)
		}
		b.seq.Store(s + 2)
		if stored {
			return
		}
		// The bucket is full and the table may grow: grow rather than evict.
		ix.grow(t)
	}
}

// set stores v for k in b, which the caller holds. When b is full it evicts
// the next slot round robin if evict is set, and otherwise stores nothing
// and returns false.
func (b *indexBucket) set(k indexKey, v uint64, evict bool) bool {
	slot := -1
	for i := range indexWays {
		if b.team[i].Load() == k.team && b.user[i].Load() == k.user {
			slot = i
			break
		}
	}
	if slot < 0 {
		for i := range indexWays {
			if b.team[i].Load() == 0 {
				slot = i
				break
			}
		}
	}
	if slot < 0 {
		if !evict {
			return false
		}
		slot = int(b.next % indexWays)
		b.next++
	}
	b.team[slot].Store(k.team)
	b.user[slot].Store(k.user)
	b.val[slot].Store(v)
	return true
}

// lock takes k's bucket in the current table, making its sequence odd, and
// returns the table, the bucket and the even sequence it started from. A
// bucket of a table that grow copied stays odd for good: lock then waits
// for the new table.
func (ix *memberIndex) lock(k indexKey) (*indexTable, *indexBucket, uint64) {
	for {
		t := ix.table.Load()
		b := &t.buckets[k.spread()&t.mask]
		s := b.seq.Load()
		if s&1 == 0 && b.seq.CompareAndSwap(s, s+1) {
			return t, b, s
		}
		runtime.Gosched()
	}
}

// grow replaces a table with a full bucket by one twice its size, up to
// maxBuckets, holding the same entries. It takes every bucket of t for
// good, so writers wait for the new table and readers retry (or read the
// store) while it copies.
func (ix *memberIndex) grow(t *indexTable) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.table.Load() != t {
		return
	}
	nt := newIndexTable(min(2*len(t.buckets), ix.maxBuckets))
	evict := len(nt.buckets) == ix.maxBuckets
	for i := range t.buckets {
		b := &t.buckets[i]
		for {
			s := b.seq.Load()
			if s&1 == 0 && b.seq.CompareAndSwap(s, s+1) {
				break
			}
			runtime.Gosched()
		}
		for j := range indexWays {
			if team := b.team[j].Load(); team != 0 {
				k := indexKey{team, b.user[j].Load()}
				// A bucket of nt that overflows while not at the largest
				// size drops the entry: it is a cache.
				nt.buckets[k.spread()&nt.mask].set(k, b.val[j].Load(), evict)
			}
		}
	}
	ix.table.Store(nt)
}

// MemberChanged forgets (teamID, userID) (MemberWatcher).
func (ix *memberIndex) MemberChanged(teamID, userID string) { ix.forget(ix.key(teamID, userID)) }

func (ix *memberIndex) forget(k indexKey) {
	// The generation first: a fill that read the store before this point
	// finds it changed and drops its value.
	ix.gens[k.stripe()].Add(1)
	_, b, s := ix.lock(k)
	for i := range indexWays {
		if b.team[i].Load() == k.team && b.user[i].Load() == k.user {
			b.team[i].Store(0)
			b.user[i].Store(0)
			b.val[i].Store(0)
		}
	}
	b.seq.Store(s + 2)
}

// MembersStale forgets everything (MemberWatcher); while reporting is false
// the index answers nothing and fills nothing.
func (ix *memberIndex) MembersStale(reporting bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !reporting {
		ix.reporting.Store(false)
	}
	for i := range ix.gens {
		ix.gens[i].Add(1)
	}
	ix.table.Store(newIndexTable(len(ix.table.Load().buckets)))
	if reporting {
		ix.reporting.Store(true)
	}
}

// len counts the entries of the current table (for tests and benchmarks).
func (ix *memberIndex) len() int {
	t := ix.table.Load()
	n := 0
	for i := range t.buckets {
		for j := range indexWays {
			if t.buckets[i].team[j].Load() != 0 {
				n++
			}
		}
	}
	return n
}

// close unregisters the index from its notifier and stops it answering.
func (ix *memberIndex) close() {
	ix.mu.Lock()
	stop := ix.stop
	ix.stop = nil
	ix.mu.Unlock()
	if stop != nil {
		stop()
	}
	ix.MembersStale(false)
}
