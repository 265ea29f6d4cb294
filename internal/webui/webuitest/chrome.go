// Package webuitest starts headless Chromium for tests of the browser pages
// and records what a page does: every request it sends, and every
// Content-Security-Policy violation and uncaught exception it meets. It is
// for tests only.
package webuitest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Hint is what a test says when it finds no browser.
const Hint = "chromium not found: apt-get install chromium"

// ExecPath returns the Chromium to run: $CHROME_PATH if set, else chromium
// on PATH, else Debian's /usr/bin/chromium; "" when there is none.
func ExecPath() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// NewBrowser starts a headless Chromium with a fresh profile and returns the
// chromedp context of its first tab; the browser stops when the test ends.
// With no Chromium the test is skipped, except under CI=true, where it fails
// so that a missing browser cannot pass for a green run.
//
// The browser lives as long as the test, so bound the test's own steps with
// a context derived from the one returned:
//
//	ctx, cancel := context.WithTimeout(webuitest.NewBrowser(t), time.Minute)
//	defer cancel()
func NewBrowser(t testing.TB) context.Context {
	t.Helper()
	path := ExecPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(Hint)
		}
		t.Skip(Hint)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container has no usable sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.WindowSize(1280, 800),
		// Keep the browser from calling home, so that the requests a test
		// sees are the page's own.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-proxy-server", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	// Cleanups run last-in first-out: the browser stops (cancelAlloc waits
	// for the process) before t.TempDir removes its profile.
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancelTab)
	// The first action starts the browser; it must not run under a timeout,
	// which would end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// Recorder holds what a tab did since Record.
type Recorder struct {
	mu         sync.Mutex
	urls       []string
	violations []string
	exceptions []string
}

// Record starts recording the requests, CSP violations and uncaught
// exceptions of the tab of ctx. Call it before the navigation.
func Record(t testing.TB, ctx context.Context) *Recorder {
	t.Helper()
	r := &Recorder{}
	err := chromedp.Listen(ctx, func(ev any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			r.urls = append(r.urls, ev.Request.URL)
		case *log.EventEntryAdded:
			if strings.Contains(ev.Entry.Text, "Content Security Policy") {
				r.violations = append(r.violations, ev.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			r.exceptions = append(r.exceptions, text)
		}
	})
	if err != nil {
		t.Fatalf("listening to the tab: %v", err)
	}
	return r
}

// URLs returns the URL of every request, in order.
func (r *Recorder) URLs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.urls...)
}

// Foreign returns the requested URLs that are not on origin (such as
// "http://127.0.0.1:8080"); data: URLs never leave the page and pass.
func (r *Recorder) Foreign(origin string) []string {
	var out []string
	for _, u := range r.URLs() {
		if strings.HasPrefix(u, "data:") || u == origin ||
			strings.HasPrefix(u, origin+"/") || strings.HasPrefix(u, "blob:"+origin+"/") {
			continue
		}
		out = append(out, u)
	}
	return out
}

// Violations returns the browser's Content-Security-Policy messages.
func (r *Recorder) Violations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.violations...)
}

// Exceptions returns the uncaught exceptions of the page's scripts.
func (r *Recorder) Exceptions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.exceptions...)
}
