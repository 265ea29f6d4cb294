package auth

import (
	"runtime"
	"syscall"
)

// hashNice is the scheduling niceness of threads that hash passwords: the
// kernel then serves token checks first when both want the CPU, while hashes
// still get every cycle nobody else wants.
const hashNice = 10

// runLowPriority runs f on a fresh OS thread of lower priority and waits.
// The goroutine exits still locked to its thread, so the runtime discards
// the thread instead of reusing it at low priority for other work.
func runLowPriority(f func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer close(done)
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), hashNice)
		f()
	}()
	<-done
}
