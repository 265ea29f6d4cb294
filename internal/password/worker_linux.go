package password

import (
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// hashNice is the niceness of a worker's threads where SCHED_IDLE is
// refused: the kernel then still serves the server's threads first.
const hashNice = 10

// lowerProcessPriority puts every thread of this hash worker at hashNice
// and in the SCHED_IDLE class, where the kernel runs it only when no
// ordinary thread wants the core (measured: `me` p99 during a login storm
// 2.2 ms at SCHED_IDLE, 3.2 ms at nice 10 alone; 1.0 ms without a storm).
// The niceness stays as the fallback where SCHED_IDLE is refused (some
// container profiles). Go creates threads from its own threads, which
// inherit both, so a pass that finds nothing left to lower covers the
// process for good.
func lowerProcessPriority() {
	idle := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}
	for range 5 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return
		}
		lowered := 0
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil && 20-p == hashNice {
				continue
			}
			if syscall.Setpriority(syscall.PRIO_PROCESS, tid, hashNice) == nil {
				lowered++
			}
			_ = unix.SchedSetAttr(tid, idle, 0)
		}
		if lowered == 0 {
			return
		}
	}
}

// runningImage is the file hash workers are started from: /proc/self/exe,
// which the kernel resolves to the image this process runs even after the
// file at its path was replaced (an upgrade, or someone who could write
// there) or deleted. Without /proc, the path the process was started from.
func runningImage() (string, error) {
	const self = "/proc/self/exe"
	if _, err := os.Stat(self); err == nil {
		return self, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", errors.Join(errors.New("no /proc/self/exe"), err)
	}
	return exe, nil
}
