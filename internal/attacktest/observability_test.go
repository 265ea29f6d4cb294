package attacktest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestAttacksAreObservable promises: every request is one structured log
// line (request id, method, route, status, duration, user id when known);
// the security events of an attack (login failures, rate limiting, refresh
// reuse, session revocation, password change) are logged as such, without
// the email or address in rate-limit lines; and the Prometheus metrics count
// them without letting a scanner's paths into the label sets.
// metricsToken opens /metrics on the children that read it.
const metricsToken = "attacktest-metrics-token-0123456789"

func TestAttacksAreObservable(t *testing.T) {
	srv := startChild(t, map[string]string{
		"LOG_FORMAT": "json", "LOG_LEVEL": "info",
		"LOGIN_FAILURE_LIMIT": "2", "LOGIN_IP_LIMIT": "0", "LOGIN_IP_FAILURE_LIMIT": "0", "REFRESH_REUSE_INTERVAL": "0",
		"METRICS_TOKEN": metricsToken,
	})
	a := srv.register(t)
	me := srv.must(t, http.MethodGet, "/api/auth/me", nil, bearer(a.Access))
	expect(t, me, http.StatusOK, "")
	for i := 0; i < 2; i++ {
		expect(t, mustLogin(t, srv, a.Email, wrongPassword), http.StatusUnauthorized, "UNAUTHORIZED")
	}
	expect(t, mustLogin(t, srv, a.Email, wrongPassword), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	r := srv.must(t, http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": a.Refresh})
	expect(t, r, http.StatusOK, "")
	expect(t, srv.must(t, http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": a.Refresh}), http.StatusUnauthorized, "UNAUTHORIZED")
	b := srv.register(t)
	expect(t, srv.must(t, http.MethodPost, "/api/auth/change-password",
		map[string]string{"current_password": b.Password, "new_password": "anotherSecurePassword456"}, bearer(b.Access)), http.StatusOK, "")
	scan := "/scanner-probe-" + randHex(8)
	expect(t, srv.must(t, http.MethodGet, scan, nil), http.StatusNotFound, "NOT_FOUND")

	var lines []map[string]any
	for _, l := range strings.Split(srv.logs(), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("LOG_FORMAT=json wrote a line that is not JSON: %q", l)
		}
		lines = append(lines, m)
	}

	// One request line per request, with its fields.
	meID := me.Header.Get("X-Request-ID")
	var meLine map[string]any
	for _, m := range lines {
		if m["msg"] != "request" {
			continue
		}
		for _, k := range []string{"request_id", "method", "route", "status", "duration"} {
			if _, ok := m[k]; !ok {
				t.Errorf("request line without %s: %v", k, m)
			}
		}
		if route, _ := m["route"].(string); strings.Contains(route, "scanner-probe") {
			t.Errorf("a request line names the raw path: %v", m)
		}
		if m["request_id"] == meID {
			meLine = m
		}
	}
	if meID == "" || meLine == nil {
		t.Fatalf("no request line for the me request (X-Request-ID %q)", meID)
	}
	if meLine["user_id"] == nil || meLine["method"] != "GET" || meLine["status"] != float64(200) {
		t.Errorf("the me request line lacks the user id, method or status: %v", meLine)
	}

	events := map[string]int{}
	for _, m := range lines {
		ev, _ := m["event"].(string)
		if ev == "" {
			continue
		}
		events[ev]++
		if ev == "rate_limited" {
			raw, _ := json.Marshal(m)
			if strings.Contains(string(raw), a.Email) || strings.Contains(string(raw), "127.0.0.1") {
				t.Errorf("a rate-limit line names the email or address: %s", raw)
			}
		}
	}
	for _, ev := range []string{"login_failed", "rate_limited", "refresh_reuse_detected", "session_revoked", "password_changed"} {
		if events[ev] == 0 {
			t.Errorf("no %q security event was logged (events: %v)", ev, events)
		}
	}

	expect(t, srv.must(t, http.MethodGet, "/metrics", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	m := srv.must(t, http.MethodGet, "/metrics", nil, bearer(metricsToken))
	expect(t, m, http.StatusOK, "")
	text := string(m.Raw)
	for _, want := range []string{
		`gqlauth_login_attempts_total{outcome="failure"}`,
		`gqlauth_rate_limited_total{`,
		`gqlauth_refresh_reuse_detected_total`,
		`gqlauth_hash_queue_depth`,
		`gqlauth_http_requests_total{`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "scanner-probe") || strings.Contains(text, a.Email) {
		t.Errorf("/metrics holds a raw path or an email in its labels")
	}
}
