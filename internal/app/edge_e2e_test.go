package app_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// metricsURL waits for the "gqlauth metrics on http://ADDR/metrics" line
// that follows the listening line when METRICS_ADDR is set.
func (s *server) metricsURL(t *testing.T) string {
	t.Helper()
	select {
	case line := <-s.stdout.lines:
		u, ok := strings.CutPrefix(line, "gqlauth metrics on ")
		if !ok {
			t.Fatalf("second stdout line %q, want the metrics address", line)
		}
		return u
	case <-time.After(10 * time.Second):
		t.Fatalf("no metrics address on stdout:\n%s", s.stdout.String())
	}
	return ""
}

// scrape GETs url (with the given Authorization header value, if any).
func scrape(t *testing.T, url, authorization string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// TestMetricsAccess: /metrics is not public by default; METRICS_TOKEN opens
// it on the public port to that bearer token only; METRICS_ADDR serves it
// on a listener of its own and never on the public port.
func TestMetricsAccess(t *testing.T) {
	const wrong = "not-the-metrics-token-0123"
	t.Run("default: not served", func(t *testing.T) {
		s := startServer(t, nil)
		for _, h := range [][]string{nil, {bearer(metricsToken)}, {bearer(wrong)}} {
			r := s.request(http.MethodGet, "/metrics", nil, h...)
			expect(t, r, http.StatusNotFound, "NOT_FOUND")
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("404 without security headers: %v", r.Header)
			}
		}
	})

	t.Run("METRICS_TOKEN", func(t *testing.T) {
		s := startServer(t, map[string]string{"METRICS_TOKEN": metricsToken})
		a := s.register(t)
		// A client-chosen operation name must not become a label value.
		s.request(http.MethodPost, "/graphql", map[string]any{"query": "query ClientChosenName42 { me { id } }"}, bearer(a.Access))
		for _, c := range []struct {
			name    string
			headers []string
		}{
			{"no token", nil},
			{"wrong token", []string{bearer(wrong)}},
			{"token as prefix", []string{bearer(metricsToken[:16])}},
			{"token plus more", []string{bearer(metricsToken + "x")}},
			{"other scheme", []string{"Authorization: Basic " + metricsToken}},
			{"user's access token", []string{bearer(a.Access)}},
		} {
			r := s.request(http.MethodGet, "/metrics", nil, c.headers...)
			if r.Status != http.StatusUnauthorized || r.Str("error.code") != "UNAUTHORIZED" || r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %s %v, want 401 UNAUTHORIZED with WWW-Authenticate", c.name, r.Status, r.Raw, r.Header)
			}
			if strings.Contains(string(r.Raw), "gqlauth_") {
				t.Errorf("%s: the refusal holds metrics", c.name)
			}
		}
		r := s.request(http.MethodGet, "/metrics", nil, "Authorization: bearer "+metricsToken)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Raw), "gqlauth_http_requests_total") {
			t.Fatalf("right token: %d %.300s", r.Status, r.Raw)
		}
		body := string(r.Raw)
		if !strings.Contains(body, `gqlauth_graphql_operations_total{name="me",operation="query"} 1`) {
			t.Errorf("no series for the me operation:\n%s", grepLines(body, "graphql_operations"))
		}
		if strings.Contains(body, "ClientChosenName42") {
			t.Errorf("a client-chosen operation name is a label value:\n%s", grepLines(body, "graphql_operations"))
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
	})

	t.Run("METRICS_ADDR", func(t *testing.T) {
		s := startServer(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0"})
		url := s.metricsURL(t)
		if strings.HasPrefix(url, s.URL) {
			t.Fatalf("metrics listener %s is the public one %s", url, s.URL)
		}
		expect(t, s.request(http.MethodGet, "/metrics", nil), http.StatusNotFound, "NOT_FOUND")
		status, h, body := scrape(t, url, "")
		if status != http.StatusOK || !strings.Contains(body, "gqlauth_http_requests_total") {
			t.Fatalf("metrics listener: %d %.300s", status, body)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("metrics listener without security headers: %v", h)
		}
		// Nothing else lives there, and its errors are the envelope too.
		status, _, body = scrape(t, strings.TrimSuffix(url, "/metrics")+"/graphql", "")
		if status != http.StatusNotFound || !strings.Contains(body, `"code":"NOT_FOUND"`) {
			t.Errorf("metrics listener /graphql: %d %s", status, body)
		}
	})

	t.Run("METRICS_ADDR and METRICS_TOKEN", func(t *testing.T) {
		s := startServer(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0", "METRICS_TOKEN": metricsToken})
		url := s.metricsURL(t)
		expect(t, s.request(http.MethodGet, "/metrics", nil, bearer(metricsToken)), http.StatusNotFound, "NOT_FOUND")
		if status, _, body := scrape(t, url, "Bearer "+wrong); status != http.StatusUnauthorized || !strings.Contains(body, `"code":"UNAUTHORIZED"`) {
			t.Errorf("wrong token on the metrics listener: %d %s", status, body)
		}
		if status, _, _ := scrape(t, url, ""); status != http.StatusUnauthorized {
			t.Errorf("no token on the metrics listener: %d", status)
		}
		if status, _, body := scrape(t, url, "Bearer "+metricsToken); status != http.StatusOK || !strings.Contains(body, "gqlauth_") {
			t.Errorf("right token on the metrics listener: %d %.200s", status, body)
		}
	})
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsSettingsAreChecked: a bad METRICS_TOKEN or METRICS_ADDR stops
// the server with a message naming it.
func TestMetricsSettingsAreChecked(t *testing.T) {
	for _, c := range []struct{ name, value string }{
		{"METRICS_TOKEN", "short"},
		{"METRICS_TOKEN", "has a space in it 0123456789"},
		{"METRICS_ADDR", "9090"},
		{"METRICS_ADDR", "127.0.0.1:99999"},
		{"METRICS_ADDR", "localhost:http"},
	} {
		vars := baseEnv(t)
		vars[c.name] = c.value
		code, _, errOut := runCommand(vars, "", "serve")
		if code != 1 || !strings.Contains(errOut, c.name) {
			t.Errorf("%s=%q: exit %d: %s", c.name, c.value, code, errOut)
		}
	}
	// An address that is taken stops the start before it serves anything.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	vars := baseEnv(t)
	vars["METRICS_ADDR"] = busy.Addr().String()
	code, out, errOut := runCommand(vars, "", "serve")
	if code != 1 || !strings.Contains(errOut, "METRICS_ADDR") || strings.Contains(out, "listening") {
		t.Errorf("METRICS_ADDR taken: exit %d, stdout %q: %s", code, out, errOut)
	}
}
