package teamhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
)

// pageFixture is Acme with one member of each role of the Standard preset
// (ana owner, bo admin, cy member, vi viewer), a pending invitation of dee,
// some usage, and the settings page over it. The test sign-in reads the
// user ID from the X-User header.
type pageFixture struct {
	svc      *team.Service
	acme     team.Team
	personal team.Team // ana's
	inv      team.Invitation
	srv      *httptest.Server
}

func pageUser(id string) team.User {
	return team.User{ID: id, Email: id + "@example.com", Name: strings.ToUpper(id[:1]) + id[1:]}
}

func newPageFixture(t testing.TB, extraMembers int) *pageFixture {
	t.Helper()
	ctx := context.Background()
	svc, err := team.New(store.NewMemory(), team.WithSeatLimit(max(team.DefaultSeatLimit, extraMembers+10)))
	require.NoError(t, err)
	ana := pageUser("ana")
	p, err := svc.EnsurePersonalTeam(ctx, ana)
	require.NoError(t, err)
	_, err = svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: "ana", TeamID: p.ID, Plan: billing.PlanTeam})
	require.NoError(t, err)
	_, err = svc.TopUp(ctx, team.TopUpParams{ActorID: "ana", TeamID: p.ID, Amount: 1_000_000})
	require.NoError(t, err)
	acme, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Acme"})
	require.NoError(t, err)
	join := func(id, role string) {
		res, err := svc.Invite(ctx, team.InviteParams{ActorID: "ana", TeamID: acme.ID, Email: id + "@example.com", Role: role})
		require.NoError(t, err)
		_, err = svc.AcceptInvitation(ctx, pageUser(id), res.Token)
		require.NoError(t, err)
	}
	join("bo", rbac.RoleAdmin)
	join("cy", rbac.RoleMember)
	join("vi", rbac.RoleViewer)
	for i := range extraMembers {
		join(fmt.Sprintf("m%02d", i), rbac.RoleMember)
	}
	res, err := svc.Invite(ctx, team.InviteParams{ActorID: "ana", TeamID: acme.ID, Email: "dee@example.com", Role: rbac.RoleMember})
	require.NoError(t, err)
	for i, id := range []string{"ana", "bo", "cy"} {
		_, err = svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: id, TeamID: acme.ID, Amount: int64(100 * (i + 1)), IdempotencyKey: "k-" + id})
		require.NoError(t, err)
	}
	auth := func(r *http.Request) (team.User, error) {
		id := r.Header.Get("X-User")
		if id == "" {
			return team.User{}, teamhttp.ErrUnauthenticated
		}
		return pageUser(id), nil
	}
	f := &pageFixture{svc: svc, acme: acme, personal: p, inv: res.Invitation}
	mux := http.NewServeMux()
	mux.Handle("/settings/", http.StripPrefix("/settings", teamhttp.NewSettingsPage(svc, teamhttp.WithAuthenticate(auth))))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// noRedirect is a client that reports redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (f *pageFixture) get(t testing.TB, user, path string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", f.srv.URL+"/settings"+path, nil)
	require.NoError(t, err)
	if user != "" {
		req.Header.Set("X-User", user)
	}
	return send(t, req)
}

func (f *pageFixture) post(t testing.TB, user, path string, form url.Values, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("POST", f.srv.URL+"/settings"+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-User", user)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return send(t, req)
}

func send(t testing.TB, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

var formAction = regexp.MustCompile(`<form method="post" action="[^"]*?/teams/[^/"]+/([^"]+)"`)

// controls lists the form actions a page offers (relative to the team, IDs
// kept), plus the read-only sections shown.
func controls(body string) []string {
	var out []string
	for _, m := range formAction.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	for _, section := range []string{`id="usage-title"`, `id="audit-title"`} {
		if strings.Contains(body, section) {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(section, `id="`), `-title"`))
		}
	}
	sort.Strings(out)
	return out
}

var option = regexp.MustCompile(`<option value="([^"]+)"`)

// selectOptions returns the options of the select with the given id.
func selectOptions(body, id string) []string {
	i := strings.Index(body, `<select id="`+id+`"`)
	if i < 0 {
		return nil
	}
	end := strings.Index(body[i:], "</select>")
	var out []string
	for _, m := range option.FindAllStringSubmatch(body[i:i+end], -1) {
		out = append(out, m[1])
	}
	return out
}

// Rule UI-1, ROLE-8: each role of the Standard preset sees exactly the
// controls its permissions allow, as ROLE-2's table says: the owner
// manages everyone and may transfer and delete; an admin manages everyone
// but the owner, may leave, and may not transfer or delete; a member and a
// viewer may only leave and see neither usage nor the audit log. Role
// choices are those the Policy lets the viewer grant (ROLE-6, ROLE-7).
func TestSettingsPageShowsEachRoleItsControls(t *testing.T) {
	f := newPageFixture(t, 0)
	inv := "invitations/" + f.inv.ID
	manage := func(ids ...string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, "members/"+id+"/role", "members/"+id+"/remove")
		}
		return out
	}
	sorted := func(s ...[]string) []string {
		out := slices.Concat(s...)
		sort.Strings(out)
		return out
	}
	cases := []struct {
		user        string
		want        []string
		inviteRoles []string
	}{
		{"ana", sorted(manage("bo", "cy", "vi"), []string{"invitations", inv + "/resend", inv + "/cancel", "transfer", "delete", "usage", "audit"}),
			[]string{"admin", "member", "viewer"}},
		{"bo", sorted(manage("cy", "vi"), []string{"invitations", inv + "/resend", inv + "/cancel", "leave", "usage", "audit"}),
			[]string{"admin", "member", "viewer"}},
		{"cy", []string{"leave"}, nil},
		{"vi", []string{"leave"}, nil},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			status, _, body := f.get(t, c.user, "/teams/"+f.acme.ID)
			require.Equal(t, http.StatusOK, status, body)
			require.Equal(t, c.want, controls(body))
			require.Equal(t, c.inviteRoles, selectOptions(body, "invite-role"))
			require.Contains(t, body, "dee@example.com", "every member sees the pending invitations (MEM-5)")
		})
	}
	// The admin may change another admin's role, never the owner's, and
	// only to roles at or below their own.
	_, _, body := f.get(t, "bo", "/teams/"+f.acme.ID)
	require.Equal(t, []string{"member", "admin", "viewer"}, selectOptions(body, "role-cy"), "current role first, then the grantable others")
	require.Nil(t, selectOptions(body, "role-ana"))
	// ana's personal team offers the upgrade and nothing of a team's.
	_, _, body = f.get(t, "ana", "/teams/"+f.personal.ID)
	require.Equal(t, []string{"audit", "upgrade", "usage"}, controls(body))
	require.Contains(t, body, "cannot be undone")
}

// Rule UI-1: a control the page hides is refused by the service too, and
// the page shows the public message with the JSON route's status (SEC-4).
func TestSettingsPageShowsPublicMessageOfRefusal(t *testing.T) {
	f := newPageFixture(t, 0)
	status, _, body := f.post(t, "vi", "/teams/"+f.acme.ID+"/invitations", url.Values{"email": {"x@example.com"}, "role": {"viewer"}})
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, body, `data-code="permission_denied"`)
	require.Contains(t, body, htmlEscape(team.PublicMessage(team.ErrPermissionDenied)))
	require.NotContains(t, body, "teamkit:", "the log message is not shown")

	status, _, body = f.post(t, "ana", "/teams/"+f.acme.ID+"/invitations", url.Values{"email": {"dee@example.com"}, "role": {"member"}})
	require.Equal(t, http.StatusConflict, status)
	require.Contains(t, body, htmlEscape(team.PublicMessage(team.ErrAlreadyInvited)))

	status, _, body = f.post(t, "ana", "/teams/"+f.acme.ID+"/transfer", url.Values{"new_owner_id": {"bo"}, "confirm_new_owner": {"cy@example.com"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, body, `data-code="confirmation_mismatch"`)
	_, _, body = f.get(t, "ana", "/teams/"+f.acme.ID)
	require.Contains(t, body, `id="transfer-form"`, "nothing changed: ana is still the owner")

	status, _, _ = f.get(t, "", "/teams/"+f.acme.ID)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = f.get(t, "zed", "/teams/"+f.acme.ID)
	require.Equal(t, http.StatusForbidden, status, "not a member (TEAM-6)")
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

// Rule UI-1: a form post from another origin is refused before it reaches
// the service (CSRF), by the Sec-Fetch-Site header or by an Origin that is
// not the page's host; the same post from the page's own origin works.
func TestSettingsPageRefusesCrossOriginPost(t *testing.T) {
	f := newPageFixture(t, 0)
	remove := "/teams/" + f.acme.ID + "/members/cy/remove"
	yes := url.Values{"confirm": {"yes"}}
	status, _, body := f.post(t, "ana", remove, yes, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, body, "another site")
	status, _, _ = f.post(t, "ana", remove, yes, "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, status)
	ms, err := f.svc.Members(context.Background(), "ana", f.acme.ID)
	require.NoError(t, err)
	require.Len(t, ms, 4, "nobody was removed")

	status, h, _ := f.post(t, "ana", remove, yes, "Sec-Fetch-Site", "same-origin", "Origin", f.srv.URL)
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "../../../../teams/"+f.acme.ID+"?notice=removed", h.Get("Location"))
	ms, err = f.svc.Members(context.Background(), "ana", f.acme.ID)
	require.NoError(t, err)
	require.Len(t, ms, 3)
}

// Rule UI-1: every page carries a strict Content-Security-Policy and the
// other security headers, and the HTML needs nothing the policy forbids:
// no inline script, no style attribute, no event handler attribute.
func TestSettingsPageSecurityHeaders(t *testing.T) {
	f := newPageFixture(t, 0)
	for _, path := range []string{"/teams/" + f.acme.ID, "/", "/join", "/nowhere"} {
		status, h, body := f.get(t, "ana", path)
		require.Contains(t, []int{200, 404}, status, path)
		csp := h.Get("Content-Security-Policy")
		require.Contains(t, csp, "default-src 'none'", path)
		require.Contains(t, csp, "script-src 'self'", path)
		require.Contains(t, csp, "frame-ancestors 'none'", path)
		require.NotContains(t, csp, "unsafe", path)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		require.Equal(t, "DENY", h.Get("X-Frame-Options"))
		require.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
		require.Equal(t, "no-store", h.Get("Cache-Control"))
		require.NotRegexp(t, `<script(?:\s[^>]*)?>[^<]`, body, "inline script")
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
			require.Contains(t, tag, ` src="`, "every script is an embedded file")
		}
		require.NotRegexp(t, `\sstyle=`, body, "style attribute")
		require.NotRegexp(t, `\son[a-z]+=`, body, "event handler attribute")
		for _, src := range regexp.MustCompile(`(?:src|href)="([^"]*assets/[^"]+)"`).FindAllStringSubmatch(body, -1) {
			u, err := url.Parse(f.srv.URL + "/settings" + path)
			require.NoError(t, err)
			ref, err := u.Parse(strings.ReplaceAll(src[1], "&amp;", "&"))
			require.NoError(t, err)
			resp, err := http.Get(ref.String())
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, ref.String())
			require.Contains(t, resp.Header.Get("Cache-Control"), "immutable")
		}
	}
}

// Rule UI-1: without JavaScript a removal, a cancellation, leaving and the
// upgrade first show a confirmation step that changes nothing; the step's
// form, with confirm=yes, does it.
func TestSettingsPageConfirmsWithoutJavaScript(t *testing.T) {
	f := newPageFixture(t, 0)
	ctx := context.Background()
	cancel := "/teams/" + f.acme.ID + "/invitations/" + f.inv.ID + "/cancel"
	status, _, body := f.post(t, "bo", cancel, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `id="confirm-step"`)
	require.Contains(t, body, `<input type="hidden" name="confirm" value="yes">`)
	invs, err := f.svc.Invitations(ctx, "bo", f.acme.ID)
	require.NoError(t, err)
	require.Len(t, invs, 1, "not cancelled yet")
	status, _, _ = f.post(t, "bo", cancel, url.Values{"confirm": {"yes"}})
	require.Equal(t, http.StatusSeeOther, status)
	invs, err = f.svc.Invitations(ctx, "bo", f.acme.ID)
	require.NoError(t, err)
	require.Empty(t, invs)

	status, _, body = f.post(t, "vi", "/teams/"+f.acme.ID+"/leave", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `id="confirm-step"`)
	status, h, _ := f.post(t, "vi", "/teams/"+f.acme.ID+"/leave", url.Values{"confirm": {"yes"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "../../?notice=left", h.Get("Location"))
	_, err = f.svc.Permissions(ctx, "vi", f.acme.ID)
	require.ErrorIs(t, err, team.ErrNotMember)
}

// Rule UI-1, INV-9: the invite form answers with the link to copy, whose
// token is in the fragment; the join page previews and accepts it for the
// invited user, and the token never appears in a URL the server sees.
func TestSettingsPageInviteAndJoin(t *testing.T) {
	f := newPageFixture(t, 0)
	status, _, body := f.post(t, "bo", "/teams/"+f.acme.ID+"/invitations", url.Values{"email": {" Eve@Example.com "}, "role": {"viewer"}})
	require.Equal(t, http.StatusCreated, status, body)
	m := regexp.MustCompile(`id="invite-link" href="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, m)
	require.True(t, strings.HasPrefix(m[1], "../../join#token="), m[1])
	token := strings.TrimPrefix(m[1], "../../join#token=")

	status, _, body = f.post(t, "eve", "/join/preview", url.Values{"token": {token}})
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Bo invited you")
	require.Contains(t, body, `id="accept"`)
	status, h, _ := f.post(t, "eve", "/join/accept", url.Values{"token": {token}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "../teams/"+f.acme.ID+"?notice=joined", h.Get("Location"))
	p, err := f.svc.Permissions(context.Background(), "eve", f.acme.ID)
	require.NoError(t, err)
	require.Equal(t, rbac.RoleViewer, p.Role)
}

// BenchmarkSettingsPage50Members renders the settings page of a team of 50
// members (and one invitation, usage and a full audit page) for its owner,
// on the memory store, through the handler without a network (UI-1's
// budget: at most 5 ms).
func BenchmarkSettingsPage50Members(b *testing.B) {
	f := newPageFixture(b, 46)
	h := teamhttp.NewSettingsPage(f.svc, teamhttp.WithAuthenticate(func(*http.Request) (team.User, error) { return pageUser("ana"), nil }))
	ms, err := f.svc.Members(context.Background(), "ana", f.acme.ID)
	require.NoError(b, err)
	require.Len(b, ms, 50)
	req := httptest.NewRequest("GET", "/teams/"+f.acme.ID, nil)
	var durs []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		durs = append(durs, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds()), "p50-µs")
}

// Rule UI-1, ROLE-8: the controls follow the service's policy, not a fixed
// list: under the Platform preset (ROLE-3) a finance admin sees the usage
// chart and may leave, and sees no member management and no audit log;
// the owner may invite to every role but the owner's.
func TestSettingsPageFollowsThePolicy(t *testing.T) {
	ctx := context.Background()
	svc, err := team.New(store.NewMemory(), team.WithPolicy(rbac.Platform()))
	require.NoError(t, err)
	p, err := svc.EnsurePersonalTeam(ctx, pageUser("ana"))
	require.NoError(t, err)
	_, err = svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: "ana", TeamID: p.ID, Plan: billing.PlanTeam})
	require.NoError(t, err)
	acme, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: pageUser("ana"), Name: "Acme"})
	require.NoError(t, err)
	for id, role := range map[string]string{"fi": rbac.RoleFinanceAdmin, "dev": rbac.RoleDeveloper} {
		res, err := svc.Invite(ctx, team.InviteParams{ActorID: "ana", TeamID: acme.ID, Email: id + "@example.com", Role: role})
		require.NoError(t, err)
		_, err = svc.AcceptInvitation(ctx, pageUser(id), res.Token)
		require.NoError(t, err)
	}
	f := &pageFixture{svc: svc}
	h := teamhttp.NewSettingsPage(svc, teamhttp.WithAuthenticate(func(r *http.Request) (team.User, error) { return pageUser(r.Header.Get("X-User")), nil }))
	mux := http.NewServeMux()
	mux.Handle("/settings/", http.StripPrefix("/settings", h))
	f.srv = httptest.NewServer(mux)
	defer f.srv.Close()

	_, _, body := f.get(t, "fi", "/teams/"+acme.ID)
	require.Equal(t, []string{"leave", "usage"}, controls(body))
	_, _, body = f.get(t, "dev", "/teams/"+acme.ID)
	require.Equal(t, []string{"leave"}, controls(body))
	_, _, body = f.get(t, "ana", "/teams/"+acme.ID)
	require.Equal(t, []string{"admin", "developer", "finance_admin", "basic_user"}, selectOptions(body, "invite-role"))
	require.Equal(t, []string{"finance_admin", "admin", "developer", "basic_user"}, selectOptions(body, "role-fi"))
}
