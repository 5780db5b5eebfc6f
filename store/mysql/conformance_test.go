package mysql_test

import (
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// TestConformance runs the Store contract suite. Its subtests share one
// fresh database (the suite's records have random keys, so parallel
// subtests never meet); creating a database per subtest would spend most
// of the run on DDL.
func TestConformance(t *testing.T) {
	s := newStore(t)
	storetest.Run(t, func(t *testing.T) team.Store { return s })
}

// TestConformanceDSNVariants runs the suite through pools whose DSN lacks
// the recommended parameters (server-side prepared statements, times as
// text, another loc), which the package doc says the store does not need.
func TestConformanceDSNVariants(t *testing.T) {
	base := newStore(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	for name, edit := range map[string]func(*gomysql.Config){
		"interpolateParams=false,parseTime=false": func(c *gomysql.Config) { c.InterpolateParams, c.ParseTime = false, false },
		"parseTime=true,loc=America/New_York":     func(c *gomysql.Config) { c.ParseTime, c.Loc = true, ny },
	} {
		t.Run(name, func(t *testing.T) {
			db := openVariant(t, edit)
			db.SetMaxOpenConns(16)
			s := storeOn(t, db, base)
			storetest.Run(t, func(t *testing.T) team.Store { return s })
		})
	}
}
