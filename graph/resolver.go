// Package graph is the GraphQL front: resolvers that decode arguments, call
// the auth service and encode its results; the @auth directive; and the error
// presenter that turns service errors into extensions.code.
package graph

import "gqlauth/internal/auth"

// Resolver is the root resolver and the one place dependencies are injected.
type Resolver struct {
	Auth *auth.Service
}
