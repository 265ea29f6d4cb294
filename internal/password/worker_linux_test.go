package password

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHashWorkersRunLowered: every thread of a worker runs at hashNice, in
// the SCHED_IDLE class.
func TestHashWorkersRunLowered(t *testing.T) {
	h := newTestHasher(t, true)
	if _, err := h.Hash(context.Background(), "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	h.procs.mu.Lock()
	pid := h.procs.idle[0].cmd.Process.Pid
	h.procs.mu.Unlock()
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		// nice is field 19; fields after the ')' start at field 3.
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if nice, _ := strconv.Atoi(fields[16]); nice != hashNice {
			t.Errorf("worker thread %s runs at nice %d, want %d", task.Name(), nice, hashNice)
		}
		// policy is field 41.
		if policy, _ := strconv.Atoi(fields[38]); policy != unix.SCHED_IDLE {
			t.Errorf("worker thread %s has scheduling policy %d, want SCHED_IDLE (%d)", task.Name(), policy, unix.SCHED_IDLE)
		}
	}
	if len(tasks) < 2 {
		t.Fatalf("worker has %d threads; expected Go's several", len(tasks))
	}
}

// TestHashWorkerEnvironmentAndImage: a worker gets none of the server's
// settings (SECRET_KEY, DATABASE_URL…), only the marker and the Go
// runtime's knobs, and runs this very image, started through
// /proc/self/exe rather than a path that could be replaced.
func TestHashWorkerEnvironmentAndImage(t *testing.T) {
	t.Setenv("SECRET_KEY", "worker-must-not-see-this-secret-0123456789")
	t.Setenv("DATABASE_URL", "postgres://user:pw@db/x")
	t.Setenv("GOGC", "150")
	h := newTestHasher(t, true)
	if h.procs.exe != "/proc/self/exe" {
		t.Errorf("workers are started from %q, want /proc/self/exe", h.procs.exe)
	}
	if _, err := h.Hash(context.Background(), "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	h.procs.mu.Lock()
	pid := strconv.Itoa(h.procs.idle[0].cmd.Process.Pid)
	h.procs.mu.Unlock()
	b, err := os.ReadFile("/proc/" + pid + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, kv := range strings.Split(strings.TrimRight(string(b), "\x00"), "\x00") {
		got[kv] = true
		name, _, _ := strings.Cut(kv, "=")
		if name != workerEnvVar && !slices.Contains(workerEnvPassed, name) {
			t.Errorf("worker environment has %s", name)
		}
	}
	if !got[workerEnvVar+"=1"] || !got["GOGC=150"] {
		t.Errorf("worker environment %q lacks the marker or GOGC", b)
	}
	self, err := os.Stat("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	worker, err := os.Stat("/proc/" + pid + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(self, worker) {
		t.Error("the worker runs another file than this process")
	}
}
