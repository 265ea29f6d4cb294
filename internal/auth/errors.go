// Package auth is the one authentication service that both the GraphQL
// resolvers and the REST shim call: registration, login, token refresh with
// rotation and reuse detection, sessions, password changes and authorization.
// It knows nothing of HTTP or GraphQL; failures are *Error values whose Code
// each transport maps to its own status.
package auth

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for clients. The values are the contract's.
type Code string

// The error codes of the contract.
const (
	CodeUnauthorized       Code = "UNAUTHORIZED"
	CodeForbidden          Code = "FORBIDDEN"
	CodeValidation         Code = "VALIDATION_ERROR"
	CodeConflict           Code = "CONFLICT"
	CodeBadRequest         Code = "BAD_REQUEST"
	CodeNotFound           Code = "NOT_FOUND"
	CodeRateLimited        Code = "RATE_LIMIT_EXCEEDED"
	CodeInternal           Code = "INTERNAL_ERROR"
	CodeServiceUnavailable Code = "SERVICE_UNAVAILABLE"

	// Transport codes: the service never produces them, both HTTP fronts
	// (the REST shim and GraphQL's transport) do.
	CodeUnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE"
	CodePayloadTooLarge      Code = "PAYLOAD_TOO_LARGE"
	CodeMethodNotAllowed     Code = "METHOD_NOT_ALLOWED"
	// CodeHeadersTooLarge goes with 431, which the contract asks for
	// without naming a code.
	CodeHeadersTooLarge Code = "HEADERS_TOO_LARGE"
)

// Messages shared by both transports.
const (
	MsgInvalidCredentials = "Could not validate credentials"
	MsgIncorrectLogin     = "Incorrect email or password"
	MsgInactiveUser       = "Inactive user"
	MsgNotEnoughRights    = "Not enough permissions"
	MsgEmailTaken         = "Email already registered"
	MsgWrongPassword      = "Current password is incorrect"
	MsgValidationFailed   = "Validation failed"
	MsgInternal           = "Internal server error"
	MsgUnavailable        = "Service temporarily unavailable"
	MsgRateLimited        = "Too many attempts, try again later"
)

// Error is a failure a client may see. Message is always safe to show.
type Error struct {
	Code    Code
	Message string
	// Fields maps an input field, named as the service's inputs name it
	// (email, newPassword, refreshToken), to what is wrong with it; set for
	// CodeValidation. Each front renames the fields to its own contract's.
	Fields map[string][]string
	// RetryAfter is set for CodeRateLimited and CodeServiceUnavailable.
	RetryAfter time.Duration
	// cause is logged, never shown.
	cause error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error so that only a safe message leaks.
func Internal(cause error) *Error {
	return &Error{Code: CodeInternal, Message: MsgInternal, cause: cause}
}

// Unavailable reports that a dependency (database, hash capacity) is not
// answering; clients may retry after a moment.
func Unavailable(cause error) *Error {
	return &Error{Code: CodeServiceUnavailable, Message: MsgUnavailable, RetryAfter: time.Second, cause: cause}
}

// ErrorOf returns err as an *Error: one of ours unchanged, anything else
// as an internal error.
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Problems collects validation problems per field.
type Problems map[string][]string

// Add records one problem with field.
func (p Problems) Add(field, msg string) { p[field] = append(p[field], msg) }

// Err returns a CodeValidation error when there are problems, else nil.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Message: MsgValidationFailed, Fields: p}
}

func unauthorized(msg string) *Error { return &Error{Code: CodeUnauthorized, Message: msg} }
