package rest

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"gqlauth/internal/auth"
)

// recorder remembers the status and size of a response, for the log line
// and metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status != 0 {
		return
	}
	rec.status = status
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

type requestIDKey struct{}

// RequestID returns the request's id (also sent as X-Request-ID).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// newRequestID returns 16 hex digits. Request ids only need to be unique in
// practice, not secret, so the fast generator serves.
func newRequestID() string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// validRequestID accepts a client's id only if it is short and plain, so it
// cannot forge log lines.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// clientIP is the socket peer, or — when the peer is a trusted proxy — the
// first address in X-Forwarded-For, from the right, that is not one.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !isTrusted(a, trusted) {
			return a.String()
		}
	}
	return peer.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// bearerToken reads `Authorization: Bearer <token>` (scheme case-insensitive).
// Anything else yields "".
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// setSecurityHeaders sets the headers every response carries. Pages that
// need more (the Playground) replace the CSP with their own.
func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

type middleware func(http.Handler) http.Handler

// edge wraps the whole surface in the middlewares every request passes
// through, outermost first.
func (s *server) edge(h http.Handler) http.Handler {
	chain := []middleware{
		requestID,       // X-Request-ID, and the id in the context
		securityHeaders, // on every response
		s.caller,        // the caller's address and bearer token in the context
		s.deadline,      // REQUEST_TIMEOUT
		s.logRequests,   // one log line and the metrics, with the final status
		s.recoverPanics, // a panic is a 500 envelope
		s.capHeaders,    // 431 past MaxHeaderBytes
		s.capBody,       // 413 past MaxBodyBytes, when a handler reads that far
	}
	for i := len(chain) - 1; i >= 0; i-- {
		h = chain[i](h)
	}
	return h
}

// requestID takes the client's X-Request-ID when it is plain, else makes
// one, and sends it back.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}

// caller puts the caller's address and user agent, and the bearer token
// (verified later, at most once), in the context.
func (s *server) caller(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := auth.WithClient(r.Context(), auth.Client{IP: clientIP(r, s.trusted), UserAgent: r.UserAgent()})
		next.ServeHTTP(w, r.WithContext(auth.WithBearer(ctx, bearerToken(r))))
	})
}

func (s *server) deadline(next http.Handler) http.Handler {
	if s.requestTimeout <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.requestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// logRequests writes one log line per request and reports it to Observe.
// The route is the pattern the mux records in r.Pattern, so nothing
// between here and the mux may replace the request.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer s.logRequest(r, rec, start)
		next.ServeHTTP(rec, r)
	})
}

// recoverPanics answers a handler's panic with a 500 envelope, unless the
// answer had begun. It sits inside logRequests, whose recorder tells.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.ErrorContext(r.Context(), "panic", slog.String("panic", fmt.Sprint(p)), slog.String("request_id", RequestID(r.Context())))
			if rec, ok := w.(*recorder); !ok || rec.status == 0 {
				writeError(w, r, nil, auth.Internal(fmt.Errorf("panic: %v", p)))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *server) capHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headerBytes(r) > MaxHeaderBytes {
			w.Header().Set("Connection", "close")
			writeError(w, r, s.log, errHeadersTooLarge)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// capBody caps every request body; a handler reading past the cap gets
// an *http.MaxBytesError and answers 413.
func (s *server) capBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) logRequest(r *http.Request, rec *recorder, start time.Time) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	elapsed := time.Since(start)
	route := routeOf(r)
	attrs := []slog.Attr{
		slog.String("request_id", RequestID(r.Context())),
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
	}
	if p := auth.KnownPrincipal(r.Context()); p != nil {
		attrs = append(attrs, slog.Int("user_id", p.User.ID))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	if s.observe != nil {
		s.observe(r.Method, route, status, elapsed)
	}
}

// routeOf names the route for logs and metrics without the raw path, which
// would let a scanner blow up label sets: the matched pattern, or
// "unmatched" for requests that no route took.
func routeOf(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}
