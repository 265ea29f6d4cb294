package rest

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/rs/cors"

	"gqlauth/internal/auth"
	"gqlauth/internal/keys"
)

// Options configure the HTTP surface.
type Options struct {
	Auth    *auth.Service
	GraphQL http.Handler // mounted at /graphql
	// Mount adds further routes (the Playground and docs) to the mux.
	Mount func(mux *http.ServeMux)
	// Ready reports whether the database answers, for /readyz.
	Ready          func(ctx context.Context) error
	Playground     bool // GET / redirects to /playground
	MaxBodyBytes   int64
	RequestTimeout time.Duration
	TrustedProxies []netip.Prefix
	CORSOrigins    []string
	Logger         *slog.Logger
	// Observe is called once per request, for metrics.
	Observe func(method, route string, status int, elapsed time.Duration)
	// Metrics, when set, is served at GET /metrics, to requests bearing
	// MetricsToken when that is set.
	Metrics      http.Handler
	MetricsToken string
	// Keys are published at GET /.well-known/jwks.json (public parts only).
	Keys *keys.Set
}

type server struct {
	mux            *http.ServeMux
	log            *slog.Logger
	maxBody        int64
	requestTimeout time.Duration
	trusted        []netip.Prefix
	observe        func(method, route string, status int, elapsed time.Duration)
}

// New returns the handler for the whole HTTP surface.
func New(o Options) http.Handler {
	s := &server{
		mux: http.NewServeMux(), log: o.Logger, maxBody: o.MaxBodyBytes,
		requestTimeout: o.RequestTimeout, trusted: o.TrustedProxies, observe: o.Observe,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = 64 << 10
	}
	s.routes(o)
	var h http.Handler = http.HandlerFunc(s.dispatch)
	if len(o.CORSOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins:   o.CORSOrigins,
			AllowedMethods:   []string{http.MethodGet, http.MethodPost},
			AllowedHeaders:   []string{"Authorization", "Content-Type", "X-Request-ID"},
			ExposedHeaders:   []string{"X-Request-ID", "Retry-After", "WWW-Authenticate"},
			AllowCredentials: false, // tokens travel in a header, never cookies
			MaxAge:           600,
		}).Handler(h)
	}
	return s.edge(h)
}

// routes lists the whole surface.
func (s *server) routes(o Options) {
	svc, log := o.Auth, s.log
	s.mux.Handle("POST /api/auth/register", handleRegister(svc, log))
	s.mux.Handle("POST /api/auth/login/json", handleLoginJSON(svc, log))
	s.mux.Handle("POST /api/auth/login", handleLoginForm(svc, log))
	s.mux.Handle("POST /api/auth/refresh", handleRefresh(svc, log))
	signedIn := requireAuth(svc, auth.RoleUser, log)
	s.mux.Handle("GET /api/auth/me", signedIn(handleMe()))
	s.mux.Handle("POST /api/auth/change-password", signedIn(handleChangePassword(svc, log)))
	s.mux.Handle("POST /api/auth/logout", signedIn(handleLogout(svc, log)))
	s.mux.Handle("POST /api/auth/forgot-password", handleForgotPassword(svc, log))
	s.mux.Handle("POST /api/auth/reset-password", handleResetPassword(svc, log))
	s.mux.Handle("POST /api/auth/verify-email", handleVerifyEmail(svc, log))
	s.mux.Handle("POST /api/auth/resend-verification", signedIn(handleResendVerification(svc, log)))

	gql := graphqlEdge(o.GraphQL, log)
	s.mux.Handle("GET /graphql", gql)
	s.mux.Handle("POST /graphql", gql)

	s.mux.Handle("GET /.well-known/jwks.json", handleJWKS(o.Keys))
	s.mux.Handle("GET /healthz", handleHealth())
	s.mux.Handle("GET /readyz", handleReady(o.Ready, log))
	if o.Metrics != nil {
		s.mux.Handle("GET /metrics", guardMetrics(o.Metrics, o.MetricsToken, log))
	}
	if o.Playground {
		s.mux.Handle("GET /{$}", http.RedirectHandler("/playground", http.StatusFound))
	}
	if o.Mount != nil {
		o.Mount(s.mux)
	}
}

// probeMethods are tried to tell a wrong method (405) from an unknown path.
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// dispatch serves matched routes and answers everything else with the error
// envelope: 405 with Allow for a known path, 404 otherwise.
func (s *server) dispatch(w http.ResponseWriter, r *http.Request) {
	if h, pattern := s.mux.Handler(r); pattern != "" {
		// Served directly rather than through mux.ServeHTTP, which would
		// match the route a second time; no route uses path values.
		r.Pattern = pattern
		h.ServeHTTP(w, r)
		return
	}
	var allowed []string
	for _, m := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, r, s.log, problem(codeMethodNotAllowed, "Method not allowed"))
		return
	}
	writeError(w, r, s.log, problem(auth.CodeNotFound, "Not found"))
}

func handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func handleReady(ready func(context.Context) error, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := ready(ctx); err != nil {
				log.WarnContext(r.Context(), "not ready", slog.String("error", err.Error()))
				writeError(w, r, nil, problem(auth.CodeServiceUnavailable, "Database is not reachable"))
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
