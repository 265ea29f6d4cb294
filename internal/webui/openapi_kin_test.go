// Validates the OpenAPI document and sample responses with kin-openapi.
package webui_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"gqlauth/internal/webui"
)

func kinRouter(t *testing.T) routers.Router {
	t.Helper()
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(webui.OpenAPISpec())
	if err != nil {
		t.Fatalf("loading: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("validating: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("kin-openapi reads version %q as older than 3.1", doc.OpenAPI)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

const (
	user  = `{"id":1,"name":"John Doe","email":"john@example.com","role":"USER","is_active":true,"email_verified":false,"created_at":"2025-01-31T12:00:00Z","updated_at":"2025-01-31T12:00:01.123456Z"}`
	token = `{"access_token":"a.b.c","refresh_token":"d.e.f","token_type":"bearer","expires_in":1800,"user":` + user + `}`
)

// TestOpenAPIValidatesResponses checks the document the way the end-to-end
// tests use it: real-looking responses pass, drifted ones fail.
func TestOpenAPIValidatesResponses(t *testing.T) {
	router := kinRouter(t)
	noStore := http.Header{"Cache-Control": {"no-store"}}
	bearer := http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
	for _, tc := range []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		ok                 bool
	}{
		{"register", "POST", "/api/auth/register", 201, noStore, token, true},
		{"login/json", "POST", "/api/auth/login/json", 200, noStore, token, true},
		{"login form", "POST", "/api/auth/login", 200, noStore, token, true},
		{"refresh", "POST", "/api/auth/refresh", 200, noStore, token, true},
		{"me", "GET", "/api/auth/me", 200, nil, user, true},
		{"change-password", "POST", "/api/auth/change-password", 200, nil, `{"success":true,"message":"Password changed"}`, true},
		{"logout", "POST", "/api/auth/logout", 200, nil, `{"success":true,"message":"Logged out"}`, true},
		{"healthz", "GET", "/healthz", 200, nil, `{"status":"ok"}`, true},
		{"readyz", "GET", "/readyz", 200, nil, `{"status":"ready"}`, true},
		{"readyz down", "GET", "/readyz", 503, nil, `{"success":false,"error":{"message":"Service unavailable","code":"SERVICE_UNAVAILABLE"}}`, true},
		{"401", "GET", "/api/auth/me", 401, bearer, `{"success":false,"error":{"message":"Could not validate credentials","code":"UNAUTHORIZED"}}`, true},
		{"422", "POST", "/api/auth/register", 422, nil, `{"success":false,"error":{"message":"Validation failed","code":"VALIDATION_ERROR","details":{"email":["Invalid email format"]}}}`, true},
		{"429", "POST", "/api/auth/login/json", 429, http.Header{"Retry-After": {"30"}}, `{"success":false,"error":{"message":"Too many attempts","code":"RATE_LIMIT_EXCEEDED"}}`, true},

		{"token response without no-store", "POST", "/api/auth/login/json", 200, nil, token, false},
		{"token response missing the user's role", "POST", "/api/auth/login/json", 200, noStore, strings.Replace(token, `"role":"USER",`, "", 1), false},
		{"string user id", "GET", "/api/auth/me", 200, nil, strings.Replace(user, `"id":1`, `"id":"1"`, 1), false},
		{"extra user field", "GET", "/api/auth/me", 200, nil, strings.Replace(user, `{`, `{"password_hash":"x",`, 1), false},
		{"token_type Bearer", "POST", "/api/auth/refresh", 200, noStore, strings.Replace(token, `"bearer"`, `"Bearer"`, 1), false},
		{"401 without WWW-Authenticate", "GET", "/api/auth/me", 401, nil, `{"success":false,"error":{"message":"x","code":"UNAUTHORIZED"}}`, false},
		{"401 with another status's code", "GET", "/api/auth/me", 401, bearer, `{"success":false,"error":{"message":"x","code":"FORBIDDEN"}}`, false},
		{"422 without details", "POST", "/api/auth/register", 422, nil, `{"success":false,"error":{"message":"x","code":"VALIDATION_ERROR"}}`, false},
		{"details not lists", "POST", "/api/auth/register", 422, nil, `{"success":false,"error":{"message":"x","code":"VALIDATION_ERROR","details":{"email":"bad"}}}`, false},
		{"error without envelope", "POST", "/api/auth/register", 409, nil, `{"detail":"Email already registered"}`, false},
		{"unknown code", "POST", "/api/auth/register", 400, nil, `{"success":false,"error":{"message":"x","code":"OOPS"}}`, false},
		{"readyz saying ok", "GET", "/readyz", 200, nil, `{"status":"ok"}`, false},
		{"429 without Retry-After", "POST", "/api/auth/login/json", 429, nil, `{"success":false,"error":{"message":"x","code":"RATE_LIMIT_EXCEEDED"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("no route: %v", err)
			}
			header := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
			for k, v := range tc.header {
				header[k] = v
			}
			err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
				Status:                 tc.status,
				Header:                 header,
				Body:                   io.NopCloser(strings.NewReader(tc.body)),
				Options:                &openapi3filter.Options{IncludeResponseStatus: true},
			})
			if tc.ok && err != nil {
				t.Errorf("valid response rejected: %v", err)
			}
			if !tc.ok && err == nil {
				t.Error("drifted response accepted")
			}
			if !tc.ok && err != nil {
				t.Logf("rejected as it should be: %s", strings.SplitN(err.Error(), "\n", 2)[0])
			}
		})
	}
}

func TestOpenAPIValidatesRequests(t *testing.T) {
	router := kinRouter(t)
	for _, tc := range []struct {
		name, path, ctype, body string
		ok                      bool
	}{
		{"register", "/api/auth/register", "application/json", `{"name":"John Doe","email":"john@example.com","password":"securePassword123"}`, true},
		{"form login", "/api/auth/login", "application/x-www-form-urlencoded", "grant_type=password&username=john%40example.com&password=securePassword123", true},
		{"logout scope", "/api/auth/logout", "application/json", `{"scope":"others"}`, true},
		{"register without password", "/api/auth/register", "application/json", `{"name":"John Doe","email":"john@example.com"}`, false},
		{"logout with an unknown scope", "/api/auth/logout", "application/json", `{"scope":"everyone"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tc.path, bytes.NewBufferString(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("no route: %v", err)
			}
			err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
				Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
			})
			if tc.ok != (err == nil) {
				t.Errorf("ok = %v, error: %v", tc.ok, err)
			}
		})
	}
}
