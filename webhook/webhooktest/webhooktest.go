// Package webhooktest holds the fault scenario of the webhook package
// (FEED-2, FEED-3), for any team store: the webhook package runs it on the
// memory store and store/postgres on PostgreSQL.
package webhooktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/webhook"
)

// ChangesEnv names the environment variable that sets how many changes
// Faults makes (say 10000 for the full run).
const ChangesEnv = "TEAMKIT_WEBHOOK_FAULT_CHANGES"

// Changes returns the number in ChangesEnv, or def when it is not set.
func Changes(t testing.TB, def int) int {
	t.Helper()
	v := os.Getenv(ChangesEnv)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q is not a positive number", ChangesEnv, v)
	}
	return n
}

// receiver is a loopback endpoint that fails 30% of requests at random,
// verifies every request and records the accepted ones by webhook-id.
type receiver struct {
	t      testing.TB
	secret string

	mu       sync.Mutex
	rng      *rand.Rand
	order    []string          // accepted webhook-ids in arrival order, with repeats
	bodies   map[string][]byte // by webhook-id
	requests int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	id, err := webhook.Verify(req.Header, body, time.Now(), 0, r.secret)
	if err != nil {
		r.t.Errorf("receiver: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.rng.Float64() < 0.3 {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if old, ok := r.bodies[id]; ok && !bytes.Equal(old, body) {
		r.t.Errorf("receiver: webhook-id %s came again with another body", id)
	}
	r.bodies[id] = body
	r.order = append(r.order, id)
}

func (r *receiver) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.order...)
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Faults makes n changes in svc (host events in one team) while a
// Dispatcher delivers them to a loopback receiver that fails 30% of
// requests at random, and kills the dispatcher and starts a new one 5
// times during the changes. The kill is goroutine-level: the Dispatcher's
// context is cancelled mid-delivery, its lease released, and a new
// Dispatcher over the same stores takes over. Faults requires every event
// delivered at least once, none lost, repeats only with the same
// webhook-id and body, first arrivals in feed order, nothing marked failed,
// and the endpoint's cursor past every event not yet delivered.
func Faults(t *testing.T, svc *team.Service, n int) {
	t.Helper()
	ctx := context.Background()
	owner := team.User{ID: "fault-owner", Email: "fault-owner@example.com", Name: "Owner"}
	tm, err := svc.EnsurePersonalTeam(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	rcv := &receiver{t: t, rng: rand.New(rand.NewPCG(1, 2)), bodies: map[string][]byte{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	st := webhook.NewMemoryStore()
	o := webhook.Options{
		Key: bytes.Repeat([]byte{7}, 32), MaxTries: 60, // 0.3^60: never marked failed
		Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Refresh: 5 * time.Millisecond,
		Consumer: team.ConsumerParams{Lease: 2 * time.Second, Poll: 2 * time.Millisecond, Backoff: 2 * time.Millisecond, PageSize: 100},
	}
	first, err := webhook.New(svc, st, o)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := first.Register(ctx, webhook.Endpoint{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	rcv.secret = ep.Secret
	rcv.mu.Unlock()

	var (
		want   []string
		wantMu sync.Mutex
	)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := range n {
			ev, err := svc.RecordEvent(ctx, team.RecordEventParams{ActorID: owner.ID, TeamID: tm.ID, Action: "host.changed", Target: strconv.Itoa(i)})
			if err != nil {
				t.Errorf("RecordEvent: %v", err)
				return
			}
			wantMu.Lock()
			want = append(want, ev.ID)
			wantMu.Unlock()
		}
	}()
	const kills = 5
	for k := 0; k <= kills; k++ {
		d, err := webhook.New(svc, st, o)
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- d.Run(runCtx) }()
		if k < kills {
			before := len(rcv.ids())
			waitFor(t, "progress before a kill", func() bool { return len(rcv.ids()) > before+n/(3*kills) })
			cancel()
			<-done
			continue
		}
		<-writerDone
		wantMu.Lock()
		all := append([]string(nil), want...)
		wantMu.Unlock()
		waitFor(t, "every event delivered", func() bool {
			got := map[string]bool{}
			for _, id := range rcv.ids() {
				got[id] = true
			}
			for _, id := range all {
				if !got[id] {
					return false
				}
			}
			return true
		})
		cancel()
		<-done
	}
	ids := rcv.ids()
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	wantMu.Lock()
	defer wantMu.Unlock()
	for _, id := range want {
		if seen[id] == 0 {
			t.Fatalf("event %s never delivered", id)
		}
	}
	// Events committed before Register may come too: Register skips what
	// the feed shows at that moment, and a store may hold back an event
	// committed just before (see team.FeedStore).
	before, err := svc.HostAuditLog(ctx, tm.ID, audit.Query{Limit: audit.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	early := map[string]bool{}
	for _, e := range before.Events[:min(len(before.Events), 1)] {
		early[e.ID] = true // the team's creation, before Register
	}
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	for id := range seen {
		if !wanted[id] && !early[id] {
			t.Fatalf("receiver got webhook-id %s, which is no event of the test", id)
		}
	}
	var kept []string
	for _, id := range ids {
		if wanted[id] {
			kept = append(kept, id)
		}
	}
	ids = kept
	if fs, _ := first.Failures(ctx, ep.ID); len(fs) != 0 {
		t.Fatalf("%d deliveries marked failed", len(fs))
	}
	var firsts []string
	once := map[string]bool{}
	for _, id := range ids {
		if !once[id] {
			once[id] = true
			firsts = append(firsts, id)
		}
	}
	if fmt.Sprint(firsts) != fmt.Sprint(want) {
		t.Fatal("first arrivals are not in feed order")
	}
	rcv.mu.Lock()
	t.Logf("%d changes, %d requests, %d deliveries (%d repeats after kills), 5 kills", len(want), rcv.requests, len(ids), len(ids)-len(want))
	rcv.mu.Unlock()
	c, err := svc.Consumer(team.ConsumerParams{Name: webhook.DefaultPrefix + ep.ID})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the lease of the last dispatcher", func() bool {
		events, err := c.Next(ctx)
		if errors.Is(err, team.ErrConsumerBusy) {
			return false
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		// What is left after the cursor was delivered already, when the
		// kill came between a delivery and its acknowledgement.
		for _, fe := range events {
			if seen[fe.Event.ID] == 0 {
				t.Fatalf("the endpoint's cursor is before event %s, which was never delivered", fe.Event.ID)
			}
		}
		return true
	})
	_ = c.Close(ctx)
}
