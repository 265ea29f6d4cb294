package rest

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

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
		// Errors that ask the client to wait (rate limit, overload) are in
		// the body; the contract also wants Retry-After, which statusGuard
		// sets from this note.
		ctx, retryAfter := auth.WithRetryNote(r.Context())
		r = r.WithContext(ctx)
		if r.Method == http.MethodGet {
			// gqlgen answers a mutation over GET with 406; the contract says 405.
			next.ServeHTTP(&statusGuard{ResponseWriter: w, r: r, log: log, status: http.StatusNotAcceptable,
				replacement: problem(codeMethodNotAllowed, "Mutations must use POST"), allow: "POST", retryAfter: retryAfter}, r)
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
		if len(trimmed) > 0 && trimmed[0] == '[' {
			writeError(w, r, log, problem(auth.CodeBadRequest, "Batched requests are not supported"))
			return
		}
		if len(trimmed) == 0 || trimmed[0] != '{' {
			writeError(w, r, log, problem(auth.CodeBadRequest, "Request body must be a JSON object with a query"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		// gqlgen answers a body it cannot decode (not JSON, members of the
		// wrong type) with 400 and the whole body echoed back, variables
		// and passwords included: replace that with the envelope. With
		// application/graphql-response+json, 400 also means a GraphQL parse
		// or validation failure, whose answer is kept.
		next.ServeHTTP(&statusGuard{ResponseWriter: w, r: r, log: log, status: http.StatusBadRequest, onlyPlainJSON: true,
			replacement: problem(auth.CodeBadRequest, "Request body is not a valid GraphQL request"), retryAfter: retryAfter}, r)
	})
}

// statusGuard replaces a response of one status from the GraphQL handler
// with the error envelope.
type statusGuard struct {
	http.ResponseWriter
	r             *http.Request
	log           *slog.Logger
	status        int
	replacement   *auth.Error
	allow         string // Allow header to send with the replacement
	onlyPlainJSON bool   // replace only application/json responses
	replaced      bool
	// retryAfter is the longest wait the response's errors ask for
	// (auth.WithRetryNote), sent as Retry-After with the headers.
	retryAfter  func() time.Duration
	wroteHeader bool
}

func (g *statusGuard) WriteHeader(status int) {
	g.wroteHeader = true
	h := g.ResponseWriter.Header()
	if g.retryAfter != nil {
		if d := g.retryAfter(); d > 0 {
			h.Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
		}
	}
	if status == g.status && (!g.onlyPlainJSON || h.Get("Content-Type") == "application/json") {
		g.replaced = true
		if g.allow != "" {
			h.Set("Allow", g.allow)
		}
		h.Del("Content-Type")
		writeError(g.ResponseWriter, g.r, g.log, g.replacement)
		return
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *statusGuard) Write(b []byte) (int, error) {
	if !g.wroteHeader {
		g.WriteHeader(http.StatusOK)
	}
	if g.replaced {
		return len(b), nil
	}
	return g.ResponseWriter.Write(b)
}
