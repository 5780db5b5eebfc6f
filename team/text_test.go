package team_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// recordUsageAs calls Service.RecordUsage; one place to adapt to its signature.
func recordUsageAs(e *env, actorID, teamID string, u team.RecordUsageParams) (billing.UsageRecord, error) {
	u.ActorID, u.TeamID = actorID, teamID
	return e.svc.RecordUsage(e.ctx, u)
}

// recordEventAs calls Service.RecordEvent; one place to adapt to its signature.
func recordEventAs(e *env, actorID, teamID string, ev team.RecordEventParams) (audit.Event, error) {
	ev.ActorID, ev.TeamID = actorID, teamID
	return e.svc.RecordEvent(e.ctx, ev)
}

// topUpAs calls Service.TopUp; one place to adapt to its signature.
func topUpAs(e *env, actorID, teamID string, amount int64) (billing.Account, error) {
	return e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: actorID, TeamID: teamID, Amount: amount})
}

// requireInvalidField checks that err is an *InputError for field.
func requireInvalidField(t *testing.T, err error, field string) {
	t.Helper()
	require.ErrorIs(t, err, team.ErrInvalidInput)
	var ie *team.InputError
	require.True(t, errors.As(err, &ie), "error %v is not an *InputError", err)
	require.Equal(t, field, ie.Field, "error %v names the wrong field", err)
}

// Rule SEC-6: NUL and other control characters are refused in every
// free-text field of a usage charge and a host event, keys and values alike,
// with ErrInvalidInput naming the field, before anything is written (here on
// the memory store, which used to accept NUL in metadata and detail values).
func TestControlCharactersRefused_SEC6(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	pt := e.register(ana)
	_, err := topUpAs(e, ana.ID, pt.ID, 1000)
	require.NoError(t, err)

	for _, bad := range []string{"\x00", "a\x00b", "line\nbreak", "\x7f", "\u0085"} {
		usages := []struct {
			field string
			u     team.RecordUsageParams
		}{
			{"metadata", team.RecordUsageParams{Amount: 1, IdempotencyKey: "k", Metadata: map[string]string{"model": bad}}},
			{"metadata", team.RecordUsageParams{Amount: 1, IdempotencyKey: "k", Metadata: map[string]string{bad: "large"}}},
			{"idempotency_key", team.RecordUsageParams{Amount: 1, IdempotencyKey: bad}},
		}
		for _, c := range usages {
			err := e.requireUnchanged(func() error { _, err := recordUsageAs(e, ana.ID, pt.ID, c.u); return err })
			requireInvalidField(t, err, c.field)
		}
		events := []struct {
			field string
			ev    team.RecordEventParams
		}{
			{"details", team.RecordEventParams{Action: "resource.read", Details: map[string]string{"path": bad}}},
			{"details", team.RecordEventParams{Action: "resource.read", Details: map[string]string{bad: "x"}}},
			{"target", team.RecordEventParams{Action: "resource.read", Target: bad}},
			{"action", team.RecordEventParams{Action: audit.Action("resource." + bad)}},
		}
		for _, c := range events {
			err := e.requireUnchanged(func() error { _, err := recordEventAs(e, ana.ID, pt.ID, c.ev); return err })
			requireInvalidField(t, err, c.field)
		}
	}

	// Printable text, including non-ASCII, is kept as given.
	rec, err := recordUsageAs(e, ana.ID, pt.ID, team.RecordUsageParams{Amount: 1, IdempotencyKey: "ok", Metadata: map[string]string{"model": "größe – 大"}})
	require.NoError(t, err)
	require.Equal(t, "größe – 大", rec.Metadata["model"])
	ev, err := recordEventAs(e, ana.ID, pt.ID, team.RecordEventParams{Action: "resource.read", Details: map[string]string{"path": "a b/ü"}})
	require.NoError(t, err)
	require.Equal(t, "a b/ü", ev.Details["path"])
}

// Rule SEC-6: every text field has a documented length limit, one past it
// is refused naming the field, and the limit itself is accepted.
func TestLengthLimits_SEC6(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	pt := e.register(ana)
	_, err := topUpAs(e, ana.ID, pt.ID, 1000)
	require.NoError(t, err)
	at := func(n int) string { return strings.Repeat("a", n) }

	_, err = recordUsageAs(e, ana.ID, pt.ID, team.RecordUsageParams{Amount: 1, IdempotencyKey: at(team.MaxIdempotencyKeyLength),
		Metadata: map[string]string{at(team.MaxUsageMetadataLength): at(team.MaxUsageMetadataLength)}})
	require.NoError(t, err)
	for field, u := range map[string]team.RecordUsageParams{
		"idempotency_key": {Amount: 1, IdempotencyKey: at(team.MaxIdempotencyKeyLength + 1)},
		"metadata":        {Amount: 1, IdempotencyKey: "k", Metadata: map[string]string{"m": at(team.MaxUsageMetadataLength + 1)}},
	} {
		err := e.requireUnchanged(func() error { _, err := recordUsageAs(e, ana.ID, pt.ID, u); return err })
		requireInvalidField(t, err, field)
	}

	_, err = recordEventAs(e, ana.ID, pt.ID, team.RecordEventParams{Action: audit.Action(at(team.MaxAuditActionLength)),
		Target: at(team.MaxAuditTargetLength), Details: map[string]string{at(team.MaxAuditDetailKeyLength): at(team.MaxAuditDetailValueLength)}})
	require.NoError(t, err)
	for field, ev := range map[string]team.RecordEventParams{
		"action":  {Action: audit.Action(at(team.MaxAuditActionLength + 1))},
		"target":  {Action: "x.y", Target: at(team.MaxAuditTargetLength + 1)},
		"details": {Action: "x.y", Details: map[string]string{"d": at(team.MaxAuditDetailValueLength + 1)}},
	} {
		err := e.requireUnchanged(func() error { _, err := recordEventAs(e, ana.ID, pt.ID, ev); return err })
		requireInvalidField(t, err, field)
	}
}
