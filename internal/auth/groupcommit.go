package auth

import (
	"context"
	"sync"

	"gqlauth/ent"
)

// groupCommit runs concurrent single-statement writes (refresh rotations
// on SQLite) in shared transactions: while one batch commits, the writes
// that arrive queue, and the next batch runs them all in one transaction,
// so one fsync (synchronous=FULL) covers many rotations — group commit, as
// PostgreSQL does for its WAL. Durability is unchanged: a caller learns
// its result only after the commit that holds its write has returned.
//
// There is no background goroutine: the first caller to find no batch
// running leads; when its batch is done it hands the lead to the oldest
// waiter, so no caller serves more than one batch.
type groupCommit struct {
	db       *ent.Client
	maxBatch int

	mu      sync.Mutex
	pending []*gcReq
	running bool
	batches int // transactions of more than one write (read by tests)
}

type gcReq struct {
	query string
	args  []any
	done  chan gcRes // buffered (1)
}

type gcRes struct {
	n    int64
	err  error
	lead bool // not a result: the caller now leads the next batch
}

// exec runs query (one UPDATE) in the next batch and returns the rows it
// affected, once that batch has committed.
func (g *groupCommit) exec(ctx context.Context, query string, args []any) (int64, error) {
	r := &gcReq{query: query, args: args, done: make(chan gcRes, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, r)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if !lead {
		res := <-r.done
		if !res.lead {
			return res.n, res.err
		}
	}
	g.mu.Lock()
	batch := g.pending
	if len(batch) > g.maxBatch {
		batch = batch[:g.maxBatch]
	}
	g.pending = g.pending[len(batch):]
	g.mu.Unlock()
	g.run(context.WithoutCancel(ctx), batch)
	g.mu.Lock()
	if len(g.pending) > 0 {
		g.pending[0].done <- gcRes{lead: true}
	} else {
		g.running = false
	}
	g.mu.Unlock()
	res := <-r.done
	return res.n, res.err
}

// run executes batch in one transaction and answers every request. If a
// statement fails, the transaction is rolled back and each request runs on
// its own, so one failure is nobody else's.
func (g *groupCommit) run(ctx context.Context, batch []*gcReq) {
	if len(batch) == 1 {
		g.alone(ctx, batch[0])
		return
	}
	g.batches++ // only the leader runs batches
	tx, err := g.db.Tx(ctx)
	if err != nil {
		for _, r := range batch {
			r.done <- gcRes{err: err}
		}
		return
	}
	ns := make([]int64, len(batch))
	for i, r := range batch {
		res, err := tx.ExecContext(ctx, r.query, r.args...)
		if err == nil {
			ns[i], err = res.RowsAffected()
		}
		if err != nil {
			_ = tx.Rollback()
			for _, r := range batch {
				g.alone(ctx, r)
			}
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, r := range batch {
			r.done <- gcRes{err: err}
		}
		return
	}
	for i, r := range batch {
		r.done <- gcRes{n: ns[i]}
	}
}

func (g *groupCommit) alone(ctx context.Context, r *gcReq) {
	res, err := g.db.ExecContext(ctx, r.query, r.args...)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	r.done <- gcRes{n: n, err: err}
}
