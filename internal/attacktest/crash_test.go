package attacktest

import (
	"context"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCrashKill9 promises: kill -9 during a register/refresh load, then a
// restart on the same database: every user that got a 201 can log in, no
// refresh token whose rotation was answered with a 200 works again, and the
// SQLite file passes PRAGMA integrity_check.
func TestCrashKill9(t *testing.T) {
	db := newDB(t, false)
	env := map[string]string{
		"DATABASE_URL":            db.URL,
		"REFRESH_REUSE_INTERVAL":  "0", // a rotated token is never valid again
		"REGISTER_IP_LIMIT":       "0",
		"REFRESH_IP_LIMIT":        "0",
		"LOGIN_IP_LIMIT":          "0",
		"LOGIN_IP_FAILURE_LIMIT":  "0",
		"LOGIN_FAILURE_LIMIT":     "0",
		"LOGIN_LOCKOUT_THRESHOLD": "0",
		"HASH_QUEUE_SIZE":         "64",
	}
	srv := startChild(t, env)

	type created struct{ email, password string }
	var (
		mu      sync.Mutex
		users   []created
		rotated []string // refresh tokens a 200 rotated
		wg      sync.WaitGroup
	)
	stop := make(chan struct{})
	deadline := time.Now().Add(15 * time.Second) // hard bound, the kill comes at ~2 s
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500 && time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := newEmail()
				r, err := srv.send(http.MethodPost, "/api/auth/register",
					map[string]string{"name": "Crash Test", "email": email, "password": goodPassword})
				if err != nil {
					return // the process is gone
				}
				if r.Status != http.StatusCreated {
					continue
				}
				mu.Lock()
				users = append(users, created{email, goodPassword})
				mu.Unlock()
				token := r.Str("refresh_token")
				for j := 0; j < 3; j++ {
					rr, err := srv.send(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": token})
					if err != nil {
						return
					}
					if rr.Status != http.StatusOK {
						break
					}
					mu.Lock()
					rotated = append(rotated, token)
					mu.Unlock()
					token = rr.Str("refresh_token")
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	srv.signal(syscall.SIGKILL) // mid-load
	if _, ok := srv.waitExit(10 * time.Second); !ok {
		t.Fatal("the child did not die after SIGKILL")
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	nUsers, nRotated := len(users), len(rotated)
	mu.Unlock()
	t.Logf("before the kill: %d registrations answered 201, %d rotations answered 200", nUsers, nRotated)
	if nUsers < 8 || nRotated < 8 {
		t.Fatalf("the load did too little before the kill (%d users, %d rotations); stderr:\n%s", nUsers, nRotated, tail(srv.logs(), 4000))
	}

	if db.isSQLite() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var res string
		if err := db.open(t).QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
			t.Fatalf("PRAGMA integrity_check: %v", err)
		}
		if res != "ok" {
			t.Fatalf("PRAGMA integrity_check = %q, want ok", res)
		}
	}

	again := startChild(t, env)
	// Every 201 user logs in (four at a time: each login is one hash).
	var failMu sync.Mutex
	var failures []string
	jobs := make(chan created)
	var vg sync.WaitGroup
	for w := 0; w < 4; w++ {
		vg.Add(1)
		go func() {
			defer vg.Done()
			for u := range jobs {
				r, err := again.login(u.email, u.password)
				if err != nil || r.Status != http.StatusOK {
					var msg string
					if err != nil {
						msg = err.Error()
					} else {
						msg = clip(r.Raw)
					}
					failMu.Lock()
					failures = append(failures, u.email+": "+msg)
					failMu.Unlock()
				}
			}
		}()
	}
	for _, u := range users {
		jobs <- u
	}
	close(jobs)
	vg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d of %d users that got a 201 cannot log in after the crash, e.g. %s", len(failures), nUsers, failures[0])
	}

	// No rotated refresh token works again.
	for _, tok := range rotated {
		r := again.must(t, http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": tok})
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("a refresh token rotated before the crash answered %d after the restart, want 401: %s", r.Status, clip(r.Raw))
		}
	}
}
