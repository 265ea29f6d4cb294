package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"strconv"
	"time"

	"gqlauth/ent"
	"gqlauth/ent/accounttoken"
	"gqlauth/ent/user"
)

// Messages of the email flows (contract §9).
const (
	MsgInvalidToken     = "Invalid or expired token"
	MsgEmailNotVerified = "Email not verified"
)

// Mail kinds: the outbox row's kind names the template the sender renders.
const (
	MailVerify = "verify"
	MailReset  = "reset"
)

// Default token lifetimes (contract §9).
const (
	DefaultResetTTL  = 30 * time.Minute
	DefaultVerifyTTL = 24 * time.Hour
)

// emailTokenBytes is the entropy of an emailed token; base64url makes it 43
// characters of A–Z a–z 0–9 - _.
const emailTokenBytes = 32

// Sealer encrypts an emailed token for the outbox row that carries it, so
// that the database never holds a usable token in clear.
type Sealer interface {
	Seal(plain []byte) ([]byte, error)
}

// MailOptions configure the email flows: verification and password reset.
type MailOptions struct {
	// Sealer seals the token in the outbox row. Required for the flows.
	Sealer Sealer
	// ResetTTL and VerifyTTL are the token lifetimes (defaults 30 min, 24 h).
	ResetTTL  time.Duration
	VerifyTTL time.Duration
	// RequireVerified refuses most authenticated operations until the
	// email is verified (REQUIRE_EMAIL_VERIFICATION).
	RequireVerified bool
	// Notify wakes the outbox sender after a message is stored (optional).
	Notify func()
	// Rate limits.
	EmailRule Rule // messages asked for, per email and kind
	IPRule    Rule // forgot-password and resend-verification requests per client address
	TokenIP   Rule // reset-password and verify-email attempts per client address
	ResetUser Rule // reset-password attempts per user (each costs a hash)
}

func (o *MailOptions) defaults() {
	if o.ResetTTL <= 0 {
		o.ResetTTL = DefaultResetTTL
	}
	if o.VerifyTTL <= 0 {
		o.VerifyTTL = DefaultVerifyTTL
	}
}

// newEmailToken returns a fresh emailed token and the hash that is stored.
func (s *Service) newEmailToken() (token, hash string, err error) {
	b := make([]byte, emailTokenBytes)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashEmailToken(token), nil
}

// HashEmailToken is what is stored of an emailed token: base64url(SHA-256).
func HashEmailToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// isEmailToken reports whether t has the shape of the tokens newEmailToken
// makes; anything else is refused without a query.
func isEmailToken(t string) bool {
	if len(t) != base64.RawURLEncoding.EncodedLen(emailTokenBytes) {
		return false
	}
	return isSessionID(t) // same alphabet
}

// issue replaces the user's tokens of kind with a new one and stores the
// message that carries it, in tx: older tokens of the kind stop working.
func (s *Service) issue(ctx context.Context, tx *ent.Tx, u *ent.User, kind string, now time.Time) error {
	token, hash, err := s.newEmailToken()
	if err != nil {
		return err
	}
	ttl := s.mail.VerifyTTL
	if kind == MailReset {
		ttl = s.mail.ResetTTL
	}
	sealed, err := s.mail.Sealer.Seal([]byte(token))
	if err != nil {
		return err
	}
	if _, err := tx.AccountToken.Delete().
		Where(accounttoken.UserID(u.ID), accounttoken.KindEQ(accounttoken.Kind(kind))).
		Exec(ctx); err != nil {
		return err
	}
	if err := tx.AccountToken.Create().
		SetUserID(u.ID).SetKind(accounttoken.Kind(kind)).SetTokenHash(hash).
		SetCreatedAt(now).SetExpiresAt(now.Add(ttl)).
		Exec(ctx); err != nil {
		return err
	}
	return tx.OutboxMessage.Create().
		SetKind(kind).SetToEmail(u.Email).SetToName(u.Name).SetPayload(sealed).
		SetCreatedAt(now).SetExpiresAt(now.Add(ttl)).SetNextAttemptAt(now).
		Exec(ctx)
}

// decoy does the work of issue for an email that gets no message (unknown
// or inactive), so that forgotPassword takes the same time either way: the
// same statements in a committed transaction, writing rows that can never
// match (user 0, already used) or be sent (already failed).
func (s *Service) decoy(ctx context.Context, tx *ent.Tx, kind string, now time.Time) error {
	_, hash, err := s.newEmailToken()
	if err != nil {
		return err
	}
	if _, err := s.mail.Sealer.Seal(make([]byte, 43)); err != nil {
		return err
	}
	if _, err := tx.AccountToken.Delete().
		Where(accounttoken.UserID(0), accounttoken.KindEQ(accounttoken.Kind(kind)), accounttoken.ExpiresAtLT(now)).
		Exec(ctx); err != nil {
		return err
	}
	if err := tx.AccountToken.Create().
		SetUserID(0).SetKind(accounttoken.Kind(kind)).SetTokenHash(hash).
		SetCreatedAt(now).SetExpiresAt(now).SetUsedAt(now).
		Exec(ctx); err != nil {
		return err
	}
	return tx.OutboxMessage.Create().
		SetKind(kind).SetToEmail("").SetCreatedAt(now).SetExpiresAt(now).
		SetNextAttemptAt(now).SetFailedAt(now).
		Exec(ctx)
}

func (s *Service) notify() {
	if s.mail.Notify != nil {
		s.mail.Notify()
	}
}

// ForgotPassword starts a password reset: an active registered user is
// emailed a reset link. Every well-formed email gets the same answer (nil)
// after the same work, whether registered or not.
// Errors: VALIDATION_ERROR (malformed email), RATE_LIMIT_EXCEEDED (per email
// and per client address, alike for every email), SERVICE_UNAVAILABLE.
func (s *Service) ForgotPassword(ctx context.Context, rawEmail string) error {
	email := NormalizeEmail(rawEmail)
	p := Problems{}
	checkEmail(p, "email", email)
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.hit(ctx, s.mail.IPRule, "mail-ip:"+clientAddr(ctx)); err != nil {
		return err
	}
	if err := s.hit(ctx, s.mail.EmailRule, "mail-reset:"+email); err != nil {
		return err
	}
	u, err := s.db.User.Query().Where(user.Email(email)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return s.storeErr(err)
	}
	now := s.now()
	send := u != nil && u.IsActive
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		if send {
			return s.issue(ctx, tx, u, MailReset, now)
		}
		return s.decoy(ctx, tx, MailReset, now)
	})
	if err != nil {
		return s.storeErr(err)
	}
	if send {
		s.event(ctx, "password_reset_requested", slog.Int("user_id", u.ID))
		s.notify()
	}
	return nil
}

// ResetPassword sets a new password with an emailed reset token, signs out
// every session of the user, marks the email verified and ends any login
// lockout of the email. The token is spent; so is every other reset token.
// Errors: VALIDATION_ERROR (token missing, or the new password breaks the
// policy, under newPassword), BAD_REQUEST (unknown, expired or used token),
// FORBIDDEN (inactive user), RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	p := Problems{}
	if token == "" {
		p.Add("token", msgRequired)
	}
	// The rules that need no account first (length, common passwords), so
	// that input bad on its face is a 422 whatever the token; the rules
	// about this user's email, name and current password once it is known.
	checkNewPassword(p, "newPassword", newPassword, "", "")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.hit(ctx, s.mail.TokenIP, "token-ip:"+clientAddr(ctx)); err != nil {
		return err
	}
	now := s.now()
	tok, u, err := s.findToken(ctx, token, MailReset, now)
	if err != nil {
		return err
	}
	checkNewPassword(p, "newPassword", newPassword, u.Email, u.Name)
	if err := p.Err(); err != nil {
		return err
	}
	// What follows costs hashes: the attempt counts per address and per
	// user as a password change does, unless it ends before the first hash.
	uid := strconv.Itoa(u.ID)
	key := "reset-user:" + uid
	var tickets []ticket
	checked := false
	defer func() {
		if !checked {
			s.giveBack(ctx, &tickets)
		}
	}()
	for _, l := range []struct {
		rule Rule
		key  string
	}{
		{s.limits.PasswordIP, "password-ip:" + clientAddr(ctx)},
		{s.limits.PasswordUser, "password-user:" + uid},
		{s.mail.ResetUser, key},
	} {
		if err := s.take(ctx, &tickets, l.rule, l.key); err != nil {
			return err
		}
	}
	same, _, err := s.hasher.Verify(ctx, newPassword, u.PasswordHash)
	if err != nil {
		return s.hashErr(err)
	}
	checked = true
	if same {
		p.Add("newPassword", "New password must differ from the current one")
		return p.Err()
	}
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return s.hashErr(err)
	}
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.AccountToken.Update().
			Where(accounttoken.ID(tok.ID), accounttoken.UsedAtIsNil(), accounttoken.ExpiresAtGT(now)).
			SetUsedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return Errorf(CodeBadRequest, MsgInvalidToken) // spent concurrently
		}
		if err := tx.User.UpdateOneID(u.ID).
			SetPasswordHash(hash).SetEmailVerified(true).SetUpdatedAt(now).
			Exec(ctx); err != nil {
			return err
		}
		if err := s.dropResetTokens(ctx, tx, u.ID, tok.ID); err != nil {
			return err
		}
		_, err = s.revokeWhere(ctx, tx.Session, u.ID, "", ScopeGlobal, now)
		return err
	})
	if err != nil {
		return s.storeErr(err)
	}
	s.reset(ctx, s.mail.ResetUser, key)
	s.endLockout(ctx, u.Email)
	s.event(ctx, "password_reset", slog.Int("user_id", u.ID))
	return nil
}

// findToken returns the live token of kind and its user. A token of the
// wrong shape, unknown, of another kind, expired or used is BAD_REQUEST; an
// inactive user's token is FORBIDDEN.
func (s *Service) findToken(ctx context.Context, token, kind string, now time.Time) (*ent.AccountToken, *ent.User, error) {
	if !isEmailToken(token) {
		return nil, nil, Errorf(CodeBadRequest, MsgInvalidToken)
	}
	tok, err := s.db.AccountToken.Query().
		Where(accounttoken.TokenHash(HashEmailToken(token)), accounttoken.KindEQ(accounttoken.Kind(kind)),
			accounttoken.UsedAtIsNil(), accounttoken.ExpiresAtGT(now), accounttoken.UserIDGT(0)).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, Errorf(CodeBadRequest, MsgInvalidToken)
	}
	if err != nil {
		return nil, nil, s.storeErr(err)
	}
	u, err := s.db.User.Get(ctx, tok.UserID)
	if ent.IsNotFound(err) {
		return nil, nil, Errorf(CodeBadRequest, MsgInvalidToken)
	}
	if err != nil {
		return nil, nil, s.storeErr(err)
	}
	if !u.IsActive {
		return nil, nil, Errorf(CodeForbidden, MsgInactiveUser)
	}
	return tok, u, nil
}

// dropResetTokens deletes the user's outstanding reset tokens (but keep, a
// token being spent in the same transaction, or 0): a password change or
// reset makes every one of them invalid.
func (s *Service) dropResetTokens(ctx context.Context, tx *ent.Tx, uid, keep int) error {
	_, err := tx.AccountToken.Delete().
		Where(accounttoken.UserID(uid), accounttoken.KindEQ(accounttoken.KindReset), accounttoken.IDNEQ(keep)).
		Exec(ctx)
	return err
}

// VerifyEmail marks the email of the token's user verified and spends the
// token. Errors: VALIDATION_ERROR (token missing), BAD_REQUEST (unknown,
// expired or used token), FORBIDDEN (inactive user), RATE_LIMIT_EXCEEDED.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	if token == "" {
		p := Problems{}
		p.Add("token", msgRequired)
		return p.Err()
	}
	if err := s.hit(ctx, s.mail.TokenIP, "token-ip:"+clientAddr(ctx)); err != nil {
		return err
	}
	now := s.now()
	tok, u, err := s.findToken(ctx, token, MailVerify, now)
	if err != nil {
		return err
	}
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.AccountToken.Update().
			Where(accounttoken.ID(tok.ID), accounttoken.UsedAtIsNil(), accounttoken.ExpiresAtGT(now)).
			SetUsedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return Errorf(CodeBadRequest, MsgInvalidToken)
		}
		return tx.User.UpdateOneID(u.ID).SetEmailVerified(true).SetUpdatedAt(now).Exec(ctx)
	})
	if err != nil {
		return s.storeErr(err)
	}
	s.event(ctx, "email_verified", slog.Int("user_id", u.ID))
	return nil
}

// ResendVerification emails the caller a new verification link, which makes
// the older ones invalid. When the email is already verified it sends
// nothing and succeeds. Errors: RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE.
func (s *Service) ResendVerification(ctx context.Context, pr *Principal) error {
	u, err := s.db.User.Get(ctx, pr.User.ID)
	if err != nil {
		return s.storeErr(err)
	}
	if u.EmailVerified {
		return nil
	}
	if err := s.hit(ctx, s.mail.IPRule, "mail-ip:"+clientAddr(ctx)); err != nil {
		return err
	}
	if err := s.hit(ctx, s.mail.EmailRule, "mail-verify:"+u.Email); err != nil {
		return err
	}
	now := s.now()
	if err := s.withTx(ctx, func(tx *ent.Tx) error { return s.issue(ctx, tx, u, MailVerify, now) }); err != nil {
		return s.storeErr(err)
	}
	s.event(ctx, "verification_resent", slog.Int("user_id", u.ID))
	s.notify()
	return nil
}

// CheckVerified refuses a caller whose email is unverified while
// REQUIRE_EMAIL_VERIFICATION is on. Transports call it for every
// authenticated operation except me, logout, verifyEmail and
// resendVerification. Errors: FORBIDDEN (Email not verified).
func (s *Service) CheckVerified(p *Principal) error {
	if s.mail.RequireVerified && !p.User.EmailVerified {
		return Errorf(CodeForbidden, MsgEmailNotVerified)
	}
	return nil
}

// PurgeMailTokens deletes tokens that can no longer be used: expired, or
// used more than a day ago. It returns how many it deleted.
func (s *Service) PurgeMailTokens(ctx context.Context) (int, error) {
	now := s.now()
	return s.db.AccountToken.Delete().
		Where(accounttoken.Or(accounttoken.ExpiresAtLT(now), accounttoken.UsedAtLT(now.Add(-24*time.Hour)))).
		Exec(ctx)
}
