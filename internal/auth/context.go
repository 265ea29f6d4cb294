package auth

import (
	"context"
	"sync"
)

// Client describes who is calling, as far as the transport knows.
type Client struct {
	IP        string
	UserAgent string
}

type clientKey struct{}
type credentialsKey struct{}

// WithClient stores the caller's address and user agent in ctx.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the caller stored by WithClient.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// credentials memoizes the authentication of one request's bearer token, so
// a GraphQL document with several protected fields checks it once.
type credentials struct {
	token     string
	once      sync.Once
	principal *Principal
	err       error
}

// WithBearer stores the request's bearer token (possibly empty) in ctx; it
// is verified lazily, at most once, by Service.Principal.
func WithBearer(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, credentialsKey{}, &credentials{token: token})
}

// KnownPrincipal returns the principal if the request's token was already
// authenticated successfully, without authenticating it; for logging.
func KnownPrincipal(ctx context.Context) *Principal {
	c, _ := ctx.Value(credentialsKey{}).(*credentials)
	if c == nil {
		return nil
	}
	// once.Do with a no-op marks an unused token as checked-and-absent,
	// so a later Principal call cannot race with this read.
	c.once.Do(func() { c.err = unauthorized(MsgInvalidCredentials) })
	return c.principal
}
