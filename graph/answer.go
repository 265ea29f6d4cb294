package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"gqlauth/internal/auth"
)

// documentLimit measures every document before gqlgen validates it (see
// Limits), refuses introspection when it is off and too many sensitive
// fields, and bounds each answer: its data size and its error count.
type documentLimit struct {
	schema        *ast.Schema
	sizes         listSizes
	limits        Limits
	maxTokens     int
	maxAuth       int
	introspection bool
	maxBytes      int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = (*documentLimit)(nil)

func (*documentLimit) ExtensionName() string                   { return "DocumentLimit" }
func (*documentLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters runs before gqlgen parses (or finds in its
// cache) and validates the document. A document that does not parse is
// left to gqlgen, which reports the same parse error.
func (l *documentLimit) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.maxTokens)
	if err != nil || doc == nil {
		return nil
	}
	ops, worst := measureDocument(l.schema, l.sizes, doc)
	if op := doc.Operations.ForName(p.OperationName); op != nil {
		m := ops[indexOf(doc.Operations, op)]
		if !l.introspection && m.intro > 0 {
			return &gqlerror.Error{Message: "Introspection is disabled", Extensions: map[string]any{"code": string(auth.CodeBadRequest)}}
		}
		if l.maxAuth > 0 && op.Operation == ast.Mutation && m.auth > int64(l.maxAuth) {
			return limitError(fmt.Sprintf("operation has %s login, register, refresh or changePassword fields, the limit is %d", count(m.auth), l.maxAuth))
		}
	}
	lim := l.limits
	switch {
	case lim.MaxDepth > 0 && worst.depth > int64(lim.MaxDepth):
		return limitError(fmt.Sprintf("operation is nested %s levels deep, the limit is %d", count(worst.depth), lim.MaxDepth))
	case lim.MaxFields > 0 && worst.fields > int64(lim.MaxFields):
		return limitError(fmt.Sprintf("document selects %s fields with its fragments expanded, the limit is %d", count(worst.fields), lim.MaxFields))
	case lim.MaxCost > 0 && worst.cost > int64(lim.MaxCost):
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation has complexity %s, which exceeds the limit of %d", count(worst.cost), lim.MaxCost),
			Extensions: map[string]any{"code": codeComplexity},
		}
	case lim.MaxIntrospectionCost > 0 && worst.icost > int64(lim.MaxIntrospectionCost):
		return &gqlerror.Error{
			Message:    fmt.Sprintf("introspection has complexity %s, which exceeds the limit of %d", count(worst.icost), lim.MaxIntrospectionCost),
			Extensions: map[string]any{"code": codeComplexity},
		}
	}
	return nil
}

func indexOf(ops ast.OperationList, op *ast.OperationDefinition) int {
	for i, o := range ops {
		if o == op {
			return i
		}
	}
	return 0
}

// count prints a walk counter; saturated ones are only "very many".
func count(n int64) string {
	if n >= saturate {
		return "more than 10^15"
	}
	return fmt.Sprint(n)
}

// InterceptOperation marks the request as executed: its answer keeps its
// data entry.
func (*documentLimit) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if st, ok := ctx.Value(stateKey{}).(*answerState); ok {
		st.executed = true
	}
	return next(ctx)
}

// maxMessage bounds one error message (they may quote the document).
const maxMessage = 1024

// InterceptResponse bounds an answer: data over maxBytes is replaced by
// an error, and past MaxErrors errors the last one says how many were cut.
// It also sets Retry-After, which must be known before the body is written.
func (l *documentLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	if st, ok := ctx.Value(stateKey{}).(*answerState); ok {
		retryAfter(st.header, resp)
	}
	if len(resp.Data) > l.maxBytes {
		resp.Data = json.RawMessage("null")
		resp.Errors = append(gqlerror.List{limitError(fmt.Sprintf("the answer would be larger than %d bytes; ask for less", l.maxBytes))}, resp.Errors...)
	}
	if n := len(resp.Errors); n > MaxErrors {
		kept := resp.Errors[: MaxErrors-1 : MaxErrors-1]
		resp.Errors = append(kept, &gqlerror.Error{
			Message:    fmt.Sprintf("%d more errors were cut: an answer carries at most %d", n-len(kept), MaxErrors),
			Extensions: map[string]any{"code": "TOO_MANY_ERRORS"},
		})
	}
	for _, e := range resp.Errors {
		if len(e.Message) > maxMessage {
			e.Message = e.Message[:maxMessage] + "…"
		}
	}
	return resp
}

// answerState follows one request through gqlgen.
type answerState struct {
	executed bool
	header   http.Header // the response's, for Retry-After
}

type stateKey struct{}

// ServeHTTP answers one GraphQL request. Transport errors are answered
// before gqlgen sees the request. An answer to a request that never ran
// (it did not parse, validate or pass the limits) has no data entry, as the
// GraphQL spec says; gqlgen would write "data": null.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if e := h.admit(r); e != nil {
		e.write(w)
		return
	}
	st := &answerState{header: w.Header()}
	sw := &answerWriter{ResponseWriter: w, st: st}
	h.Server.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	sw.finish()
}

// answerWriter names the charset gqlgen's JSON content types leave out,
// and holds back the body of an answer that never ran, to drop its data
// entry.
type answerWriter struct {
	http.ResponseWriter
	st          *answerState
	wroteHeader bool
	decided     bool
	hold        bool
	buf         bytes.Buffer
}

func (w *answerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *answerWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		h := w.Header()
		if ct := h.Get("Content-Type"); strings.HasSuffix(ct, "json") {
			h.Set("Content-Type", ct+"; charset=utf-8")
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *answerWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.decided {
		w.decided = true
		w.hold = !w.st.executed
	}
	if w.hold {
		return w.buf.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

func (w *answerWriter) finish() {
	if !w.hold {
		return
	}
	body := w.buf.Bytes()
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) == nil {
		if _, ok := m["data"]; ok {
			delete(m, "data")
			if b, err := json.Marshal(m); err == nil {
				body = b
			}
		}
	}
	_, _ = w.ResponseWriter.Write(body)
}
