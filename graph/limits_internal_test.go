package graph

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func measureQuery(t *testing.T, q string) measure {
	t.Helper()
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	_, worst := measureDocument(schema, newListSizes(schema), doc)
	return worst
}

// doubling is n fragments on typ, each spreading the previous one twice.
func doubling(n int, typ, leaf, root string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fragment F0 on %s { %s }\n", typ, leaf)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d }\n", i, typ, i-1, i-1)
	}
	fmt.Fprintf(&b, root, n)
	return b.String()
}

func TestMeasure(t *testing.T) {
	intro, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		q      string
		depth  int64
		fields int64
		cost   int64
	}{
		{"me", `{ me { id name } }`, 2, 3, 3},
		{"sessions weigh 100", `{ sessions { id current } }`, 2, 3, 300},
		{"users limit", `{ users(limit: 10) { id } }`, 2, 2, 20},
		{"users default", `{ users { id } }`, 2, 2, 100},
		{"users variable", `query($n: Int) { users(limit: $n) { id } }`, 2, 2, 200},
		{"aliases count", `{ a: me { id } b: me { id } }`, 2, 4, 4},
		{"fragments expanded", `{ ...F ...F } fragment F on Query { me { id } }`, 2, 4, 4},
		{"cycle bounded", `{ ...A } fragment A on Query { ...B me { id } } fragment B on Query { ...A }`, 2, 2, 2},
		{"doubling", doubling(60, "Query", "__typename", "{ ...F%d }"), 1, saturate, saturate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			m := measureQuery(t, tc.q)
			if m.depth != tc.depth || m.fields != tc.fields || m.cost != tc.cost {
				t.Errorf("depth %d fields %d cost %d, want %d %d %d", m.depth, m.fields, m.cost, tc.depth, tc.fields, tc.cost)
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("took %v", d)
			}
		})
	}
	m := measureQuery(t, string(intro))
	t.Logf("standard introspection: depth %d fields %d icost %d", m.depth, m.fields, m.icost)
}
