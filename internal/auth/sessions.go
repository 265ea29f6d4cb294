package auth

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"gqlauth/ent"
	"gqlauth/ent/predicate"
	"gqlauth/ent/session"
	"gqlauth/ent/user"
)

// maxUserAgent bounds what is stored of a client's User-Agent.
const maxUserAgent = 256

// MaxSessions is the most active sessions one user has: opening one more
// revokes the least recently used.
const MaxSessions = 100

// SessionRetention is how long revoked and expired sessions stay in the
// database before PurgeSessions deletes them.
const SessionRetention = 7 * 24 * time.Hour

// openSession starts a session for u and returns its first token pair.
func (s *Service) openSession(ctx context.Context, u *ent.User) (*TokenPair, error) {
	var pair *TokenPair
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		// PostgreSQL: lock the user's row, so that concurrent logins of one
		// user count each other's sessions (SQLite serialises writers).
		_, err := tx.User.Query().Where(user.ID(u.ID)).Modify(func(q *sql.Selector) {
			if q.Dialect() == dialect.Postgres {
				q.ForUpdate()
			}
		}).IDs(ctx)
		if err != nil {
			return err
		}
		pair, err = s.openSessionWith(ctx, tx.Session, u)
		return err
	})
	return pair, err
}

// openSessionWith is openSession through sessions (a transaction's client,
// so that the cap on active sessions is decided with the new one).
func (s *Service) openSessionWith(ctx context.Context, sessions *ent.SessionClient, u *ent.User) (*TokenPair, error) {
	sid, err := s.newID()
	if err != nil {
		return nil, Internal(err)
	}
	jti, err := s.newID()
	if err != nil {
		return nil, Internal(err)
	}
	now := s.now()
	c := ClientFrom(ctx)
	create := sessions.Create().
		SetID(sid).SetUserID(u.ID).
		SetCreatedAt(now).SetLastUsedAt(now).
		SetExpiresAt(now.Add(s.refreshTTL)).
		SetAbsoluteExpiresAt(now.Add(s.sessionMaxAge)).
		SetRefreshJti(jti).SetRefreshIssuedAt(now)
	if c.IP != "" {
		create.SetIP(clean(c.IP, 64))
	}
	if ua := clean(c.UserAgent, maxUserAgent); ua != "" {
		create.SetUserAgent(ua)
	}
	if _, err := create.Save(ctx); err != nil {
		return nil, err
	}
	if err := s.capSessions(ctx, sessions, u.ID, now); err != nil {
		return nil, err
	}
	return s.pair(u, sid, jti, now, now.Add(s.refreshTTL))
}

// liveSessions are the sessions Sessions lists: neither revoked nor expired.
func liveSessions(uid int, now time.Time) []predicate.Session {
	return []predicate.Session{session.UserID(uid), session.RevokedAtIsNil(),
		session.AbsoluteExpiresAtGT(now), session.ExpiresAtGT(now)}
}

// capSessions revokes the user's least recently used live sessions beyond
// MaxSessions. It runs in the transaction that created the newest one, after
// that insert: the insert holds the write lock (SQLite) and concurrent
// creations for one user are serialised by the lock on the user's row
// taken first (PostgreSQL), so two logins cannot both see room.
func (s *Service) capSessions(ctx context.Context, sessions *ent.SessionClient, uid int, now time.Time) error {
	n, err := sessions.Query().Where(liveSessions(uid, now)...).Count(ctx)
	if err != nil || n <= MaxSessions {
		return err
	}
	old, err := sessions.Query().Where(liveSessions(uid, now)...).
		Order(ent.Asc(session.FieldLastUsedAt), ent.Asc(session.FieldCreatedAt), ent.Asc(session.FieldID)).
		Limit(n - MaxSessions).IDs(ctx)
	if err != nil {
		return err
	}
	if _, err := sessions.Update().Where(session.IDIn(old...)).SetRevokedAt(now).Save(ctx); err != nil {
		return err
	}
	s.event(ctx, "session_revoked", slog.Int("user_id", uid), slog.String("scope", "least_recently_used"), slog.Int("count", len(old)))
	return nil
}

// PurgeSessions deletes the sessions revoked or expired more than
// SessionRetention ago and returns how many it deleted. The janitor calls it.
func (s *Service) PurgeSessions(ctx context.Context) (int, error) {
	before := s.now().Add(-SessionRetention)
	return s.db.Session.Delete().Where(session.Or(
		session.RevokedAtLT(before),
		session.ExpiresAtLT(before),
		session.AbsoluteExpiresAtLT(before),
	)).Exec(ctx)
}

// pair signs a fresh access token and the refresh token with the given
// jti and times for session sid.
func (s *Service) pair(u *ent.User, sid, refreshJTI string, refreshIat, refreshExp time.Time) (*TokenPair, error) {
	now := s.now()
	accessJTI, err := s.newID()
	if err != nil {
		return nil, Internal(err)
	}
	access, err := s.tokens.Sign(TokenAccess, u.ID, sid, accessJTI, now, now.Add(s.accessTTL))
	if err != nil {
		return nil, Internal(err)
	}
	refresh, err := s.tokens.Sign(TokenRefresh, u.ID, sid, refreshJTI, refreshIat, refreshExp)
	if err != nil {
		return nil, Internal(err)
	}
	return &TokenPair{
		AccessToken: access, RefreshToken: refresh, TokenType: "bearer",
		ExpiresIn: int(s.accessTTL / time.Second), User: userOf(u),
	}, nil
}

// Refresh exchanges a refresh token for a new pair, rotating it. The
// rotation is one conditional UPDATE, so exactly one of several concurrent
// uses of a token wins, across instances. Presenting the token rotated just
// before, within the reuse interval, returns the session's current refresh
// token again (two tabs refreshing at once); any other presentation of a
// rotated token is reuse and revokes the session.
// Errors: UNAUTHORIZED, FORBIDDEN (inactive user), RATE_LIMIT_EXCEEDED.
func (s *Service) Refresh(ctx context.Context, raw string) (*TokenPair, error) {
	if raw == "" {
		p := Problems{}
		p.Add("refreshToken", msgRequired)
		return nil, p.Err()
	}
	if err := s.hit(ctx, s.limits.RefreshIP, "refresh-ip:"+clientAddr(ctx)); err != nil {
		return nil, err
	}
	claims, err := s.tokens.Parse(raw, TokenRefresh)
	if err != nil {
		return nil, err
	}
	uid, _ := claims.UserID()
	now := s.now()
	newJTI, err := s.newID()
	if err != nil {
		return nil, Internal(err)
	}
	c := ClientFrom(ctx)
	r := rotation{
		uid: uid, sid: claims.SessionID, oldJTI: claims.ID, newJTI: newJTI,
		now: now, expires: now.Add(s.refreshTTL), userAgent: clean(c.UserAgent, maxUserAgent),
	}
	if c.IP != "" {
		r.ip = clean(c.IP, 64)
	}
	var (
		u       *ent.User
		rotated bool
	)
	if s.dialect == dialect.Postgres {
		// One round trip (refresh_pg.go).
		var found bool
		u, rotated, found, err = s.rotateOneTrip(ctx, r)
		if err != nil {
			return nil, s.storeErr(err)
		}
		if !found {
			return nil, unauthorized(MsgInvalidCredentials)
		}
	} else {
		if u, err = s.db.User.Get(ctx, uid); ent.IsNotFound(err) {
			return nil, unauthorized(MsgInvalidCredentials)
		} else if err != nil {
			return nil, s.storeErr(err)
		}
		if u.IsActive {
			// The conditional UPDATE (built once, refresh_pg.go) in a group
			// commit shared with concurrent rotations (groupcommit.go).
			n, err := s.commits.exec(ctx, s.rotate.query, s.rotate.args(r))
			if err != nil {
				return nil, s.storeErr(err)
			}
			rotated = n == 1
		}
	}
	if !u.IsActive {
		return nil, Errorf(CodeForbidden, MsgInactiveUser)
	}
	if rotated {
		return s.pair(u, claims.SessionID, newJTI, now, r.expires)
	}
	return s.refreshLost(ctx, u, claims, now)
}

// refreshLost decides what a refresh token that did not rotate means.
func (s *Service) refreshLost(ctx context.Context, u *ent.User, claims *Claims, now time.Time) (*TokenPair, error) {
	sess, err := s.db.Session.Query().Where(session.ID(claims.SessionID), session.UserID(u.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, unauthorized(MsgInvalidCredentials)
	}
	if err != nil {
		return nil, s.storeErr(err)
	}
	switch {
	case sess.RevokedAt != nil:
		return nil, unauthorized(MsgInvalidCredentials)
	case !now.Before(sess.AbsoluteExpiresAt) || !now.Before(sess.ExpiresAt):
		return nil, unauthorized("Session expired")
	case sess.RefreshJti == claims.ID:
		// Rotated by nobody, yet the update missed: a concurrent change
		// (e.g. revocation) won. Treat as invalid rather than reuse.
		return nil, unauthorized(MsgInvalidCredentials)
	case s.reuseInterval > 0 && sess.PreviousRefreshJti != nil && *sess.PreviousRefreshJti == claims.ID &&
		sess.RotatedAt != nil && now.Sub(*sess.RotatedAt) <= s.reuseInterval:
		return s.pair(u, sess.ID, sess.RefreshJti, sess.RefreshIssuedAt.UTC(), sess.ExpiresAt.UTC())
	}
	// Reuse of a rotated token: somebody holds a copy. Revoke the session
	// so that neither the thief nor the victim keeps it.
	if _, err := s.db.Session.Update().
		Where(session.ID(sess.ID), session.RevokedAtIsNil()).
		SetRevokedAt(now).Save(ctx); err != nil {
		return nil, s.storeErr(err)
	}
	s.metrics.RefreshReuse()
	s.event(ctx, "refresh_reuse_detected", slog.Int("user_id", u.ID), slog.String("ip", ClientFrom(ctx).IP))
	s.event(ctx, "session_revoked", slog.Int("user_id", u.ID), slog.String("reason", "refresh_reuse"))
	return nil, unauthorized("Refresh token reuse detected; session revoked")
}

// Authenticate verifies an access token and returns its principal: the
// token must verify, its session be active and its user exist and be active.
// Errors: UNAUTHORIZED, FORBIDDEN (inactive user), SERVICE_UNAVAILABLE.
func (s *Service) Authenticate(ctx context.Context, raw string) (*Principal, error) {
	claims, err := s.tokens.Parse(raw, TokenAccess)
	if err != nil {
		return nil, err
	}
	uid, _ := claims.UserID()
	now := s.now()
	// One query: the user, provided the token's session is active.
	u, found, err := s.tokenCheck.run(ctx, s.db, uid, claims.SessionID, now)
	if err != nil {
		return nil, s.storeErr(err)
	}
	if !found {
		// Tell an inactive user (403) from a dead session (401).
		inactive, qerr := s.db.User.Query().Where(user.ID(uid), user.IsActive(false)).Exist(ctx)
		if qerr != nil {
			return nil, s.storeErr(qerr)
		}
		if inactive {
			return nil, Errorf(CodeForbidden, MsgInactiveUser)
		}
		return nil, unauthorized(MsgInvalidCredentials)
	}
	if !u.IsActive {
		return nil, Errorf(CodeForbidden, MsgInactiveUser)
	}
	return &Principal{User: u, SessionID: claims.SessionID}, nil
}

func activeSession(sid string, now time.Time) []predicate.Session {
	return []predicate.Session{session.ID(sid), session.RevokedAtIsNil(), session.AbsoluteExpiresAtGT(now)}
}

// userOfActiveSession matches the user who owns session sid, if it is active.
// It is user.HasSessionsWith(activeSession(…)) written as an uncorrelated
// `users.id IN (SELECT sessions.user_id FROM sessions WHERE …)`: SQLite runs
// the correlated EXISTS that HasSessionsWith builds about three times slower
// than the IN form (BenchmarkTokenCheckSQL; figures in docs/benchmarks.md),
// and this is every token check.
func userOfActiveSession(sid string, now time.Time) predicate.User {
	return func(s *sql.Selector) {
		t := sql.Table(session.Table)
		owner := sql.Select(t.C(session.FieldUserID)).From(t)
		for _, p := range activeSession(sid, now) {
			p(owner)
		}
		s.Where(sql.In(s.C(user.FieldID), owner))
	}
}

// Principal authenticates the bearer token stored in ctx by WithBearer, at
// most once per request. Errors: as Authenticate; UNAUTHORIZED without a token.
func (s *Service) Principal(ctx context.Context) (*Principal, error) {
	c, _ := ctx.Value(credentialsKey{}).(*credentials)
	if c == nil || c.token == "" {
		return nil, unauthorized(MsgInvalidCredentials)
	}
	c.once.Do(func() { c.principal, c.err = s.Authenticate(ctx, c.token) })
	return c.principal, c.err
}

// Authorize returns the caller's principal if its role allows need.
// Errors: UNAUTHORIZED, FORBIDDEN.
func (s *Service) Authorize(ctx context.Context, need Role) (*Principal, error) {
	p, err := s.Principal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.User.Role.Allows(need) {
		return nil, Errorf(CodeForbidden, MsgNotEnoughRights)
	}
	return p, nil
}

// Logout revokes the caller's sessions chosen by scope, in one statement.
// Errors: VALIDATION_ERROR (unknown scope).
func (s *Service) Logout(ctx context.Context, p *Principal, scope LogoutScope) error {
	switch scope {
	case "":
		scope = ScopeLocal
	case ScopeLocal, ScopeOthers, ScopeGlobal:
	default:
		pr := Problems{}
		pr.Add("scope", "Must be one of local, others, global")
		return pr.Err()
	}
	n, err := s.revokeWhere(ctx, s.db.Session, p.User.ID, p.SessionID, scope, s.now())
	if err != nil {
		return s.storeErr(err)
	}
	s.event(ctx, "session_revoked", slog.Int("user_id", p.User.ID), slog.String("scope", string(scope)), slog.Int("count", n))
	return nil
}

// revokeWhere revokes the user's active sessions chosen by scope relative to
// the session sid, returning how many it revoked.
func (s *Service) revokeWhere(ctx context.Context, sessions *ent.SessionClient, uid int, sid string, scope LogoutScope, now time.Time) (int, error) {
	where := []predicate.Session{session.UserID(uid), session.RevokedAtIsNil()}
	switch scope {
	case ScopeLocal:
		where = append(where, session.ID(sid))
	case ScopeOthers:
		where = append(where, session.IDNEQ(sid))
	}
	return sessions.Update().Where(where...).SetRevokedAt(now).Save(ctx)
}

// Sessions lists the caller's active sessions, newest first.
func (s *Service) Sessions(ctx context.Context, p *Principal) ([]*Session, error) {
	now := s.now()
	rows, err := s.db.Session.Query().
		Where(session.UserID(p.User.ID), session.RevokedAtIsNil(),
			session.AbsoluteExpiresAtGT(now), session.ExpiresAtGT(now)).
		Order(ent.Desc(session.FieldCreatedAt), ent.Desc(session.FieldID)).
		Limit(MaxSessions). // the cap holds; the GraphQL cost counts on it
		All(ctx)
	if err != nil {
		return nil, s.storeErr(err)
	}
	out := make([]*Session, len(rows))
	for i, r := range rows {
		out[i] = &Session{
			ID: r.ID, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, ExpiresAt: r.ExpiresAt,
			UserAgent: r.UserAgent, IP: r.IP, Current: r.ID == p.SessionID,
		}
	}
	return out, nil
}

// RevokeSession revokes one of the caller's own sessions by id.
// Errors: NOT_FOUND (no such active session of the caller).
func (s *Service) RevokeSession(ctx context.Context, p *Principal, id string) error {
	if !isSessionID(id) {
		return Errorf(CodeNotFound, "Session not found")
	}
	now := s.now()
	n, err := s.db.Session.Update().
		Where(session.ID(id), session.UserID(p.User.ID), session.RevokedAtIsNil(),
			session.AbsoluteExpiresAtGT(now), session.ExpiresAtGT(now)).
		SetRevokedAt(now).Save(ctx)
	if err != nil {
		return s.storeErr(err)
	}
	if n == 0 {
		return Errorf(CodeNotFound, "Session not found")
	}
	s.event(ctx, "session_revoked", slog.Int("user_id", p.User.ID), slog.String("scope", "one"))
	return nil
}

// clean makes client-supplied text safe to store: valid UTF-8 without
// control characters (PostgreSQL refuses NUL bytes), at most n bytes, cut on
// a rune boundary.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isSessionID reports whether id has the shape of the ids newID makes;
// anything else cannot name a session and is not sent to the database.
func isSessionID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
