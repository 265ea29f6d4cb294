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

// recorder remembers the status for logs and metrics, and adds the utf-8
// charset to JSON responses that do not name one (gqlgen's do not).
type recorder struct {
	http.ResponseWriter
	req     *http.Request
	status  int
	bytes   int
	swallow bool // a plain-text error was replaced by the envelope
}

// plainErrors maps the statuses that handlers outside this package (the
// web UI's file server, net/http helpers) answer in plain text to the
// envelope's codes.
var plainErrors = map[int]*auth.Error{
	http.StatusNotFound:         problem(auth.CodeNotFound, "Not found"),
	http.StatusMethodNotAllowed: problem(codeMethodNotAllowed, "Method not allowed"),
	http.StatusBadRequest:       problem(auth.CodeBadRequest, "Bad request"),
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status != 0 {
		return
	}
	h := rec.ResponseWriter.Header()
	if e, ok := plainErrors[status]; ok && strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		// Every error on every path is the envelope.
		h.Del("Content-Type")
		h.Del("Content-Length")
		writeError(rec.ResponseWriter, rec.req, nil, e)
		rec.status, rec.swallow = status, true
		return
	}
	rec.status = status
	if ct := h.Get("Content-Type"); strings.HasSuffix(ct, "json") {
		h.Set("Content-Type", ct+"; charset=utf-8")
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	if rec.swallow {
		return len(b), nil
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

// securityHeaders are set on every response. Pages that need more (the
// Playground) replace the CSP with their own.
func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// edge wraps the whole surface: panics become 500 envelopes, every request
// gets an id, security headers, a header-block cap, a body cap, a deadline, its caller's address
// and bearer token in the context, and one log line.
func (s *server) edge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, req: r}
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		securityHeaders(rec.Header())
		rec.Header().Set("X-Request-ID", id)

		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = auth.WithClient(ctx, auth.Client{IP: clientIP(r, s.trusted), UserAgent: r.UserAgent()})
		ctx = auth.WithBearer(ctx, bearerToken(r))
		if s.requestTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.requestTimeout)
			defer cancel()
		}
		r = r.WithContext(ctx)
		rec.req = r

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic", slog.String("panic", fmt.Sprint(p)), slog.String("request_id", id))
				if rec.status == 0 {
					writeError(rec, r, nil, auth.Internal(fmt.Errorf("panic: %v", p)))
				}
			}
			s.logRequest(r, rec, start)
		}()

		if headerBytes(r) > MaxHeaderBytes {
			rec.Header().Set("Connection", "close")
			writeError(rec, r, s.log, errHeadersTooLarge)
			return
		}
		if r.ContentLength > s.maxBody {
			writeError(rec, r, s.log, errTooLarge)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(rec, r.Body, s.maxBody)
		}
		next.ServeHTTP(rec, r)
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
// would let a scanner blow up label sets.
func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}
