package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/metrics"
	"slices"
	"sync"
	"syscall"
	"time"
)

// group is a set of identical workers inside one measured run.
type group struct {
	name    string
	workers int
	clients []*client // worker i owns clients[i%len]; nil for the hash loop
	op      func(w *worker) error
	// shed503 counts 503 answers as load shedding rather than errors (the
	// login storm, whose hash queue is meant to overflow).
	shed503 bool
	// backoff makes a worker wait out a shed 503's Retry-After before its
	// next request, as the contract asks of clients; without it the worker
	// retries at once (a flood).
	backoff bool
}

// worker runs one group's op in a loop.
type worker struct {
	c   *client
	rng *rand.Rand
	lat []time.Duration
	err int
	// shed counts 503s of a shed503 group.
	shed int
}

// result is one group's measurement.
type result struct {
	name    string
	workers int
	n       int // successful requests
	errs    int
	shed    int
	elapsed time.Duration
	cpu     time.Duration // process CPU time over the window (every group)
	lats    []time.Duration
	samples *errorSamples
	mem     memPeak
	rounds  []float64   // req/s of each round
	queue   *queueStats // the hash queue during a storm's login group
}

func (r *result) rps() float64 { return float64(r.n) / r.elapsed.Seconds() }

// ratioTo is r's rate over floor's: the median of the per-round ratios
// when both ran the same rounds (each round runs a case right after its
// floor, so the machine's slow drifts cancel), else the pooled ratio.
func (r *result) ratioTo(floor *result) float64 {
	if len(r.rounds) != len(floor.rounds) || len(r.rounds) == 0 {
		return r.rps() / floor.rps()
	}
	xs := make([]float64, len(r.rounds))
	for i := range xs {
		xs[i] = r.rounds[i] / floor.rounds[i]
	}
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
}

// pct returns the p-quantile of the latencies; r.lats must be sorted.
func (r *result) pct(p float64) time.Duration {
	if len(r.lats) == 0 {
		return 0
	}
	i := int(p * float64(len(r.lats)-1))
	return r.lats[i]
}

// cpuPerReq is the process's CPU time per completed request (successes and
// failures alike), loader included.
func (r *result) cpuPerReq() time.Duration {
	total := r.n + r.errs + r.shed
	if total == 0 {
		return 0
	}
	return r.cpu / time.Duration(total)
}

// run drives every group concurrently: an unrecorded warm-up, then the
// measured window. Workers start no request after the window ends and let
// in-flight ones finish.
func run(ctx context.Context, warmup, dur time.Duration, groups ...group) []*result {
	return runWatching(ctx, warmup, dur, nil, groups...)
}

// runWatching is run with watch (when not nil) started when the measured
// window opens; the function it returns is called when the window closes,
// before in-flight requests finish.
func runWatching(ctx context.Context, warmup, dur time.Duration, watch func() (stop func()), groups ...group) []*result {
	if warmup > 0 {
		phase(ctx, warmup, groups, false)
	}
	mem := sampleMemory()
	before := cpuTime()
	start := time.Now()
	if watch != nil {
		stop := watch()
		closeAt := time.AfterFunc(dur, stop)
		defer func() {
			if closeAt.Stop() {
				stop() // cancelled early
			}
		}()
	}
	ws, samples := phase(ctx, dur, groups, true)
	elapsed := time.Since(start)
	cpu := cpuTime() - before
	peak := mem()

	out := make([]*result, len(groups))
	for gi, g := range groups {
		r := &result{name: g.name, workers: g.workers, elapsed: elapsed, samples: samples[gi], mem: peak}
		if len(groups) == 1 {
			r.cpu = cpu // shared by several groups it would mean nothing per request
		}
		for _, w := range ws[gi] {
			r.n += len(w.lat)
			r.errs += w.err
			r.shed += w.shed
			r.lats = append(r.lats, w.lat...)
		}
		r.rounds = []float64{r.rps()}
		out[gi] = r
	}
	return out
}

// merge adds a later round of the same case to r.
func (r *result) merge(o *result) {
	r.n += o.n
	r.errs += o.errs
	r.shed += o.shed
	r.elapsed += o.elapsed
	r.cpu += o.cpu
	r.lats = append(r.lats, o.lats...)
	r.rounds = append(r.rounds, o.rounds...)
	r.mem.heapInuse = max(r.mem.heapInuse, o.mem.heapInuse)
	r.mem.workers = max(r.mem.workers, o.mem.workers)
	r.mem.sys = max(r.mem.sys, o.mem.sys)
	if o.queue != nil {
		if r.queue == nil {
			r.queue = &queueStats{capacity: o.queue.capacity}
		}
		r.queue.samples += o.queue.samples
		r.queue.full += o.queue.full
	}
	for _, m := range o.samples.msgs {
		r.samples.addMsg(m)
	}
}

func phase(ctx context.Context, dur time.Duration, groups []group, record bool) ([][]*worker, []*errorSamples) {
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	ws := make([][]*worker, len(groups))
	samples := make([]*errorSamples, len(groups))
	for gi, g := range groups {
		samples[gi] = &errorSamples{}
		for i := range g.workers {
			w := &worker{rng: rand.New(rand.NewPCG(uint64(gi), uint64(i)))}
			if len(g.clients) > 0 {
				w.c = g.clients[i%len(g.clients)]
			}
			if record {
				w.lat = make([]time.Duration, 0, 1<<14)
			}
			ws[gi] = append(ws[gi], w)
			wg.Go(func() {
				for ctx.Err() == nil && time.Now().Before(deadline) {
					t0 := time.Now()
					err := g.op(w)
					d := time.Since(t0)
					var he *httpError
					shed := err != nil && g.shed503 && errors.As(err, &he) && he.status == 503
					if shed && g.backoff {
						sleepUntil(ctx, time.Now().Add(min(he.retryAfter, time.Until(deadline))))
					}
					if !record {
						continue
					}
					switch {
					case err == nil:
						w.lat = append(w.lat, d)
					case shed:
						w.shed++
					default:
						w.err++
						samples[gi].add(err)
					}
				}
			})
		}
	}
	wg.Wait()
	return ws, samples
}

// sleepUntil waits until t or until ctx ends.
func sleepUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// cpuTime is the user+system CPU time so far of this process and its
// children, live (hash workers) or reaped.
func cpuTime() time.Duration {
	total := childrenCPU()
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

// errorSamples keeps the first few distinct error messages of a run.
type errorSamples struct {
	mu   sync.Mutex
	msgs []string
}

const maxErrorSamples = 4

func (s *errorSamples) add(err error) { s.addMsg(err.Error()) }

func (s *errorSamples) addMsg(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) < maxErrorSamples && !slices.Contains(s.msgs, msg) {
		s.msgs = append(s.msgs, msg)
	}
}

// memPeak is the largest heap in use (MemStats.HeapInuse) and memory
// obtained from the OS (MemStats.Sys) seen while a run was sampled.
type memPeak struct {
	heapInuse uint64
	workers   uint64 // resident memory of the hash worker processes
	sys       uint64
}

// The runtime/metrics names of MemStats.HeapInuse (objects + unused) and
// MemStats.Sys. runtime.ReadMemStats would stop the world every sample,
// which on two cores halves the throughput of argon2id, whose assembly
// cannot be preempted; runtime/metrics reads them without stopping it.
var memMetrics = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/total:bytes",
}

// sampleMemory samples the heap every 100 ms until the returned function is
// called, which returns the peaks.
func sampleMemory() func() memPeak {
	var (
		peak    memPeak
		samples = make([]metrics.Sample, len(memMetrics))
	)
	for i, name := range memMetrics {
		samples[i].Name = name
	}
	sample := func() {
		metrics.Read(samples)
		peak.heapInuse = max(peak.heapInuse, samples[0].Value.Uint64()+samples[1].Value.Uint64())
		peak.workers = max(peak.workers, childrenRSS())
		peak.sys = max(peak.sys, samples[2].Value.Uint64())
	}
	stop := every(100*time.Millisecond, sample)
	return func() memPeak {
		stop()
		sample()
		return peak
	}
}

// every calls f every d, from one goroutine, until the returned function
// is called; it returns once f no longer runs.
func every(d time.Duration, f func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f()
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// fmtDur prints a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

func fmtMiB(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
