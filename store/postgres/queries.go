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
	topUpCols      = "id, account_id, team_id, actor_id, amount, time, idempotency_key"
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

	// Billing v2 (BILL-8 … BILL-12).
	topUpByKey, accountAuditEvents, lastAccountAuditEvent, appendAccountAuditEvent string
	usageBreakdownTeam, usageBreakdownAccount, accountUsageTotals                  string
	usageSeriesTeam, usageSeriesAccount, usageSeriesHourly                         string
	// ledger holds the ledger page queries by ledgerKey.
	ledger map[ledgerKey]string

	// Invite links, domain claims, join requests (join.go).
	join joinQueries

	// Issue 12 (migration 0003).
	auditHead, memberEpochMark string
}

// ledgerKey names one ledger page query: of usage records or top-ups, of a
// team or an account, newest or oldest first, after a position or not.
type ledgerKey struct{ topUps, byAccount, desc, after bool }

// ledgerQuery builds the page query of k. Its arguments: $1 the team or
// account ID, $2 the member ("" for all), $3 and $4 the time range (NULL
// for open), $5 and $6 the position to start after (only with k.after),
// $7 the limit (NULL for all). The range is written with coalesce so the
// index on (owner, time, id) serves it as a range.
func ledgerQuery(t func(string) string, k ledgerKey) string {
	table, cols, member := "§usage_records", usageCols, "user_id"
	if k.topUps {
		table, cols, member = "§top_ups", topUpCols, "actor_id"
	}
	owner := "team_id"
	if k.byAccount {
		owner = "account_id"
	}
	q := "SELECT " + cols + " FROM " + table + " WHERE " + owner + " = $1 AND ($2 = '' OR " + member + " = $2)" +
		" AND time >= coalesce($3::timestamptz, '-infinity') AND time < coalesce($4::timestamptz, 'infinity')"
	cmp, order := ">", " ORDER BY time, id"
	if k.desc {
		cmp, order = "<", " ORDER BY time DESC, id DESC"
	}
	if k.after {
		q += " AND (time, id) " + cmp + " ($5::timestamptz, $6::text)"
	} else {
		q += " AND $5::timestamptz IS NULL AND $6::text IS NULL"
	}
	return t(q + order + " LIMIT $7::bigint")
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

		insertTopUp: t("INSERT INTO §top_ups (" + topUpCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"),

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

		// appendAuditEvent inserts the event of an existing team and moves
		// the team's audit head to it (AUD-4) in one statement; it returns
		// whether the event was inserted and whether the team exists.
		appendAuditEvent: t("WITH ins AS (INSERT INTO §audit_events (" + auditCols + ")" +
			" SELECT $1::text, $2::text, $3::bigint, $4::timestamptz, $5::text, $6::text, $7::text, $8::jsonb, $9::text, $10::text" +
			" WHERE EXISTS (SELECT 1 FROM §teams WHERE id = $2) ON CONFLICT DO NOTHING RETURNING team_id, seq, hash)," +
			" head AS (UPDATE §teams t SET audit_seq = ins.seq, audit_hash = ins.hash FROM ins" +
			" WHERE t.id = ins.team_id AND t.audit_seq < ins.seq)" +
			" SELECT EXISTS (SELECT 1 FROM ins), EXISTS (SELECT 1 FROM §teams WHERE id = $2)"),

		auditHead:       t("SELECT audit_seq, audit_hash FROM §teams WHERE id = $1"),
		memberEpochMark: t("SELECT coalesce((SELECT epoch FROM §member_epochs WHERE team_id = $1 AND user_id = $2), 0)"),

		// Billing v2 (BILL-8 … BILL-12).
		topUpByKey: t("SELECT " + topUpCols + " FROM §top_ups WHERE account_id = $1 AND idempotency_key = $2 AND $2 <> ''"),
		accountAuditEvents: t("SELECT " + accountAuditCols + " FROM §account_audit_events WHERE account_id = $1 AND seq > $2" +
			" AND ($3 = '' OR actor_id = $3) AND (coalesce(cardinality($4::text[]), 0) = 0 OR action = ANY($4::text[]))" +
			" AND ($5::timestamptz IS NULL OR time >= $5) AND ($6::timestamptz IS NULL OR time < $6)" +
			" ORDER BY seq LIMIT $7::bigint"),
		lastAccountAuditEvent:   t("SELECT " + accountAuditCols + " FROM §account_audit_events WHERE account_id = $1 ORDER BY seq DESC LIMIT 1"),
		appendAccountAuditEvent: t("INSERT INTO §account_audit_events (" + accountAuditCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING"),
		// The series: buckets are numbered by width_bucket against the
		// bucket bounds the store computes in Go from the time zone ($4),
		// so grouping runs in PostgreSQL on the covering index.
		usageSeriesTeam: t("SELECT width_bucket(time, $4::timestamptz[]), user_id, sum(amount), count(*) FROM §usage_records" +
			" WHERE team_id = $1 AND time >= $2 AND time < $3 AND ($5 = '' OR user_id = $5) GROUP BY 1, 2 ORDER BY 1, 2"),
		usageSeriesAccount: t("SELECT width_bucket(time, $4::timestamptz[]), user_id, sum(amount), count(*) FROM §usage_records" +
			" WHERE account_id = $1 AND time >= $2 AND time < $3 AND ($5 = '' OR user_id = $5) GROUP BY 1, 2 ORDER BY 1, 2"),
		// usageSeriesHourly reads whole hours [$6, $7) from usage_hourly and
		// the records of the partial hours at the ends, [$2, $6) and
		// [$7, $3), then groups as usageSeriesTeam does.
		usageSeriesHourly: t("SELECT width_bucket(x.t, $4::timestamptz[]), x.user_id, sum(x.a), sum(x.n)::bigint FROM (" +
			"SELECT hour AS t, user_id, amount AS a, records AS n FROM §usage_hourly" +
			" WHERE team_id = $1 AND hour >= $6 AND hour < $7 AND ($5 = '' OR user_id = $5)" +
			" UNION ALL SELECT time, user_id, amount, 1 FROM §usage_records WHERE team_id = $1" +
			" AND ((time >= $2 AND time < $6) OR (time >= $7 AND time < $3)) AND ($5 = '' OR user_id = $5)" +
			") x GROUP BY 1, 2 ORDER BY 1, 2"),
		usageBreakdownTeam: t("SELECT coalesce(metadata->>$4, ''), NOT coalesce(jsonb_exists(metadata, $4), false), sum(amount), count(*)" +
			" FROM §usage_records WHERE team_id = $1 AND time >= coalesce($2::timestamptz, '-infinity') AND time < coalesce($3::timestamptz, 'infinity')" +
			" AND ($5 = '' OR user_id = $5) GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"),
		usageBreakdownAccount: t("SELECT coalesce(metadata->>$4, ''), NOT coalesce(jsonb_exists(metadata, $4), false), sum(amount), count(*)" +
			" FROM §usage_records WHERE account_id = $1 AND time >= coalesce($2::timestamptz, '-infinity') AND time < coalesce($3::timestamptz, 'infinity')" +
			" AND ($5 = '' OR user_id = $5) GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"),
		accountUsageTotals: t("SELECT team_id, user_id, sum(amount), count(*) FROM §usage_records" +
			" WHERE account_id = $1 AND time >= coalesce($2::timestamptz, '-infinity') AND time < coalesce($3::timestamptz, 'infinity')" +
			" GROUP BY 1, 2 ORDER BY 1, 2"),
		ledger: ledgerQueries(t),
	}
}

// accountAuditCols are auditCols of an account's trail, whose account_id
// reads into audit.Event.TeamID.
const accountAuditCols = "id, account_id, seq, time, actor_id, action, target, details, prev_hash, hash"

func ledgerQueries(t func(string) string) map[ledgerKey]string {
	m := map[ledgerKey]string{}
	for _, a := range []bool{false, true} {
		for _, b := range []bool{false, true} {
			for _, c := range []bool{false, true} {
				for _, d := range []bool{false, true} {
					k := ledgerKey{topUps: a, byAccount: b, desc: c, after: d}
					m[k] = ledgerQuery(t, k)
				}
			}
		}
	}
	return m
}
