package app

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"gqlauth/internal/auth"
	"gqlauth/internal/config"
	"gqlauth/internal/mail"
)

// prepareMail builds what the auth service needs to store messages: the
// token box and the wake channel. The box's keys come from SECRET_KEY or,
// without it (asymmetric signing on PostgreSQL needs only JWT_KEYS), from
// the JWT_KEYS private keys, so every instance opens what another sealed.
// Then the last key of the set seals: during a rotation ([A] → [B, A] →
// [B]) it is the key that both old and new instances hold longest.
func (d *deps) prepareMail() error {
	secrets := [][]byte{d.cfg.SecretKey}
	if len(d.cfg.SecretKey) == 0 && d.keys != nil {
		material, err := d.keys.PrivateMaterial()
		if err != nil {
			return err
		}
		slices.Reverse(material)
		secrets = material
	}
	box, err := auth.NewTokenBox(secrets...)
	if err != nil {
		return err
	}
	d.box, d.wake = box, make(chan struct{}, 1)
	return nil
}

func (d *deps) mailOptions() auth.MailOptions {
	m := d.cfg.Mail
	return auth.MailOptions{
		Sealer:          d.box,
		ResetTTL:        m.ResetTTL,
		VerifyTTL:       m.VerifyTTL,
		RequireVerified: m.RequireVerified,
		Notify: func() {
			select {
			case d.wake <- struct{}{}:
			default:
			}
		},
		EmailRule: auth.Rule{Limit: m.EmailLimit, Window: m.EmailWindow},
		IPRule:    auth.Rule{Limit: m.IPLimit, Window: m.IPWindow},
		TokenIP:   auth.Rule{Limit: m.TokenIPLimit, Window: m.TokenIPWindow},
		ResetUser: auth.Rule{Limit: m.ResetUserLimit, Window: m.ResetUserWindow},
	}
}

// startMail starts the outbox sender; selfURL is the server's own address,
// the default APP_URL. The returned function stops it, letting a send in
// flight finish, and waits until ctx ends at the latest.
func (d *deps) startMail(ctx context.Context, selfURL string) (stop func(context.Context), err error) {
	m := d.cfg.Mail
	var transport mail.Transport
	if m.SMTPURL == "" {
		d.log.Warn("SMTP_URL is not set: email is not sent; each message, with its link, is written to this log instead (development mode)")
		transport = mail.LogTransport{Log: d.log}
	} else {
		u, _ := config.ParseSMTPURL(m.SMTPURL) // validated by config.Load
		t, err := mail.NewSMTPTransport(u, m.SendTimeout, nil)
		if err != nil {
			return nil, err
		}
		transport = t
	}
	appURL := m.AppURL
	if appURL == "" {
		appURL = selfURL
	}
	sender := mail.NewSender(mail.Options{
		Client: d.db.Client, Dialect: d.db.Dialect,
		Transport: transport, Opener: d.box,
		From: m.From, AppURL: appURL,
		RetryBase: m.RetryBase, RetryMax: m.RetryMax, Poll: m.Poll,
		SendTimeout: m.SendTimeout, Keep: m.Keep,
		Wake: d.wake, Logger: d.log,
		Metrics: d.metrics.WatchMail(func(ctx context.Context) (int, time.Duration, error) {
			return mail.OutboxStats(ctx, d.db.Client, time.Now())
		}),
	})
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		sender.Run(runCtx)
	}()
	go d.purgeMailTokens(runCtx)
	return func(wait context.Context) {
		cancel()
		select {
		case <-done:
		case <-wait.Done():
			d.log.Warn("mail sender still sending at shutdown; its message will be retried", slog.String("event", "mail_shutdown"))
		}
	}, nil
}

// purgeMailTokens deletes spent and expired emailed tokens every ten minutes.
func (d *deps) purgeMailTokens(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.svc.PurgeMailTokens(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("purging emailed tokens", slog.String("error", err.Error()))
			}
		}
	}
}
