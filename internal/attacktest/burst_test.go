package attacktest

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestHashBurstServed promises: with the default hashing settings, a burst
// of sign-ups and a burst of logins sent at once are served (201 / 200),
// not shed: the hash queue admits callers by the wait they can expect, not
// by a small fixed count, and 503 is kept for waits beyond
// HASH_QUEUE_WAIT_MS.
func TestHashBurstServed(t *testing.T) {
	const n = 100
	srv := startChild(t, nil) // defaults: no HASH_* variable set

	accounts := make([]*account, n)
	for i := range accounts {
		accounts[i] = &account{Email: newEmail(), Password: goodPassword}
	}
	burst := func(what string, want int, send func(a *account) (*reply, error)) {
		t.Helper()
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
				if _, ok := first[r.Status]; !ok {
					first[r.Status] = clip(r.Raw)
				}
				slowest = max(slowest, r.Took)
			}()
		}
		began := time.Now()
		close(start)
		wg.Wait()
		t.Logf("%d %s at once: %v in %v (slowest %v)", n, what, statuses, time.Since(began).Round(time.Millisecond), slowest.Round(time.Millisecond))
		if statuses[want] != n {
			msg := ""
			for s, body := range first {
				if s != want {
					msg += fmt.Sprintf("\n  %d: %s", s, body)
				}
			}
			t.Fatalf("%d %s sent at once: %v, want all %d%s\nserver log:\n%s", n, what, statuses, want, msg, tail(srv.logs(), 2000))
		}
	}
	burst("registrations", http.StatusCreated, func(a *account) (*reply, error) {
		return srv.send(http.MethodPost, "/api/auth/register", map[string]string{"name": "Burst Test", "email": a.Email, "password": a.Password})
	})
	burst("logins", http.StatusOK, func(a *account) (*reply, error) {
		return srv.login(a.Email, a.Password)
	})
	t.Logf("server RSS after the bursts: %d KiB", srv.rssKB(t))
}
