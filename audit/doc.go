// Package audit holds the audit log of teamkit: its events, their hash
// chain and the queries that read it.
//
// Every team has one log. Its events are numbered 1, 2, 3, … (Seq) and each
// carries the hash of the event before it (PrevHash) and its own hash over
// every field (Hash), so the log is tamper-evident (AUD-4): Seal chains a new
// event after the team's last one, and Verify (or a Verifier, for logs read
// page by page) reports the first broken link, as a *ChainError matching
// ErrBrokenChain, when an event was changed, deleted, inserted, reordered or
// taken from another team's log.
//
// The hash is SHA-256 over a canonical encoding in which every field is
// length-prefixed and Details are sorted by key, so two different events
// never encode alike (Details {"a": "bc"} and {"ab": "c"} differ).
//
// Readers ask for a Query and get a Page; NextCursor continues where the
// page ended, by sequence number, so events appended while a reader pages
// through the log are neither skipped nor repeated (AUD-3). A Query becomes
// the Filter that stores answer.
//
// The package has no storage and no permissions of its own: the team
// service records events in the same unit of work as the change they
// describe (AUD-1) and checks who may read them.
package audit
