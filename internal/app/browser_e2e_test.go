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
