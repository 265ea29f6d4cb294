package auth

import (
	"os"
	"strconv"
	"syscall"
)

// lowerProcessPriority sets every thread of this process to hashNice. Go
// creates threads from its own threads, which inherit the niceness, so a
// pass that finds none left to lower covers the process for good.
func lowerProcessPriority() {
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
		}
		if lowered == 0 {
			return
		}
	}
}
