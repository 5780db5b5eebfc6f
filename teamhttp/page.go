package teamhttp

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

//go:embed page
var pageFiles embed.FS

// pageCSP is the Content-Security-Policy of every page: scripts and styles
// only from the embedded files, no inline script, style or event handler,
// forms only to this origin, no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// UsagePeriod is the period the settings page sums each member's usage
// over, ending now.
const UsagePeriod = 30 * 24 * time.Hour

// auditPageSize is how many audit events the settings page shows at once.
const auditPageSize = 50

// NewSettingsPage returns the Team Settings page of svc (UI-1): HTML pages,
// rendered on the server, for a signed-in user of a browser, mounted like
// New under any prefix with http.StripPrefix:
//
//	page := teamhttp.NewSettingsPage(svc, teamhttp.WithAuthenticate(signedIn))
//	mux.Handle("/settings/", http.StripPrefix("/settings", page))
//
// It serves:
//
//	GET  /                        the user's teams and invitations
//	GET  /teams/{teamID}          a team's settings: members, invitations, usage, audit log, ...
//	POST /teams/{teamID}/...      the page's forms (invite, change role, remove, cancel, resend,
//	                              leave, transfer, upgrade, delete)
//	GET  /join                    the invitation link's page: /join#token=... (the token stays
//	                              in the fragment, which browsers never send)
//	POST /join/preview, /join/accept, /join/decline
//	GET  /assets/...              the embedded style sheet and script
//
// It takes the Options of New and applies them the same way: the sign-in of
// WithAuthenticate (required; a request it refuses gets a 401 page), the
// session epochs of WithSessionEpoch, the rate limits of WithRateLimits on
// sending invitations and presenting tokens (pass the same WithLimiter to
// both handlers so they share buckets), WithLogger, WithMaxBodyBytes,
// WithClientAddress and WithClock. Every form calls the same Service method
// as the matching JSON route, so the same rules decide; a refusal shows the
// public message (SEC-4) with the route's status code.
//
// Each control appears only for a member whose role may use it (ROLE-8):
// the page reads Permissions and asks the Policy (CanInvite,
// CanChangeRole, CanRemove) which roles the viewer may grant to whom. The
// service still checks every call.
//
// Security: form posts from another origin are refused with 403 by
// net/http's CrossOriginProtection (Sec-Fetch-Site and Origin headers);
// every page is sent with a strict Content-Security-Policy (no inline
// script or style), X-Frame-Options DENY, nosniff, no referrer and
// Cache-Control no-store. The page works without JavaScript; the small
// embedded script adds modal confirmation dialogs and fills the
// invitation code from the link.
func NewSettingsPage(svc *team.Service, opts ...Option) http.Handler {
	a := newAPI("teamhttp.NewSettingsPage", svc, opts)
	p := &page{api: a, tmpl: pageTemplates, assets: pageAssets}
	mux := http.NewServeMux()
	mux.Handle("GET /assets/{name}", http.HandlerFunc(p.asset))
	mux.Handle("GET /{$}", p.wrap(signedIn, limitNone, (*page).index))
	mux.Handle("GET /join", p.wrap(public, limitNone, (*page).join))
	mux.Handle("POST /join/preview", p.wrap(public, limitToken, (*page).preview))
	mux.Handle("POST /join/accept", p.wrap(signedIn, limitToken, (*page).accept))
	mux.Handle("POST /join/decline", p.wrap(signedIn, limitToken, (*page).declineToken))
	mux.Handle("POST /invitations/{invitationID}/decline", p.wrap(signedIn, limitNone, (*page).declineID))
	mux.Handle("GET /teams/{teamID}", p.wrap(inTeam, limitNone, (*page).settings))
	for _, f := range teamForms {
		mux.Handle("POST /teams/{teamID}/"+f.path, p.wrap(inTeam, f.limit, f.handle))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.renderError(w, r, &requestError{status: http.StatusNotFound, code: "not_found", msg: "There is no such page."})
	}))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.renderError(w, r, &requestError{status: http.StatusForbidden, code: "cross_origin",
			msg: "This form was sent from another site, so it was refused. Open the page again and retry."})
	}))
	return cop.Handler(mux)
}

// teamForms are the settings page's form posts; each calls the service
// method of the JSON route named in its comment.
var teamForms = []struct {
	path   string
	limit  limitKind
	handle func(*page, http.ResponseWriter, *http.Request, team.User) error
}{
	{"invitations", limitInvite, (*page).invite},                       // POST /teams/{teamID}/invitations
	{"invitations/{invitationID}/resend", limitInvite, (*page).resend}, // POST .../resend
	{"invitations/{invitationID}/cancel", limitNone, (*page).cancel},   // DELETE .../invitations/{id}
	{"members/{userID}/role", limitNone, (*page).changeRole},           // PATCH .../members/{id}
	{"members/{userID}/remove", limitNone, (*page).remove},             // DELETE .../members/{id}
	{"leave", limitNone, (*page).leave},                                // POST .../leave
	{"transfer", limitNone, (*page).transfer},                          // POST .../transfer
	{"upgrade", limitNone, (*page).upgrade},                            // POST .../upgrade
	{"delete", limitNone, (*page).deleteTeam},                          // DELETE /teams/{teamID}
}

type page struct {
	*api
	tmpl   *template.Template
	assets map[string]asset
}

// asset is an embedded file with its content hash, which versions its URL.
type asset struct {
	body        []byte
	contentType string
	version     string
}

var (
	pageAssets    = loadAssets()
	pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
		"asset": func(root, name string) string { return root + "assets/" + name + "?v=" + pageAssets[name].version },
		"when":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"day":   func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"pct":   func(n, max int64) string { return strconv.FormatFloat(pct(n, max), 'f', 1, 64) + "%" },
	}).ParseFS(pageFiles, "page/*.html"))
)

func pct(n, max int64) float64 {
	if max <= 0 || n <= 0 {
		return 0
	}
	return max64(0.5, float64(n)/float64(max)*100)
}

func max64(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

func loadAssets() map[string]asset {
	out := map[string]asset{}
	entries, err := fs.ReadDir(pageFiles, "page")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if ext != ".css" && ext != ".js" {
			continue
		}
		b, err := pageFiles.ReadFile("page/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		out[e.Name()] = asset{body: b, contentType: mime.TypeByExtension(ext), version: hex.EncodeToString(sum[:6])}
	}
	return out
}

// GET /assets/{name}: immutable, since the page links them by content hash.
func (p *page) asset(w http.ResponseWriter, r *http.Request) {
	as, ok := p.assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", as.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(as.body)
}

// wrap authenticates (for inTeam, also checks the session epoch of {teamID}),
// applies the rate limit, parses a form post, and renders handle's error.
// Pages that need no sign-in (the join page) still learn who is signed in.
func (p *page) wrap(acc access, limit limitKind, handle func(*page, http.ResponseWriter, *http.Request, team.User) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := p.authenticate(r)
		if err == nil && u.ID == "" {
			err = errors.New("the Authenticate function returned a user without an ID")
		}
		if err != nil {
			if acc != public {
				p.log.DebugContext(r.Context(), "teamhttp: authentication refused", "path", r.URL.Path, "error", err.Error())
				p.renderError(w, r, ErrUnauthenticated)
				return
			}
			u = team.User{}
		} else {
			r = r.WithContext(ContextWithUser(r.Context(), u))
		}
		if acc == inTeam && p.sessionEpoch != nil {
			teamID := r.PathValue("teamID")
			if stamped, ok := p.sessionEpoch(r, teamID); ok {
				if err := CheckSessionEpoch(r.Context(), p.svc, u.ID, teamID, stamped); err != nil {
					p.renderError(w, r, err)
					return
				}
			}
		}
		if r.Method == http.MethodPost {
			if err := p.parseForm(w, r); err != nil {
				p.fail(w, r, u, err)
				return
			}
		}
		if err := p.checkLimit(r, limit, u.ID); err != nil {
			p.fail(w, r, u, err)
			return
		}
		if err := handle(p, w, r, u); err != nil {
			p.fail(w, r, u, err)
		}
	})
}

// parseForm reads a form post of at most maxBody bytes (HTTP-4's limits,
// for forms).
func (p *page) parseForm(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return &requestError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			msg: "send the form as application/x-www-form-urlencoded"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, p.maxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &requestError{status: http.StatusRequestEntityTooLarge, code: "body_too_large", msg: "the form is too large"}
		}
		return badRequest("", "the form could not be read")
	}
	return nil
}

// fail renders err: on a team's page, the page again with the error above
// it (so the user sees what they tried and can retry), elsewhere an error
// page; the status is the JSON route's.
func (p *page) fail(w http.ResponseWriter, r *http.Request, u team.User, err error) {
	teamID := r.PathValue("teamID")
	if teamID == "" || u.ID == "" || r.Method != http.MethodPost {
		p.renderError(w, r, err)
		return
	}
	prob := logProblem(r, p.log, err)
	v, verr := p.settingsView(r, u, teamID)
	if verr != nil { // the team is out of reach now (not a member, deleted)
		p.renderError(w, r, err)
		return
	}
	v.Problem = &prob
	p.render(w, r, prob.Status, "settings", v)
}

// common is what every page's layout needs.
type common struct {
	Root    string // the relative path from the current URL to the mount point, "./" or "../.."
	User    team.User
	Title   string
	Notice  string
	Problem *Problem
}

func (c *common) base() *common { return c }

type viewer interface{ base() *common }

// rootOf is the relative path from r's URL to where the handler is mounted,
// so links work under any prefix: "./" for "/x", "../" for "/teams/x".
func rootOf(r *http.Request) string {
	n := strings.Count(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if n == 0 {
		return "./"
	}
	return strings.Repeat("../", n)
}

func (p *page) render(w http.ResponseWriter, r *http.Request, status int, name string, v viewer) {
	c := v.base()
	c.Root = rootOf(r)
	if u, ok := UserFromContext(r.Context()); ok {
		c.User = u
	}
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		p.log.ErrorContext(r.Context(), "teamhttp: settings page template failed", "template", name, "error", err.Error())
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

type errorView struct{ common }

func (p *page) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var prob Problem
	var ce *requestError
	if errors.As(err, &ce) && ce.code == "cross_origin" {
		prob = Problem{Status: ce.status, Code: ce.code, Detail: ce.msg, Title: http.StatusText(ce.status)}
	} else {
		prob = logProblem(r, p.log, err)
	}
	var rl *rateLimitError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(rl.retryAfter))
	}
	v := &errorView{common{Title: prob.Title, Problem: &prob}}
	p.render(w, r, prob.Status, "error", v)
}

// notices are the messages a redirect after a successful form names with
// ?notice=; anything else shows nothing.
var notices = map[string]string{
	"joined":      "You joined the team.",
	"declined":    "You declined the invitation.",
	"role":        "The role was changed. The member gets it at their next sign-in.",
	"removed":     "The member was removed.",
	"cancelled":   "The invitation was cancelled.",
	"left":        "You left the team.",
	"transferred": "Ownership was transferred.",
	"upgraded":    "Your personal team is now a team account. You have a new, empty personal team.",
	"deleted":     "The team was deleted.",
}

// seeOther redirects after a successful form (post/redirect/get) to to,
// relative to the mount point, with a notice.
func (p *page) seeOther(w http.ResponseWriter, r *http.Request, to, notice string) {
	// Not http.Redirect: it would resolve the relative path against the
	// path below the mount point and lose the host's prefix.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", rootOf(r)+to+"?notice="+notice)
	w.WriteHeader(http.StatusSeeOther)
}

// --- the index: the user's teams and invitations ---

type indexView struct {
	common
	Teams       []team.Membership
	Invitations []team.Invitation
	TeamNames   map[string]string
}

func (p *page) index(w http.ResponseWriter, r *http.Request, u team.User) error {
	ms, err := p.svc.Memberships(r.Context(), u.ID)
	if err != nil {
		return err
	}
	invs, err := p.svc.PendingInvitations(r.Context(), u)
	if err != nil {
		return err
	}
	v := &indexView{common: common{Title: "Your teams", Notice: notices[r.URL.Query().Get("notice")]}, Teams: ms, Invitations: invs}
	p.render(w, r, http.StatusOK, "index", v)
	return nil
}

// POST /invitations/{invitationID}/decline (INV-6)
func (p *page) declineID(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := p.svc.DeclineInvitation(r.Context(), u, r.PathValue("invitationID")); err != nil {
		return err
	}
	p.seeOther(w, r, "", "declined")
	return nil
}

// --- the invitation link's page (INV-5, INV-9) ---

type joinView struct {
	common
	Token   string
	Preview *team.InvitationPreview
}

func (p *page) join(w http.ResponseWriter, r *http.Request, _ team.User) error {
	p.render(w, r, http.StatusOK, "join", &joinView{common: common{Title: "Join a team"}})
	return nil
}

func (p *page) preview(w http.ResponseWriter, r *http.Request, _ team.User) error {
	token := strings.TrimSpace(r.PostForm.Get("token"))
	pv, err := p.svc.InvitationByToken(r.Context(), token)
	if err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "join", &joinView{common: common{Title: "Join " + pv.TeamName}, Token: token, Preview: &pv})
	return nil
}

func (p *page) accept(w http.ResponseWriter, r *http.Request, u team.User) error {
	m, err := p.svc.AcceptInvitation(r.Context(), u, strings.TrimSpace(r.PostForm.Get("token")))
	if err != nil {
		return err
	}
	p.seeOther(w, r, "teams/"+pathEscape(m.TeamID), "joined")
	return nil
}

func (p *page) declineToken(w http.ResponseWriter, r *http.Request, u team.User) error {
	if err := p.svc.DeclineInvitationByToken(r.Context(), u, strings.TrimSpace(r.PostForm.Get("token"))); err != nil {
		return err
	}
	p.seeOther(w, r, "", "declined")
	return nil
}

func pathEscape(s string) string { return url.PathEscape(s) }

// --- a team's settings (UI-1) ---

// settingsView is everything the settings template shows; every Can*
// field decides whether a control is rendered (ROLE-8).
type settingsView struct {
	common
	Team        team.Team
	Perms       team.Permissions
	Personal    bool
	Members     []memberRow
	Invitations []invitationRow
	Teams       []team.Membership

	InviteRoles        []string // the roles the viewer may invite to (CanInvite)
	DefaultRole        string
	CanCancel          bool // cancel pending invitations (Invite permission)
	CanLeave           bool
	CanTransfer        bool
	TransferCandidates []team.Member
	CanUpgrade         bool
	CanDelete          bool
	Remaining          []resourceCount // DeletionPreflight
	InviteLink         string          // after a successful invite: the link to copy (INV-9)
	InviteEmail        string
	DeliveryError      string // INV-7

	CanUsage    bool
	Usage       []usageRow
	UsageMax    int64
	UsageTotal  int64
	UsageFrom   time.Time
	CanAudit    bool
	Audit       []auditRow
	AuditNext   string
	AuditCursor string

	Confirm *confirmation // the no-JavaScript confirmation step
}

type memberRow struct {
	team.Member
	Display     string
	IsOwner     bool
	IsSelf      bool
	RoleChoices []string // roles the viewer may change this member to (CanChangeRole)
	CanRemove   bool
}

type invitationRow struct {
	team.Invitation
	State     team.InvitationStatus
	CanResend bool
}

type resourceCount struct {
	Type  string
	Count int
}

type usageRow struct {
	Display string
	Amount  int64
	Records int
}

// auditRow is an event with its actor and target named where the page
// knows them (members, the team, pending invitations).
type auditRow struct {
	audit.Event
	Actor  string
	Target string
}

// confirmation is the page a form without confirm=yes shows first, for
// browsers without JavaScript (with it, a dialog asks instead).
type confirmation struct {
	Action  string // the form's path under teams/{teamID}/
	Message string
	Button  string
}

func (p *page) settings(w http.ResponseWriter, r *http.Request, u team.User) error {
	v, err := p.settingsView(r, u, r.PathValue("teamID"))
	if err != nil {
		return err
	}
	v.Notice = notices[r.URL.Query().Get("notice")]
	p.render(w, r, http.StatusOK, "settings", v)
	return nil
}

// settingsView reads what the viewer may see of teamID, through the same
// service calls as the JSON routes, and decides each control from the
// viewer's Permissions and the Policy (ROLE-8).
func (p *page) settingsView(r *http.Request, u team.User, teamID string) (*settingsView, error) {
	ctx := r.Context()
	perms, err := p.svc.Permissions(ctx, u.ID, teamID)
	if err != nil {
		return nil, err
	}
	t, err := p.svc.Team(ctx, u.ID, teamID)
	if err != nil {
		return nil, err
	}
	members, err := p.svc.Members(ctx, u.ID, teamID)
	if err != nil {
		return nil, err
	}
	teams, err := p.svc.Memberships(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	pol := p.svc.Policy()
	actor, err := pol.Role(perms.Role)
	if err != nil {
		return nil, err
	}
	roles := pol.Roles()
	v := &settingsView{common: common{Title: t.Name + " settings"}, Team: t, Perms: perms, Personal: t.Kind == team.Personal, Teams: teams}
	names := make(map[string]string, len(members))
	for _, m := range members {
		row := memberRow{Member: m, Display: displayName(m), IsOwner: m.UserID == t.OwnerID, IsSelf: m.UserID == u.ID}
		names[m.UserID] = row.Display
		if target, err := pol.Role(m.Role); err == nil && !row.IsSelf {
			for _, nr := range roles {
				if nr.Name != m.Role && pol.CanChangeRole(actor, target, nr) {
					row.RoleChoices = append(row.RoleChoices, nr.Name)
				}
			}
			row.CanRemove = !row.IsOwner && pol.CanRemove(actor, target)
		}
		if !row.IsOwner && !row.IsSelf {
			v.TransferCandidates = append(v.TransferCandidates, m)
		}
		v.Members = append(v.Members, row)
	}
	if !v.Personal {
		if perms.Can(rbac.Invite) {
			for _, role := range roles {
				if pol.CanInvite(actor, role) {
					v.InviteRoles = append(v.InviteRoles, role.Name)
				}
			}
			if d := pol.DefaultRole(); pol.CanInvite(actor, d) {
				v.DefaultRole = d.Name
			}
			v.CanCancel = true
		}
		invs, err := p.svc.Invitations(ctx, u.ID, teamID)
		if err != nil {
			return nil, err
		}
		now := p.now()
		for _, inv := range invs {
			row := invitationRow{Invitation: inv, State: inv.State(now)}
			if ir, err := pol.Role(inv.Role); err == nil && (row.State == team.InvitationPending || row.State == team.InvitationExpired) {
				row.CanResend = pol.CanInvite(actor, ir)
			}
			v.Invitations = append(v.Invitations, row)
		}
		v.CanLeave = perms.Can(rbac.Leave) && t.OwnerID != u.ID
		v.CanTransfer = perms.Can(rbac.TransferOwnership) && t.OwnerID == u.ID && len(v.TransferCandidates) > 0
		if perms.Can(rbac.DeleteTeam) && t.OwnerID == u.ID {
			left, err := p.svc.DeletionPreflight(ctx, u.ID, teamID)
			if err != nil {
				return nil, err
			}
			v.CanDelete = true
			for typ, n := range left {
				v.Remaining = append(v.Remaining, resourceCount{typ, n})
			}
			sort.Slice(v.Remaining, func(i, j int) bool { return v.Remaining[i].Type < v.Remaining[j].Type })
		}
	} else {
		v.CanUpgrade = t.OwnerID == u.ID && pol.IsOwner(actor)
	}
	if perms.Can(rbac.ViewUsage) {
		v.CanUsage = true
		v.UsageFrom = p.now().Add(-UsagePeriod)
		sum, err := p.svc.UsageSummary(ctx, team.UsageSummaryParams{ActorID: u.ID, TeamID: teamID, From: v.UsageFrom})
		if err != nil {
			return nil, err
		}
		v.UsageTotal = sum.Amount
		for _, mu := range sum.Members {
			d, ok := names[mu.UserID]
			if !ok {
				d = mu.UserID + " (former member)"
			}
			v.Usage = append(v.Usage, usageRow{Display: d, Amount: mu.Amount, Records: mu.Records})
			v.UsageMax = max(v.UsageMax, mu.Amount)
		}
		sort.SliceStable(v.Usage, func(i, j int) bool { return v.Usage[i].Amount > v.Usage[j].Amount })
	}
	if perms.Can(rbac.ViewAudit) {
		v.CanAudit = true
		v.AuditCursor = r.URL.Query().Get("audit")
		pg, err := p.svc.AuditLog(ctx, team.AuditLogParams{ActorID: u.ID, TeamID: teamID, Query: audit.Query{Cursor: v.AuditCursor, Limit: auditPageSize}})
		if err != nil {
			return nil, err
		}
		targets := map[string]string{teamID: t.Name}
		for _, inv := range v.Invitations {
			targets[inv.ID] = inv.Email
		}
		for id, n := range names {
			targets[id] = n
		}
		for _, e := range pg.Events {
			row := auditRow{Event: e, Actor: e.ActorID, Target: e.Target}
			if n, ok := names[e.ActorID]; ok {
				row.Actor = n
			}
			if n, ok := targets[e.Target]; ok {
				row.Target = n
			}
			v.Audit = append(v.Audit, row)
		}
		v.AuditNext = pg.NextCursor
	}
	return v, nil
}

func displayName(m team.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return m.Email
}

// confirmed reports whether the form carries confirm=yes; when it does
// not, it renders the confirmation step (no JavaScript) and returns false.
func (p *page) confirmed(w http.ResponseWriter, r *http.Request, u team.User, action, message, button string) (bool, error) {
	if r.PostForm.Get("confirm") == "yes" {
		return true, nil
	}
	v, err := p.settingsView(r, u, r.PathValue("teamID"))
	if err != nil {
		return false, err
	}
	v.Confirm = &confirmation{Action: action, Message: message, Button: button}
	p.render(w, r, http.StatusOK, "settings", v)
	return false, nil
}

func (p *page) backToTeam(w http.ResponseWriter, r *http.Request, notice string) {
	p.seeOther(w, r, "teams/"+pathEscape(r.PathValue("teamID")), notice)
}

// POST /teams/{teamID}/invitations email, role (INV-1..4, INV-9): the page
// shows the link to copy, once, in the answer to this post.
func (p *page) invite(w http.ResponseWriter, r *http.Request, u team.User) error {
	teamID := r.PathValue("teamID")
	email := r.PostForm.Get("email")
	res, err := p.svc.Invite(r.Context(), team.InviteParams{ActorID: u.ID, TeamID: teamID, Email: email, Role: r.PostForm.Get("role")})
	return p.showInvite(w, r, u, res, err, "The invitation was sent.")
}

// POST /teams/{teamID}/invitations/{invitationID}/resend (INV-6)
func (p *page) resend(w http.ResponseWriter, r *http.Request, u team.User) error {
	res, err := p.svc.ResendInvitation(r.Context(), team.ResendInvitationParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), InvitationID: r.PathValue("invitationID")})
	return p.showInvite(w, r, u, res, err, "The invitation was sent again with a new link; the old link no longer works.")
}

func (p *page) showInvite(w http.ResponseWriter, r *http.Request, u team.User, res team.InviteResult, err error, notice string) error {
	if err != nil && (!errors.Is(err, team.ErrNotifyFailed) || res.Invitation.ID == "") {
		return err
	}
	v, verr := p.settingsView(r, u, r.PathValue("teamID"))
	if verr != nil {
		return verr
	}
	v.Notice = notice
	if err != nil {
		v.DeliveryError = publicMessage(err)
		p.log.Warn("teamhttp: invitation saved but not delivered", "invitation_id", res.Invitation.ID, "error", err.Error())
	}
	v.InviteLink = rootOf(r) + "join#token=" + res.Token
	v.InviteEmail = res.Invitation.Email
	status := http.StatusOK
	if r.PathValue("invitationID") == "" {
		status = http.StatusCreated
	}
	p.render(w, r, status, "settings", v)
	return nil
}

// POST /teams/{teamID}/invitations/{invitationID}/cancel (INV-6)
func (p *page) cancel(w http.ResponseWriter, r *http.Request, u team.User) error {
	id := r.PathValue("invitationID")
	if ok, err := p.confirmed(w, r, u, "invitations/"+pathEscape(id)+"/cancel", "Cancel this invitation? Its link stops working.", "Cancel invitation"); !ok {
		return err
	}
	if err := p.svc.CancelInvitation(r.Context(), team.CancelInvitationParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), InvitationID: id}); err != nil {
		return err
	}
	p.backToTeam(w, r, "cancelled")
	return nil
}

// POST /teams/{teamID}/members/{userID}/role role (MEM-1)
func (p *page) changeRole(w http.ResponseWriter, r *http.Request, u team.User) error {
	if _, err := p.svc.ChangeRole(r.Context(), team.ChangeRoleParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), UserID: r.PathValue("userID"), Role: r.PostForm.Get("role")}); err != nil {
		return err
	}
	p.backToTeam(w, r, "role")
	return nil
}

// POST /teams/{teamID}/members/{userID}/remove (MEM-2)
func (p *page) remove(w http.ResponseWriter, r *http.Request, u team.User) error {
	id := r.PathValue("userID")
	if ok, err := p.confirmed(w, r, u, "members/"+pathEscape(id)+"/remove", "Remove this member from the team? They lose access at once.", "Remove"); !ok {
		return err
	}
	if err := p.svc.RemoveMember(r.Context(), team.RemoveMemberParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), UserID: id}); err != nil {
		return err
	}
	p.backToTeam(w, r, "removed")
	return nil
}

// POST /teams/{teamID}/leave (MEM-3)
func (p *page) leave(w http.ResponseWriter, r *http.Request, u team.User) error {
	if ok, err := p.confirmed(w, r, u, "leave", "Leave this team? You lose access to it until someone invites you again.", "Leave team"); !ok {
		return err
	}
	if err := p.svc.Leave(r.Context(), u.ID, r.PathValue("teamID")); err != nil {
		return err
	}
	p.seeOther(w, r, "", "left")
	return nil
}

// POST /teams/{teamID}/transfer new_owner_id, confirm (OWN-1): the member
// chosen in the list, confirmed by typing their email (or user ID) again;
// what was typed becomes ConfirmNewOwnerID, so the service decides.
func (p *page) transfer(w http.ResponseWriter, r *http.Request, u team.User) error {
	teamID := r.PathValue("teamID")
	newOwner := r.PostForm.Get("new_owner_id")
	typed := strings.TrimSpace(r.PostForm.Get("confirm_new_owner"))
	confirm := typed
	if members, err := p.svc.Members(r.Context(), u.ID, teamID); err == nil {
		if email, err := team.NormalizeEmail(typed); err == nil {
			for _, m := range members {
				if m.Email == email {
					confirm = m.UserID
				}
			}
		}
	}
	if err := p.svc.TransferOwnership(r.Context(), team.TransferOwnershipParams{ActorID: u.ID, TeamID: teamID, NewOwnerID: newOwner, ConfirmNewOwnerID: confirm}); err != nil {
		return err
	}
	p.backToTeam(w, r, "transferred")
	return nil
}

// POST /teams/{teamID}/upgrade name (TEAM-3)
func (p *page) upgrade(w http.ResponseWriter, r *http.Request, u team.User) error {
	if ok, err := p.confirmed(w, r, u, "upgrade", "Upgrade this personal team to a team account? This cannot be undone.", "Upgrade"); !ok {
		return err
	}
	up, _, err := p.svc.UpgradeToCollaboration(r.Context(), team.UpgradeToCollaborationParams{ActorID: u.ID, TeamID: r.PathValue("teamID"), Name: r.PostForm.Get("name")})
	if err != nil {
		return err
	}
	p.seeOther(w, r, "teams/"+pathEscape(up.ID), "upgraded")
	return nil
}

// POST /teams/{teamID}/delete confirm_name (DEL-1..3): confirmed by typing
// the team's name.
func (p *page) deleteTeam(w http.ResponseWriter, r *http.Request, u team.User) error {
	teamID := r.PathValue("teamID")
	t, err := p.svc.Team(r.Context(), u.ID, teamID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.PostForm.Get("confirm_name")) != t.Name {
		return &requestError{status: http.StatusBadRequest, code: "confirmation_mismatch", field: "confirm_name",
			msg: "Type the team's name exactly to confirm the deletion."}
	}
	if err := p.svc.DeleteTeam(r.Context(), u.ID, teamID); err != nil {
		return err
	}
	p.seeOther(w, r, "", "deleted")
	return nil
}
