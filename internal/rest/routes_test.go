package rest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gqlauth/internal/rest"
)

// TestRoutingAnswers checks the router's own answers, for its routes and
// mounted ones alike: 405 with Allow for a known path, 404 otherwise, in
// the envelope, counted as "unmatched".
func TestRoutingAnswers(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	var routes []string
	h := rest.New(rest.Options{
		GraphQL: ok,
		Mount: func(mux rest.Mux) {
			mux.Handle("GET /mounted", ok)
			mux.Handle("GET /files/", ok)
			mux.Handle("/any", ok)
		},
		Observe: func(method, route string, status int, elapsed time.Duration) { routes = append(routes, route) },
	})
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
		route        string
	}{
		{"GET", "/mounted", 204, "", "", "GET /mounted"},
		{"HEAD", "/mounted", 204, "", "", "GET /mounted"},
		{"POST", "/mounted", 405, "METHOD_NOT_ALLOWED", "GET", "unmatched"},
		{"PUT", "/files/a/b.js", 405, "METHOD_NOT_ALLOWED", "GET", "unmatched"},
		{"DELETE", "/any", 204, "", "", "/any"},
		{"DELETE", "/graphql", 405, "METHOD_NOT_ALLOWED", "GET, POST", "unmatched"},
		{"GET", "/api/auth/register", 405, "METHOD_NOT_ALLOWED", "POST", "unmatched"},
		{"GET", "/nope", 404, "NOT_FOUND", "", "unmatched"},
		{"POST", "/", 404, "NOT_FOUND", "", "unmatched"},
		{"GET", "/files/../../etc/passwd", 404, "NOT_FOUND", "", "unmatched"}, // not redirected
		{"POST", "/files/../mounted", 405, "METHOD_NOT_ALLOWED", "GET", "unmatched"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			routes = nil
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status || rec.Header().Get("Allow") != tc.allow {
				t.Fatalf("status %d, Allow %q; want %d, %q", rec.Code, rec.Header().Get("Allow"), tc.status, tc.allow)
			}
			if len(routes) != 1 || routes[0] != tc.route {
				t.Errorf("observed routes %q, want %q", routes, tc.route)
			}
			if tc.code == "" {
				return
			}
			var got struct {
				Success *bool
				Error   struct{ Message, Code string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Success == nil || *got.Success ||
				got.Error.Code != tc.code || got.Error.Message == "" {
				t.Errorf("body %s", rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasSuffix(ct, "charset=utf-8") || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", rec.Header())
			}
		})
	}
}
