package auth

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"entgo.io/ent/dialect"

	"gqlauth/internal/password"
)

// TestServiceHashBusyIsUnavailable: no hashing capacity (a full queue, a
// worker that died mid-hash) is a 503 the client may retry, not a 500.
func TestServiceHashBusyIsUnavailable(t *testing.T) {
	t.Parallel()
	s := New(Options{Dialect: dialect.SQLite})
	died := fmt.Errorf("%w: hash worker: %w", password.ErrBusy, io.ErrUnexpectedEOF)
	for _, err := range []error{password.ErrBusy, errors.Join(errors.New("x"), password.ErrBusy), died} {
		e := ErrorOf(s.hashErr(err))
		if e.Code != CodeServiceUnavailable || e.RetryAfter <= 0 {
			t.Fatalf("hashErr(%v) = %v (retry %v), want SERVICE_UNAVAILABLE with RetryAfter", err, e, e.RetryAfter)
		}
		if e.Message != MsgUnavailable {
			t.Fatalf("message = %q leaks internals", e.Message)
		}
	}
	if e := ErrorOf(s.hashErr(errors.New("boom"))); e.Code != CodeInternal || e.Message != MsgInternal {
		t.Fatalf("hashErr(other) = %v, want INTERNAL_ERROR with a safe message", e)
	}
}
