package audit_test

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)

// chain returns a sealed log of n events of teamID.
func chain(teamID string, n int) []audit.Event {
	events := make([]audit.Event, 0, n)
	var prev audit.Event
	for i := range n {
		e := audit.Seal(audit.Event{
			ID:      fmt.Sprintf("%s-e%d", teamID, i+1),
			TeamID:  teamID,
			Time:    t0.Add(time.Duration(i) * time.Second),
			ActorID: fmt.Sprintf("user-%d", i%3),
			Action:  audit.Action(fmt.Sprintf("host.action_%d", i%4)),
			Target:  fmt.Sprintf("target-%d", i),
			Details: map[string]string{"n": fmt.Sprint(i), "k": "v"},
		}, prev)
		events = append(events, e)
		prev = e
	}
	return events
}

func chainError(t *testing.T, err error) *audit.ChainError {
	t.Helper()
	var ce *audit.ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v, want a *audit.ChainError", err)
	}
	if !errors.Is(err, audit.ErrBrokenChain) {
		t.Fatalf("error %v does not match ErrBrokenChain", err)
	}
	return ce
}

func TestSealChainsEvents(t *testing.T) {
	events := chain("t1", 3)
	for i, e := range events {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d: seq %d, want %d", i, e.Seq, i+1)
		}
		if e.Hash != audit.ComputeHash(e) || len(e.Hash) != 64 {
			t.Errorf("event %d: hash %q is not the hex SHA-256 of the event", i, e.Hash)
		}
	}
	// Times are kept to the microsecond in UTC, as stores keep them.
	at := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", 3600))
	e := audit.Seal(audit.Event{ID: "e", TeamID: "t1", Time: at}, audit.Event{})
	if want := time.Date(2026, 1, 2, 2, 4, 5, 6000, time.UTC); e.Time != want {
		t.Errorf("sealed time %v, want %v", e.Time, want)
	}
	if events[0].PrevHash != "" {
		t.Errorf("first event PrevHash %q, want empty", events[0].PrevHash)
	}
	if events[1].PrevHash != events[0].Hash || events[2].PrevHash != events[1].Hash {
		t.Error("PrevHash does not link to the previous event's Hash")
	}
}

// Rule AUD-4: Verify accepts an untouched log and names the first broken
// link of a tampered one: changed field, deleted, swapped or inserted event,
// another team's event.
func TestVerify_AUD4_FirstBrokenLink(t *testing.T) {
	if err := audit.Verify("t1", chain("t1", 6)); err != nil {
		t.Fatalf("untouched log: %v", err)
	}
	if err := audit.Verify("t1", nil); err != nil {
		t.Fatalf("empty log: %v", err)
	}
	orig := chain("t1", 6)
	other := chain("t2", 6)
	tests := []struct {
		name   string
		tamper func(ev []audit.Event) []audit.Event
		index  int    // position of the first broken link
		seq    uint64 // Seq expected there
		id     string // ID of the event found there
		reason string // part of the reason
	}{
		{"change a field", func(ev []audit.Event) []audit.Event {
			ev[2].Action = "team.deleted"
			return ev
		}, 2, 3, "t1-e3", "content"},
		{"change a field and reseal it", func(ev []audit.Event) []audit.Event {
			ev[2].Target = "someone-else"
			ev[2].Hash = audit.ComputeHash(ev[2])
			return ev
		}, 3, 4, "t1-e4", "previous-hash"},
		{"change a detail", func(ev []audit.Event) []audit.Event {
			ev[4].Details = map[string]string{"n": "4", "k": "w"}
			return ev
		}, 4, 5, "t1-e5", "content"},
		{"change the hash", func(ev []audit.Event) []audit.Event {
			ev[1].Hash = ev[0].Hash
			return ev
		}, 1, 2, "t1-e2", "content"},
		{"delete one", func(ev []audit.Event) []audit.Event {
			return slices.Delete(ev, 3, 4)
		}, 3, 4, "t1-e5", "sequence"},
		{"delete the first", func(ev []audit.Event) []audit.Event {
			return ev[1:]
		}, 0, 1, "t1-e2", "sequence"},
		{"delete one and renumber", func(ev []audit.Event) []audit.Event {
			ev = slices.Delete(ev, 3, 4)
			for i := 3; i < len(ev); i++ {
				ev[i].Seq--
			}
			return ev
		}, 3, 4, "t1-e5", "previous-hash"},
		{"swap two", func(ev []audit.Event) []audit.Event {
			ev[2], ev[3] = ev[3], ev[2]
			return ev
		}, 2, 3, "t1-e4", "sequence"},
		{"swap two and their seqs", func(ev []audit.Event) []audit.Event {
			ev[2], ev[3] = ev[3], ev[2]
			ev[2].Seq, ev[3].Seq = 3, 4
			return ev
		}, 2, 3, "t1-e4", "previous-hash"},
		{"insert one", func(ev []audit.Event) []audit.Event {
			forged := audit.Seal(audit.Event{ID: "forged", TeamID: "t1", Time: t0, Action: "x"}, ev[1])
			return slices.Insert(ev, 2, forged)
		}, 3, 4, "t1-e3", "sequence"},
		{"insert one unsealed", func(ev []audit.Event) []audit.Event {
			forged := ev[1]
			forged.ID, forged.Seq, forged.PrevHash = "forged", 3, ev[1].Hash
			return slices.Insert(ev, 2, forged)
		}, 2, 3, "forged", "content"},
		{"event of another team", func(ev []audit.Event) []audit.Event {
			ev[2] = other[2]
			return ev
		}, 2, 3, "t2-e3", "another team"},
		{"whole log of another team", func([]audit.Event) []audit.Event {
			return slices.Clone(other)
		}, 0, 1, "t2-e1", "another team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.tamper(cloneEvents(orig))
			ce := chainError(t, audit.Verify("t1", ev))
			if ce.Index != tt.index || ce.Seq != tt.seq || ce.ID != tt.id {
				t.Errorf("broken link at index %d seq %d id %q, want index %d seq %d id %q (%v)",
					ce.Index, ce.Seq, ce.ID, tt.index, tt.seq, tt.id, ce)
			}
			if !strings.Contains(ce.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", ce.Reason, tt.reason)
			}
			// The same answer from a Verifier fed event by event.
			v := audit.NewVerifier("t1")
			var err error
			for _, e := range ev {
				if err = v.Add(e); err != nil {
					break
				}
			}
			if got := chainError(t, err); *got != *ce {
				t.Errorf("Verifier: %+v, Verify: %+v", got, ce)
			}
		})
	}
}

// Rule AUD-4: events deleted from the end leave a chain that verifies on
// its own; Verifier.End catches them against the stored newest event.
func TestVerifierEnd_AUD4_DeletedTail(t *testing.T) {
	ev := chain("t1", 5)
	head := ev[4]

	v := audit.NewVerifier("t1")
	for _, e := range ev {
		if err := v.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.End(head); err != nil {
		t.Fatalf("complete log: %v", err)
	}
	if v.Last().ID != head.ID {
		t.Fatalf("Last = %q, want %q", v.Last().ID, head.ID)
	}

	short := audit.NewVerifier("t1")
	for _, e := range ev[:3] {
		if err := short.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	ce := chainError(t, short.End(head))
	if ce.Index != 3 || ce.Seq != 4 || ce.Found != 0 {
		t.Errorf("truncated log: %+v, want index 3, seq 4, found 0", ce)
	}

	forgedHead := head
	forgedHead.Hash = ev[0].Hash
	ce = chainError(t, v.End(forgedHead))
	if ce.Seq != 5 || ce.ID != head.ID {
		t.Errorf("different head: %+v, want seq 5 id %q", ce, head.ID)
	}

	if err := audit.NewVerifier("t1").End(audit.Event{}); err != nil {
		t.Errorf("empty log with no head: %v", err)
	}
}

// Rule AUD-4: the hash covers every field but Hash itself: changing any
// one of them changes the hash. The table must name every field of Event.
func TestComputeHash_AUD4_CoversEveryField(t *testing.T) {
	base := chain("t1", 2)[1]
	mutations := map[string]func(e *audit.Event){
		"ID":       func(e *audit.Event) { e.ID += "x" },
		"TeamID":   func(e *audit.Event) { e.TeamID = "t2" },
		"Seq":      func(e *audit.Event) { e.Seq++ },
		"Time":     func(e *audit.Event) { e.Time = e.Time.Add(time.Nanosecond) },
		"ActorID":  func(e *audit.Event) { e.ActorID = "mallory" },
		"Action":   func(e *audit.Event) { e.Action = "team.deleted" },
		"Target":   func(e *audit.Event) { e.Target = "" },
		"Details":  func(e *audit.Event) { e.Details = map[string]string{"n": "1", "k": "v", "extra": ""} },
		"PrevHash": func(e *audit.Event) { e.PrevHash = "" },
	}
	typ := reflect.TypeFor[audit.Event]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if _, ok := mutations[name]; !ok && name != "Hash" {
			t.Errorf("field Event.%s has no mutation in this table: add one to prove the hash covers it", name)
		}
	}
	want := audit.ComputeHash(base)
	for _, name := range slices.Sorted(maps.Keys(mutations)) {
		e := base
		e.Details = maps.Clone(base.Details)
		mutations[name](&e)
		if audit.ComputeHash(e) == want {
			t.Errorf("changing %s leaves the hash unchanged", name)
		}
	}
	e := base
	e.Hash = "anything"
	if audit.ComputeHash(e) != want {
		t.Error("the hash depends on the Hash field itself")
	}
}

// Rule AUD-4: the canonical encoding is not ambiguous: moving bytes
// between fields, keys and values changes the hash; equal events (the
// same instant in another zone, details built in another order) hash alike.
func TestComputeHash_AUD4_Canonical(t *testing.T) {
	base := audit.Event{ID: "id", TeamID: "t", Seq: 1, Time: t0, ActorID: "u", Action: "a", Target: "x"}
	with := func(f func(e *audit.Event)) string {
		e := base
		f(&e)
		return audit.ComputeHash(e)
	}
	differ := []struct {
		name string
		a, b func(e *audit.Event)
	}{
		{"detail key/value boundary",
			func(e *audit.Event) { e.Details = map[string]string{"a": "bc"} },
			func(e *audit.Event) { e.Details = map[string]string{"ab": "c"} }},
		{"one detail or two",
			func(e *audit.Event) { e.Details = map[string]string{"a": "b", "c": "d"} },
			func(e *audit.Event) { e.Details = map[string]string{"a": "bcd"} }},
		{"action/target boundary",
			func(e *audit.Event) { e.Action, e.Target = "ab", "c" },
			func(e *audit.Event) { e.Action, e.Target = "a", "bc" }},
		{"id/team boundary",
			func(e *audit.Event) { e.ID, e.TeamID = "ab", "c" },
			func(e *audit.Event) { e.ID, e.TeamID = "a", "bc" }},
		{"actor/action swap",
			func(e *audit.Event) { e.ActorID, e.Action = "p", "q" },
			func(e *audit.Event) { e.ActorID, e.Action = "q", "p" }},
		{"empty detail vs no detail",
			func(e *audit.Event) { e.Details = map[string]string{"": ""} },
			func(e *audit.Event) { e.Details = nil }},
		{"times 2^64 ns apart",
			func(e *audit.Event) { e.Time = time.Unix(0, 0) },
			func(e *audit.Event) { e.Time = time.Unix(18446744073, 709551616) }},
	}
	for _, tt := range differ {
		if with(tt.a) == with(tt.b) {
			t.Errorf("%s: both events hash alike", tt.name)
		}
	}
	same := []struct {
		name string
		a, b func(e *audit.Event)
	}{
		{"time zone", func(e *audit.Event) {}, func(e *audit.Event) { e.Time = t0.In(time.FixedZone("X", 3600)) }},
		{"nil vs empty details", func(e *audit.Event) { e.Details = nil }, func(e *audit.Event) { e.Details = map[string]string{} }},
		{"details order", func(e *audit.Event) {
			e.Details = map[string]string{}
			for _, k := range []string{"z", "a", "m"} {
				e.Details[k] = k
			}
		}, func(e *audit.Event) {
			e.Details = map[string]string{}
			for _, k := range []string{"m", "z", "a"} {
				e.Details[k] = k
			}
		}},
	}
	for _, tt := range same {
		if with(tt.a) != with(tt.b) {
			t.Errorf("%s: equal events hash differently", tt.name)
		}
	}
}

func TestActionReserved(t *testing.T) {
	for _, a := range []audit.Action{audit.TeamCreated, audit.TeamDeleted, audit.MemberRoleChanged, audit.BillingStatusChanged} {
		if !a.Reserved() {
			t.Errorf("%q is a library action but not reserved", a)
		}
	}
	for _, a := range []audit.Action{"resource.deleted", "team.created.x", "", "TEAM.CREATED"} {
		if a.Reserved() {
			t.Errorf("%q is reserved but is not a library action", a)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	e := audit.Event{ActorID: "ana", Action: "team.updated", Time: t0}
	tests := []struct {
		f    audit.Filter
		want bool
	}{
		{audit.Filter{}, true},
		{audit.Filter{ActorID: "ana"}, true},
		{audit.Filter{ActorID: "bob"}, false},
		{audit.Filter{Actions: []audit.Action{"x", "team.updated"}}, true},
		{audit.Filter{Actions: []audit.Action{"x"}}, false},
		{audit.Filter{From: t0}, true},
		{audit.Filter{From: t0.Add(1)}, false},
		{audit.Filter{To: t0}, false},
		{audit.Filter{To: t0.Add(1)}, true},
	}
	for i, tt := range tests {
		if got := tt.f.Match(e); got != tt.want {
			t.Errorf("case %d %+v: Match = %v, want %v", i, tt.f, got, tt.want)
		}
	}
}

// Rule AUD-3: cursors round-trip, are opaque, and anything else is refused
// with ErrInvalidCursor.
func TestCursor_AUD3(t *testing.T) {
	for _, seq := range []uint64{1, 2, 50, 1 << 20, 1<<64 - 1} {
		c := audit.EncodeCursor(seq)
		if c == "" {
			t.Fatalf("EncodeCursor(%d) is empty", seq)
		}
		got, err := audit.DecodeCursor(c)
		if err != nil || got != seq {
			t.Errorf("DecodeCursor(EncodeCursor(%d)) = %d, %v", seq, got, err)
		}
	}
	if c := audit.EncodeCursor(0); c != "" {
		t.Errorf("EncodeCursor(0) = %q, want \"\"", c)
	}
	if got, err := audit.DecodeCursor(""); got != 0 || err != nil {
		t.Errorf("DecodeCursor(\"\") = %d, %v; want 0, nil", got, err)
	}
	valid := audit.EncodeCursor(7)
	bad := []string{
		"x", "42", "!!!!", valid + "A", valid[:len(valid)-1], valid + "=",
		"AAAAAAAAAAAA",             // version 0
		"AgAAAAAAAAAH",             // version 2
		"AQAAAAAAAAAA",             // seq 0
		"AQAAAAAAAAAH" + "\n",      // trailing newline
		"AQAAAAAAAAAH"[:11] + "+",  // standard alphabet
		"AQAAAAAAAAAHAQAAAAAAAAAH", // two cursors
	}
	for _, c := range bad {
		if _, err := audit.DecodeCursor(c); !errors.Is(err, audit.ErrInvalidCursor) {
			t.Errorf("DecodeCursor(%q) error = %v, want ErrInvalidCursor", c, err)
		}
		if _, err := (audit.Query{Cursor: c}).Filter(); !errors.Is(err, audit.ErrInvalidCursor) {
			t.Errorf("Query{Cursor: %q}.Filter() error = %v, want ErrInvalidCursor", c, err)
		}
	}
}

// Rule AUD-3: a Query becomes the store Filter of one page.
func TestQueryFilter_AUD3(t *testing.T) {
	q := audit.Query{
		ActorID: "ana",
		Actions: []audit.Action{audit.TeamUpdated},
		From:    t0,
		To:      t0.Add(time.Hour),
		Cursor:  audit.EncodeCursor(41),
		Limit:   10,
	}
	f, err := q.Filter()
	if err != nil {
		t.Fatal(err)
	}
	want := audit.Filter{ActorID: "ana", Actions: []audit.Action{audit.TeamUpdated}, From: t0, To: t0.Add(time.Hour), AfterSeq: 41, Limit: 10}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("Filter = %+v, want %+v", f, want)
	}
	for _, tt := range []struct{ limit, want int }{{0, audit.DefaultLimit}, {1, 1}, {audit.MaxLimit, audit.MaxLimit}, {audit.MaxLimit + 1, audit.MaxLimit}, {1 << 40, audit.MaxLimit}} {
		f, err := audit.Query{Limit: tt.limit}.Filter()
		if err != nil || f.Limit != tt.want {
			t.Errorf("Limit %d: got %d, %v; want %d", tt.limit, f.Limit, err, tt.want)
		}
	}
	if _, err := (audit.Query{Limit: -1}).Filter(); !errors.Is(err, audit.ErrInvalidQuery) {
		t.Errorf("negative limit: %v, want ErrInvalidQuery", err)
	}
	if _, err := (audit.Query{From: t0, To: t0.Add(-1)}).Filter(); !errors.Is(err, audit.ErrInvalidQuery) {
		t.Errorf("To before From: %v, want ErrInvalidQuery", err)
	}
	if _, err := (audit.Query{From: t0, To: t0}).Filter(); err != nil {
		t.Errorf("empty range From == To: %v", err)
	}
}

// Rule AUD-3: NewPage keeps limit events and points the cursor after the
// last of them only when the store returned more.
func TestNewPage_AUD3(t *testing.T) {
	ev := chain("t1", 5)
	p := audit.NewPage(ev, 3)
	if len(p.Events) != 3 || p.Events[2].Seq != 3 {
		t.Fatalf("page events %v, want seqs 1..3", seqs(p.Events))
	}
	if after, err := audit.DecodeCursor(p.NextCursor); err != nil || after != 3 {
		t.Errorf("NextCursor decodes to %d, %v; want 3", after, err)
	}
	if p := audit.NewPage(ev[:3], 3); p.NextCursor != "" || len(p.Events) != 3 {
		t.Errorf("exactly limit events: %v next %q, want 3 events and no cursor", seqs(p.Events), p.NextCursor)
	}
	if p := audit.NewPage(nil, 3); p.NextCursor != "" || len(p.Events) != 0 {
		t.Errorf("no events: %+v", p)
	}
	p = audit.NewPage(ev, 3)
	p.Events = append(p.Events, ev[0])
	if ev[3].Seq != 4 {
		t.Error("appending to a page's events overwrote the store's slice")
	}
}

func seqs(ev []audit.Event) []uint64 {
	out := make([]uint64, len(ev))
	for i, e := range ev {
		out[i] = e.Seq
	}
	return out
}

func cloneEvents(ev []audit.Event) []audit.Event {
	out := slices.Clone(ev)
	for i := range out {
		out[i].Details = maps.Clone(out[i].Details)
	}
	return out
}
