package ratelimit

import (
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"gqlauth/ent"
	"gqlauth/internal/auth"
	"gqlauth/internal/database"
	"gqlauth/internal/testenv"
)

// clock is a settable time source, so windows roll over without sleeping.
type clock = testenv.Clock

// windowStart is a minute (and hour) boundary, so the test knows where each
// window ends.
var windowStart = time.Date(2031, 3, 4, 5, 0, 0, 0, time.UTC)

// testLimiter is the auth.Limiter contract every implementation must meet.
// Keys carry a random namespace so that runs sharing one Redis never meet.
func testLimiter(t *testing.T, newLimiter func(t *testing.T, now func() time.Time) auth.Limiter) {
	const w = time.Minute
	cases := []struct {
		name string
		run  func(t *testing.T, l auth.Limiter, c *clock, key func(string) string)
	}{
		{"hits count up and report the window end", func(t *testing.T, l auth.Limiter, c *clock, key func(string) string) {
			for want := 1; want <= 3; want++ {
				n, reset := hit(t, l, key("a"), w)
				if n != want || !reset.Equal(windowStart.Add(w)) {
					t.Fatalf("hit %d = %d, reset %v; want %d, reset %v", want, n, reset, want, windowStart.Add(w))
				}
			}
		}},
		{"count does not add", func(t *testing.T, l auth.Limiter, c *clock, key func(string) string) {
			if n, reset := count(t, l, key("a"), w); n != 0 || !reset.Equal(windowStart.Add(w)) {
				t.Fatalf("count of an unknown key = %d, reset %v; want 0, reset %v", n, reset, windowStart.Add(w))
			}
			hit(t, l, key("a"), w)
			for range 3 {
				if n, _ := count(t, l, key("a"), w); n != 1 {
					t.Fatalf("count = %d, want 1", n)
				}
			}
		}},
		{"a new window starts from zero", func(t *testing.T, l auth.Limiter, c *clock, key func(string) string) {
			hit(t, l, key("a"), w)
			hit(t, l, key("a"), w)
			c.Advance(w - 6*time.Second) // the window's last second
			if n, _ := count(t, l, key("a"), w); n != 2 {
				t.Fatalf("count late in the window = %d, want 2", n)
			}
			c.Advance(time.Second)
			if n, reset := count(t, l, key("a"), w); n != 0 || !reset.Equal(windowStart.Add(2*w)) {
				t.Fatalf("count in the next window = %d, reset %v; want 0, reset %v", n, reset, windowStart.Add(2*w))
			}
			if n, _ := hit(t, l, key("a"), w); n != 1 {
				t.Fatalf("first hit in the next window = %d, want 1", n)
			}
		}},
		{"reset zeroes the window", func(t *testing.T, l auth.Limiter, c *clock, key func(string) string) {
			for range 3 {
				hit(t, l, key("a"), w)
			}
			if err := l.Reset(t.Context(), key("a"), w); err != nil {
				t.Fatal(err)
			}
			if n, _ := count(t, l, key("a"), w); n != 0 {
				t.Fatalf("count after reset = %d, want 0", n)
			}
			if n, _ := hit(t, l, key("a"), w); n != 1 {
				t.Fatalf("hit after reset = %d, want 1", n)
			}
			if err := l.Reset(t.Context(), key("never-hit"), w); err != nil {
				t.Fatalf("resetting an unknown key: %v", err)
			}
		}},
		{"concurrent hits are all counted", func(t *testing.T, l auth.Limiter, c *clock, key func(string) string) {
			const workers = 20
			counts := make([]int, workers)
			errs := make([]error, workers)
			var wg sync.WaitGroup
			for i := range workers {
				wg.Go(func() { counts[i], _, errs[i] = l.Hit(t.Context(), key("a"), w) })
			}
			wg.Wait()
			highest := 0
			for i := range workers {
				if errs[i] != nil {
					t.Fatalf("hit %d: %v", i, errs[i])
				}
				if counts[i] < 1 || counts[i] > workers {
					t.Fatalf("hit %d returned %d, outside 1..%d", i, counts[i], workers)
				}
				highest = max(highest, counts[i])
			}
			if highest != workers {
				t.Fatalf("highest count returned = %d, want %d", highest, workers)
			}
			if n, _ := count(t, l, key("a"), w); n != workers {
				t.Fatalf("count = %d, want %d", n, workers)
			}
		}},
		{"undo takes back one hit of its window", func(t *testing.T, l auth.Limiter, c *clock, key func(string) string) {
			hit(t, l, key("a"), w)
			hit(t, l, key("a"), w)
			_, reset := hit(t, l, key("a"), w)
			undo(t, l, key("a"), w, reset)
			if n, _ := count(t, l, key("a"), w); n != 2 {
				t.Fatalf("count after undo = %d, want 2", n)
			}
			if n, _ := hit(t, l, key("a"), w); n != 3 {
				t.Fatalf("hit after undo = %d, want 3", n)
			}
			// Never below zero, and an unknown key stays unknown.
			for range 5 {
				undo(t, l, key("a"), w, reset)
			}
			if n, _ := count(t, l, key("a"), w); n != 0 {
				t.Fatalf("count after undoing more than was hit = %d, want 0", n)
			}
			undo(t, l, key("never-hit"), w, reset)
			if n, _ := hit(t, l, key("never-hit"), w); n != 1 {
				t.Fatalf("first hit after undoing an unknown key = %d, want 1", n)
			}
		}},
		{"undo after a reset or in a later window changes nothing", func(t *testing.T, l auth.Limiter, c *clock, key func(string) string) {
			_, reset := hit(t, l, key("a"), w)
			if err := l.Reset(t.Context(), key("a"), w); err != nil {
				t.Fatal(err)
			}
			undo(t, l, key("a"), w, reset)
			if n, _ := hit(t, l, key("a"), w); n != 1 {
				t.Fatalf("hit after reset and undo = %d, want 1", n)
			}
			c.Advance(w) // the next window
			hit(t, l, key("a"), w)
			hit(t, l, key("a"), w)
			undo(t, l, key("a"), w, reset) // aims at the ended window
			if n, _ := count(t, l, key("a"), w); n != 2 {
				t.Fatalf("count of the new window after undoing in the old = %d, want 2", n)
			}
		}},
		{"concurrent hits and undos balance", func(t *testing.T, l auth.Limiter, c *clock, key func(string) string) {
			const workers = 20
			hit(t, l, key("a"), w)
			var wg sync.WaitGroup
			errs := make([]error, workers)
			for i := range workers {
				wg.Go(func() {
					_, reset, err := l.Hit(t.Context(), key("a"), w)
					if err == nil {
						err = l.Undo(t.Context(), key("a"), w, reset)
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("worker %d: %v", i, err)
				}
			}
			if n, _ := count(t, l, key("a"), w); n != 1 {
				t.Fatalf("count after balanced hits and undos = %d, want 1", n)
			}
		}},
		{"keys and windows are independent", func(t *testing.T, l auth.Limiter, c *clock, key func(string) string) {
			hit(t, l, key("a"), w)
			hit(t, l, key("a"), w)
			hit(t, l, key("b"), w)
			c.Advance(10 * time.Second) // windows of different lengths now start apart
			hit(t, l, key("a"), 10*time.Second)
			if n, _ := count(t, l, key("a"), w); n != 2 {
				t.Fatalf("count of a = %d, want 2", n)
			}
			if n, _ := count(t, l, key("b"), w); n != 1 {
				t.Fatalf("count of b = %d, want 1", n)
			}
			if n, _ := count(t, l, key("a"), 10*time.Second); n != 1 {
				t.Fatalf("count of a in the 10s window = %d, want 1", n)
			}
			if err := l.Reset(t.Context(), key("a"), w); err != nil {
				t.Fatal(err)
			}
			if n, _ := count(t, l, key("b"), w); n != 1 {
				t.Fatalf("count of b after resetting a = %d, want 1", n)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testenv.NewClock(windowStart.Add(5 * time.Second))
			ns := rand.Text()
			tc.run(t, newLimiter(t, c.Now), c, func(k string) string { return "test-" + ns + ":" + k })
		})
	}
}

func hit(t *testing.T, l auth.Limiter, key string, w time.Duration) (int, time.Time) {
	t.Helper()
	n, reset, err := l.Hit(t.Context(), key, w)
	if err != nil {
		t.Fatalf("Hit(%q): %v", key, err)
	}
	return n, reset
}

func undo(t *testing.T, l auth.Limiter, key string, w time.Duration, reset time.Time) {
	t.Helper()
	if err := l.Undo(t.Context(), key, w, reset); err != nil {
		t.Fatalf("Undo(%q): %v", key, err)
	}
}

func count(t *testing.T, l auth.Limiter, key string, w time.Duration) (int, time.Time) {
	t.Helper()
	n, reset, err := l.Count(t.Context(), key, w)
	if err != nil {
		t.Fatalf("Count(%q): %v", key, err)
	}
	return n, reset
}

func TestStoreLimiter(t *testing.T) {
	testLimiter(t, func(t *testing.T, now func() time.Time) auth.Limiter {
		return NewStore(newTestClient(t), now)
	})
}

func TestStoreSweep(t *testing.T) {
	c := testenv.NewClock(windowStart)
	s := NewStore(newTestClient(t), c.Now)
	hit(t, s, "login-ip:a", time.Minute)
	hit(t, s, "login-ip:b", time.Hour)
	c.Advance(time.Minute + time.Second)
	if n, err := s.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want the ended window only (1)", n, err)
	}
	if n, _ := count(t, s, "login-ip:b", time.Hour); n != 1 {
		t.Fatalf("count of the live window after Sweep = %d, want 1", n)
	}
}

// newTestClient opens a migrated SQLite database in a temporary directory.
func newTestClient(t *testing.T) *ent.Client {
	t.Helper()
	return testenv.Open(t, testenv.SQLiteURL(t), database.Pool{}).Client
}
