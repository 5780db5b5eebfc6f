package sqlite

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

// The statements of the store. Inserts use ON CONFLICT DO NOTHING, so a
// conflict is "no row inserted" (team.ErrConflict) and never an error that
// would end the statement's transaction; an UPDATE that breaks a unique
// index fails only that statement (SQLite's ABORT), which also leaves the
// unit of work usable.
const (
	qTeam         = "SELECT " + teamCols + " FROM teams WHERE id = ?1"
	qPersonalTeam = "SELECT " + teamCols + " FROM teams WHERE owner_id = ?1 AND kind = 'personal'"
	qTeamsOfUser  = "SELECT t.id, t.kind, t.name, t.owner_id, t.settings, t.created_at, t.updated_at, t.deleted_at" +
		" FROM members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = ?1 ORDER BY t.created_at, t.id"
	qMembershipsOfUser = "SELECT t.id, t.kind, t.name, t.owner_id, t.settings, t.created_at, t.updated_at, t.deleted_at," +
		" m.team_id, m.user_id, m.email, m.name, m.role, m.joined_at, m.epoch" +
		" FROM members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = ?1 ORDER BY t.created_at, t.id"
	qCountOwned = "SELECT count(*) FROM teams WHERE owner_id = ?1 AND kind = ?2 AND deleted_at IS NULL"
	qInsertTeam = "INSERT INTO teams (" + teamCols + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING"
	qUpdateTeam = "UPDATE teams SET kind = ?2, name = ?3, owner_id = ?4, settings = ?5, created_at = ?6," +
		" updated_at = ?7, deleted_at = ?8 WHERE id = ?1"
	qTeamExists        = "SELECT EXISTS (SELECT 1 FROM teams WHERE id = ?1)"
	qDeleteMembers     = "DELETE FROM members WHERE team_id = ?1"
	qDeletePendingInvs = "DELETE FROM invitations WHERE team_id = ?1 AND status = 'pending'"
	qDeleteInvsByEmail = "DELETE FROM invitations WHERE team_id = ?1 AND email = ?2"

	qMember       = "SELECT " + memberCols + " FROM members WHERE team_id = ?1 AND user_id = ?2"
	qMembers      = "SELECT " + memberCols + " FROM members WHERE team_id = ?1 ORDER BY joined_at, user_id"
	qInsertMember = "INSERT INTO members (" + memberCols + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING"
	qUpdateMember = "UPDATE members SET email = ?3, name = ?4, role = ?5, joined_at = ?6, epoch = ?7" +
		" WHERE team_id = ?1 AND user_id = ?2"
	qDeleteMember = "DELETE FROM members WHERE team_id = ?1 AND user_id = ?2"

	qInvitation        = "SELECT " + invitationCols + " FROM invitations WHERE id = ?1"
	qInvitationByToken = "SELECT " + invitationCols + " FROM invitations WHERE token_hash = ?1"
	qInvitations       = "SELECT " + invitationCols + " FROM invitations WHERE team_id = ?1 AND (?2 = '' OR status = ?2)" +
		" ORDER BY created_at, id"
	qInvitationsByEmail = "SELECT " + invitationCols + " FROM invitations WHERE email = ?1 AND (?2 = '' OR status = ?2)" +
		" ORDER BY created_at, id"
	qInsertInvitation = "INSERT INTO invitations (" + invitationCols + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)" +
		" ON CONFLICT DO NOTHING"
	qUpdateInvitation = "UPDATE invitations SET team_id = ?2, email = ?3, role = ?4, inviter_id = ?5, status = ?6," +
		" token_hash = ?7, created_at = ?8, expires_at = ?9, updated_at = ?10 WHERE id = ?1"

	qAccount       = "SELECT " + accountCols + " FROM accounts WHERE user_id = ?1"
	qInsertAccount = "INSERT INTO accounts (" + accountCols + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING"
	qUpdateAccount = "UPDATE accounts SET user_id = ?2, plan = ?3, status = ?4, balance = ?5, created_at = ?6," +
		" updated_at = ?7 WHERE id = ?1"

	qUsageByKey = "SELECT " + usageCols + " FROM usage_records WHERE team_id = ?1 AND idempotency_key = ?2"
	// qUsageTotals sums each amount in two exact halves, the high 32 bits
	// (an arithmetic shift) and the low 32, so that no SQLite sum overflows
	// below 2^31 records per member; the reader adds them up in 128 bits.
	qUsageTotals = "SELECT user_id, sum(amount >> 32), sum(amount & 4294967295), count(*) FROM usage_records" +
		" WHERE team_id = ?1 AND (?2 IS NULL OR time >= ?2) AND (?3 IS NULL OR time < ?3)" +
		" GROUP BY user_id ORDER BY user_id"
	qInsertUsage = "INSERT INTO usage_records (" + usageCols + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING"
	qInsertTopUp = "INSERT INTO top_ups (" + topUpCols + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"

	// qAuditEvents takes the actions as a JSON array (NULL: any action).
	qAuditEvents = "SELECT " + auditCols + " FROM audit_events WHERE team_id = ?1 AND seq > ?2" +
		" AND (?3 = '' OR actor_id = ?3) AND (?4 IS NULL OR action IN (SELECT value FROM json_each(?4)))" +
		" AND (?5 IS NULL OR time >= ?5) AND (?6 IS NULL OR time < ?6)" +
		" ORDER BY seq LIMIT ?7"
	qLastAuditEvent   = "SELECT " + auditCols + " FROM audit_events WHERE team_id = ?1 ORDER BY seq DESC LIMIT 1"
	qAppendAuditEvent = "INSERT INTO audit_events (" + auditCols + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)" +
		" ON CONFLICT DO NOTHING"
)
