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

// HoldHasher takes a hash slot of h until release is called, so that tests
// can make the hasher refuse for capacity.
func HoldHasher(h *Hasher) (release func(), err error) { return h.acquire(context.Background()) }

// AddrKey is addrKey, for the external tests.
func AddrKey(ip string) string { return addrKey(ip) }
