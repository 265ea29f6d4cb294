package rest_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"gqlauth/graph"
	"gqlauth/internal/auth"
	"gqlauth/internal/ratelimit"
	"gqlauth/internal/rest"
	"gqlauth/internal/testclient"
	"gqlauth/internal/testenv"
)

// apiSetup is the whole HTTP surface (rest.New with the GraphQL handler
// mounted) over a fresh database, wired as internal/app wires it with a
// database limiter and a per-email failure limit of 3. Each scenario gets a
// user of its own: {email}, {password}, and its tokens {access}, {refresh}.
func apiSetup(t *testing.T, log *slog.Logger) (http.Handler, func(t *testing.T) map[string]string) {
	db := testenv.NewDB(t)
	svc := testenv.NewService(t, db, func(o *auth.Options) {
		o.Limiter = ratelimit.NewStore(db.Client, nil)
		o.Limits.LoginFailures = auth.Rule{Limit: 3, Window: time.Hour}
		o.Logger = log
	})
	gql := graph.NewHandler(svc.Service, graph.Options{
		Introspection: true, MaxDepth: 16, MaxFields: 500, MaxComplexity: 1000,
		MaxIntrospectionCost: 100000, MaxTokens: 2000, MaxAuthFields: 5, Logger: log,
	})
	h := rest.New(rest.Options{
		Auth: svc.Service, GraphQL: gql, Ready: db.Ping, MaxBodyBytes: 64 << 10,
		RequestTimeout: 30 * time.Second, Logger: log,
	})
	return h, func(t *testing.T) map[string]string { return newUser(t, svc.Service) }
}

var users atomic.Int64

// newUser registers a user no other scenario uses and returns its {vars}.
func newUser(t *testing.T, svc *auth.Service) map[string]string {
	t.Helper()
	email := fmt.Sprintf("user%d@example.com", users.Add(1))
	const password = "securePassword123"
	pair, err := svc.Register(context.Background(), auth.RegisterInput{Name: "Scenario User", Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"email": email, "password": password, "access": pair.AccessToken, "refresh": pair.RefreshToken}
}

const (
	bearerAccess = "Authorization: Bearer {access}"
	formType     = "Content-Type: application/x-www-form-urlencoded"
)

// failLogins makes n wrong-password logins for the scenario's user.
func failLogins(n int) func(t *testing.T, c *testclient.Client, vars map[string]string) {
	return func(t *testing.T, c *testclient.Client, vars map[string]string) {
		for range n {
			testclient.Expect(t, c.Do(t, http.MethodPost, "/api/auth/login/json",
				map[string]string{"email": vars["email"], "password": "wrongPassword123"}), http.StatusUnauthorized, "UNAUTHORIZED")
		}
	}
}

func TestAPI(t *testing.T) {
	const form = "username={email}&password={password}"
	testclient.Run(t, apiSetup, []testclient.Scenario{
		// Registration.
		{
			Name: "register", Method: "POST", URL: "/api/auth/register",
			Body:   map[string]string{"name": "Ada", "email": "ada@example.com", "password": "securePassword123"},
			Status: 201, Contains: []string{`"access_token":"`, `"refresh_token":"`, `"email":"ada@example.com"`},
			NotContains: []string{"securePassword123", "password_hash"},
			Events:      []string{"user_registered"},
		},
		{
			Name: "register a taken email", Method: "POST", URL: "/api/auth/register",
			Body:   map[string]string{"name": "Ada", "email": "{email}", "password": "securePassword123"},
			Status: 409, Code: "CONFLICT",
		},
		{
			Name: "register a short password", Method: "POST", URL: "/api/auth/register",
			Body:   map[string]string{"name": "Ada", "email": "ada@example.com", "password": "short"},
			Status: 422, Code: "VALIDATION_ERROR", Contains: []string{`"password"`},
		},
		{
			Name: "register with broken JSON", Method: "POST", URL: "/api/auth/register",
			Body: `{"name":`, Status: 400, Code: "BAD_REQUEST",
		},
		{
			Name: "register as a form", Method: "POST", URL: "/api/auth/register",
			Body: "name=Ada", Headers: []string{formType}, Status: 415, Code: "UNSUPPORTED_MEDIA_TYPE",
		},
		// Login.
		{
			Name: "login", Method: "POST", URL: "/api/auth/login/json",
			Body:   map[string]string{"email": "{email}", "password": "{password}"},
			Status: 200, Contains: []string{`"access_token":"`, `"token_type":"bearer"`},
		},
		{
			Name: "login with a wrong password", Method: "POST", URL: "/api/auth/login/json",
			Body:   map[string]string{"email": "{email}", "password": "wrongPassword123"},
			Status: 401, Code: "UNAUTHORIZED", NotContains: []string{"access_token"},
			Events: []string{"login_failed"},
		},
		{
			Name: "login of an unknown email", Method: "POST", URL: "/api/auth/login/json",
			Body:   map[string]string{"email": "nobody@example.com", "password": "wrongPassword123"},
			Status: 401, Code: "UNAUTHORIZED",
			Events: []string{"login_failed"},
		},
		{
			Name: "login of a locked email", Method: "POST", URL: "/api/auth/login/json",
			Before: failLogins(3),
			Body:   map[string]string{"email": "{email}", "password": "{password}"},
			Status: 429, Code: "RATE_LIMIT_EXCEEDED", WantHeaders: []string{"Retry-After:"},
			Events: []string{"rate_limited"},
		},
		{
			Name: "login form", Method: "POST", URL: "/api/auth/login",
			Body: form, Headers: []string{formType}, Status: 200, Contains: []string{`"access_token":"`},
		},
		{
			Name: "login form without a username", Method: "POST", URL: "/api/auth/login",
			Body: "password=x", Headers: []string{formType}, Status: 422, Code: "VALIDATION_ERROR", Contains: []string{`"username"`},
		},
		{
			Name: "login form as JSON takes login/json's fields", Method: "POST", URL: "/api/auth/login",
			Body:   map[string]string{"email": "{email}", "password": "{password}"},
			Status: 200, Contains: []string{`"access_token":"`},
		},
		{
			Name: "login form as text", Method: "POST", URL: "/api/auth/login",
			Body: form, Headers: []string{"Content-Type: text/plain"}, Status: 415, Code: "UNSUPPORTED_MEDIA_TYPE",
		},
		// Tokens and sessions.
		{
			Name: "me", Method: "GET", URL: "/api/auth/me", Headers: []string{bearerAccess},
			Status: 200, Contains: []string{`"email":"{email}"`}, NotContains: []string{"password"},
		},
		{
			Name: "me without a token", Method: "GET", URL: "/api/auth/me",
			Status: 401, Code: "UNAUTHORIZED", WantHeaders: []string{"WWW-Authenticate:"},
		},
		{
			Name: "me with the refresh token", Method: "GET", URL: "/api/auth/me", Headers: []string{"Authorization: Bearer {refresh}"},
			Status: 401, Code: "UNAUTHORIZED",
		},
		{
			Name: "refresh", Method: "POST", URL: "/api/auth/refresh", Body: `{"refresh_token":"{refresh}"}`,
			Status: 200, Contains: []string{`"access_token":"`, `"refresh_token":"`},
		},
		{
			Name: "refresh with the access token", Method: "POST", URL: "/api/auth/refresh", Body: `{"refresh_token":"{access}"}`,
			Status: 401, Code: "UNAUTHORIZED",
		},
		{
			Name: "change password", Method: "POST", URL: "/api/auth/change-password", Headers: []string{bearerAccess},
			Body:   map[string]string{"current_password": "{password}", "new_password": "anotherPassword456"},
			Status: 200, Events: []string{"password_changed"},
		},
		{
			Name: "change password with a wrong current one", Method: "POST", URL: "/api/auth/change-password", Headers: []string{bearerAccess},
			Body:   map[string]string{"current_password": "wrongPassword123", "new_password": "anotherPassword456"},
			Status: 400, Code: "BAD_REQUEST",
		},
		{
			Name: "logout", Method: "POST", URL: "/api/auth/logout", Headers: []string{bearerAccess},
			Status: 200, Events: []string{"session_revoked"},
		},
		{
			Name: "logout without a token", Method: "POST", URL: "/api/auth/logout",
			Status: 401, Code: "UNAUTHORIZED",
		},
		// GraphQL through the HTTP surface.
		{
			Name: "graphql me", Method: "POST", URL: "/graphql", Headers: []string{bearerAccess},
			Body:   map[string]string{"query": "{ me { email } }"},
			Status: 200, Contains: []string{`"email":"{email}"`},
		},
		{
			Name: "graphql mutation over GET", Method: "GET",
			URL:    "/graphql?query=" + url.QueryEscape(`mutation { logout }`),
			Status: 405, Code: "METHOD_NOT_ALLOWED", WantHeaders: []string{"Allow: POST"},
		},
		{
			Name: "graphql batch", Method: "POST", URL: "/graphql", Body: `[{"query":"{ me { id } }"}]`,
			Status: 400, Code: "BAD_REQUEST",
		},
		{
			Name: "graphql as text", Method: "POST", URL: "/graphql", Body: `{"query":"{ me { id } }"}`,
			Headers: []string{"Content-Type: text/plain"}, Status: 415, Code: "UNSUPPORTED_MEDIA_TYPE",
		},
		{
			Name: "graphql body of the wrong shape", Method: "POST", URL: "/graphql",
			Body:   `{"query":"mutation($p:String!){ login(email:\"a@b.co\", password:$p){ accessToken } }","variables":"secretPassword1"}`,
			Status: 400, Code: "BAD_REQUEST", NotContains: []string{"secretPassword1"},
		},
		{
			Name: "graphql login of a locked email", Method: "POST", URL: "/graphql",
			Before: failLogins(3),
			Body: map[string]any{"query": `mutation($e:String!,$p:String!){ login(input:{email:$e, password:$p}){ accessToken } }`,
				"variables": map[string]string{"e": "{email}", "p": "{password}"}},
			Status: 200, Contains: []string{`"RATE_LIMIT_EXCEEDED"`}, WantHeaders: []string{"Retry-After:"},
			Events: []string{"rate_limited"},
		},
		// Routing and probes.
		{Name: "unknown path", Method: "GET", URL: "/api/auth/nothing", Status: 404, Code: "NOT_FOUND"},
		{
			Name: "wrong method", Method: "GET", URL: "/api/auth/login/json",
			Status: 405, Code: "METHOD_NOT_ALLOWED", WantHeaders: []string{"Allow: POST"},
		},
		{Name: "health", Method: "GET", URL: "/healthz", Status: 200},
		{Name: "ready", Method: "GET", URL: "/readyz", Status: 200},
		{Name: "no metrics unless configured", Method: "GET", URL: "/metrics", Status: 404, Code: "NOT_FOUND"},
	})
}
