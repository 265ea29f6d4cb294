package attacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The bounds of contract §6: any document within the token limit is
// answered or refused within 1 s of CPU and with a response under 1 MiB.
const (
	maxAttackCPU   = time.Second
	maxAttackBytes = 1 << 20
	// maxMeLatency is how long a light request may take while an attack
	// runs beside it.
	maxMeLatency = time.Second
)

// cpuTime is the child's user+system CPU time so far, from /proc/PID/stat.
func (c *child) cpuTime(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.pid()))
	if err != nil {
		t.Skipf("cannot read /proc: %v", err)
	}
	// The command name may hold spaces: fields count from after its ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	const ticks = 100                           // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// attackResult is one attack request: what it cost the server and what came
// back (the head of the body; Size counts all of it).
type attackResult struct {
	Status  int
	Size    int64
	CPU     time.Duration
	Took    time.Duration
	Head    []byte
	JSON    map[string]any
	Err     error
	MeWorst time.Duration // slowest `me` sent while the attack ran
}

func (r *attackResult) String() string {
	return fmt.Sprintf("status %d, %d bytes, %.2fs CPU, %.2fs wall, slowest me %v (err %v)",
		r.Status, r.Size, r.CPU.Seconds(), r.Took.Seconds(), r.MeWorst.Round(time.Millisecond), r.Err)
}

// attack sends one GraphQL document over method (POST: JSON body; GET: the
// query string) and measures the server's CPU for it, while a light `me`
// is sent every 50 ms beside it.
func (c *child) attack(t *testing.T, method, query, token string) *attackResult {
	t.Helper()
	var req *http.Request
	var err error
	if method == http.MethodGet {
		req, err = http.NewRequest(method, c.URL+"/graphql?query="+url.QueryEscape(query), nil)
	} else {
		b, _ := json.Marshal(map[string]string{"query": query})
		req, err = http.NewRequest(method, c.URL+"/graphql", bytes.NewReader(b))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// Settle, then measure.
	time.Sleep(100 * time.Millisecond)
	res := &attackResult{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			r, err := c.send(http.MethodPost, "/graphql", map[string]string{"query": "{ me { id } }"}, bearer(token))
			took := 20 * time.Second
			if err == nil && r.Status == http.StatusOK {
				took = r.Took
			}
			if took > res.MeWorst {
				res.MeWorst = took
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	cpu0 := c.cpuTime(t)
	start := time.Now()
	client := &http.Client{Transport: c.tr, Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err == nil {
		var head bytes.Buffer
		res.Status = resp.StatusCode
		res.Size, err = io.Copy(io.MultiWriter(&limitedBuffer{b: &head, max: 64 << 10}), resp.Body)
		resp.Body.Close()
		res.Head = head.Bytes()
		_ = json.Unmarshal(res.Head, &res.JSON)
	}
	res.Err = err
	res.Took = time.Since(start)
	close(stop)
	wg.Wait()
	// The `me` probes cost a little CPU too; they are part of the bound.
	res.CPU = c.cpuTime(t) - cpu0
	return res
}

// limitedBuffer keeps the first max bytes and drops the rest.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (w *limitedBuffer) Write(p []byte) (int, error) {
	if room := w.max - w.b.Len(); room > 0 {
		w.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// doubled is n fragments on typ, each spreading the one before twice, used
// by root (a format with one %d for n): 2^n expanded selections.
func doubled(n int, typ, leaf, root string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fragment F0 on %s { %s }\n", typ, leaf)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d }\n", i, typ, i-1, i-1)
	}
	fmt.Fprintf(&b, root, n)
	return b.String()
}

// introspectionFanOut is aliases multiplied under __schema: k aliased
// `fields` per type, each with k aliased names on its type and ofType.
func introspectionFanOut(k int) string {
	var b strings.Builder
	b.WriteString("{ __schema { types {")
	for i := 0; i < k; i++ {
		fmt.Fprintf(&b, " f%d: fields { type { ...I ofType { ...I } } }", i)
	}
	b.WriteString(" } } } fragment I on __Type {")
	for i := 0; i < k; i++ {
		fmt.Fprintf(&b, " n%d: name", i)
	}
	b.WriteString(" }")
	return b.String()
}

// aliasedSessions is k aliases of the whole sessions list.
func aliasedSessions(k int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < k; i++ {
		fmt.Fprintf(&b, " s%d: sessions { id createdAt lastUsedAt expiresAt userAgent ip current }", i)
	}
	b.WriteString(" }")
	return b.String()
}

// conflictingAliases is n fields under one response key that cannot merge:
// each pair is a validation error.
func conflictingAliases(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			b.WriteString(" x: __typename")
		} else {
			b.WriteString(" x: me { id }")
		}
	}
	b.WriteString(" }")
	return b.String()
}

// checkBounded fails unless the attack stayed within the contract's bounds
// and, when refused, carries errors and no data entry.
func checkBounded(t *testing.T, name string, r *attackResult, refused bool) {
	t.Helper()
	t.Logf("%s: %s", name, r)
	if r.Err != nil {
		t.Errorf("%s: no answer: %v", name, r.Err)
		return
	}
	if r.CPU > maxAttackCPU {
		t.Errorf("%s: %.2fs of server CPU, want at most %v", name, r.CPU.Seconds(), maxAttackCPU)
	}
	if r.Size >= maxAttackBytes {
		t.Errorf("%s: a %d-byte response, want under %d", name, r.Size, maxAttackBytes)
	}
	if r.MeWorst > maxMeLatency {
		t.Errorf("%s: a `me` beside it took %v", name, r.MeWorst)
	}
	if refused {
		if _, has := r.JSON["data"]; has {
			t.Errorf("%s: a refused request has a data entry: %.300s", name, r.Head)
		}
		errs, _ := r.JSON["errors"].([]any)
		if len(errs) == 0 || len(errs) > 100 {
			t.Errorf("%s: %d errors, want 1–100: %.300s", name, len(errs), r.Head)
		}
	}
}

// TestGraphQLCostAttacks promises contract §6 against the built binary:
// fragment doubling (on Query and on __Schema, introspection on and off),
// aliased introspection, aliased sessions over many sessions and
// conflicting-alias floods, over POST and GET, are each answered or refused
// within 1 s of server CPU and under 1 MiB, while `me` stays fast; and the
// standard introspection query still works.
func TestGraphQLCostAttacks(t *testing.T) {
	on := startChild(t, nil)
	off := startChild(t, map[string]string{"INTROSPECTION_ENABLED": "false"})
	aOn, aOff := on.register(t), off.register(t)

	attacks := []struct {
		name  string
		srv   *child
		token string
		query string
	}{
		{"doubling on Query", on, aOn.Access, doubled(30, "Query", "__typename", "{ ...F%d }")},
		{"doubling on Query, introspection off", off, aOff.Access, doubled(30, "Query", "__typename", "{ ...F%d }")},
		{"doubling on __Schema", on, aOn.Access, doubled(28, "__Schema", "__typename", "{ __schema { ...F%d } }")},
		{"doubling on __Schema, introspection off", off, aOff.Access, doubled(28, "__Schema", "__typename", "{ __schema { ...F%d } }")},
		{"aliased introspection fan-out", on, aOn.Access, introspectionFanOut(32)},
		{"conflicting aliases", on, aOn.Access, conflictingAliases(400)},
	}
	for _, a := range attacks {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			t.Run(a.name+" "+method, func(t *testing.T) {
				checkBounded(t, a.name+" "+method, a.srv.attack(t, method, a.query, a.token), true)
			})
		}
	}

	t.Run("standard introspection works", func(t *testing.T) {
		q, err := os.ReadFile("../../graph/testdata/introspection.graphql")
		if err != nil {
			t.Fatal(err)
		}
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			r := on.attack(t, method, string(q), aOn.Access)
			checkBounded(t, "standard introspection "+method, r, false)
			if types, _ := testLookup(r.JSON, "data.__schema.types").([]any); len(types) < 10 {
				t.Fatalf("standard introspection %s: %.300s", method, r.Head)
			}
		}
	})
}

// TestGraphQLSessionsAttack: many logins and one aliased `sessions` query.
// A user keeps at most 100 live sessions, and the aliased list is refused
// by its cost instead of answering megabytes.
func TestGraphQLSessionsAttack(t *testing.T) {
	srv := startChild(t, map[string]string{"LOGIN_IP_LIMIT": "0"})
	a := srv.register(t)
	ua := "User-Agent: " + strings.Repeat("A", 2000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	jobs := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				r, err := srv.login(a.Email, a.Password, ua)
				if err != nil || r.Status != http.StatusOK {
					mu.Lock()
					failed = append(failed, fmt.Sprint(err, r))
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < 120; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d logins failed: %v", len(failed), failed[0])
	}
	last, err := srv.login(a.Email, a.Password, ua)
	if err != nil || last.Status != http.StatusOK {
		t.Fatalf("login: %v", err)
	}
	token := last.Str("access_token")
	list := srv.gql(t, "{ sessions { id userAgent } }", nil, bearer(token))
	sessions, _ := list.Get("data.sessions").([]any)
	t.Logf("%d live sessions after 122 sign-ins", len(sessions))
	if len(sessions) != 100 {
		t.Errorf("%d live sessions after 122 sign-ins, want 100: %s", len(sessions), clip(list.Raw))
	}
	if s := list.Str("data.sessions.0.userAgent"); len(s) > 256 {
		t.Errorf("a %d-byte User-Agent was stored", len(s))
	}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		checkBounded(t, "aliased sessions "+method, srv.attack(t, method, aliasedSessions(37), token), true)
	}
}

func testLookup(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}
