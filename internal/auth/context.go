package auth

import (
	"context"
	"sync"
	"time"
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

type retryNoteKey struct{}

// retryNote is the longest wait any error of one request asked for.
type retryNote struct {
	mu sync.Mutex
	d  time.Duration
}

// WithRetryNote returns ctx carrying a note of the longest Retry-After the
// request's errors ask for (NoteRetryAfter), and a function that reads it:
// for GraphQL, whose errors travel in the body while the header must be set
// before it.
func WithRetryNote(ctx context.Context) (context.Context, func() time.Duration) {
	n := &retryNote{}
	return context.WithValue(ctx, retryNoteKey{}, n), func() time.Duration {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.d
	}
}

// NoteRetryAfter records d in ctx's note, if any (fields resolve concurrently).
func NoteRetryAfter(ctx context.Context, d time.Duration) {
	if n, _ := ctx.Value(retryNoteKey{}).(*retryNote); n != nil {
		n.mu.Lock()
		n.d = max(n.d, d)
		n.mu.Unlock()
	}
}
