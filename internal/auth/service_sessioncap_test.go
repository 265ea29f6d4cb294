package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"gqlauth/ent/session"
	"gqlauth/internal/auth"
)

// TestSessionCap: a user has at most auth.MaxSessions live sessions; one
// more login revokes the least recently used, also under concurrent logins.
func TestSessionCap(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := context.Background()
	first := env.register(t, testName, testEmail, testPassword)
	var pairs []*auth.TokenPair
	for i := 1; i < auth.MaxSessions; i++ {
		env.clock.Advance(time.Second)
		pairs = append(pairs, env.login(t, testEmail, testPassword))
	}
	// The registration's session is used again: the first login's is now
	// the least recently used.
	env.clock.Advance(time.Second)
	first, err := env.svc.Refresh(ctx, first.RefreshToken)
	noErr(t, err)
	live := func() int {
		n, err := env.client.Session.Query().Where(session.RevokedAtIsNil()).Count(ctx)
		noErr(t, err)
		return n
	}
	if n := live(); n != auth.MaxSessions {
		t.Fatalf("%d live sessions, want %d", n, auth.MaxSessions)
	}
	env.clock.Advance(time.Second)
	newest := env.login(t, testEmail, testPassword)
	if n := live(); n != auth.MaxSessions {
		t.Fatalf("after one more login: %d live sessions, want %d", n, auth.MaxSessions)
	}
	env.wantDead(t, pairs[0].AccessToken)
	env.authenticate(t, first.AccessToken)
	env.authenticate(t, pairs[1].AccessToken)
	p := env.authenticate(t, newest.AccessToken)
	list, err := env.svc.Sessions(ctx, p)
	noErr(t, err)
	if len(list) != auth.MaxSessions {
		t.Fatalf("Sessions lists %d, want %d", len(list), auth.MaxSessions)
	}

	// Concurrent logins never leave more than the cap.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := env.svc.Login(ctx, testEmail, testPassword); err != nil {
				t.Errorf("concurrent login: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := live(); n != auth.MaxSessions {
		t.Fatalf("after concurrent logins: %d live sessions, want %d", n, auth.MaxSessions)
	}
}

// TestPurgeSessions: revoked and expired sessions are deleted once
// auth.SessionRetention has passed, live ones never.
func TestPurgeSessions(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := context.Background()
	a := env.register(t, testName, testEmail, testPassword)
	b := env.login(t, testEmail, testPassword)
	noErr(t, env.svc.Logout(ctx, env.authenticate(t, b.AccessToken), auth.ScopeLocal))
	count := func() int {
		n, err := env.client.Session.Query().Count(ctx)
		noErr(t, err)
		return n
	}
	env.clock.Advance(auth.SessionRetention - time.Second)
	n, err := env.svc.PurgeSessions(ctx)
	noErr(t, err)
	if n != 0 || count() != 2 {
		t.Fatalf("purged %d before the retention passed (%d left)", n, count())
	}
	// Keep a alive past the retention by refreshing it.
	a, err = env.svc.Refresh(ctx, a.RefreshToken)
	noErr(t, err)
	env.clock.Advance(2 * time.Second)
	n, err = env.svc.PurgeSessions(ctx)
	noErr(t, err)
	if n != 1 || count() != 1 {
		t.Fatalf("purged %d, %d left; want the revoked one gone", n, count())
	}
	env.authenticate(t, a.AccessToken)
}

// TestUserAgentTruncated: a long User-Agent is stored cut to 256 bytes.
func TestUserAgentTruncated(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := auth.WithClient(context.Background(), auth.Client{UserAgent: strings.Repeat("é", 400)})
	_, err := env.svc.Register(ctx, auth.RegisterInput{Name: testName, Email: testEmail, Password: testPassword})
	noErr(t, err)
	s, err := env.client.Session.Query().Only(ctx)
	noErr(t, err)
	if s.UserAgent == nil || len(*s.UserAgent) > 256 || len(*s.UserAgent) < 250 {
		t.Fatalf("stored User-Agent of %d bytes", len(*s.UserAgent))
	}
}
