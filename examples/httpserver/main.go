// Command httpserver serves teamkit as a small JSON API on the in-memory
// store: teams, invitations, members, ownership, usage, billing and the audit
// log, with the standard library's ServeMux patterns, one function that
// maps the service's errors to HTTP statuses, and a demonstration session
// that carries the session epochs of ROLE-5.
//
// The session endpoint trusts the user ID and email it is given: it stands
// in for the host's real sign-in. Invitation links are "emailed" to the
// server log.
//
// Try it (jq extracts the fields):
//
//	go run ./examples/httpserver &
//	H=localhost:8080
//	ANA=$(curl -s -X POST $H/session -d '{"user_id":"ana","email":"ana@example.com"}')
//	TA="Authorization: Bearer $(echo $ANA | jq -r .token)"; P=$(echo $ANA | jq -r .personal_team_id)
//	curl -s -X PUT  $H/teams/$P/billing/plan  -H "$TA" -d '{"plan":"TEAM"}'
//	curl -s -X POST $H/teams/$P/billing/topup -H "$TA" -d '{"amount":1000}'
//	T=$(curl -s -X POST $H/teams -H "$TA" -d '{"name":"Acme"}' | jq -r .id)
//	curl -s -X POST $H/teams/$T/invitations -H "$TA" -d '{"email":"bo@example.com","role":"admin"}'
//	# the server log shows bo's link token:
//	TB="Authorization: Bearer $(curl -s -X POST $H/session -d '{"user_id":"bo","email":"bo@example.com"}' | jq -r .token)"
//	curl -s -X POST $H/invitations/accept -H "$TB" -d '{"token":"<token from the log>"}'
//	curl -s $H/teams/$T/members -H "$TB"
//	curl -s -X POST $H/teams/$T/usage -H "$TB" -d '{"amount":25,"idempotency_key":"run-1","metadata":{"agent":"a1"}}'
//	curl -s "$H/teams/$T/usage" -H "$TA"
//	curl -s "$H/teams/$T/audit?limit=2" -H "$TA"
//	curl -s -X PATCH $H/teams/$T/members/bo -H "$TA" -d '{"role":"member"}'
//	curl -s $H/teams/$T/members -H "$TB"   # 401: session expired: sign in again
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	logger := log.New(os.Stderr, "httpserver: ", log.LstdFlags)
	if err := serve(*addr, logger); err != nil {
		logger.Fatal(err)
	}
}

// serve runs the API on addr until the process is interrupted or terminated.
func serve(addr string, logger *log.Logger) error {
	key := make([]byte, 32) // a new session key on every start: old tokens die with the process
	if _, err := rand.Read(key); err != nil {
		return err
	}
	a, err := newApp(key, logger, logMailer{logger})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	logger.Printf("listening on http://%s; try: curl -s -X POST http://%s/session -d '{\"user_id\":\"ana\",\"email\":\"ana@example.com\"}' (more in the comment at the top of examples/httpserver/main.go)", addr, addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// app holds the service and what the HTTP layer needs around it.
type app struct {
	svc *team.Service
	key []byte // HMAC-SHA256 key of session tokens
	log *log.Logger
	now func() time.Time
}

// newApp returns the API over a new in-memory store. opts go to team.New
// after the app's own (the notifier).
func newApp(key []byte, logger *log.Logger, mailer team.Notifier, opts ...team.Option) (*app, error) {
	svc, err := team.New(store.NewMemory(), append([]team.Option{team.WithNotifier(mailer)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return &app{svc: svc, key: key, log: logger, now: time.Now}, nil
}

// routes returns the API's handler. Every route but POST /session needs a
// session; the routes under /teams/{teamID} also check its epoch.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session", a.createSession)

	mux.Handle("POST /teams", a.signedIn(a.createTeam))
	mux.Handle("GET /teams", a.signedIn(a.listTeams))
	mux.Handle("GET /teams/{teamID}", a.inTeam(a.getTeam))
	mux.Handle("PATCH /teams/{teamID}", a.inTeam(a.updateTeam))
	mux.Handle("DELETE /teams/{teamID}", a.inTeam(a.deleteTeam))

	mux.Handle("GET /teams/{teamID}/invitations", a.inTeam(a.listInvitations))
	mux.Handle("POST /teams/{teamID}/invitations", a.inTeam(a.invite))
	mux.Handle("POST /teams/{teamID}/invitations/{invitationID}/resend", a.inTeam(a.resendInvitation))
	mux.Handle("DELETE /teams/{teamID}/invitations/{invitationID}", a.inTeam(a.cancelInvitation))
	mux.Handle("GET /invitations", a.signedIn(a.myInvitations))
	mux.Handle("POST /invitations/accept", a.signedIn(a.acceptInvitation))
	mux.Handle("POST /invitations/{invitationID}/decline", a.signedIn(a.declineInvitation))

	mux.Handle("GET /teams/{teamID}/members", a.inTeam(a.listMembers))
	mux.Handle("PATCH /teams/{teamID}/members/{userID}", a.inTeam(a.changeRole))
	mux.Handle("DELETE /teams/{teamID}/members/{userID}", a.inTeam(a.removeMember))
	mux.Handle("POST /teams/{teamID}/leave", a.inTeam(a.leave))
	mux.Handle("POST /teams/{teamID}/transfer", a.inTeam(a.transfer))

	mux.Handle("POST /teams/{teamID}/usage", a.inTeam(a.recordUsage))
	mux.Handle("GET /teams/{teamID}/usage", a.inTeam(a.usageSummary))
	mux.Handle("GET /teams/{teamID}/billing", a.inTeam(a.billingAccount))
	mux.Handle("POST /teams/{teamID}/billing/topup", a.inTeam(a.topUp))
	mux.Handle("PUT /teams/{teamID}/billing/plan", a.inTeam(a.changePlan))

	mux.Handle("GET /teams/{teamID}/audit", a.inTeam(a.auditLog))
	return mux
}

// logMailer is the demo's Notifier: it "emails" invitation links to the
// server log. A real host sends them by email and never logs tokens.
type logMailer struct{ log *log.Logger }

func (m logMailer) NotifyInvitation(_ context.Context, msg team.InvitationMessage) error {
	m.log.Printf("mail to %s: join %q as %s: POST /invitations/accept {\"token\":%q}",
		msg.Invitation.Email, msg.TeamName, msg.Invitation.Role, msg.Token)
	return nil
}
