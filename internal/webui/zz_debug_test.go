package webui_test

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestDebugPlayground(t *testing.T) {
	gql := &fakeGraphQL{}
	srv := newServer(t, gql)
	ctx, rec := browse(t)
	must(t, "load", chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/playground"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button"))))
	btns, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('button')].map(b => b.className + '|' + (b.getAttribute('aria-label')||b.textContent))`))
	t.Logf("buttons: %q", btns)
	must(t, "settings", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[aria-label="Open settings dialog"]`)), chromedp.Sleep(500*time.Millisecond)))
	styles, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('style')].map(s => s.textContent)`))
	for _, st := range styles { t.Logf("STYLE %q", st) }
	shot, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	os.WriteFile("/tmp/dbg.png", shot, 0o644)
	must(t, "esc", chromedp.Do(ctx, chromedp.KeyEvent("\x1b"), chromedp.Sleep(300*time.Millisecond)))
	chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)), chromedp.Sleep(300*time.Millisecond))
	chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[aria-label="Show History"]`)), chromedp.Sleep(300*time.Millisecond))
	chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[aria-label="Open short keys dialog"]`)), chromedp.Sleep(300*time.Millisecond))
	t.Logf("viol=%v exc=%v", rec.Violations(), rec.Exceptions())
}
