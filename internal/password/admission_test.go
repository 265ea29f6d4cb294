package password

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestHashAdmissionByExpectedWait: a caller joins the hash queue while the
// wait it can expect (callers ahead × hash time ÷ workers) stays within the
// bound, whatever the count; beyond it, or past the hard cap, it is refused.
func TestHashAdmissionByExpectedWait(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		workers, running int
		queued, maxQueue int
		hashTime, wait   time.Duration
		wantWait         time.Duration
		admit            bool
	}{
		{"free slot: no wait", 2, 1, 0, 0, 30 * time.Millisecond, time.Second, 0, true},
		{"slots busy, nobody waiting: next free slot", 2, 2, 0, 1000, 30 * time.Millisecond, time.Second, 15 * time.Millisecond, true},
		{"burst of 100 at 30 ms on 2 workers fits 2 s", 2, 2, 98, 1000, 30 * time.Millisecond, 2 * time.Second, 99 * 15 * time.Millisecond, true},
		{"one more than the bound allows", 2, 2, 133, 1000, 30 * time.Millisecond, 2 * time.Second, 134 * 15 * time.Millisecond, false},
		{"exactly at the bound", 1, 1, 9, 1000, 100 * time.Millisecond, time.Second, time.Second, true},
		{"slower hashes admit fewer", 1, 1, 9, 1000, 200 * time.Millisecond, time.Second, 2 * time.Second, false},
		{"hard cap on waiting callers", 2, 2, 4, 4, time.Millisecond, time.Second, 5 * time.Millisecond / 2, false},
		{"no queue at all", 1, 1, 0, 0, time.Millisecond, time.Second, time.Millisecond, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &Hasher{slots: make(chan struct{}, tc.workers), wait: tc.wait, maxQueue: tc.maxQueue,
				running: tc.running, queued: tc.queued, hashTime: tc.hashTime, now: time.Now}
			if got := h.ExpectedWait(); got != tc.wantWait {
				t.Errorf("ExpectedWait = %v, want %v", got, tc.wantWait)
			}
			if got := !h.Saturated(); got != tc.admit {
				t.Errorf("admitted = %v, want %v", got, tc.admit)
			}
		})
	}
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestHashTimeEstimateFollowsMeasuredHashes: the hash-time estimate is an
// EWMA of measured hash durations (here on an injected clock), so admission
// tightens when hashes get slower and loosens when they speed up.
func TestHashTimeEstimateFollowsMeasuredHashes(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(internalCheapParams, 1, 1000, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Unix(0, 0)}
	h.now = clock.now
	h.hashTime = 10 * time.Millisecond
	// Every hash "takes" 100 ms on the fake clock.
	for i := 0; i < 30; i++ {
		release, err := h.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		start := h.now()
		clock.add(100 * time.Millisecond)
		h.observe(h.now().Sub(start))
		release()
	}
	if got := h.hashTime; got < 95*time.Millisecond || got > 100*time.Millisecond {
		t.Fatalf("estimate after 30 hashes of 100 ms = %v, want ~100 ms", got)
	}
	// One slot held, 9 waiting: the 10th waiter expects 10 × 100 ms = 1 s.
	h.running, h.queued = 1, 9
	if h.Saturated() {
		t.Fatalf("refused at an expected wait of %v ≤ 1 s", h.ExpectedWait())
	}
	h.queued = 10
	if !h.Saturated() {
		t.Fatalf("admitted at an expected wait of %v > 1 s", h.ExpectedWait())
	}
}

// TestHashQueueHonoursContext: a caller whose deadline comes before its
// expected turn is refused at once, and a caller whose context ends while
// waiting leaves the queue and frees its place.
func TestHashQueueHonoursContext(t *testing.T) {
	t.Parallel()
	h, release := heldHasher(t, 100, time.Minute)
	defer release()
	h.mu.Lock()
	h.hashTime = time.Second
	h.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := h.Hash(ctx, "whatever123"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash with a deadline before its turn: %v, want ErrBusy", err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("refusal took %v; it must not wait for the deadline", d)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := h.Hash(ctx2, "whatever123"); done <- err }()
	for h.QueueDepth() != 2 {
		time.Sleep(time.Millisecond)
	}
	cancel2() // the client went away
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash after its client left: %v, want context.Canceled", err)
	}
	if d := h.QueueDepth(); d != 1 {
		t.Fatalf("QueueDepth after the caller left = %d, want 1", d)
	}
}
