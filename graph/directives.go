package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"gqlauth/graph/model"
	"gqlauth/internal/auth"
)

// authDirective implements @auth(requires: Role): the field runs only for a
// caller whose bearer token is valid and whose role allows `requires`.
// Protecting a new field is adding @auth to it in the schema.
func authDirective(svc *auth.Service) func(ctx context.Context, obj any, next graphql.Resolver, requires *model.Role) (any, error) {
	return func(ctx context.Context, _ any, next graphql.Resolver, requires *model.Role) (any, error) {
		need := auth.RoleUser
		if requires != nil {
			need = auth.Role(*requires)
		}
		p, err := svc.Authorize(ctx, need)
		if err != nil {
			return nil, err
		}
		if fc := graphql.GetFieldContext(ctx); fc == nil || !unverifiedAllowed[fc.Field.Name] {
			if err := svc.CheckVerified(p); err != nil {
				return nil, err
			}
		}
		return next(ctx)
	}
}

// unverifiedAllowed are the @auth fields a user whose email is unverified
// may use while REQUIRE_EMAIL_VERIFICATION is on (contract §9); verifyEmail
// needs no token at all.
var unverifiedAllowed = map[string]bool{"me": true, "logout": true, "resendVerification": true}
