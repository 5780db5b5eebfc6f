package mysql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/store/mysql"
	"github.com/teamkit/teamkit/team"
)

// migration0003 is the file of the version that adds the audit head and
// the epoch marks.
const migration0003 = "0003_audit_head_epoch_marks.sql"

// revert0003 undoes migration 0003 on s's database with its Down part, as
// a database written before that version looks.
func revert0003(t *testing.T, s *mysql.Store) {
	t.Helper()
	_, down := gooseParts(t, migration0003)
	stmts, err := mysql.Statements(down)
	noErr(t, "splitting the Down part", err)
	conn, err := s.DB().Conn(ctx)
	noErr(t, "Conn", err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "USE `"+s.Database()+"`")
	noErr(t, "USE", err)
	for _, st := range stmts {
		_, err := conn.ExecContext(ctx, st)
		noErr(t, st, err)
	}
	_, err = conn.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = 3")
	noErr(t, "forgetting version 3", err)
	_, err = conn.ExecContext(ctx, "USE mysql") // leave no database of the test on the pooled connection
	noErr(t, "USE mysql", err)
}

// Rules AUD-4, ROLE-5: migration 0003 starts each existing team's audit
// head at its newest event and each membership's epoch mark at its epoch.
func TestMigration0003BackfillsHeadsAndMarks(t *testing.T) {
	s := newStore(t)
	revert0003(t, s)
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).Format("2006-01-02 15:04:05")
	for _, st := range []string{
		"INSERT INTO §teams (id, kind, name, owner_id, created_at, updated_at) VALUES ('t1', 'collaboration', 'T1', 'u1', '" + at + "', '" + at + "')",
		"INSERT INTO §teams (id, kind, name, owner_id, created_at, updated_at) VALUES ('t2', 'collaboration', 'T2', 'u1', '" + at + "', '" + at + "')",
		"INSERT INTO §audit_events (id, team_id, seq, time, actor_id, action, target, prev_hash, hash) VALUES" +
			" ('e1', 't1', 1, '" + at + "', 'u1', 'team.created', 't1', '', 'h1')," +
			" ('e3', 't1', 3, '" + at + "', 'u1', 'team.renamed', 't1', 'h2', 'h3')," +
			" ('e2', 't1', 2, '" + at + "', 'u1', 'team.renamed', 't1', 'h1', 'h2')",
		"INSERT INTO §members (team_id, user_id, email, name, role, joined_at, epoch) VALUES" +
			" ('t1', 'u1', 'u1@example.com', 'U1', 'owner', '" + at + "', 7)",
	} {
		_, err := s.DB().ExecContext(ctx, q(s, st))
		noErr(t, st, err)
	}
	noErr(t, "Migrate", s.Migrate(ctx))
	for id, want := range map[string]team.AuditHead{"t1": {Seq: 3, Hash: "h3"}, "t2": {}} {
		if head, err := s.AuditHead(ctx, id); err != nil || head != want {
			t.Errorf("AuditHead(%s) after the migration = %+v, %v; want %+v", id, head, err, want)
		}
	}
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		for _, c := range []struct {
			team, user string
			want       uint64
		}{{"t1", "u1", 7}, {"t2", "u1", 0}} {
			mark, err := tx.MemberEpochMark(ctx, c.team, c.user)
			if err != nil {
				return err
			}
			if mark != c.want {
				t.Errorf("MemberEpochMark(%s, %s) after the migration = %d, want %d", c.team, c.user, mark, c.want)
			}
		}
		return nil
	})
}

// Rule AUD-4: the head moves with an event inserted by any client, not only
// the store (trigger audit_events_move_head), and not back.
func TestAuditHeadMovesWithAnyInsert(t *testing.T) {
	s := newStore(t)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, aTeam("t1", "u1", team.Collaboration)); err != nil {
			return err
		}
		return tx.AppendAuditEvent(ctx, audit.Event{ID: "e5", TeamID: "t1", Seq: 5, Time: time.Now(), ActorID: "u1", Action: "team.created", Target: "t1", Hash: "h5"})
	})
	at := time.Now().UTC().Format("2006-01-02 15:04:05")
	for _, st := range []string{
		"INSERT INTO §audit_events (id, team_id, seq, time, actor_id, action, target, prev_hash, hash) VALUES ('e4', 't1', 4, '" + at + "', 'u1', 'x', 't1', '', 'h4')",
		"INSERT INTO §audit_events (id, team_id, seq, time, actor_id, action, target, prev_hash, hash) VALUES ('e6', 't1', 6, '" + at + "', 'u1', 'x', 't1', 'h5', 'h6')",
	} {
		_, err := s.DB().ExecContext(ctx, q(s, st))
		noErr(t, strings.Fields(st)[0], err)
	}
	want := team.AuditHead{Seq: 6, Hash: "h6"}
	if head, err := s.AuditHead(ctx, "t1"); err != nil || head != want {
		t.Fatalf("AuditHead = %+v, %v; want %+v", head, err, want)
	}
}
