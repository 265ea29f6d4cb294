package auth

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"gqlauth/ent/enttest"
)

// TestGroupCommitBatchesAndIsolates: writes that arrive while a batch is
// committing run together in the next transaction, each caller gets its
// own statement's result, and a failing statement fails only its caller.
// Not parallel: enttest copies ent's package-level table descriptions, which
// a PostgreSQL migration in a parallel test writes to.
func TestGroupCommitBatchesAndIsolates(t *testing.T) {
	client := enttest.Open(t, "sqlite3", "file:"+filepath.Join(t.TempDir(), "gc.db")+"?_fk=1&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
	defer client.Close()
	ctx := context.Background()
	now := time.Now()
	const n = 10
	ids := make([]int, n)
	for i := range ids {
		u := client.User.Create().SetName("u").SetEmail(fmt.Sprintf("u%d@example.com", i)).SetPasswordHash("x").
			SetCreatedAt(now).SetUpdatedAt(now).SaveX(ctx)
		ids[i] = u.ID
	}
	g := &groupCommit{db: client, maxBatch: 64}

	cases := []struct {
		name    string
		query   string
		args    []any
		wantN   int64
		wantErr bool
	}{
		{"bad statement fails alone", "UPDATE no_such_table SET x = 1", nil, 0, true},
		{"no row matches", "UPDATE users SET name = ? WHERE id = ?", []any{"z", -1}, 0, false},
	}
	for i, id := range ids[:n-len(cases)] {
		cases = append(cases, struct {
			name    string
			query   string
			args    []any
			wantN   int64
			wantErr bool
		}{fmt.Sprintf("update %d", i), "UPDATE users SET name = ? WHERE id = ?", []any{fmt.Sprintf("renamed %d", i), id}, 1, false})
	}

	// A batch is "committing": callers queue behind it.
	g.mu.Lock()
	g.running = true
	g.mu.Unlock()
	var wg sync.WaitGroup
	got := make([]gcRes, len(cases))
	for i, c := range cases {
		wg.Go(func() {
			n, err := g.exec(ctx, c.query, c.args)
			got[i] = gcRes{n: n, err: err}
		})
	}
	for {
		g.mu.Lock()
		queued := len(g.pending)
		g.mu.Unlock()
		if queued == len(cases) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// The batch in flight ends and hands the lead to the oldest waiter,
	// which runs every queued write in one batch.
	g.mu.Lock()
	g.pending[0].done <- gcRes{lead: true}
	g.mu.Unlock()
	wg.Wait()

	for i, c := range cases {
		if (got[i].err != nil) != c.wantErr || got[i].n != c.wantN {
			t.Errorf("%s: n=%d err=%v, want n=%d err=%v", c.name, got[i].n, got[i].err, c.wantN, c.wantErr)
		}
	}
	if renamed := client.User.Query().CountX(ctx); renamed != n {
		t.Fatalf("users = %d", renamed)
	}
	for i, id := range ids[:n-2] {
		if name := client.User.GetX(ctx, id).Name; name != fmt.Sprintf("renamed %d", i) {
			t.Errorf("user %d name = %q: its committed update is missing", id, name)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.batches != 1 {
		t.Errorf("%d batches, want the %d queued writes in 1", g.batches, len(cases))
	}
	if g.running || len(g.pending) > 0 {
		t.Fatalf("after the batch: running=%v pending=%d, want idle", g.running, len(g.pending))
	}
}
