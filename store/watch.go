package store

import "github.com/teamkit/teamkit/team"

// watch is one registered team.MemberWatcher.
type watch struct{ w team.MemberWatcher }

// WatchMembers implements team.ChangeNotifier: every committed unit of work
// reports the memberships it inserted, updated or deleted to w before InTx
// returns (and before any other read sees the commit). A Memory reports
// every change, so w gets MembersStale(true) at once.
func (m *Memory) WatchMembers(w team.MemberWatcher) (stop func()) {
	h := &watch{w}
	m.watchMu.Lock()
	if m.watchers == nil {
		m.watchers = map[*watch]struct{}{}
	}
	m.watchers[h] = struct{}{}
	m.watchMu.Unlock()
	w.MembersStale(true)
	return func() {
		m.watchMu.Lock()
		delete(m.watchers, h)
		m.watchMu.Unlock()
	}
}

// notify reports changed to every watcher.
func (m *Memory) notify(changed []memberKey) {
	m.watchMu.Lock()
	defer m.watchMu.Unlock()
	for h := range m.watchers {
		for _, k := range changed {
			h.w.MemberChanged(k.team, k.user)
		}
	}
}

var _ team.ChangeNotifier = (*Memory)(nil)
