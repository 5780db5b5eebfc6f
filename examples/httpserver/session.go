package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// sessionTTL is how long a demo session token is valid.
const sessionTTL = 12 * time.Hour

// session is what a signed-in request carries: the user as the host knows
// them and, per team, the session epoch of their membership when the token
// was issued (ROLE-5). A team missing from Epochs was joined after sign-in and
// is not checked, so joining a team needs no new sign-in.
type session struct {
	UserID  string            `json:"user"`
	Email   string            `json:"email"`
	Epochs  map[string]uint64 `json:"epochs"`
	Expires int64             `json:"exp"` // Unix seconds
}

// signSession returns the token of s: base64url(JSON) "." base64url(HMAC-SHA256
// of the first part under key).
func signSession(key []byte, s session) (string, error) {
	payload, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(mac(key, p)), nil
}

// verifySession checks token's signature and expiry at now and returns its
// session. Every refusal matches errBadSession.
func verifySession(key []byte, token string, now time.Time) (session, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return session{}, errBadSession
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, p)) {
		return session{}, errBadSession
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return session{}, errBadSession
	}
	var s session
	if err := json.Unmarshal(payload, &s); err != nil || s.UserID == "" {
		return session{}, errBadSession
	}
	if now.Unix() >= s.Expires {
		return session{}, errBadSession
	}
	return s, nil
}

func mac(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

// handler is a route's handler for a signed-in user. It writes the success
// response itself and returns any error for writeError.
type handler func(w http.ResponseWriter, r *http.Request, s session) error

// signedIn wraps h: the request must carry a valid session token as
// "Authorization: Bearer <token>".
func (a *app) signedIn(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := a.session(r)
		if err == nil {
			err = h(w, r, s)
		}
		if err != nil {
			writeError(w, r, a.log, err)
		}
	})
}

// inTeam wraps h for the routes under /teams/{teamID}: on top of signedIn,
// the session's epoch for the team must be the membership's current epoch
// (ROLE-5). A role change (or an ownership transfer) bumps the epoch, so
// sessions issued before it are refused with 401 until the user signs in
// again. Epochs only grow, also across leaving and re-joining, so a session
// from an earlier membership is refused too. Non-members get the service's
// ErrNotMember (403).
func (a *app) inTeam(h handler) http.Handler {
	return a.signedIn(func(w http.ResponseWriter, r *http.Request, s session) error {
		teamID := r.PathValue("teamID")
		current, err := a.svc.SessionEpoch(r.Context(), s.UserID, teamID)
		if err != nil {
			return err
		}
		// A team the session does not know was joined after sign-in: the
		// session holds no role for it, so there is nothing stale.
		if stamped, ok := s.Epochs[teamID]; ok && stamped != current {
			return errSessionExpired
		}
		return h(w, r, s)
	})
}

// session reads and verifies the request's bearer token.
func (a *app) session(r *http.Request) (session, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return session{}, errNoSession
	}
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return session{}, errNoSession
	}
	return verifySession(a.key, strings.TrimSpace(token), a.now())
}

// newSession stamps the current epoch of each of userID's teams into a new
// session.
func (a *app) newSession(ctx context.Context, userID, email string) (session, error) {
	teams, err := a.svc.TeamsOf(ctx, userID)
	if err != nil {
		return session{}, err
	}
	s := session{UserID: userID, Email: email, Epochs: make(map[string]uint64, len(teams)),
		Expires: a.now().Add(sessionTTL).Unix()}
	for _, t := range teams {
		epoch, err := a.svc.SessionEpoch(ctx, userID, t.ID)
		if err != nil {
			return session{}, err
		}
		s.Epochs[t.ID] = epoch
	}
	return s, nil
}
