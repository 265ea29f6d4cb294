package auth

import (
	"context"
	"time"

	"gqlauth/ent"
)

// RunTokenCheck runs Authenticate's prepared statement, built for dia, on
// client: for the external tests that hold it to the Ent query it replaces.
func RunTokenCheck(ctx context.Context, client *ent.Client, dia string, uid int, sid string, now time.Time) (*User, bool, error) {
	return newTokenCheck(dia).run(ctx, client, uid, sid, now)
}

// UserOf converts an Ent user as the service does.
func UserOf(u *ent.User) *User { return userOf(u) }

// AddrKey is addrKey, for the external tests.
func AddrKey(ip string) string { return addrKey(ip) }
