package postgres_test

import (
	"testing"

	"github.com/teamkit/teamkit/teamhttp/teamhttptest"
)

// Rule HTTP-1: the whole seed story (register, plan, create, invite,
// preview, accept, change role, use and charge, audit, transfer, cleanup,
// delete) over a real loopback listener, on PostgreSQL.
func TestHTTP1SeedStoryPostgres(t *testing.T) {
	teamhttptest.RunSeedStory(t, newStore(t))
}
