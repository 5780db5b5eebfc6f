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

// Rules HTTP-1, LINK-1..3 and JOIN-1..3: invite links, domain claims and
// join requests through the HTTP API, on PostgreSQL.
func TestHTTP1LINK1to3JOIN1to3JoinStoryPostgres(t *testing.T) {
	teamhttptest.RunJoinStory(t, newStore(t))
}
