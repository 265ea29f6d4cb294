package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"gqlauth/graph"
)

// TestTransportAnswers checks that the handler itself answers the requests
// GraphQL never sees, in the envelope with a GraphQL errors list, and
// names the charset of gqlgen's answers.
func TestTransportAnswers(t *testing.T) {
	h := graph.NewHandler(nil, defaults)
	mutation := "/graphql?query=" + url.QueryEscape(`mutation { logout }`)
	invalid := "/graphql?query=" + url.QueryEscape(`mutation { nope }`)
	for _, tc := range []struct {
		name, method, target, contentType, body string
		header                                  [2]string
		status                                  int
		code, allow                             string
	}{
		{"mutation over GET", http.MethodGet, mutation, "", "", [2]string{}, 405, "METHOD_NOT_ALLOWED", "POST"},
		{"invalid mutation over GET", http.MethodGet, invalid, "", "", [2]string{}, 405, "METHOD_NOT_ALLOWED", "POST"},
		{"form body", http.MethodPost, "/graphql", "application/x-www-form-urlencoded", "query={__typename}", [2]string{}, 415, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"+json body", http.MethodPost, "/graphql", "application/graphql+json", `{"query":"{__typename}"}`, [2]string{}, 415, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"too large", http.MethodPost, "/graphql", "application/json", `{"query":"` + strings.Repeat(" ", 2<<10) + `{__typename}"}`, [2]string{}, 413, "PAYLOAD_TOO_LARGE", ""},
		{"batched", http.MethodPost, "/graphql", "application/json", `[{"query":"{__typename}"}]`, [2]string{}, 400, "BAD_REQUEST", ""},
		{"not an object", http.MethodPost, "/graphql", "application/json", `"{__typename}"`, [2]string{}, 400, "BAD_REQUEST", ""},
		{"not JSON", http.MethodPost, "/graphql", "application/json", `{"query": `, [2]string{}, 400, "BAD_REQUEST", ""},
		{"wrong member type", http.MethodPost, "/graphql", "application/json", `{"query": 5, "variables": {"password": "hunter2hunter2"}}`, [2]string{"Accept", "application/graphql-response+json"}, 400, "BAD_REQUEST", ""},
		{"bad query string", http.MethodGet, "/graphql?query=%zz", "", "", [2]string{}, 400, "BAD_REQUEST", ""},
		{"variables not an object", http.MethodGet, "/graphql?query={__typename}&variables=[1]", "", "", [2]string{}, 400, "BAD_REQUEST", ""},
		{"websocket", http.MethodGet, "/graphql?query={__typename}", "", "", [2]string{"Upgrade", "websocket"}, 400, "BAD_REQUEST", ""},
		{"query over GET", http.MethodGet, "/graphql?query={__typename}", "", "", [2]string{}, 200, "", ""},
		{"query over POST", http.MethodPost, "/graphql", "application/json", `{"query":"{__typename}"}`, [2]string{}, 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.header[0] != "" {
				req.Header.Set(tc.header[0], tc.header[1])
			}
			rec := httptest.NewRecorder()
			req.Body = http.MaxBytesReader(rec, req.Body, 1<<10)
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasSuffix(ct, "json; charset=utf-8") {
				t.Errorf("Content-Type %q", ct)
			}
			if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Allow") != tc.allow {
				t.Errorf("headers %v", rec.Header())
			}
			if strings.Contains(rec.Body.String(), "hunter2") {
				t.Errorf("the body was echoed back: %s", rec.Body)
			}
			if tc.code == "" {
				return
			}
			var got struct {
				Success *bool
				Error   struct{ Message, Code string }
				Errors  []struct {
					Message    string
					Extensions struct{ Code string }
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Success == nil || *got.Success || got.Error.Code != tc.code || got.Error.Message == "" ||
				len(got.Errors) != 1 || got.Errors[0].Extensions.Code != tc.code || got.Errors[0].Message != got.Error.Message {
				t.Errorf("body %s", rec.Body)
			}
		})
	}
}
