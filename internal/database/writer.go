package database

import (
	"context"
	"database/sql"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// SQLite allows one writer at a time. With every pooled connection free to
// write, concurrent writers each take the write lock in turn and the rest
// sleep in SQLite's busy handler (which backs off in steps of up to 100 ms),
// so under 16 concurrent refreshes the p99 was ~10× the floor's. SQLite's
// own advice for WAL is one writer: writes, and every transaction, go to a
// pool of one connection, where Go queues them in order and wakes the next
// the moment the previous commits; plain SELECTs go to the read pool, which
// in WAL mode never waits for the writer. Durability is unchanged: both
// pools use SQLiteDSN (WAL, synchronous=FULL).
//
// A consequence to keep in mind: inside a transaction, write through the
// transaction's client (tx.User, tx.Session …), never through the service's
// client — such a write would wait for the writer the transaction holds.
// Reads through the service's client inside a transaction are fine.

// splitDriver sends SELECTs to read and everything else to write.
type splitDriver struct {
	read, write *entsql.Driver
}

var _ dialect.Driver = (*splitDriver)(nil)

// isRead reports whether query only reads: a plain SELECT. Anything else
// (INSERT … RETURNING, WITH … UPDATE, PRAGMA) goes to the writer.
func isRead(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

func (d *splitDriver) pick(query string) *entsql.Driver {
	if isRead(query) {
		return d.read
	}
	return d.write
}

func (d *splitDriver) Exec(ctx context.Context, query string, args, v any) error {
	return d.write.Exec(ctx, query, args, v)
}

func (d *splitDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.pick(query).Query(ctx, query, args, v)
}

// ExecContext and QueryContext serve the client's sql/execquery methods.
func (d *splitDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.write.ExecContext(ctx, query, args...)
}

func (d *splitDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.pick(query).QueryContext(ctx, query, args...)
}

// Tx and BeginTx run on the writer: with _txlock=immediate every
// transaction takes the write lock at BEGIN anyway.
func (d *splitDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.write.Tx(ctx) }

func (d *splitDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	return d.write.BeginTx(ctx, opts)
}

func (d *splitDriver) Close() error {
	err := d.read.Close()
	if werr := d.write.Close(); err == nil {
		err = werr
	}
	return err
}

func (d *splitDriver) Dialect() string { return d.write.Dialect() }
