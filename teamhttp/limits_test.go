package teamhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/teamhttp"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Rule HTTP-6: sending invitations is limited per actor and answered with
// 429 and Retry-After; the bucket refills with time; ordinary management
// calls of the same admin are never limited.
func TestHTTP6InvitesLimitedPerActor(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	limits := teamhttp.RateLimits{InvitesPerActor: teamhttp.Limit{Burst: 2, Per: time.Hour}}
	f := newFixture(t, teamhttp.WithRateLimits(limits), teamhttp.WithLimiter(teamhttp.NewMemoryLimiter(teamhttp.MemoryLimiterConfig{Now: c.now})))
	T := "/teams/" + f.acme.ID
	invite := func(email string) (int, string) {
		status, h, body := f.do(t, "ana", "POST", T+"/invitations", "application/json", []byte(`{"email":"`+email+`"}`))
		if status == 429 {
			require.Equal(t, "rate_limited", decodeProblem(t, body).Code)
		}
		return status, h.Get("Retry-After")
	}
	s, _ := invite("u1@example.com")
	require.Equal(t, 201, s)
	s, _ = invite("u2@example.com")
	require.Equal(t, 201, s)
	s, retry := invite("u3@example.com")
	require.Equal(t, 429, s)
	secs, err := strconv.Atoi(retry)
	require.NoError(t, err)
	require.InDelta(t, 1800, secs, 1, "one invitation refills in half an hour at 2 per hour")
	invs, err := f.svc.Invitations(context.Background(), "ana", f.acme.ID)
	require.NoError(t, err)
	require.Len(t, invs, 2, "the refused invitation was not created")

	// Management is never limited.
	for i := range 50 {
		status, _, body := f.do(t, "ana", "PATCH", T, "application/json", []byte(fmt.Sprintf(`{"name":"Acme %d"}`, i)))
		require.Equal(t, 200, status, "%s", body)
		status, _, _ = f.do(t, "ana", "GET", T+"/members", "", nil)
		require.Equal(t, 200, status)
	}
	status, _, _ := f.do(t, "ana", "DELETE", T+"/invitations/"+invs[0].ID, "", nil)
	require.Equal(t, 204, status)

	c.add(31 * time.Minute)
	s, _ = invite("u3@example.com")
	require.Equal(t, 201, s)
	s, _ = invite("u4@example.com")
	require.Equal(t, 429, s)
}

// Rule HTTP-6: presenting tokens is limited per client address, signed in or
// not, and per actor.
func TestHTTP6TokensLimitedPerAddressAndActor(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	limits := teamhttp.RateLimits{
		TokensPerAddress: teamhttp.Limit{Burst: 3, Per: time.Minute},
		TokensPerActor:   teamhttp.Limit{Burst: 2, Per: time.Minute},
	}
	addr := "198.51.100.7"
	f := newFixture(t, teamhttp.WithRateLimits(limits),
		teamhttp.WithLimiter(teamhttp.NewMemoryLimiter(teamhttp.MemoryLimiterConfig{Now: c.now})),
		teamhttp.WithClientAddress(func(*http.Request) string { return addr }))
	present := func(user, path string) int {
		status, h, _ := f.do(t, user, "POST", path, "application/json", []byte(`{"token":"no-such-token"}`))
		if status == 429 {
			require.NotEmpty(t, h.Get("Retry-After"))
		}
		return status
	}
	require.Equal(t, 404, present("", "/invitations/preview"))
	require.Equal(t, 404, present("bo", "/invitations/accept"))
	require.Equal(t, 404, present("cy", "/invitations/decline"))
	require.Equal(t, 429, present("", "/invitations/preview"), "the address's bucket is empty")
	addr = "203.0.113.9"
	require.Equal(t, 404, present("bo", "/invitations/accept"))
	require.Equal(t, 429, present("bo", "/invitations/accept"), "bo's bucket is empty, whatever the address")
	require.Equal(t, 404, present("cy", "/invitations/accept"))
	require.Equal(t, 429, present("cy", "/invitations/accept"))
	c.add(time.Minute)
	require.Equal(t, 404, present("bo", "/invitations/accept"))
}

// Rule HTTP-6: the in-memory limiter keeps at most MaxKeys buckets.
func TestHTTP6MemoryLimiterIsBounded(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := teamhttp.NewMemoryLimiter(teamhttp.MemoryLimiterConfig{MaxKeys: 100, Now: c.now})
	l := teamhttp.Limit{Burst: 1, Per: time.Hour}
	for i := range 1000 {
		ok, _, err := m.Allow(context.Background(), fmt.Sprint("k", i), l)
		require.NoError(t, err)
		require.True(t, ok)
		require.LessOrEqual(t, m.Len(), 100)
	}
	ok, wait, err := m.Allow(context.Background(), "k999", l)
	require.NoError(t, err)
	require.False(t, ok)
	require.Equal(t, time.Hour, wait)
}

// Rule HTTP-6: the defaults limit something and are written in the docs.
func TestHTTP6DefaultRateLimits(t *testing.T) {
	d := teamhttp.DefaultRateLimits()
	b, err := json.Marshal(d)
	require.NoError(t, err)
	for _, l := range []teamhttp.Limit{d.InvitesPerActor, d.InvitesPerAddress, d.TokensPerActor, d.TokensPerAddress} {
		require.Positive(t, l.Burst, "%s", b)
		require.Positive(t, l.Per, "%s", b)
	}
}

// brokenLimiter fails every call, to show which routes consult the limiter.
type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string, teamhttp.Limit) (bool, time.Duration, error) {
	return false, 0, errors.New("limiter down")
}

// Rule HTTP-6: only sending invitations and presenting tokens consult the
// limiter; with a broken limiter every other route of the seed story's
// owner still answers, and the limited ones fail closed (500).
func TestHTTP6OnlyLimitedRoutesConsultTheLimiter(t *testing.T) {
	f := newFixture(t, teamhttp.WithLimiter(brokenLimiter{}))
	T := "/teams/" + f.acme.ID
	for _, c := range []struct{ method, path, body string }{
		{"GET", T, ""}, {"PATCH", T, `{"name":"Acme 2"}`}, {"GET", T + "/members", ""}, {"GET", T + "/invitations", ""},
		{"GET", T + "/audit", ""}, {"GET", T + "/usage", ""}, {"GET", T + "/billing", ""}, {"POST", T + "/billing/top-up", `{"amount":5}`},
		{"GET", T + "/permissions", ""}, {"GET", T + "/deletion", ""}, {"GET", "/me/teams", ""},
	} {
		ct := ""
		if c.body != "" {
			ct = "application/json"
		}
		status, _, body := f.do(t, "ana", c.method, c.path, ct, []byte(c.body))
		require.Less(t, status, 300, "%s %s: %s", c.method, c.path, body)
	}
	status, _, _ := f.do(t, "ana", "POST", T+"/invitations", "application/json", []byte(`{"email":"x@example.com"}`))
	require.Equal(t, 500, status)
	status, _, _ = f.do(t, "", "POST", "/invitations/preview", "application/json", []byte(`{"token":"t"}`))
	require.Equal(t, 500, status)
}

// Rules HTTP-6 and LINK-1: creating invite links shares the bucket of
// sending invitations, per actor; joining through a link presents a token
// and shares the token bucket; listing and revoking links are management
// and never limited.
func TestHTTP6LinksLimitedLikeInvitationsAndTokens(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	limits := teamhttp.RateLimits{
		InvitesPerActor: teamhttp.Limit{Burst: 2, Per: time.Hour},
		TokensPerActor:  teamhttp.Limit{Burst: 2, Per: time.Minute},
	}
	f := newFixture(t, teamhttp.WithRateLimits(limits), teamhttp.WithLimiter(teamhttp.NewMemoryLimiter(teamhttp.MemoryLimiterConfig{Now: c.now})))
	T := "/teams/" + f.acme.ID
	createLink := func() (int, string) {
		status, h, body := f.do(t, "ana", "POST", T+"/links", "application/json", []byte(`{}`))
		if status == 429 {
			require.Equal(t, "rate_limited", decodeProblem(t, body).Code)
			require.NotEmpty(t, h.Get("Retry-After"))
			return status, ""
		}
		var out struct {
			Link  struct{ ID string } `json:"link"`
			Token string              `json:"token"`
		}
		require.NoError(t, json.Unmarshal(body, &out), "%s", body)
		return status, out.Link.ID
	}
	s, linkID := createLink()
	require.Equal(t, 201, s)
	status, _, _ := f.do(t, "ana", "POST", T+"/invitations", "application/json", []byte(`{"email":"u1@example.com"}`))
	require.Equal(t, 201, status)
	s, _ = createLink()
	require.Equal(t, 429, s, "the invitation and the link drew on one bucket")
	links, err := f.svc.InviteLinks(context.Background(), "ana", f.acme.ID)
	require.NoError(t, err)
	require.Len(t, links, 1, "the refused link was not created")
	for range 10 {
		status, _, body := f.do(t, "ana", "GET", T+"/links", "", nil)
		require.Equal(t, 200, status, "%s", body)
	}
	status, _, body := f.do(t, "ana", "POST", T+"/links/"+linkID+"/revoke", "", nil)
	require.Equal(t, 204, status, "%s", body)

	join := func(user string) int {
		status, _, _ := f.do(t, user, "POST", "/links/join", "application/json", []byte(`{"token":"no-such-token"}`))
		return status
	}
	require.Equal(t, 404, join("bo"))
	status, _, _ = f.do(t, "bo", "POST", "/invitations/accept", "application/json", []byte(`{"token":"no-such-token"}`))
	require.Equal(t, 404, status)
	require.Equal(t, 429, join("bo"), "joining by link and accepting drew on one token bucket")
	require.Equal(t, 404, join("cy"))
	c.add(time.Minute)
	require.Equal(t, 404, join("bo"))
}
