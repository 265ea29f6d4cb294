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
	var h http.Handler = s.router.mux
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
	mux.addFallbacks()
}

// Mux is where Options.Mount adds routes, as on an http.ServeMux.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// router is the mux, with an answer in the error envelope for every request
// that no route takes: a known path asked with another method is 405 with
// Allow, from the methods registered for it; any other path is 404. Both
// are routes of their own (fallbacks), so the mux's answer is final.
type router struct {
	mux       *http.ServeMux
	methods   map[string][]string // path → the methods of its routes
	anyMethod map[string]bool     // paths registered without a method
	fallback  map[string]bool     // the patterns addFallbacks registered
}

func newRouter() *router {
	return &router{mux: http.NewServeMux(), methods: map[string][]string{},
		anyMethod: map[string]bool{}, fallback: map[string]bool{}}
}

// Handle registers h for pattern, "METHOD /path" or "/path".
func (rt *router) Handle(pattern string, h http.Handler) {
	rt.mux.Handle(pattern, h)
	if method, path, ok := strings.Cut(pattern, " "); ok {
		rt.methods[path] = append(rt.methods[path], method)
	} else {
		rt.anyMethod[pattern] = true
	}
}

// addFallbacks registers the 405 answer of every path and the 404 of all
// others; it comes after the last route.
func (rt *router) addFallbacks() {
	for path, methods := range rt.methods {
		if !rt.anyMethod[path] {
			rt.mux.Handle(path, methodNotAllowed(strings.Join(methods, ", ")))
			rt.fallback[path] = true
		}
	}
	if !rt.anyMethod["/"] {
		rt.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, r, nil, problem(auth.CodeNotFound, "Not found"))
		})
		rt.fallback["/"] = true
	}
}

func methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, r, nil, problem(codeMethodNotAllowed, "Method not allowed"))
	})
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
