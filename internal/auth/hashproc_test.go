package auth

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// newTestHasher returns a cheap hasher, in worker processes (this test
// binary re-executed) or in this process.
func newTestHasher(t *testing.T, processes bool) *Hasher {
	t.Helper()
	h, err := NewHasher(internalCheapParams, 2, 4, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if processes {
		if err := h.IsolateInProcesses(); err != nil {
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
