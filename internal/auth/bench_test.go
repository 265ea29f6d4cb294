package auth_test

// Micro-benchmarks of the hot paths under GET /api/auth/me and the @auth
// directive, on SQLite in b.TempDir(), with the raw database/sql statements
// the load benchmark's floor uses beside them for comparison:
//
//	go test -run '^$' -bench . -benchmem ./internal/auth

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"gqlauth/internal/auth"
	"gqlauth/internal/database"
	"gqlauth/internal/testenv"
)

type benchEnv struct {
	db     *database.DB
	tokens *auth.Tokens
	svc    *auth.Service
	pair   *auth.TokenPair
}

// newBenchEnv builds the service as internal/app does (rate limits off) and
// registers one user, whose session the benchmarks use.
func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	return newBenchEnvOn(b, testenv.OpenBench(b))
}

// newBenchEnvOn builds the service on db, which is open and migrated.
func newBenchEnvOn(b *testing.B, db *database.DB) *benchEnv {
	b.Helper()
	s := testenv.NewService(b, db, nil)
	return &benchEnv{db: db, tokens: s.Tokens, svc: s.Service, pair: s.Pair}
}

func BenchmarkTokensParse(b *testing.B) {
	e := newBenchEnv(b)
	for b.Loop() {
		if _, err := e.tokens.Parse(e.pair.AccessToken, auth.TokenAccess); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.svc.Authenticate(ctx, e.pair.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateParallel(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.Authenticate(ctx, e.pair.AccessToken); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAuthorize is the @auth directive's path: the bearer stored in the
// request context, authenticated once, and the role checked.
func BenchmarkAuthorize(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.svc.Authorize(auth.WithBearer(ctx, e.pair.AccessToken), auth.RoleUser); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefresh rotates one session's chain, spending each token once.
func BenchmarkRefresh(b *testing.B) { benchRefresh(b, newBenchEnv(b)) }

func benchRefresh(b *testing.B, e *benchEnv) {
	ctx := context.Background()
	token := e.pair.RefreshToken
	for b.Loop() {
		p, err := e.svc.Refresh(ctx, token)
		if err != nil {
			b.Fatal(err)
		}
		token = p.RefreshToken
	}
}

// The floor's statements, on the same pool, for comparison with Authenticate.

const (
	benchUserRowSQL = "SELECT id, name, email, role, is_active, created_at, updated_at FROM users WHERE id = ?"
	// The token check's session predicate both ways: the correlated EXISTS
	// that user.HasSessionsWith builds, and the uncorrelated IN that
	// Authenticate's statement uses (auth.userOfActiveSession).
	benchCheckExistsSQL = "SELECT `users`.`id`, `users`.`name`, `users`.`email`, `users`.`role`, `users`.`is_active`, " +
		"`users`.`created_at`, `users`.`updated_at` FROM `users` WHERE `users`.`id` = ? AND EXISTS (SELECT `sessions`.`user_id` " +
		"FROM `sessions` WHERE ((`users`.`id` = `sessions`.`user_id` AND `sessions`.`id` = ?) AND `sessions`.`revoked_at` IS NULL) " +
		"AND `sessions`.`absolute_expires_at` > ?) LIMIT 1"
	benchCheckInSQL = "SELECT `users`.`id`, `users`.`name`, `users`.`email`, `users`.`role`, `users`.`is_active`, " +
		"`users`.`created_at`, `users`.`updated_at` FROM `users` WHERE `users`.`id` = ? AND `users`.`id` IN (SELECT " +
		"`sessions`.`user_id` FROM `sessions` WHERE (`sessions`.`id` = ? AND `sessions`.`revoked_at` IS NULL) " +
		"AND `sessions`.`absolute_expires_at` > ?) LIMIT 1"
)

type benchUserRow struct {
	id                int
	name, email, role string
	active            bool
	created, updated  time.Time
}

func BenchmarkFloorUserRowPrepared(b *testing.B) {
	e := newBenchEnv(b)
	stmt := benchPrepare(b, e.db.SQL, benchUserRowSQL)
	for b.Loop() {
		var u benchUserRow
		if err := stmt.QueryRow(e.pair.User.ID).Scan(&u.id, &u.name, &u.email, &u.role, &u.active, &u.created, &u.updated); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloorUserRowUnprepared(b *testing.B) {
	e := newBenchEnv(b)
	for b.Loop() {
		var u benchUserRow
		if err := e.db.SQL.QueryRow(benchUserRowSQL, e.pair.User.ID).Scan(&u.id, &u.name, &u.email, &u.role, &u.active, &u.created, &u.updated); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenCheckSQL runs the token check's statement, prepared, with
// either form of the session predicate: on SQLite the correlated EXISTS
// takes about three times as long as the IN (why userOfActiveSession exists).
func BenchmarkTokenCheckSQL(b *testing.B) {
	e := newBenchEnv(b)
	claims, err := e.tokens.Parse(e.pair.AccessToken, auth.TokenAccess)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, query string }{{"exists", benchCheckExistsSQL}, {"in", benchCheckInSQL}} {
		b.Run(bc.name, func(b *testing.B) {
			stmt := benchPrepare(b, e.db.SQL, bc.query)
			for b.Loop() {
				var u benchUserRow
				now := time.Now().UTC().Truncate(time.Second)
				if err := stmt.QueryRow(e.pair.User.ID, claims.SessionID, now).Scan(&u.id, &u.name, &u.email, &u.role, &u.active, &u.created, &u.updated); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchPrepare(b *testing.B, db *sql.DB, q string) *sql.Stmt {
	b.Helper()
	stmt, err := db.Prepare(q)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stmt.Close() })
	return stmt
}
