// Command resource-server is a small service of your own that trusts
// gqlauth's access tokens without holding any secret: it fetches gqlauth's
// public keys from /.well-known/jwks.json (with
// github.com/MicahParks/keyfunc/v3), verifies each bearer token with
// golang-jwt — algorithm pinned, signature, kid, exp, iss, aud and
// `type: access` — and serves one protected route, GET /api/orders.
//
// Keys are cached and refreshed every JWKS_REFRESH_MINUTES; a token whose
// kid is not cached (gqlauth rotated its keys) triggers one refetch, at most
// one per UNKNOWN_KID_REFETCH_SECONDS, so forged kids cannot make it hammer
// gqlauth.
//
// The trade-off: this service never asks gqlauth about sessions, so it sees
// a logout (or a deactivated user) only when the access token expires
// (ACCESS_TOKEN_EXPIRE_MINUTES, 30 by default); gqlauth's own routes refuse
// such a token at once. Keep access tokens short when that matters, or ask
// gqlauth's /api/auth/me for the operations that cannot wait.
//
//	JWKS_URL=http://localhost:8080/.well-known/jwks.json JWT_ISSUER=gqlauth \
//	JWT_AUDIENCE=https://api.example.com PORT=8081 go run ./examples/resource-server
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Getenv, os.Stdout, os.Stderr))
}

// config is the service's settings, from the environment.
type config struct {
	JWKSURL       string        // JWKS_URL
	Algorithm     string        // ALGORITHM: the one algorithm accepted (EdDSA)
	Issuer        string        // JWT_ISSUER (gqlauth)
	Audience      string        // JWT_AUDIENCE; when set, required in every token
	Addr          string        // HOST:PORT (127.0.0.1:8081)
	Refresh       time.Duration // JWKS_REFRESH_MINUTES (5)
	UnknownKIDGap time.Duration // UNKNOWN_KID_REFETCH_SECONDS (60)
}

func loadConfig(getenv func(string) string) (config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	num := func(name string, def int) (int, error) {
		n, err := strconv.Atoi(get(name, strconv.Itoa(def)))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid %s: want a whole number", name)
		}
		return n, nil
	}
	c := config{
		JWKSURL:   get("JWKS_URL", "http://localhost:8080/.well-known/jwks.json"),
		Algorithm: get("ALGORITHM", "EdDSA"),
		Issuer:    get("JWT_ISSUER", "gqlauth"),
		Audience:  get("JWT_AUDIENCE", ""),
		Addr:      net.JoinHostPort(get("HOST", "127.0.0.1"), get("PORT", "8081")),
	}
	switch c.Algorithm {
	case "EdDSA", "ES256", "RS256":
	default:
		return c, fmt.Errorf("invalid ALGORITHM %q: want EdDSA, ES256 or RS256 (an HS* secret cannot be published)", c.Algorithm)
	}
	refresh, err := num("JWKS_REFRESH_MINUTES", 5)
	if err != nil {
		return c, err
	}
	gap, err := num("UNKNOWN_KID_REFETCH_SECONDS", 60)
	if err != nil {
		return c, err
	}
	c.Refresh, c.UnknownKIDGap = time.Duration(max(refresh, 1))*time.Minute, time.Duration(gap)*time.Second
	return c, nil
}

// run serves until ctx ends. Its first line on stdout is
// "resource-server listening on http://ADDR".
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	h, err := newHandler(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "resource-server listening on http://%s\n", ln.Addr())
	select {
	case err := <-errc:
		fmt.Fprintln(stderr, err)
		return 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return 1
	}
	return 0
}

// claims are the parts of gqlauth's access token this service uses.
type claims struct {
	Type string `json:"type"`
	jwt.RegisteredClaims
}

// newHandler builds the routes: GET /api/orders behind requireToken.
func newHandler(ctx context.Context, cfg config, log *slog.Logger) (http.Handler, error) {
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
		HTTPTimeout:     5 * time.Second,
		RefreshInterval: cfg.Refresh,
		// An unknown kid refetches the set at once, then at most once per
		// UnknownKIDGap; a request never waits for that limiter longer than
		// RateLimitWaitMax (which also bounds the refetch itself).
		RefreshUnknownKID: rate.NewLimiter(rate.Every(max(cfg.UnknownKIDGap, time.Millisecond)), 1),
		RateLimitWaitMax:  5 * time.Second,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				log.WarnContext(ctx, "fetching the JWK Set failed", "url", u, "error", err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("JWKS_URL: %w", err)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{cfg.Algorithm}), // never "none", never HS*
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30 * time.Second),
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v := &verifier{parser: jwt.NewParser(opts...), keyfunc: kf.Keyfunc}

	mux := http.NewServeMux()
	mux.Handle("GET /api/orders", v.requireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(claimsKey{}).(*claims)
		writeJSON(w, http.StatusOK, map[string]any{"user_id": c.Subject, "orders": []string{}})
	})))
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	return mux, nil
}

type claimsKey struct{}

type verifier struct {
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc
}

// verify checks a bearer token as gqlauth issues access tokens.
func (v *verifier) verify(raw string) (*claims, error) {
	var c claims
	_, err := v.parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["kid"].(string); !ok {
			return nil, errors.New("token has no kid") // gqlauth always names its key
		}
		return v.keyfunc(t)
	})
	if err != nil {
		return nil, err
	}
	if c.Type != "access" || c.Subject == "" {
		return nil, errors.New("not an access token")
	}
	return &c, nil
}

// requireToken admits a request with a valid access token and puts its
// claims in the context; otherwise 401 in gqlauth's error envelope.
func (v *verifier) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "bearer") || token == "" {
			unauthorized(w)
			return
		}
		c, err := v.verify(strings.TrimSpace(token))
		if err != nil {
			unauthorized(w)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, c)))
	})
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", "Bearer")
	writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false,
		"error": map[string]string{"message": "Could not validate credentials", "code": "UNAUTHORIZED"}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
