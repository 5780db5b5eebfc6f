package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/teamkit/teamkit/team"
)

// The store's team.JoinStore: invite links, domain claims and join
// requests (migration 0007).

var (
	_ team.JoinStore = (*Store)(nil)
	_ team.JoinTx    = (*tx)(nil)
	_ team.JoinTx    = (*batchTx)(nil)
)

const (
	inviteLinkCols  = "id, team_id, role, creator_id, token_hash, max_uses, uses, expires_at, revoked_at, created_at, updated_at"
	domainClaimCols = "team_id, domain, challenge, claimed_by, verified_at, policy, default_role, policy_set_by, created_at, updated_at"
	joinRequestCols = "id, team_id, user_id, email, name, domain, status, role, decided_by, created_at, updated_at"
)

type joinQueries struct {
	link, linkByToken, links, insertLink, updateLink                    string
	claim, claims, verifiedClaim, insertClaim, updateClaim, deleteClaim string
	request, requests, pendingRequest, insertRequest, updateRequest     string
}

func buildJoinQueries(t func(string) string) joinQueries {
	return joinQueries{
		link:        t("SELECT " + inviteLinkCols + " FROM §invite_links WHERE id = $1"),
		linkByToken: t("SELECT " + inviteLinkCols + " FROM §invite_links WHERE token_hash = $1"),
		links:       t("SELECT " + inviteLinkCols + " FROM §invite_links WHERE team_id = $1 ORDER BY created_at, id"),
		insertLink: t("INSERT INTO §invite_links (" + inviteLinkCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)" +
			" ON CONFLICT DO NOTHING"),
		updateLink: t("UPDATE §invite_links SET role = $3, creator_id = $4, max_uses = $6, uses = $7, expires_at = $8," +
			" revoked_at = $9, created_at = $10, updated_at = $11 WHERE id = $1 AND team_id = $2 AND token_hash = $5"),

		claim:         t("SELECT " + domainClaimCols + " FROM §domain_claims WHERE team_id = $1 AND domain = $2"),
		claims:        t("SELECT " + domainClaimCols + " FROM §domain_claims WHERE team_id = $1 ORDER BY domain"),
		verifiedClaim: t("SELECT " + domainClaimCols + " FROM §domain_claims WHERE domain = $1 AND verified_at IS NOT NULL"),
		insertClaim: t("INSERT INTO §domain_claims (" + domainClaimCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)" +
			" ON CONFLICT DO NOTHING"),
		updateClaim: t("UPDATE §domain_claims SET challenge = $3, claimed_by = $4, verified_at = $5, policy = $6," +
			" default_role = $7, policy_set_by = $8, created_at = $9, updated_at = $10 WHERE team_id = $1 AND domain = $2"),
		deleteClaim: t("DELETE FROM §domain_claims WHERE team_id = $1 AND domain = $2"),

		request:        t("SELECT " + joinRequestCols + " FROM §join_requests WHERE id = $1"),
		requests:       t("SELECT " + joinRequestCols + " FROM §join_requests WHERE team_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at, id"),
		pendingRequest: t("SELECT " + joinRequestCols + " FROM §join_requests WHERE team_id = $1 AND user_id = $2 AND status = 'pending'"),
		insertRequest: t("INSERT INTO §join_requests (" + joinRequestCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)" +
			" ON CONFLICT DO NOTHING"),
		updateRequest: t("UPDATE §join_requests SET team_id = $2, user_id = $3, email = $4, name = $5, domain = $6, status = $7," +
			" role = $8, decided_by = $9, created_at = $10, updated_at = $11 WHERE id = $1"),
	}
}

func scanInviteLink(row pgx.Row) (team.InviteLink, error) {
	var (
		l                                  team.InviteLink
		expires, revoked, created, updated pgtype.Timestamptz
	)
	if err := row.Scan(&l.ID, &l.TeamID, &l.Role, &l.CreatorID, &l.TokenHash, &l.MaxUses, &l.Uses,
		&expires, &revoked, &created, &updated); err != nil {
		return team.InviteLink{}, err
	}
	l.ExpiresAt, l.RevokedAt, l.CreatedAt, l.UpdatedAt = fromTS(expires), fromTS(revoked), fromTS(created), fromTS(updated)
	return l, nil
}

func inviteLinkArgs(l team.InviteLink) []any {
	return []any{l.ID, l.TeamID, l.Role, l.CreatorID, l.TokenHash, l.MaxUses, l.Uses,
		nullTS(l.ExpiresAt), nullTS(l.RevokedAt), ts(l.CreatedAt), ts(l.UpdatedAt)}
}

func scanDomainClaim(row pgx.Row) (team.DomainClaim, error) {
	var (
		c                          team.DomainClaim
		policy                     string
		verified, created, updated pgtype.Timestamptz
	)
	if err := row.Scan(&c.TeamID, &c.Domain, &c.Challenge, &c.ClaimedBy, &verified, &policy, &c.DefaultRole,
		&c.PolicySetBy, &created, &updated); err != nil {
		return team.DomainClaim{}, err
	}
	c.Policy = team.JoinPolicy(policy)
	c.VerifiedAt, c.CreatedAt, c.UpdatedAt = fromTS(verified), fromTS(created), fromTS(updated)
	return c, nil
}

func domainClaimArgs(c team.DomainClaim) []any {
	return []any{c.TeamID, c.Domain, c.Challenge, c.ClaimedBy, nullTS(c.VerifiedAt), string(c.Policy), c.DefaultRole,
		c.PolicySetBy, ts(c.CreatedAt), ts(c.UpdatedAt)}
}

func scanJoinRequest(row pgx.Row) (team.JoinRequest, error) {
	var (
		r                team.JoinRequest
		status           string
		created, updated pgtype.Timestamptz
	)
	if err := row.Scan(&r.ID, &r.TeamID, &r.UserID, &r.Email, &r.Name, &r.Domain, &status, &r.Role, &r.DecidedBy,
		&created, &updated); err != nil {
		return team.JoinRequest{}, err
	}
	r.Status = team.JoinRequestStatus(status)
	r.CreatedAt, r.UpdatedAt = fromTS(created), fromTS(updated)
	return r, nil
}

func joinRequestArgs(r team.JoinRequest) []any {
	return []any{r.ID, r.TeamID, r.UserID, r.Email, r.Name, r.Domain, string(r.Status), r.Role, r.DecidedBy,
		ts(r.CreatedAt), ts(r.UpdatedAt)}
}

// Reads (the Store's through the pool, a unit's through its transaction).

// InviteLink implements team.JoinReader.
func (r reader) InviteLink(ctx context.Context, linkID string) (team.InviteLink, error) {
	return one(ctx, r.db, scanInviteLink, "invite link "+linkID, r.q.join.link, linkID)
}

// InviteLinkByTokenHash implements team.JoinReader.
func (r reader) InviteLinkByTokenHash(ctx context.Context, hash string) (team.InviteLink, error) {
	return one(ctx, r.db, scanInviteLink, "invite link by token", r.q.join.linkByToken, hash)
}

// InviteLinks implements team.JoinReader.
func (r reader) InviteLinks(ctx context.Context, teamID string) ([]team.InviteLink, error) {
	return list(ctx, r.db, scanInviteLink, "invite links of "+teamID, r.q.join.links, teamID)
}

// DomainClaim implements team.JoinReader.
func (r reader) DomainClaim(ctx context.Context, teamID, domain string) (team.DomainClaim, error) {
	return one(ctx, r.db, scanDomainClaim, "claim of "+teamID+" to "+domain, r.q.join.claim, teamID, domain)
}

// DomainClaims implements team.JoinReader.
func (r reader) DomainClaims(ctx context.Context, teamID string) ([]team.DomainClaim, error) {
	return list(ctx, r.db, scanDomainClaim, "domain claims of "+teamID, r.q.join.claims, teamID)
}

// VerifiedDomainClaim implements team.JoinReader.
func (r reader) VerifiedDomainClaim(ctx context.Context, domain string) (team.DomainClaim, error) {
	return one(ctx, r.db, scanDomainClaim, "verified claim to "+domain, r.q.join.verifiedClaim, domain)
}

// JoinRequest implements team.JoinReader.
func (r reader) JoinRequest(ctx context.Context, requestID string) (team.JoinRequest, error) {
	return one(ctx, r.db, scanJoinRequest, "join request "+requestID, r.q.join.request, requestID)
}

// JoinRequests implements team.JoinReader.
func (r reader) JoinRequests(ctx context.Context, teamID string, status team.JoinRequestStatus) ([]team.JoinRequest, error) {
	return list(ctx, r.db, scanJoinRequest, "join requests of "+teamID, r.q.join.requests, teamID, string(status))
}

// PendingJoinRequest implements team.JoinReader.
func (r reader) PendingJoinRequest(ctx context.Context, teamID, userID string) (team.JoinRequest, error) {
	return one(ctx, r.db, scanJoinRequest, "pending join request of "+userID+" to "+teamID, r.q.join.pendingRequest, teamID, userID)
}

// Writes of a unit of work. The team row lock taken by LockTeam serializes
// them per team; the unique indexes keep the cross-team rules.

// InsertInviteLink implements team.JoinTx.
func (t *tx) InsertInviteLink(ctx context.Context, l team.InviteLink) error {
	return t.exec(ctx, "inserting invite link", conflict("invite link "+l.ID+" or its token exists"), t.q.join.insertLink, inviteLinkArgs(l)...)
}

// UpdateInviteLink implements team.JoinTx.
func (t *tx) UpdateInviteLink(ctx context.Context, l team.InviteLink) error {
	return t.exec(ctx, "updating invite link", notFound("invite link "+l.ID+" of team "+l.TeamID+" with this token"), t.q.join.updateLink, inviteLinkArgs(l)...)
}

// InsertDomainClaim implements team.JoinTx.
func (t *tx) InsertDomainClaim(ctx context.Context, c team.DomainClaim) error {
	return t.exec(ctx, "inserting domain claim", conflict("claim of "+c.TeamID+" to "+c.Domain+", or a verified claim to it, exists"),
		t.q.join.insertClaim, domainClaimArgs(c)...)
}

// UpdateDomainClaim implements team.JoinTx.
func (t *tx) UpdateDomainClaim(ctx context.Context, c team.DomainClaim) error {
	return t.guarded(ctx, "updating claim of "+c.TeamID+" to "+c.Domain, t.q.join.updateClaim, domainClaimArgs(c)...)
}

// DeleteDomainClaim implements team.JoinTx.
func (t *tx) DeleteDomainClaim(ctx context.Context, teamID, domain string) error {
	return t.exec(ctx, "deleting domain claim", notFound("claim of "+teamID+" to "+domain), t.q.join.deleteClaim, teamID, domain)
}

// InsertJoinRequest implements team.JoinTx.
func (t *tx) InsertJoinRequest(ctx context.Context, r team.JoinRequest) error {
	return t.exec(ctx, "inserting join request", conflict("join request "+r.ID+" or a pending request of "+r.UserID+" to "+r.TeamID+" exists"),
		t.q.join.insertRequest, joinRequestArgs(r)...)
}

// UpdateJoinRequest implements team.JoinTx.
func (t *tx) UpdateJoinRequest(ctx context.Context, r team.JoinRequest) error {
	return t.guarded(ctx, "updating join request "+r.ID, t.q.join.updateRequest, joinRequestArgs(r)...)
}

// ---- batchTx: reads and writes straight through, with the batch's ctx ----

// InviteLink implements team.JoinReader.
func (b *batchTx) InviteLink(_ context.Context, linkID string) (team.InviteLink, error) {
	return b.tx.InviteLink(b.ctx, linkID)
}

// InviteLinkByTokenHash implements team.JoinReader.
func (b *batchTx) InviteLinkByTokenHash(_ context.Context, hash string) (team.InviteLink, error) {
	return b.tx.InviteLinkByTokenHash(b.ctx, hash)
}

// InviteLinks implements team.JoinReader.
func (b *batchTx) InviteLinks(_ context.Context, teamID string) ([]team.InviteLink, error) {
	return b.tx.InviteLinks(b.ctx, teamID)
}

// DomainClaim implements team.JoinReader.
func (b *batchTx) DomainClaim(_ context.Context, teamID, domain string) (team.DomainClaim, error) {
	return b.tx.DomainClaim(b.ctx, teamID, domain)
}

// DomainClaims implements team.JoinReader.
func (b *batchTx) DomainClaims(_ context.Context, teamID string) ([]team.DomainClaim, error) {
	return b.tx.DomainClaims(b.ctx, teamID)
}

// VerifiedDomainClaim implements team.JoinReader.
func (b *batchTx) VerifiedDomainClaim(_ context.Context, domain string) (team.DomainClaim, error) {
	return b.tx.VerifiedDomainClaim(b.ctx, domain)
}

// JoinRequest implements team.JoinReader.
func (b *batchTx) JoinRequest(_ context.Context, requestID string) (team.JoinRequest, error) {
	return b.tx.JoinRequest(b.ctx, requestID)
}

// JoinRequests implements team.JoinReader.
func (b *batchTx) JoinRequests(_ context.Context, teamID string, status team.JoinRequestStatus) ([]team.JoinRequest, error) {
	return b.tx.JoinRequests(b.ctx, teamID, status)
}

// PendingJoinRequest implements team.JoinReader.
func (b *batchTx) PendingJoinRequest(_ context.Context, teamID, userID string) (team.JoinRequest, error) {
	return b.tx.PendingJoinRequest(b.ctx, teamID, userID)
}

// InsertInviteLink implements team.JoinTx.
func (b *batchTx) InsertInviteLink(_ context.Context, l team.InviteLink) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.InsertInviteLink(b.ctx, l)
}

// UpdateInviteLink implements team.JoinTx.
func (b *batchTx) UpdateInviteLink(_ context.Context, l team.InviteLink) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.UpdateInviteLink(b.ctx, l)
}

// InsertDomainClaim implements team.JoinTx.
func (b *batchTx) InsertDomainClaim(_ context.Context, c team.DomainClaim) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.InsertDomainClaim(b.ctx, c)
}

// UpdateDomainClaim implements team.JoinTx.
func (b *batchTx) UpdateDomainClaim(_ context.Context, c team.DomainClaim) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.UpdateDomainClaim(b.ctx, c)
}

// DeleteDomainClaim implements team.JoinTx.
func (b *batchTx) DeleteDomainClaim(_ context.Context, teamID, domain string) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.DeleteDomainClaim(b.ctx, teamID, domain)
}

// InsertJoinRequest implements team.JoinTx.
func (b *batchTx) InsertJoinRequest(_ context.Context, r team.JoinRequest) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.InsertJoinRequest(b.ctx, r)
}

// UpdateJoinRequest implements team.JoinTx.
func (b *batchTx) UpdateJoinRequest(_ context.Context, r team.JoinRequest) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.UpdateJoinRequest(b.ctx, r)
}
