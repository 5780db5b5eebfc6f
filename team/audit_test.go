package team_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// auditTrail returns every event of teamID as the host reads it, paging
// through HostAuditLog.
func (e *env) auditTrail(teamID string) []audit.Event {
	e.t.Helper()
	var out []audit.Event
	q := audit.Query{Limit: audit.MaxLimit}
	for {
		p, err := e.svc.HostAuditLog(e.ctx, teamID, q)
		require.NoError(e.t, err)
		out = append(out, p.Events...)
		if p.NextCursor == "" {
			return out
		}
		q.Cursor = p.NextCursor
	}
}

// hostEvent records a host event and fails the test on error.
func (e *env) hostEvent(actorID, teamID string, action audit.Action) audit.Event {
	e.t.Helper()
	ev, err := e.svc.RecordEvent(e.ctx, team.RecordEventParams{ActorID: actorID, TeamID: teamID, Action: action, Target: "doc-1"})
	require.NoError(e.t, err)
	return ev
}

func eventSeqs(events []audit.Event) []uint64 {
	out := make([]uint64, len(events))
	for i, ev := range events {
		out[i] = ev.Seq
	}
	return out
}

// Rule AUD-2: hosts record their own events, with every field, through the
// same chain as the library's; a non-member can be the actor, so refused
// attempts can be logged.
func TestRecordEvent_AUD2(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Docs")
	before := e.auditTrail(tm.ID)
	require.NotEmpty(t, before)

	details := map[string]string{"resource": "agent-7", "why": "cleanup"}
	e.clock.Advance(time.Minute)
	ev, err := e.svc.RecordEvent(e.ctx, team.RecordEventParams{ActorID: ana.ID, TeamID: tm.ID, Action: "resource.deleted", Target: "agent-7", Details: details})
	require.NoError(t, err)
	details["why"] = "changed by the caller afterwards"

	require.NotEmpty(t, ev.ID)
	require.Equal(t, tm.ID, ev.TeamID)
	require.Equal(t, ana.ID, ev.ActorID)
	require.Equal(t, audit.Action("resource.deleted"), ev.Action)
	require.Equal(t, "agent-7", ev.Target)
	require.Equal(t, map[string]string{"resource": "agent-7", "why": "cleanup"}, ev.Details)
	require.True(t, ev.Time.Equal(t0.Add(time.Minute)), "time %v", ev.Time)
	require.Equal(t, before[len(before)-1].Seq+1, ev.Seq)
	require.Equal(t, before[len(before)-1].Hash, ev.PrevHash)

	// A refused attempt by an outsider is logged too.
	denied, err := e.svc.RecordEvent(e.ctx, team.RecordEventParams{ActorID: "user-mallory", TeamID: tm.ID, Action: "resource.access_denied", Target: "agent-7"})
	require.NoError(t, err)
	require.Equal(t, ev.Seq+1, denied.Seq)

	after := e.auditTrail(tm.ID)
	require.Len(t, after, len(before)+2)
	require.Equal(t, ev, after[len(before)])
	require.Equal(t, denied, after[len(before)+1])
	require.NoError(t, e.svc.VerifyAuditChain(e.ctx, tm.ID))
	// The library's and the host's events share one log, one chain.
	require.NoError(t, audit.Verify(tm.ID, after))
}

// Rule AUD-2, SEC-2: a bad host event is refused before anything is
// written; an unknown or deleted team is ErrNotFound.
func TestRecordEvent_AUD2_Refusals(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Docs")
	many := map[string]string{}
	for i := range team.MaxAuditDetails + 1 {
		many[fmt.Sprint("k", i)] = "v"
	}
	ok := team.RecordEventParams{Action: "doc.viewed", Target: "doc-1"}
	with := func(f func(h *team.RecordEventParams)) team.RecordEventParams {
		h := ok
		f(&h)
		return h
	}
	tests := []struct {
		name    string
		actor   string
		teamID  string
		ev      team.RecordEventParams
		wantErr error
	}{
		{"empty actor", "", tm.ID, ok, team.ErrInvalidInput},
		{"actor with a space", "ana x", tm.ID, ok, team.ErrInvalidInput},
		{"empty team", ana.ID, "", ok, team.ErrInvalidInput},
		{"long team ID", ana.ID, strings.Repeat("t", team.MaxIDLength+1), ok, team.ErrInvalidInput},
		{"empty action", ana.ID, tm.ID, with(func(h *team.RecordEventParams) { h.Action = "" }), team.ErrInvalidInput},
		{"action of 65 bytes", ana.ID, tm.ID, with(func(h *team.RecordEventParams) {
			h.Action = audit.Action(strings.Repeat("a", team.MaxAuditActionLength+1))
		}), team.ErrInvalidInput},
		{"action with control char", ana.ID, tm.ID, with(func(h *team.RecordEventParams) { h.Action = "doc.\nviewed" }), team.ErrInvalidInput},
		{"action with a space at the end", ana.ID, tm.ID, with(func(h *team.RecordEventParams) { h.Action = "doc.viewed " }), team.ErrInvalidInput},
		{"action not UTF-8", ana.ID, tm.ID, with(func(h *team.RecordEventParams) { h.Action = "doc.\xff" }), team.ErrInvalidInput},
		{"library action", ana.ID, tm.ID, with(func(h *team.RecordEventParams) { h.Action = audit.TeamDeleted }), team.ErrInvalidInput},
		{"target of 257 bytes", ana.ID, tm.ID, with(func(h *team.RecordEventParams) { h.Target = strings.Repeat("x", team.MaxAuditTargetLength+1) }), team.ErrInvalidInput},
		{"target with control char", ana.ID, tm.ID, with(func(h *team.RecordEventParams) { h.Target = "doc\x00" }), team.ErrInvalidInput},
		{"33 details", ana.ID, tm.ID, with(func(h *team.RecordEventParams) { h.Details = many }), team.ErrInvalidInput},
		{"empty detail key", ana.ID, tm.ID, with(func(h *team.RecordEventParams) { h.Details = map[string]string{"": "v"} }), team.ErrInvalidInput},
		{"long detail value", ana.ID, tm.ID, with(func(h *team.RecordEventParams) {
			h.Details = map[string]string{"k": strings.Repeat("v", team.MaxAuditDetailValueLength+1)}
		}), team.ErrInvalidInput},
		{"unknown team", ana.ID, "team-nobody", ok, team.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.requireUnchanged(func() error {
				ev := tt.ev
				ev.ActorID, ev.TeamID = tt.actor, tt.teamID
				_, err := e.svc.RecordEvent(e.ctx, ev)
				return err
			})
			requireRefused(t, err, tt.wantErr)
		})
	}
	// Limits are inclusive.
	_, err := e.svc.RecordEvent(e.ctx, team.RecordEventParams{
		ActorID: ana.ID,
		TeamID:  tm.ID,
		Action:  audit.Action(strings.Repeat("a", team.MaxAuditActionLength)),
		Target:  strings.Repeat("x", team.MaxAuditTargetLength),
		Details: map[string]string{strings.Repeat("k", team.MaxAuditDetailKeyLength): strings.Repeat("v", team.MaxAuditDetailValueLength)},
	})
	require.NoError(t, err)

	require.NoError(t, e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID))
	err = e.requireUnchanged(func() error {
		ev := ok
		ev.ActorID, ev.TeamID = ana.ID, tm.ID
		_, err := e.svc.RecordEvent(e.ctx, ev)
		return err
	})
	requireRefused(t, err, team.ErrNotFound)
}

// Rule AUD-3: only roles with the audit permission read the log: Owner and
// Admin; Member, Viewer (Standard) and Developer, Basic User, Finance Admin
// (Platform) are denied; outsiders are not members.
func TestAuditLog_AUD3_Roles(t *testing.T) {
	for _, preset := range []struct {
		name    string
		policy  *rbac.Policy
		allowed []string
		denied  []string
	}{
		{"standard", rbac.Standard(), []string{rbac.RoleAdmin}, []string{rbac.RoleMember, rbac.RoleViewer}},
		{"platform", rbac.Platform(), []string{rbac.RoleAdmin}, []string{rbac.RoleDeveloper, rbac.RoleBasicUser, rbac.RoleFinanceAdmin}},
	} {
		t.Run(preset.name, func(t *testing.T) {
			e := newEnv(t, team.WithPolicy(preset.policy))
			owner := user("owner")
			tm := e.teamOf(owner, "Team")
			roles := append(slices.Clone(preset.allowed), preset.denied...)
			for _, role := range roles {
				e.join(owner.ID, tm, user(strings.ReplaceAll(role, "_", "")), role)
			}
			all := e.auditTrail(tm.ID)
			for _, role := range append([]string{rbac.RoleOwner}, preset.allowed...) {
				id := owner.ID
				if role != rbac.RoleOwner {
					id = user(strings.ReplaceAll(role, "_", "")).ID
				}
				p, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: id, TeamID: tm.ID})
				require.NoError(t, err, role)
				require.Equal(t, all, p.Events, role)
			}
			for _, role := range preset.denied {
				_, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: user(strings.ReplaceAll(role, "_", "")).ID, TeamID: tm.ID})
				requireRefused(t, err, team.ErrPermissionDenied)
			}
			_, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: "user-outsider", TeamID: tm.ID})
			requireRefused(t, err, team.ErrNotMember)
			// TEAM-6: the owner of another team reads nothing of this one.
			other := e.teamOf(user("zed"), "Other")
			_, err = e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: "user-zed", TeamID: tm.ID})
			requireRefused(t, err, team.ErrNotMember)
			p, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: "user-zed", TeamID: other.ID})
			require.NoError(t, err)
			for _, ev := range p.Events {
				require.Equal(t, other.ID, ev.TeamID)
			}
		})
	}
}

// Rule AUD-3: reads filter by actor, action and time range, and combine
// the filters.
func TestAuditLog_AUD3_Filters(t *testing.T) {
	e := newEnv(t)
	ana, bob := user("ana"), user("bob")
	tm := e.teamOf(ana, "Docs")
	e.join(ana.ID, tm, bob, rbac.RoleMember)
	start := e.clock.Now()
	e.clock.Advance(time.Hour)
	mid := e.clock.Now()
	for i := range 6 {
		actor := ana.ID
		if i%2 == 1 {
			actor = bob.ID
		}
		action := audit.Action("doc.viewed")
		if i%3 == 0 {
			action = "doc.edited"
		}
		e.hostEvent(actor, tm.ID, action)
		e.clock.Advance(time.Minute)
	}
	end := e.clock.Now()
	all := e.auditTrail(tm.ID)

	want := func(keep func(ev audit.Event) bool) []audit.Event {
		var out []audit.Event
		for _, ev := range all {
			if keep(ev) {
				out = append(out, ev)
			}
		}
		require.NotEmpty(t, out, "a filter case that matches nothing proves little")
		require.Less(t, len(out), len(all), "a filter case that matches everything proves little")
		return out
	}
	tests := []struct {
		name string
		q    audit.Query
		want []audit.Event
	}{
		{"actor", audit.Query{ActorID: bob.ID}, want(func(ev audit.Event) bool { return ev.ActorID == bob.ID })},
		{"action", audit.Query{Actions: []audit.Action{"doc.edited"}}, want(func(ev audit.Event) bool { return ev.Action == "doc.edited" })},
		{"two actions", audit.Query{Actions: []audit.Action{"doc.edited", audit.InvitationSent}}, want(func(ev audit.Event) bool {
			return ev.Action == "doc.edited" || ev.Action == audit.InvitationSent
		})},
		{"from", audit.Query{From: mid}, want(func(ev audit.Event) bool { return !ev.Time.Before(mid) })},
		{"to", audit.Query{To: mid}, want(func(ev audit.Event) bool { return ev.Time.Before(mid) })},
		{"range", audit.Query{From: mid.Add(time.Minute), To: mid.Add(3 * time.Minute)}, want(func(ev audit.Event) bool {
			return !ev.Time.Before(mid.Add(time.Minute)) && ev.Time.Before(mid.Add(3*time.Minute))
		})},
		{"actor and action and range", audit.Query{ActorID: ana.ID, Actions: []audit.Action{"doc.edited", "doc.viewed"}, From: mid, To: end}, want(func(ev audit.Event) bool {
			return ev.ActorID == ana.ID && (ev.Action == "doc.edited" || ev.Action == "doc.viewed") && !ev.Time.Before(mid) && ev.Time.Before(end)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: ana.ID, TeamID: tm.ID, Query: tt.q})
			require.NoError(t, err)
			require.Equal(t, tt.want, p.Events)
			require.Empty(t, p.NextCursor)
			// Paging one event at a time gives the same events.
			q := tt.q
			q.Limit = 1
			var paged []audit.Event
			for {
				p, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: ana.ID, TeamID: tm.ID, Query: q})
				require.NoError(t, err)
				require.LessOrEqual(t, len(p.Events), 1)
				paged = append(paged, p.Events...)
				if p.NextCursor == "" {
					break
				}
				q.Cursor = p.NextCursor
			}
			require.Equal(t, tt.want, paged)
		})
	}
	p, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: ana.ID, TeamID: tm.ID, Query: audit.Query{From: start.Add(-time.Hour), To: start.Add(-time.Minute)}})
	require.NoError(t, err)
	require.Empty(t, p.Events)
	require.Empty(t, p.NextCursor)
}

// Rule AUD-3: cursor pages cross page boundaries without skipping or
// repeating an event while new events are appended between page reads.
func TestAuditLog_AUD3_CursorWhileAppending(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Docs")
	for range 12 {
		e.hostEvent(ana.ID, tm.ID, "doc.viewed")
	}
	var got []audit.Event
	q := audit.Query{Limit: 5}
	pages := 0
	for {
		p, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: ana.ID, TeamID: tm.ID, Query: q})
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Events), 5)
		got = append(got, p.Events...)
		pages++
		if p.NextCursor == "" {
			break
		}
		require.Len(t, p.Events, 5, "only the last page may be short")
		q.Cursor = p.NextCursor
		if pages <= 3 { // append while the reader is in the middle of the log
			for range 3 {
				e.hostEvent(ana.ID, tm.ID, "doc.edited")
			}
		}
	}
	all := e.auditTrail(tm.ID)
	require.Equal(t, all, got, "paged read differs from the whole log")
	require.Equal(t, eventSeqs(all), eventSeqs(got))
	for i, ev := range got {
		require.Equal(t, uint64(i+1), ev.Seq, "skipped or repeated event")
	}
	require.Equal(t, (len(all)+4)/5, pages)
}

// Rule AUD-3: pages stay exact with appends running concurrently with the
// reader (run with -race).
func TestAuditLog_AUD3_CursorConcurrentAppends(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Docs")
	const writes = 300
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range writes {
			if _, err := e.svc.RecordEvent(e.ctx, team.RecordEventParams{ActorID: ana.ID, TeamID: tm.ID, Action: "doc.viewed"}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	// Tail the log: follow NextCursor, and at the end of the log continue
	// after the last event read.
	var got []audit.Event
	q := audit.Query{Limit: 7, Actions: []audit.Action{"doc.viewed", audit.TeamCreated}}
	deadline := time.Now().Add(time.Minute)
	for len(got) < writes+1 {
		require.True(t, time.Now().Before(deadline), "the writer stopped early: read %d of %d events", len(got), writes+1)
		p, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: ana.ID, TeamID: tm.ID, Query: q})
		require.NoError(t, err)
		got = append(got, p.Events...)
		switch {
		case p.NextCursor != "":
			q.Cursor = p.NextCursor
		case len(got) > 0:
			q.Cursor = audit.EncodeCursor(got[len(got)-1].Seq)
		}
	}
	wg.Wait()
	// Every event read is the event at that position of the log: none
	// skipped, none repeated, none out of order.
	require.Equal(t, e.auditTrail(tm.ID), got)
}

// Rule AUD-3: a malformed cursor or range is bad input; large limits are
// capped at audit.MaxLimit.
func TestAuditLog_AUD3_BadQuery(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Docs")
	for range audit.MaxLimit + 5 {
		e.hostEvent(ana.ID, tm.ID, "doc.viewed")
	}
	for _, read := range map[string]func(q audit.Query) (audit.Page, error){
		"AuditLog": func(q audit.Query) (audit.Page, error) {
			return e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: ana.ID, TeamID: tm.ID, Query: q})
		},
		"HostAuditLog": func(q audit.Query) (audit.Page, error) { return e.svc.HostAuditLog(e.ctx, tm.ID, q) },
	} {
		_, err := read(audit.Query{Cursor: "not-a-cursor"})
		requireRefused(t, err, team.ErrInvalidInput)
		require.ErrorIs(t, err, audit.ErrInvalidCursor)
		_, err = read(audit.Query{Limit: -1})
		requireRefused(t, err, team.ErrInvalidInput)
		require.ErrorIs(t, err, audit.ErrInvalidQuery)
		_, err = read(audit.Query{From: t0, To: t0.Add(-time.Second)})
		requireRefused(t, err, team.ErrInvalidInput)

		p, err := read(audit.Query{})
		require.NoError(t, err)
		require.Len(t, p.Events, audit.DefaultLimit)
		require.NotEmpty(t, p.NextCursor)
		p, err = read(audit.Query{Limit: 1 << 30})
		require.NoError(t, err)
		require.Len(t, p.Events, audit.MaxLimit)
		require.NotEmpty(t, p.NextCursor)
	}
}

// tamperStore is a Store whose audit reads are tampered with: the Store
// contract has no way to change or delete an event, so an attacker with
// database access is simulated at read time.
type tamperStore struct {
	*store.Memory
	tamper func(events []audit.Event) []audit.Event // over the whole log
}

func (s *tamperStore) AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error) {
	all, err := s.Memory.AuditEvents(ctx, teamID, audit.Filter{})
	if err != nil {
		return nil, err
	}
	all = s.tamper(all)
	var out []audit.Event
	for _, ev := range all {
		if ev.Seq > f.AfterSeq && f.Match(ev) && (f.Limit <= 0 || len(out) < f.Limit) {
			out = append(out, ev)
		}
	}
	return out, nil
}

// Rule AUD-4: VerifyAuditChain reports the first broken link of a
// tampered log, across the pages it reads, and nil for an untouched one.
func TestVerifyAuditChain_AUD4(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Docs")
	other := e.teamOf(user("zed"), "Other")
	for range 2 * audit.MaxLimit {
		e.hostEvent(ana.ID, tm.ID, "doc.viewed")
	}
	e.hostEvent("user-zed", other.ID, "doc.viewed")
	require.NoError(t, e.svc.VerifyAuditChain(e.ctx, tm.ID))
	require.NoError(t, e.svc.VerifyAuditChain(e.ctx, other.ID))
	all := e.auditTrail(tm.ID)
	n := len(all)
	require.Greater(t, n, 2*audit.MaxLimit, "the log must span several verify pages")
	otherEvents := e.auditTrail(other.ID)

	k := audit.MaxLimit + 10 // index of the tampered event, on the second page
	tests := []struct {
		name   string
		tamper func(ev []audit.Event) []audit.Event
		seq    uint64 // the Seq the first broken link should hold
		id     string // the event found there
	}{
		{"change a field", func(ev []audit.Event) []audit.Event {
			ev[k].ActorID = "user-mallory"
			return ev
		}, all[k].Seq, all[k].ID},
		{"change the first event", func(ev []audit.Event) []audit.Event {
			ev[0].Details = map[string]string{"name": "Forged"}
			return ev
		}, 1, all[0].ID},
		{"delete one", func(ev []audit.Event) []audit.Event {
			return slices.Delete(ev, k, k+1)
		}, all[k].Seq, all[k+1].ID},
		{"delete one at a page boundary", func(ev []audit.Event) []audit.Event {
			return slices.Delete(ev, audit.MaxLimit, audit.MaxLimit+1)
		}, all[audit.MaxLimit].Seq, all[audit.MaxLimit+1].ID},
		// The head on the team record knows the missing event by Seq and
		// hash only, so no ID is named.
		{"delete the last", func(ev []audit.Event) []audit.Event {
			return ev[:n-1]
		}, all[n-1].Seq, ""},
		{"swap two", func(ev []audit.Event) []audit.Event {
			ev[k], ev[k+1] = ev[k+1], ev[k]
			return ev
		}, all[k].Seq, all[k+1].ID},
		{"insert one", func(ev []audit.Event) []audit.Event {
			forged := audit.Seal(audit.Event{ID: "forged", TeamID: tm.ID, Time: t0, ActorID: ana.ID, Action: "doc.viewed"}, ev[k-1])
			return slices.Insert(ev, k, forged)
		}, all[k].Seq + 1, all[k].ID},
		{"event of another team", func(ev []audit.Event) []audit.Event {
			ev[0] = otherEvents[0]
			return ev
		}, 1, otherEvents[0].ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := &tamperStore{Memory: e.st, tamper: tt.tamper}
			svc, err := team.New(ts)
			require.NoError(t, err)
			err = svc.VerifyAuditChain(e.ctx, tm.ID)
			require.ErrorIs(t, err, team.ErrBrokenChain)
			var ce *audit.ChainError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.seq, ce.Seq, "first broken link: %v", ce)
			require.Equal(t, tt.id, ce.ID, "first broken link: %v", ce)
		})
	}
	// The untouched log still verifies; other teams are unaffected.
	require.NoError(t, e.svc.VerifyAuditChain(e.ctx, tm.ID))

	requireRefused(t, e.svc.VerifyAuditChain(e.ctx, "team-nobody"), team.ErrNotFound)
	requireRefused(t, e.svc.VerifyAuditChain(e.ctx, ""), team.ErrInvalidInput)
}

// Rule DEL-3: after deletion the host still reads the whole trail, ending
// in team.deleted, and it still verifies; former members read nothing.
func TestHostAuditLog_DEL3(t *testing.T) {
	e := newEnv(t)
	ana, bob := user("ana"), user("bob")
	tm := e.teamOf(ana, "Docs")
	e.join(ana.ID, tm, bob, rbac.RoleAdmin)
	e.hostEvent(bob.ID, tm.ID, "doc.viewed")
	before := e.auditTrail(tm.ID)
	p, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: bob.ID, TeamID: tm.ID, Query: audit.Query{Limit: audit.MaxLimit}})
	require.NoError(t, err)
	require.Equal(t, before, p.Events)

	require.NoError(t, e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID))

	after := e.auditTrail(tm.ID)
	require.Len(t, after, len(before)+1)
	require.Equal(t, before, after[:len(before)])
	last := after[len(after)-1]
	require.Equal(t, audit.TeamDeleted, last.Action)
	require.Equal(t, ana.ID, last.ActorID)
	require.NoError(t, e.svc.VerifyAuditChain(e.ctx, tm.ID))

	// Filters and cursors work on a deleted team's trail too.
	p, err = e.svc.HostAuditLog(e.ctx, tm.ID, audit.Query{Actions: []audit.Action{audit.TeamDeleted}})
	require.NoError(t, err)
	require.Equal(t, []audit.Event{last}, p.Events)

	for _, former := range []team.User{ana, bob} {
		_, err := e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: former.ID, TeamID: tm.ID})
		requireRefused(t, err, team.ErrNotMember)
	}
	_, err = e.svc.HostAuditLog(e.ctx, "team-nobody", audit.Query{})
	requireRefused(t, err, team.ErrNotFound)
	_, err = e.svc.HostAuditLog(e.ctx, "", audit.Query{})
	requireRefused(t, err, team.ErrInvalidInput)
}

// errorStore fails every audit read, to check the errors are passed on.
type errorStore struct{ *store.Memory }

var errAuditRead = errors.New("disk on fire")

func (s errorStore) AuditEvents(context.Context, string, audit.Filter) ([]audit.Event, error) {
	return nil, errAuditRead
}

func TestAuditReadsPassOnStoreErrors(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Docs")
	svc, err := team.New(errorStore{e.st})
	require.NoError(t, err)
	_, err = svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: ana.ID, TeamID: tm.ID})
	require.ErrorIs(t, err, errAuditRead)
	_, err = svc.HostAuditLog(e.ctx, tm.ID, audit.Query{})
	require.ErrorIs(t, err, errAuditRead)
	require.ErrorIs(t, svc.VerifyAuditChain(e.ctx, tm.ID), errAuditRead)
}
