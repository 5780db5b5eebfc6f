package teamhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// Rule HTTP-2: the table of codes to statuses is one table: statusByCode,
// and the package doc and docs/http.md print exactly it.
func TestHTTP2StatusTableIsDocumented(t *testing.T) {
	want := map[string]int{}
	for code, status := range statusByCode {
		want[code] = status
	}
	src, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	fromDoc := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^//\t(\d{3})  ([a-z_]+)$`).FindAllStringSubmatch(string(src), -1) {
		n, _ := strconv.Atoi(m[1])
		fromDoc[m[2]] = n
	}
	require.Equal(t, want, fromDoc, "doc.go's table vs statusByCode")
	md, err := os.ReadFile("../docs/http.md")
	require.NoError(t, err)
	fromMD := map[string]int{}
	for _, m := range regexp.MustCompile("(?m)^\\| (\\d{3}) \\| `([a-z_]+)`").FindAllStringSubmatch(string(md), -1) {
		n, _ := strconv.Atoi(m[1])
		fromMD[m[2]] = n
	}
	require.Equal(t, want, fromMD, "docs/http.md's table vs statusByCode")
}

// Rules HTTP-2 and SEC-4: every code team.Code documents has a status here
// (none falls to 500 by omission), and a problem's detail is
// team.PublicMessage, never the error's full text.
func TestHTTP2EveryServiceCodeHasAStatus(t *testing.T) {
	src, err := os.ReadFile("../team/public.go")
	require.NoError(t, err)
	codes := regexp.MustCompile(`(?m)^//\t([a-z_]+) +(?:Err|context\.|anything)`).FindAllStringSubmatch(string(src), -1)
	require.Greater(t, len(codes), 20, "team.Code's doc table was not found")
	for _, m := range codes {
		_, ok := statusByCode[m[1]]
		require.True(t, ok, "team.Code's %s has no status in statusByCode", m[1])
	}
	secret := fmt.Errorf("charging account acct-42 of bo@example.com (balance 3): %w", team.ErrInsufficientBalance)
	p := problemFor(secret)
	require.Equal(t, "insufficient_balance", p.Code)
	require.Equal(t, http.StatusPaymentRequired, p.Status)
	require.Equal(t, team.PublicMessage(secret), p.Detail)
	require.NotContains(t, p.Detail, "acct-42")
	require.NotContains(t, p.Detail, "bo@example.com")
	seats := fmt.Errorf("invite: %w", &team.SeatLimitError{TeamID: "t1", Limit: 5, Used: 5})
	p = problemFor(seats)
	require.Equal(t, Problem{Type: problemTypeBase + "seat_limit", Title: "Conflict", Status: 409,
		Detail: team.PublicMessage(seats), Code: "seat_limit", Limit: 5, Used: 5}, p)
	remain := &team.ResourcesRemainError{TeamID: "t1", Counts: map[string]int{"agents": 2}}
	p = problemFor(remain)
	require.Equal(t, map[string]int{"agents": 2}, p.Counts)
	require.Equal(t, 409, p.Status)
}

// Rule HTTP-2: an internal error is a 500 whose body holds only an opaque
// error ID; the full error is logged under that ID.
func TestHTTP2InternalErrorIsOpaqueAndLogged(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	svc, err := team.New(store.NewMemory())
	require.NoError(t, err)
	boom := errors.New("db password=hunter2 refused")
	h := New(svc, WithLogger(logger), WithAuthenticate(func(*http.Request) (team.User, error) {
		return team.User{ID: "ana", Email: "ana@example.com"}, nil
	}), WithLimiter(failingLimiter{boom}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/invitations/accept", strings.NewReader(`{"token":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	require.Equal(t, 500, rec.Code)
	require.Equal(t, ProblemContentType, rec.Header().Get("Content-Type"))
	require.NotContains(t, rec.Body.String(), "hunter2")
	var p Problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	require.Equal(t, "internal", p.Code)
	require.Len(t, p.ErrorID, 24)
	var entry map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &entry), "%s", logs.String())
	require.Equal(t, p.ErrorID, entry["error_id"])
	require.Contains(t, entry["error"], "hunter2")
	require.Equal(t, "ERROR", entry["level"])
}

type failingLimiter struct{ err error }

func (f failingLimiter) Allow(context.Context, string, Limit) (bool, time.Duration, error) {
	return false, 0, f.err
}
