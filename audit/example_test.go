package audit_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/teamkit/teamkit/audit"
)

// Seal chains each new event after the team's last one.
func ExampleSeal() {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	first := audit.Seal(audit.Event{ID: "ev-1", TeamID: "team-1", Time: at, ActorID: "ana", Action: audit.TeamCreated}, audit.Event{})
	second := audit.Seal(audit.Event{ID: "ev-2", TeamID: "team-1", Time: at.Add(time.Minute), ActorID: "ana",
		Action: audit.InvitationSent, Target: "bob@example.com", Details: map[string]string{"role": "member"}}, first)

	fmt.Println(first.Seq, first.PrevHash == "")
	fmt.Println(second.Seq, second.PrevHash == first.Hash)
	fmt.Println(audit.ComputeHash(second) == second.Hash)
	// Output:
	// 1 true
	// 2 true
	// true
}

// Verify names the first event that does not fit the chain.
func ExampleVerify() {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var log []audit.Event
	prev := audit.Event{}
	for i, action := range []audit.Action{audit.TeamCreated, audit.InvitationSent, audit.InvitationAccepted} {
		prev = audit.Seal(audit.Event{ID: fmt.Sprintf("ev-%d", i+1), TeamID: "team-1", Time: at, ActorID: "ana", Action: action}, prev)
		log = append(log, prev)
	}
	fmt.Println(audit.Verify("team-1", log))

	log[1].ActorID = "mallory" // rewrite who did it
	err := audit.Verify("team-1", log)
	var ce *audit.ChainError
	if errors.As(err, &ce) {
		fmt.Println(errors.Is(err, audit.ErrBrokenChain), ce.Seq, ce.ID, ce.Reason)
	}
	// Output:
	// <nil>
	// true 2 ev-2 event content does not match its hash
}

// A reader pages through a log with the cursor of each page.
func ExampleQuery() {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var log []audit.Event
	prev := audit.Event{}
	for i := range 5 {
		prev = audit.Seal(audit.Event{ID: fmt.Sprintf("ev-%d", i+1), TeamID: "team-1", Time: at, Action: "doc.viewed"}, prev)
		log = append(log, prev)
	}
	// A store answering a Filter: events after f.AfterSeq, at most f.Limit.
	read := func(f audit.Filter) []audit.Event {
		var out []audit.Event
		for _, e := range log {
			if e.Seq > f.AfterSeq && f.Match(e) && len(out) < f.Limit {
				out = append(out, e)
			}
		}
		return out
	}
	q := audit.Query{Limit: 2}
	for {
		f, err := q.Filter()
		if err != nil {
			fmt.Println(err)
			return
		}
		limit := f.Limit
		f.Limit++ // one more, to know whether another page follows
		page := audit.NewPage(read(f), limit)
		for _, e := range page.Events {
			fmt.Print(e.ID, " ")
		}
		fmt.Println("| more:", page.NextCursor != "")
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	// Output:
	// ev-1 ev-2 | more: true
	// ev-3 ev-4 | more: true
	// ev-5 | more: false
}
