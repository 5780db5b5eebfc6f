package team

// ChangeNotifier is an optional interface of a Store that reports committed
// changes to memberships. The service keeps an in-process index of
// memberships (see WithMembershipCache) only over a Store that has it: the
// index answers Authorize, Permissions and SessionEpoch without a query and
// relies on these reports to forget what changed. Over a Store without it
// the service reads the store on every call.
//
// The contract, which storetest.RunChangeNotifier checks:
//
//   - A watcher trusts nothing it learned before the store's first
//     MembersStale(true): the store calls it once it reports changes (from
//     inside WatchMembers when it can already).
//   - Every committed unit of work that inserts, updates or deletes a
//     membership (InsertMember, UpdateMember, DeleteMember,
//     DeleteTeamMembers, or a write the store makes on its own) produces a
//     MemberChanged for that (team, user). A change committed through this
//     Store value is reported before the InTx (or InBatch) call that
//     committed it returns; a change committed elsewhere (another process
//     on the same database) as soon as the store learns of it.
//   - When the store may miss reports (say its connection to the database
//     is lost), it calls MembersStale(false) before it could have missed
//     one, and MembersStale(true) once it reports again; everything
//     committed in between counts as changed.
//   - Reports of changes that were rolled back, or duplicates, are allowed:
//     a report only makes a watcher forget.
type ChangeNotifier interface {
	// WatchMembers registers w and returns a function that unregisters it
	// (safe to call more than once). After stop returns, w gets no more calls.
	WatchMembers(w MemberWatcher) (stop func())
}

// MemberWatcher receives the reports of a ChangeNotifier. Its methods may be
// called from any goroutine, also while the store holds its own locks: they
// must be quick and must not call the store.
type MemberWatcher interface {
	// MemberChanged reports a committed change to userID's membership of
	// teamID: inserted, updated (role, epoch) or deleted.
	MemberChanged(teamID, userID string)
	// MembersStale reports that any membership may have changed without a
	// MemberChanged. reporting false means the store cannot report changes
	// until it calls MembersStale(true); true means it reports every change
	// committed from now on.
	MembersStale(reporting bool)
}
