// Package attacktest holds gqlauth's attack tests: one test per promise
// that gqlauth is hard to abuse and hard to break, each failing if its
// promise breaks.
//
//   - TestBruteForce: per-email and per-address login limits (429 with
//     Retry-After, checked before any hash), spoofed and trusted
//     X-Forwarded-For, register and refresh limits, the NIST cap of 100
//     consecutive failures, concurrent guesses, the Redis limiter path.
//   - TestGraphQLAbuse: aliased login fields, depth, complexity and token
//     limits, GET mutations, multipart, WebSocket, batching, suggestions.
//   - TestLoginTiming: unknown email and wrong password cost the same.
//   - TestPasswordStorageAndLogs, TestLegacyBcryptAndHugePasswords: argon2id
//     at OWASP's minimum, bcrypt's 72-byte truncation, huge passwords, and
//     no password, token or hash in the logs.
//   - TestHashQueueUnderLoginStorm: 503 with Retry-After when the hash queue
//     is full, and token-only requests keep their latency.
//   - TestHeadersAndTokens, TestJWTLibraryVersion, TestSlowHeaders: security
//     headers, no-store, CORS, pathological Authorization headers, golang-jwt
//     past CVE-2025-30204, slow-header connections cut.
//   - TestCrashKill9, TestDatabaseOutage, TestDatabaseStall,
//     TestGracefulShutdown: faults, on the real process.
//   - TestAttacksAreObservable: request lines, security events, metrics.
//
// The tests run the real binary: TestMain builds gqlauth once per run and
// every test starts it as a child process on a loopback port with its own
// database (an SQLite file, or a fresh PostgreSQL schema when
// TEST_DATABASE_URL is set). TEST_REDIS_URL adds the Redis limiter path; the
// outage tests need TEST_DATABASE_URL (they cut PostgreSQL off with a TCP
// proxy of their own, never touching the server) and skip without it. Every
// loop is bounded in count and time, and the package runs in about a minute
// on two cores:
//
//	go test ./internal/attacktest/
//	TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	TEST_REDIS_URL=redis://127.0.0.1:6379/0 go test -race ./internal/attacktest/
//
// The package has no non-test code besides this comment.
package attacktest
