package app_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gqlauth/internal/webui/webuitest"
)

// TestPlaygroundInBrowser drives the real Playground of a server started
// through app.Run: login by typing and pressing run, then `me` without
// touching the headers, then logout, then `me` is UNAUTHORIZED — and no
// request leaves the server's origin. WEBUI_SCREENSHOT=1 also writes
// docs/playground.png for the README.
func TestPlaygroundInBrowser(t *testing.T) {
	s := startServer(t, nil)
	a := s.register(t)
	ctx := webuitest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	rec := webuitest.Record(t, ctx)

	webuitest.LoadPlayground(t, ctx, s.URL)
	if got := webuitest.AuthStatus(t, ctx); !strings.Contains(got, "Not signed in") {
		t.Fatalf("status before login: %q", got)
	}
	login := `mutation Login { login(input: {email: "` + a.Email + `", password: "` + a.Password + `"}) { accessToken user { email } } }`
	webuitest.RunOperation(t, ctx, login, "accessToken")
	if got := webuitest.AuthStatus(t, ctx); !strings.Contains(got, a.Email) {
		t.Fatalf("status after login: %q", got)
	}
	out := webuitest.RunOperation(t, ctx, `query Me { me { id email } }`, `"email": "`+a.Email+`"`)
	if strings.Contains(out, "UNAUTHORIZED") {
		t.Fatalf("me after login: %s", out)
	}
	if os.Getenv("WEBUI_SCREENSHOT") == "1" {
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		_, file, _, _ := runtime.Caller(0)
		dst := filepath.Join(filepath.Dir(file), "..", "..", "docs", "playground.png")
		if err := os.WriteFile(dst, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	webuitest.RunOperation(t, ctx, `mutation Logout { logout }`, `"logout": true`)
	if got := webuitest.AuthStatus(t, ctx); !strings.Contains(got, "Not signed in") {
		t.Fatalf("status after logout: %q", got)
	}
	webuitest.RunOperation(t, ctx, `query Me { me { id email } }`, "UNAUTHORIZED")
	rec.Check(t, s.URL)
}

// TestDocsInBrowser opens Swagger UI and finds every shim route listed.
func TestDocsInBrowser(t *testing.T) {
	s := startServer(t, nil)
	ctx := webuitest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	rec := webuitest.Record(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/docs"),
		chromedp.WaitVisible(chromedp.CSS(".opblock-summary-path")),
	); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"/api/auth/register", "/api/auth/login/json", "/api/auth/login", "/api/auth/refresh", "/api/auth/me", "/api/auth/change-password", "/api/auth/logout"} {
		if !strings.Contains(text, route) {
			t.Errorf("/docs does not list %s", route)
		}
	}
	rec.Check(t, s.URL)
}

// TestPlaygroundSchemaInBrowser opens the Playground of a real server with
// the default limits, as a new user would: GraphiQL's own introspection
// query loads the schema, so no error shows, the Docs panel lists `User`
// and its fields, and autocomplete offers `me`. WEBUI_SCREENSHOT=1 also
// writes docs/playground.png (signed in, `me` answered, Docs on User).
func TestPlaygroundSchemaInBrowser(t *testing.T) {
	s := startServer(t, nil)
	a := s.register(t)
	ctx := webuitest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	rec := webuitest.Record(t, ctx)
	webuitest.LoadPlayground(t, ctx, s.URL)

	const docs = `document.querySelector('.graphiql-doc-explorer')`
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-doc-explorer`)),
	); err != nil {
		t.Fatalf("opening the Docs panel: %v", err)
	}
	// The panel shows the root types once the schema has loaded, or
	// "Error fetching schema".
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](docs+`?.innerText.includes('Query') || `+docs+`?.innerText.includes('Error')`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the Docs panel never showed the schema: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](docs+`.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "Error") || !strings.Contains(text, "All Schema Types") {
		t.Fatalf("the Docs panel on first open: %s", text)
	}
	// Nothing in the result pane: the schema fetch did not put an error there.
	if out, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() ?? '')`)); strings.TrimSpace(out) != "" {
		t.Fatalf("the result pane on first open: %s", out)
	}

	// Autocomplete in the query editor knows `me`.
	const editor = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror`
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](
		`(() => { const cm = `+editor+`; cm.setValue('{ m'); cm.focus(); cm.setCursor({line: 0, ch: 3}); cm.showHint({completeSingle: false}); })()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.querySelectorAll('.CodeMirror-hint')].some(e => e.textContent.trim().startsWith('me'))`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		hints, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.CodeMirror-hint')].map(e => e.textContent).join(', ')`))
		t.Fatalf("autocomplete does not offer me: %v (hints: %q)", err, hints)
	}
	_ = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](editor+`.closeHint?.()`))

	// Docs: User and its fields.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](
		`[...document.querySelectorAll('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name')].find(e => e.textContent === 'User').click()`)); err != nil {
		t.Fatalf("opening User in the Docs panel: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](docs+`.innerText.includes('isActive')`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](docs+`.innerText`))
		t.Fatalf("the Docs panel does not show User's fields: %v\n%s", err, text)
	}
	text, _ = chromedp.Run(ctx, chromedp.Evaluate[string](docs+`.innerText`))
	for _, f := range []string{"id", "name", "email", "role", "isActive", "createdAt", "updatedAt"} {
		if !strings.Contains(text, f) {
			t.Errorf("the Docs panel for User lacks %s: %s", f, text)
		}
	}

	if os.Getenv("WEBUI_SCREENSHOT") == "1" {
		login := `mutation Login { login(input: {email: "` + a.Email + `", password: "` + a.Password + `"}) { accessToken user { email } } }`
		webuitest.RunOperation(t, ctx, login, "accessToken")
		webuitest.RunOperation(t, ctx, "query Me {\n  me {\n    id\n    name\n    email\n    role\n  }\n}", `"email": "`+a.Email+`"`)
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		_, file, _, _ := runtime.Caller(0)
		dst := filepath.Join(filepath.Dir(file), "..", "..", "docs", "playground.png")
		if err := os.WriteFile(dst, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec.Check(t, s.URL)
}
