package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

const (
	registerOp = `mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken tokenType expiresIn user { id name email role isActive createdAt updatedAt } } }`
	loginOp    = `mutation($email: String!, $password: String!) { login(input: {email: $email, password: $password}) { accessToken refreshToken tokenType expiresIn user { id email } } }`
	refreshOp  = `mutation($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken user { email } } }`
	meOp       = `{ me { id name email role isActive } }`
)

func TestGraphQLFlow(t *testing.T) {
	s := startServer(t, nil)
	email := newEmail()
	r := s.gql(registerOp, map[string]any{"input": map[string]any{"name": "Ada", "email": strings.ToUpper(email), "password": "securePassword123"}})
	if r.Status != 200 || r.Get("errors") != nil {
		t.Fatalf("register: %d %s", r.Status, r.Raw)
	}
	if r.Str("data.register.tokenType") != "bearer" || r.Get("data.register.expiresIn") != float64(1800) ||
		r.Str("data.register.user.email") != email || r.Str("data.register.user.role") != "USER" || r.Get("data.register.user.isActive") != true {
		t.Fatalf("register payload: %s", r.Raw)
	}
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("headers: %v", r.Header)
	}

	r = s.gql(loginOp, map[string]any{"email": email, "password": "securePassword123"})
	access, refresh := r.Str("data.login.accessToken"), r.Str("data.login.refreshToken")
	if access == "" || refresh == "" {
		t.Fatalf("login: %s", r.Raw)
	}

	r = s.gql(meOp, nil, bearer(access))
	if r.Str("data.me.email") != email || r.Str("data.me.name") != "Ada" {
		t.Fatalf("me: %s", r.Raw)
	}

	// GET serves queries.
	r = s.request(http.MethodGet, "/graphql?query="+url.QueryEscape(meOp), nil, bearer(access))
	if r.Status != 200 || r.Str("data.me.email") != email {
		t.Fatalf("GET me: %d %s", r.Status, r.Raw)
	}

	r = s.gql(`{ sessions { id current userAgent ip createdAt lastUsedAt expiresAt } }`, nil, bearer(access))
	sessions, _ := r.Get("data.sessions").([]any)
	if len(sessions) != 2 {
		t.Fatalf("sessions: %s", r.Raw)
	}
	current := 0
	var otherID string
	for _, x := range sessions {
		m := x.(map[string]any)
		if m["current"] == true {
			current++
		} else {
			otherID, _ = m["id"].(string)
		}
	}
	if current != 1 || otherID == "" {
		t.Fatalf("want exactly one current session: %s", r.Raw)
	}

	r = s.gql(refreshOp, map[string]any{"t": refresh})
	newAccess, newRefresh := r.Str("data.refresh.accessToken"), r.Str("data.refresh.refreshToken")
	if newAccess == "" || newRefresh == refresh {
		t.Fatalf("refresh: %s", r.Raw)
	}

	// Revoke the register session by id; it stops working.
	r = s.gql(`mutation($id: ID!) { revokeSession(id: $id) }`, map[string]any{"id": otherID}, bearer(newAccess))
	if r.Get("data.revokeSession") != true {
		t.Fatalf("revokeSession: %s", r.Raw)
	}
	r = s.gql(`mutation($id: ID!) { revokeSession(id: $id) }`, map[string]any{"id": "no-such-session"}, bearer(newAccess))
	if gqlCode(r) != "NOT_FOUND" {
		t.Fatalf("revokeSession unknown: %s", r.Raw)
	}

	r = s.gql(`mutation { changePassword(input: {currentPassword: "securePassword123", newPassword: "newSecurePassword"}) }`, nil, bearer(newAccess))
	if r.Get("data.changePassword") != true {
		t.Fatalf("changePassword: %s", r.Raw)
	}
	r = s.gql(`mutation { logout }`, nil, bearer(newAccess))
	if r.Get("data.logout") != true {
		t.Fatalf("logout: %s", r.Raw)
	}
	r = s.gql(meOp, nil, bearer(newAccess))
	if r.Status != 200 || gqlCode(r) != "UNAUTHORIZED" || r.Str("errors.0.message") != "Could not validate credentials" || r.Str("errors.0.path.0") != "me" {
		t.Fatalf("me after logout: %d %s", r.Status, r.Raw)
	}
}

func TestGraphQLErrors(t *testing.T) {
	s := startServer(t, nil)
	a := s.register(t)
	cases := []struct {
		name   string
		query  string
		vars   map[string]any
		auth   bool
		code   string
		fields []string
	}{
		{"me without token", meOp, nil, false, "UNAUTHORIZED", nil},
		{"sessions without token", `{ sessions { id } }`, nil, false, "UNAUTHORIZED", nil},
		{"users as USER", `{ users { id } }`, nil, true, "FORBIDDEN", nil},
		{"setUserActive as USER", `mutation { setUserActive(id: "1", active: false) { id } }`, nil, true, "FORBIDDEN", nil},
		{"register validation", registerOp, map[string]any{"input": map[string]any{"name": "", "email": "bad", "password": "short"}}, false, "VALIDATION_ERROR", []string{"name", "email", "password"}},
		{"register conflict", registerOp, map[string]any{"input": map[string]any{"name": "X", "email": a.Email, "password": "securePassword123"}}, false, "CONFLICT", nil},
		{"login wrong password", loginOp, map[string]any{"email": a.Email, "password": "wrongPassword1"}, false, "UNAUTHORIZED", nil},
		{"change password wrong current", `mutation { changePassword(input: {currentPassword: "nopeNope123", newPassword: "newSecurePassword"}) }`, nil, true, "BAD_REQUEST", nil},
		{"change password policy", `mutation { changePassword(input: {currentPassword: "securePassword123", newPassword: "password"}) }`, nil, true, "VALIDATION_ERROR", []string{"newPassword"}},
		{"change password empty current", `mutation { changePassword(input: {currentPassword: "", newPassword: "newSecurePassword"}) }`, nil, true, "VALIDATION_ERROR", []string{"currentPassword"}},
		{"refresh garbage", refreshOp, map[string]any{"t": "x.y.z"}, false, "UNAUTHORIZED", nil},
		{"refresh empty", refreshOp, map[string]any{"t": ""}, false, "VALIDATION_ERROR", []string{"refreshToken"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var headers []string
			if c.auth {
				headers = append(headers, bearer(a.Access))
			}
			r := s.gql(c.query, c.vars, headers...)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			if got := gqlCode(r); got != c.code {
				t.Fatalf("code %q, want %q: %s", got, c.code, r.Raw)
			}
			for _, f := range c.fields {
				if r.Get("errors.0.extensions.fields."+f) == nil {
					t.Errorf("no extensions.fields.%s: %s", f, r.Raw)
				}
			}
		})
	}
}

func TestGraphQLTransportRules(t *testing.T) {
	s := startServer(t, map[string]string{"GRAPHQL_MAX_DEPTH": "4"})
	a := s.register(t)

	// A mutation over GET is refused and changes nothing.
	email := newEmail()
	q := `mutation { register(input: {name: "G", email: "` + email + `", password: "securePassword123"}) { accessToken } }`
	r := s.request(http.MethodGet, "/graphql?query="+url.QueryEscape(q), nil)
	expect(t, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	r = s.gql(loginOp, map[string]any{"email": email, "password": "securePassword123"})
	if gqlCode(r) != "UNAUTHORIZED" {
		t.Fatalf("GET mutation registered a user: %s", r.Raw)
	}

	// No array batching.
	r = s.request(http.MethodPost, "/graphql", `[{"query":"{ me { id } }"},{"query":"{ me { id } }"}]`)
	expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
	// Not JSON.
	r = s.request(http.MethodPost, "/graphql", `{"query": `)
	expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
	// Members of the wrong type: refused without echoing the body.
	r = s.request(http.MethodPost, "/graphql", `{"query": 5, "variables": {"password": "hunter2hunter2"}}`)
	expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
	if strings.Contains(string(r.Raw), "hunter2") {
		t.Fatalf("the body was echoed back: %s", r.Raw)
	}
	r = s.request(http.MethodPost, "/graphql", `{"query": "{ me { id } }", "variables": [1]}`)
	expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
	// Unparseable GraphQL: 4xx with errors.
	r = s.gql(`{ me { id `, nil)
	if r.Status != 422 && r.Status != 400 {
		t.Fatalf("parse error status %d: %s", r.Status, r.Raw)
	}
	if r.Get("errors.0.message") == nil {
		t.Fatalf("parse error without errors: %s", r.Raw)
	}
	// Unknown field: validation error.
	r = s.gql(`{ nope }`, nil)
	if r.Status != 422 && r.Status != 400 {
		t.Fatalf("validation error status %d: %s", r.Status, r.Raw)
	}
	// Cost over the limit is refused before it runs, as an invalid request.
	r = s.gql(`{ users(limit: 1000) { id name email role isActive createdAt updatedAt } }`, nil, bearer(a.Access))
	if r.Status != http.StatusUnprocessableEntity || gqlCode(r) != "COMPLEXITY_LIMIT_EXCEEDED" || r.Get("data") != nil {
		t.Fatalf("costly query: %d %s", r.Status, r.Raw)
	}
	// Depth over the limit is refused before it runs.
	r = s.gql(`{ me { id } a: me { id } __schema { types { fields { type { ofType { name } } } } } }`, nil, bearer(a.Access))
	if r.Get("data") != nil && r.Get("data.me") != nil {
		t.Fatalf("deep query ran: %s", r.Raw)
	}
	if r.Status != http.StatusUnprocessableEntity || gqlCode(r) != "QUERY_LIMIT_EXCEEDED" || !strings.Contains(r.Str("errors.0.message"), "deep") {
		t.Fatalf("deep query not refused: %d %s", r.Status, r.Raw)
	}
}

func TestGraphQLAliasedLoginsCountAndAreCapped(t *testing.T) {
	s := startServer(t, map[string]string{"LOGIN_FAILURE_LIMIT": "3", "GRAPHQL_MAX_AUTH_FIELDS": "5"})
	a := s.register(t)
	field := func(alias string) string {
		return alias + `: login(input: {email: "` + a.Email + `", password: "wrongPassword1"}) { accessToken }`
	}
	// Six aliased logins: refused before anything runs.
	var six []string
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		six = append(six, field(n))
	}
	r := s.gql(`mutation { `+strings.Join(six, " ")+` }`, nil)
	if r.Get("data") != nil || r.Get("errors.0.message") == nil {
		t.Fatalf("six logins not refused: %s", r.Raw)
	}
	// The refused document counted nothing: the right password still works.
	s.login(t, a)
	// Three aliased failures count as three attempts: the fourth is limited.
	r = s.gql(`mutation { `+field("a")+" "+field("b")+" "+field("c")+` }`, nil)
	if n := len(r.Get("errors").([]any)); n != 3 {
		t.Fatalf("want 3 errors: %s", r.Raw)
	}
	r = s.gql(loginOp, map[string]any{"email": a.Email, "password": a.Password})
	if gqlCode(r) != "RATE_LIMIT_EXCEEDED" {
		t.Fatalf("fourth attempt not limited: %s", r.Raw)
	}
	// The wait is in the error and, as the contract says of every
	// RATE_LIMIT_EXCEEDED, in Retry-After.
	wait, ok := r.Get("errors.0.extensions.retryAfter").(float64)
	if !ok || wait < 1 || r.Header.Get("Retry-After") != strconv.Itoa(int(wait)) {
		t.Fatalf("Retry-After %q, extensions.retryAfter %v", r.Header.Get("Retry-After"), r.Get("errors.0.extensions.retryAfter"))
	}
}

func TestGraphQLIntrospectionSwitch(t *testing.T) {
	on := startServer(t, nil)
	r := on.gql(`{ __schema { queryType { name } } }`, nil)
	if r.Str("data.__schema.queryType.name") != "Query" {
		t.Fatalf("introspection on: %s", r.Raw)
	}
	off := startServer(t, map[string]string{"INTROSPECTION_ENABLED": "false", "PLAYGROUND_ENABLED": "false"})
	r = off.gql(`{ __schema { queryType { name } } }`, nil)
	if r.Get("data.__schema") != nil || gqlCode(r) != "BAD_REQUEST" {
		t.Fatalf("introspection off still answers, or not as a client error: %s", r.Raw)
	}
	r = off.gql(`{ mee { id } }`, nil)
	if strings.Contains(string(r.Raw), "Did you mean") {
		t.Fatalf("suggestions leak the schema: %s", r.Raw)
	}
	expect(t, off.request(http.MethodGet, "/playground", nil), 404, "NOT_FOUND")
}
