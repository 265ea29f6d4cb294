package attacktest

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHashBurstServed promises: with the default hashing settings, a burst
// of sign-ups and a burst of logins sent at once are served (201 / 200),
// not shed: the hash queue admits callers by the wait they can expect, not
// by a small fixed count, and 503 is kept for waits beyond
// HASH_QUEUE_WAIT_MS.
// defaultHashQueueWait is HASH_QUEUE_WAIT_MS's default.
const defaultHashQueueWait = 5 * time.Second

func TestHashBurstServed(t *testing.T) {
	const n = 100
	srv := startChild(t, nil) // defaults: no HASH_* variable set

	accounts := make([]*account, n)
	for i := range accounts {
		accounts[i] = &account{Email: newEmail(), Password: goodPassword}
	}
	// burst sends one request per account at once and returns the
	// accounts whose request got want.
	burst := func(what string, want int, accounts []*account, send func(a *account) (*reply, error)) (served []*account) {
		t.Helper()
		n := len(accounts)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[int]int{}
			first    = map[int]string{}
			slowest  time.Duration
		)
		start := make(chan struct{})
		for _, a := range accounts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, err := send(a)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					statuses[-1]++
					first[-1] = err.Error()
					return
				}
				statuses[r.Status]++
				if r.Status == want {
					served = append(served, a)
				}
				if _, ok := first[r.Status]; !ok {
					first[r.Status] = clip(r.Raw)
				}
				slowest = max(slowest, r.Took)
			}()
		}
		stopRSS := sampleTreeRSS(srv.pid())
		began := time.Now()
		close(start)
		wg.Wait()
		peak := stopRSS()
		t.Logf("%d %s at once: %v in %v (slowest %v); peak RSS of server + hash workers %d MiB",
			n, what, statuses, time.Since(began).Round(time.Millisecond), slowest.Round(time.Millisecond), peak>>10)
		// On a quiet machine every one is served. When other work shares
		// the cores (the rest of the suite under -race), hashes are slower
		// and a 503 is right once the expected wait passes the bound — but
		// only then: the served ones must have waited for most of it, where
		// shedding by a small fixed count refuses within milliseconds.
		if statuses[want]+statuses[http.StatusServiceUnavailable] == n && statuses[want] > 0 &&
			slowest >= defaultHashQueueWait/2 {
			t.Logf("the machine is busy: %d of %d shed after the admitted ones waited up to %v (bound %v)",
				statuses[http.StatusServiceUnavailable], n, slowest.Round(time.Millisecond), defaultHashQueueWait)
			return served
		}
		if statuses[want] != n {
			msg := ""
			for s, body := range first {
				if s != want {
					msg += fmt.Sprintf("\n  %d: %s", s, body)
				}
			}
			t.Fatalf("%d %s sent at once: %v, want all %d%s\nserver log:\n%s", n, what, statuses, want, msg, tail(srv.logs(), 2000))
		}
		return served
	}
	registered := burst("registrations", http.StatusCreated, accounts, func(a *account) (*reply, error) {
		return srv.send(http.MethodPost, "/api/auth/register", map[string]string{"name": "Burst Test", "email": a.Email, "password": a.Password})
	})
	// Only the accounts that exist can log in: a busy machine may have
	// shed some registrations.
	burst("logins", http.StatusOK, registered, func(a *account) (*reply, error) {
		return srv.login(a.Email, a.Password)
	})
}

// sampleTreeRSS samples, every 20 ms until stopped, the total resident
// memory (KiB) of pid and its descendants (the hash workers), returning
// the peak.
func sampleTreeRSS(pid int) (stop func() int) {
	done := make(chan struct{})
	peakc := make(chan int)
	go func() {
		peak := 0
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, treeRSSKB(pid))
			select {
			case <-done:
				peakc <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() int { close(done); return <-peakc }
}

func treeRSSKB(pid int) int {
	total := 0
	for queue := []string{strconv.Itoa(pid)}; len(queue) > 0; queue = queue[1:] {
		if b, err := os.ReadFile("/proc/" + queue[0] + "/status"); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
					if f := strings.Fields(rest); len(f) > 0 {
						n, _ := strconv.Atoi(f[0])
						total += n
					}
				}
			}
		}
		files, _ := filepath.Glob("/proc/" + queue[0] + "/task/*/children")
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				queue = append(queue, strings.Fields(string(b))...)
			}
		}
	}
	return total
}
