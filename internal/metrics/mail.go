package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// MailMetrics are the outbox sender's metrics; it implements mail.Metrics.
type MailMetrics struct {
	sent   *prometheus.CounterVec
	failed *prometheus.CounterVec
}

// MailSent counts a message delivered to the SMTP server (or logged).
func (m *MailMetrics) MailSent(kind string) { m.sent.WithLabelValues(kind).Inc() }

// MailFailed counts a failed send attempt (retried later) or a dropped message.
func (m *MailMetrics) MailFailed(kind string) { m.failed.WithLabelValues(kind).Inc() }

// WatchMail registers the outbox metrics: sent and failed counters by kind,
// and, read from the database at each scrape through stats, the messages
// queued and the age of the oldest of them. Call it once.
func (m *Metrics) WatchMail(stats func(ctx context.Context) (queued int, oldest time.Duration, err error)) *MailMetrics {
	mm := &MailMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "mail_sent_total",
			Help: "Emails handed to the SMTP server (or, in development mode, the log), by kind.",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "mail_failed_total",
			Help: "Email send attempts that failed (retried with backoff) or messages given up, by kind.",
		}, []string{"kind"}),
	}
	read := func() (int, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, age, err := stats(ctx)
		if err != nil {
			return 0, 0
		}
		return n, age
	}
	m.reg.MustRegister(mm.sent, mm.failed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "mail_queued",
			Help: "Emails stored in the outbox and not yet sent.",
		}, func() float64 { n, _ := read(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "mail_oldest_unsent_age_seconds",
			Help: "Age of the oldest email not yet sent (0 when none waits).",
		}, func() float64 { _, a := read(); return a.Seconds() }),
	)
	return mm
}
