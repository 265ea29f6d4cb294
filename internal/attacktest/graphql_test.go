package attacktest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// aliasedLogins is a mutation with n aliased login fields for email.
func aliasedLogins(n int, email, password string) string {
	var b strings.Builder
	b.WriteString("mutation {")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " a%d: login(input: {email: %q, password: %q}) { accessToken }", i, email, password)
	}
	b.WriteString(" }")
	return b.String()
}

// TestGraphQLAbuse promises: aliased auth fields each count against the
// limits and a document with more than GRAPHQL_MAX_AUTH_FIELDS of them is
// refused before anything runs; depth, complexity and token limits refuse
// query bombs before execution; no GET mutation, multipart, WebSocket or
// batching; no field suggestions with introspection off.
func TestGraphQLAbuse(t *testing.T) {
	srv := startChild(t, map[string]string{"LOGIN_FAILURE_LIMIT": "3", "LOGIN_IP_LIMIT": "0"})

	t.Run("six aliased logins refused before anything runs", func(t *testing.T) {
		a := srv.register(t)
		r := srv.gql(t, aliasedLogins(6, a.Email, wrongPassword), nil)
		if len(r.GQLCodes()) == 0 || r.HasData() {
			t.Fatalf("6 aliased logins: status %d, want an error and no data: %s", r.Status, clip(r.Raw))
		}
		// Had any of the six run, the third failure would lock the email.
		expect(t, mustLogin(t, srv, a.Email, a.Password), http.StatusOK, "")
	})

	t.Run("three aliased wrong logins count as three failures", func(t *testing.T) {
		a := srv.register(t)
		r := srv.gql(t, aliasedLogins(3, a.Email, wrongPassword), nil)
		if codes := r.GQLCodes(); strings.Join(codes, ",") != "UNAUTHORIZED,UNAUTHORIZED,UNAUTHORIZED" {
			t.Fatalf("3 aliased wrong logins: codes %v, want three UNAUTHORIZED: %s", codes, clip(r.Raw))
		}
		expect(t, mustLogin(t, srv, a.Email, a.Password), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	})

	t.Run("the limit stops aliases within one document", func(t *testing.T) {
		a := srv.register(t)
		r := srv.gql(t, aliasedLogins(5, a.Email, wrongPassword), nil)
		codes := r.GQLCodes()
		count := map[string]int{}
		for _, c := range codes {
			count[c]++
		}
		if count["UNAUTHORIZED"] != 3 || count["RATE_LIMIT_EXCEEDED"] != 2 || len(codes) != 5 {
			t.Fatalf("5 aliased wrong logins with a limit of 3: codes %v, want 3 UNAUTHORIZED and 2 RATE_LIMIT_EXCEEDED", codes)
		}
	})

	t.Run("deep introspection refused", func(t *testing.T) {
		// Deeper than GRAPHQL_MAX_DEPTH (16), which the standard
		// introspection query (14) stays within.
		q := "{ __schema { types { fields { type" + strings.Repeat(" { ofType", 13) + " { name }" + strings.Repeat(" }", 13) + " } } } }"
		if strings.Count(q, "{") != strings.Count(q, "}") {
			t.Fatal("unbalanced query")
		}
		r := srv.gql(t, q, nil)
		if len(r.GQLCodes()) == 0 || r.HasData() {
			t.Fatalf("a %d-level introspection query: status %d, want an error and no data: %s", strings.Count(q, "{")-1, r.Status, clip(r.Raw))
		}
		if !strings.Contains(string(r.Raw), "deep") && !strings.Contains(string(r.Raw), "depth") {
			t.Errorf("the refusal does not name the depth limit: %s", clip(r.Raw))
		}
	})

	t.Run("alias bombs refused", func(t *testing.T) {
		for _, n := range []int{300, 2000} { // fields (600 > 500), then tokens (12000 > 2000)
			var b strings.Builder
			b.WriteString("{")
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, " a%d: me { id }", i)
			}
			b.WriteString(" }")
			r := srv.gql(t, b.String(), nil)
			if r.Status >= 500 || len(r.GQLCodes()) == 0 || r.HasData() {
				t.Fatalf("%d aliases of me: status %d, want a 4xx or GraphQL error and no data: %s", n, r.Status, clip(r.Raw))
			}
			if r.Status == http.StatusOK && len(r.GQLCodes()) > 1 {
				t.Fatalf("%d aliases of me were executed (%d errors), want one refusal before execution", n, len(r.GQLCodes()))
			}
		}
	})

	t.Run("GET mutation refused and nothing changed", func(t *testing.T) {
		email := newEmail()
		q := fmt.Sprintf(`mutation { register(input: {name: "Get", email: %q, password: %q}) { accessToken } }`, email, goodPassword)
		r := srv.must(t, http.MethodGet, "/graphql?query="+url.QueryEscape(q), nil)
		expect(t, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
		expect(t, mustLogin(t, srv, email, goodPassword), http.StatusUnauthorized, "UNAUTHORIZED")
	})

	t.Run("multipart refused", func(t *testing.T) {
		body := "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"{ me { id } }\"}\r\n--x--\r\n"
		r := srv.must(t, http.MethodPost, "/graphql", body, "Content-Type: multipart/form-data; boundary=x")
		expect(t, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
	})

	wsHeaders := []string{"Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol: graphql-transport-ws"}
	t.Run("WebSocket not upgraded", func(t *testing.T) {
		r := srv.must(t, http.MethodGet, "/graphql", nil, wsHeaders...)
		if r.Status == http.StatusSwitchingProtocols || r.Status < 400 || r.Status >= 500 {
			t.Fatalf("a WebSocket upgrade got %d, want a 4xx refusal", r.Status)
		}
	})

	t.Run("WebSocket refusal is the error envelope", func(t *testing.T) {
		r := srv.must(t, http.MethodGet, "/graphql", nil, wsHeaders...)
		if r.Str("error.code") == "" || r.Get("success") != false {
			t.Fatalf("the refused WebSocket upgrade is not the error envelope (status %d, Content-Type %q, body %s)",
				r.Status, r.Header.Get("Content-Type"), clip(r.Raw))
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("Content-Type %q, want application/json", r.Header.Get("Content-Type"))
		}
	})

	t.Run("array batch refused", func(t *testing.T) {
		r := srv.must(t, http.MethodPost, "/graphql", `[{"query":"{ me { id } }"},{"query":"{ me { id } }"}]`)
		expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
	})

	t.Run("no suggestions with introspection off", func(t *testing.T) {
		quiet := startChild(t, map[string]string{"INTROSPECTION_ENABLED": "false"})
		r := quiet.gql(t, "{ mee { id } }", nil)
		if len(r.GQLCodes()) == 0 || strings.Contains(string(r.Raw), "Did you mean") {
			t.Fatalf("a misspelt field with introspection off: %s; want an error without suggestions", clip(r.Raw))
		}
		r = quiet.gql(t, "{ __schema { types { name } } }", nil)
		if len(r.GQLCodes()) == 0 || r.HasData() {
			t.Fatalf("introspection with INTROSPECTION_ENABLED=false: %s; want an error and no data", clip(r.Raw))
		}
	})
}
