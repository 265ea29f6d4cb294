package rest

import (
	"context"
	"log/slog"
	"net/http"

	"gqlauth/internal/auth"
)

type principalKey struct{}

// RequireAuth is the middleware for routes of your own that need a signed-in
// caller: it lets a request through only with a valid access token in the
// Authorization header (its session active, its user active) whose user's
// role allows need (auth.RoleUser: any user; auth.RoleAdmin: admins only),
// and hands the handler the caller through Principal(r.Context()).
// Otherwise it answers with the envelope: 401 UNAUTHORIZED (with
// WWW-Authenticate: Bearer) for a missing, malformed, expired, revoked or
// wrong-type token; 403 FORBIDDEN for too low a role or an inactive user;
// 503 when the database cannot be reached.
//
// It works on the routes of the handler rest.New returns (add yours through
// Options.Mount), whose edge reads the bearer token into the context; the
// token is verified at most once per request however many layers ask.
// Unexpected (5xx) failures are logged to slog.Default().
func RequireAuth(svc *auth.Service, need auth.Role) func(http.Handler) http.Handler {
	return requireAuth(svc, need, slog.Default())
}

// requireAuth is RequireAuth logging to log; the shim's own routes use it.
func requireAuth(svc *auth.Service, need auth.Role, log *slog.Logger) func(http.Handler) http.Handler {
	if need == "" {
		need = auth.RoleUser
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := svc.Authorize(r.Context(), need)
			if err != nil {
				writeError(w, r, log, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
		})
	}
}

// Principal returns the caller that RequireAuth admitted, or nil outside a
// route it protects.
func Principal(ctx context.Context) *auth.Principal {
	p, _ := ctx.Value(principalKey{}).(*auth.Principal)
	return p
}
