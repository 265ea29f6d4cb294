// Package password hashes and verifies passwords (argon2id, legacy bcrypt)
// behind a queue admitted by expected wait, in worker processes of the
// lowest CPU priority when the binary's main calls RunWorkerIfRequested.
package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/bcrypt"
)

// Argon2Params are OWASP's minimum for argon2id (m=19 MiB, t=2, p=1).
var Argon2Params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// bcryptMaxBytes is where bcrypt silently truncates its input.
const bcryptMaxBytes = 72

// ErrBusy is returned when a caller would wait too long for a hash, or the
// worker running its hash died: a capacity refusal the client may retry.
var ErrBusy = errors.New("password hashing capacity exhausted")

// Hasher hashes and verifies passwords behind a queue admitted by expected
// wait: at most `workers` hashes run at once (each argon2id holds 19 MiB,
// allocated only once a caller holds a worker slot, so waiting callers cost
// no hash memory), and a caller joins the queue only if the wait it can
// expect — the callers ahead of it × the measured hash time ÷ workers —
// stays within `wait`. A burst of sign-ups is thus served as long as the
// hashes can be done in time, not cut at a fixed count; beyond that callers
// get ErrBusy (a 503 with Retry-After) at once instead of waiting in
// vain. `queue` is a hard cap on waiting callers beside that rule. A caller
// whose context ends (deadline, client gone) leaves the queue at once, and
// one whose hash is running in a worker process ends that worker and frees
// its slot.
type Hasher struct {
	params *argon2id.Params
	slots  chan struct{}
	wait   time.Duration
	dummy  string
	// now is the clock hash durations are measured with (tests inject one).
	now func() time.Time

	mu       sync.Mutex
	maxQueue int           // hard cap on waiting callers
	queued   int           // callers waiting for a slot
	running  int           // callers holding a slot
	hashTime time.Duration // EWMA of recent hash durations, slot held to slot freed

	// observeWait, when set, is told how long each caller waited for a slot.
	observeWait func(time.Duration)
	// procs, when set, runs every hash in a worker process.
	procs *pool
}

// hashTimeWeight is the weight of the newest hash duration in the EWMA: the
// estimate follows a change of load within a few dozen hashes (~1 s).
const hashTimeWeight = 0.2

// ObserveWait sets a function told how long each hash waited for a slot
// (for metrics). Call it before the Hasher is used.
func (h *Hasher) ObserveWait(f func(time.Duration)) { h.observeWait = f }

// NewHasher returns a Hasher; see the type's comment for the bounds.
func NewHasher(params *argon2id.Params, workers, queue int, wait time.Duration) (*Hasher, error) {
	if workers < 1 {
		workers = 1
	}
	h := &Hasher{
		params:   params,
		slots:    make(chan struct{}, workers),
		wait:     wait,
		now:      time.Now,
		maxQueue: queue,
	}
	// A real hash of a random-enough string, verified for unknown emails so
	// that they cost the same as a wrong password.
	dummy, err := argon2id.CreateHash("gqlauth-dummy-password-for-timing", params)
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	// A second, warm hash (a verification of the dummy) seeds the hash-time
	// estimate; the first pays for faulting in its memory.
	start := time.Now()
	_, _ = argon2id.ComparePasswordAndHash("gqlauth-dummy-password-for-timing", dummy)
	h.hashTime = time.Since(start)
	return h, nil
}

// QueueDepth reports how many hash requests are running or waiting.
func (h *Hasher) QueueDepth() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.queued + h.running
}

// expectedWaitLocked is how long a caller joining now can expect to wait
// for a slot: nothing while a slot is free, else its place among those
// waiting × the hash time ÷ workers (the rate at which slots free up).
func (h *Hasher) expectedWaitLocked() time.Duration {
	workers := cap(h.slots)
	free := workers - h.running
	if h.queued < free {
		return 0
	}
	ahead := h.queued - free + 1
	return time.Duration(ahead) * h.hashTime / time.Duration(workers)
}

// admitLocked reports whether a caller may join the queue now, and the wait
// it can expect.
func (h *Hasher) admitLocked() (time.Duration, bool) {
	w := h.expectedWaitLocked()
	if w == 0 {
		return 0, true
	}
	return w, h.queued < h.maxQueue && w <= h.wait
}

// ExpectedWait reports how long a caller joining now can expect to wait.
func (h *Hasher) ExpectedWait() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.expectedWaitLocked()
}

// observe folds one hash's duration into the estimate.
func (h *Hasher) observe(d time.Duration) {
	h.mu.Lock()
	h.hashTime += time.Duration(hashTimeWeight * float64(d-h.hashTime))
	h.mu.Unlock()
}

// acquire waits for a worker slot. Admitted callers are served unless
// their context ends or, as a backstop when the estimate was far off, they
// have waited twice the bound.
func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	h.mu.Lock()
	expect, ok := h.admitLocked()
	if ok {
		if dl, has := ctx.Deadline(); has && h.now().Add(expect).After(dl) {
			ok = false // it would give up before its turn: refuse now
		}
	}
	if !ok {
		h.mu.Unlock()
		return nil, ErrBusy
	}
	h.queued++
	h.mu.Unlock()

	start := h.now()
	timer := time.NewTimer(2 * h.wait)
	defer timer.Stop()
	leave := func() {
		h.mu.Lock()
		h.queued--
		h.mu.Unlock()
	}
	select {
	case h.slots <- struct{}{}:
		h.mu.Lock()
		h.queued--
		h.running++
		h.mu.Unlock()
		if h.observeWait != nil {
			h.observeWait(h.now().Sub(start))
		}
		return func() {
			h.mu.Lock()
			h.running--
			h.mu.Unlock()
			<-h.slots
		}, nil
	case <-timer.C:
		leave()
		return nil, ErrBusy
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

// Hash returns the argon2id PHC string of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	r, err := h.compute(ctx, request{Password: password, Params: *h.params})
	return r.Hash, err
}

// compute runs req once a slot is free: in a worker process when h has
// them, else (or when none can start) in this process.
func (h *Hasher) compute(ctx context.Context, req request) (response, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return response{}, err
	}
	defer release()
	if h.procs != nil {
		r, took, err := h.procs.do(ctx, req, h.now)
		if !errors.As(err, new(errNoWorker)) {
			if err == nil {
				h.observe(took)
			}
			return r, err
		}
		// No worker can start: hash here rather than refuse every login.
	}
	start := h.now()
	r := answer(req)
	h.observe(h.now().Sub(start))
	if r.Err != "" {
		return r, errors.New(r.Err)
	}
	return r, nil
}

// Saturated reports whether a caller arriving now would be refused (its
// expected wait exceeds the bound, or the queue is at its hard cap), so a
// caller can refuse before doing other work for a hash it will not get.
func (h *Hasher) Saturated() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.admitLocked()
	return !ok
}

// Verify reports whether password matches encoded (argon2id, or a legacy
// bcrypt hash) and whether the hash should be replaced by a current argon2id
// one. An empty encoded hash verifies against a dummy, taking the same time.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	r, err := h.compute(ctx, request{Verify: true, Password: password, Encoded: encoded, Params: *h.params, Dummy: h.dummy})
	return r.OK, r.Rehash, err
}

// verifyPassword is Verify's work, wherever it runs (here or in a hash
// worker process): params are the configured ones, dummy the hash that
// stands in for a missing one.
func verifyPassword(params *argon2id.Params, dummy, password, encoded string) (ok, rehash bool, err error) {
	switch {
	case encoded == "":
		_, _ = argon2id.ComparePasswordAndHash(password, dummy)
		return false, false, nil
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		// bcrypt ignores bytes past 72; such a password could match a hash of
		// a different one, so it never verifies.
		if len(password) > bcryptMaxBytes {
			_, _ = argon2id.ComparePasswordAndHash(password, dummy)
			return false, false, nil
		}
		return bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)) == nil, true, nil
	case strings.HasPrefix(encoded, "$argon2id$"):
		match, stored, err := argon2id.CheckHash(password, encoded)
		if err != nil {
			return false, false, err
		}
		weaker := stored.Memory < params.Memory || stored.Iterations < params.Iterations
		return match, match && weaker, nil
	default:
		return false, false, errors.New("unknown password hash format")
	}
}
