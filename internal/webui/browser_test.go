package webui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gqlauth/internal/webui"
	"gqlauth/internal/webui/webuitest"
)

// fakeGraphQL answers just enough of the contract for the Playground's
// token handling: login hands out tok123, me needs it, logout drops it.
type fakeGraphQL struct {
	mu    sync.Mutex
	auths []string // the Authorization header of each me and logout
}

var (
	loginRe  = regexp.MustCompile(`\blogin\b`)
	logoutRe = regexp.MustCompile(`\blogout\b`)
	meRe     = regexp.MustCompile(`\bme\b`)
)

func (f *fakeGraphQL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct{ Query string }
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	auth := r.Header.Get("Authorization")
	w.Header().Set("Content-Type", "application/json")
	unauthorized := `{"data":null,"errors":[{"message":"Could not validate credentials","extensions":{"code":"UNAUTHORIZED"}}]}`
	switch {
	case strings.Contains(req.Query, "__schema"):
		// GraphiQL's introspection: the fake has no schema to offer.
		w.Write([]byte(`{"errors":[{"message":"introspection is off in this fake"}]}`))
	case loginRe.MatchString(req.Query):
		w.Write([]byte(`{"data":{"login":{"accessToken":"tok123","refreshToken":"r","user":{"email":"a@b.c"}}}}`))
	case logoutRe.MatchString(req.Query), meRe.MatchString(req.Query):
		f.mu.Lock()
		f.auths = append(f.auths, auth)
		f.mu.Unlock()
		switch {
		case auth != "Bearer tok123":
			w.Write([]byte(unauthorized))
		case logoutRe.MatchString(req.Query):
			w.Write([]byte(`{"data":{"logout":true}}`))
		default:
			w.Write([]byte(`{"data":{"me":{"email":"a@b.c"}}}`))
		}
	default:
		w.Write([]byte(`{"errors":[{"message":"the fake does not know this operation"}]}`))
	}
}

func newServer(t *testing.T, gql http.Handler) *httptest.Server {
	mux := http.NewServeMux()
	webui.Register(mux, webui.Options{Playground: true, Docs: true})
	if gql != nil {
		mux.Handle("POST /graphql", gql)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// browse returns a tab bounded to a minute, recording what it does.
func browse(t *testing.T) (context.Context, *webuitest.Recorder) {
	ctx, cancel := context.WithTimeout(webuitest.NewBrowser(t), 60*time.Second)
	t.Cleanup(cancel)
	return ctx, webuitest.Record(t, ctx)
}

// checkClean fails the test on requests off origin, CSP violations and
// uncaught exceptions.
func checkClean(t *testing.T, rec *webuitest.Recorder, origin string) {
	t.Helper()
	if len(rec.URLs()) == 0 {
		t.Error("recorded no request at all: is the recorder working?")
	}
	for _, u := range rec.Foreign(origin) {
		t.Errorf("request left the origin %s: %s", origin, u)
	}
	for _, v := range rec.Violations() {
		t.Errorf("CSP violation: %s", v)
	}
	for _, e := range rec.Exceptions() {
		t.Errorf("uncaught exception: %s", e)
	}
}

func must(t *testing.T, step string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

const (
	queryEditor = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror`
	// responseText is the result pane's text, "" before the first result.
	responseText = `(document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() ?? '')`
)

// runOperation puts query into GraphiQL's editor, runs it and waits until
// the result pane contains want.
func runOperation(t *testing.T, ctx context.Context, query, want string) string {
	t.Helper()
	q, _ := json.Marshal(query)
	must(t, "editing the query", chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](queryEditor+`.setValue(`+string(q)+`)`),
		// GraphiQL parses the editor's text 100 ms after a change, and the
		// run button runs what it parsed last: wait for the parse of this
		// text, which GraphiQL keeps on the editor.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](queryEditor+`.documentAST?.loc?.source?.body === `+string(q),
				chromedp.WithPollingTimeout(5*time.Second))(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
	))
	wantJS, _ := json.Marshal(want)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](responseText+`.includes(`+string(wantJS)+`)`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](responseText))
		t.Fatalf("running %s: result pane never showed %q: %v\nresult pane: %s", query, want, err, got)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](responseText))
	must(t, "reading the result pane", err)
	return got
}

func authStatus(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("#auth-status")))
	must(t, "reading #auth-status", err)
	return s
}

func TestPlaygroundLoadsOffline(t *testing.T) {
	gql := &fakeGraphQL{}
	srv := newServer(t, gql)
	ctx, rec := browse(t)

	must(t, "loading the Playground", chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/playground"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
	))
	if s := authStatus(t, ctx); s != "Not signed in" {
		t.Errorf("#auth-status before login = %q", s)
	}
	defaultQuery, err := chromedp.Run(ctx, chromedp.Evaluate[string](queryEditor+`.getValue()`))
	must(t, "reading the default query", err)
	for _, op := range []string{"mutation Register", "mutation Login", "query Me", "mutation Refresh", "mutation Logout"} {
		if !strings.Contains(defaultQuery, op) {
			t.Errorf("default query lacks %q", op)
		}
	}

	runOperation(t, ctx, `mutation { login(input: {email: "a@b.c", password: "pw"}) { accessToken refreshToken user { email } } }`, "tok123")
	if s := authStatus(t, ctx); s != "Signed in as a@b.c" {
		t.Errorf("#auth-status after login = %q, want Signed in as a@b.c", s)
	}
	if got := runOperation(t, ctx, `{ me { email } }`, "a@b.c"); strings.Contains(got, "UNAUTHORIZED") {
		t.Errorf("me after login: %s", got)
	}
	if os.Getenv("WEBUI_SCREENSHOT") == "1" {
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		must(t, "taking the screenshot", err)
		out := filepath.Join("..", "..", "docs", "playground.png")
		must(t, "writing the screenshot", os.MkdirAll(filepath.Dir(out), 0o755))
		must(t, "writing the screenshot", os.WriteFile(out, shot, 0o644))
	}
	runOperation(t, ctx, `mutation { logout }`, "true")
	if s := authStatus(t, ctx); s != "Not signed in" {
		t.Errorf("#auth-status after logout = %q, want Not signed in", s)
	}
	runOperation(t, ctx, `{ me { email } }`, "UNAUTHORIZED")

	gql.mu.Lock()
	auths := slices.Clone(gql.auths)
	gql.mu.Unlock()
	if want := []string{"Bearer tok123", "Bearer tok123", ""}; !slices.Equal(auths, want) {
		t.Errorf("Authorization sent with me, logout, me = %q, want %q", auths, want)
	}
	checkClean(t, rec, srv.URL)
}

func TestDocsListsEveryRoute(t *testing.T) {
	srv := newServer(t, nil)
	ctx, rec := browse(t)

	must(t, "loading the docs", chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/docs"),
		chromedp.WaitVisible(chromedp.CSS(".opblock-summary-path")),
	))
	paths, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('.opblock-summary-path')].map(e => e.textContent.replace(/\u200b/g, '').trim())`))
	must(t, "reading the listed paths", err)
	for _, p := range []string{
		"/api/auth/register", "/api/auth/login/json", "/api/auth/login", "/api/auth/refresh",
		"/api/auth/me", "/api/auth/change-password", "/api/auth/logout", "/healthz", "/readyz",
	} {
		if !slices.Contains(paths, p) {
			t.Errorf("docs do not list %s; they list %q", p, paths)
		}
	}
	checkClean(t, rec, srv.URL)
}
