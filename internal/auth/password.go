package auth

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/bcrypt"
)

// Argon2Params are OWASP's minimum for argon2id (m=19 MiB, t=2, p=1).
var Argon2Params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// bcryptMaxBytes is where bcrypt silently truncates its input.
const bcryptMaxBytes = 72

// ErrHashBusy is returned when the hash queue stays full for too long.
var ErrHashBusy = errors.New("password hashing capacity exhausted")

// Hasher hashes and verifies passwords behind a bounded queue: at most
// `workers` hashes run at once (each argon2id holds 19 MiB), at most `queue`
// callers wait, and none waits longer than `wait`. Past that callers get
// ErrHashBusy instead of piling up memory and latency.
type Hasher struct {
	params  *argon2id.Params
	slots   chan struct{}
	waiting chan struct{}
	wait    time.Duration
	dummy   string
	// observeWait, when set, is told how long each caller waited for a slot.
	observeWait func(time.Duration)
	// procs, when set, runs every hash in a worker process.
	procs *hashProcs
}

// ObserveWait sets a function told how long each hash waited for a slot
// (for metrics). Call it before the Hasher is used.
func (h *Hasher) ObserveWait(f func(time.Duration)) { h.observeWait = f }

// NewHasher returns a Hasher; see the type's comment for the bounds.
func NewHasher(params *argon2id.Params, workers, queue int, wait time.Duration) (*Hasher, error) {
	if workers < 1 {
		workers = 1
	}
	h := &Hasher{
		params:  params,
		slots:   make(chan struct{}, workers),
		waiting: make(chan struct{}, workers+queue),
		wait:    wait,
	}
	// A real hash of a random-enough string, verified for unknown emails so
	// that they cost the same as a wrong password.
	dummy, err := argon2id.CreateHash("gqlauth-dummy-password-for-timing", params)
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// QueueDepth reports how many hash requests are running or waiting.
func (h *Hasher) QueueDepth() int { return len(h.waiting) }

func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	select {
	case h.waiting <- struct{}{}:
	default:
		return nil, ErrHashBusy
	}
	start := time.Now()
	timer := time.NewTimer(h.wait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		if h.observeWait != nil {
			h.observeWait(time.Since(start))
		}
		return func() { <-h.slots; <-h.waiting }, nil
	case <-timer.C:
		<-h.waiting
		return nil, ErrHashBusy
	case <-ctx.Done():
		<-h.waiting
		return nil, ctx.Err()
	}
}

// Hash returns the argon2id PHC string of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	r, err := h.compute(ctx, hashRequest{Password: password, Params: *h.params})
	return r.Hash, err
}

// compute runs req once a slot is free: in a worker process when h has
// them, else (or when none can start) in this process.
func (h *Hasher) compute(ctx context.Context, req hashRequest) (hashResponse, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return hashResponse{}, err
	}
	defer release()
	if h.procs != nil {
		r, err := h.procs.do(req)
		if !errors.As(err, new(errNoWorker)) {
			return r, err
		}
		// No worker can start: hash here rather than refuse every login.
	}
	var r hashResponse
	h.run(func() { r = computeHash(req) })
	if r.Err != "" {
		return r, errors.New(r.Err)
	}
	return r, nil
}

// run runs a hash the caller holds a slot for. While hashes in flight could
// take every core, it runs on a lowered thread (runLowPriority), so token
// checks get the CPU first during a login storm. A lone hash on a machine
// with a core to spare runs where it is: the hop to another thread costs
// ~1 ms of a ~24 ms hash (x/crypto/argon2 runs each lane in a goroutine of
// its own, which the locked thread must hand over and wait for).
func (h *Hasher) run(f func()) {
	if len(h.slots) < runtime.NumCPU() {
		f()
		return
	}
	runLowPriority(f)
}

// Saturated reports whether every slot is taken and the queue is full, so a
// caller can refuse before doing other work for a hash it will not get.
func (h *Hasher) Saturated() bool { return len(h.waiting) == cap(h.waiting) }

// Verify reports whether password matches encoded (argon2id, or a legacy
// bcrypt hash) and whether the hash should be replaced by a current argon2id
// one. An empty encoded hash verifies against a dummy, taking the same time.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	r, err := h.compute(ctx, hashRequest{Verify: true, Password: password, Encoded: encoded, Params: *h.params, Dummy: h.dummy})
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
