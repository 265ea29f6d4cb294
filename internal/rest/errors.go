// Package rest is the HTTP edge: the REST shim that mirrors the documented
// /api/auth/* routes, the routing table of the whole surface (GraphQL and the
// web UI are mounted here), the error envelope, and the middleware every
// request passes through.
package rest

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"gqlauth/internal/auth"
)

// statusOf is the one code→status table.
var statusOf = map[auth.Code]int{
	auth.CodeUnauthorized:         http.StatusUnauthorized,
	auth.CodeForbidden:            http.StatusForbidden,
	auth.CodeValidation:           http.StatusUnprocessableEntity,
	auth.CodeConflict:             http.StatusConflict,
	auth.CodeBadRequest:           http.StatusBadRequest,
	auth.CodeNotFound:             http.StatusNotFound,
	auth.CodeRateLimited:          http.StatusTooManyRequests,
	auth.CodeInternal:             http.StatusInternalServerError,
	auth.CodeServiceUnavailable:   http.StatusServiceUnavailable,
	auth.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	auth.CodePayloadTooLarge:      http.StatusRequestEntityTooLarge,
	auth.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	auth.CodeHeadersTooLarge:      http.StatusRequestHeaderFieldsTooLarge,
}

// envelope is the error body of every path:
// {"success": false, "error": {"message", "code", "details"?}}.
type envelope struct {
	Success bool      `json:"success"`
	Error   errorBody `json:"error"`
}

type errorBody struct {
	Message string              `json:"message"`
	Code    string              `json:"code"`
	Details map[string][]string `json:"details,omitempty"`
}

// problem builds a transport error that the service does not know about.
func problem(code auth.Code, msg string) *auth.Error { return &auth.Error{Code: code, Message: msg} }

// writeError writes err as the envelope with its status and headers. An
// error that is not a service error is logged and shown as INTERNAL_ERROR.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := auth.ErrorOf(err)
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 && log != nil {
		lvl := slog.LevelError
		if status == http.StatusServiceUnavailable {
			lvl = slog.LevelWarn
		}
		log.Log(r.Context(), lvl, "request failed", slog.String("code", string(e.Code)), slog.String("error", e.Error()))
	}
	h := w.Header()
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer`)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, envelope{Error: errorBody{Message: e.Message, Code: string(e.Code), Details: e.Fields}})
}
