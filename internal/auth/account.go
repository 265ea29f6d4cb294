package auth

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	"gqlauth/ent"
	"gqlauth/ent/user"
)

// RegisterInput is what a new user gives.
type RegisterInput struct {
	Name     string
	Email    string
	Password string
}

// Register creates a USER account and signs it in, opening a session.
// Errors: VALIDATION_ERROR, CONFLICT (email taken, case-insensitively),
// RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE.
func (s *Service) Register(ctx context.Context, in RegisterInput) (*TokenPair, error) {
	name := strings.TrimSpace(in.Name)
	email := NormalizeEmail(in.Email)
	p := Problems{}
	checkName(p, name)
	checkEmail(p, "email", email)
	checkNewPassword(p, "password", in.Password, email, name)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := s.hit(ctx, s.limits.RegisterIP, "register-ip:"+clientAddr(ctx)); err != nil {
		return nil, err
	}
	// A cheap look first spares a hash for the common duplicate; the unique
	// index still decides races.
	taken, err := s.db.User.Query().Where(user.Email(email)).Exist(ctx)
	if err != nil {
		return nil, s.storeErr(err)
	}
	if taken {
		return nil, Errorf(CodeConflict, MsgEmailTaken)
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, s.hashErr(err)
	}
	now := s.now()
	// The user and its first session commit together: a failure leaves no
	// account behind that a retry would find taken.
	var pair *TokenPair
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		u, err := tx.User.Create().
			SetName(name).SetEmail(email).SetPasswordHash(hash).
			SetRole(user.RoleUSER).SetIsActive(true).
			SetCreatedAt(now).SetUpdatedAt(now).
			Save(ctx)
		if ent.IsConstraintError(err) {
			return Errorf(CodeConflict, MsgEmailTaken)
		}
		if err != nil {
			return err
		}
		pair, err = s.openSessionWith(ctx, tx.Session, u)
		if err != nil {
			return err
		}
		// The verification message commits with the account (§9).
		return s.issue(ctx, tx, u, MailVerify, now)
	})
	if err != nil {
		return nil, s.storeErr(err)
	}
	s.notify()
	s.event(ctx, "user_registered", slog.Int("user_id", pair.User.ID))
	return pair, nil
}

// Login checks credentials and opens a session. Unknown emails and wrong
// passwords get the same error after the same work.
// Errors: VALIDATION_ERROR, UNAUTHORIZED, FORBIDDEN (inactive user),
// RATE_LIMIT_EXCEEDED (checked before any hashing), SERVICE_UNAVAILABLE.
func (s *Service) Login(ctx context.Context, email, password string) (*TokenPair, error) {
	email = NormalizeEmail(email)
	p := Problems{}
	checkEmail(p, "email", email)
	checkPasswordLength(p, "password", password)
	if err := p.Err(); err != nil {
		return nil, err
	}
	ip := ClientFrom(ctx).IP
	addr := clientAddr(ctx)
	if err := s.hit(ctx, s.limits.LoginIP, "login-ip:"+addr); err != nil {
		s.metrics.Login("rate_limited")
		return nil, err
	}
	if err := s.check(ctx, s.limits.LoginIPFails, "login-ip-fail:"+addr); err != nil {
		s.metrics.Login("rate_limited")
		return nil, err
	}
	failKey, err := s.failKey(ctx, email, addr)
	if err != nil {
		return nil, err
	}
	// Every attempt counts against the email from this address, and against
	// the email from anywhere, before the password is checked, and a
	// success resets both: so they count consecutive failures, and
	// concurrent guesses cannot all slip past a stale count. An attempt
	// whose password is not checked after all (refused by a limit, or for
	// capacity, or by a failing store) gives its counts back.
	var tickets []ticket
	checked := false
	defer func() {
		if !checked {
			s.giveBack(ctx, &tickets)
		}
	}()
	if err := s.take(ctx, &tickets, s.limits.LoginFailures, failKey); err != nil {
		s.metrics.Login("rate_limited")
		return nil, err
	}
	if err := s.take(ctx, &tickets, s.limits.Lockout, "login-lock:"+email); err != nil {
		s.metrics.Login("rate_limited")
		return nil, err
	}

	if s.hasher.Saturated() {
		// Shed before the lookup: under a login storm a refusal costs little.
		return nil, s.hashErr(errHashBusy)
	}
	u, err := s.db.User.Query().Where(user.Email(email)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, s.storeErr(err)
	}
	stored := ""
	if u != nil {
		stored = u.PasswordHash
	}
	ok, rehash, err := s.hasher.Verify(ctx, password, stored)
	if err != nil {
		return nil, s.hashErr(err)
	}
	checked = true
	if !ok {
		s.record(ctx, s.limits.LoginIPFails, "login-ip-fail:"+addr)
		s.metrics.Login("failure")
		attrs := []slog.Attr{slog.String("ip", ip)}
		if u != nil {
			attrs = append(attrs, slog.Int("user_id", u.ID))
		}
		s.event(ctx, "login_failed", attrs...)
		return nil, Errorf(CodeUnauthorized, MsgIncorrectLogin)
	}
	if !u.IsActive {
		s.metrics.Login("inactive")
		return nil, Errorf(CodeForbidden, MsgInactiveUser)
	}
	s.reset(ctx, s.limits.LoginFailures, failKey)
	s.reset(ctx, s.limits.Lockout, "login-lock:"+email)
	if rehash {
		s.upgradeHash(ctx, u, password)
	}
	s.metrics.Login("success")
	pair, err := s.openSession(ctx, u)
	if err != nil {
		return nil, s.storeErr(err)
	}
	return pair, nil
}

// upgradeHash replaces a legacy or weaker hash after a successful login. It
// is best effort: the login succeeds whether or not the upgrade does.
func (s *Service) upgradeHash(ctx context.Context, u *ent.User, password string) {
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		s.log.WarnContext(ctx, "password rehash skipped", slog.String("error", err.Error()))
		return
	}
	// Only if nobody changed the password meanwhile.
	_, err = s.db.User.Update().
		Where(user.ID(u.ID), user.PasswordHash(u.PasswordHash)).
		SetPasswordHash(hash).
		Save(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "password rehash failed", slog.String("error", err.Error()))
	}
}

// ChangePassword sets a new password for the caller and revokes every other
// session of theirs; the caller's session stays valid.
// Errors: VALIDATION_ERROR (policy, or equal to the current one),
// BAD_REQUEST (wrong current password), RATE_LIMIT_EXCEEDED.
func (s *Service) ChangePassword(ctx context.Context, pr *Principal, current, newPassword string) error {
	p := Problems{}
	if current == "" {
		p.Add("currentPassword", msgRequired)
	}
	checkNewPassword(p, "newPassword", newPassword, pr.User.Email, pr.User.Name)
	if current != "" && newPassword == current {
		p.Add("newPassword", "New password must differ from the current one")
	}
	if err := p.Err(); err != nil {
		return err
	}
	// Each attempt costs hashes: it counts per address and per user, and
	// (until the current password is right) as a wrong guess, unless it
	// ends before the current password is checked (see login).
	uid := strconv.Itoa(pr.User.ID)
	key := "password-check:" + uid
	var tickets []ticket
	checked := false
	defer func() {
		if !checked {
			s.giveBack(ctx, &tickets)
		}
	}()
	if err := s.take(ctx, &tickets, s.limits.PasswordIP, "password-ip:"+clientAddr(ctx)); err != nil {
		return err
	}
	if err := s.take(ctx, &tickets, s.limits.PasswordUser, "password-user:"+uid); err != nil {
		return err
	}
	if err := s.take(ctx, &tickets, s.limits.PasswordCheck, key); err != nil {
		return err
	}
	u, err := s.db.User.Get(ctx, pr.User.ID)
	if err != nil {
		return s.storeErr(err)
	}
	ok, _, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return s.hashErr(err)
	}
	checked = true
	if !ok {
		return Errorf(CodeBadRequest, MsgWrongPassword)
	}
	s.reset(ctx, s.limits.PasswordCheck, key)
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return s.hashErr(err)
	}
	now := s.now()
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.User.Update().
			Where(user.ID(u.ID), user.PasswordHash(u.PasswordHash)).
			SetPasswordHash(hash).SetUpdatedAt(now).
			Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			// Changed concurrently: the current password we checked is stale.
			return Errorf(CodeBadRequest, MsgWrongPassword)
		}
		if _, err = s.revokeWhere(ctx, tx.Session, u.ID, pr.SessionID, ScopeOthers, now); err != nil {
			return err
		}
		// Outstanding reset tokens die with the old password (§9).
		return s.dropResetTokens(ctx, tx, u.ID, 0)
	})
	if err != nil {
		return s.storeErr(err)
	}
	s.event(ctx, "password_changed", slog.Int("user_id", u.ID))
	return nil
}

// CreateAdmin creates an ADMIN account. It never changes an existing user:
// someone else may have registered the address first (PromoteAdmin is the
// explicit way). It returns the user and true.
// Errors: CONFLICT (the email exists, checked before the name and
// password), VALIDATION_ERROR.
func (s *Service) CreateAdmin(ctx context.Context, email, name, password string) (*User, bool, error) {
	email = NormalizeEmail(email)
	name = strings.TrimSpace(name)
	p := Problems{}
	checkEmail(p, "email", email)
	if err := p.Err(); err != nil {
		return nil, false, err
	}
	now := s.now()
	exists, err := s.db.User.Query().Where(user.Email(email)).Exist(ctx)
	if err != nil {
		return nil, false, s.storeErr(err)
	}
	if exists {
		return nil, false, Errorf(CodeConflict, MsgEmailTaken)
	}
	checkName(p, name)
	checkNewPassword(p, "password", password, email, name)
	if err := p.Err(); err != nil {
		return nil, false, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, false, s.hashErr(err)
	}
	u, err := s.db.User.Create().
		SetName(name).SetEmail(email).SetPasswordHash(hash).
		SetRole(user.RoleADMIN).SetIsActive(true).
		SetCreatedAt(now).SetUpdatedAt(now).
		Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, false, Errorf(CodeConflict, MsgEmailTaken) // registered meanwhile
	}
	if err != nil {
		return nil, false, s.storeErr(err)
	}
	return userOf(u), true, nil
}

// Users lists accounts by id. limit is 1–100, offset ≥ 0.
// Errors: VALIDATION_ERROR.
func (s *Service) Users(ctx context.Context, limit, offset int) ([]*User, error) {
	p := Problems{}
	if limit < 1 || limit > 100 {
		p.Add("limit", "Must be between 1 and 100")
	}
	if offset < 0 {
		p.Add("offset", "Must not be negative")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	rows, err := s.db.User.Query().Order(ent.Asc(user.FieldID)).Limit(limit).Offset(offset).All(ctx)
	if err != nil {
		return nil, s.storeErr(err)
	}
	out := make([]*User, len(rows))
	for i, u := range rows {
		out[i] = userOf(u)
	}
	return out, nil
}

// SetUserActive activates or deactivates a user. Deactivation revokes all of
// the user's sessions, so reactivating does not bring old tokens back.
// Errors: NOT_FOUND, BAD_REQUEST (deactivating oneself).
func (s *Service) SetUserActive(ctx context.Context, pr *Principal, id string, active bool) (*User, error) {
	uid, err := strconv.Atoi(id)
	if err != nil || uid <= 0 {
		return nil, Errorf(CodeNotFound, "User not found")
	}
	if uid == pr.User.ID && !active {
		return nil, Errorf(CodeBadRequest, "You cannot deactivate your own account")
	}
	now := s.now()
	var out *ent.User
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		u, err := tx.User.UpdateOneID(uid).SetIsActive(active).SetUpdatedAt(now).Save(ctx)
		if ent.IsNotFound(err) {
			return Errorf(CodeNotFound, "User not found")
		}
		if err != nil {
			return err
		}
		out = u
		if !active {
			_, err = s.revokeWhere(ctx, tx.Session, uid, "", ScopeGlobal, now)
		}
		return err
	})
	if err != nil {
		return nil, s.storeErr(err)
	}
	s.event(ctx, "user_active_changed", slog.Int("user_id", uid), slog.Bool("active", active), slog.Int("by", pr.User.ID))
	return userOf(out), nil
}

// withTx runs fn in a transaction, committing when it returns nil.
func (s *Service) withTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	tx, err := s.db.Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
