package app_test

import (
	"os"
	"testing"

	"gqlauth/internal/password"
)

// TestMain lets this test binary serve as the hash workers of the servers
// the tests run in-process: each re-executes it as one.
func TestMain(m *testing.M) {
	password.RunWorkerIfRequested()
	os.Exit(m.Run())
}
