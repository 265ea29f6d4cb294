package testenv

import (
	"os"
	"testing"
)

// RedisURL is TEST_REDIS_URL, the Redis tests of the Redis limiter use.
// Without it the test is skipped, saying so — or fails when CI=true, where
// every path must run.
func RedisURL(t testing.TB) string {
	t.Helper()
	return required(t, os.Getenv("TEST_REDIS_URL"), "TEST_REDIS_URL")
}

// RequirePostgres is the PostgreSQL URL of tests that need PostgreSQL even
// on an SQLite run: TEST_DATABASE_URL when it is one (PostgresURL), else
// TEST_POSTGRES_URL (which CI sets on the SQLite run too). Without either
// the test is skipped, or fails when CI=true.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	if base == "" {
		base = os.Getenv("TEST_POSTGRES_URL")
	}
	return required(t, base, "TEST_POSTGRES_URL or TEST_DATABASE_URL (postgres://…)")
}

func required(t testing.TB, value, what string) string {
	t.Helper()
	if value == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is not set", what)
		}
		t.Skipf("%s is not set: skipping", what)
	}
	return value
}
