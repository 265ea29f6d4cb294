package webuitest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// These helpers drive the Playground (GraphiQL 3, whose editors are
// CodeMirror 5 instances) in a tab from NewBrowser.

const (
	queryEditor = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror`
	// The editor tools hold the variables editor, then the headers editor.
	headersEditor = `document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[1].CodeMirror`
	// responseText is the result pane's text, "" before the first result.
	responseText = `(document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() ?? '')`
)

func must(t testing.TB, step string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// LoadPlayground opens baseURL+"/playground" and waits until GraphiQL can
// run an operation.
func LoadPlayground(t testing.TB, ctx context.Context, baseURL string) {
	t.Helper()
	must(t, "loading the Playground", chromedp.Do(ctx,
		chromedp.Navigate(baseURL+"/playground"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
	))
}

// Query returns the text of the query editor.
func Query(t testing.TB, ctx context.Context) string {
	t.Helper()
	q, err := chromedp.Run(ctx, chromedp.Evaluate[string](queryEditor+`.getValue()`))
	must(t, "reading the query editor", err)
	return q
}

// SetHeaders types headers (JSON, or "" for none) into the headers editor.
func SetHeaders(t testing.TB, ctx context.Context, headers string) {
	t.Helper()
	must(t, "typing headers", chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](headersEditor+`.setValue(`+jsString(headers)+`)`)))
}

// RunOperation puts query into the editor, runs it, and waits until the
// result pane contains want; it returns the result pane's text. Each call
// must expect a result that differs from the one on screen, or it cannot
// tell the new result from the old.
func RunOperation(t testing.TB, ctx context.Context, query, want string) string {
	t.Helper()
	q := jsString(query)
	must(t, "editing the query", chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](queryEditor+`.setValue(`+q+`)`)))
	// GraphiQL parses the editor's text 100 ms after a change, and the run
	// button runs what it parsed last: wait for the parse of this text,
	// which GraphiQL keeps on the editor.
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](queryEditor+`.documentAST?.loc?.source?.body === `+q,
		chromedp.WithPollingTimeout(5*time.Second)))
	must(t, "waiting for GraphiQL to parse the query", err)
	must(t, "running the query", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))))

	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](responseText+`.includes(`+jsString(want)+`)`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](responseText))
		t.Fatalf("running %s: the result pane never showed %q: %v\nresult pane: %s", query, want, err, got)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](responseText))
	must(t, "reading the result pane", err)
	return got
}

// AuthStatus returns the text of the Playground's #auth-status, such as
// "Signed in as a@b.c" or "Not signed in".
func AuthStatus(t testing.TB, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("#auth-status")))
	must(t, "reading #auth-status", err)
	return s
}

// Check fails t for each request that left origin, each CSP violation and
// each uncaught exception recorded so far.
func (r *Recorder) Check(t testing.TB, origin string) {
	t.Helper()
	if len(r.URLs()) == 0 {
		t.Error("recorded no request at all: is the recorder listening?")
	}
	for _, u := range r.Foreign(origin) {
		t.Errorf("request left the origin %s: %s", origin, u)
	}
	for _, v := range r.Violations() {
		t.Errorf("CSP violation: %s", v)
	}
	for _, e := range r.Exceptions() {
		t.Errorf("uncaught exception: %s", e)
	}
}
