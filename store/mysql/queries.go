package mysql

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

// queries holds every statement of the store, its table names qualified
// with the database once in New (when WithDatabase names one).
type queries struct {
	team, teamForUpdate, personalTeam, teamsOfUser, countOwned     string
	insertTeam, updateTeam, teamExists                             string
	deleteTeamMembers, deleteTeamPending                           string
	member, members, insertMember, updateMember, deleteMember      string
	memberExists                                                   string
	invitation, invitationByToken, invitations, invitationsByEmail string
	insertInvitation, updateInvitation, invitationExists           string
	account, accountForUpdate, insertAccount, updateAccount        string
	accountExists                                                  string
	usageByKey, usageTotals, insertUsage                           string
	insertTopUp                                                    string
	auditEvents, lastAuditEvent, appendAuditEvent                  string
	membershipsOfUser, deleteInvitationsByEmail                    string
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func buildQueries(prefix string) queries {
	t := func(s string) string { return strings.ReplaceAll(s, "§", prefix) }
	return queries{
		team:          t("SELECT " + teamCols + " FROM §teams WHERE id = ?"),
		teamForUpdate: t("SELECT " + teamCols + " FROM §teams WHERE id = ? FOR UPDATE"),
		personalTeam:  t("SELECT " + teamCols + " FROM §teams WHERE personal_owner = ?"),
		teamsOfUser: t("SELECT t.id, t.kind, t.name, t.owner_id, t.settings, t.created_at, t.updated_at, t.deleted_at" +
			" FROM §members m JOIN §teams t ON t.id = m.team_id WHERE m.user_id = ? ORDER BY t.created_at, t.id"),
		countOwned: t("SELECT count(*) FROM §teams WHERE owner_id = ? AND kind = ? AND deleted_at IS NULL"),
		insertTeam: t("INSERT INTO §teams (" + teamCols + ") VALUES (" + placeholders(8) + ")"),
		updateTeam: t("UPDATE §teams SET kind = ?, name = ?, owner_id = ?, settings = ?, created_at = ?," +
			" updated_at = ?, deleted_at = ? WHERE id = ?"),
		teamExists:        t("SELECT 1 FROM §teams WHERE id = ?"),
		deleteTeamMembers: t("DELETE FROM §members WHERE team_id = ?"),
		deleteTeamPending: t("DELETE FROM §invitations WHERE team_id = ? AND status = 'pending'"),

		member:       t("SELECT " + memberCols + " FROM §members WHERE team_id = ? AND user_id = ?"),
		members:      t("SELECT " + memberCols + " FROM §members WHERE team_id = ? ORDER BY joined_at, user_id"),
		insertMember: t("INSERT INTO §members (" + memberCols + ") VALUES (" + placeholders(7) + ")"),
		updateMember: t("UPDATE §members SET email = ?, name = ?, role = ?, joined_at = ?, epoch = ?" +
			" WHERE team_id = ? AND user_id = ?"),
		deleteMember: t("DELETE FROM §members WHERE team_id = ? AND user_id = ?"),
		memberExists: t("SELECT 1 FROM §members WHERE team_id = ? AND user_id = ?"),

		invitation:         t("SELECT " + invitationCols + " FROM §invitations WHERE id = ?"),
		invitationByToken:  t("SELECT " + invitationCols + " FROM §invitations WHERE token_hash = ?"),
		invitations:        t("SELECT " + invitationCols + " FROM §invitations WHERE team_id = ? AND (? = '' OR status = ?) ORDER BY created_at, id"),
		invitationsByEmail: t("SELECT " + invitationCols + " FROM §invitations WHERE email = ? AND (? = '' OR status = ?) ORDER BY created_at, id"),
		insertInvitation:   t("INSERT INTO §invitations (" + invitationCols + ") VALUES (" + placeholders(10) + ")"),
		updateInvitation: t("UPDATE §invitations SET team_id = ?, email = ?, role = ?, inviter_id = ?, status = ?," +
			" token_hash = ?, created_at = ?, expires_at = ?, updated_at = ? WHERE id = ?"),
		invitationExists: t("SELECT 1 FROM §invitations WHERE id = ?"),

		account:          t("SELECT " + accountCols + " FROM §accounts WHERE user_id = ?"),
		accountForUpdate: t("SELECT " + accountCols + " FROM §accounts WHERE user_id = ? FOR UPDATE"),
		insertAccount:    t("INSERT INTO §accounts (" + accountCols + ") VALUES (" + placeholders(7) + ")"),
		updateAccount: t("UPDATE §accounts SET user_id = ?, plan = ?, status = ?, balance = ?, created_at = ?," +
			" updated_at = ? WHERE id = ?"),
		accountExists: t("SELECT 1 FROM §accounts WHERE id = ?"),

		usageByKey: t("SELECT " + usageCols + " FROM §usage_records WHERE team_id = ? AND idempotency_key = ?"),
		// SUM of a BIGINT is DECIMAL in MySQL: exact, read as text.
		usageTotals: t("SELECT user_id, CAST(SUM(amount) AS CHAR), count(*) FROM §usage_records" +
			" WHERE team_id = ? AND (? IS NULL OR time >= ?) AND (? IS NULL OR time < ?)" +
			" GROUP BY user_id ORDER BY user_id"),
		insertUsage: t("INSERT INTO §usage_records (" + usageCols + ") VALUES (" + placeholders(8) + ")"),

		insertTopUp: t("INSERT INTO §top_ups (" + topUpCols + ") VALUES (" + placeholders(6) + ")"),

		// auditEvents is completed per call: the actions filter (IN list)
		// and the limit follow it.
		auditEvents: t("SELECT " + auditCols + " FROM §audit_events WHERE team_id = ? AND seq > ?" +
			" AND (? = '' OR actor_id = ?) AND (? IS NULL OR time >= ?) AND (? IS NULL OR time < ?)"),
		lastAuditEvent:   t("SELECT " + auditCols + " FROM §audit_events WHERE team_id = ? ORDER BY seq DESC LIMIT 1"),
		appendAuditEvent: t("INSERT INTO §audit_events (" + auditCols + ") VALUES (" + placeholders(10) + ")"),

		membershipsOfUser: t("SELECT t.id, t.kind, t.name, t.owner_id, t.settings, t.created_at, t.updated_at, t.deleted_at," +
			" m.team_id, m.user_id, m.email, m.name, m.role, m.joined_at, m.epoch" +
			" FROM §members m JOIN §teams t ON t.id = m.team_id WHERE m.user_id = ? ORDER BY t.created_at, t.id"),
		deleteInvitationsByEmail: t("DELETE FROM §invitations WHERE team_id = ? AND email = ?"),
	}
}
