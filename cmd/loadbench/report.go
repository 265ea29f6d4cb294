package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gqlauth/internal/password"
)

// floorOf names the floor each product case is divided by.
var floorOf = map[string]string{
	"rest-me":    "floor-me",
	"graphql-me": "floor-me",
	"refresh":    "floor-refresh",
	"login":      "hash",
	"login-1":    "hash-1",
}

// ref is a floor: a measured one (res), or the mixed blend (rps, cpu).
type ref struct {
	label string
	res   *result
	rps   float64
	cpu   time.Duration
}

// ratio is r's rate over the floor's.
func (f ref) ratio(r *result) float64 {
	if f.res != nil {
		return r.ratioTo(f.res)
	}
	return r.rps() / f.rps
}

// floors returns the floor of every product case present, including a blend
// for the mixed workload: the time-weighted mix of the three floors.
func floors(by map[string]*result) map[string]ref {
	out := map[string]ref{}
	for c, f := range floorOf {
		if r, ok := by[f]; ok && r.n > 0 {
			out[c] = ref{label: f, res: r, rps: r.rps(), cpu: r.cpuPerReq()}
		}
	}
	me, rf, h := by["floor-me"], by["floor-refresh"], by["hash"]
	if me != nil && rf != nil && h != nil && me.n > 0 && rf.n > 0 && h.n > 0 {
		out["mixed"] = ref{
			label: "blend",
			rps:   1 / (0.80/me.rps() + 0.15/rf.rps() + 0.05/h.rps()),
			cpu: time.Duration(0.80*float64(me.cpuPerReq()) + 0.15*float64(rf.cpuPerReq()) +
				0.05*float64(h.cpuPerReq())),
		}
	}
	return out
}

// report prints the table, the error samples and the targets, and reports
// whether any request failed.
func report(w io.Writer, results []*result, p *product, b *bench) bool {
	by := map[string]*result{}
	for _, r := range results {
		by[r.name] = r
	}
	fl := floors(by)

	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tclients\treq/s\t× floor\tp50\tp99\terrors\tCPU/req\tCPU × floor\tcores used\t")
	failed := false
	for _, r := range results {
		f, hasFloor := fl[r.name]
		ratio, cpuRatio := "", ""
		if hasFloor {
			ratio = fmt.Sprintf("%.2f× %s", f.ratio(r), f.label)
			if r.cpu > 0 && f.cpu > 0 {
				cpuRatio = fmt.Sprintf("%.2f×", float64(r.cpuPerReq())/float64(f.cpu))
			}
		}
		errs := strconv.Itoa(r.errs)
		if r.shed > 0 {
			errs += fmt.Sprintf(" (+%d shed 503)", r.shed)
		}
		failed = failed || r.errs > 0
		cores := ""
		if r.cpu > 0 {
			cores = fmt.Sprintf("%.2f", r.cpu.Seconds()/r.elapsed.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.name, r.workers, r.rps(), ratio, fmtDur(r.pct(0.50)), fmtDur(r.pct(0.99)), errs, fmtDur(r.cpuPerReq()), cpuRatio, cores)
	}
	tw.Flush()
	for _, line := range strings.Split(strings.TrimRight(table.String(), "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}

	for _, r := range results {
		if msgs := r.samples.msgs; len(msgs) > 0 {
			fmt.Fprintf(w, "\nfirst errors of %s:\n", r.name)
			for _, m := range msgs {
				fmt.Fprintf(w, "  %s\n", m)
			}
		}
	}

	fmt.Fprintln(w, "\ntargets (timings on a shared machine are noisy: a MISS is a finding, never a failure):")
	for _, t := range targets(by, fl, p, b) {
		fmt.Fprintf(w, "  %-5s %-58s %s\n", t.verdict, t.what, t.got)
	}
	return failed
}

type target struct {
	verdict, what, got string
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func targets(by map[string]*result, fl map[string]ref, p *product, b *bench) []target {
	var out []target
	rate := func(c string, atLeast float64, what string) {
		r, okR := by[c]
		f, okF := fl[c]
		if !okR || !okF {
			out = append(out, target{"n/a", what, "(case or floor not run)"})
			return
		}
		x := f.ratio(r)
		got := fmt.Sprintf("%.2f× %s, %d errors", x, f.label, r.errs)
		if r.cpu > 0 && f.cpu > 0 {
			// When CPU-bound, req/s scale with 1/(CPU per request); this
			// estimate does not move with the neighbours' load.
			got += fmt.Sprintf("; by CPU/req %.2f×", float64(f.cpu)/float64(r.cpuPerReq()))
		}
		out = append(out, target{verdict(x >= atLeast && r.errs == 0), what, got})
	}
	// The targets docs/benchmarks.md reports against.
	rate("rest-me", 0.75, "REST me ≥ 0.75× floor req/s")
	rate("graphql-me", 0.55, "GraphQL me ≥ 0.55× floor req/s")
	if p.cfg.IsSQLite() {
		rate("refresh", 1.0, "rotating refresh ≥ 1.0× refresh floor req/s")
	} else {
		rate("refresh", 0.8, "rotating refresh ≥ 0.8× refresh floor req/s")
	}
	if r, f := by["refresh"], by["floor-refresh"]; r != nil && f != nil && r.n > 0 && f.n > 0 {
		x := float64(r.pct(0.99)) / float64(f.pct(0.99))
		out = append(out, target{verdict(x <= 2 && r.errs == 0), "rotating refresh p99 ≤ 2× the floor's p99",
			fmt.Sprintf("%.2f× (%s vs %s)", x, fmtDur(r.pct(0.99)), fmtDur(f.pct(0.99)))})
	}
	rate("login", 0.9, "login ≥ 0.9× bare hash rate")

	if l, h := by["login-1"], by["hash-1"]; l != nil && h != nil && h.n > 0 {
		x := float64(l.pct(0.5)) / float64(h.pct(0.5))
		out = append(out, target{verdict(x <= 1.1 && l.errs == 0), "one login's latency ≤ 1.1× one hash (p50)",
			fmt.Sprintf("%.2f× (%s vs %s)", x, fmtDur(l.pct(0.5)), fmtDur(h.pct(0.5)))})
	} else {
		out = append(out, target{"n/a", "one login's latency ≤ 1.1× one hash (p50)", "(login-1 or hash-1 not run)"})
	}

	quiet, loud, flood := by["storm: me alone"], by["storm: me"], by["flood: me"]
	if quiet == nil || loud == nil || flood == nil {
		out = append(out, target{"n/a", "me p99 during a login storm ≤ 2× without", "(storm not run)"})
		return out
	}
	stormLogin, floodLogin := by[fmt.Sprintf("storm: %d× login", b.storm)], by[fmt.Sprintf("flood: %d× login", b.storm)]
	// The storm target means something only while hashes queue: require
	// the queue to have been at capacity in most samples.
	q := stormLogin.queue
	x := float64(loud.pct(0.99)) / float64(quiet.pct(0.99))
	out = append(out, target{verdict(x <= 2 && loud.errs == 0 && q != nil && q.fullShare() >= 0.8),
		"me p99 during a login storm ≤ 2× without",
		fmt.Sprintf("%.2f× (%s vs %s); hash queue full (%d) in %s of samples; storm clients honour Retry-After",
			x, fmtDur(loud.pct(0.99)), fmtDur(quiet.pct(0.99)), b.queueCap, fmtShare(q))})
	if idle := by["storm: me beside idle loop"]; idle != nil {
		ix := float64(idle.pct(0.99)) / float64(quiet.pct(0.99))
		out = append(out, target{"info", "me p99 beside one SCHED_IDLE busy loop (machine floor)",
			fmt.Sprintf("%.2f× (%s vs %s): what any background work costs a token check on this machine", ix, fmtDur(idle.pct(0.99)), fmtDur(quiet.pct(0.99)))})
	}
	fx := float64(flood.pct(0.99)) / float64(quiet.pct(0.99))
	out = append(out, target{"info", "me p99 during a login flood (no back-off)",
		fmt.Sprintf("%.2f× (%s vs %s); %d shed 503/s; hash queue full in %s of samples",
			fx, fmtDur(flood.pct(0.99)), fmtDur(quiet.pct(0.99)), int(float64(floodLogin.shed)/floodLogin.elapsed.Seconds()), fmtShare(floodLogin.queue))})

	// Memory is bounded by the hash queue when a storm of b.storm clients
	// needs no more than the login case, whose clients all fit in the queue,
	// plus one more hash per worker (garbage allocated during a collection).
	// Unbounded, every storm client would hold a hash's memory at once.
	k := uint64(p.cfg.HashConcurrency)
	perHash := uint64(b.hashMiB()) << 20
	what := fmt.Sprintf("memory during a %d-client login storm bounded by the hash queue", b.storm)
	heap, sys := max(loud.mem.heapInuse, flood.mem.heapInuse), max(loud.mem.sys, flood.mem.sys)
	workers := max(loud.mem.workers, flood.mem.workers)
	got := fmt.Sprintf("peak HeapInuse %s, Sys %s, hash workers' RSS %s over storm and flood (%d hashes × %d MiB in flight; unbounded would be %d × %d MiB)",
		fmtMiB(heap), fmtMiB(sys), fmtMiB(workers), k, b.hashMiB(), b.storm, b.hashMiB())
	got += fmt.Sprintf("; %d + %d logins ok, %d + %d shed", stormLogin.n, floodLogin.n, stormLogin.shed, floodLogin.shed)
	login := by["login"]
	if login == nil {
		out = append(out, target{"n/a", what, got + " (login case not run)"})
		return out
	}
	bound := login.mem.heapInuse + login.mem.workers + k*perHash
	got += fmt.Sprintf("; bound %s = login case (%d clients) %s heap + %s workers + %d × %d MiB",
		fmtMiB(bound), login.workers, fmtMiB(login.mem.heapInuse), fmtMiB(login.mem.workers), k, b.hashMiB())
	out = append(out, target{verdict(heap+workers <= bound), what, got})
	return out
}

// fmtShare prints how often the sampled queue was full.
func fmtShare(q *queueStats) string {
	if q == nil || q.samples == 0 {
		return "n/a (no /metrics samples)"
	}
	return fmt.Sprintf("%.0f%% (%d/%d)", 100*q.fullShare(), q.full, q.samples)
}

// hashMiB is the memory one argon2id hash holds while it runs.
func (b *bench) hashMiB() int { return int(password.Argon2Params.Memory / 1024) }
