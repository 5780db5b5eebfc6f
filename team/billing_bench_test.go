package team_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/team"
)

// BenchmarkRecordUsage measures one charge (BILL-2) on the memory store: a
// member of one team charging with unique keys against a huge balance.
// Target: at most 1 µs/op.
func BenchmarkRecordUsage(b *testing.B) {
	benchRecordUsage(b, nil)
}

// BenchmarkRecordUsageWithMetadata is BenchmarkRecordUsage with one
// metadata entry per charge, which the service and the store each copy.
func BenchmarkRecordUsageWithMetadata(b *testing.B) {
	benchRecordUsage(b, map[string]string{"resource": "agent-7"})
}

func benchRecordUsage(b *testing.B, meta map[string]string) {
	e := newBillEnv(b)
	owner, dev := e.user("owner"), e.user("dev")
	tm := e.fundedTeam(owner, "Bench", math.MaxInt64/2, dev)
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "req-" + strconv.Itoa(i)
	}

	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: dev.ID, TeamID: tm.ID, Amount: 3, IdempotencyKey: keys[i], Metadata: meta}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	got := e.account(owner.ID).Balance
	require.Equal(b, math.MaxInt64/2-3*int64(b.N), got)
}
