// Command loadbench drives the gqlauth server, started in-process through
// app.Run exactly as main starts it, over loopback HTTP with a fixed number of
// concurrent clients for a fixed time, and measures it against a floor run in
// the same process: a bare net/http handler that verifies the same token with
// golang-jwt and reads the same row with one prepared database/sql query, a
// bare refresh doing the same single conditional UPDATE, and a bare argon2id
// hash loop. Every figure is printed as a ratio to its floor.
//
//	go run ./cmd/loadbench                 # full run, SQLite, 16 clients × 10 s per case in 10 rounds
//	go run ./cmd/loadbench -smoke          # CI: 4 clients × 2 s; exits 1 only on request errors
//	BENCH_DATABASE_URL=postgres://… go run ./cmd/loadbench
//	go run ./cmd/loadbench -case rest-me,refresh -cpuprofile cpu.out
//	go run ./cmd/loadbench -process         # server and floor as processes of their own
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"gqlauth/internal/password"
)

type options struct {
	clients    int
	duration   time.Duration
	rounds     int
	storm      int
	smoke      bool
	only       []string
	cpuprofile string
	process    bool   // server and floor as processes of their own
	bin        string // -process: the gqlauth binary (built when empty)
	users      int    // users and sessions to bulk-insert first
	alg        string
}

func main() {
	password.RunWorkerIfRequested()
	if os.Getenv(floorEnv) == "1" {
		os.Exit(floorMain())
	}
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	o, code := parseFlags(args, stderr)
	if code >= 0 {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed, err := runBench(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "loadbench:", err)
		return 1
	}
	if o.smoke && failed {
		fmt.Fprintln(stderr, "loadbench: requests failed (see the errors above)")
		return 1
	}
	return 0
}

// parseFlags returns the options, or an exit code >= 0 when there is
// nothing to run.
func parseFlags(args []string, stderr io.Writer) (options, int) {
	var o options
	fs := flag.NewFlagSet("loadbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients per case")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per case, split over the rounds")
	fs.IntVar(&o.rounds, "rounds", 10, "rounds: every case runs duration/rounds per round, so floor and product share the machine's moods (smoke: 1)")
	fs.IntVar(&o.storm, "storm", 64, "login clients in the storm case")
	fs.BoolVar(&o.smoke, "smoke", false, "CI mode: 4 clients, 2s per case (unless set); exit 1 if any request failed")
	only := fs.String("case", "", "comma-separated cases to run (default all): "+strings.Join(caseNames(), ", "))
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the cases run to `file` (in-process mode: server and load generator)")
	fs.BoolVar(&o.process, "process", false, "run the server (the gqlauth binary, built unless -bin) and the floor as processes of their own, as users run it")
	fs.IntVar(&o.users, "users", 0, "bulk-insert this many users and sessions before the cases (how costs grow with the tables)")
	fs.StringVar(&o.bin, "bin", "", "with -process: the gqlauth `binary` to run instead of building one")
	fs.StringVar(&o.alg, "alg", "HS256", "ALGORITHM the server (and the floor) sign with: HS256, EdDSA, ES256 or RS256 (a new key each run)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: go run ./cmd/loadbench [flags]\n\nCases:")
		for _, c := range cases() {
			fmt.Fprintf(fs.Output(), "  %-14s %s\n", c.name, c.help)
		}
		fmt.Fprintln(fs.Output(), "\nBENCH_DATABASE_URL=postgres://… runs on a fresh schema of that database instead of a temporary SQLite file.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return o, 0
		}
		return o, 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.smoke && !set["clients"] {
		o.clients = 4
	}
	if o.smoke && !set["duration"] {
		o.duration = 2 * time.Second
	}
	if o.smoke && !set["rounds"] {
		o.rounds = 1
	}
	for _, name := range strings.Split(*only, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if !slices.Contains(caseNames(), name) {
			fmt.Fprintf(stderr, "unknown case %q; cases: %s\n", name, strings.Join(caseNames(), ", "))
			return o, 2
		}
		o.only = append(o.only, name)
	}
	if o.bin != "" && !o.process {
		fmt.Fprintln(stderr, "-bin needs -process")
		return o, 2
	}
	if o.clients < 1 || o.storm < 1 || o.rounds < 1 || o.duration <= 0 {
		fmt.Fprintln(stderr, "-clients, -storm and -rounds must be at least 1, -duration positive")
		return o, 2
	}
	return o, -1
}

func caseNames() []string {
	var names []string
	for _, c := range cases() {
		names = append(names, c.name)
	}
	return names
}

// runBench starts everything, runs the cases and prints the report. It
// reports whether any request failed.
func runBench(ctx context.Context, o options, stdout, stderr io.Writer) (bool, error) {
	db, err := newDatabase(ctx)
	if err != nil {
		return false, err
	}
	defer db.cleanup()
	env, err := benchEnv(db.url, o.clients, o.alg)
	if err != nil {
		return false, err
	}
	if o.process || os.Getenv("LOG_LEVEL") != "" {
		// -process runs the server as users run it: its default logging
		// (one line per request at info) unless LOG_LEVEL says otherwise.
		delete(env, "LOG_LEVEL")
	}
	var p *product
	if o.process {
		p, err = startProductProcess(ctx, o.bin, env, db.label)
	} else {
		p, err = startProduct(ctx, env, db.label)
	}
	if err != nil {
		return false, err
	}
	defer p.stop()
	var floorBase string
	if o.process {
		base, stop, err := startFloorProcess(env)
		if err != nil {
			return false, err
		}
		defer stop()
		floorBase = base
	} else {
		f, err := startFloor(ctx, p.cfg)
		if err != nil {
			return false, err
		}
		defer f.close()
		floorBase = f.base
	}

	l := newLoader()
	l.product, l.floor, l.metricsToken = p.base, floorBase, p.cfg.MetricsToken
	b := &bench{l: l, n: o.clients, storm: o.storm, cpus: runtime.NumCPU(), queueCap: p.cfg.HashConcurrency + p.cfg.HashQueueSize}
	printHeader(stdout, o, p)
	if o.users > 0 {
		fmt.Fprintf(stderr, "seeding %d users and sessions…\n", o.users)
		took, err := seedUsers(ctx, p.cfg, o.users)
		if err != nil {
			return false, err
		}
		reportSeed(ctx, stdout, o, p, took)
	}
	if b.clients, err = l.seed(max(o.clients, stormMe), 2*runtime.NumCPU()); err != nil {
		return false, fmt.Errorf("seeding users: %w", err)
	}

	if o.cpuprofile != "" {
		pf, err := os.Create(o.cpuprofile)
		if err != nil {
			return false, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return false, err
		}
		defer pprof.StopCPUProfile()
	}
	results, err := runCases(ctx, o, b, stderr)
	pprof.StopCPUProfile()
	if err != nil {
		return false, err
	}
	return report(stdout, results, p, b), nil
}

// runCases runs the selected cases in rounds, each case duration/rounds per
// round with a warm-up in the first, and merges the rounds.
func runCases(ctx context.Context, o options, b *bench, progress io.Writer) ([]*result, error) {
	var (
		order []*result
		by    = map[string]*result{}
		slice = o.duration / time.Duration(o.rounds)
	)
	for round := range o.rounds {
		fmt.Fprintf(progress, "round %d/%d:", round+1, o.rounds)
		for _, c := range cases() {
			if len(o.only) > 0 && !slices.Contains(o.only, c.name) {
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			fmt.Fprintf(progress, " %s", c.name)
			var warmup time.Duration
			if round == 0 {
				warmup = warmupFor(o.duration)
			}
			for _, r := range c.run(ctx, b, warmup, slice) {
				if prev, ok := by[r.name]; ok {
					prev.merge(r)
					continue
				}
				by[r.name] = r
				order = append(order, r)
			}
		}
		fmt.Fprintln(progress)
	}
	for _, r := range order {
		slices.Sort(r.lats)
	}
	return order, nil
}

func warmupFor(d time.Duration) time.Duration { return min(time.Second, d/5) }

func printHeader(w io.Writer, o options, p *product) {
	cfg := p.cfg
	fmt.Fprintf(w, "gqlauth loadbench\n")
	fmt.Fprintf(w, "machine:  %s/%s, %s, NumCPU=%d, GOMAXPROCS=%d, %s\n",
		runtime.GOOS, runtime.GOARCH, cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintf(w, "database: %s\n", p.dbLabel)
	if !p.cfg.IsSQLite() {
		fmt.Fprintln(w, "          (CPU/req counts this process only, not the PostgreSQL server's own CPU)")
	}
	mode := "full"
	if o.smoke {
		mode = "smoke"
	}
	fmt.Fprintf(w, "settings: %s run; %d clients per case; %s measured per case in %d interleaved rounds, after %s warm-up; storm %d login + %d me clients\n",
		mode, o.clients, o.duration, o.rounds, warmupFor(o.duration), o.storm, stormMe)
	where := "in-process app.Run serve"
	if p.process != "" {
		where = "process " + p.process + " serve (floor: a process of its own)"
	}
	fmt.Fprintf(w, "server:   %s on %s; LOG_LEVEL=%s; rate limits off; %s; DB pool open=%d idle=%d\n",
		where, p.base, cfg.LogLevel, cfg.Algorithm, cfg.DBMaxOpen, cfg.DBMaxIdle)
	ap := password.Argon2Params
	fmt.Fprintf(w, "hashing:  argon2id m=%d KiB t=%d p=%d; HASH_CONCURRENCY=%d HASH_QUEUE_SIZE=%d HASH_QUEUE_WAIT=%s\n",
		ap.Memory, ap.Iterations, ap.Parallelism, cfg.HashConcurrency, cfg.HashQueueSize, cfg.HashQueueWait)
	fmt.Fprintf(w, "× floor is the median over rounds of req/s ÷ the floor's req/s in the same round. CPU/req is the whole\n"+
		"CPU time of this process and its children (server, load generator, hash workers) per request, the floor's\n"+
		"measured the same way; cores used is CPU time ÷ wall time, which shows how much of the machine the run got.\n\n")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "cpu unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "cpu unknown"
}
