package main

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

// benchCase is one row (or, for the storm, five rows) of the table. run
// measures one round of it: warm-up, then dur.
type benchCase struct {
	name string
	help string
	run  func(ctx context.Context, b *bench, warmup, dur time.Duration) []*result
}

// bench is everything a case needs.
type bench struct {
	l       *loader
	clients []*client
	n       int // workers per case
	storm   int // login workers in the storm
	// queueCap is how many hashes the server holds at once, running or
	// waiting: HASH_CONCURRENCY + HASH_QUEUE_SIZE.
	queueCap int
	cpus     int
}

func cases() []benchCase {
	one := func(name, help string, workers func(b *bench) int, op func(b *bench) func(*worker) error) benchCase {
		return benchCase{name: name, help: help, run: func(ctx context.Context, b *bench, warmup, dur time.Duration) []*result {
			return run(ctx, warmup, dur, group{name: name, workers: workers(b), clients: b.clients, op: op(b)})
		}}
	}
	all := func(b *bench) int { return b.n }
	single := func(*bench) int { return 1 }
	return []benchCase{
		one("floor-me", "bare net/http + golang-jwt + one prepared PK read", all,
			func(b *bench) func(*worker) error {
				return func(w *worker) error { return b.l.me(b.l.floor, w.c) }
			}),
		one("rest-me", "GET /api/auth/me", all, func(b *bench) func(*worker) error {
			return func(w *worker) error { return b.l.me(b.l.product, w.c) }
		}),
		one("graphql-me", "POST /graphql { me { id email } }", all, func(b *bench) func(*worker) error {
			return func(w *worker) error { return b.l.graphqlMe(w.c) }
		}),
		one("floor-refresh", "bare verify + one conditional UPDATE + sign", all, func(b *bench) func(*worker) error {
			return func(w *worker) error { return b.l.refresh(b.l.floor, &w.c.floor) }
		}),
		one("floor-refresh-serial", "floor-refresh with its writes serialized by a Go mutex (informational)", all, func(b *bench) func(*worker) error {
			return func(w *worker) error { return b.l.refresh(b.l.floor+"/serial", &w.c.floor) }
		}),
		one("refresh", "POST /api/auth/refresh, rotating", all, func(b *bench) func(*worker) error {
			return func(w *worker) error { return b.l.refresh(b.l.product, &w.c.prod) }
		}),
		one("hash", "bare argon2id.CreateHash loop, NumCPU goroutines", func(b *bench) int { return b.cpus },
			func(*bench) func(*worker) error { return hashOp }),
		one("hash-1", "bare argon2id.CreateHash, one goroutine (one hash's latency)", single,
			func(*bench) func(*worker) error { return hashOp }),
		one("login", "POST /api/auth/login/json", all, func(b *bench) func(*worker) error {
			return func(w *worker) error { _, err := b.l.login(w.c); return err }
		}),
		one("login-1", "POST /api/auth/login/json, one client (one login's latency)", single,
			func(b *bench) func(*worker) error {
				return func(w *worker) error { _, err := b.l.login(w.c); return err }
			}),
		one("mixed", "80% me, 15% refresh, 5% login", all, func(b *bench) func(*worker) error {
			return b.l.mixed
		}),
		{name: "storm", help: "me (4 clients) alone, then beside a login storm", run: storm},
	}
}

// stormMe is how many clients ask `me` during the storm.
const stormMe = 4

// storm measures `me` p99 with 4 clients alone; then beside one busy loop
// at the lowest CPU priority (SCHED_IDLE), which is what this machine lets
// any background work cost a token check, however it is scheduled: a floor
// for the storm (informational); then beside b.storm login
// clients that keep the hash queue full and, when shed with a 503, wait
// out its Retry-After as the contract asks of clients (the target); then
// beside the same clients retrying at once, a flood of cheap requests
// rather than of hashes (informational). It samples the hash queue's depth
// and the memory.
func storm(ctx context.Context, b *bench, warmup, dur time.Duration) []*result {
	meOp := func(w *worker) error { return b.l.me(b.l.product, w.c) }
	loginOp := func(w *worker) error { _, err := b.l.login(w.c); return err }
	meClients := b.clients[:min(stormMe, len(b.clients))]
	out := run(ctx, warmup, dur, group{name: "storm: me alone", workers: stormMe, clients: meClients, op: meOp})
	if stop := startIdleBusyLoop(); stop != nil {
		rs := run(ctx, warmup, dur, group{name: "storm: me beside idle loop", workers: stormMe, clients: meClients, op: meOp})
		stop()
		rs[0].cpu = 0 // would include the loop's
		out = append(out, rs...)
	}
	for _, v := range []struct {
		prefix  string
		backoff bool
	}{{"storm", true}, {"flood", false}} {
		q := &queueStats{capacity: b.queueCap}
		rs := runWatching(ctx, warmup, dur, b.l.watchQueue(q),
			group{name: v.prefix + ": me", workers: stormMe, clients: meClients, op: meOp},
			group{name: fmt.Sprintf("%s: %d× login", v.prefix, b.storm), workers: b.storm, clients: b.clients,
				shed503: true, backoff: v.backoff, op: loginOp},
		)
		rs[1].queue = q
		out = append(out, rs...)
	}
	return out
}

// startIdleBusyLoop starts a shell busy loop in the SCHED_IDLE class and
// returns what stops it, or nil where chrt is missing or refused.
func startIdleBusyLoop() (stop func()) {
	cmd := exec.Command("chrt", "--idle", "0", "sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		return nil
	}
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}
