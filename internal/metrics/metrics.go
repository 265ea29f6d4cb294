// Package metrics exposes the service's Prometheus metrics: HTTP requests,
// GraphQL operations, authentication events, the password-hash queue, the
// database pool and the Go runtime.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
)

const namespace = "gqlauth"

// Label values that stand for names not tracked one by one: several root
// fields in one operation, a field outside the schema's own (only
// __typename), an HTTP method outside the standard ones.
const (
	nameOther         = "other"
	nameIntrospection = "introspection"
)

var httpMethods = map[string]struct{}{
	http.MethodGet: {}, http.MethodHead: {}, http.MethodPost: {}, http.MethodPut: {}, http.MethodPatch: {},
	http.MethodDelete: {}, http.MethodConnect: {}, http.MethodOptions: {}, http.MethodTrace: {},
}

// Metrics records the service's metrics in one registry. It implements
// auth.Metrics and is safe for concurrent use.
type Metrics struct {
	reg      prometheus.Registerer
	gatherer prometheus.Gatherer

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	gqlOps       *prometheus.CounterVec
	gqlDuration  *prometheus.HistogramVec
	logins       *prometheus.CounterVec
	refreshReuse prometheus.Counter
	rateLimited  *prometheus.CounterVec
	hashWait     prometheus.Histogram

	// fields are the root fields of the schema (Query and Mutation), the
	// only operation names recorded; see GraphQLExtension.
	mu     sync.Mutex
	fields map[string]struct{}
}

// New registers the metrics, and the Go and process collectors, with reg and
// returns them; a nil reg means a new registry. Handler serves reg when it is
// also a prometheus.Gatherer (a *prometheus.Registry), the default gatherer
// otherwise. Like prometheus.MustRegister, New panics when reg already holds
// these metrics: give each Metrics its own registry (tests run the program
// more than once per process).
func New(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	gatherer, ok := reg.(prometheus.Gatherer)
	if !ok {
		gatherer = prometheus.DefaultGatherer
	}
	m := &Metrics{
		reg:      reg,
		gatherer: gatherer,
		fields:   make(map[string]struct{}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		gqlOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_operations_total",
			Help: "GraphQL operations executed, by type and the schema's root field they ran (\"introspection\"; \"other\" for several at once).",
		}, []string{"operation", "name"}),
		gqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "graphql_operation_duration_seconds",
			Help:    "GraphQL execution latency by operation type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "login_attempts_total",
			Help: "Login attempts by outcome.",
		}, []string{"outcome"}),
		refreshReuse: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "refresh_reuse_detected_total",
			Help: "Rotated refresh tokens presented again, each revoking its session family.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rate_limited_total",
			Help: "Requests refused by a rate limit, by limit kind.",
		}, []string{"kind"}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "hash_wait_seconds",
			Help:    "Time password hashes waited for a free hashing slot.",
			Buckets: prometheus.DefBuckets,
		}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.gqlOps, m.gqlDuration,
		m.logins, m.refreshReuse, m.rateLimited, m.hashWait)
	// The default registry already holds the runtime collectors; registering
	// them twice there is not a mistake worth a panic.
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			if _, dup := err.(prometheus.AlreadyRegisteredError); !dup {
				panic(err)
			}
		}
	}
	return m
}

// Handler serves the registry in the Prometheus text exposition format.
// A collector that fails drops out of the scrape instead of failing it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.gatherer, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		// Scrapes are cheap, but nothing should be able to pile them up.
		MaxRequestsInFlight: 4,
	})
}

// ObserveHTTP records one finished HTTP request; it matches
// rest.Options.Observe. route must be bounded (a mux pattern, "unmatched");
// methods outside the standard ones are recorded as "other".
func (m *Metrics) ObserveHTTP(method, route string, status int, elapsed time.Duration) {
	// The method comes straight from the client, who could otherwise mint a
	// new series per request.
	if _, ok := httpMethods[method]; !ok {
		method = nameOther
	}
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(elapsed.Seconds())
}

// Login implements auth.Metrics: one login attempt and its outcome.
func (m *Metrics) Login(outcome string) { m.logins.WithLabelValues(outcome).Inc() }

// RefreshReuse implements auth.Metrics: a rotated refresh token came back.
func (m *Metrics) RefreshReuse() { m.refreshReuse.Inc() }

// RateLimited implements auth.Metrics: a request was refused by the limit
// of kind (e.g. "login-ip").
func (m *Metrics) RateLimited(kind string) { m.rateLimited.WithLabelValues(kind).Inc() }

// ObserveHashWait records how long a password hash waited for a hashing
// slot.
func (m *Metrics) ObserveHashWait(d time.Duration) { m.hashWait.Observe(d.Seconds()) }

// WatchHashQueue exports depth (e.g. password.Hasher.QueueDepth) as the
// hash_queue_depth gauge, read at each scrape. Call it once.
func (m *Metrics) WatchHashQueue(depth func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "hash_queue_depth",
		Help: "Password hashes running or waiting for a hashing slot.",
	}, func() float64 { return float64(depth()) }))
}

// WatchDB exports db's connection-pool statistics, labelled db_name=name.
// Call it once per pool.
func (m *Metrics) WatchDB(db *sql.DB, name string) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// GraphQLExtension returns a gqlgen extension (add it with Server.Use) that
// counts executed operations and times their execution. Requests that fail
// to parse or validate never execute; the HTTP metrics count them.
//
// The name label is the schema's own: the root field the operation ran
// (register, login, me, …), "introspection" for __schema/__type, and
// "other" for an operation of several root fields. The operation name a
// client chose is never a label value, so clients cannot mint series.
func (m *Metrics) GraphQLExtension() graphql.HandlerExtension { return gqlExtension{m} }

type gqlExtension struct{ m *Metrics }

var (
	_ graphql.HandlerExtension    = gqlExtension{}
	_ graphql.ResponseInterceptor = gqlExtension{}
)

func (gqlExtension) ExtensionName() string { return "PrometheusMetrics" }

// Validate learns the schema's root fields, the label values allowed.
func (e gqlExtension) Validate(es graphql.ExecutableSchema) error {
	s := es.Schema()
	e.m.mu.Lock()
	defer e.m.mu.Unlock()
	for _, root := range []*ast.Definition{s.Query, s.Mutation} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				e.m.fields[f.Name] = struct{}{}
			}
		}
	}
	return nil
}

// InterceptResponse runs once per query or mutation, around its execution.
func (e gqlExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	op, name := "unknown", nameOther
	if oc.Operation != nil {
		op, name = string(oc.Operation.Operation), e.m.fieldLabel(oc.Operation.SelectionSet)
	}
	e.m.gqlOps.WithLabelValues(op, name).Inc()
	e.m.gqlDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	return resp
}

// fieldLabel names an operation by its root field: the field when there is
// one (aliases and __typename beside it aside), "introspection" when only
// __schema/__type are asked, "other" otherwise.
func (m *Metrics) fieldLabel(set ast.SelectionSet) string {
	var field string
	introspection, several := false, false
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			if several {
				return
			}
			switch sel := sel.(type) {
			case *ast.Field:
				switch {
				case sel.Name == "__typename":
				case sel.Name == "__schema" || sel.Name == "__type":
					introspection = true
				case field == "" || field == sel.Name:
					field = sel.Name
				default:
					several = true
				}
			case *ast.InlineFragment:
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				// Each fragment once: spreading it again adds no field.
				if sel.Definition != nil && !seen[sel.Name] {
					seen[sel.Name] = true
					walk(sel.Definition.SelectionSet)
				}
			}
		}
	}
	walk(set)
	switch {
	case several || field != "" && introspection:
		return nameOther
	case field == "" && introspection:
		return nameIntrospection
	}
	m.mu.Lock()
	_, known := m.fields[field]
	m.mu.Unlock()
	if !known {
		return nameOther
	}
	return field
}
