package team

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/teamkit/teamkit/audit"
)

// In-process after-commit hooks (FEED-4).
//
// Hooks are best-effort: they run in this process, after the commit, from a
// bounded queue, and are lost when the process stops or the queue is full.
// The durable way to act on every change is the change feed (Feed,
// Consumer), which a hook may merely nudge.

// DefaultHookQueue is the queue length of after-commit hooks unless
// WithHookQueue says otherwise.
const DefaultHookQueue = 1024

// WithAfterCommit adds hook, which hears of each audit event after the
// unit of work that wrote it committed; its ctx carries the values of the
// call that made the change, not its cancellation or deadline. WithAfterCommit adds a hook that runs after each unit of work that
// changed something has committed, once per audit event it wrote, in the
// order of the events (FEED-4). Hooks never run inside the unit of work, and
// never for a unit that rolled back. They run one at a time on a goroutine
// of the Service, fed by a queue of WithHookQueue events (default 1024):
// the call that made the change does not wait for them. A hook that panics
// is recovered, and the panic logged and counted (HookStats); a slow hook
// delays only the hooks after it; when the queue is full, events are
// dropped, logged and counted. Hooks are best-effort: use the change feed
// for what must not be missed.
func WithAfterCommit(hook func(ctx context.Context, e audit.Event)) Option {
	return func(s *Service) {
		if hook != nil {
			s.hooks.fns = append(s.hooks.fns, hook)
		}
	}
}

// WithHookQueue sets how many committed events at most wait for the
// after-commit hooks (default 1024); more are dropped (FEED-4).
func WithHookQueue(n int) Option { return func(s *Service) { s.hooks.size = n } }

// WithLogger sets the logger of the service's background work, such as
// after-commit hooks (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.hooks.log = l } }

// HookStats counts what happened to events meant for after-commit hooks.
type HookStats struct {
	Delivered uint64 // events every hook was called with
	Dropped   uint64 // events dropped because the queue was full
	Panics    uint64 // hook calls that panicked (recovered)
}

// HookStats returns the counters of the after-commit hooks.
func (s *Service) HookStats() HookStats {
	h := &s.hooks
	return HookStats{Delivered: h.delivered.Load(), Dropped: h.dropped.Load(), Panics: h.panics.Load()}
}

// hookItem is one committed event with the context of its change.
type hookItem struct {
	ctx context.Context
	e   audit.Event
}

// hooks runs the after-commit hooks. Its worker goroutine runs only while
// there is work, so a Service needs no Close.
type hooks struct {
	fns  []func(ctx context.Context, e audit.Event)
	size int
	log  *slog.Logger

	queue   chan hookItem
	mu      sync.Mutex
	running bool

	delivered, dropped, panics atomic.Uint64
}

func (h *hooks) init() error {
	if len(h.fns) == 0 {
		return nil
	}
	if h.size == 0 {
		h.size = DefaultHookQueue
	}
	if h.size < 1 {
		return invalid("hook_queue", "must be at least 1, got %d", h.size)
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.queue = make(chan hookItem, h.size)
	return nil
}

// enqueue hands committed events to the worker without waiting.
func (h *hooks) enqueue(ctx context.Context, events []audit.Event) {
	ctx = context.WithoutCancel(ctx)
	for _, e := range events {
		select {
		case h.queue <- hookItem{ctx: ctx, e: e}:
		default:
			n := h.dropped.Add(1)
			h.log.Warn("teamkit: after-commit hook queue full; event dropped (the change feed still has it)",
				"event_id", e.ID, "team_id", e.TeamID, "action", string(e.Action), "dropped_total", n)
		}
	}
	h.mu.Lock()
	start := !h.running
	h.running = true
	h.mu.Unlock()
	if start {
		go h.work()
	}
}

// work runs hooks until the queue is empty.
func (h *hooks) work() {
	for {
		select {
		case it := <-h.queue:
			for _, fn := range h.fns {
				h.call(fn, it)
			}
			h.delivered.Add(1)
		default:
			h.mu.Lock()
			if len(h.queue) == 0 {
				h.running = false
				h.mu.Unlock()
				return
			}
			h.mu.Unlock()
		}
	}
}

func (h *hooks) call(fn func(ctx context.Context, e audit.Event), it hookItem) {
	defer func() {
		if r := recover(); r != nil {
			n := h.panics.Add(1)
			h.log.Error("teamkit: after-commit hook panicked; recovered (the change is committed)",
				"event_id", it.e.ID, "panic", fmt.Sprint(r), "panics_total", n)
		}
	}()
	fn(it.ctx, it.e)
}

// collectorKey is the context key of a unit of work's hook collector.
type collectorKey struct{}

// collector gathers the events a unit of work recorded.
type collector struct{ events []audit.Event }

// collect notes e for the hooks when ctx belongs to a unit of work run by
// hookStore. record calls it.
func collect(ctx context.Context, e audit.Event) {
	if c, ok := ctx.Value(collectorKey{}).(*collector); ok {
		c.events = append(c.events, e)
	}
}

// hookStore wraps a Store so that the events of each committed unit of
// work go to the hooks, after InTx returned nil.
type hookStore struct {
	Store
	h *hooks
}

func (w hookStore) InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	c := &collector{}
	err := w.Store.InTx(context.WithValue(ctx, collectorKey{}, c), func(ctx context.Context, tx Tx) error {
		c.events = c.events[:0] // fn may run again
		return fn(ctx, tx)
	})
	if err == nil && len(c.events) > 0 {
		w.h.enqueue(ctx, c.events)
	}
	return err
}

// hookBatchStore is a hookStore over a Store that is also a Batcher.
type hookBatchStore struct {
	hookStore
	b Batcher
}

func (w hookBatchStore) InBatch(ctx context.Context, key string, fn func(ctx context.Context, tx Tx) error) error {
	c := &collector{}
	err := w.b.InBatch(context.WithValue(ctx, collectorKey{}, c), key, func(ctx context.Context, tx Tx) error {
		c.events = c.events[:0]
		return fn(ctx, tx)
	})
	if err == nil && len(c.events) > 0 {
		w.h.enqueue(ctx, c.events)
	}
	return err
}

// wrapForHooks returns store wrapped so its commits feed the hooks, or
// store itself when there are no hooks.
func (h *hooks) wrap(store Store) Store {
	if len(h.fns) == 0 {
		return store
	}
	hs := hookStore{Store: store, h: h}
	if b, ok := store.(Batcher); ok {
		return hookBatchStore{hookStore: hs, b: b}
	}
	return hs
}
