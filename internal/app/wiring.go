package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gqlauth/graph"
	"gqlauth/internal/auth"
	"gqlauth/internal/config"
	"gqlauth/internal/database"
	"gqlauth/internal/keys"
	"gqlauth/internal/metrics"
	"gqlauth/internal/password"
	"gqlauth/internal/ratelimit"
	"gqlauth/internal/rest"
	"gqlauth/internal/service"
	"gqlauth/internal/webui"
)

// deps are the long-lived parts every command builds from the configuration.
type deps struct {
	cfg     *config.Config
	log     *slog.Logger
	db      *database.DB
	svc     *auth.Service
	keys    *keys.Set
	limiter auth.Limiter
	sweep   func(context.Context) (int, error)
	metrics *metrics.Metrics
	close   []func()
	// box seals emailed tokens in the outbox; wake tells this process's
	// sender that a message was stored (see mail.go).
	box  *auth.TokenBox
	wake chan struct{}
}

func (d *deps) Close() {
	for i := len(d.close) - 1; i >= 0; i-- {
		d.close[i]()
	}
}

// purpose says what a command needs load to build.
type purpose int

const (
	forServe   purpose = iota // everything: signing keys, service, limiter, mail
	forMigrate                // the database, migrated; nothing else
	forAdmin                  // the database and a service that signs nothing
)

// load reads the configuration, opens and migrates the database and builds
// the auth service. Only serve signs tokens: the other commands neither need
// nor generate SECRET_KEY or JWT_KEYS. On error, whatever it opened is
// closed.
func load(ctx context.Context, e env, why purpose) (_ *deps, err error) {
	loadConfig := config.Load
	if why != forServe {
		loadConfig = config.LoadForTool
	}
	cfg, err := loadConfig(e.getenv)
	if err != nil {
		return nil, err
	}
	log := newLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	d := &deps{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if _, path, _ := database.ParseURL(cfg.DatabaseURL); cfg.IsSQLite() {
		// Before the secret and key files beside it: this makes the directory.
		tightened, err := database.PrepareSQLiteFile(path)
		if err != nil {
			return nil, err
		}
		for _, f := range tightened {
			log.Warn("the database file was readable by others: made it private (0600)", slog.String("file", f))
		}
	}
	if why != forServe {
		return d.loadTool(ctx, why)
	}
	if cfg.SecretGenerated && cfg.IsSQLite() {
		if err := cfg.EnsureSecret(); err != nil {
			return nil, err
		}
		log.Warn("SECRET_KEY is not set: using a generated development secret; set SECRET_KEY in production",
			slog.String("file", cfg.SecretFile()))
	}
	// Keys are checked before any connection: a bad JWT_KEYS stops here.
	if d.keys, err = loadKeys(cfg, log); err != nil {
		return nil, err
	}
	if err := d.openDB(ctx); err != nil {
		return nil, err
	}
	o := service.Options(cfg, d.db)
	if o.Tokens, err = auth.NewTokensWith(auth.TokenOptions{Keys: d.keys, Issuer: cfg.Issuer, Audience: cfg.Audience, Now: time.Now}); err != nil {
		return nil, err
	}
	hasher, err := password.NewHasher(password.Argon2Params, cfg.HashConcurrency, cfg.HashQueueSize, cfg.HashQueueWait)
	if err != nil {
		return nil, err
	}
	if err := hasher.UseWorkers(); err != nil {
		return nil, err
	}
	d.close = append(d.close, hasher.Close)
	// One registry per load: tests run several servers in one process.
	d.metrics = metrics.New(prometheus.NewRegistry())
	d.metrics.WatchDB(d.db.SQL, "main")
	d.metrics.WatchHashQueue(hasher.QueueDepth)
	hasher.ObserveWait(d.metrics.ObserveHashWait)
	if err := d.openLimiter(ctx); err != nil {
		return nil, err
	}
	if err := d.prepareMail(); err != nil {
		return nil, err
	}
	o.Hasher, o.Limiter, o.Logger, o.Metrics, o.Mail = hasher, d.limiter, log, d.metrics, d.mailOptions()
	d.svc = auth.New(o)
	return d, nil
}

// openDB opens and migrates the database; load closes it on failure.
func (d *deps) openDB(ctx context.Context) error {
	db, err := database.Open(ctx, d.cfg.DatabaseURL, database.Pool{MaxOpen: d.cfg.DBMaxOpen, MaxIdle: d.cfg.DBMaxIdle})
	if err != nil {
		return err
	}
	d.db = db
	d.close = append(d.close, func() { db.Close() })
	return db.Migrate(ctx)
}

// loadTool finishes load for migrate and create-admin: the database and,
// for create-admin, a service that hashes in this process (one password,
// no worker processes) and has no signing keys, limiter or mail.
func (d *deps) loadTool(ctx context.Context, why purpose) (*deps, error) {
	if err := d.openDB(ctx); err != nil {
		return nil, err
	}
	if why == forMigrate {
		return d, nil
	}
	hasher, err := password.NewHasher(password.Argon2Params, 1, 1, d.cfg.HashQueueWait)
	if err != nil {
		return nil, err
	}
	o := service.Options(d.cfg, d.db) // no limiter: its rules are inert
	o.Hasher, o.Logger = hasher, d.log
	d.svc = auth.New(o)
	return d, nil
}

// openLimiter keeps rate-limit counters in Redis when REDIS_URL is set (keys
// expire there on their own), else in the database, swept by the janitor.
func (d *deps) openLimiter(ctx context.Context) error {
	if d.cfg.RedisURL != "" {
		r, err := ratelimit.NewRedis(ctx, d.cfg.RedisURL, nil)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		d.limiter = r
		d.close = append(d.close, func() { r.Close() })
		return nil
	}
	store := ratelimit.NewStore(d.db.Client, nil)
	d.limiter, d.sweep = store, store.Sweep
	return nil
}

// handler builds the whole HTTP surface.
func (d *deps) handler() http.Handler {
	cfg := d.cfg
	gql := graph.NewHandler(d.svc, graph.Options{
		Introspection: cfg.Introspection,
		MaxDepth:      cfg.GraphQLMaxDepth,
		MaxComplexity: cfg.GraphQLMaxComplexity,
		MaxTokens:     cfg.GraphQLMaxTokens,
		MaxAuthFields: cfg.GraphQLMaxAuthFields,
		Logger:        d.log,
		// The walk's other limits (graph.Limits).
		MaxFields:            cfg.GraphQLMaxFields,
		MaxIntrospectionCost: cfg.GraphQLMaxIntrospectionCost,
	})
	gql.Use(d.metrics.GraphQLExtension())
	return rest.New(rest.Options{
		Auth:    d.svc,
		GraphQL: gql,
		Ready:   d.db.Ping,
		Mount: func(mux rest.Mux) {
			webui.Register(mux, webui.Options{Playground: cfg.Playground, Docs: cfg.Docs})
		},
		Playground:     cfg.Playground,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		RequestTimeout: cfg.RequestTimeout,
		TrustedProxies: cfg.TrustedProxies,
		CORSOrigins:    cfg.CORSOrigins,
		Logger:         d.log,
		Observe:        d.metrics.ObserveHTTP,
		Metrics:        d.publicMetrics(),
		MetricsToken:   cfg.MetricsToken,
		Keys:           d.keys,
	})
}

// publicMetrics is /metrics on the public port: served only behind
// METRICS_TOKEN, and not at all when METRICS_ADDR gives it a listener of
// its own (or METRICS_ENABLED=false).
func (d *deps) publicMetrics() http.Handler {
	if !d.cfg.Metrics || d.cfg.MetricsAddr != "" || d.cfg.MetricsToken == "" {
		return nil
	}
	return d.metrics.Handler()
}

// metricsListener is the separate METRICS_ADDR listener's handler, or nil
// when there is none.
func (d *deps) metricsListener() http.Handler {
	if !d.cfg.Metrics || d.cfg.MetricsAddr == "" {
		return nil
	}
	return rest.NewMetrics(rest.MetricsOptions{Metrics: d.metrics.Handler(), Token: d.cfg.MetricsToken, Logger: d.log})
}

func migrate(ctx context.Context, e env, args []string) error {
	fs := withNote(flags(e, "migrate", "migrate"), "Brings the schema of DATABASE_URL up to date and exits. It needs no SECRET_KEY or\nJWT_KEYS, and on SQLite creates the database file (0600) and its directory.\n\n"+configHelp)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	d, err := load(ctx, e, forMigrate)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintln(e.stdout, "database schema is up to date")
	return nil
}
