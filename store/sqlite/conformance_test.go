package sqlite_test

import (
	"context"
	"testing"

	"github.com/teamkit/teamkit/store/sqlite"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// TestConformance runs the Store contract suite, one fresh file per
// subtest.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) team.Store { return newStore(t) })
}

// inHostTxStore runs every unit of work inside a host transaction of its
// own (WithTx), so the contract suite checks the savepoint path too.
type inHostTxStore struct{ *sqlite.Store }

func (s inHostTxStore) InTx(ctx context.Context, fn func(ctx context.Context, tx team.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	host, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = host.Rollback() }() // no-op after Commit; also on panic
	if err := s.Store.InTx(sqlite.WithTx(ctx, host), fn); err != nil {
		return err
	}
	return host.Commit()
}

// TestConformanceInHostTx runs the Store contract suite with every unit of
// work inside a host transaction (WithTx).
func TestConformanceInHostTx(t *testing.T) {
	storetest.Run(t, func(t *testing.T) team.Store { return inHostTxStore{newStore(t)} })
}
