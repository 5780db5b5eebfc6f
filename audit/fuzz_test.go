package audit_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
)

// fuzzChain builds a sealed log of 1 to 8 events whose contents come from
// data, so the fuzzer explores odd IDs, actions, details and times.
func fuzzChain(data []byte, n uint8, start int64) []audit.Event {
	take := func(i int) string {
		if len(data) == 0 {
			return ""
		}
		k := i % len(data)
		return string(data[k : k+min(len(data)-k, i%5)])
	}
	events := make([]audit.Event, 0, 1+int(n%8))
	var prev audit.Event
	for i := range 1 + int(n%8) {
		details := map[string]string{}
		for j := range i % 3 {
			details[take(i+j)+fmt.Sprint(j)] = take(i + j + 1)
		}
		e := audit.Seal(audit.Event{
			ID:      fmt.Sprintf("e%d", i) + take(i),
			TeamID:  "team-" + take(1),
			Time:    time.Unix(0, start+int64(i)),
			ActorID: take(i + 2),
			Action:  audit.Action(take(i + 3)),
			Target:  take(i + 4),
			Details: details,
		}, prev)
		events = append(events, e)
		prev = e
	}
	return events
}

// flipString changes one byte of s (or adds one to an empty s).
func flipString(s string, pos uint16, x byte) string {
	if s == "" {
		return string([]byte{x})
	}
	b := []byte(s)
	b[int(pos)%len(b)] ^= x
	return string(b)
}

// flipUint changes one byte of v's 8-byte encoding.
func flipUint(v uint64, pos uint16, x byte) uint64 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	b[pos%8] ^= x
	return binary.BigEndian.Uint64(b[:])
}

// mutate changes one byte of one field of e, chosen by field and pos.
func mutate(e *audit.Event, field uint8, pos uint16, x byte) string {
	switch field % 10 {
	case 0:
		e.ID = flipString(e.ID, pos, x)
		return "ID"
	case 1:
		e.TeamID = flipString(e.TeamID, pos, x)
		return "TeamID"
	case 2:
		e.Seq = flipUint(e.Seq, pos, x)
		return "Seq"
	case 3:
		e.Time = time.Unix(0, int64(flipUint(uint64(e.Time.UnixNano()), pos, x)))
		return "Time"
	case 4:
		e.ActorID = flipString(e.ActorID, pos, x)
		return "ActorID"
	case 5:
		e.Action = audit.Action(flipString(string(e.Action), pos, x))
		return "Action"
	case 6:
		e.Target = flipString(e.Target, pos, x)
		return "Target"
	case 7:
		keys := slices.Sorted(maps.Keys(e.Details))
		if len(keys) == 0 {
			e.Details = map[string]string{string([]byte{x}): ""}
			return "Details (added)"
		}
		k := keys[int(pos)%len(keys)]
		if pos%2 == 0 {
			e.Details[k] = flipString(e.Details[k], pos/2, x)
			return "Details value"
		}
		v := e.Details[k]
		delete(e.Details, k)
		e.Details[flipString(k, pos/2, x)] = v
		return "Details key"
	case 8:
		e.PrevHash = flipString(e.PrevHash, pos, x)
		return "PrevHash"
	default:
		e.Hash = flipString(e.Hash, pos, x)
		return "Hash"
	}
}

// verifyAll runs a Verifier over events and ends it at head, as the team
// service does.
func verifyAll(teamID string, events []audit.Event, head audit.Event) error {
	v := audit.NewVerifier(teamID)
	for _, e := range events {
		if err := v.Add(e); err != nil {
			return err
		}
	}
	return v.End(head)
}

// Rule AUD-4: Verify never panics on a corrupted log, accepts the untouched
// log, and detects every single-byte change of any field of any event at
// that event, and every deleted, swapped or duplicated event.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("ab"), uint8(3), int64(1e18), uint8(0), uint8(0), uint8(5), uint16(0), uint8(1))
	f.Add([]byte(""), uint8(0), int64(0), uint8(0), uint8(0), uint8(9), uint16(63), uint8(0x80))
	f.Add([]byte("x=y"), uint8(7), int64(-1), uint8(1), uint8(3), uint8(0), uint16(0), uint8(1))
	f.Add([]byte("\x00\xff"), uint8(5), int64(42), uint8(2), uint8(1), uint8(0), uint16(4), uint8(1))
	f.Add([]byte("team"), uint8(4), int64(7), uint8(3), uint8(2), uint8(7), uint16(3), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, n uint8, start int64, op, at, field uint8, pos uint16, x byte) {
		orig := fuzzChain(data, n, start)
		teamID := orig[0].TeamID
		head := orig[len(orig)-1]
		if err := audit.Verify(teamID, orig); err != nil {
			t.Fatalf("untouched log: %v", err)
		}
		if err := verifyAll(teamID, orig, head); err != nil {
			t.Fatalf("untouched log against its head: %v", err)
		}
		if x == 0 {
			x = 1
		}
		ev := cloneEvents(orig)
		i := int(at) % len(ev)
		var what string
		wantIndex := -1 // -1: any position
		switch op % 4 {
		case 0:
			what = "mutate " + mutate(&ev[i], field, pos, x)
			wantIndex = i
		case 1:
			what = "delete"
			ev = slices.Delete(ev, i, i+1)
		case 2:
			j := int(field) % len(ev)
			if i == j {
				j = (i + 1) % len(ev)
			}
			what = "swap"
			ev[i], ev[j] = ev[j], ev[i]
			if i == j { // a log of one event: nothing to swap
				return
			}
			wantIndex = min(i, j)
		case 3:
			what = "duplicate"
			ev = slices.Insert(ev, i+1, ev[i])
			wantIndex = i + 1
		}
		err := verifyAll(teamID, ev, head)
		var ce *audit.ChainError
		if !errors.As(err, &ce) || !errors.Is(err, audit.ErrBrokenChain) {
			t.Fatalf("%s at %d of %d events: got %v, want a *ChainError", what, i, len(orig), err)
		}
		if wantIndex >= 0 && ce.Index != wantIndex {
			t.Fatalf("%s at %d: broken link reported at %d (%v)", what, i, ce.Index, ce)
		}
		// Verify alone (no head) must agree wherever the damage is not only
		// a missing tail.
		if err := audit.Verify(teamID, ev); err == nil && !(what == "delete" && i == len(orig)-1) {
			t.Fatalf("%s at %d: Verify accepted the tampered log", what, i)
		}
	})
}
