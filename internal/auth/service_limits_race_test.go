package auth_test

import (
	"context"
	"testing"
	"time"

	"gqlauth/internal/auth"
	"gqlauth/internal/testenv"
)

// TestLoginFailureLimitUnderConcurrency: the per-email failure limit must
// bound the number of password guesses, also when they arrive at once.
func TestLoginFailureLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	const limit, n = 3, 16
	// A hash that takes a few milliseconds, like the real one, so that the
	// guesses overlap as they would against production parameters.
	env := newTestService(t, withHasherParams(slowParams),
		withLimits(auth.Limits{LoginFailures: auth.Rule{Limit: limit, Window: time.Hour}}))
	env.register(t, testName, testEmail, testPassword)
	errs := make([]error, n)
	testenv.AtOnce(n, func(i int) {
		_, errs[i] = env.svc.Login(context.Background(), testEmail, "wrongPassword99")
	})
	checked := 0
	for _, err := range errs {
		switch e := asAuthErr(t, err); e.Code {
		case auth.CodeUnauthorized:
			checked++
		case auth.CodeRateLimited:
		default:
			t.Errorf("unexpected error %v", e)
		}
	}
	t.Logf("%d of %d concurrent guesses had their password checked (limit %d)", checked, n, limit)
	if checked > limit {
		t.Fatalf("%d passwords were checked with a failure limit of %d", checked, limit)
	}
}
