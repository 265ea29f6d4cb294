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
		if _, err := svc.Authorize(ctx, need); err != nil {
			return nil, err
		}
		return next(ctx)
	}
}
