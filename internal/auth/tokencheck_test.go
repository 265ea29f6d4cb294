package auth_test

import (
	"context"
	"testing"
	"time"

	"gqlauth/ent"
	"gqlauth/ent/session"
	"gqlauth/ent/user"
	"gqlauth/internal/auth"
)

// TestTokenCheckMatchesEntQuery holds Authenticate's prepared statement to
// the plain Ent query it stands for (user.HasSessionsWith an active
// session), case by case, on this run's database.
func TestTokenCheckMatchesEntQuery(t *testing.T) {
	ctx := context.Background()
	e := newTestService(t)
	alice := e.register(t, "Alice", "alice@example.com", testPassword)
	bob := e.register(t, "Bob", "bob@example.com", testPassword)
	revoked := e.login(t, "alice@example.com", testPassword)
	inactive := e.register(t, "Ivy", "ivy@example.com", testPassword)

	sid := func(p *auth.TokenPair) string {
		c, err := e.tokens.Parse(p.AccessToken, auth.TokenAccess)
		noErr(t, err)
		return c.SessionID
	}
	now := e.clock.Now().UTC().Truncate(time.Second)
	noErr(t, e.client.Session.UpdateOneID(sid(revoked)).SetRevokedAt(now).Exec(ctx))
	noErr(t, e.client.User.UpdateOneID(inactive.User.ID).SetIsActive(false).Exec(ctx))
	maxAge := e.client.Session.GetX(ctx, sid(alice)).AbsoluteExpiresAt

	cases := []struct {
		name      string
		uid       int
		sid       string
		now       time.Time
		wantFound bool
	}{
		{"active session", alice.User.ID, sid(alice), now, true},
		{"another user's session", bob.User.ID, sid(alice), now, false},
		{"revoked session", alice.User.ID, sid(revoked), now, false},
		{"unknown session", alice.User.ID, "no-such-session", now, false},
		{"unknown user", 1 << 30, sid(alice), now, false},
		{"one second before the absolute expiry", alice.User.ID, sid(alice), maxAge.Add(-time.Second), true},
		{"at the absolute expiry", alice.User.ID, sid(alice), maxAge, false},
		{"inactive user (found; Authenticate answers 403)", inactive.User.ID, sid(inactive), now, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, found, err := auth.RunTokenCheck(ctx, e.client, e.dialect, tc.uid, tc.sid, tc.now)
			noErr(t, err)
			want, err := e.client.User.Query().
				Where(user.ID(tc.uid), user.HasSessionsWith(session.ID(tc.sid), session.RevokedAtIsNil(), session.AbsoluteExpiresAtGT(tc.now))).
				Only(ctx)
			if err != nil && !ent.IsNotFound(err) {
				t.Fatal(err)
			}
			if found != (want != nil) || found != tc.wantFound {
				t.Fatalf("found = %v, Ent query found %v, want %v", found, want != nil, tc.wantFound)
			}
			if !found {
				return
			}
			w := auth.UserOf(want)
			if got.ID != w.ID || got.Name != w.Name || got.Email != w.Email || got.Role != w.Role || got.IsActive != w.IsActive ||
				!got.CreatedAt.Equal(w.CreatedAt) || !got.UpdatedAt.Equal(w.UpdatedAt) {
				t.Fatalf("token check read %+v, Ent read %+v", got, w)
			}
		})
	}
}
