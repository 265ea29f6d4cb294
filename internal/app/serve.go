package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"gqlauth/internal/rest"
)

// serve runs the HTTP server until ctx is cancelled (SIGINT/SIGTERM), then
// stops accepting connections and lets in-flight requests finish within
// SHUTDOWN_TIMEOUT_SECONDS. Its first line on stdout is
// "gqlauth listening on http://ADDR", which tests use to find a port-0 server.
func serve(ctx context.Context, e env, args []string) error {
	fs := withNote(flags(e, "serve", "[serve]"), "Runs the HTTP server (GraphQL, REST shim, JWKS) until SIGINT or SIGTERM. It takes no flags.\n\n"+configHelp)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	d, err := load(ctx, e, forServe)
	if err != nil {
		return err
	}
	defer d.Close()
	cfg := d.cfg

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	// The metrics listener, if any, is opened before anything is served:
	// a METRICS_ADDR that cannot be had stops the start.
	mln, err := d.listenMetrics()
	if err != nil {
		ln.Close()
		return err
	}
	srv := newHTTPServer(ctx, d.handler(), d.log)
	janitorCtx, stopJanitor := context.WithCancel(ctx)
	defer stopJanitor()
	go d.janitor(janitorCtx)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(rest.EnvelopeErrors(ln)) }()
	addr := displayAddr(ln.Addr().(*net.TCPAddr))
	stopMail, err := d.startMail(ctx, "http://"+addr)
	if err != nil {
		srv.Close()
		return err
	}
	fmt.Fprintf(e.stdout, "gqlauth listening on http://%s\n", addr)
	d.log.Info("listening", slog.String("addr", addr), slog.String("database", d.db.Dialect))
	stopMetrics := d.serveMetrics(ctx, e, mln)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	d.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	stopMetrics(shutdownCtx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	stopMail(shutdownCtx)
	return nil
}

// listenMetrics opens the METRICS_ADDR listener, or returns nil when
// metrics have none.
func (d *deps) listenMetrics() (net.Listener, error) {
	if d.metricsListener() == nil {
		return nil, nil
	}
	ln, err := net.Listen("tcp", d.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	return ln, nil
}

// serveMetrics serves /metrics on ln (the METRICS_ADDR listener) and prints
// "gqlauth metrics on http://ADDR/metrics", after the listening line.
// Without ln it only logs where /metrics is, or that it is not served.
func (d *deps) serveMetrics(ctx context.Context, e env, ln net.Listener) (stop func(context.Context)) {
	cfg := d.cfg
	if ln == nil {
		switch {
		case !cfg.Metrics:
		case cfg.MetricsToken != "":
			d.log.Info("metrics at /metrics on the public port, for requests bearing METRICS_TOKEN")
		default:
			d.log.Info("metrics are not served: set METRICS_TOKEN or METRICS_ADDR to reach /metrics")
		}
		return func(context.Context) {}
	}
	tcp := ln.Addr().(*net.TCPAddr)
	if !tcp.IP.IsLoopback() && cfg.MetricsToken == "" {
		d.log.Warn("METRICS_ADDR listens beyond loopback without METRICS_TOKEN: anyone who reaches it reads the metrics",
			slog.String("addr", tcp.String()))
	}
	srv := newHTTPServer(ctx, d.metricsListener(), d.log)
	go func() { _ = srv.Serve(rest.EnvelopeErrors(ln)) }()
	addr := displayAddr(tcp)
	fmt.Fprintf(e.stdout, "gqlauth metrics on http://%s/metrics\n", addr)
	d.log.Info("metrics listening", slog.String("addr", addr))
	return func(ctx context.Context) { _ = srv.Shutdown(ctx) }
}

// newHTTPServer is an http.Server with the timeouts every listener uses.
// The library's header limit is well above the 64 KiB that the edge
// middleware enforces, so an oversized header block is refused there, with
// the envelope, security headers, a request id and a log line; past the
// library's own limit envelopeErrors still rewrites its plain-text answer.
func newHTTPServer(ctx context.Context, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      45 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    rest.LibraryMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// janitor deletes expired rate-limit counters once a minute, and sessions
// revoked or expired more than auth.SessionRetention ago.
func (d *deps) janitor(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.svc.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("deleting old sessions", slog.String("error", err.Error()))
			}
			if d.sweep == nil {
				continue
			}
			if _, err := d.sweep(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("sweeping rate-limit counters", slog.String("error", err.Error()))
			}
		}
	}
}

// displayAddr is a dialable form of the listening address: an unspecified
// host (all interfaces) is shown as localhost.
func displayAddr(a *net.TCPAddr) string {
	if a.IP == nil || a.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", strconv.Itoa(a.Port))
	}
	return a.String()
}
