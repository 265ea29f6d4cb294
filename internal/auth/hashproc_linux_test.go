package auth

import (
	"context"
	"os"
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
