// Package mail delivers the email that the auth service stores in the
// outbox: a background Sender claims due messages, renders them from the
// embedded templates, sends them through a Transport (SMTP, or the log in
// development mode), marks them sent and retries failures with backoff.
// Claims are leases in the database, so several instances on one
// PostgreSQL (or processes on one SQLite file) send each message once.
package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"gqlauth/ent"
	"gqlauth/ent/outboxmessage"
	"gqlauth/ent/predicate"
)

// Opener opens the sealed token of an outbox row (auth.TokenBox).
type Opener interface {
	Open(sealed []byte) ([]byte, error)
}

// Metrics receives the sender's counts; nil means none.
type Metrics interface {
	MailSent(kind string)
	MailFailed(kind string) // a send attempt failed (it may be retried)
}

// Options configure a Sender. Client, Dialect, Transport and Opener are
// required.
type Options struct {
	Client    *ent.Client
	Dialect   string
	Transport Transport
	Opener    Opener
	From      string
	// AppURL is where links point; nil-safe func so it can be known only
	// once the server listens.
	AppURL      string
	RetryBase   time.Duration // first retry delay (default 5 s), doubled per attempt
	RetryMax    time.Duration // longest retry delay (default 10 min)
	Poll        time.Duration // how often to look for due messages (default 5 s)
	SendTimeout time.Duration // one SMTP conversation (default 30 s)
	Lease       time.Duration // how long a claim holds (default SendTimeout + 30 s)
	Keep        time.Duration // sent and failed rows are deleted after this (default 72 h)
	Batch       int           // messages claimed at once (default 10)
	// Wake, when signalled, makes the sender look at once (a message was
	// just stored by this process).
	Wake    <-chan struct{}
	Logger  *slog.Logger
	Metrics Metrics
	Now     func() time.Time
}

// Sender delivers the outbox. Run it once per process.
type Sender struct {
	o     Options
	owner string
	log   *slog.Logger

	mu        sync.Mutex
	lastSweep time.Time
}

// NewSender returns a Sender with o's defaults filled in.
func NewSender(o Options) *Sender {
	if o.RetryBase <= 0 {
		o.RetryBase = 5 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 10 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 30 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = o.SendTimeout + 30*time.Second
	}
	if o.Keep <= 0 {
		o.Keep = 72 * time.Hour
	}
	if o.Batch <= 0 {
		o.Batch = 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Sender{o: o, owner: hex.EncodeToString(b), log: o.Logger}
}

func (s *Sender) now() time.Time { return s.o.Now().UTC() }

// Run sends due messages until ctx ends. A send in flight when ctx ends is
// finished (within SendTimeout); messages claimed but not yet started are
// released for any instance to take at once. Run returns when it has
// stopped.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()
	for {
		if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("mail outbox", slog.String("error", err.Error()))
		}
		s.maybeSweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.o.Wake:
		}
	}
}

// Drain sends every message that is due now, batch by batch, and returns
// how many it sent. It stops early when ctx ends.
func (s *Sender) Drain(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		ids, err := s.claim(ctx)
		if err != nil {
			return sent, err
		}
		if len(ids) == 0 {
			return sent, nil
		}
		for i, id := range ids {
			if ctx.Err() != nil {
				s.release(ids[i:])
				return sent, nil
			}
			ok, err := s.deliver(ctx, id)
			if err != nil {
				s.release(ids[i+1:])
				return sent, err
			}
			if ok {
				sent++
			}
		}
	}
	return sent, nil
}

// due matches messages that may be claimed at now.
func due(now time.Time) []predicate.OutboxMessage {
	return []predicate.OutboxMessage{
		outboxmessage.SentAtIsNil(), outboxmessage.FailedAtIsNil(),
		outboxmessage.NextAttemptAtLTE(now),
		outboxmessage.Or(outboxmessage.LeaseUntilIsNil(), outboxmessage.LeaseUntilLT(now)),
	}
}

// claim leases up to Batch due messages to this sender. On PostgreSQL the
// candidates are locked with FOR UPDATE SKIP LOCKED, so concurrent senders
// take disjoint rows without waiting; on SQLite, which has no row locks,
// each row is claimed by a conditional UPDATE that only one writer can win.
func (s *Sender) claim(ctx context.Context) ([]int, error) {
	now := s.now()
	until := now.Add(s.o.Lease)
	if s.o.Dialect == dialect.Postgres {
		tx, err := s.o.Client.Tx(ctx)
		if err != nil {
			return nil, err
		}
		ids, err := tx.OutboxMessage.Query().Where(due(now)...).
			Order(ent.Asc(outboxmessage.FieldID)).Limit(s.o.Batch).
			ForUpdate(sql.WithLockAction(sql.SkipLocked)).
			IDs(ctx)
		if err == nil && len(ids) > 0 {
			err = tx.OutboxMessage.Update().Where(outboxmessage.IDIn(ids...)).
				SetLeaseOwner(s.owner).SetLeaseUntil(until).Exec(ctx)
		}
		if err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		return ids, tx.Commit()
	}
	cands, err := s.o.Client.OutboxMessage.Query().Where(due(now)...).
		Order(ent.Asc(outboxmessage.FieldID)).Limit(s.o.Batch).IDs(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, id := range cands {
		n, err := s.o.Client.OutboxMessage.Update().
			Where(append(due(now), outboxmessage.ID(id))...).
			SetLeaseOwner(s.owner).SetLeaseUntil(until).Save(ctx)
		if err != nil {
			s.release(ids)
			return nil, err
		}
		if n == 1 {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// mine matches message id while this sender holds its claim.
func (s *Sender) mine(id int) []predicate.OutboxMessage {
	return []predicate.OutboxMessage{outboxmessage.ID(id), outboxmessage.LeaseOwner(s.owner), outboxmessage.SentAtIsNil()}
}

// release gives up claims not yet worked on.
func (s *Sender) release(ids []int) {
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.o.Client.OutboxMessage.Update().
		Where(outboxmessage.IDIn(ids...), outboxmessage.LeaseOwner(s.owner), outboxmessage.SentAtIsNil()).
		ClearLeaseOwner().ClearLeaseUntil().Exec(ctx)
	if err != nil {
		s.log.Warn("mail outbox: releasing claims", slog.String("error", err.Error()))
	}
}

// deliver sends one claimed message and records the outcome. The send runs
// to its end even when ctx is cancelled (graceful shutdown), bounded by
// SendTimeout; a crash mid-send leaves the lease to run out and the message
// to be retried.
func (s *Sender) deliver(ctx context.Context, id int) (bool, error) {
	m, err := s.o.Client.OutboxMessage.Query().Where(s.mine(id)...).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil // the lease ran out and another sender took it
	}
	if err != nil {
		return false, err
	}
	now := s.now()
	if !now.Before(m.ExpiresAt) {
		return false, s.giveUp(m, "expired before it could be sent")
	}
	if m.Payload == nil {
		return false, s.giveUp(m, "no token")
	}
	var sendErr error
	token, err := s.o.Opener.Open(*m.Payload)
	if err != nil {
		// Sealed under keys this instance does not hold: another instance
		// (mid-rotation) may, so retry until the message expires, when it
		// is given up (SECRET_KEY or JWT_KEYS changed for good).
		sendErr = errors.New("the token cannot be opened with this instance's keys (SECRET_KEY or JWT_KEYS changed?)")
	} else {
		msg, err := Render(m.Kind, s.o.AppURL, m.ToEmail, m.ToName, string(token), m.ExpiresAt.Sub(m.CreatedAt))
		if err != nil {
			return false, s.giveUp(m, err.Error())
		}
		msg.ID = fmt.Sprintf("<outbox-%d-%d@%s>", m.ID, m.CreatedAt.Unix(), domainOf(s.o.From))
		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.SendTimeout)
		sendErr = s.o.Transport.Send(sendCtx, s.o.From, msg)
		cancel()
	}
	err = sendErr
	// Record the outcome even if ctx ended meanwhile.
	rec, cancelRec := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelRec()
	if err != nil {
		if s.o.Metrics != nil {
			s.o.Metrics.MailFailed(m.Kind)
		}
		attempts := m.Attempts + 1
		next := s.now().Add(s.backoff(attempts))
		s.log.Warn("mail not sent, will retry", slog.String("event", "mail_retry"),
			slog.Int("outbox_id", m.ID), slog.String("kind", m.Kind), slog.Int("attempts", attempts),
			slog.Time("next_attempt", next), slog.String("error", err.Error()))
		uerr := s.o.Client.OutboxMessage.Update().Where(s.mine(id)...).
			SetAttempts(attempts).SetNextAttemptAt(next).SetLastError(truncate(err.Error(), 1000)).
			ClearLeaseOwner().ClearLeaseUntil().Exec(rec)
		return false, uerr
	}
	if err := s.o.Client.OutboxMessage.Update().Where(s.mine(id)...).
		SetSentAt(s.now()).SetAttempts(m.Attempts + 1).ClearPayload().ClearLastError().
		ClearLeaseOwner().ClearLeaseUntil().Exec(rec); err != nil {
		return true, err
	}
	if s.o.Metrics != nil {
		s.o.Metrics.MailSent(m.Kind)
	}
	s.log.Info("mail sent", slog.String("event", "mail_sent"), slog.Int("outbox_id", m.ID), slog.String("kind", m.Kind))
	return true, nil
}

// giveUp marks a message that will never be sent, and clears its token.
func (s *Sender) giveUp(m *ent.OutboxMessage, why string) error {
	s.log.Warn("mail dropped", slog.String("event", "mail_dropped"), slog.Int("outbox_id", m.ID),
		slog.String("kind", m.Kind), slog.String("reason", why))
	if s.o.Metrics != nil {
		s.o.Metrics.MailFailed(m.Kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.o.Client.OutboxMessage.Update().Where(s.mine(m.ID)...).
		SetFailedAt(s.now()).SetLastError(truncate(why, 1000)).ClearPayload().
		ClearLeaseOwner().ClearLeaseUntil().Exec(ctx)
}

// backoff is RetryBase·2^(attempts-1), at most RetryMax.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.o.RetryBase
	for i := 1; i < attempts && d < s.o.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.o.RetryMax)
}

// maybeSweep deletes, at most once a minute, rows sent or given up longer
// than Keep ago.
func (s *Sender) maybeSweep(ctx context.Context) {
	s.mu.Lock()
	if s.now().Sub(s.lastSweep) < time.Minute {
		s.mu.Unlock()
		return
	}
	s.lastSweep = s.now()
	s.mu.Unlock()
	if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("mail outbox: sweeping", slog.String("error", err.Error()))
	}
}

// Sweep deletes rows sent or given up more than Keep ago, unsent rows
// whose token has expired more than Keep ago (never claimed because no
// sender ran), and decoys at once.
func (s *Sender) Sweep(ctx context.Context) (int, error) {
	cut := s.now().Add(-s.o.Keep)
	return s.o.Client.OutboxMessage.Delete().Where(outboxmessage.Or(
		outboxmessage.SentAtLT(cut), outboxmessage.FailedAtLT(cut),
		// The decoys forgotPassword writes for unknown emails.
		outboxmessage.And(outboxmessage.ToEmail(""), outboxmessage.FailedAtNotNil()),
		outboxmessage.And(outboxmessage.SentAtIsNil(), outboxmessage.ExpiresAtLT(cut)),
	)).Exec(ctx)
}

// Stats are the outbox figures for metrics: messages waiting (not sent, not
// given up) and the age of the oldest of them.
func (s *Sender) Stats(ctx context.Context) (queued int, oldest time.Duration, err error) {
	return OutboxStats(ctx, s.o.Client, s.now())
}

// OutboxStats is Sender.Stats without a Sender.
func OutboxStats(ctx context.Context, client *ent.Client, now time.Time) (queued int, oldest time.Duration, err error) {
	q := client.OutboxMessage.Query().Where(outboxmessage.SentAtIsNil(), outboxmessage.FailedAtIsNil())
	queued, err = q.Clone().Count(ctx)
	if err != nil || queued == 0 {
		return queued, 0, err
	}
	first, err := q.Order(ent.Asc(outboxmessage.FieldCreatedAt)).First(ctx)
	if err != nil {
		return queued, 0, err
	}
	return queued, now.Sub(first.CreatedAt), nil
}

func domainOf(from string) string {
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		d := strings.TrimRight(from[at+1:], ">")
		if d != "" {
			return d
		}
	}
	return "localhost"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
