// Package database opens the Ent client for DATABASE_URL (SQLite or
// PostgreSQL), migrates the schema and tells outages from bugs.
package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/mattn/go-sqlite3"

	"gqlauth/ent"
)

// DB is an open database: the Ent client and the pool under it.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB // the pool reads use (on PostgreSQL, everything)
	Dialect string
	// Writer is SQLite's single write connection (see writer.go); nil on
	// PostgreSQL, where SQL serves writes too.
	Writer *sql.DB
}

// Pool sizes the connection pool. Left at Go's defaults, only two idle
// connections are kept, and PostgreSQL pays a new connection for most
// statements under load.
type Pool struct {
	MaxOpen int
	MaxIdle int
}

// SQLiteDSN is the mattn/go-sqlite3 DSN for a database file: WAL so readers
// never block the writer; synchronous=FULL so a committed transaction (a 201,
// a rotated refresh token) survives a crash of the process or the machine;
// immediate transactions so two writers queue on busy_timeout instead of
// failing to upgrade a read lock; and a per-connection statement cache, since
// Ent sends the same few statements over and over and preparing them again
// cost about a tenth of a token check.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_fk=1&_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate&_stmt_cache_size=64"
}

// ParseURL maps DATABASE_URL to a database/sql driver name and DSN:
// sqlite://relative.db, sqlite:///absolute/path.db, or postgres://… (also
// postgresql://…).
func ParseURL(url string) (driver, dsn string, err error) {
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		path := strings.TrimPrefix(url, "sqlite://")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return "", "", errors.New("sqlite URL has no file path")
		}
		return "sqlite3", path, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return "pgx", url, nil
	default:
		return "", "", errors.New("must start with sqlite:// or postgres://")
	}
}

// Open connects to rawURL (a DATABASE_URL). It does not migrate.
func Open(ctx context.Context, rawURL string, pool Pool) (*DB, error) {
	driverName, dsn, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var dia string
	switch driverName {
	case "sqlite3":
		// The file is made (0600) before SQLite opens it; its -wal and
		// -shm files take its mode.
		if _, err := PrepareSQLiteFile(dsn); err != nil {
			return nil, err
		}
		dsn = SQLiteDSN(dsn)
		dia = dialect.SQLite
	default:
		dsn = withConnectTimeout(dsn)
		dia = dialect.Postgres
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	if pool.MaxOpen > 0 {
		db.SetMaxOpenConns(pool.MaxOpen)
	}
	if pool.MaxIdle > 0 {
		db.SetMaxIdleConns(pool.MaxIdle)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to database: %w", err)
	}
	if dia == dialect.SQLite {
		// One writer (writer.go): a pool of one connection for writes and
		// transactions beside the read pool, on the same file and DSN.
		w, err := sql.Open(driverName, dsn)
		if err != nil {
			db.Close()
			return nil, err
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxIdleTime(0)
		drv := &splitDriver{read: entsql.OpenDB(dia, db), write: entsql.OpenDB(dia, w)}
		return &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db, Writer: w, Dialect: dia}, nil
	}
	drv := entsql.OpenDB(dia, db)
	return &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db, Dialect: dia}, nil
}

// withConnectTimeout bounds how long a PostgreSQL connection attempt may
// hang during an outage, unless the URL already says.
func withConnectTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "3")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Migrate brings the schema up to date. On PostgreSQL an advisory lock keeps
// instances that start together from migrating at once.
func (d *DB) Migrate(ctx context.Context) error {
	if d.Dialect == dialect.Postgres {
		conn, err := d.SQL.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		// Ent cannot express advisory locks; the key is an arbitrary constant.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
			return fmt.Errorf("locking for migration: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(727274)") //nolint:errcheck
	}
	// Ent's migration writes to its package-level table descriptions, so
	// two in one process (tests run several servers) must not overlap.
	migrating.Lock()
	defer migrating.Unlock()
	if err := d.Client.Schema.Create(ctx); err != nil {
		return fmt.Errorf("migrating schema: %w", err)
	}
	return nil
}

var migrating sync.Mutex

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.SQL.PingContext(ctx) }

// Close closes the pool.
func (d *DB) Close() error { return d.Client.Close() }

// IsUnavailable reports whether err means the database cannot be reached or
// is overloaded (a 503 worth retrying), as opposed to a bug.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var (
		netErr  net.Error
		connErr *pgconn.ConnectError
		pgErr   *pgconn.PgError
		liteErr sqlite3.Error
	)
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &connErr), errors.As(err, &netErr), pgconn.Timeout(err):
		return true
	case errors.As(err, &pgErr):
		// 08: connection exception; 53: insufficient resources; 57P0x: shutdown.
		c := pgErr.Code
		return len(c) == 5 && (c[:2] == "08" || c[:2] == "53" || c == "57P01" || c == "57P02" || c == "57P03")
	case errors.As(err, &liteErr):
		switch liteErr.Code {
		case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrCantOpen, sqlite3.ErrIoErr,
			sqlite3.ErrNotADB, sqlite3.ErrCorrupt, sqlite3.ErrReadonly, sqlite3.ErrFull, sqlite3.ErrPerm, sqlite3.ErrAuth:
			return true
		}
	}
	return false
}
