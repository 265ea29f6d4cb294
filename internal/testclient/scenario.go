package testclient

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Scenario is one request to a handler and what its answer must hold: a
// row of the handler tests' tables, after PocketBase's tests.ApiScenario.
type Scenario struct {
	Name    string
	Method  string
	URL     string
	Body    any      // as Client.Send; Run replaces the scenario's {vars} in it
	Headers []string // "Name: value"; Run replaces {vars}
	// Before, when set, runs before the request (failed logins that lock
	// the scenario's email); its events are not counted.
	Before func(t *testing.T, c *Client, vars map[string]string)

	Status      int
	Code        string   // the envelope's error.code, when set
	Contains    []string // substrings the body must hold
	NotContains []string // substrings it must not
	WantHeaders []string // "Name: value" the answer carries; "Name:" alone: present
	Events      []string // the security events logged by the request, in order
}

// Setup builds the handler a table's scenarios share, logging to log, and
// returns it with fresh, which gives each scenario the {vars} its URL,
// headers and body may name: a user of its own and its tokens, so that no
// scenario sees another's state.
type Setup func(t *testing.T, log *slog.Logger) (h http.Handler, fresh func(t *testing.T) map[string]string)

// Run runs each scenario, in order, as a subtest against the handler of
// setup served by httptest.
func Run(t *testing.T, setup Setup, scenarios []Scenario) {
	t.Helper()
	events := &Events{}
	h, fresh := setup(t, slog.New(events))
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := New(srv.URL, nil)
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			vars := fresh(t)
			if sc.Before != nil {
				sc.Before(t, c, vars)
			}
			events.Take()

			var pairs []string
			for k, v := range vars {
				pairs = append(pairs, "{"+k+"}", v)
			}
			rep := strings.NewReplacer(pairs...)
			body := sc.Body
			switch b := body.(type) {
			case nil:
			case string:
				body = rep.Replace(b)
			default:
				j, err := json.Marshal(b)
				if err != nil {
					t.Fatal(err)
				}
				body = rep.Replace(string(j))
			}
			headers := make([]string, len(sc.Headers))
			for i, h := range sc.Headers {
				headers[i] = rep.Replace(h)
			}
			r := c.Do(t, sc.Method, rep.Replace(sc.URL), body, headers...)

			Expect(t, r, sc.Status, sc.Code)
			for _, s := range sc.Contains {
				if s = rep.Replace(s); !strings.Contains(string(r.Raw), s) {
					t.Errorf("body lacks %q: %s", s, Clip(r.Raw))
				}
			}
			for _, s := range sc.NotContains {
				if s = rep.Replace(s); strings.Contains(string(r.Raw), s) {
					t.Errorf("body holds %q: %s", s, Clip(r.Raw))
				}
			}
			for _, h := range sc.WantHeaders {
				name, want, _ := strings.Cut(h, ":")
				want = strings.TrimSpace(want)
				got := r.Header.Get(name)
				if got == "" || (want != "" && got != want) {
					t.Errorf("header %s = %q, want %q", name, got, cmpOr(want, "present"))
				}
			}
			if got := events.Take(); !slices.Equal(got, sc.Events) {
				t.Errorf("events %q, want %q", got, sc.Events)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Events is a slog.Handler that keeps the "event" attribute of every record
// (the auth service's security events) and drops the rest.
type Events struct {
	mu    sync.Mutex
	names []string
}

// Take returns the events recorded since the last Take.
func (e *Events) Take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.names
	e.names = nil
	return out
}

func (e *Events) Enabled(context.Context, slog.Level) bool { return true }

func (e *Events) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "event" {
			return true
		}
		e.mu.Lock()
		e.names = append(e.names, a.Value.String())
		e.mu.Unlock()
		return false
	})
	return nil
}

func (e *Events) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *Events) WithGroup(string) slog.Handler      { return e }
