package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"

	"gqlauth/internal/config"
	"gqlauth/internal/database"
	"gqlauth/internal/password"
)

// -users N seeds N users and N sessions straight into the server's
// database (bulk INSERTs, one precomputed password hash) before the cases
// run, to show how the costs grow with the tables; it then reports the
// database's size and how long a server takes to start (and migrate) on it.

// seedUsers bulk-inserts n users (seed-I@example.com) and one session each.
func seedUsers(ctx context.Context, cfg *config.Config, n int) (time.Duration, error) {
	driver, dsn, err := database.ParseURL(cfg.DatabaseURL)
	if err != nil {
		return 0, err
	}
	if driver == "sqlite3" {
		dsn = database.SQLiteDSN(dsn)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	hash, err := argon2id.CreateHash("seed-password-123", password.Argon2Params)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	now := time.Now().UTC().Truncate(time.Second)
	const batch = 1000
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck
	var q strings.Builder
	args := make([]any, 0, batch*5)
	for i := 0; i < n; i += batch {
		q.Reset()
		args = args[:0]
		q.WriteString("INSERT INTO users (name, email, password_hash, role, is_active, created_at, updated_at) VALUES ")
		for j := i; j < min(n, i+batch); j++ {
			if j > i {
				q.WriteByte(',')
			}
			q.WriteString("(?, ?, ?, 'USER', true, ?, ?)")
			args = append(args, fmt.Sprintf("Seed User %d", j), fmt.Sprintf("seed-%d@example.com", j), hash, now, now)
		}
		if _, err := tx.ExecContext(ctx, placeholders(driver, q.String()), args...); err != nil {
			return 0, fmt.Errorf("seeding users: %w", err)
		}
	}
	// One session per seeded user, computed by the database.
	concat := "'seed-' || CAST(id AS TEXT)"
	sessions := `INSERT INTO sessions (id, created_at, last_used_at, expires_at, absolute_expires_at, refresh_jti, refresh_issued_at, user_id)
		SELECT ` + concat + `, ?, ?, ?, ?, ` + concat + `, ?, id FROM users WHERE email LIKE 'seed-%'`
	if _, err := tx.ExecContext(ctx, placeholders(driver, sessions), now, now, now.Add(cfg.RefreshTTL), now.Add(cfg.SessionMaxAge), now); err != nil {
		return 0, fmt.Errorf("seeding sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	took := time.Since(start)
	if driver == "sqlite3" {
		_, _ = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	} else {
		_, _ = db.ExecContext(ctx, "ANALYZE users")
		_, _ = db.ExecContext(ctx, "ANALYZE sessions")
	}
	return took, nil
}

// databaseSize is the size of the SQLite file (with its WAL) or of the
// PostgreSQL tables with their indexes.
func databaseSize(ctx context.Context, cfg *config.Config) (int64, error) {
	driver, dsn, err := database.ParseURL(cfg.DatabaseURL)
	if err != nil {
		return 0, err
	}
	if driver == "sqlite3" {
		var total int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(dsn + suffix); err == nil {
				total += fi.Size()
			}
		}
		return total, nil
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var size int64
	err = db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&size)
	return size, err
}

// reportSeed prints the seed's figures: seeding time, size, and how long a
// second server takes to start (open, migrate, listen) on the database.
func reportSeed(ctx context.Context, w io.Writer, o options, p *product, took time.Duration) {
	size, err := databaseSize(ctx, p.cfg)
	if err != nil {
		fmt.Fprintf(w, "seed:     %d users + %d sessions in %s; size: %v\n", o.users, o.users, took.Round(time.Millisecond), err)
		return
	}
	fmt.Fprintf(w, "seed:     %d users + %d sessions inserted in %s; database size %.1f MiB\n",
		o.users, o.users, took.Round(time.Millisecond), float64(size)/(1<<20))
	start := time.Now()
	var (
		q  *product
		qe error
	)
	if o.process {
		q, qe = startProductProcess(ctx, p.process, p.env, p.dbLabel)
	} else {
		q, qe = startProduct(ctx, p.env, p.dbLabel)
	}
	if qe != nil {
		fmt.Fprintf(w, "          second server on it: %v\n", qe)
		return
	}
	startup := time.Since(start)
	q.stop()
	fmt.Fprintf(w, "          a second server's start on it (open, migrate, listen): %s\n", startup.Round(time.Millisecond))
}
