package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"gqlauth/internal/auth"
)

// transportError is the answer to a request that never reaches GraphQL:
// the API's error envelope with a GraphQL errors list beside it, so both
// kinds of client read it.
type transportError struct {
	status  int
	code    auth.Code
	message string
	allow   string // the Allow header of a 405
}

func (e *transportError) write(w http.ResponseWriter) {
	type problem struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	type gqlError struct {
		Message    string            `json:"message"`
		Extensions map[string]string `json:"extensions"`
	}
	b, _ := json.Marshal(struct {
		Success bool       `json:"success"`
		Error   problem    `json:"error"`
		Errors  []gqlError `json:"errors"`
	}{Error: problem{e.message, string(e.code)}, Errors: []gqlError{{e.message, map[string]string{"code": string(e.code)}}}})
	if e.allow != "" {
		w.Header().Set("Allow", e.allow)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	_, _ = w.Write(append(b, '\n'))
}

func badRequest(msg string) *transportError {
	return &transportError{status: http.StatusBadRequest, code: auth.CodeBadRequest, message: msg}
}

// admit applies the transport rules gqlgen leaves to us before it sees the
// request: no upgraded transport; over GET only queries (a mutation is
// 405, as the GraphQL-over-HTTP spec says); over POST one application/json
// object that gqlgen's POST transport decodes, within the body cap. A POST
// body is read here and handed on.
func (h *Handler) admit(r *http.Request) *transportError {
	if r.Header.Get("Upgrade") != "" {
		return badRequest("WebSocket transport is not supported")
	}
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil || !decodes(q.Get("variables")) || !decodes(q.Get("extensions")) {
			return badRequest("Query string is not a valid GraphQL request")
		}
		if !onlyQueries(q, h.maxTokens) {
			return &transportError{status: http.StatusMethodNotAllowed, code: auth.CodeMethodNotAllowed, message: "Mutations must use POST", allow: http.MethodPost}
		}
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &transportError{status: http.StatusUnsupportedMediaType, code: auth.CodeUnsupportedMediaType, message: "Content-Type must be application/json"}
	}
	b, err := io.ReadAll(r.Body)
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return &transportError{status: http.StatusRequestEntityTooLarge, code: auth.CodePayloadTooLarge, message: "Request body is too large"}
	} else if err != nil {
		return badRequest("Could not read request body")
	}
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return badRequest("Batched requests are not supported")
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return badRequest("Request body must be a JSON object with a query")
	}
	// gqlgen would answer a body it cannot decode (not JSON, members of
	// the wrong type) with the whole body echoed back, passwords included:
	// decode it as gqlgen does first.
	if gqlgenDecode(b, &graphql.RawParams{}) != nil {
		return badRequest("Request body is not a valid GraphQL request")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return nil
}

// gqlgenDecode decodes JSON as gqlgen's transports do.
func gqlgenDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// decodes reports whether a GET parameter holding a JSON object (variables,
// extensions) is absent or decodes as gqlgen decodes it.
func decodes(param string) bool {
	return param == "" || gqlgenDecode([]byte(param), &map[string]any{}) == nil
}

// onlyQueries reports whether a GET request's operation is not a mutation
// (or subscription). A document that does not parse, or names no
// operation, is left to gqlgen, which reports it.
func onlyQueries(q url.Values, maxTokens int) bool {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q.Get("query")}, maxTokens)
	if err != nil {
		return true
	}
	op := doc.Operations.ForName(q.Get("operationName"))
	return op == nil || op.Operation == ast.Query
}

// retryAfter sets Retry-After to the longest wait the answer's errors ask
// for (extensions.retryAfter, in seconds), before the answer is written.
func retryAfter(h http.Header, resp *graphql.Response) {
	longest := 0
	for _, e := range resp.Errors {
		if s, ok := e.Extensions["retryAfter"].(int); ok {
			longest = max(longest, s)
		}
	}
	if longest > 0 {
		h.Set("Retry-After", strconv.Itoa(longest))
	}
}
