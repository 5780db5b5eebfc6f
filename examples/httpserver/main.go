// Command httpserver serves teamkit's HTTP API (package teamhttp) and its
// Team Settings page (/settings/, UI-1) on the in-memory store, with a
// demonstration sign-in whose sessions carry the session epochs of ROLE-5.
//
// DEMO ONLY: POST /session trusts the user ID and email it is given. It
// stands in for the host's real sign-in (passwords, OAuth, magic links).
// In a browser, sign in at /signin: the token then travels in a cookie.
//
// README.md walks through both, with curl and in a browser. The whole API
// is described at GET /openapi.json.
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
	log.Printf("listening on http://%s: sign in at /signin, or try the curl lines of README.md", *addr)
	log.Fatal(srv.ListenAndServe())
}

// newServer returns the demo's handler: the sign-in, the settings page under /settings/ and,
// everywhere else, teamhttp's API, sharing a rate limiter, with a session key that dies with the process.
func newServer(opts ...team.Option) (http.Handler, error) {
	svc, err := team.New(store.NewMemory(), opts...)
	if err != nil {
		return nil, err
	}
	d := &demo{svc: svc, key: make([]byte, 32)}
	_, _ = rand.Read(d.key)
	o := []teamhttp.Option{teamhttp.WithAuthenticate(d.authenticate), teamhttp.WithSessionEpoch(d.epoch),
		teamhttp.WithLimiter(teamhttp.NewMemoryLimiter(teamhttp.MemoryLimiterConfig{}))}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session", d.signIn)
	mux.HandleFunc("GET /signin", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(signInForm)) })
	mux.Handle("/settings/", http.StripPrefix("/settings", teamhttp.NewSettingsPage(svc, o...)))
	mux.Handle("/", teamhttp.New(svc, o...))
	return http.NewCrossOriginProtection().Handler(mux), nil // the sign-in form's posts too
}

const signInForm = `<!doctype html><title>Demo sign-in</title><form method="post" action="/session"><label>User ID <input name="user_id" required></label>
<label>Email <input name="email" type="email" required></label> <label>Name <input name="name"></label> <button>Sign in (DEMO: no password)</button></form>`

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
// the epochs of every team they belong to; the form of /signin gets it as a
// cookie and goes on to the settings page.
func (d *demo) signIn(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID string `json:"user_id"`
		Email  string `json:"email"`
		Name   string `json:"name"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	form := r.Header.Get("Content-Type") == "application/x-www-form-urlencoded"
	if form {
		req.UserID, req.Email, req.Name = r.PostFormValue("user_id"), r.PostFormValue("email"), r.PostFormValue("name")
	} else if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
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
	if form {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: p + "." + d.mac(p), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/settings/", http.StatusSeeOther)
		return
	}
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
	if c, err := r.Cookie("session"); token == "" && err == nil {
		token = c.Value
	}
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
