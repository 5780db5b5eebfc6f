package teamhttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
)

// BenchmarkHTTPAuthorizeRoute measures a host route guarded by
// RequireAction over loopback on the memory store: 64 concurrent clients
// with net/http's client, keep-alive, each request authenticated and
// authorized (HTTP-5). It reports the p50 and p99 latency and the requests
// per second.
func BenchmarkHTTPAuthorizeRoute(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	res, err := f.svc.Invite(ctx, team.InviteParams{ActorID: "ana", TeamID: f.acme.ID, Email: "bo@example.com", Role: "member"})
	require.NoError(b, err)
	_, err = f.svc.AcceptInvitation(ctx, team.User{ID: "bo", Email: "bo@example.com"}, res.Token)
	require.NoError(b, err)
	auth := teamhttp.Authenticated(func(r *http.Request) (team.User, error) {
		return team.User{ID: r.Header.Get("X-User"), Email: "bo@example.com"}, nil
	}, nil)
	agentOf := func(r *http.Request) (string, team.Resource, error) {
		return r.PathValue("teamID"), team.Resource{Type: "agent", ID: r.PathValue("id"), CreatorID: "bo"}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("POST /teams/{teamID}/agents/{id}/run", auth(teamhttp.RequireAction(f.svc, rbac.Use, agentOf)(
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	const clients = 64
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := srv.URL + "/teams/" + f.acme.ID + "/agents/a1/run"

	var mu sync.Mutex
	var lat []time.Duration
	var next = make(chan struct{}, clients)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	go func() {
		for range b.N {
			next <- struct{}{}
		}
		close(next)
	}()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/clients+1)
			for range next {
				req, _ := http.NewRequest("POST", url, nil)
				req.Header.Set("X-User", "bo")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				if resp.StatusCode != http.StatusNoContent {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
}
