package password

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
)

// Hashes run in worker processes: re-executions of the image this process
// runs (see runningImage), with an environment of their own (workerEnv),
// at the lowest CPU priority (SCHED_IDLE, else hashNice), one hash at a
// time each, spoken to over a pipe. The kernel then serves the server's
// threads first whenever both want a core, which in-process threads cannot
// get (x/crypto/argon2 runs its work in goroutines of its own, on whatever
// thread Go picks), and the 19 MiB each argon2id hash allocates stays out
// of the server's heap. Measured with cmd/loadbench in docs/benchmarks.md.

// workerEnvVar marks a process started as a hash worker.
const workerEnvVar = "GQLAUTH_HASH_WORKER"

// canServe is set once this binary's main has called RunWorkerIfRequested:
// only then can a re-execution of it serve as a worker.
var canServe atomic.Bool

// RunWorkerIfRequested makes this process a hash worker, serving hashes on
// stdin/stdout until its input closes and then exiting, when it was started
// as one; else it returns at once. Call it first thing in main (and in
// TestMain of a test binary whose hashers use workers): UseWorkers refuses
// to start workers from a binary that has not.
func RunWorkerIfRequested() {
	if os.Getenv(workerEnvVar) == "1" {
		os.Exit(serve(os.Stdin, os.Stdout))
	}
	canServe.Store(true)
}

// request is one hash or verification, sent to a worker.
type request struct {
	Verify   bool            `json:"verify,omitempty"`
	Password string          `json:"password"`
	Encoded  string          `json:"encoded,omitempty"` // Verify: the stored hash, "" for none
	Params   argon2id.Params `json:"params"`            // the configured parameters
	Dummy    string          `json:"dummy,omitempty"`   // Verify: the stand-in for a missing hash
}

// response is a worker's answer.
type response struct {
	Hash   string `json:"hash,omitempty"`
	OK     bool   `json:"ok,omitempty"`
	Rehash bool   `json:"rehash,omitempty"`
	Err    string `json:"err,omitempty"`
}

// serve is a worker's loop: one JSON request per line in, one answer
// out, until its input closes (the server stopped or died).
func serve(in io.Reader, out io.Writer) int {
	lowerProcessPriority()
	dec := json.NewDecoder(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return 0
			}
			fmt.Fprintln(os.Stderr, "hash worker:", err)
			return 1
		}
		if err := enc.Encode(answer(req)); err != nil {
			return 1
		}
	}
}

// answer does req's work, in a worker or (when none can start) in the
// server.
func answer(req request) response {
	var (
		r   response
		err error
	)
	if req.Verify {
		r.OK, r.Rehash, err = verifyPassword(&req.Params, req.Dummy, req.Password, req.Encoded)
	} else {
		r.Hash, err = argon2id.CreateHash(req.Password, &req.Params)
	}
	if err != nil {
		r.Err = err.Error()
	}
	return r
}

// pool runs requests on worker processes, starting them as needed and
// keeping the idle ones. The Hasher's slots bound how many run at once.
type pool struct {
	exe    string
	mu     sync.Mutex
	idle   []*worker
	closed bool // Close was called: workers coming back are stopped
}

type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	enc   *json.Encoder
	dec   *json.Decoder
}

// UseWorkers makes h run every hash in worker processes of lowered
// priority (see pool), started on first use. Call it before h is used;
// Close stops the workers.
func (h *Hasher) UseWorkers() error {
	if !canServe.Load() {
		return errors.New("hash workers: this binary's main does not call password.RunWorkerIfRequested")
	}
	exe, err := runningImage()
	if err != nil {
		return fmt.Errorf("hash workers: %w", err)
	}
	h.procs = &pool{exe: exe}
	return nil
}

// workerEnvPassed are the variables a worker inherits: the Go runtime's own
// knobs. Everything else (SECRET_KEY, DATABASE_URL, JWT_KEYS, SMTP_URL…)
// stays in the server: a worker only hashes what it is sent.
var workerEnvPassed = []string{"GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG", "GOTRACEBACK", "GOCOVERDIR", "TMPDIR"}

// workerEnv is a worker's whole environment.
func workerEnv() []string {
	env := []string{workerEnvVar + "=1"}
	for _, k := range workerEnvPassed {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Close stops the hash workers: idle ones at once, busy ones when their
// hash is done.
func (h *Hasher) Close() {
	if h.procs == nil {
		return
	}
	h.procs.mu.Lock()
	idle := h.procs.idle
	h.procs.idle = nil
	h.procs.closed = true
	h.procs.mu.Unlock()
	for _, w := range idle {
		w.stop()
	}
}

// do runs req on a worker. took is how long the worker took to answer,
// not counting the start of a new worker (the hash-time estimate is of
// hashes, not of process starts). When ctx ends first the worker is killed
// (a hash cannot be interrupted otherwise) and ctx's error returned; the
// next request starts a fresh one.
func (p *pool) do(ctx context.Context, req request, now func() time.Time) (r response, took time.Duration, err error) {
	// An idle worker may have died (killed, out of memory); a hash can be
	// asked again, so a reused worker that fails gets one fresh successor.
	for attempt := 0; ; attempt++ {
		w, reused, err := p.get()
		if err != nil {
			return response{}, 0, errNoWorker{err}
		}
		stopKill := context.AfterFunc(ctx, func() { _ = w.cmd.Process.Kill() })
		start := now()
		if err = w.enc.Encode(req); err == nil {
			err = w.dec.Decode(&r)
		}
		took = now().Sub(start)
		killed := !stopKill()
		if err != nil || killed {
			// A worker that broke or was killed mid-request is never reused.
			w.stop()
		} else {
			p.put(w)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return response{}, 0, ctx.Err()
		case err != nil && reused && attempt == 0:
			continue
		case err != nil:
			// The hash may succeed on another worker: a capacity refusal.
			return response{}, 0, fmt.Errorf("%w: hash worker: %w", ErrBusy, err)
		case r.Err != "":
			return r, took, errors.New(r.Err)
		}
		return r, took, nil
	}
}

// errNoWorker means no worker could be started (the binary gone, the
// process limit reached): the hash was not attempted.
type errNoWorker struct{ err error }

func (e errNoWorker) Error() string { return "hash worker: " + e.err.Error() }
func (e errNoWorker) Unwrap() error { return e.err }

// get returns an idle worker (reused) or a new one.
func (p *pool) get() (w *worker, reused bool, err error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w = p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return w, true, nil
	}
	p.mu.Unlock()
	w, err = p.start()
	return w, false, err
}

func (p *pool) put(w *worker) {
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.idle = append(p.idle, w)
	}
	p.mu.Unlock()
	if closed {
		w.stop()
	}
}

func (p *pool) start() (*worker, error) {
	cmd := exec.Command(p.exe)
	cmd.Args = []string{"gqlauth-hash-worker"}
	cmd.Env = workerEnv()
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting hash worker: %w", err)
	}
	return &worker{cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin), dec: json.NewDecoder(bufio.NewReader(stdout))}, nil
}

// stop closes the worker's input, which ends it, and reaps it.
func (w *worker) stop() {
	_ = w.stdin.Close()
	go func() { _ = w.cmd.Wait() }()
}
