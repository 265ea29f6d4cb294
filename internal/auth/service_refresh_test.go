package auth_test

import (
	"context"
	"testing"
	"time"

	"gqlauth/ent/session"
	"gqlauth/internal/auth"
	"gqlauth/internal/testenv"
)

// refresh calls Refresh and fails the test on an error.
func (e *testEnv) refresh(t testing.TB, raw string) *auth.TokenPair {
	t.Helper()
	p, err := e.svc.Refresh(context.Background(), raw)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return p
}

// sessionRevoked reads whether the session is revoked in the database.
func (e *testEnv) sessionRevoked(t testing.TB, sid string) bool {
	t.Helper()
	s, err := e.client.Session.Query().Where(session.ID(sid)).Only(context.Background())
	if err != nil {
		t.Fatalf("reading session: %v", err)
	}
	return s.RevokedAt != nil
}

func TestRefreshRotates(t *testing.T) {
	t.Parallel()
	env := newTestService(t, withReuse(0))
	p0 := env.register(t, testName, testEmail, testPassword)
	sid := env.authenticate(t, p0.AccessToken).SessionID

	env.clock.Advance(time.Minute)
	p1 := env.refresh(t, p0.RefreshToken)
	if p1.RefreshToken == p0.RefreshToken || p1.AccessToken == p0.AccessToken {
		t.Fatal("refresh did not return a new pair")
	}
	if p1.TokenType != "bearer" || p1.ExpiresIn != 1800 || p1.User == nil || p1.User.ID != p0.User.ID {
		t.Fatalf("pair = %+v", p1)
	}
	// Same session, new token ids, a sliding refresh window from now.
	if pr := env.authenticate(t, p1.AccessToken); pr.SessionID != sid {
		t.Fatalf("refresh moved to session %q, want %q", pr.SessionID, sid)
	}
	c0, _ := env.tokens.Parse(p0.RefreshToken, auth.TokenRefresh)
	c1, err := env.tokens.Parse(p1.RefreshToken, auth.TokenRefresh)
	if err != nil {
		t.Fatal(err)
	}
	if c1.SessionID != sid || c1.ID == c0.ID {
		t.Fatalf("rotated claims = %+v", c1)
	}
	now := env.clock.Now().Truncate(time.Second)
	if !c1.ExpiresAt.Time.Equal(now.Add(testRefresh)) {
		t.Errorf("new refresh exp = %v, want now+%v = %v", c1.ExpiresAt.Time, testRefresh, now.Add(testRefresh))
	}
	ac, _ := env.tokens.Parse(p1.AccessToken, auth.TokenAccess)
	if !ac.ExpiresAt.Time.Equal(now.Add(testAccessTTL)) {
		t.Errorf("access exp = %v, want now+30m", ac.ExpiresAt.Time)
	}
	// The old refresh token no longer rotates.
	_, err = env.svc.Refresh(context.Background(), p0.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")
}

func TestRefreshInputErrors(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	p := env.register(t, testName, testEmail, testPassword)
	_, err := env.svc.Refresh(context.Background(), "")
	wantField(t, err, "refreshToken")
	for name, raw := range map[string]string{
		"access token": p.AccessToken,
		"garbage":      "abc.def.ghi",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := env.svc.Refresh(context.Background(), raw)
			wantCode(t, err, auth.CodeUnauthorized, "")
		})
	}
	// A well-signed refresh token for a session that does not exist.
	now := env.clock.Now()
	forged, _ := env.tokens.Sign(auth.TokenRefresh, p.User.ID, "no-such-session", "jti", now, now.Add(time.Hour))
	_, err = env.svc.Refresh(context.Background(), forged)
	wantCode(t, err, auth.CodeUnauthorized, "")
	// ... or for another user's session.
	other := env.register(t, "Other", "other@example.com", testPassword)
	oc, _ := env.tokens.Parse(other.RefreshToken, auth.TokenRefresh)
	stolen, _ := env.tokens.Sign(auth.TokenRefresh, p.User.ID, oc.SessionID, oc.ID, now, now.Add(time.Hour))
	_, err = env.svc.Refresh(context.Background(), stolen)
	wantCode(t, err, auth.CodeUnauthorized, "")
	env.refresh(t, other.RefreshToken) // and the owner's token is unaffected
}

func TestRefreshReuseWithinInterval(t *testing.T) {
	t.Parallel()
	env := newTestService(t) // REFRESH_REUSE_INTERVAL = 10 s
	p0 := env.register(t, testName, testEmail, testPassword)
	sid := env.authenticate(t, p0.AccessToken).SessionID

	env.clock.Advance(time.Minute)
	p1 := env.refresh(t, p0.RefreshToken)
	env.clock.Advance(testReuse - time.Second)
	// Second tab presents the token that was just rotated.
	again := env.refresh(t, p0.RefreshToken)
	if again.RefreshToken != p1.RefreshToken {
		t.Fatalf("within the reuse interval got refresh token\n%s\nwant the current one\n%s", again.RefreshToken, p1.RefreshToken)
	}
	if again.AccessToken == p1.AccessToken || again.AccessToken == p0.AccessToken {
		t.Fatal("within the reuse interval no fresh access token was issued")
	}
	if pr := env.authenticate(t, again.AccessToken); pr.SessionID != sid || pr.User.ID != p0.User.ID {
		t.Fatalf("principal = %+v", pr)
	}
	if env.sessionRevoked(t, sid) {
		t.Fatal("the grace window revoked the session")
	}
	// Both tabs stay signed in: the shared current token still rotates.
	env.clock.Advance(time.Second)
	p2 := env.refresh(t, p1.RefreshToken)
	env.authenticate(t, p2.AccessToken)
	env.authenticate(t, p1.AccessToken)
}

// TestRefreshGraceDoesNotOutliveTheSession: the reuse grace window answers
// only for a live session.
func TestRefreshGraceDoesNotOutliveTheSession(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		kill func(t *testing.T, env *testEnv, pr *auth.Principal)
	}{
		{"logout", func(t *testing.T, env *testEnv, pr *auth.Principal) {
			noErr(t, env.svc.Logout(context.Background(), pr, auth.ScopeLocal))
		}},
		{"revoked by id", func(t *testing.T, env *testEnv, pr *auth.Principal) {
			noErr(t, env.svc.RevokeSession(context.Background(), pr, pr.SessionID))
		}},
		{"refresh window over", func(t *testing.T, env *testEnv, pr *auth.Principal) {
			_, err := env.client.Session.UpdateOneID(pr.SessionID).SetExpiresAt(env.clock.Now().Add(-time.Second)).Save(context.Background())
			noErr(t, err)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestService(t)
			p0 := env.register(t, testName, testEmail, testPassword)
			env.clock.Advance(time.Second)
			p1 := env.refresh(t, p0.RefreshToken)
			tc.kill(t, env, env.authenticate(t, p1.AccessToken))
			env.clock.Advance(time.Second)
			for _, raw := range []string{p0.RefreshToken, p1.RefreshToken} {
				_, err := env.svc.Refresh(context.Background(), raw)
				wantCode(t, err, auth.CodeUnauthorized, "")
			}
		})
	}
}

func TestRefreshReuseAfterIntervalRevokes(t *testing.T) {
	t.Parallel()
	m := newRecordingMetrics()
	env := newTestService(t, withMetrics(m))
	p0 := env.register(t, testName, testEmail, testPassword)
	sid := env.authenticate(t, p0.AccessToken).SessionID
	// A second session of the same user must survive.
	otherSession := env.login(t, testEmail, testPassword)

	env.clock.Advance(time.Minute)
	p1 := env.refresh(t, p0.RefreshToken)
	env.clock.Advance(testReuse + time.Second)
	_, err := env.svc.Refresh(context.Background(), p0.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")

	if !env.sessionRevoked(t, sid) {
		t.Fatal("reuse did not revoke the session")
	}
	// The session's current tokens stop working.
	env.wantDead(t, p1.AccessToken)
	env.wantDead(t, p0.AccessToken)
	_, err = env.svc.Refresh(context.Background(), p1.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")
	// Other sessions are untouched.
	env.authenticate(t, otherSession.AccessToken)
	env.refresh(t, otherSession.RefreshToken)
	if _, _, reuse := m.snapshot(); reuse != 1 {
		t.Errorf("RefreshReuse reported %d times, want 1", reuse)
	}
}

func TestRefreshReuseOfOlderTokenRevokes(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	p0 := env.register(t, testName, testEmail, testPassword)
	sid := env.authenticate(t, p0.AccessToken).SessionID
	env.clock.Advance(time.Second)
	p1 := env.refresh(t, p0.RefreshToken)
	env.clock.Advance(time.Second)
	p2 := env.refresh(t, p1.RefreshToken)
	env.clock.Advance(time.Second)
	// p0 is two rotations back: reuse, even inside the interval.
	_, err := env.svc.Refresh(context.Background(), p0.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")
	if !env.sessionRevoked(t, sid) {
		t.Fatal("reuse of an older token did not revoke the session")
	}
	env.wantDead(t, p2.AccessToken)
	_, err = env.svc.Refresh(context.Background(), p2.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")
	// Nor does the just-rotated one get the grace answer now.
	_, err = env.svc.Refresh(context.Background(), p1.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")
}

// TestRefreshConcurrent: one refresh token presented by ten goroutines at
// once. With no reuse interval exactly one rotates; with the default
// interval every one gets the same current token.
func TestRefreshConcurrent(t *testing.T) {
	t.Parallel()
	const n = 10
	run := func(t *testing.T, env *testEnv, raw string) ([]*auth.TokenPair, []error) {
		pairs, errs := make([]*auth.TokenPair, n), make([]error, n)
		testenv.AtOnce(n, func(i int) {
			pairs[i], errs[i] = env.svc.Refresh(context.Background(), raw)
		})
		return pairs, errs
	}

	t.Run("reuse interval 0: exactly one wins", func(t *testing.T) {
		t.Parallel()
		env := newTestService(t, withReuse(0))
		p0 := env.register(t, testName, testEmail, testPassword)
		env.clock.Advance(time.Second)
		pairs, errs := run(t, env, p0.RefreshToken)
		wins := 0
		for i, err := range errs {
			if err == nil {
				wins++
				if pairs[i].RefreshToken == p0.RefreshToken {
					t.Errorf("winner got the old token back")
				}
				continue
			}
			if e := asAuthErr(t, err); e.Code != auth.CodeUnauthorized {
				t.Errorf("goroutine %d: %v, want UNAUTHORIZED", i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d concurrent refreshes succeeded, want exactly 1", wins)
		}
	})

	t.Run("default interval: all get the current token", func(t *testing.T) {
		t.Parallel()
		env := newTestService(t)
		p0 := env.register(t, testName, testEmail, testPassword)
		sid := env.authenticate(t, p0.AccessToken).SessionID
		env.clock.Advance(time.Second)
		pairs, errs := run(t, env, p0.RefreshToken)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("goroutine %d: %v", i, err)
			}
			if pairs[i].RefreshToken != pairs[0].RefreshToken {
				t.Fatalf("goroutines got different refresh tokens")
			}
			env.authenticate(t, pairs[i].AccessToken)
		}
		if pairs[0].RefreshToken == p0.RefreshToken || env.sessionRevoked(t, sid) {
			t.Fatal("no rotation, or the session was revoked")
		}
		env.refresh(t, pairs[0].RefreshToken)
	})
}

func TestRefreshSessionMaxAge(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	p := env.register(t, testName, testEmail, testPassword)
	start := env.clock.Now()
	// Rotating every 6 days keeps the sliding window alive ...
	for elapsed := 6 * day; elapsed < testMaxAge; elapsed += 6 * day {
		env.clock.Advance(6 * day)
		p = env.refresh(t, p.RefreshToken)
	}
	// ... up to just before the absolute lifetime (day 24 → day 29 23:50).
	env.clock.Advance(testMaxAge - 24*day - 10*time.Minute)
	p = env.refresh(t, p.RefreshToken)
	pr := env.authenticate(t, p.AccessToken)
	if ss, _ := env.svc.Sessions(context.Background(), pr); len(ss) != 1 {
		t.Fatalf("sessions before max age = %d, want 1", len(ss))
	}
	// Past 30 days nothing refreshes, although the refresh token itself is
	// good for another 7 days.
	env.clock.Advance(10*time.Minute + time.Second)
	if elapsed := env.clock.Now().Sub(start); elapsed <= testMaxAge {
		t.Fatalf("test setup: elapsed %v", elapsed)
	}
	if _, err := env.tokens.Parse(p.RefreshToken, auth.TokenRefresh); err != nil {
		t.Fatalf("test setup: refresh token already invalid: %v", err)
	}
	_, err := env.svc.Refresh(context.Background(), p.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")
	// Nor does the last access token outlive the session (it has 19 minutes
	// left by its own exp).
	env.wantDead(t, p.AccessToken)
	if ss, _ := env.svc.Sessions(context.Background(), pr); len(ss) != 0 {
		t.Errorf("an expired session is still listed")
	}
}

func TestRefreshInactivityExpiry(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	a := env.register(t, testName, testEmail, testPassword)
	b := env.login(t, testEmail, testPassword)
	env.clock.Advance(testRefresh - time.Second)
	env.refresh(t, a.RefreshToken) // control: just inside the window
	env.clock.Advance(time.Second)
	_, err := env.svc.Refresh(context.Background(), b.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")
}

func TestRefreshInactiveUser(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	p := env.register(t, testName, testEmail, testPassword)
	noErr(t, env.client.User.UpdateOneID(p.User.ID).SetIsActive(false).Exec(context.Background()))
	_, err := env.svc.Refresh(context.Background(), p.RefreshToken)
	wantCode(t, err, auth.CodeForbidden, auth.MsgInactiveUser)
	// Reactivated, the session still works (it was not revoked by the flag
	// being set directly in the database).
	noErr(t, env.client.User.UpdateOneID(p.User.ID).SetIsActive(true).Exec(context.Background()))
	env.refresh(t, p.RefreshToken)
}

func TestRefreshIPLimit(t *testing.T) {
	t.Parallel()
	env := newTestService(t, withLimits(auth.Limits{RefreshIP: auth.Rule{Limit: 2, Window: time.Minute}}))
	p := env.register(t, testName, testEmail, testPassword)
	ctx := auth.WithClient(context.Background(), auth.Client{IP: "192.0.2.1"})
	for range 2 {
		var err error
		p, err = env.svc.Refresh(ctx, p.RefreshToken)
		noErr(t, err)
	}
	_, err := env.svc.Refresh(ctx, p.RefreshToken)
	e := wantCode(t, err, auth.CodeRateLimited, "")
	if e.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v", e.RetryAfter)
	}
	// The refused attempt did not consume the token.
	env.clock.Advance(time.Minute)
	if _, err := env.svc.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
