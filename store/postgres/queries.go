package postgres

import (
	"strings"
)

// Column lists, in the order the scan functions read them.
const (
	teamCols       = "id, kind, name, owner_id, settings, created_at, updated_at, deleted_at"
	memberCols     = "team_id, user_id, email, name, role, joined_at, epoch"
	invitationCols = "id, team_id, email, role, inviter_id, status, token_hash, created_at, expires_at, updated_at"
	accountCols    = "id, user_id, plan, status, balance, created_at, updated_at"
	usageCols      = "id, team_id, user_id, account_id, amount, time, idempotency_key, metadata"
	topUpCols      = "id, account_id, team_id, actor_id, amount, time"
	auditCols      = "id, team_id, seq, time, actor_id, action, target, details, prev_hash, hash"
)

// queries holds every statement of the store, schema-qualified once in New.
// The strings are constant per store, so pgx prepares and caches each one
// per connection.
type queries struct {
	team, teamForUpdate, personalTeam, teamsOfUser, countOwned     string
	insertTeam, updateTeam, deleteTeamMembers                      string
	member, members, insertMember, updateMember, deleteMember      string
	invitation, invitationByToken, invitations, invitationsByEmail string
	insertInvitation, updateInvitation                             string
	account, accountForUpdate, insertAccount, updateAccount        string
	ownerAccountForUpdate                                          string
	usageByKey, usageKeyOrIDExists, usageTotals, insertUsage       string
	insertUsageRows, usageKeysAbsent                               string
	insertTopUp                                                    string
	auditEvents, lastAuditEvent, appendAuditEvent                  string

	// User lifecycle (ROLE-8, USER-2).
	membershipsOfUser, deleteInvitationsByEmail string

	// Invite links, domain claims, join requests (join.go).
	join joinQueries
}

func buildQueries(schema string) queries {
	t := func(s string) string { return strings.ReplaceAll(s, "§", schema+".") }
	return queries{
		join:          buildJoinQueries(t),
		team:          t("SELECT " + teamCols + " FROM §teams WHERE id = $1"),
		teamForUpdate: t("SELECT " + teamCols + " FROM §teams WHERE id = $1 FOR UPDATE"),
		personalTeam:  t("SELECT " + teamCols + " FROM §teams WHERE owner_id = $1 AND kind = 'personal'"),
		teamsOfUser: t("SELECT t.id, t.kind, t.name, t.owner_id, t.settings, t.created_at, t.updated_at, t.deleted_at" +
			" FROM §members m JOIN §teams t ON t.id = m.team_id WHERE m.user_id = $1 ORDER BY t.created_at, t.id"),
		countOwned: t("SELECT count(*) FROM §teams WHERE owner_id = $1 AND kind = $2 AND deleted_at IS NULL"),
		insertTeam: t("INSERT INTO §teams (" + teamCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"),
		updateTeam: t("UPDATE §teams SET kind = $2, name = $3, owner_id = $4, settings = $5, created_at = $6," +
			" updated_at = $7, deleted_at = $8 WHERE id = $1"),
		// deleteTeamMembers removes memberships and pending invitations of
		// an existing team in one statement, counts the team (0: none) and
		// returns the users whose memberships it removed.
		deleteTeamMembers: t("WITH t AS (SELECT id FROM §teams WHERE id = $1)," +
			" dm AS (DELETE FROM §members WHERE team_id IN (SELECT id FROM t) RETURNING user_id)," +
			" di AS (DELETE FROM §invitations WHERE team_id IN (SELECT id FROM t) AND status = 'pending')" +
			" SELECT (SELECT count(*) FROM t), coalesce((SELECT array_agg(user_id) FROM dm), '{}')"),

		member:       t("SELECT " + memberCols + " FROM §members WHERE team_id = $1 AND user_id = $2"),
		members:      t("SELECT " + memberCols + " FROM §members WHERE team_id = $1 ORDER BY joined_at, user_id"),
		insertMember: t("INSERT INTO §members (" + memberCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"),
		updateMember: t("UPDATE §members SET email = $3, name = $4, role = $5, joined_at = $6, epoch = $7" +
			" WHERE team_id = $1 AND user_id = $2"),
		deleteMember: t("DELETE FROM §members WHERE team_id = $1 AND user_id = $2"),

		invitation:        t("SELECT " + invitationCols + " FROM §invitations WHERE id = $1"),
		invitationByToken: t("SELECT " + invitationCols + " FROM §invitations WHERE token_hash = $1"),
		invitations: t("SELECT " + invitationCols + " FROM §invitations WHERE team_id = $1 AND ($2 = '' OR status = $2)" +
			" ORDER BY created_at, id"),
		invitationsByEmail: t("SELECT " + invitationCols + " FROM §invitations WHERE email = $1 AND ($2 = '' OR status = $2)" +
			" ORDER BY created_at, id"),
		insertInvitation: t("INSERT INTO §invitations (" + invitationCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)" +
			" ON CONFLICT DO NOTHING"),
		updateInvitation: t("UPDATE §invitations SET team_id = $2, email = $3, role = $4, inviter_id = $5, status = $6," +
			" token_hash = $7, created_at = $8, expires_at = $9, updated_at = $10 WHERE id = $1"),

		account:          t("SELECT " + accountCols + " FROM §accounts WHERE user_id = $1"),
		accountForUpdate: t("SELECT " + accountCols + " FROM §accounts WHERE user_id = $1 FOR UPDATE"),
		ownerAccountForUpdate: t("SELECT " + accountCols + " FROM §accounts WHERE user_id =" +
			" (SELECT owner_id FROM §teams WHERE id = $1) FOR UPDATE"),
		insertAccount: t("INSERT INTO §accounts (" + accountCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"),
		updateAccount: t("UPDATE §accounts SET user_id = $2, plan = $3, status = $4, balance = $5, created_at = $6," +
			" updated_at = $7 WHERE id = $1"),

		usageByKey:         t("SELECT " + usageCols + " FROM §usage_records WHERE team_id = $1 AND idempotency_key = $2"),
		usageKeyOrIDExists: t("SELECT EXISTS (SELECT 1 FROM §usage_records WHERE (team_id = $1 AND idempotency_key = $2) OR id = $3)"),
		usageTotals: t("SELECT user_id, sum(amount), count(*) FROM §usage_records" +
			" WHERE team_id = $1 AND ($2::timestamptz IS NULL OR time >= $2) AND ($3::timestamptz IS NULL OR time < $3)" +
			" GROUP BY user_id ORDER BY user_id"),
		insertUsage: t("INSERT INTO §usage_records (" + usageCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"),
		// insertUsageRows inserts many records in one statement (the batch
		// flush). Without ON CONFLICT: a conflict fails the batch, whose
		// calls then run again one by one.
		insertUsageRows: t("INSERT INTO §usage_records (" + usageCols + ")" +
			" SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::text[], $8::jsonb[])"),

		usageKeysAbsent: t("SELECT §usage_keys_absent($1::text[], $2::text[])"),

		insertTopUp: t("INSERT INTO §top_ups (" + topUpCols + ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"),

		auditEvents: t("SELECT " + auditCols + " FROM §audit_events WHERE team_id = $1 AND seq > $2" +
			" AND ($3 = '' OR actor_id = $3) AND (coalesce(cardinality($4::text[]), 0) = 0 OR action = ANY($4::text[]))" +
			" AND ($5::timestamptz IS NULL OR time >= $5) AND ($6::timestamptz IS NULL OR time < $6)" +
			" ORDER BY seq LIMIT $7::bigint"),
		lastAuditEvent: t("SELECT " + auditCols + " FROM §audit_events WHERE team_id = $1 ORDER BY seq DESC LIMIT 1"),
		// User lifecycle (ROLE-8, USER-2).
		membershipsOfUser: t("SELECT t.id, t.kind, t.name, t.owner_id, t.settings, t.created_at, t.updated_at, t.deleted_at," +
			" m.team_id, m.user_id, m.email, m.name, m.role, m.joined_at, m.epoch" +
			" FROM §members m JOIN §teams t ON t.id = m.team_id WHERE m.user_id = $1 ORDER BY t.created_at, t.id"),
		// deleteInvitationsByEmail removes the invitations of an existing
		// team to one email and counts the team (0: none) and the removed.
		deleteInvitationsByEmail: t("WITH t AS (SELECT id FROM §teams WHERE id = $1)," +
			" d AS (DELETE FROM §invitations WHERE team_id IN (SELECT id FROM t) AND email = $2 RETURNING 1)" +
			" SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM d)"),

		appendAuditEvent: t("INSERT INTO §audit_events (" + auditCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING"),
	}
}
