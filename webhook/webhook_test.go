package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/webhook"
	"github.com/teamkit/teamkit/webhook/webhooktest"
)

var testKey = bytes.Repeat([]byte{7}, 32)

// Rule FEED-3: the Standard Webhooks signature, checked by Verify: window,
// several signatures, rotated secrets, any change refused.
func TestSignAndVerify(t *testing.T) {
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := webhook.NewSecret()
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"type":"team.created"}`)
	sig, err := webhook.Sign(secret, "evt_1", now.Unix(), body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sig, "v1,") {
		t.Fatalf("signature %q does not start with v1,", sig)
	}
	h := func(id string, ts int64, sig string) http.Header {
		x := http.Header{}
		x.Set(webhook.HeaderID, id)
		x.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
		x.Set(webhook.HeaderSignature, sig)
		return x
	}
	otherSig, _ := webhook.Sign(other, "evt_1", now.Unix(), body)
	for _, c := range []struct {
		name    string
		h       http.Header
		body    []byte
		now     time.Time
		secrets []string
		want    error
	}{
		{"valid", h("evt_1", now.Unix(), sig), body, now, []string{secret}, nil},
		{"within the window", h("evt_1", now.Unix(), sig), body, now.Add(4 * time.Minute), []string{secret}, nil},
		{"several signatures", h("evt_1", now.Unix(), otherSig+" "+sig), body, now, []string{secret}, nil},
		{"rotated secret", h("evt_1", now.Unix(), sig), body, now, []string{other, secret}, nil},
		{"body changed", h("evt_1", now.Unix(), sig), []byte(`{"type":"team.deleted"}`), now, []string{secret}, webhook.ErrSignature},
		{"id changed", h("evt_2", now.Unix(), sig), body, now, []string{secret}, webhook.ErrSignature},
		{"timestamp changed", h("evt_1", now.Unix()+1, sig), body, now, []string{secret}, webhook.ErrSignature},
		{"other secret", h("evt_1", now.Unix(), sig), body, now, []string{other}, webhook.ErrSignature},
		{"too old", h("evt_1", now.Unix(), sig), body, now.Add(6 * time.Minute), []string{secret}, webhook.ErrTimestamp},
		{"from the future", h("evt_1", now.Unix(), sig), body, now.Add(-6 * time.Minute), []string{secret}, webhook.ErrTimestamp},
		{"no headers", http.Header{}, body, now, []string{secret}, webhook.ErrMissingHeaders},
		{"bad secret", h("evt_1", now.Unix(), sig), body, now, []string{"nope"}, webhook.ErrInvalidSecret},
	} {
		id, err := webhook.Verify(c.h, c.body, c.now, 0, c.secrets...)
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("%s: Verify error = %v, want %v", c.name, err, c.want)
		}
		if c.want == nil && id != c.h.Get(webhook.HeaderID) {
			t.Errorf("%s: Verify id = %q", c.name, id)
		}
	}
}

// receiver is a loopback endpoint that verifies every request and records
// the verified ones by webhook-id.
type receiver struct {
	t      *testing.T
	secret string
	fail   func() bool // answer 500 when it returns true

	mu       sync.Mutex
	order    []string          // webhook-ids in arrival order, with repeats
	bodies   map[string][]byte // by webhook-id
	requests int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	secret := r.secret
	r.mu.Unlock()
	id, err := webhook.Verify(req.Header, body, time.Now(), 0, secret)
	if err != nil {
		r.t.Errorf("receiver: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.fail != nil && r.fail() {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.bodies[id]; ok && !bytes.Equal(old, body) {
		r.t.Errorf("receiver: webhook-id %s came again with another body", id)
	}
	if r.bodies == nil {
		r.bodies = map[string][]byte{}
	}
	r.bodies[id] = body
	r.order = append(r.order, id)
}

func (r *receiver) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.order...)
}

type env struct {
	t   *testing.T
	svc *team.Service
	st  *webhook.MemoryStore
	tm  team.Team
}

func newEnv(t *testing.T) *env {
	t.Helper()
	svc, err := team.New(store.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	tm, err := svc.EnsurePersonalTeam(context.Background(), team.User{ID: "ann", Email: "ann@example.com", Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, svc: svc, st: webhook.NewMemoryStore(), tm: tm}
}

func (e *env) event(action audit.Action) audit.Event {
	e.t.Helper()
	ev, err := e.svc.RecordEvent(context.Background(), team.RecordEventParams{ActorID: "ann", TeamID: e.tm.ID, Action: action})
	if err != nil {
		e.t.Fatalf("RecordEvent: %v", err)
	}
	return ev
}

func fastOptions() webhook.Options {
	return webhook.Options{
		Key: testKey, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Refresh: 5 * time.Millisecond,
		Consumer: team.ConsumerParams{Poll: 2 * time.Millisecond, Backoff: 2 * time.Millisecond, PageSize: 50},
	}
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Rule FEED-3: deliveries follow the feed in order, filtered by action, to
// each endpoint; a new endpoint starts after what was committed before it.
func TestDeliveriesInOrderAndFiltered(t *testing.T) {
	e := newEnv(t)
	e.event("host.before") // before Register: not delivered
	all, some := &receiver{t: t}, &receiver{t: t}
	srvAll, srvSome := httptest.NewServer(all), httptest.NewServer(some)
	defer srvAll.Close()
	defer srvSome.Close()
	d, err := webhook.New(e.svc, e.st, fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	epAll, err := d.Register(context.Background(), webhook.Endpoint{URL: srvAll.URL})
	if err != nil {
		t.Fatal(err)
	}
	all.secret = epAll.Secret
	epSome, err := d.Register(context.Background(), webhook.Endpoint{URL: srvSome.URL, Actions: []audit.Action{"host.b"}})
	if err != nil {
		t.Fatal(err)
	}
	some.secret = epSome.Secret
	var want, wantSome []string
	for i := range 10 {
		a := audit.Action("host.a")
		if i%3 == 0 {
			a = "host.b"
		}
		ev := e.event(a)
		want = append(want, ev.ID)
		if a == "host.b" {
			wantSome = append(wantSome, ev.ID)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	waitFor(t, "deliveries", func() bool { return len(all.ids()) >= len(want) && len(some.ids()) >= len(wantSome) })
	cancel()
	<-done
	if fmt.Sprint(all.ids()) != fmt.Sprint(want) {
		t.Fatalf("endpoint got %v, want %v in feed order", all.ids(), want)
	}
	if fmt.Sprint(some.ids()) != fmt.Sprint(wantSome) {
		t.Fatalf("filtered endpoint got %v, want %v", some.ids(), wantSome)
	}
	var p struct {
		Type audit.Action `json:"type"`
		Data audit.Event  `json:"data"`
	}
	if err := json.Unmarshal(all.bodies[want[0]], &p); err != nil || p.Data.ID != want[0] || p.Type != "host.b" {
		t.Fatalf("body %s: %+v (err %v)", all.bodies[want[0]], p, err)
	}
}

// Rule FEED-3: retries back off exponentially with jitter, the delivery is
// marked failed after MaxTries, and Replay sends it again.
func TestRetriesFailAndReplay(t *testing.T) {
	e := newEnv(t)
	var down sync.Mutex
	failing := true
	rcv := &receiver{t: t, fail: func() bool { down.Lock(); defer down.Unlock(); return failing }}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	var (
		mu    sync.Mutex
		waits []time.Duration
	)
	o := fastOptions()
	o.MaxTries, o.Backoff, o.MaxBackoff = 4, 100*time.Millisecond, 250*time.Millisecond
	o.Rand = func() float64 { return 0.5 }
	o.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	d, err := webhook.New(e.svc, e.st, o)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := d.Register(context.Background(), webhook.Endpoint{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rcv.secret = ep.Secret
	ev := e.event("host.a")
	next := e.event("host.a")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	waitFor(t, "a failed delivery and the next", func() bool {
		fs, _ := d.Failures(context.Background(), ep.ID)
		return len(fs) == 2
	})
	cancel()
	<-done
	fs, _ := d.Failures(context.Background(), ep.ID)
	if fs[0].EventID != ev.ID || fs[0].Tries != 4 || fs[1].EventID != next.ID {
		t.Fatalf("failures = %+v, want %s then %s after 4 tries", fs, ev.ID, next.ID)
	}
	// Waits of one delivery: 100ms, 200ms, 250ms (capped), each at 3/4 with Rand 0.5.
	mu.Lock()
	got := fmt.Sprint(waits[:3])
	mu.Unlock()
	if want := fmt.Sprint([]time.Duration{75 * time.Millisecond, 150 * time.Millisecond, 187500 * time.Microsecond}); got != want {
		t.Fatalf("backoff waits = %s, want %s", got, want)
	}
	down.Lock()
	failing = false
	down.Unlock()
	if err := d.Replay(context.Background(), ep.ID, ev.ID); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if ids := rcv.ids(); len(ids) != 1 || ids[0] != ev.ID {
		t.Fatalf("after Replay the receiver has %v, want [%s]", ids, ev.ID)
	}
	fs, _ = d.Failures(context.Background(), ep.ID)
	if len(fs) != 1 || fs[0].EventID != next.ID {
		t.Fatalf("failures after Replay = %+v, want only %s", fs, next.ID)
	}
	if err := d.Replay(context.Background(), ep.ID, ev.ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("second Replay: %v, want ErrNotFound", err)
	}
}

// Rule FEED-3: a dump of the store does not reveal the secret, and a sealed
// secret opens only with the key and only for its endpoint.
func TestSecretsSealed(t *testing.T) {
	e := newEnv(t)
	d, err := webhook.New(e.svc, e.st, fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	ep, err := d.Register(context.Background(), webhook.Endpoint{ID: "ep1", URL: "http://127.0.0.1:1/hook"})
	if err != nil {
		t.Fatal(err)
	}
	eps, _ := e.st.Endpoints(context.Background())
	raw := strings.TrimPrefix(ep.Secret, "whsec_")
	if len(eps) != 1 || bytes.Contains(eps[0].SealedSecret, []byte(raw)) || bytes.Contains(eps[0].SealedSecret, []byte(ep.Secret)) {
		t.Fatalf("the stored endpoint holds the secret in clear: %+v", eps)
	}
	_ = e.st.PutFailure(context.Background(), webhook.Failure{EndpointID: "ep1", EventID: "x", Body: []byte("{}")})
	o := fastOptions()
	o.Key = bytes.Repeat([]byte{8}, 32)
	wrong, _ := webhook.New(e.svc, e.st, o)
	if err := wrong.Replay(context.Background(), "ep1", "x"); !errors.Is(err, webhook.ErrSealedSecret) {
		t.Fatalf("Replay with another key: %v, want ErrSealedSecret", err)
	}
	copied := eps[0]
	copied.ID = "ep2"
	_ = e.st.PutEndpoint(context.Background(), copied)
	_ = e.st.PutFailure(context.Background(), webhook.Failure{EndpointID: "ep2", EventID: "x", Body: []byte("{}")})
	if err := d.Replay(context.Background(), "ep2", "x"); !errors.Is(err, webhook.ErrSealedSecret) {
		t.Fatalf("Replay of a secret copied to another endpoint: %v, want ErrSealedSecret", err)
	}
	if _, err := webhook.New(e.svc, e.st, webhook.Options{}); !errors.Is(err, webhook.ErrInvalidOptions) {
		t.Fatalf("New without a key: %v, want ErrInvalidOptions", err)
	}
}

// Rule FEED-3, FEED-2: the fault scenario of webhooktest.Faults on the
// memory store.
func TestFaultsAtLeastOnce(t *testing.T) {
	svc, err := team.New(store.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	webhooktest.Faults(t, svc, webhooktest.Changes(t, 1000))
}
