package postgres_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// The multi-process test: the test binary runs itself again as OS
// processes (TestMultiProcessChild, selected by -test.run and told what to
// do by the environment), each with its own pool and Service, against one
// schema: the deployment of many stateless application instances on one
// PostgreSQL.

var longRun = flag.Bool("long", false, "run the multi-process storm and revocation test longer (also TEAMKIT_LONG=1)")

const (
	childRoleEnv   = "TEAMKIT_MP_ROLE" // "storm" or "watch"
	childSchemaEnv = "TEAMKIT_MP_SCHEMA"
	childArgsEnv   = "TEAMKIT_MP_ARGS" // storm: ops per goroutine; watch: "teamID userID"
	childProcesses = 4
)

func long() bool { return *longRun || os.Getenv("TEAMKIT_LONG") != "" }

// TestMultiProcessChild is the entry point of a child process of
// TestMultiProcess_SEC3_RES3, which sets childRoleEnv; in any other run it
// does nothing (it does not skip: CI fails on skipped tests).
func TestMultiProcessChild(t *testing.T) {
	role := os.Getenv(childRoleEnv)
	if role == "" {
		return
	}
	cfg, err := pgxpool.ParseConfig(os.Getenv(dsnEnv))
	noErr(t, "parse DSN", err)
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	noErr(t, "pool", err)
	defer pool.Close()
	st, err := postgres.New(pool, postgres.WithSchema(os.Getenv(childSchemaEnv)))
	noErr(t, "postgres.New", err)
	switch role {
	case "storm":
		ops, err := strconv.Atoi(os.Getenv(childArgsEnv))
		noErr(t, "ops", err)
		storetest.Storm(t, func(*testing.T) team.Store { return st }, storetest.StormOptions{
			Goroutines: 16, OpsPerGoroutine: ops,
			Report: func(s storetest.InvariantScope) {
				b, err := json.Marshal(struct{ TeamIDs, UserIDs []string }{s.TeamIDs, s.UserIDs})
				noErr(t, "scope", err)
				fmt.Printf("MP-SCOPE %s\n", b)
			},
		})
	case "watch":
		watchChild(t, st)
	default:
		t.Fatalf("unknown role %q", role)
	}
}

// watchChild checks one membership in a loop until its stdin closes, and
// prints "MP-STATE <1 allowed | 0 refused> <unix nanoseconds>" each time
// the answer changes.
func watchChild(t *testing.T, st *postgres.Store) {
	ids := strings.Fields(os.Getenv(childArgsEnv))
	svc, err := team.New(st)
	noErr(t, "team.New", err)
	defer svc.Close()
	stop := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	ctx := context.Background()
	last := -1
	for {
		select {
		case <-stop:
			return
		default:
		}
		state := 0
		err := svc.Authorize(ctx, ids[1], ids[0], rbac.View, team.Resource{Type: "doc", ID: "d"})
		if err == nil {
			state = 1
		} else if !errorsIsNotMember(err) {
			t.Errorf("Authorize: %v", err)
			return
		}
		if state != last {
			fmt.Printf("MP-STATE %d %d\n", state, time.Now().UnixNano())
			last = state
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func errorsIsNotMember(err error) bool { return team.Code(err) == "not_member" }

// child is a running child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // its MP- lines
	out   *strings.Builder
	mu    sync.Mutex
	done  chan error
}

func startChild(t *testing.T, role, schema, args string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMultiProcessChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childRoleEnv+"="+role, childSchemaEnv+"="+schema, childArgsEnv+"="+args)
	stdout, err := cmd.StdoutPipe()
	noErr(t, "stdout", err)
	cmd.Stderr = cmd.Stdout
	stdin, err := cmd.StdinPipe()
	noErr(t, "stdin", err)
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 1<<16), out: &strings.Builder{}, done: make(chan error, 1)}
	noErr(t, "start child", cmd.Start())
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			l := sc.Text()
			c.mu.Lock()
			c.out.WriteString(l + "\n")
			c.mu.Unlock()
			if strings.HasPrefix(l, "MP-") {
				c.lines <- l
			}
		}
		close(c.lines)
		c.done <- cmd.Wait()
	}()
	return c
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// Rule SEC-3, RES-3, ROLE-5 across processes: four OS processes, each with
// its own pool and Service (and membership index), run the storm against
// one schema, and the invariants hold over everything they did; then four
// processes watch one membership while this one revokes and restores it,
// and the time from each revocation's commit to each process refusing is
// measured (p50, p99; target p99 ≤ 50 ms). Short by default; -long (or
// TEAMKIT_LONG=1) runs a longer storm and 1,000 revocations.
func TestMultiProcess_SEC3_RES3(t *testing.T) {
	testPool(t)
	st := newStore(t)
	ops, rounds := 15, 250
	if long() {
		ops, rounds = 60, 1000
	}

	t.Run("Storm", func(t *testing.T) {
		children := make([]*child, childProcesses)
		for i := range children {
			children[i] = startChild(t, "storm", st.Schema(), strconv.Itoa(ops))
		}
		var scope storetest.InvariantScope
		for i, c := range children {
			for l := range c.lines {
				if js, ok := strings.CutPrefix(l, "MP-SCOPE "); ok {
					var s struct{ TeamIDs, UserIDs []string }
					noErr(t, "scope", json.Unmarshal([]byte(js), &s))
					scope.TeamIDs = append(scope.TeamIDs, s.TeamIDs...)
					scope.UserIDs = append(scope.UserIDs, s.UserIDs...)
				}
			}
			if err := <-c.done; err != nil {
				t.Fatalf("storm process %d failed: %v\n%s", i, err, c.output())
			}
		}
		if len(scope.TeamIDs) == 0 {
			t.Fatal("the storm processes reported no teams")
		}
		scope.SeatLimit = 6 // the storm's
		if err := storetest.CheckInvariants(context.Background(), st, scope); err != nil {
			t.Fatalf("invariants broken after %d processes' storms:\n%v", childProcesses, err)
		}
		t.Logf("%d processes × 16 goroutines × %d operations; invariants hold over %d teams and %d users",
			childProcesses, ops, len(scope.TeamIDs), len(scope.UserIDs))
	})

	t.Run("Revocation", func(t *testing.T) {
		ctx := context.Background()
		teamID, userID := "team-revoke", "user-revoked"
		at := time.Now().UTC().Truncate(time.Microsecond)
		noErr(t, "team", st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			return tx.InsertTeam(ctx, team.Team{ID: teamID, Kind: team.Collaboration, Name: "Revoke", OwnerID: "user-owner", CreatedAt: at, UpdatedAt: at})
		}))
		set := func(member bool, epoch uint64) {
			noErr(t, "toggle", st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
				if _, err := tx.LockTeam(ctx, teamID); err != nil {
					return err
				}
				if member {
					return tx.InsertMember(ctx, team.Member{TeamID: teamID, UserID: userID, Role: rbac.RoleMember, JoinedAt: at, Epoch: epoch})
				}
				return tx.DeleteMember(ctx, teamID, userID)
			}))
		}
		children := make([]*child, childProcesses)
		for i := range children {
			children[i] = startChild(t, "watch", st.Schema(), teamID+" "+userID)
		}
		defer func() {
			for _, c := range children {
				_ = c.stdin.Close()
			}
			for i, c := range children {
				for range c.lines {
				}
				if err := <-c.done; err != nil {
					t.Errorf("watch process %d failed: %v\n%s", i, err, c.output())
				}
			}
		}()
		// await waits until every child reports state, and returns when
		// each did (Unix nanoseconds).
		await := func(state string) []int64 {
			t.Helper()
			when := make([]int64, len(children))
			timeout := time.After(10 * time.Second)
			for i, c := range children {
				for when[i] == 0 {
					select {
					case l, ok := <-c.lines:
						if !ok {
							t.Fatalf("watch process %d ended:\n%s", i, c.output())
						}
						f := strings.Fields(l)
						if len(f) == 3 && f[0] == "MP-STATE" && f[1] == state {
							when[i], _ = strconv.ParseInt(f[2], 10, 64)
						}
					case <-timeout:
						t.Fatalf("watch process %d did not report state %s within 10s:\n%s", i, state, c.output())
					}
				}
			}
			return when
		}
		const warmup = 20
		var lags []time.Duration
		for i := range warmup + rounds {
			set(true, uint64(i+1))
			await("1")
			set(false, 0)
			committed := time.Now().UnixNano()
			if i < warmup { // the children's listeners connect meanwhile
				await("0")
				continue
			}
			for _, w := range await("0") {
				lags = append(lags, time.Duration(max(w-committed, 0)))
			}
		}
		slices.Sort(lags)
		p := func(q float64) time.Duration { return lags[int(q*float64(len(lags)-1))] }
		t.Logf("cross-process revocation over %d revocations × %d processes: p50 %v, p99 %v, max %v",
			rounds, childProcesses, p(0.50), p(0.99), lags[len(lags)-1])
		limit := 50 * time.Millisecond
		if !long() {
			limit = 250 * time.Millisecond // a shared CI machine; -long holds the target
		}
		if p(0.99) > limit {
			t.Errorf("p99 staleness %v is above %v", p(0.99), limit)
		}
	})
}
