package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gqlauth/internal/auth"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	p := env.register(t, testName, testEmail, testPassword)
	ctx := context.Background()

	pr := env.authenticate(t, p.AccessToken)
	if pr.User.ID != p.User.ID || pr.User.Email != testEmail || pr.User.Role != auth.RoleUser || !pr.User.IsActive {
		t.Fatalf("principal = %+v", pr.User)
	}

	t.Run("refresh token is not an access token", func(t *testing.T) {
		_, err := env.svc.Authenticate(ctx, p.RefreshToken)
		wantCode(t, err, auth.CodeUnauthorized, auth.MsgInvalidCredentials)
	})
	t.Run("empty and garbage", func(t *testing.T) {
		for _, raw := range []string{"", "x", "a.b.c"} {
			_, err := env.svc.Authenticate(ctx, raw)
			wantCode(t, err, auth.CodeUnauthorized, auth.MsgInvalidCredentials)
		}
	})
	t.Run("expired", func(t *testing.T) {
		env := newTestService(t)
		p := env.register(t, testName, testEmail, testPassword)
		env.clock.Advance(testAccessTTL - time.Second)
		env.authenticate(t, p.AccessToken)
		env.clock.Advance(time.Second)
		env.wantDead(t, p.AccessToken)
	})
	t.Run("deleted user", func(t *testing.T) {
		env := newTestService(t)
		p := env.register(t, testName, testEmail, testPassword)
		_, err := env.client.Session.Delete().Exec(ctx)
		noErr(t, err)
		noErr(t, env.client.User.DeleteOneID(p.User.ID).Exec(ctx))
		env.wantDead(t, p.AccessToken)
	})
	t.Run("token naming another user's session", func(t *testing.T) {
		other := env.register(t, "Other", "other@example.com", testPassword)
		otherSID := env.authenticate(t, other.AccessToken).SessionID
		now := env.clock.Now()
		forged, err := env.tokens.Sign(auth.TokenAccess, p.User.ID, otherSID, "jti-x", now, now.Add(time.Minute))
		noErr(t, err)
		env.wantDead(t, forged)
	})
	t.Run("Principal and Authorize via context", func(t *testing.T) {
		_, err := env.svc.Principal(ctx)
		wantCode(t, err, auth.CodeUnauthorized, "")
		_, err = env.svc.Principal(auth.WithBearer(ctx, ""))
		wantCode(t, err, auth.CodeUnauthorized, "")
		bctx := auth.WithBearer(ctx, p.AccessToken)
		got, err := env.svc.Principal(bctx)
		if err != nil || got.User.ID != p.User.ID {
			t.Fatalf("Principal = %v, %v", got, err)
		}
		if got, err := env.svc.Authorize(bctx, auth.RoleUser); err != nil || got.User.ID != p.User.ID {
			t.Fatalf("Authorize(USER) = %v, %v", got, err)
		}
		_, err = env.svc.Authorize(bctx, auth.RoleAdmin)
		wantCode(t, err, auth.CodeForbidden, auth.MsgNotEnoughRights)
		_, err = env.svc.Authorize(auth.WithBearer(ctx, "junk"), auth.RoleUser)
		wantCode(t, err, auth.CodeUnauthorized, "")
	})
}

// signIn logs the test user in n times and returns the pairs and the
// principals, one session each.
func signIn(t *testing.T, env *testEnv, n int) ([]*auth.TokenPair, []*auth.Principal) {
	t.Helper()
	pairs := []*auth.TokenPair{env.register(t, testName, testEmail, testPassword)}
	for len(pairs) < n {
		pairs = append(pairs, env.login(t, testEmail, testPassword))
	}
	prs := make([]*auth.Principal, n)
	seen := map[string]bool{}
	for i, p := range pairs {
		prs[i] = env.authenticate(t, p.AccessToken)
		if seen[prs[i].SessionID] {
			t.Fatalf("two sign-ins share session %q", prs[i].SessionID)
		}
		seen[prs[i].SessionID] = true
	}
	return pairs, prs
}

func TestLogoutScopes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scope auth.LogoutScope
		alive [3]bool // after session 1 logs out with scope
	}{
		{"", [3]bool{true, false, true}},
		{auth.ScopeLocal, [3]bool{true, false, true}},
		{auth.ScopeOthers, [3]bool{false, true, false}},
		{auth.ScopeGlobal, [3]bool{false, false, false}},
	}
	for _, tc := range cases {
		name := string(tc.scope)
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := newTestService(t)
			pairs, prs := signIn(t, env, 3)
			// Another user's session is never touched.
			other := env.register(t, "Other", "other@example.com", testPassword)
			if err := env.svc.Logout(context.Background(), prs[1], tc.scope); err != nil {
				t.Fatalf("Logout: %v", err)
			}
			for i, p := range pairs {
				_, aerr := env.svc.Authenticate(context.Background(), p.AccessToken)
				_, rerr := env.svc.Refresh(context.Background(), p.RefreshToken)
				if tc.alive[i] {
					if aerr != nil || rerr != nil {
						t.Errorf("session %d should be alive: authenticate %v, refresh %v", i, aerr, rerr)
					}
				} else {
					wantCode(t, aerr, auth.CodeUnauthorized, "")
					wantCode(t, rerr, auth.CodeUnauthorized, "")
				}
			}
			env.authenticate(t, other.AccessToken)
		})
	}
	t.Run("unknown scope", func(t *testing.T) {
		t.Parallel()
		env := newTestService(t)
		pairs, prs := signIn(t, env, 1)
		wantField(t, env.svc.Logout(context.Background(), prs[0], "EVERYTHING"), "scope")
		env.authenticate(t, pairs[0].AccessToken)
	})
}

func TestSessionsList(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := context.Background()
	// s0 at day 0; s1, s2 at day 4 from a known client.
	p0 := env.register(t, testName, testEmail, testPassword)
	s0 := env.authenticate(t, p0.AccessToken).SessionID
	env.clock.Advance(4 * day)
	cctx := auth.WithClient(ctx, auth.Client{IP: "2001:db8::1", UserAgent: "Browser/2"})
	p1, err := env.svc.Login(cctx, testEmail, testPassword)
	noErr(t, err)
	p2 := env.login(t, testEmail, testPassword)
	s2 := env.authenticate(t, p2.AccessToken).SessionID
	// Day 8: s0's refresh window (7 days) is over; s1 is refreshed to get
	// a live access token.
	env.clock.Advance(4 * day)
	p1 = env.refresh(t, p1.RefreshToken)
	pr := env.authenticate(t, p1.AccessToken)

	list, err := env.svc.Sessions(ctx, pr)
	noErr(t, err)
	if len(list) != 2 {
		t.Fatalf("sessions = %d, want 2 (the expired one hidden)", len(list))
	}
	current := 0
	for _, s := range list {
		if s.ID == s0 {
			t.Errorf("expired session listed")
		}
		if s.Current {
			current++
			if s.ID != pr.SessionID {
				t.Errorf("current session = %q, want %q", s.ID, pr.SessionID)
			}
			if s.IP == nil || *s.IP != "2001:db8::1" || s.UserAgent == nil || *s.UserAgent != "Browser/2" {
				t.Errorf("client of current session = %v / %v", s.IP, s.UserAgent)
			}
			if !s.LastUsedAt.After(s.CreatedAt) || !s.ExpiresAt.Equal(env.clock.Now().Truncate(time.Second).Add(testRefresh)) {
				t.Errorf("times = created %v, used %v, expires %v", s.CreatedAt, s.LastUsedAt, s.ExpiresAt)
			}
		}
	}
	if current != 1 {
		t.Fatalf("%d sessions marked current, want exactly 1", current)
	}

	// Revoke s2: it disappears from the list and its token dies at once.
	noErr(t, env.svc.RevokeSession(ctx, pr, s2))
	env.wantDead(t, p2.AccessToken)
	list, err = env.svc.Sessions(ctx, pr)
	noErr(t, err)
	if len(list) != 1 || list[0].ID != pr.SessionID || !list[0].Current {
		t.Fatalf("after revoking: %+v", list)
	}
	// Revoking it again, or a session that never existed: NOT_FOUND.
	wantCode(t, env.svc.RevokeSession(ctx, pr, s2), auth.CodeNotFound, "")
	wantCode(t, env.svc.RevokeSession(ctx, pr, "no-such-session"), auth.CodeNotFound, "")
}

func TestRevokeSessionOfAnotherUser(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := context.Background()
	mine := env.register(t, testName, testEmail, testPassword)
	theirs := env.register(t, "Mallory", "mallory@example.com", testPassword)
	me := env.authenticate(t, mine.AccessToken)
	victim := env.authenticate(t, theirs.AccessToken)

	wantCode(t, env.svc.RevokeSession(ctx, me, victim.SessionID), auth.CodeNotFound, "")
	env.authenticate(t, theirs.AccessToken)
	env.refresh(t, theirs.RefreshToken)
	env.authenticate(t, mine.AccessToken)
}

func TestRevokedSessionAccessDiesAtOnce(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	p := env.register(t, testName, testEmail, testPassword)
	pr := env.authenticate(t, p.AccessToken)
	noErr(t, env.svc.RevokeSession(context.Background(), pr, pr.SessionID))
	// No clock movement: the token's own exp is 30 minutes away.
	env.wantDead(t, p.AccessToken)
	_, err := env.svc.Refresh(context.Background(), p.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")
	// A new login works.
	env.authenticate(t, env.login(t, testEmail, testPassword).AccessToken)
}

// TestHostileClientStrings: whatever the transport passes as the client's
// address and user agent, sign-in works and what is stored is bounded,
// valid UTF-8 without control characters (PostgreSQL refuses NUL bytes).
func TestHostileClientStrings(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	env.register(t, testName, testEmail, testPassword)
	ua := "Agent\x00/1\n\xff" + strings.Repeat("é", 600)
	ctx := auth.WithClient(context.Background(), auth.Client{IP: strings.Repeat("1", 100) + "\x00", UserAgent: ua})
	p, err := env.svc.Login(ctx, testEmail, testPassword)
	if err != nil {
		t.Fatalf("Login with hostile client strings: %v", err)
	}
	if _, err := env.svc.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatalf("Refresh with hostile client strings: %v", err)
	}
	list, err := env.svc.Sessions(ctx, env.authenticate(t, p.AccessToken))
	noErr(t, err)
	for _, s := range list {
		for name, v := range map[string]*string{"ip": s.IP, "user agent": s.UserAgent} {
			if v == nil {
				continue
			}
			limit := 512
			if name == "ip" {
				limit = 64
			}
			if len(*v) > limit || !utf8.ValidString(*v) || strings.ContainsFunc(*v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("stored %s = %.60q (%d bytes)", name, *v, len(*v))
			}
		}
	}
}
