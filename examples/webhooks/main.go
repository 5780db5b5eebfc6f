// Command webhooks shows teamkit's change feed delivered as webhooks
// (FEED-3): a receiver that verifies the Standard Webhooks signature and
// dedupes by webhook-id, and a sender (webhook.Dispatcher) on the memory
// store. Run it with
//
//	go run ./examples/webhooks
//
// Both sides run in this one process, on a loopback port.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/webhook"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// Receiver is the host's webhook endpoint: it verifies each request with
// the endpoint's secret, ignores repeats of a webhook-id it has seen, and
// reports each new event on Got.
type Receiver struct {
	Secret string
	Got    chan string

	mu   sync.Mutex
	seen map[string]bool
}

// ServeHTTP implements http.Handler.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	id, err := webhook.Verify(req.Header, body, time.Now(), 0, r.Secret)
	if err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	dup := r.seen[id]
	r.seen[id] = true
	r.mu.Unlock()
	if dup {
		w.WriteHeader(http.StatusNoContent) // already handled: acknowledge again
		return
	}
	var p struct {
		Type audit.Action `json:"type"`
		Data audit.Event  `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.Got <- fmt.Sprintf("%s in team %s by %s", p.Type, p.Data.TeamID, p.Data.ActorID)
	w.WriteHeader(http.StatusNoContent)
}

// run tells the story on out.
func run(ctx context.Context, out io.Writer, opts ...team.Option) error {
	svc, err := team.New(store.NewMemory(), opts...)
	if err != nil {
		return err
	}

	// The receiver, on a loopback port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	rcv := &Receiver{Got: make(chan string, 16), seen: map[string]bool{}}
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	// The sender. The key seals endpoint secrets in the webhook store; a
	// host keeps it outside the store (an environment variable, a KMS).
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	d, err := webhook.New(svc, webhook.NewMemoryStore(), webhook.Options{
		Key: key, Backoff: 10 * time.Millisecond, Refresh: 20 * time.Millisecond,
		Consumer: team.ConsumerParams{Poll: 10 * time.Millisecond},
	})
	if err != nil {
		return err
	}
	ep, err := d.Register(ctx, webhook.Endpoint{URL: "http://" + ln.Addr().String() + "/hooks",
		Actions: []audit.Action{audit.TeamCreated, audit.InvitationSent, audit.TeamUpdated}})
	if err != nil {
		return err
	}
	rcv.Secret = ep.Secret
	fmt.Fprintf(out, "endpoint registered for %d actions; its secret is stored sealed\n", len(ep.Actions))

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = d.Run(runCtx) }()

	// Changes: each writes its audit event in its own unit of work, so the
	// feed, and with it the webhooks, see every one.
	ann := team.User{ID: "ann", Email: "ann@example.com", Name: "Ann"}
	personal, err := svc.EnsurePersonalTeam(ctx, ann)
	if err != nil {
		return err
	}
	name := "Ann's workspace"
	if _, err := svc.UpdateTeam(ctx, team.UpdateTeamParams{ActorID: ann.ID, TeamID: personal.ID, Name: &name}); err != nil {
		return err
	}
	if _, err := svc.RecordEvent(ctx, team.RecordEventParams{ActorID: ann.ID, TeamID: personal.ID, Action: "agent.deleted"}); err != nil {
		return err // filtered out: the endpoint did not ask for it
	}

	// A forged request is refused by the receiver.
	resp, err := http.Post("http://"+ln.Addr().String()+"/hooks", "application/json", strings.NewReader(`{"type":"team.deleted"}`))
	if err != nil {
		return err
	}
	resp.Body.Close()
	fmt.Fprintf(out, "forged request: %s\n", resp.Status)

	for range 2 {
		select {
		case got := <-rcv.Got:
			fmt.Fprintf(out, "receiver verified: %s\n", got)
		case <-ctx.Done():
			return fmt.Errorf("waiting for deliveries: %w", ctx.Err())
		}
	}
	return nil
}
