// Command httpserver serves teamkit's HTTP API (package teamhttp) on the
// in-memory store, with a demonstration sign-in whose sessions carry the
// session epochs of ROLE-5.
//
// DEMO ONLY: POST /session trusts the user ID and email it is given. It
// stands in for the host's real sign-in (passwords, OAuth, magic links).
//
// Try it (jq extracts the fields):
//
//	go run ./examples/httpserver &
//	H=localhost:8080
//	ANA=$(curl -s -X POST $H/session -d '{"user_id":"ana","email":"ana@example.com","name":"Ana"}')
//	TA="Authorization: Bearer $(echo $ANA | jq -r .token)"; P=$(echo $ANA | jq -r .personal_team_id)
//	J="Content-Type: application/json"
//	curl -s -X PUT  $H/teams/$P/billing/plan   -H "$TA" -H "$J" -d '{"plan":"TEAM"}'
//	curl -s -X POST $H/teams/$P/billing/top-up -H "$TA" -H "$J" -d '{"amount":1000}'
//	T=$(curl -s -X POST $H/teams -H "$TA" -H "$J" -d '{"name":"Acme"}' | jq -r .id)
//	TOK=$(curl -s -X POST $H/teams/$T/invitations -H "$TA" -H "$J" -d '{"email":"bo@example.com","role":"admin"}' | jq -r .token)
//	curl -s -X POST $H/invitations/preview -H "$J" -d "{\"token\":\"$TOK\"}"   # no sign-in needed
//	TB="Authorization: Bearer $(curl -s -X POST $H/session -d '{"user_id":"bo","email":"bo@example.com"}' | jq -r .token)"
//	curl -s -X POST $H/invitations/accept -H "$TB" -H "$J" -d "{\"token\":\"$TOK\"}"
//	curl -s $H/teams/$T/members -H "$TB"
//	curl -s -X POST $H/teams/$T/usage -H "$TB" -H "$J" -d '{"amount":25,"idempotency_key":"run-1","metadata":{"agent":"a1"}}'
//	curl -s "$H/teams/$T/usage" -H "$TA"
//	curl -s "$H/teams/$T/audit?limit=2" -H "$TA"
//	TB="Authorization: Bearer $(curl -s -X POST $H/session -d '{"user_id":"bo","email":"bo@example.com"}' | jq -r .token)"  # stamps Acme's epoch
//	curl -s -X PATCH $H/teams/$T/members/bo -H "$TA" -H "$J" -d '{"role":"member"}'
//	curl -s $H/teams/$T/members -H "$TB"   # 401 session_expired: sign in again
//
// The whole API is described at GET $H/openapi.json.
package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	h, err := newServer()
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	log.Printf("listening on http://%s (try the commands at the top of examples/httpserver/main.go)", *addr)
	log.Fatal(srv.ListenAndServe())
}

// newServer returns the demo's handler: POST /session and, everywhere else,
// teamhttp's API, with a session key that dies with the process.
func newServer(opts ...team.Option) (http.Handler, error) {
	svc, err := team.New(store.NewMemory(), opts...)
	if err != nil {
		return nil, err
	}
	d := &demo{svc: svc, key: make([]byte, 32)}
	_, _ = rand.Read(d.key)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session", d.signIn)
	mux.Handle("/", teamhttp.New(svc, teamhttp.WithAuthenticate(d.authenticate), teamhttp.WithSessionEpoch(d.epoch)))
	return mux, nil
}

type demo struct {
	svc *team.Service
	key []byte // HMAC-SHA256 key of the session tokens
}

// session is what a demo token carries: the user, the session epoch of each
// team at sign-in (ROLE-5) and the expiry.
type session struct {
	User    team.User         `json:"user"`
	Epochs  map[string]uint64 `json:"epochs"`
	Expires int64             `json:"exp"`
}

// signIn is the DEMO sign-in stand-in: POST /session {user_id, email, name}
// registers the user (their personal team) and returns a signed token with
// the epochs of every team they belong to.
func (d *demo) signIn(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID string `json:"user_id"`
		Email  string `json:"email"`
		Name   string `json:"name"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "send {\"user_id\":…,\"email\":…}", http.StatusBadRequest)
		return
	}
	email, err := team.NormalizeEmail(req.Email) // as the service stores it, so invitations match
	u := team.User{ID: req.UserID, Email: email, Name: req.Name}
	personal, err2 := d.svc.EnsurePersonalTeam(r.Context(), u)
	ms, err3 := d.svc.Memberships(r.Context(), u.ID)
	if err = errors.Join(err, err2, err3); err != nil {
		http.Error(w, team.PublicMessage(err), http.StatusBadRequest)
		return
	}
	s := session{User: u, Epochs: map[string]uint64{}, Expires: time.Now().Add(12 * time.Hour).Unix()}
	for _, m := range ms {
		s.Epochs[m.Team.ID] = m.Member.Epoch
	}
	payload, _ := json.Marshal(s)
	p := base64.RawURLEncoding.EncodeToString(payload)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": p + "." + d.mac(p), "user_id": u.ID, "personal_team_id": personal.ID})
}

// authenticate is teamhttp's Authenticate: a valid, unexpired bearer token.
func (d *demo) authenticate(r *http.Request) (team.User, error) {
	s, err := d.session(r)
	return s.User, err
}

// epoch is teamhttp's WithSessionEpoch: the epoch the token stamped for teamID.
func (d *demo) epoch(r *http.Request, teamID string) (uint64, bool) {
	s, err := d.session(r)
	e, ok := s.Epochs[teamID]
	return e, err == nil && ok
}

func (d *demo) session(r *http.Request) (session, error) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p, sig, _ := strings.Cut(token, ".")
	var s session
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || !hmac.Equal([]byte(sig), []byte(d.mac(p))) || json.Unmarshal(payload, &s) != nil || time.Now().Unix() >= s.Expires {
		return session{}, errors.New("invalid or expired session token: POST /session again")
	}
	return s, nil
}

func (d *demo) mac(s string) string {
	h := hmac.New(sha256.New, d.key)
	h.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}
