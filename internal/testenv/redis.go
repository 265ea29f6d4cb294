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
	u := os.Getenv("TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but TEST_REDIS_URL is not set")
		}
		t.Skip("TEST_REDIS_URL not set: skipping the Redis limiter path")
	}
	return u
}
