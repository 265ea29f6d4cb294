package rest

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"

	"gqlauth/internal/auth"
)

// MaxHeaderBytes caps a request's header block (request line and header
// fields): past it the answer is 431 HEADERS_TOO_LARGE with the envelope.
const MaxHeaderBytes = 64 << 10

// LibraryMaxHeaderBytes is http.Server.MaxHeaderBytes: well above
// MaxHeaderBytes, so that the common oversized request reaches the edge
// middleware and is refused there like any other error. It still bounds
// what one connection can make the server hold.
const LibraryMaxHeaderBytes = 256 << 10

var errHeadersTooLarge = problem(auth.CodeHeadersTooLarge, "Request header fields too large")

// headerBytes is the size of r's header block as it came on the wire, up to
// the spacing the parser dropped: the request line, Host and every field,
// each line with its CRLF.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n + 2
}

// EnvelopeErrors wraps ln so that the few errors net/http writes to the
// connection itself, before any handler runs (a header block past
// LibraryMaxHeaderBytes, a malformed request), carry the error envelope and
// the security headers as well, instead of the library's plain text.
func EnvelopeErrors(ln net.Listener) net.Listener { return envelopeListener{ln} }

type envelopeListener struct{ net.Listener }

func (l envelopeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &envelopeConn{Conn: c}, nil
}

type envelopeConn struct{ net.Conn }

// Write passes everything through except one of the library's own error
// answers, recognised by its exact shape: a status line directly followed by
// these two header fields in this order and no Date. A response from a
// handler always has a Date and sorted fields (Connection before
// Content-Type), so it never matches. The library writes each such answer
// with one Write on the bare connection.
func (c *envelopeConn) Write(b []byte) (int, error) {
	if out := rewriteLibraryError(b); out != nil {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// CloseWrite lets the server half-close after such an answer, so the
// client reads it before the connection goes away.
func (c *envelopeConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

const libraryErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// rewriteLibraryError returns the envelope form of one of net/http's
// plain-text error answers, or nil when b is not one.
func rewriteLibraryError(b []byte) []byte {
	rest, ok := bytes.CutPrefix(b, []byte("HTTP/1.1 "))
	if !ok {
		return nil
	}
	statusLine, body, ok := bytes.Cut(rest, []byte(libraryErrorHeaders))
	if !ok || len(statusLine) < 3 || bytes.ContainsAny(statusLine, "\r\n") {
		return nil
	}
	status, err := strconv.Atoi(string(statusLine[:3]))
	if err != nil || status < 400 || status > 599 {
		return nil
	}
	var code, msg string
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		code, msg = string(auth.CodeHeadersTooLarge), errHeadersTooLarge.Message
	case status == http.StatusNotImplemented:
		code, msg = "NOT_IMPLEMENTED", "Not implemented: "+printable(string(body))
	case status == http.StatusHTTPVersionNotSupported:
		code, msg = "HTTP_VERSION_NOT_SUPPORTED", "HTTP version not supported"
	case status < 500:
		code, msg = string(auth.CodeBadRequest), "Bad request"
		if _, reason, ok := strings.Cut(string(statusLine), ": "); ok {
			msg += ": " + printable(reason)
		}
	default:
		code, msg = string(auth.CodeInternal), "Internal server error"
	}
	payload, _ := json.Marshal(envelope{Error: errorBody{Message: msg, Code: code}})
	h := http.Header{}
	setSecurityHeaders(h)
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(payload)))
	h.Set("Connection", "close")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Request-ID", newRequestID())
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	_ = h.Write(&out)
	out.WriteString("\r\n")
	out.Write(payload)
	return out.Bytes()
}

// printable keeps a library reason readable and short.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return -1
		}
		return r
	}, s)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
