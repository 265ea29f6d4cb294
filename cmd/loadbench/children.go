package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The server hashes passwords in worker processes,
// children of this process (or, with -process, of the server process): their
// CPU time and memory belong in the figures, as do the server's and the
// floor's when they run as processes of their own.

// clockTick is the unit of /proc/PID/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// childPIDs lists this process's live descendants: with -process the
// server and the floor are children and the hash workers grandchildren.
func childPIDs() []int {
	var pids []int
	for queue := []string{"self"}; len(queue) > 0; queue = queue[1:] {
		files, _ := filepath.Glob("/proc/" + queue[0] + "/task/*/children")
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, field := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(field); err == nil {
					pids = append(pids, pid)
					queue = append(queue, field)
				}
			}
		}
	}
	return pids
}

// childrenCPU is the user+system time of the live children so far.
func childrenCPU() time.Duration {
	var total time.Duration
	for _, pid := range childPIDs() {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// Fields after the parenthesised command name: state is field 3,
		// utime and stime are fields 14 and 15.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		total += time.Duration(ut+st) * clockTick
	}
	return total
}

// childrenRSS is the resident memory of the live children, in bytes.
func childrenRSS() uint64 {
	var total uint64
	for _, pid := range childPIDs() {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				total += kb << 10
			}
		}
	}
	return total
}
