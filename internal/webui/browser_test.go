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
// token handling: login hands out tok123 with refresh token r, refresh
// trades r for tok456, me needs a live token, and logout ends the session
// of its token unless its scope is OTHERS.
type fakeGraphQL struct {
	mu    sync.Mutex
	auths []string        // the Authorization header of each me and logout
	dead  map[string]bool // tokens that a logout ended
}

func newFakeGraphQL() *fakeGraphQL { return &fakeGraphQL{dead: map[string]bool{}} }

var (
	loginRe   = regexp.MustCompile(`\blogin\b`)
	refreshRe = regexp.MustCompile(`\brefresh\b`)
	logoutRe  = regexp.MustCompile(`\blogout\b`)
	meRe      = regexp.MustCompile(`\bme\b`)
	emails    = map[string]string{"tok123": "a@b.c", "tok456": "a@b.c", "other": "o@x.y"}
)

func (f *fakeGraphQL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query     string
		Variables map[string]any
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	answer := func(v string) { w.Write([]byte(v)) }
	const unauthorized = `{"data":null,"errors":[{"message":"Could not validate credentials","extensions":{"code":"UNAUTHORIZED"}}]}`

	f.mu.Lock()
	defer f.mu.Unlock()
	auth := r.Header.Get("Authorization")
	token := strings.TrimPrefix(auth, "Bearer ")
	email, live := emails[token]
	live = live && !f.dead[token]
	switch q := req.Query; {
	case strings.Contains(q, "__schema"):
		// GraphiQL's introspection: the fake has no schema to offer.
		answer(`{"errors":[{"message":"introspection is off in this fake"}]}`)
	case loginRe.MatchString(q):
		answer(`{"data":{"login":{"accessToken":"tok123","refreshToken":"r","user":{"email":"a@b.c"}}}}`)
	case refreshRe.MatchString(q):
		if req.Variables["refreshToken"] != "r" {
			answer(unauthorized)
			return
		}
		answer(`{"data":{"refresh":{"accessToken":"tok456","refreshToken":"r2"}}}`)
	case logoutRe.MatchString(q), meRe.MatchString(q):
		f.auths = append(f.auths, auth)
		switch {
		case !live:
			answer(unauthorized)
		case logoutRe.MatchString(q):
			if !strings.Contains(q, "OTHERS") {
				f.dead[token] = true
			}
			answer(`{"data":{"logout":true}}`)
		default:
			answer(`{"data":{"me":{"email":"` + email + `"}}}`)
		}
	default:
		answer(`{"errors":[{"message":"the fake does not know this operation"}]}`)
	}
}

// sentAuthorizations returns the Authorization header of each me and logout
// so far.
func (f *fakeGraphQL) sentAuthorizations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.auths)
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

func must(t *testing.T, step string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

func TestPlaygroundLoadsOffline(t *testing.T) {
	gql := newFakeGraphQL()
	srv := newServer(t, gql)
	ctx, rec := browse(t)

	webuitest.LoadPlayground(t, ctx, srv.URL)
	if s := webuitest.AuthStatus(t, ctx); s != "Not signed in" {
		t.Errorf("#auth-status before login = %q", s)
	}
	defaultQuery := webuitest.Query(t, ctx)
	for _, op := range []string{"mutation Register", "mutation Login", "query Me", "mutation Refresh", "mutation Logout"} {
		if !strings.Contains(defaultQuery, op) {
			t.Errorf("default query lacks %q", op)
		}
	}

	webuitest.RunOperation(t, ctx, `mutation { login(input: {email: "a@b.c", password: "pw"}) { accessToken refreshToken user { email } } }`, "tok123")
	if s := webuitest.AuthStatus(t, ctx); s != "Signed in as a@b.c" {
		t.Errorf("#auth-status after login = %q, want Signed in as a@b.c", s)
	}
	if got := webuitest.RunOperation(t, ctx, `{ me { email } }`, "a@b.c"); strings.Contains(got, "UNAUTHORIZED") {
		t.Errorf("me after login: %s", got)
	}
	if os.Getenv("WEBUI_SCREENSHOT") == "1" {
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		must(t, "taking the screenshot", err)
		out := filepath.Join("..", "..", "docs", "playground.png")
		must(t, "writing the screenshot", os.MkdirAll(filepath.Dir(out), 0o755))
		must(t, "writing the screenshot", os.WriteFile(out, shot, 0o644))
	}
	// GraphiQL's dialogs insert a <style> that the CSP must admit by hash.
	must(t, "opening and closing the settings dialog", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[aria-label="Open settings dialog"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role="dialog"]`)),
		chromedp.KeyEvent("\x1b"), // Escape
		chromedp.WaitNotPresent(chromedp.CSS(`[role="dialog"]`)),
	))
	webuitest.RunOperation(t, ctx, `mutation { logout }`, "true")
	if s := webuitest.AuthStatus(t, ctx); s != "Not signed in" {
		t.Errorf("#auth-status after logout = %q, want Not signed in", s)
	}
	webuitest.RunOperation(t, ctx, `{ me { email } }`, "UNAUTHORIZED")

	if auths, want := gql.sentAuthorizations(), []string{"Bearer tok123", "Bearer tok123", ""}; !slices.Equal(auths, want) {
		t.Errorf("Authorization sent with me, logout, me = %q, want %q", auths, want)
	}
	rec.Check(t, srv.URL)
}

// TestPlaygroundTokenHandling covers the fetcher's finer rules: aliases,
// the kept refresh token, a typed Authorization header, logout scopes.
func TestPlaygroundTokenHandling(t *testing.T) {
	gql := newFakeGraphQL()
	srv := newServer(t, gql)
	ctx, rec := browse(t)
	webuitest.LoadPlayground(t, ctx, srv.URL)
	wantStatus := func(step, want string) {
		t.Helper()
		if s := webuitest.AuthStatus(t, ctx); s != want {
			t.Errorf("#auth-status after %s = %q, want %q", step, s, want)
		}
	}

	webuitest.RunOperation(t, ctx, `mutation { session: login(input: {email: "a@b.c", password: "pw"}) { accessToken refreshToken user { email } } }`, "tok123")
	wantStatus("an aliased login", "Signed in as a@b.c")
	refreshShown, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("#auth-refresh-token")))
	must(t, "reading the refresh token", err)
	if refreshShown != "r" {
		t.Errorf("refresh token shown = %q, want r", refreshShown)
	}

	// No variables typed: the kept refresh token fills $refreshToken.
	webuitest.RunOperation(t, ctx, `mutation Refresh($refreshToken: String!) { refresh(refreshToken: $refreshToken) { accessToken refreshToken } }`, "tok456")
	wantStatus("a refresh without user", "Signed in as a@b.c")

	// A typed Authorization wins, and the answer about that other token
	// changes nothing about the kept session.
	webuitest.SetHeaders(t, ctx, `{"authorization": "Bearer other"}`)
	webuitest.RunOperation(t, ctx, `{ me { email } }`, "o@x.y")
	wantStatus("me with a typed token", "Signed in as a@b.c")
	webuitest.SetHeaders(t, ctx, "")

	webuitest.RunOperation(t, ctx, `mutation { logout(scope: OTHERS) }`, "true")
	wantStatus("logout of the other sessions", "Signed in as a@b.c")
	webuitest.RunOperation(t, ctx, `mutation { logout(scope: GLOBAL) }`, "true")
	wantStatus("a global logout", "Not signed in")

	want := []string{"Bearer other", "Bearer tok456", "Bearer tok456"}
	if got := gql.sentAuthorizations(); !slices.Equal(got, want) {
		t.Errorf("Authorization sent with me, logout, logout = %q, want %q", got, want)
	}
	rec.Check(t, srv.URL)
}

func TestDocsListsEveryRoute(t *testing.T) {
	srv := newServer(t, nil)
	ctx, rec := browse(t)

	must(t, "loading the docs", chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/docs"),
		chromedp.WaitVisible(chromedp.CSS(".opblock-summary-path")),
	))
	// Open an operation and the Authorize dialog, so that the CSP meets
	// more of Swagger UI than its first screen.
	must(t, "opening an operation and the Authorize dialog", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#operations-auth-me .opblock-summary-control`)),
		chromedp.WaitVisible(chromedp.CSS(`#operations-auth-me .responses-wrapper`)),
		chromedp.Click(chromedp.CSS(`.auth-wrapper .authorize`)),
		chromedp.WaitVisible(chromedp.CSS(`.modal-ux`)),
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
	rec.Check(t, srv.URL)
}
