package app_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gqlauth/internal/mail/mailtest"
	"gqlauth/internal/webui/webuitest"
)

// TestResetAndVerifyPagesInBrowser opens the links of captured emails in
// Chromium: the verify page verifies; the reset page shows policy errors
// inline, then sets the new password, which then logs in. No request leaves
// the origin, and the CSP (the Playground's) is not violated.
func TestResetAndVerifyPagesInBrowser(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, nil))
	a := s.register(t)
	verifyLink, _ := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/verify-email")
	expect(t, s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email}), http.StatusOK, "")
	resetLink, _ := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/reset-password")

	ctx := webuitest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	rec := webuitest.Record(t, ctx)

	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	// until waits for a JavaScript condition, then returns the text of sel.
	until := func(step, cond, sel string) string {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconvQuote(sel)+`).textContent`))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return text
	}
	do("open the verify link", chromedp.Navigate(verifyLink))
	text := until("verify result", `document.querySelector("#result.ok, #result.fail") !== null`, "#result")
	if !strings.Contains(text, "verified") {
		t.Fatalf("verify page says %q", text)
	}
	if me := s.request(http.MethodGet, "/api/auth/me", nil, bearer(a.Access)); me.Get("email_verified") != true {
		t.Fatalf("not verified after the page: %s", me.Raw)
	}

	do("open the reset link", chromedp.Navigate(resetLink), chromedp.WaitVisible(chromedp.CSS("#new-password")))
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(location, "token=") {
		t.Errorf("the token stays in the address bar: %s", location)
	}
	submit := func(pw, again string) {
		t.Helper()
		do("type "+pw,
			chromedp.Evaluate[chromedp.Void](`document.getElementById("new-password").value = ""; document.getElementById("confirm-password").value = ""`),
			chromedp.SendKeys(chromedp.CSS("#new-password"), pw),
			chromedp.SendKeys(chromedp.CSS("#confirm-password"), again),
			chromedp.Click(chromedp.CSS("#reset-submit")))
	}
	submit("brandNewSecret42", "brandNewSecret43")
	if text := until("mismatch", `document.querySelector("#password-errors li") !== null`, "#password-errors"); !strings.Contains(text, "do not match") {
		t.Fatalf("mismatch error %q", text)
	}
	submit("password", "password")
	until("policy error", `document.getElementById("password-errors").textContent.includes("common")`, "#password-errors")
	submit("brandNewSecret42", "brandNewSecret42")
	if text := until("done", `document.querySelector("#result.ok, #result.fail") !== null`, "#result"); !strings.Contains(text, "changed") {
		t.Fatalf("reset page says %q", text)
	}
	a.Password = "brandNewSecret42"
	s.login(t, a)
	if s.meStatus(a.Access) != http.StatusUnauthorized {
		t.Fatal("the old session survived the reset")
	}
	rec.Check(t, s.URL)
}

func strconvQuote(s string) string { return strconv.Quote(s) }
