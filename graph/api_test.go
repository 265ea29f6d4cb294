package graph_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gqlauth/graph"
	"gqlauth/internal/auth"
	"gqlauth/internal/ratelimit"
	"gqlauth/internal/testclient"
	"gqlauth/internal/testenv"
)

// apiSetup is graph.NewHandler with the server's default limits over a
// fresh database, with a database limiter and a per-email failure limit of
// 3. In front of it sits what the HTTP edge gives every request: the
// client's address and the Authorization header's bearer token in the
// context. Each scenario gets a user of its own: {email}, {password}, and
// its tokens {access}, {refresh}.
func apiSetup(t *testing.T, log *slog.Logger) (http.Handler, func(t *testing.T) map[string]string) {
	db := testenv.NewDB(t)
	svc := testenv.NewService(t, db, func(o *auth.Options) {
		o.Limiter = ratelimit.NewStore(db.Client, nil)
		o.Limits.LoginFailures = auth.Rule{Limit: 3, Window: time.Hour}
		o.Logger = log
	})
	opts := defaults
	opts.Logger = log
	gql := graph.NewHandler(svc.Service, opts)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := auth.WithClient(r.Context(), auth.Client{IP: "192.0.2.1", UserAgent: r.UserAgent()})
		if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "bearer") {
			ctx = auth.WithBearer(ctx, tok)
		}
		gql.ServeHTTP(w, r.WithContext(ctx))
	})
	var n atomic.Int64
	return h, func(t *testing.T) map[string]string {
		email := fmt.Sprintf("graph%d@example.com", n.Add(1))
		const password = "securePassword123"
		pair, err := svc.Register(context.Background(), auth.RegisterInput{Name: "Scenario User", Email: email, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"email": email, "password": password, "access": pair.AccessToken, "refresh": pair.RefreshToken}
	}
}

// op is a GraphQL request body.
func op(query string, vars map[string]any) map[string]any {
	return map[string]any{"query": query, "variables": vars}
}

const (
	bearerAccess = "Authorization: Bearer {access}"
	loginDoc     = `mutation($e:String!,$p:String!){ login(input:{email:$e, password:$p}){ accessToken user { email } } }`
)

func TestAPI(t *testing.T) {
	wrong := op(loginDoc, map[string]any{"e": "{email}", "p": "wrongPassword123"})
	testclient.Run(t, apiSetup, []testclient.Scenario{
		{
			Name: "register", Method: "POST", URL: "/graphql",
			Body: op(`mutation($i:RegisterInput!){ register(input:$i){ accessToken refreshToken user { email } } }`,
				map[string]any{"i": map[string]string{"name": "Ada", "email": "ada@example.com", "password": "securePassword123"}}),
			Status: 200, Contains: []string{`"accessToken":"`, `"email":"ada@example.com"`}, NotContains: []string{`"errors"`},
			Events: []string{"user_registered"},
		},
		{
			Name: "register a taken email", Method: "POST", URL: "/graphql",
			Body: op(`mutation($i:RegisterInput!){ register(input:$i){ accessToken } }`,
				map[string]any{"i": map[string]string{"name": "Ada", "email": "{email}", "password": "securePassword123"}}),
			Status: 200, Contains: []string{`"code":"CONFLICT"`}, NotContains: []string{`"accessToken"`},
		},
		{
			Name: "register a short password", Method: "POST", URL: "/graphql",
			Body: op(`mutation($i:RegisterInput!){ register(input:$i){ accessToken } }`,
				map[string]any{"i": map[string]string{"name": "Ada", "email": "ada@example.com", "password": "short"}}),
			Status: 200, Contains: []string{`"code":"VALIDATION_ERROR"`, `"fields":{"password":`},
		},
		{
			Name: "login", Method: "POST", URL: "/graphql", Body: op(loginDoc, map[string]any{"e": "{email}", "p": "{password}"}),
			Status: 200, Contains: []string{`"accessToken":"`, `"email":"{email}"`}, NotContains: []string{`"errors"`},
		},
		{
			Name: "login with a wrong password", Method: "POST", URL: "/graphql", Body: wrong,
			Status: 200, Contains: []string{`"code":"UNAUTHORIZED"`}, NotContains: []string{`"accessToken"`},
			Events: []string{"login_failed"},
		},
		{
			Name: "login of a locked email", Method: "POST", URL: "/graphql",
			Before: func(t *testing.T, c *testclient.Client, vars map[string]string) {
				for range 3 {
					r := c.GQL(t, loginDoc, map[string]any{"e": vars["email"], "p": "wrongPassword123"})
					if got := r.GQLCodes(); len(got) != 1 || got[0] != "UNAUTHORIZED" {
						t.Fatalf("wrong password: %v", got)
					}
				}
			},
			Body:   op(loginDoc, map[string]any{"e": "{email}", "p": "{password}"}),
			Status: 200, Contains: []string{`"code":"RATE_LIMIT_EXCEEDED"`}, NotContains: []string{`"accessToken"`},
			Events: []string{"rate_limited"},
		},
		{
			Name: "me", Method: "POST", URL: "/graphql", Headers: []string{bearerAccess},
			Body: op(`{ me { email role } }`, nil), Status: 200, Contains: []string{`"email":"{email}"`, `"role":"USER"`},
		},
		{
			Name: "me without a token", Method: "POST", URL: "/graphql", Body: op(`{ me { email } }`, nil),
			Status: 200, Contains: []string{`"code":"UNAUTHORIZED"`, `"path":["me"]`},
		},
		{
			Name: "me with the refresh token", Method: "POST", URL: "/graphql", Headers: []string{"Authorization: Bearer {refresh}"},
			Body: op(`{ me { email } }`, nil), Status: 200, Contains: []string{`"code":"UNAUTHORIZED"`}, NotContains: []string{"{email}"},
		},
		{
			Name: "users is for admins", Method: "POST", URL: "/graphql", Headers: []string{bearerAccess},
			Body: op(`{ users { email } }`, nil), Status: 200, Contains: []string{`"code":"FORBIDDEN"`}, NotContains: []string{"@example.com"},
		},
		{
			Name: "sessions", Method: "POST", URL: "/graphql", Headers: []string{bearerAccess},
			Body: op(`{ sessions { id current } }`, nil), Status: 200, Contains: []string{`"current":true`},
		},
		{
			Name: "refresh", Method: "POST", URL: "/graphql",
			Body:   op(`mutation($t:String!){ refresh(refreshToken:$t){ accessToken } }`, map[string]any{"t": "{refresh}"}),
			Status: 200, Contains: []string{`"accessToken":"`}, NotContains: []string{`"errors"`},
		},
		{
			Name: "change password", Method: "POST", URL: "/graphql", Headers: []string{bearerAccess},
			Body: op(`mutation($i:ChangePasswordInput!){ changePassword(input:$i) }`,
				map[string]any{"i": map[string]string{"currentPassword": "{password}", "newPassword": "anotherPassword456"}}),
			Status: 200, Contains: []string{`"changePassword":true`}, Events: []string{"password_changed"},
		},
		{
			Name: "logout", Method: "POST", URL: "/graphql", Headers: []string{bearerAccess},
			Body: op(`mutation { logout }`, nil), Status: 200, Contains: []string{`"logout":true`},
			Events: []string{"session_revoked"},
		},
		{
			Name: "query over GET", Method: "GET", URL: "/graphql?query=" + url.QueryEscape(`{ me { email } }`),
			Headers: []string{bearerAccess}, Status: 200, Contains: []string{`"email":"{email}"`},
		},
		{
			Name: "unknown field", Method: "POST", URL: "/graphql", Body: op(`{ password }`, nil),
			Status: 422, Contains: []string{`"GRAPHQL_VALIDATION_FAILED"`}, NotContains: []string{`"data"`},
		},
		{
			Name: "syntax error", Method: "POST", URL: "/graphql", Body: op(`{ me {`, nil),
			Status: 422, Contains: []string{`"GRAPHQL_PARSE_FAILED"`}, NotContains: []string{`"data"`},
		},
		{
			Name: "too deep", Method: "POST", URL: "/graphql",
			Body:   op("{"+strings.Repeat(" __schema { types { ofType {", 6)+" name"+strings.Repeat(" } } }", 6)+" }", nil),
			Status: 422, Contains: []string{`"QUERY_LIMIT_EXCEEDED"`}, NotContains: []string{`"data"`},
		},
		{
			Name: "aliased logins", Method: "POST", URL: "/graphql",
			Body:   op("mutation { "+aliasLogins(6)+"}", nil),
			Status: 422, Contains: []string{`"QUERY_LIMIT_EXCEEDED"`}, NotContains: []string{`"data"`},
		},
	})
}

// aliasLogins is n aliased login fields.
func aliasLogins(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `l%d: login(input:{email:"x@example.com", password:"securePassword1"}){ accessToken } `, i)
	}
	return b.String()
}
