package rest

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"

	"gqlauth/internal/auth"
)

// guardMetrics serves h only to a request that carries
// `Authorization: Bearer <token>`; anything else is 401 with the envelope.
// An empty token lets every request through (the separate metrics listener
// without METRICS_TOKEN). The comparison takes the same time whatever the
// guess: both sides are hashed first, so not even the length leaks.
func guardMetrics(h http.Handler, token string, log *slog.Logger) http.Handler {
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(bearerToken(r)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			writeError(w, r, log, problem(auth.CodeUnauthorized, "Could not validate credentials"))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// MetricsOptions configure the separate metrics listener (METRICS_ADDR).
type MetricsOptions struct {
	Metrics http.Handler // served at GET /metrics
	Token   string       // METRICS_TOKEN; "" for none
	Logger  *slog.Logger
}

// NewMetrics returns the handler of the separate metrics listener: GET
// /metrics and nothing else, behind the same edge as the public surface
// (security headers, request ids, the header cap, the error envelope).
func NewMetrics(o MetricsOptions) http.Handler {
	s := &server{router: newRouter(), log: o.Logger, maxBody: 1 << 10}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.router.Handle("GET /metrics", guardMetrics(o.Metrics, o.Token, s.log))
	return s.edge(s.router)
}
