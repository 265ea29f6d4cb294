package auth

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadNice is the calling thread's niceness (getpriority returns 20-nice).
func threadNice(t *testing.T) int {
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Error(err)
	}
	return 20 - p
}

// TestHashRunsLoweredOnlyWhenHashesFillTheCores: a lone hash with a core to
// spare runs at the process's priority; once hashes in flight reach NumCPU
// each runs on a thread lowered to hashNice.
func TestHashRunsLoweredOnlyWhenHashesFillTheCores(t *testing.T) {
	cpus := runtime.NumCPU()
	h, err := NewHasher(internalCheapParams, cpus+1, 0, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	base := threadNice(t)
	runtime.UnlockOSThread()

	var got int
	if cpus > 1 {
		h.slots <- struct{}{} // one hash in flight: this one
		h.run(func() { got = threadNice(t) })
		if got != base {
			t.Fatalf("lone hash ran at nice %d, want the process's %d", got, base)
		}
	}
	for len(h.slots) < cpus {
		h.slots <- struct{}{}
	}
	h.run(func() { got = threadNice(t) })
	if got != hashNice {
		t.Fatalf("hash with %d in flight on %d CPUs ran at nice %d, want %d", len(h.slots), cpus, got, hashNice)
	}
}
