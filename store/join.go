package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/teamkit/teamkit/team"
)

// Invite links, domain claims and join requests: Memory's team.JoinStore.

var (
	_ team.JoinStore = (*Memory)(nil)
	_ team.JoinTx    = (*memTx)(nil)
)

type claimKey struct{ team, domain string }

// joinState holds the records of team.JoinStore and their indexes.
type joinState struct {
	links       map[string]team.InviteLink
	linkByToken map[string]string // token hash -> link ID

	claims   map[claimKey]team.DomainClaim
	verified map[string]string // domain -> ID of the team whose verified claim it is

	requests   map[string]team.JoinRequest
	pendingReq map[memberKey]string // (team, user) -> ID of the pending request
}

func newJoinState() joinState {
	return joinState{
		links:       map[string]team.InviteLink{},
		linkByToken: map[string]string{},
		claims:      map[claimKey]team.DomainClaim{},
		verified:    map[string]string{},
		requests:    map[string]team.JoinRequest{},
		pendingReq:  map[memberKey]string{},
	}
}

func (j *joinState) snapshot(snap *Snapshot) {
	snap.InviteLinks = make([]team.InviteLink, 0, len(j.links))
	for _, l := range j.links {
		snap.InviteLinks = append(snap.InviteLinks, l)
	}
	slices.SortFunc(snap.InviteLinks, func(a, b team.InviteLink) int { return strings.Compare(a.ID, b.ID) })
	snap.DomainClaims = make([]team.DomainClaim, 0, len(j.claims))
	for _, c := range j.claims {
		snap.DomainClaims = append(snap.DomainClaims, c)
	}
	slices.SortFunc(snap.DomainClaims, func(a, b team.DomainClaim) int {
		return cmp.Or(strings.Compare(a.TeamID, b.TeamID), strings.Compare(a.Domain, b.Domain))
	})
	snap.JoinRequests = make([]team.JoinRequest, 0, len(j.requests))
	for _, r := range j.requests {
		snap.JoinRequests = append(snap.JoinRequests, r)
	}
	slices.SortFunc(snap.JoinRequests, func(a, b team.JoinRequest) int { return strings.Compare(a.ID, b.ID) })
}

// Reads of the state.

func (j *joinState) inviteLink(id string) (team.InviteLink, error) {
	l, ok := j.links[id]
	if !ok {
		return team.InviteLink{}, notFound("invite link", id)
	}
	return l, nil
}

func (j *joinState) inviteLinkByTokenHash(hash string) (team.InviteLink, error) {
	id, ok := j.linkByToken[hash]
	if !ok {
		return team.InviteLink{}, fmt.Errorf("store: invite link with the given token hash: %w", team.ErrNotFound)
	}
	return j.links[id], nil
}

func (j *joinState) inviteLinks(teamID string) []team.InviteLink {
	out := []team.InviteLink{}
	for _, l := range j.links {
		if l.TeamID == teamID {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b team.InviteLink) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out
}

func (j *joinState) domainClaim(teamID, domain string) (team.DomainClaim, error) {
	c, ok := j.claims[claimKey{teamID, domain}]
	if !ok {
		return team.DomainClaim{}, notFound("domain claim", teamID+"/"+domain)
	}
	return c, nil
}

func (j *joinState) domainClaims(teamID string) []team.DomainClaim {
	out := []team.DomainClaim{}
	for k, c := range j.claims {
		if k.team == teamID {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b team.DomainClaim) int { return strings.Compare(a.Domain, b.Domain) })
	return out
}

func (j *joinState) verifiedDomainClaim(domain string) (team.DomainClaim, error) {
	teamID, ok := j.verified[domain]
	if !ok {
		return team.DomainClaim{}, notFound("verified domain claim", domain)
	}
	return j.claims[claimKey{teamID, domain}], nil
}

func (j *joinState) joinRequest(id string) (team.JoinRequest, error) {
	r, ok := j.requests[id]
	if !ok {
		return team.JoinRequest{}, notFound("join request", id)
	}
	return r, nil
}

func (j *joinState) joinRequests(teamID string, status team.JoinRequestStatus) []team.JoinRequest {
	out := []team.JoinRequest{}
	for _, r := range j.requests {
		if r.TeamID == teamID && (status == "" || r.Status == status) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b team.JoinRequest) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out
}

func (j *joinState) pendingJoinRequest(teamID, userID string) (team.JoinRequest, error) {
	id, ok := j.pendingReq[memberKey{teamID, userID}]
	if !ok {
		return team.JoinRequest{}, notFound("pending join request", teamID+"/"+userID)
	}
	return j.requests[id], nil
}

// Reads on Memory: committed data.

// readJoin runs fn on the committed state under the read lock.
func readJoin[T any](m *Memory, ctx context.Context, fn func(j *joinState) (T, error)) (T, error) {
	if err := m.rlock(ctx); err != nil {
		var zero T
		return zero, err
	}
	defer m.mu.RUnlock()
	return fn(&m.s.join)
}

// InviteLink implements team.JoinReader.
func (m *Memory) InviteLink(ctx context.Context, linkID string) (team.InviteLink, error) {
	return readJoin(m, ctx, func(j *joinState) (team.InviteLink, error) { return j.inviteLink(linkID) })
}

// InviteLinkByTokenHash implements team.JoinReader.
func (m *Memory) InviteLinkByTokenHash(ctx context.Context, hash string) (team.InviteLink, error) {
	return readJoin(m, ctx, func(j *joinState) (team.InviteLink, error) { return j.inviteLinkByTokenHash(hash) })
}

// InviteLinks implements team.JoinReader.
func (m *Memory) InviteLinks(ctx context.Context, teamID string) ([]team.InviteLink, error) {
	return readJoin(m, ctx, func(j *joinState) ([]team.InviteLink, error) { return j.inviteLinks(teamID), nil })
}

// DomainClaim implements team.JoinReader.
func (m *Memory) DomainClaim(ctx context.Context, teamID, domain string) (team.DomainClaim, error) {
	return readJoin(m, ctx, func(j *joinState) (team.DomainClaim, error) { return j.domainClaim(teamID, domain) })
}

// DomainClaims implements team.JoinReader.
func (m *Memory) DomainClaims(ctx context.Context, teamID string) ([]team.DomainClaim, error) {
	return readJoin(m, ctx, func(j *joinState) ([]team.DomainClaim, error) { return j.domainClaims(teamID), nil })
}

// VerifiedDomainClaim implements team.JoinReader.
func (m *Memory) VerifiedDomainClaim(ctx context.Context, domain string) (team.DomainClaim, error) {
	return readJoin(m, ctx, func(j *joinState) (team.DomainClaim, error) { return j.verifiedDomainClaim(domain) })
}

// JoinRequest implements team.JoinReader.
func (m *Memory) JoinRequest(ctx context.Context, requestID string) (team.JoinRequest, error) {
	return readJoin(m, ctx, func(j *joinState) (team.JoinRequest, error) { return j.joinRequest(requestID) })
}

// JoinRequests implements team.JoinReader.
func (m *Memory) JoinRequests(ctx context.Context, teamID string, status team.JoinRequestStatus) ([]team.JoinRequest, error) {
	return readJoin(m, ctx, func(j *joinState) ([]team.JoinRequest, error) { return j.joinRequests(teamID, status), nil })
}

// PendingJoinRequest implements team.JoinReader.
func (m *Memory) PendingJoinRequest(ctx context.Context, teamID, userID string) (team.JoinRequest, error) {
	return readJoin(m, ctx, func(j *joinState) (team.JoinRequest, error) { return j.pendingJoinRequest(teamID, userID) })
}

// Reads in a unit of work: its own view.

func txJoin[T any](t *memTx, ctx context.Context, fn func(j *joinState) (T, error)) (T, error) {
	if err := t.check(ctx); err != nil {
		var zero T
		return zero, err
	}
	return fn(&t.s.join)
}

func (t *memTx) InviteLink(ctx context.Context, linkID string) (team.InviteLink, error) {
	return txJoin(t, ctx, func(j *joinState) (team.InviteLink, error) { return j.inviteLink(linkID) })
}

func (t *memTx) InviteLinkByTokenHash(ctx context.Context, hash string) (team.InviteLink, error) {
	return txJoin(t, ctx, func(j *joinState) (team.InviteLink, error) { return j.inviteLinkByTokenHash(hash) })
}

func (t *memTx) InviteLinks(ctx context.Context, teamID string) ([]team.InviteLink, error) {
	return txJoin(t, ctx, func(j *joinState) ([]team.InviteLink, error) { return j.inviteLinks(teamID), nil })
}

func (t *memTx) DomainClaim(ctx context.Context, teamID, domain string) (team.DomainClaim, error) {
	return txJoin(t, ctx, func(j *joinState) (team.DomainClaim, error) { return j.domainClaim(teamID, domain) })
}

func (t *memTx) DomainClaims(ctx context.Context, teamID string) ([]team.DomainClaim, error) {
	return txJoin(t, ctx, func(j *joinState) ([]team.DomainClaim, error) { return j.domainClaims(teamID), nil })
}

func (t *memTx) VerifiedDomainClaim(ctx context.Context, domain string) (team.DomainClaim, error) {
	return txJoin(t, ctx, func(j *joinState) (team.DomainClaim, error) { return j.verifiedDomainClaim(domain) })
}

func (t *memTx) JoinRequest(ctx context.Context, requestID string) (team.JoinRequest, error) {
	return txJoin(t, ctx, func(j *joinState) (team.JoinRequest, error) { return j.joinRequest(requestID) })
}

func (t *memTx) JoinRequests(ctx context.Context, teamID string, status team.JoinRequestStatus) ([]team.JoinRequest, error) {
	return txJoin(t, ctx, func(j *joinState) ([]team.JoinRequest, error) { return j.joinRequests(teamID, status), nil })
}

func (t *memTx) PendingJoinRequest(ctx context.Context, teamID, userID string) (team.JoinRequest, error) {
	return txJoin(t, ctx, func(j *joinState) (team.JoinRequest, error) { return j.pendingJoinRequest(teamID, userID) })
}

// Writes: each needs its team locked (team.JoinTx).

func (t *memTx) joinWrite(ctx context.Context, op, teamID string) error {
	if err := t.write(ctx, op); err != nil {
		return err
	}
	return t.needTeam(op, teamID)
}

func (t *memTx) InsertInviteLink(ctx context.Context, l team.InviteLink) error {
	if err := t.joinWrite(ctx, "InsertInviteLink", l.TeamID); err != nil {
		return err
	}
	j := &t.s.join
	if _, ok := j.links[l.ID]; ok {
		return conflict("invite link %q already exists", l.ID)
	}
	if _, ok := j.linkByToken[l.TokenHash]; ok {
		return conflict("an invite link with this token hash already exists")
	}
	setKey(t, j.links, l.ID, l)
	setKey(t, j.linkByToken, l.TokenHash, l.ID)
	return nil
}

func (t *memTx) UpdateInviteLink(ctx context.Context, l team.InviteLink) error {
	if err := t.joinWrite(ctx, "UpdateInviteLink", l.TeamID); err != nil {
		return err
	}
	j := &t.s.join
	old, ok := j.links[l.ID]
	if !ok {
		return notFound("invite link", l.ID)
	}
	if old.TeamID != l.TeamID || old.TokenHash != l.TokenHash {
		return fmt.Errorf("store: UpdateInviteLink may not change the team or token hash of link %q", l.ID)
	}
	setKey(t, j.links, l.ID, l)
	return nil
}

func (j *joinState) checkClaim(c team.DomainClaim) error {
	if !c.Verified() {
		return nil
	}
	if other, ok := j.verified[c.Domain]; ok && other != c.TeamID {
		return conflict("domain %q is verified by team %q", c.Domain, other)
	}
	return nil
}

func (t *memTx) InsertDomainClaim(ctx context.Context, c team.DomainClaim) error {
	if err := t.joinWrite(ctx, "InsertDomainClaim", c.TeamID); err != nil {
		return err
	}
	j := &t.s.join
	k := claimKey{c.TeamID, c.Domain}
	if _, ok := j.claims[k]; ok {
		return conflict("team %q claimed domain %q already", c.TeamID, c.Domain)
	}
	if err := j.checkClaim(c); err != nil {
		return err
	}
	setKey(t, j.claims, k, c)
	if c.Verified() {
		setKey(t, j.verified, c.Domain, c.TeamID)
	}
	return nil
}

func (t *memTx) UpdateDomainClaim(ctx context.Context, c team.DomainClaim) error {
	if err := t.joinWrite(ctx, "UpdateDomainClaim", c.TeamID); err != nil {
		return err
	}
	j := &t.s.join
	k := claimKey{c.TeamID, c.Domain}
	old, ok := j.claims[k]
	if !ok {
		return notFound("domain claim", c.TeamID+"/"+c.Domain)
	}
	if err := j.checkClaim(c); err != nil {
		return err
	}
	setKey(t, j.claims, k, c)
	switch {
	case c.Verified() && !old.Verified():
		setKey(t, j.verified, c.Domain, c.TeamID)
	case !c.Verified() && old.Verified():
		delKey(t, j.verified, c.Domain)
	}
	return nil
}

func (t *memTx) DeleteDomainClaim(ctx context.Context, teamID, domain string) error {
	if err := t.joinWrite(ctx, "DeleteDomainClaim", teamID); err != nil {
		return err
	}
	j := &t.s.join
	k := claimKey{teamID, domain}
	old, ok := j.claims[k]
	if !ok {
		return notFound("domain claim", teamID+"/"+domain)
	}
	delKey(t, j.claims, k)
	if old.Verified() {
		delKey(t, j.verified, domain)
	}
	return nil
}

func (j *joinState) checkRequest(r team.JoinRequest) error {
	if r.Status != team.JoinRequestPending {
		return nil
	}
	if id, ok := j.pendingReq[memberKey{r.TeamID, r.UserID}]; ok && id != r.ID {
		return conflict("user %q has pending join request %q to team %q", r.UserID, id, r.TeamID)
	}
	return nil
}

func (t *memTx) InsertJoinRequest(ctx context.Context, r team.JoinRequest) error {
	if err := t.joinWrite(ctx, "InsertJoinRequest", r.TeamID); err != nil {
		return err
	}
	j := &t.s.join
	if _, ok := j.requests[r.ID]; ok {
		return conflict("join request %q already exists", r.ID)
	}
	if err := j.checkRequest(r); err != nil {
		return err
	}
	setKey(t, j.requests, r.ID, r)
	if r.Status == team.JoinRequestPending {
		setKey(t, j.pendingReq, memberKey{r.TeamID, r.UserID}, r.ID)
	}
	return nil
}

func (t *memTx) UpdateJoinRequest(ctx context.Context, r team.JoinRequest) error {
	if err := t.joinWrite(ctx, "UpdateJoinRequest", r.TeamID); err != nil {
		return err
	}
	j := &t.s.join
	old, ok := j.requests[r.ID]
	if !ok {
		return notFound("join request", r.ID)
	}
	if err := t.needTeam("UpdateJoinRequest", old.TeamID); err != nil {
		return err
	}
	if err := j.checkRequest(r); err != nil {
		return err
	}
	if old.Status == team.JoinRequestPending {
		delKey(t, j.pendingReq, memberKey{old.TeamID, old.UserID})
	}
	setKey(t, j.requests, r.ID, r)
	if r.Status == team.JoinRequestPending {
		setKey(t, j.pendingReq, memberKey{r.TeamID, r.UserID}, r.ID)
	}
	return nil
}
