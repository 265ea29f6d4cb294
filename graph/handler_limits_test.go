package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gqlauth/graph"
)

// defaults are the limits the server starts with (internal/config).
var defaults = graph.Options{
	Introspection: true, MaxDepth: 16, MaxFields: 500, MaxComplexity: 1000,
	MaxIntrospectionCost: 100000, MaxTokens: 2000, MaxAuthFields: 5,
}

func doublingDoc(n int, typ, leaf, root string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fragment F0 on %s { %s }\n", typ, leaf)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d }\n", i, typ, i-1, i-1)
	}
	fmt.Fprintf(&b, root, n)
	return b.String()
}

// fanOut is aliased introspection: k aliases of fields on every type, each
// with nested aliased type references.
func fanOut(k int) string {
	var inner strings.Builder
	for i := 0; i < k; i++ {
		fmt.Fprintf(&inner, " t%d: type { name ofType { name } }", i)
	}
	var b strings.Builder
	b.WriteString("{ __schema { types {")
	for i := 0; i < k; i++ {
		fmt.Fprintf(&b, " f%d: fields { ...I }", i)
	}
	b.WriteString(" } } } fragment I on __Field {" + inner.String() + " }")
	return b.String()
}

// conflicts is n fields under one response key that cannot merge.
func conflicts(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			b.WriteString(" x: __typename")
		} else {
			b.WriteString(" x: me { id }")
		}
	}
	b.WriteString(" }")
	return b.String()
}

type answer struct {
	status int
	size   int
	took   time.Duration
	body   map[string]json.RawMessage
	raw    string
}

func ask(t *testing.T, h http.Handler, method, q string) answer {
	t.Helper()
	var req *http.Request
	if method == http.MethodGet {
		req = httptest.NewRequest(method, "/graphql?query="+url.QueryEscape(q), nil)
	} else {
		b, _ := json.Marshal(map[string]string{"query": q})
		req = httptest.NewRequest(method, "/graphql", strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	start := processCPU(t)
	h.ServeHTTP(rec, req)
	a := answer{status: rec.Code, size: rec.Body.Len(), took: processCPU(t) - start, raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
		t.Fatalf("answer is not JSON: %v: %.300s", err, rec.Body.String())
	}
	return a
}

// processCPU is the CPU time this process has used: the contract bounds a
// document's CPU, not its wall time, which a loaded machine stretches. The
// package's tests run one at a time, so the difference is the request's
// (and the garbage collector's work for it).
func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestDocumentLimits(t *testing.T) {
	intro, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	off := defaults
	off.Introspection = false
	for _, tc := range []struct {
		name    string
		opts    graph.Options
		q       string
		refused bool // no data entry
		code    string
	}{
		{"standard introspection", defaults, string(intro), false, ""},
		{"doubling on Query", defaults, doublingDoc(30, "Query", "__typename", "{ ...F%d }"), true, "QUERY_LIMIT_EXCEEDED"},
		{"doubling on __Schema", defaults, doublingDoc(30, "__Schema", "__typename", "{ __schema { ...F%d } }"), true, "QUERY_LIMIT_EXCEEDED"},
		{"doubling on __Schema, introspection off", off, doublingDoc(30, "__Schema", "__typename", "{ __schema { ...F%d } }"), true, "BAD_REQUEST"},
		{"doubling, unused", defaults, doublingDoc(30, "Query", "__typename", "{ __typename } # %d"), true, "QUERY_LIMIT_EXCEEDED"},
		{"introspection fan-out", defaults, fanOut(32), true, "QUERY_LIMIT_EXCEEDED"},
		{"introspection fan-out within the field limit", defaults, fanOut(10), true, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"conflicting aliases", defaults, conflicts(400), true, ""},
		{"conflicting aliases within the field limit", defaults, conflicts(330), true, ""},
		{"sessions aliased", defaults, `{ a: sessions { id userAgent } b: sessions { id userAgent } c: sessions { id userAgent } d: sessions { id } }`, true, "COMPLEXITY_LIMIT_EXCEEDED"},
	} {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			t.Run(tc.name+" "+method, func(t *testing.T) {
				h := graph.NewHandler(nil, tc.opts)
				a := ask(t, h, method, tc.q)
				t.Logf("status %d, %d bytes, %v CPU", a.status, a.size, a.took)
				if a.took > cpuAllowance*time.Second || a.size > 1<<20 { // the contract: 1 s of CPU, under 1 MiB
					t.Errorf("took %v of CPU for %d bytes", a.took, a.size)
				}
				_, hasData := a.body["data"]
				if hasData == tc.refused {
					t.Errorf("data entry %v, want %v: %.300s", hasData, !tc.refused, a.raw)
				}
				if tc.code != "" && !strings.Contains(string(a.body["errors"]), `"code":"`+tc.code+`"`) {
					t.Errorf("want code %s: %.300s", tc.code, a.raw)
				}
				var errs []any
				_ = json.Unmarshal(a.body["errors"], &errs)
				if len(errs) > graph.MaxErrors {
					t.Errorf("%d errors", len(errs))
				}
			})
		}
	}
}

// TestExamplesWithinLimits: every GraphQL example the project shows (the
// README's graphql blocks and gql '…' commands, the Playground's default
// document) passes the default limits and validates.
func TestExamplesWithinLimits(t *testing.T) {
	var docs []string
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The README's blocks are cheat sheets: one operation starts on each
	// line that begins with query or mutation.
	// Blocks of schema (type definitions) are not operations: an indented
	// line continues only an operation started in the same block.
	for _, part := range strings.Split(string(readme), "```graphql")[1:] {
		first := len(docs)
		for _, l := range strings.Split(strings.SplitN(part, "```", 2)[0], "\n") {
			switch {
			case strings.HasPrefix(l, "query"), strings.HasPrefix(l, "mutation"):
				docs = append(docs, l)
			case strings.HasPrefix(l, " ") && len(docs) > first:
				docs[len(docs)-1] += "\n" + l
			}
		}
	}
	// The runnable examples post documents with the shell function gql:
	// gql '<document>'.
	for _, m := range regexp.MustCompile(`(?m)gql '([^']+)'`).FindAllStringSubmatch(string(readme), -1) {
		docs = append(docs, m[1])
	}
	js, err := os.ReadFile("../internal/webui/assets/playground.js")
	if err != nil {
		t.Fatal(err)
	}
	block := strings.SplitN(strings.SplitN(string(js), "var DEFAULT_QUERY = [", 2)[1], "]", 2)[0]
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		l = strings.TrimSuffix(strings.TrimSpace(l), ",")
		if l == "" {
			continue
		}
		var s string
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("playground.js line %q: %v", l, err)
		}
		lines = append(lines, s)
	}
	docs = append(docs, strings.Join(lines, "\n"))
	if len(docs) < 2 {
		t.Fatalf("found %d examples", len(docs))
	}
	h := graph.NewHandler(nil, defaults)
	for i, d := range docs {
		a := ask(t, h, http.MethodPost, d)
		// Several operations without a name: gqlgen asks which one to run
		// only after the document passed the limits and validation.
		if a.status != http.StatusOK && !strings.Contains(a.raw, "operation  not found") {
			t.Errorf("example %d refused (%d): %s\n%s", i, a.status, a.raw, d)
		}
	}
}
