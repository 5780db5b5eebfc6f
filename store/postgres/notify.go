package postgres

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/teamkit/teamkit/team"
)

// Change notifications (team.ChangeNotifier). Migration 0003 makes every
// change to a membership row NOTIFY the schema's channel at commit. A Store
// with watchers keeps one dedicated connection (outside the pool) that
// LISTENs on it, and reports what arrives to its watchers; commits made
// through the Store itself are also reported directly, before InTx or
// InBatch returns, so the process that made a change never waits for its
// own notification.
//
// Liveness: while watched, the store sends an empty NOTIFY through the pool
// every heartbeat; the listening connection must hear something (that
// heartbeat, another process's, or a change) at least every lease, or the
// store reports MembersStale(false), drops the connection and connects
// again. After each (re)connection it LISTENs first and then reports
// MembersStale(true), so nothing committed while it was not listening stays
// cached anywhere.
const (
	heartbeat    = 500 * time.Millisecond
	lease        = 2 * time.Second
	reconnectMin = 50 * time.Millisecond
	reconnectMax = 2 * time.Second
)

// channelName is the NOTIFY channel of schema; it must equal the one
// migration 0007's trigger function computes.
func channelName(schema string) string {
	sum := md5.Sum([]byte(schema))
	return "teamkit_members_" + hex.EncodeToString(sum[:])[:20]
}

// listenerName is the application_name of the connection that LISTENs for
// changes of schema (pg_stat_activity shows it).
func listenerName(schema string) string {
	return "teamkit-listener " + channelName(schema)[len("teamkit_members_"):]
}

// changeHub holds a Store's watchers and runs its listener while it has
// any.
type changeHub struct {
	mu        sync.Mutex
	watchers  map[*watcher]struct{}
	reporting bool
	stop      context.CancelFunc // stops the listener; nil when none runs
	done      chan struct{}
}

// watcher is one registered team.MemberWatcher. Its calls are serialized by
// its own mutex, so a watcher never hears two reports at once and, once
// stopped, hears nothing more.
type watcher struct {
	mu      sync.Mutex
	w       team.MemberWatcher
	stopped bool
}

func (w *watcher) changed(teamID, userID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.w.MemberChanged(teamID, userID)
	}
}

func (w *watcher) stale(reporting bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.w.MembersStale(reporting)
	}
}

// WatchMembers implements team.ChangeNotifier. The first watcher starts
// the listener (a dedicated connection, configured like the pool's); w
// hears MembersStale(true) once it LISTENs, or at once when it already
// does. The last watcher to stop stops it.
func (s *Store) WatchMembers(w team.MemberWatcher) (stop func()) {
	h := &s.changes
	wt := &watcher{w: w}
	// wt.mu first: a concurrent setReporting(false) reports to wt only
	// after the MembersStale(true) below.
	wt.mu.Lock()
	h.mu.Lock()
	if h.watchers == nil {
		h.watchers = map[*watcher]struct{}{}
	}
	h.watchers[wt] = struct{}{}
	if h.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.stop, h.done, h.reporting = cancel, make(chan struct{}), false
		go s.listen(ctx, h.done)
	}
	reporting := h.reporting
	h.mu.Unlock()
	if reporting {
		w.MembersStale(true)
	}
	wt.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			wt.mu.Lock()
			wt.stopped = true
			wt.mu.Unlock()
			h.mu.Lock()
			delete(h.watchers, wt)
			var done chan struct{}
			if len(h.watchers) == 0 && h.stop != nil {
				h.stop()
				done, h.stop, h.reporting = h.done, nil, false
			}
			h.mu.Unlock()
			if done != nil {
				<-done
			}
		})
	}
}

// each calls fn on every watcher.
func (h *changeHub) each(fn func(*watcher)) {
	h.mu.Lock()
	ws := make([]*watcher, 0, len(h.watchers))
	for w := range h.watchers {
		ws = append(ws, w)
	}
	h.mu.Unlock()
	for _, w := range ws {
		fn(w)
	}
}

// setReporting records and reports the listener's state.
func (h *changeHub) setReporting(reporting bool) {
	h.mu.Lock()
	h.reporting = reporting
	h.mu.Unlock()
	h.each(func(w *watcher) { w.stale(reporting) })
}

// reportChanged reports the memberships a unit of work of this Store wrote,
// after it ended (committed, or maybe committed: reporting too much is
// harmless).
func (s *Store) reportChanged(changed []memberKey) {
	if len(changed) == 0 {
		return
	}
	s.changes.each(func(w *watcher) {
		for _, k := range changed {
			w.changed(k.teamID, k.userID)
		}
	})
}

// listen runs the listener until ctx ends.
func (s *Store) listen(ctx context.Context, done chan struct{}) {
	defer close(done)
	channel := pgx.Identifier{channelName(s.schema)}.Sanitize()
	wait := reconnectMin
	for ctx.Err() == nil {
		if err := s.listenOnce(ctx, channel); err == nil {
			wait = reconnectMin
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			wait = min(2*wait, reconnectMax)
		}
	}
}

// listenOnce connects, LISTENs and reports notifications until the
// connection fails or falls silent for a lease, or ctx ends. It returns
// nil if it got as far as listening.
func (s *Store) listenOnce(ctx context.Context, channel string) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerName(s.schema)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(cctx, "LISTEN "+channel); err != nil {
		return err
	}
	s.changes.setReporting(true)
	defer s.changes.setReporting(false)

	// The watchdog: no message for a lease ends this connection.
	heard := make(chan struct{}, 1)
	go func() {
		beat := time.NewTicker(heartbeat)
		defer beat.Stop()
		last := time.Now()
		for {
			select {
			case <-cctx.Done():
				return
			case <-heard:
				last = time.Now()
			case <-beat.C:
				if time.Since(last) > lease {
					s.changes.setReporting(false) // before anything else can be missed
					cancel()
					return
				}
				bctx, bcancel := context.WithTimeout(cctx, heartbeat)
				_, _ = s.pool.Exec(bctx, "SELECT pg_notify($1, '')", channelName(s.schema))
				bcancel()
			}
		}
	}()
	for {
		n, err := conn.WaitForNotification(cctx)
		if err != nil {
			return nil
		}
		select {
		case heard <- struct{}{}:
		default:
		}
		s.dispatch(n.Payload)
	}
}

// dispatch reports one notification: "" is a heartbeat, "*" says that
// everything changed, anything else is "<team ID bytes>:<team ID><user ID>".
func (s *Store) dispatch(payload string) {
	switch payload {
	case "":
		return
	case "*":
		s.changes.each(func(w *watcher) { w.stale(true) })
		return
	}
	i := strings.IndexByte(payload, ':')
	n, err := strconv.Atoi(payload[:max(i, 0)])
	if i < 0 || err != nil || n < 0 || i+1+n > len(payload) {
		// Not ours to read: forget everything rather than guess.
		s.changes.each(func(w *watcher) { w.stale(true) })
		return
	}
	teamID, userID := payload[i+1:i+1+n], payload[i+1+n:]
	s.changes.each(func(w *watcher) { w.changed(teamID, userID) })
}

var _ team.ChangeNotifier = (*Store)(nil)
