package uitest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
)

// users of the story: the test sign-in knows only these.
var users = map[string]team.User{
	"ana": {ID: "ana", Email: "ana@example.com", Name: "Ana Lima"},
	"bo":  {ID: "bo", Email: "bo@example.com", Name: "Bo Chen"},
	"cy":  {ID: "cy", Email: "cy@example.com", Name: "Cy Okafor"},
	"vi":  {ID: "vi", Email: "vi@example.com", Name: "Vi Tran"},
}

// server is the host of the story: the settings page under /settings/ and
// a TEST-ONLY sign-in, GET /signin?user=ID, that sets a cookie naming one
// of users.
func server(t *testing.T, svc *team.Service) *httptest.Server {
	auth := func(r *http.Request) (team.User, error) {
		c, err := r.Cookie("uitest-user")
		if err != nil {
			return team.User{}, err
		}
		u, ok := users[c.Value]
		if !ok {
			return team.User{}, fmt.Errorf("unknown test user %q", c.Value)
		}
		return u, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /signin", func(w http.ResponseWriter, r *http.Request) {
		u, ok := users[r.URL.Query().Get("user")]
		if !ok {
			http.Error(w, "unknown user", http.StatusBadRequest)
			return
		}
		if _, err := svc.EnsurePersonalTeam(r.Context(), u); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "uitest-user", Value: u.ID, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/settings/", http.StatusSeeOther)
	})
	mux.Handle("/settings/", http.StripPrefix("/settings", teamhttp.NewSettingsPage(svc, teamhttp.WithAuthenticate(auth))))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// chromium returns the browser's path, failing the test when there is none
// unless TEAMKIT_UI_SKIP=1.
func chromium(t *testing.T) string {
	if p := os.Getenv("TEAMKIT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("TEAMKIT_UI_SKIP") == "1" {
		t.Skip("no chromium on PATH and TEAMKIT_UI_SKIP=1")
	}
	t.Fatal("no chromium on PATH: run teamhttp/uitest/ci.sh (it installs Debian's chromium), set TEAMKIT_CHROMIUM, or TEAMKIT_UI_SKIP=1 to skip")
	return ""
}

// browser starts a headless chromium with a fresh profile, without
// background networking, and returns a tab's context.
func browser(t *testing.T) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1100, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelTab)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// story is the state of one browser run.
type story struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string // screenshots
	shot int
}

func (s *story) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, actions...); err != nil {
		s.fail("%s: %v", what, err)
	}
}

// fail saves a screenshot of the page as failure.png and fails the test
// with the page's URL.
func (s *story) fail(format string, args ...any) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(s.dir, "failure.png"), png, 0o644)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	s.t.Fatalf(format+" (page %s; see %s)", append(args, loc, filepath.Join(s.dir, "failure.png"))...)
}

// signIn switches the browser to user and opens their team list.
func (s *story) signIn(user string) {
	s.t.Helper()
	s.run("sign in as "+user, chromedp.Navigate(s.base+"/signin?user="+user), chromedp.WaitVisible(chromedp.CSS("#teams")))
}

// open navigates to a page below /settings and waits for sel.
func (s *story) open(path, sel string) {
	s.t.Helper()
	s.run("open "+path, chromedp.Navigate(s.base+"/settings"+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// submit runs actions that submit a form and waits until the next page
// has loaded (a new document: the marker set on the old one is gone).
func (s *story) submit(what string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	eval[bool](s, `window.__uitestOld = true`)
	s.run(what, actions...)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.__uitestOld && document.readyState === "complete"`))
		cancel()
		if err == nil && loaded {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.fail("%s: the next page did not load", what)
}

// eval evaluates expr in the page and returns its value.
func eval[T any](s *story, expr string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (s *story) exists(sel string) bool {
	s.t.Helper()
	return eval[bool](s, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
}

func (s *story) text(sel string) string {
	s.t.Helper()
	return eval[string](s, fmt.Sprintf(`(document.querySelector(%q) || {textContent: "<missing>"}).textContent.trim()`, sel))
}

func (s *story) requireText(sel, want string) {
	s.t.Helper()
	if got := s.text(sel); !strings.Contains(got, want) {
		s.fail("%s: got %q, want it to contain %q", sel, got, want)
	}
}

func (s *story) requireExists(sel string, want bool) {
	s.t.Helper()
	if got := s.exists(sel); got != want {
		s.fail("%s present = %v, want %v", sel, got, want)
	}
}

// screenshot saves the full page as NN-name.png. With
// TEAMKIT_UI_UPDATE_README=1 the owner's view also replaces
// settings-owner.png, the committed one examples/httpserver/README.md
// shows (so ordinary runs leave the work tree clean).
func (s *story) screenshot(name string) {
	s.t.Helper()
	png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	s.shot++
	path := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.shot, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		s.t.Fatal(err)
	}
	if name == "owner" && os.Getenv("TEAMKIT_UI_UPDATE_README") == "1" {
		if err := os.WriteFile(filepath.Join(s.dir, "settings-owner.png"), png, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
}

// viewport sets the window's size (a phone is 390 wide).
func (s *story) viewport(w, h int64, mobile bool) {
	s.t.Helper()
	if mobile {
		s.run("viewport", chromedp.EmulateViewport(w, h, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	} else {
		s.run("viewport", chromedp.EmulateViewport(w, h))
	}
}

// invite fills the invite form and returns the link it shows (INV-9).
func (s *story) invite(email, role string) string {
	s.t.Helper()
	s.submit("invite "+email,
		chromedp.SendKeys(chromedp.CSS("#invite-email"), email),
		chromedp.SetValue(chromedp.CSS("#invite-role"), role),
		chromedp.Click(chromedp.CSS("#invite-button")))
	s.requireText("#link-title", email)
	link := eval[string](s, `document.getElementById("invite-link-text").value`)
	if !strings.HasPrefix(link, s.base+"/settings/join#token=") {
		s.t.Fatalf("invite link %q is not absolute under the mount point", link)
	}
	s.requireText(`#invitations tbody tr:last-child`, email)
	return link
}

// accept opens link as the signed-in user and accepts through the page.
func (s *story) accept(link, teamName string, shot bool) {
	s.t.Helper()
	s.run("open link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#view-invitation")))
	token := eval[string](s, `document.getElementById("token").value`)
	if token == "" || strings.Contains(s.currentURL(), "token") {
		s.t.Fatalf("the join page did not take the token out of the fragment (token %q, URL %s)", token, s.currentURL())
	}
	s.submit("view invitation", chromedp.Click(chromedp.CSS("#view-invitation")))
	s.requireText("#preview-title", "Ana Lima invited you to "+teamName)
	if shot {
		s.screenshot("invitation-preview")
	}
	s.submit("accept", chromedp.Click(chromedp.CSS("#accept")))
	s.requireText("#notice", "You joined the team.")
	s.requireText("#team-name", teamName)
}

func (s *story) currentURL() string {
	return eval[string](s, `location.href`)
}

// openMenu opens the actions menu of a member or invitation row.
func (s *story) openMenu(row string) {
	s.t.Helper()
	s.run("open menu "+row, chromedp.Click(chromedp.CSS(row+" summary")))
}

// confirmDialog checks the confirmation dialog is open and modal, with
// focus on its safe button, takes a screenshot if name is set, and
// confirms.
func (s *story) confirmDialog(what, name string) {
	s.t.Helper()
	s.run("dialog open", chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
	open := eval[bool](s, `document.getElementById("confirm-dialog").open`)
	modal := eval[bool](s, `document.getElementById("confirm-dialog").matches(":modal")`)
	focused := eval[string](s, `document.activeElement.id`)
	if !open || !modal || focused != "confirm-cancel" {
		s.t.Fatalf("confirmation dialog: open %v, modal %v, focus on %q; want open, modal, focus on confirm-cancel", open, modal, focused)
	}
	s.requireText("#confirm-message", what)
	if name != "" {
		s.screenshot(name)
	}
	s.submit("confirm "+what, chromedp.Click(chromedp.CSS("#confirm-ok")))
}

func (s *story) role(user string) string {
	return s.text(fmt.Sprintf(`#members tr[data-user=%q] .role`, user))
}

// TestSettingsPageInBrowser is the story of seed 000 and 002 in a real
// browser (Rule UI-1): Ana upgrades her personal team to a team account,
// invites Bo, Cy, Vi and Dee; each invitee accepts through the link's
// page; Ana changes Bo's role, removes Cy, cancels Dee's invitation (both
// confirmed in a modal dialog) and transfers ownership to Bo (typing his
// email to confirm, OWN-1); Bo deletes the team, seeing the remaining
// resource counts first. The viewer sees no control they may not use
// (Rule ROLE-8), and the page is usable at phone width. Every step is
// asserted from the DOM; screenshots go to screenshots/.
func TestSettingsPageInBrowser(t *testing.T) {
	ctx := browser(t)
	dir := os.Getenv("TEAMKIT_UI_SCREENSHOTS")
	if dir == "" {
		dir = "screenshots"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var resources atomic.Pointer[map[string]int] // the host's resources in Acme (DEL-2)
	resources.Store(&map[string]int{"agent": 2, "knowledge_base": 1})
	svc, err := team.New(store.NewMemory(), team.WithResourceCounter(team.ResourceCounterFunc(
		func(context.Context, string) (map[string]int, error) { return *resources.Load(), nil })))
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	personal, err := svc.EnsurePersonalTeam(bg, users["ana"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ChangePlan(bg, team.ChangePlanParams{ActorID: "ana", TeamID: personal.ID, Plan: billing.PlanTeam}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TopUp(bg, team.TopUpParams{ActorID: "ana", TeamID: personal.ID, Amount: 100_000}); err != nil {
		t.Fatal(err)
	}
	s := &story{t: t, ctx: ctx, base: server(t, svc).URL, dir: dir}

	// Ana upgrades her personal team (TEAM-3), confirmed in the dialog.
	s.signIn("ana")
	s.open("/teams/"+personal.ID, "#upgrade-button")
	s.requireText("#team-kind", "Personal account")
	s.requireText("#upgrade", "cannot be undone")
	s.requireExists("#invite-form", false)
	s.run("name", chromedp.SetValue(chromedp.CSS("#upgrade-name"), "Acme"))
	s.run("upgrade", chromedp.Click(chromedp.CSS("#upgrade-button")))
	s.confirmDialog("cannot be undone", "upgrade-dialog")
	s.requireText("#notice", "now a team account")
	s.requireText("#team-name", "Acme")
	s.requireText("#team-kind", "Team account")
	acme := personal.ID

	// She invites four people; the page shows each link to copy (INV-9).
	links := map[string]string{}
	for _, inv := range []struct{ user, role string }{{"bo", "admin"}, {"cy", "member"}, {"vi", "viewer"}, {"dee", "member"}} {
		links[inv.user] = s.invite(inv.user+"@example.com", inv.role)
	}
	s.screenshot("invited")

	// Each invitee accepts through the page (INV-5).
	for _, u := range []string{"bo", "cy", "vi"} {
		s.signIn(u)
		s.accept(links[u], "Acme", u == "bo")
		s.requireText("#my-role", map[string]string{"bo": "admin", "cy": "member", "vi": "viewer"}[u])
	}
	for _, u := range []string{"ana", "bo", "cy"} {
		if _, err := svc.RecordUsage(bg, team.RecordUsageParams{ActorID: u, TeamID: acme, Amount: int64(len(u) * 700), IdempotencyKey: "run-" + u}); err != nil {
			t.Fatal(err)
		}
	}

	// The viewer sees the members and invitations and no control but
	// Leave (ROLE-8): no invite form, no row menus, no usage, no audit log,
	// no transfer or delete.
	s.open("/teams/"+acme, "#members")
	for _, sel := range []string{"#invite-form", "details.menu", "#usage", "#usage-title", "#audit-title", "#transfer-form", "#delete-form", "#upgrade"} {
		s.requireExists(sel, false)
	}
	s.requireExists("#leave-form", true)
	s.requireText("#invitations", "dee@example.com")
	s.screenshot("viewer")
	s.viewport(390, 844, true)
	s.screenshot("viewer-phone")
	s.viewport(1100, 900, false)

	// The admin manages everyone but the owner, and may not transfer or
	// delete.
	s.signIn("bo")
	s.open("/teams/"+acme, "#members")
	s.requireExists(`#members tr[data-user="ana"] details.menu`, false)
	s.requireExists(`#members tr[data-user="cy"] details.menu`, true)
	s.requireExists("#invite-form", true)
	s.requireExists("#transfer-form", false)
	s.requireExists("#delete-form", false)
	s.requireExists("#audit-title", true)

	// Ana changes Bo's role to member (MEM-1).
	s.signIn("ana")
	s.open("/teams/"+acme, "#members")
	s.requireText("#usage-total", "4900")
	s.requireExists("#usage svg rect", true)
	s.requireText("#audit", "invitation.accepted")
	s.screenshot("owner")
	s.openMenu(`#members tr[data-user="bo"]`)
	opts := eval[[]string](s, `Array.from(document.querySelectorAll("#role-bo option")).map(o => o.value)`)
	if strings.Join(opts, ",") != "admin,member,viewer" {
		t.Fatalf("role choices for bo = %v, want admin (current), member, viewer", opts)
	}
	s.screenshot("member-menu")
	s.submit("change role", chromedp.SetValue(chromedp.CSS("#role-bo"), "member"),
		chromedp.Click(chromedp.CSS(`#members tr[data-user="bo"] .edit-role button`)))
	s.requireText("#notice", "The role was changed")
	if got := s.role("bo"); got != "member" {
		t.Fatalf("bo's role = %q, want member", got)
	}

	// She removes Cy, confirming in the dialog (MEM-2); Go back first
	// leaves everything as it was.
	s.openMenu(`#members tr[data-user="cy"]`)
	s.run("remove", chromedp.Click(chromedp.CSS(`#members tr[data-user="cy"] .remove button`)))
	s.run("go back", chromedp.WaitVisible(chromedp.CSS("#confirm-cancel")), chromedp.Click(chromedp.CSS("#confirm-cancel")))
	if open := eval[bool](s, `document.getElementById("confirm-dialog").open`); open || !s.exists(`#members tr[data-user="cy"]`) {
		t.Fatalf("Go back: dialog open %v, cy still listed %v", open, s.exists(`#members tr[data-user="cy"]`))
	}
	// Go back and ask again at once, in one task: the first dialog's close
	// event then arrives after the second opened, and must not forget the
	// form the second will submit (the cause of a rare wait for a page
	// that never came).
	s.run("remove", chromedp.Click(chromedp.CSS(`#members tr[data-user="cy"] .remove button`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-cancel")))
	eval[bool](s, `document.getElementById("confirm-cancel").click(),
		document.querySelector('#members tr[data-user="cy"] .remove button').click(), true`)
	s.confirmDialog("Remove Cy Okafor from Acme?", "remove-dialog")
	s.requireText("#notice", "The member was removed.")
	s.requireExists(`#members tr[data-user="cy"]`, false)

	// She cancels Dee's invitation (INV-6).
	row := `#invitations tbody tr:last-child`
	s.requireText(row, "dee@example.com")
	s.openMenu(row)
	s.run("cancel invitation", chromedp.Click(chromedp.CSS(row+" .cancel button")))
	s.confirmDialog("Cancel the invitation of dee@example.com?", "")
	s.requireText("#notice", "The invitation was cancelled.")
	s.requireText("#invitations-title", "(0)")

	// Bo's plan must allow owning the team (OWN-5): the host subscribes him,
	// as a payment webhook would.
	if _, err := svc.ChangePlan(bg, team.ChangePlanParams{ActorID: team.SystemActor, AccountUserID: "bo", Plan: billing.PlanTeam}); err != nil {
		t.Fatal(err)
	}
	// A wrong confirmation is refused with the public message; then she
	// transfers ownership to Bo, typing his email (OWN-1).
	s.submit("transfer, wrong confirmation", chromedp.SetValue(chromedp.CSS("#new-owner"), "bo"),
		chromedp.SendKeys(chromedp.CSS("#confirm-new-owner"), "vi@example.com"),
		chromedp.Click(chromedp.CSS("#transfer-button")))
	s.requireText("#problem", team.PublicMessage(team.ErrConfirmationMismatch))
	s.screenshot("transfer-refused")
	s.submit("transfer", chromedp.SetValue(chromedp.CSS("#new-owner"), "bo"),
		chromedp.SendKeys(chromedp.CSS("#confirm-new-owner"), "bo@example.com"),
		chromedp.Click(chromedp.CSS("#transfer-button")))
	s.requireText("#notice", "Ownership was transferred.")
	if got := s.role("bo"); got != "owner" {
		t.Fatalf("bo's role after the transfer = %q, want owner", got)
	}
	s.requireExists("#transfer-form", false)
	s.requireExists("#delete-form", false)

	// Bo deletes the team: the page shows what remains (DEL-2), the
	// service refuses while it does, and deletes once it is empty.
	s.signIn("bo")
	s.open("/teams/"+acme, "#delete-form")
	s.requireText("#remaining-list", "agent: 2")
	s.requireText("#remaining-list", "knowledge_base: 1")
	s.screenshot("delete-remaining")
	s.submit("delete, resources remain", chromedp.SendKeys(chromedp.CSS("#confirm-name"), "Acme"), chromedp.Click(chromedp.CSS("#delete-button")))
	s.requireText("#problem", "agent: 2")
	resources.Store(&map[string]int{})
	s.open("/teams/"+acme, "#delete-form")
	s.requireText("#remaining", "holds no resources")
	s.submit("delete", chromedp.SendKeys(chromedp.CSS("#confirm-name"), "Acme"), chromedp.Click(chromedp.CSS("#delete-button")))
	s.requireText("#notice", "The team was deleted.")
	if strings.Contains(s.text("#teams"), "Acme") {
		t.Fatalf("Acme is still listed: %s", s.text("#teams"))
	}
	s.screenshot("deleted")
}
