package password

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/bcrypt"
)

func TestMain(m *testing.M) {
	RunWorkerIfRequested()
	os.Exit(m.Run())
}

// newTestHasher returns a cheap hasher, in worker processes (this test
// binary re-executed) or in this process.
func newTestHasher(t *testing.T, processes bool) *Hasher {
	t.Helper()
	h, err := NewHasher(internalCheapParams, 2, 4, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if processes {
		if err := h.UseWorkers(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
	}
	return h
}

// TestHashWorkersAnswerAsInProcess: hashing and every kind of verification
// give the same answers in worker processes as in this process.
func TestHashWorkersAnswerAsInProcess(t *testing.T) {
	ctx := context.Background()
	legacy, err := bcrypt.GenerateFromPassword([]byte("legacy-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, processes := range []bool{true, false} {
		h := newTestHasher(t, processes)
		encoded, err := h.Hash(ctx, "correct horse battery")
		if err != nil {
			t.Fatalf("processes=%v: Hash: %v", processes, err)
		}
		cases := []struct {
			name, password, encoded string
			ok, rehash, err         bool
		}{
			{"right password", "correct horse battery", encoded, true, false, false},
			{"wrong password", "wrong horse battery", encoded, false, false, false},
			{"no stored hash (dummy)", "anything at all", "", false, false, false},
			{"legacy bcrypt, right", "legacy-password", string(legacy), true, true, false},
			{"legacy bcrypt, wrong", "legacy-passwort", string(legacy), false, true, false},
			{"unknown format", "x", "$md5$abc", false, false, true},
		}
		for _, tc := range cases {
			ok, rehash, err := h.Verify(ctx, tc.password, tc.encoded)
			if ok != tc.ok || (ok && rehash != tc.rehash) || (err != nil) != tc.err {
				t.Errorf("processes=%v %s: ok=%v rehash=%v err=%v, want ok=%v rehash=%v err=%v",
					processes, tc.name, ok, rehash, err, tc.ok, tc.rehash, tc.err)
			}
		}
	}
}

// TestHashWorkerReplacedAfterDying: a worker killed while idle costs no
// request; the next one runs on a fresh worker.
func TestHashWorkerReplacedAfterDying(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, true)
	encoded, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	h.procs.mu.Lock()
	dead := h.procs.idle[0]
	h.procs.mu.Unlock()
	if err := dead.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = dead.cmd.Wait()
	ok, _, err := h.Verify(ctx, "correct horse battery", encoded)
	if err != nil || !ok {
		t.Fatalf("Verify after the worker died: ok=%v err=%v", ok, err)
	}
	h.procs.mu.Lock()
	defer h.procs.mu.Unlock()
	if len(h.procs.idle) != 1 || h.procs.idle[0] == dead {
		t.Fatalf("idle workers = %d, the dead one reused: %v", len(h.procs.idle), len(h.procs.idle) > 0 && h.procs.idle[0] == dead)
	}
}

// TestHashWithoutWorkersFallsBackInProcess: when no worker can start (the
// binary is gone), hashes run in this process instead of failing logins.
func TestHashWithoutWorkersFallsBackInProcess(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, true)
	h.procs.exe = "/nonexistent/gqlauth"
	encoded, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if ok, _, err := h.Verify(ctx, "correct horse battery", encoded); err != nil || !ok {
		t.Fatalf("Verify: ok=%v err=%v", ok, err)
	}
}

// TestHashWorkerKilledWhenContextEnds: a caller whose context ends while
// its hash runs in a worker gets its context's error at once and frees its
// slot; the worker is killed, not reused, and the next hash runs on a fresh
// one.
func TestHashWorkerKilledWhenContextEnds(t *testing.T) {
	h := newTestHasher(t, true)
	// A hash of several seconds (set after NewHasher, which hashes once
	// with the params itself).
	h.params = &argon2id.Params{Memory: 16 * 1024, Iterations: 1000, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Hash(ctx, "correct horse battery")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash past its deadline: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("Hash returned %v after its 200 ms deadline; it must not wait for the hash", d)
	}
	if d := h.QueueDepth(); d != 0 {
		t.Fatalf("QueueDepth after the caller left = %d, want 0", d)
	}
	h.procs.mu.Lock()
	idle := len(h.procs.idle)
	h.procs.mu.Unlock()
	if idle != 0 {
		t.Fatalf("%d idle workers: the abandoned one was kept", idle)
	}
	h.params = internalCheapParams
	if _, err := h.Hash(context.Background(), "correct horse battery"); err != nil {
		t.Fatalf("Hash after a worker was killed: %v", err)
	}
}

// TestHashWorkerDyingIsBusy: a worker that dies mid-hash is a capacity
// refusal (ErrBusy, a 503 the client may retry), not an internal error.
func TestHashWorkerDyingIsBusy(t *testing.T) {
	h := newTestHasher(t, true)
	exe, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) to stand in for a worker that dies:", err)
	}
	h.procs.exe = exe // exits at once, without answering
	if _, err := h.Hash(context.Background(), "correct horse battery"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash on a worker that died: %v, want ErrBusy", err)
	}
	if _, _, err := h.Verify(context.Background(), "correct horse battery", ""); !errors.Is(err, ErrBusy) {
		t.Fatalf("Verify on a worker that died: %v, want ErrBusy", err)
	}
}
