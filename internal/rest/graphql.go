package rest

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"

	"gqlauth/internal/auth"
)

// graphqlEdge guards the GraphQL handler with the transport rules gqlgen does
// not enforce itself: POST bodies must be application/json, capped, and one
// JSON object (no array batching); a mutation over GET is a 405. Failures
// here use the envelope (with a GraphQL `errors` list beside it).
func graphqlEdge(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Header.Get("Upgrade") != "" {
			// No WebSocket (or other upgraded) transport is mounted.
			writeError(w, r, log, problem(auth.CodeBadRequest, "WebSocket transport is not supported"))
			return
		}
		if r.Method == http.MethodGet {
			next.ServeHTTP(&getGuard{ResponseWriter: w, r: r, log: log}, r)
			return
		}
		if !isJSON(r.Header.Get("Content-Type")) {
			writeError(w, r, log, errMediaTypeJSON)
			return
		}
		b, err := readBody(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		trimmed := bytes.TrimSpace(b)
		if len(trimmed) == 0 || trimmed[0] != '{' {
			if len(trimmed) > 0 && trimmed[0] == '[' {
				writeError(w, r, log, problem(auth.CodeBadRequest, "Batched requests are not supported"))
				return
			}
			writeError(w, r, log, problem(auth.CodeBadRequest, "Request body must be a JSON object with a query"))
			return
		}
		obj, err := parseObject(b)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		if err := checkGraphQLParams(obj); err != nil {
			writeError(w, r, log, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		next.ServeHTTP(w, r)
	})
}

// getGuard turns gqlgen's 406 for a mutation over GET into the contract's
// 405 METHOD_NOT_ALLOWED envelope.
type getGuard struct {
	http.ResponseWriter
	r        *http.Request
	log      *slog.Logger
	replaced bool
}

func (g *getGuard) WriteHeader(status int) {
	if status == http.StatusNotAcceptable {
		g.replaced = true
		h := g.ResponseWriter.Header()
		h.Set("Allow", "POST")
		h.Del("Content-Type")
		writeError(g.ResponseWriter, g.r, g.log, problem(codeMethodNotAllowed, "Mutations must use POST"))
		return
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *getGuard) Write(b []byte) (int, error) {
	if g.replaced {
		return len(b), nil
	}
	return g.ResponseWriter.Write(b)
}

// checkGraphQLParams refuses a request whose known members have the wrong
// JSON type; gqlgen would answer those with the whole body echoed back,
// variables (passwords) included.
func checkGraphQLParams(obj object) error {
	want := map[string]byte{"query": '"', "operationName": '"', "variables": '{', "extensions": '{'}
	for name, first := range want {
		raw, ok := obj[name]
		if !ok || string(raw) == "null" {
			continue
		}
		if len(raw) == 0 || raw[0] != first {
			return problem(auth.CodeBadRequest, "Invalid GraphQL request: "+name+" has the wrong type")
		}
	}
	return nil
}
