package teamhttp_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
	"github.com/teamkit/teamkit/teamhttp"
	"github.com/teamkit/teamkit/teamhttp/teamhttptest"
)

// runStory runs the seed story on a new memory store.
func runStory(t *testing.T) teamhttptest.Result {
	t.Helper()
	return teamhttptest.RunSeedStory(t, store.NewMemory())
}

// runJoinStory runs the join story on a new memory store.
func runJoinStory(t *testing.T) teamhttptest.Result {
	t.Helper()
	return teamhttptest.RunJoinStory(t, store.NewMemory())
}

// Rules HTTP-1, LINK-1..3 and JOIN-1..3: invite links (create, join, use
// up, list, revoke), domain claims (claim, verify through the host's
// DomainVerifier, policy, remove) and join requests (request, approve,
// reject, automatic join) end to end over a loopback listener.
func TestHTTP1LINK1to3JOIN1to3JoinStoryMemory(t *testing.T) {
	res := runJoinStory(t)
	require.Greater(t, len(res.Exchanges), 60)
	require.Len(t, res.Tokens, 2)
	require.Len(t, res.Secrets, 1)
	for _, ex := range res.Exchanges {
		require.NotContains(t, string(ex.Body), "no such route", "%s %s hit no route", ex.Method, ex.Path)
	}
}

// Rule HTTP-1: the whole seed story over a loopback listener, the handler
// mounted under a prefix with http.StripPrefix.
func TestHTTP1SeedStoryMemory(t *testing.T) {
	res := runStory(t)
	require.Greater(t, len(res.Exchanges), 40)
	for _, ex := range res.Exchanges {
		require.NotContains(t, string(ex.Body), "no such route", "%s %s hit no route", ex.Method, ex.Path)
	}
}

// Rule HTTP-3: the route table and the OpenAPI document name the same
// operations, and the handler serves the document.
func TestHTTP3RoutesMatchOpenAPI(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(teamhttp.OpenAPI(), &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3.1."), "openapi %q", doc.OpenAPI)
	var documented []string
	for path, item := range doc.Paths {
		for method := range item {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	served := teamhttp.Routes()
	slices.Sort(documented)
	slices.Sort(served)
	require.Equal(t, served, documented, "routes registered vs. operations in openapi.json")

	srv := httptest.NewServer(http.StripPrefix("/x", newHandler(t, team.User{})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/x/openapi.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var served2 map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&served2))
	require.Equal(t, "3.1.0", served2["openapi"])
}

// Rules HTTP-3, LINK-1..3 and JOIN-1..3: every response of the seed story,
// the join story and the hygiene cases matches the document's schema for
// its route and status, and every route of links, domains and join requests
// was checked with a success response.
func TestHTTP3ResponsesMatchOpenAPI(t *testing.T) {
	v := newValidator(t)
	exchanges := append(runStory(t).Exchanges, runJoinStory(t).Exchanges...)
	exchanges = append(exchanges, hygieneExchanges(t)...)
	checked := map[string]bool{}
	succeeded := map[string]bool{}
	for _, ex := range exchanges {
		op, err := v.check(ex)
		require.NoError(t, err)
		checked[op] = true
		if ex.Status < 300 {
			succeeded[v.pattern(ex)] = true
		}
	}
	for _, p := range teamhttp.Routes() {
		if strings.Contains(p, "/links") || strings.Contains(p, "/domains") || strings.Contains(p, "/join") || strings.HasSuffix(p, "/open-teams") {
			require.True(t, succeeded[p], "no success response of %s was checked", p)
		}
	}
	t.Logf("checked %d responses over %d route/status pairs", len(exchanges), len(checked))
}

// Rules HTTP-4, SEC-4, INV-9 and LINK-1: no response of the seed story or
// the join story holds an invitation's or invite link's token hash, a
// token_hash field, or a token anywhere but in the answer to the inviter who
// created or re-sent the invitation, or to the link's creator; a domain
// claim's challenge only in answers to members with the settings
// permission (ana, in the join story).
func TestHTTP4NoSecretsInResponses(t *testing.T) {
	res := runStory(t)
	require.NotEmpty(t, res.Tokens)
	joins := runJoinStory(t)
	require.NotEmpty(t, joins.Tokens)
	require.NotEmpty(t, joins.Secrets)
	shown := 0
	for _, ex := range joins.Exchanges {
		body := string(ex.Body)
		require.NotContains(t, body, "token_hash", "%s %s", ex.Method, ex.Path)
		for _, tok := range joins.Tokens {
			sum := sha256.Sum256([]byte(tok))
			require.NotContains(t, strings.ToLower(body), hex.EncodeToString(sum[:]), "%s %s leaks a link token hash", ex.Method, ex.Path)
			creator := ex.Method == "POST" && strings.HasPrefix(ex.Path, "/teams/") && strings.HasSuffix(ex.Path, "/links")
			if !creator {
				require.NotContains(t, body, tok, "%s %s shows a link token to someone who did not create it", ex.Method, ex.Path)
			}
		}
		for _, challenge := range joins.Secrets {
			if strings.Contains(body, challenge) {
				require.Equal(t, "ana", ex.User, "%s %s shows the domain challenge to %q, who lacks the settings permission", ex.Method, ex.Path, ex.User)
				shown++
			}
		}
	}
	require.Positive(t, shown, "the owner saw the challenge to publish")
	for _, ex := range res.Exchanges {
		body := string(ex.Body)
		require.NotContains(t, body, "token_hash", "%s %s", ex.Method, ex.Path)
		for _, tok := range res.Tokens {
			sum := sha256.Sum256([]byte(tok))
			require.NotContains(t, strings.ToLower(body), hex.EncodeToString(sum[:]), "%s %s leaks a token hash", ex.Method, ex.Path)
			inviter := ex.Method == "POST" && strings.HasPrefix(ex.Path, "/teams/") &&
				(strings.HasSuffix(ex.Path, "/invitations") || strings.HasSuffix(ex.Path, "/resend"))
			if !inviter {
				require.NotContains(t, body, tok, "%s %s shows a token to someone who did not issue it", ex.Method, ex.Path)
			}
		}
	}
}

// validator checks responses against openapi.json with a JSON Schema 2020-12
// validator (OpenAPI 3.1's schema dialect).
type validator struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	mux      *http.ServeMux
}

func newValidator(t *testing.T) *validator {
	raw := teamhttp.OpenAPI()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("https://teamkit.test/openapi.json", doc))
	mux := http.NewServeMux()
	for _, p := range teamhttp.Routes() {
		mux.Handle(p, http.NotFoundHandler())
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return &validator{doc: m, compiler: c, mux: mux}
}

// pattern is the route pattern ex matched, as in Routes ("" for none).
func (v *validator) pattern(ex teamhttptest.Exchange) string {
	_, p := v.mux.Handler(httptest.NewRequest(ex.Method, "http://x"+ex.Path, nil))
	return p
}

// check validates ex against the document and returns "METHOD path status".
func (v *validator) check(ex teamhttptest.Exchange) (string, error) {
	req := httptest.NewRequest(ex.Method, "http://x"+ex.Path, nil)
	_, pattern := v.mux.Handler(req)
	if pattern == "" {
		return "", fmt.Errorf("%s %s matches no route", ex.Method, ex.Path)
	}
	method, path, _ := strings.Cut(pattern, " ")
	method = strings.ToLower(method)
	op := v.doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	responses := op["responses"].(map[string]any)
	status := fmt.Sprint(ex.Status)
	key := status
	r, ok := responses[status].(map[string]any)
	if !ok {
		key = "default"
		r, ok = responses[key].(map[string]any)
		if !ok || ex.Status < 400 {
			return "", fmt.Errorf("%s: status %d is not documented", pattern, ex.Status)
		}
	}
	ptr := "/paths/" + escape(path) + "/" + method + "/responses/" + key
	if ref, ok := r["$ref"].(string); ok {
		ptr = strings.TrimPrefix(ref, "#")
		r = v.resolve(ptr)
	}
	id := pattern + " " + status
	content, _ := r["content"].(map[string]any)
	if len(content) == 0 {
		if len(ex.Body) != 0 {
			return "", fmt.Errorf("%s: the document has no body but the response has %q", id, ex.Body)
		}
		return id, nil
	}
	ct, _, _ := strings.Cut(ex.ContentType, ";")
	if _, ok := content[ct]; !ok {
		return "", fmt.Errorf("%s: Content-Type %q is not in the document", id, ex.ContentType)
	}
	sch, err := v.compiler.Compile("https://teamkit.test/openapi.json#" + ptr + "/content/" + escape(ct) + "/schema")
	if err != nil {
		return "", fmt.Errorf("%s: compiling its schema: %w", id, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(ex.Body))
	if err != nil {
		return "", fmt.Errorf("%s: the body is not JSON: %w: %s", id, err, ex.Body)
	}
	if err := sch.Validate(inst); err != nil {
		return "", fmt.Errorf("%s: %w: %s", id, err, ex.Body)
	}
	return id, nil
}

// Rule HTTP-3: the check itself refuses what the document does not allow,
// so a passing TestHTTP3ResponsesMatchOpenAPI means something.
func TestHTTP3CheckerRefusesStrayResponses(t *testing.T) {
	v := newValidator(t)
	team := `{"id":"t1","kind":"collaboration","name":"Acme","owner_id":"ana","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`
	ok := teamhttptest.Exchange{Method: "GET", Path: "/teams/t1", Status: 200, ContentType: "application/json", Body: []byte(team)}
	_, err := v.check(ok)
	require.NoError(t, err)
	for name, ex := range map[string]teamhttptest.Exchange{
		"extra field": {Method: "GET", Path: "/teams/t1", Status: 200, ContentType: "application/json",
			Body: []byte(strings.Replace(team, `"id":"t1"`, `"id":"t1","token_hash":"ab"`, 1))},
		"missing field": {Method: "GET", Path: "/teams/t1", Status: 200, ContentType: "application/json",
			Body: []byte(strings.Replace(team, `"name":"Acme",`, ``, 1))},
		"wrong kind": {Method: "GET", Path: "/teams/t1", Status: 200, ContentType: "application/json",
			Body: []byte(strings.Replace(team, `collaboration`, `club`, 1))},
		"undocumented status": {Method: "GET", Path: "/teams/t1", Status: 201, ContentType: "application/json", Body: []byte(team)},
		"wrong media type":    {Method: "GET", Path: "/teams/t1", Status: 200, ContentType: "text/html", Body: []byte(team)},
		"problem without code": {Method: "GET", Path: "/teams/t1", Status: 403, ContentType: teamhttp.ProblemContentType,
			Body: []byte(`{"type":"about:blank","title":"Forbidden","status":403,"detail":"no"}`)},
		"body on 204": {Method: "DELETE", Path: "/teams/t1", Status: 204, Body: []byte(`{}`)},
		"no route":    {Method: "GET", Path: "/nowhere", Status: 200},
	} {
		_, err := v.check(ex)
		require.Error(t, err, name)
	}
}

func (v *validator) resolve(ptr string) map[string]any {
	var cur any = v.doc
	for _, part := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		cur = cur.(map[string]any)[part]
	}
	return cur.(map[string]any)
}

// escape makes s one JSON Pointer token inside a URL fragment.
func escape(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
	return url.PathEscape(s)
}
