package password

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
)

var internalCheapParams = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// heldHasher returns a hasher with one worker and a queue of queue callers
// waiting at most wait, its only worker slot already taken; release frees it.
func heldHasher(t *testing.T, queue int, wait time.Duration) (h *Hasher, release func()) {
	t.Helper()
	h, err := NewHasher(internalCheapParams, 1, queue, wait)
	if err != nil {
		t.Fatal(err)
	}
	release, err = h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h, release
}

// TestHasherQueueBounds holds the only worker slot and checks that further
// callers wait at most `wait`, that no more than workers+queue callers are
// admitted, and that a cancelled caller leaves at once.
func TestHasherQueueBounds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("queue full refuses at once", func(t *testing.T) {
		h, release := heldHasher(t, 0, time.Minute)
		defer release()
		if h.QueueDepth() != 1 {
			t.Fatalf("QueueDepth = %d, want 1", h.QueueDepth())
		}
		start := time.Now()
		if _, err := h.Hash(ctx, "whatever123"); !errors.Is(err, ErrBusy) {
			t.Fatalf("Hash with a full queue: %v, want ErrBusy", err)
		}
		if _, _, err := h.Verify(ctx, "whatever123", ""); !errors.Is(err, ErrBusy) {
			t.Fatalf("Verify with a full queue: %v, want ErrBusy", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("refusal waited %v; a full queue must refuse without waiting", d)
		}
	})

	t.Run("waiter times out", func(t *testing.T) {
		h, release := heldHasher(t, 1, 20*time.Millisecond)
		if _, err := h.Hash(ctx, "whatever123"); !errors.Is(err, ErrBusy) {
			t.Fatalf("Hash while the worker is held: %v, want ErrBusy", err)
		}
		if h.QueueDepth() != 1 {
			t.Fatalf("QueueDepth after timeout = %d, want 1 (the timed-out waiter must leave)", h.QueueDepth())
		}
		release()
		if h.QueueDepth() != 0 {
			t.Fatalf("QueueDepth after release = %d, want 0", h.QueueDepth())
		}
		if _, err := h.Hash(ctx, "whatever123"); err != nil {
			t.Fatalf("Hash after release: %v", err)
		}
	})

	t.Run("cancelled waiter leaves", func(t *testing.T) {
		h, release := heldHasher(t, 1, time.Minute)
		defer release()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := h.Hash(cctx, "whatever123"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Hash with a cancelled context: %v, want context.Canceled", err)
		}
		if h.QueueDepth() != 1 {
			t.Fatalf("QueueDepth = %d, want 1", h.QueueDepth())
		}
	})
}
