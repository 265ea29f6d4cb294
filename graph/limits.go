package graph

import (
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Limits bound a GraphQL document before anything else (validation
// included) looks at it. Zero disables a limit.
type Limits struct {
	// MaxDepth bounds the nesting of fields: `{ me { id } }` is 2 deep.
	MaxDepth int
	// MaxFields bounds the number of field selections with every fragment
	// spread replaced by its fragment, aliases and __typename included.
	MaxFields int
	// MaxCost bounds the largest number of values the data part of the
	// answer (everything outside __schema and __type) can hold: every
	// field is 1, and a list field multiplies its selection by its longest
	// length (sessions 100, users its limit argument, 50 by default).
	MaxCost int
	// MaxIntrospectionCost is MaxCost for the __schema and __type subtrees,
	// where a list weighs the longest such list in this schema (types,
	// fields of one type, arguments of one field, …).
	MaxIntrospectionCost int
}

// saturate is where the walk's counters stop growing: far above any limit,
// far below overflow.
const saturate = int64(1) << 50

func add(a, b int64) int64 { return min(a+b, saturate) }

func mul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > saturate/b {
		return saturate
	}
	return min(a*b, saturate)
}

// measure is what the walk finds in one selection set, fragments expanded.
type measure struct {
	depth  int64 // deepest field nesting
	fields int64 // field selections
	cost   int64 // values in the data part of the answer, at most
	icost  int64 // values under __schema and __type, at most
	intro  int64 // __schema and __type fields
	auth   int64 // login, register, refresh and changePassword fields on Mutation
}

func (m *measure) merge(o measure) {
	m.depth = max(m.depth, o.depth)
	m.fields = add(m.fields, o.fields)
	m.cost = add(m.cost, o.cost)
	m.icost = add(m.icost, o.icost)
	m.intro = add(m.intro, o.intro)
	m.auth = add(m.auth, o.auth)
}

// listSizes holds the longest length of each list field, keyed by
// "Type.field"; introspection lists take this schema's real maxima.
type listSizes map[string]int64

// maxSessions is the most active sessions a user has (auth's cap).
const maxSessions = 100

// newListSizes derives the longest introspection lists from schema.
func newListSizes(schema *ast.Schema) listSizes {
	var fields, args, enums, ifaces, possible, dirArgs, locs int
	for _, def := range schema.Types {
		fields = max(fields, len(def.Fields))
		enums = max(enums, len(def.EnumValues))
		ifaces = max(ifaces, len(def.Interfaces))
		possible = max(possible, len(schema.PossibleTypes[def.Name]))
		for _, f := range def.Fields {
			args = max(args, len(f.Arguments))
		}
	}
	for _, d := range schema.Directives {
		dirArgs = max(dirArgs, len(d.Arguments))
		locs = max(locs, len(d.Locations))
	}
	return listSizes{
		"__Schema.types":        int64(len(schema.Types)),
		"__Schema.directives":   int64(len(schema.Directives)),
		"__Type.fields":         int64(fields),
		"__Type.inputFields":    int64(fields),
		"__Type.interfaces":     int64(ifaces),
		"__Type.possibleTypes":  int64(possible),
		"__Type.enumValues":     int64(enums),
		"__Field.args":          int64(args),
		"__Directive.args":      int64(dirArgs),
		"__Directive.locations": int64(locs),
		"Query.sessions":        maxSessions,
	}
}

// fragState is a fragment's place in the walk.
type fragState struct {
	busy bool // being walked: a cycle, which validation reports
	done bool
	m    measure
}

// docWalker measures a document once, each fragment once: linear in the
// document however its fragments spread each other.
type docWalker struct {
	schema *ast.Schema
	sizes  listSizes
	frags  map[string]*ast.FragmentDefinition
	memo   map[string]*fragState
}

// measureDocument measures every operation and every fragment of doc and
// returns the measure of each operation (by index) and the largest one of
// all (operations and fragments), which bounds what validation walks.
func measureDocument(schema *ast.Schema, sizes listSizes, doc *ast.QueryDocument) (ops []measure, worst measure) {
	w := &docWalker{schema: schema, sizes: sizes, frags: map[string]*ast.FragmentDefinition{}, memo: map[string]*fragState{}}
	for _, f := range doc.Fragments {
		if _, dup := w.frags[f.Name]; !dup {
			w.frags[f.Name] = f
		}
	}
	worstOf := func(m measure) {
		worst.depth = max(worst.depth, m.depth)
		worst.fields = max(worst.fields, m.fields)
		worst.cost = max(worst.cost, m.cost)
		worst.icost = max(worst.icost, m.icost)
	}
	for _, f := range doc.Fragments {
		worstOf(w.fragment(f.Name))
	}
	for _, op := range doc.Operations {
		var root *ast.Definition
		switch op.Operation {
		case ast.Mutation:
			root = schema.Mutation
		case ast.Subscription:
			root = schema.Subscription
		default:
			root = schema.Query
		}
		m := w.set(op.SelectionSet, root)
		ops = append(ops, m)
		worstOf(m)
	}
	return ops, worst
}

func (w *docWalker) fragment(name string) measure {
	st := w.memo[name]
	if st == nil {
		st = &fragState{}
		w.memo[name] = st
	}
	if st.done || st.busy {
		return st.m // a cycle counts nothing more: validation refuses it
	}
	f := w.frags[name]
	if f == nil {
		st.done = true
		return st.m
	}
	st.busy = true
	st.m = w.set(f.SelectionSet, w.schema.Types[f.TypeCondition])
	st.busy, st.done = false, true
	return st.m
}

// set measures one selection set whose fields belong to parent (nil when
// unknown: validation will refuse the document, the walk still bounds it).
func (w *docWalker) set(set ast.SelectionSet, parent *ast.Definition) measure {
	var m measure
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			m.merge(w.field(s, parent))
		case *ast.InlineFragment:
			t := parent
			if s.TypeCondition != "" {
				t = w.schema.Types[s.TypeCondition]
			}
			m.merge(w.set(s.SelectionSet, t))
		case *ast.FragmentSpread:
			m.merge(w.fragment(s.Name))
		}
	}
	return m
}

func (w *docWalker) field(f *ast.Field, parent *ast.Definition) measure {
	var typ *ast.Type
	parentName := ""
	if parent != nil {
		parentName = parent.Name
		if fd := parent.Fields.ForName(f.Name); fd != nil {
			typ = fd.Type
		}
	}
	switch f.Name {
	case "__schema":
		typ = ast.NonNullNamedType("__Schema", nil)
	case "__type":
		typ = ast.NamedType("__Type", nil)
	}
	var child *ast.Definition
	if typ != nil {
		child = w.schema.Types[typ.Name()]
	}
	sub := w.set(f.SelectionSet, child)
	intro := strings.HasPrefix(parentName, "__") || f.Name == "__schema" || f.Name == "__type"
	n := int64(1)
	if typ != nil && isList(typ) {
		n = w.listSize(parentName, f)
	}
	m := measure{
		depth:  sub.depth + 1,
		fields: add(sub.fields, 1),
		intro:  sub.intro,
		auth:   sub.auth,
	}
	if intro {
		// Everything below an introspection field is introspection.
		m.icost = mul(n, add(add(sub.cost, sub.icost), 1))
	} else {
		m.cost = mul(n, add(sub.cost, 1))
		m.icost = mul(n, sub.icost)
	}
	if f.Name == "__schema" || f.Name == "__type" {
		m.intro = add(m.intro, 1)
	}
	if parent != nil && parent == w.schema.Mutation && sensitiveFields[f.Name] {
		m.auth = add(m.auth, 1)
	}
	return m
}

func isList(t *ast.Type) bool {
	for ; t != nil; t = t.Elem {
		if t.NamedType == "" {
			return true
		}
	}
	return false
}

// listSize is the longest length the list field f of parent can have.
func (w *docWalker) listSize(parent string, f *ast.Field) int64 {
	if parent == "Query" && f.Name == "users" {
		n := int64(50) // the schema's default
		if a := f.Arguments.ForName("limit"); a != nil {
			n = 100 // a variable: the service takes at most 100
			if a.Value != nil && a.Value.Kind == ast.IntValue {
				// A literal weighs what it asks, even past what the
				// service would take.
				if v, err := strconv.ParseInt(a.Value.Raw, 10, 64); err != nil {
					n = saturate
				} else if v >= 1 {
					n = min(v, saturate)
				}
			}
		}
		return n
	}
	if n, ok := w.sizes[parent+"."+f.Name]; ok {
		return n
	}
	return 100
}
