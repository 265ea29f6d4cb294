package testenv

import (
	"os"
	"strings"
	"testing"
)

// RequirePostgres returns the PostgreSQL URL a test that always needs one
// runs against: TEST_DATABASE_URL when it names PostgreSQL, else
// TEST_POSTGRES_URL (which CI sets on its SQLite run too). Without either
// the test fails when CI=true and is skipped, saying so, elsewhere.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	if u := PostgresURL(); u != "" {
		return u
	}
	if u := os.Getenv("TEST_POSTGRES_URL"); strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		return u
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but neither TEST_DATABASE_URL nor TEST_POSTGRES_URL names a PostgreSQL")
	}
	t.Skip("needs PostgreSQL: set TEST_POSTGRES_URL or TEST_DATABASE_URL to postgres://…")
	return ""
}
