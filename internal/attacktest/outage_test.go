package attacktest

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gqlauth/internal/testenv"
)

// outageBound is how long a request may take while the database is away.
const outageBound = 10 * time.Second

// proxiedServer starts gqlauth on a fresh PostgreSQL schema reached through
// a TCP proxy that the test can cut, stall and restore. It skips without
// a PostgreSQL (testenv.RequirePostgres). The machine's PostgreSQL itself
// is never touched.
func proxiedServer(t *testing.T) (*child, *tcpProxy, *account) {
	t.Helper()
	base := testenv.RequirePostgres(t)
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		t.Skipf("the PostgreSQL URL has no TCP host to proxy: %q", base)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	proxy := newTCPProxy(t, target)
	schema := testenv.NewSchema(t, base)
	via := *u
	via.Host = proxy.addr
	srv := startChild(t, map[string]string{
		"DATABASE_URL":           testenv.WithSearchPath(t, via.String(), schema),
		"LOGIN_IP_LIMIT":         "0",
		"LOGIN_IP_FAILURE_LIMIT": "0",
	})
	a := srv.register(t)
	expect(t, srv.must(t, http.MethodGet, "/readyz", nil), http.StatusOK, "")
	expect(t, srv.must(t, http.MethodGet, "/api/auth/me", nil, bearer(a.Access)), http.StatusOK, "")
	return srv, proxy, a
}

// outageProbe is one request made while the database is away, and what
// it must answer.
type outageProbe struct {
	name string
	send func() (*reply, error)
	// ok reports whether r is the right answer, and why not.
	ok func(r *reply) (bool, string)
}

// sender sends one request (child.send, or another client's Send).
type sender func(method, path string, body any, headers ...string) (*reply, error)

func outageProbes(send sender, a *account) []outageProbe {
	unavailable := func(r *reply) (bool, string) {
		if r.Status != http.StatusServiceUnavailable || r.Str("error.code") != "SERVICE_UNAVAILABLE" || r.Get("success") != false {
			return false, "want 503 SERVICE_UNAVAILABLE envelope, got " + http.StatusText(r.Status) + " " + clip(r.Raw)
		}
		return true, ""
	}
	return []outageProbe{
		{"GET /readyz", func() (*reply, error) { return send(http.MethodGet, "/readyz", nil) }, unavailable},
		{"GET /api/auth/me", func() (*reply, error) {
			return send(http.MethodGet, "/api/auth/me", nil, bearer(a.Access))
		}, unavailable},
		{"POST /api/auth/login/json", func() (*reply, error) {
			return send(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": a.Password})
		}, unavailable},
		{"POST /graphql { me }", func() (*reply, error) {
			return send(http.MethodPost, "/graphql", map[string]any{"query": "{ me { id } }"}, bearer(a.Access))
		}, func(r *reply) (bool, string) {
			if codes := r.GQLCodes(); r.Status != http.StatusOK || len(codes) != 1 || codes[0] != "SERVICE_UNAVAILABLE" || r.HasData() {
				return false, "want 200 with one SERVICE_UNAVAILABLE error, got " + clip(r.Raw)
			}
			return true, ""
		}},
	}
}

// recovered polls until every request succeeds again, within 30 s, on the
// same server process.
func recovered(t *testing.T, srv *child, a *account) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range []struct {
		name string
		f    func() (*reply, error)
	}{
		{"GET /readyz", func() (*reply, error) { return srv.send(http.MethodGet, "/readyz", nil) }},
		{"GET /api/auth/me", func() (*reply, error) { return srv.send(http.MethodGet, "/api/auth/me", nil, bearer(a.Access)) }},
		{"POST /api/auth/login/json", func() (*reply, error) { return srv.login(a.Email, a.Password) }},
	} {
		var last string
		for {
			r, err := p.f()
			if err == nil && r.Status == http.StatusOK {
				break
			}
			if err != nil {
				last = err.Error()
			} else {
				last = clip(r.Raw)
			}
			if time.Now().After(deadline) {
				t.Fatalf("after recovery: %s did not succeed within 30s; last: %s\nchild stderr:\n%s", p.name, last, tail(srv.logs(), 3000))
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	if _, exited := srv.waitExit(0); exited {
		t.Fatal("the server exited during the outage")
	}
}

// TestDatabaseOutage promises: with the database unreachable (its port
// closed, its connections cut), /readyz says 503 and requests that need the
// database get 503 SERVICE_UNAVAILABLE within a bounded time (no hang); when
// the database comes back, service resumes by itself, without a restart.
func TestDatabaseOutage(t *testing.T) {
	srv, proxy, a := proxiedServer(t)
	proxy.outage()
	for _, p := range outageProbes(srv.send, a) {
		for i := 0; i < 2; i++ { // the first may meet a pooled connection, the second a refused dial
			start := time.Now()
			r, err := p.send()
			took := time.Since(start)
			if err != nil {
				t.Fatalf("outage: %s: %v (after %v)", p.name, err, took)
			}
			if took > outageBound {
				t.Fatalf("outage: %s took %v, want at most %v", p.name, took, outageBound)
			}
			if ok, why := p.ok(r); !ok {
				t.Fatalf("outage: %s: %s", p.name, why)
			}
		}
	}
	// Liveness does not depend on the database.
	expect(t, srv.must(t, http.MethodGet, "/healthz", nil), http.StatusOK, "")

	proxy.recover()
	recovered(t, srv, a)
}

// TestDatabaseStall promises the same for a database that stops answering
// without closing anything (a partition, a frozen host): requests still get
// 503 within the bound instead of hanging on pooled connections, and service
// resumes when packets flow again.
func TestDatabaseStall(t *testing.T) {
	srv, proxy, a := proxiedServer(t)
	// Bounded clients: a hang is reported, not waited out.
	bounded := newClient(srv.URL, &http.Transport{MaxIdleConnsPerHost: 8})
	bounded.HTTP.Timeout = outageBound + 2*time.Second
	send := func(method, path string, body any, headers ...string) (*reply, error) {
		return bounded.Send(method, path, body, headers...)
	}

	proxy.stall(true)
	var slow []string
	for _, p := range outageProbes(send, a) {
		start := time.Now()
		r, err := p.send()
		took := time.Since(start).Round(time.Millisecond)
		switch {
		case err != nil || took > outageBound:
			slow = append(slow, p.name+" took "+took.String())
		default:
			if ok, why := p.ok(r); !ok {
				t.Errorf("stall: %s: %s", p.name, why)
			}
		}
	}
	proxy.stall(false)
	recovered(t, srv, a)
	if len(slow) > 0 {
		t.Errorf("with the database stalled, requests hung past %v: %s", outageBound, strings.Join(slow, "; "))
	}
}

// tcpProxy forwards 127.0.0.1:PORT to a target. It can cut the path
// (outage: close the listener and every connection), restore it on the same
// port (recover), and stall it (hold every byte and every new connection
// until unstalled).
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string

	mu      sync.Mutex
	flowing *sync.Cond
	stalled bool
	ln      net.Listener
	conns   map[net.Conn]struct{}
	closed  bool // the test has ended
	wg      sync.WaitGroup
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.flowing = sync.NewCond(&p.mu)
	p.serve(ln)
	t.Cleanup(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.stall(false)
		p.outage()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.track(in) {
				in.Close()
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.waitFlowing()
				out, err := net.DialTimeout("tcp", p.target, 5*time.Second)
				if err != nil || !p.track(out) {
					in.Close()
					if out != nil {
						out.Close()
					}
					return
				}
				p.wg.Add(2)
				go p.pipe(in, out)
				go p.pipe(out, in)
			}()
		}
	}()
}

// track registers a connection unless the listener was closed since.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *tcpProxy) waitFlowing() {
	p.mu.Lock()
	for p.stalled && !p.closed {
		p.flowing.Wait()
	}
	p.mu.Unlock()
}

// pipe copies src to dst, holding data while the proxy is stalled.
func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.waitFlowing()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// stall holds (true) or releases (false) all traffic.
func (p *tcpProxy) stall(on bool) {
	p.mu.Lock()
	p.stalled = on
	p.flowing.Broadcast()
	p.mu.Unlock()
}

// outage closes the listener and every proxied connection.
func (p *tcpProxy) outage() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// recover listens on the same port again.
func (p *tcpProxy) recover() {
	p.t.Helper()
	var err error
	for i := 0; i < 50; i++ {
		var ln net.Listener
		ln, err = net.Listen("tcp", p.addr)
		if err == nil {
			p.serve(ln)
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("listening again on %s: %v", p.addr, err)
}
