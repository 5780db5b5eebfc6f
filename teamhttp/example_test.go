package teamhttp_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
)

// signedIn stands in for the host's sign-in: its session cookie or token
// check, returning the user it vouches for.
func signedIn(r *http.Request) (team.User, error) {
	if id := r.Header.Get("X-Demo-User"); id != "" {
		return team.User{ID: id, Email: id + "@example.com"}, nil
	}
	return team.User{}, errors.New("not signed in")
}

// A host mounts the team API under a prefix of its own mux.
func ExampleNew() {
	svc, err := team.New(store.NewMemory()) // postgres.New(pool) in production
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/teams/", http.StripPrefix("/api/teams", teamhttp.New(svc, teamhttp.WithAuthenticate(signedIn))))
	// http.ListenAndServe(":8080", mux)

	req := httptest.NewRequest("GET", "/api/teams/me", nil)
	req.Header.Set("X-Demo-User", "ana")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	fmt.Println(rec.Code, strings.Contains(string(body), `"kind":"personal"`))
	// Output: 200 true
}
