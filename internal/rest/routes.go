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
	// Mount adds further routes (the Playground and docs).
	Mount func(mux Mux)
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
	router         *router
	log            *slog.Logger
	maxBody        int64
	requestTimeout time.Duration
	trusted        []netip.Prefix
	observe        func(method, route string, status int, elapsed time.Duration)
}

// New returns the handler for the whole HTTP surface.
func New(o Options) http.Handler {
	s := &server{
		router: newRouter(), log: o.Logger, maxBody: o.MaxBodyBytes,
		requestTimeout: o.RequestTimeout, trusted: o.TrustedProxies, observe: o.Observe,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = 64 << 10
	}
	s.routes(o)
	var h http.Handler = s.router
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
	svc, log, mux := o.Auth, s.log, s.router
	mux.Handle("POST /api/auth/register", handleRegister(svc, log))
	mux.Handle("POST /api/auth/login/json", handleLoginJSON(svc, log))
	mux.Handle("POST /api/auth/login", handleLoginForm(svc, log))
	mux.Handle("POST /api/auth/refresh", handleRefresh(svc, log))
	signedIn := requireAuth(svc, auth.RoleUser, log)
	mux.Handle("GET /api/auth/me", signedIn(handleMe()))
	mux.Handle("POST /api/auth/change-password", signedIn(handleChangePassword(svc, log)))
	mux.Handle("POST /api/auth/logout", signedIn(handleLogout(svc, log)))
	mux.Handle("POST /api/auth/forgot-password", handleForgotPassword(svc, log))
	mux.Handle("POST /api/auth/reset-password", handleResetPassword(svc, log))
	mux.Handle("POST /api/auth/verify-email", handleVerifyEmail(svc, log))
	mux.Handle("POST /api/auth/resend-verification", signedIn(handleResendVerification(svc, log)))

	if o.GraphQL != nil {
		// The GraphQL handler applies GraphQL's transport rules itself.
		mux.Handle("GET /graphql", o.GraphQL)
		mux.Handle("POST /graphql", o.GraphQL)
	}

	mux.Handle("GET /.well-known/jwks.json", handleJWKS(o.Keys))
	mux.Handle("GET /healthz", handleHealth())
	mux.Handle("GET /readyz", handleReady(o.Ready, log))
	if o.Metrics != nil {
		mux.Handle("GET /metrics", guardMetrics(o.Metrics, o.MetricsToken, log))
	}
	if o.Playground {
		mux.Handle("GET /{$}", http.RedirectHandler("/playground", http.StatusFound))
	}
	if o.Mount != nil {
		o.Mount(mux)
	}
}

// Mux is where Options.Mount adds routes, as on an http.ServeMux.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// router is the mux, and for every request that no route takes an answer
// in the error envelope: a known path asked with another method is 405
// with Allow, from the methods registered for it; any other path is 404.
// A second mux, holding every path without its method, matches the path
// exactly as the first does (wildcards, subtrees, unclean paths alike).
type router struct {
	mux   *http.ServeMux
	paths *http.ServeMux      // every path, for any method
	allow map[string][]string // path pattern → the methods of its routes
}

func newRouter() *router {
	return &router{mux: http.NewServeMux(), paths: http.NewServeMux(), allow: map[string][]string{}}
}

// Handle registers h for pattern, "METHOD /path" or "/path".
func (rt *router) Handle(pattern string, h http.Handler) {
	rt.mux.Handle(pattern, h)
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return // any method: never a 405
	}
	if _, seen := rt.allow[path]; !seen {
		rt.paths.Handle(path, http.NotFoundHandler()) // only matched, never served
	}
	rt.allow[path] = append(rt.allow[path], method)
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := rt.mux.Handler(r); pattern != "" {
		rt.mux.ServeHTTP(w, r)
		return
	}
	if _, path := rt.paths.Handler(r); len(rt.allow[path]) > 0 {
		w.Header().Set("Allow", strings.Join(rt.allow[path], ", "))
		writeError(w, r, nil, problem(auth.CodeMethodNotAllowed, "Method not allowed"))
		return
	}
	writeError(w, r, nil, problem(auth.CodeNotFound, "Not found"))
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
