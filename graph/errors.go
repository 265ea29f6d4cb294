package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"gqlauth/internal/auth"
)

// errorPresenter is the one funnel from Go errors to GraphQL errors: a
// service error keeps its code and message (and fields); anything else is
// logged and shown as INTERNAL_ERROR with a safe message.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var svcErr *auth.Error
		if !errors.As(err, &svcErr) {
			var parsed *gqlerror.Error
			if errors.As(err, &parsed) && parsed.Err == nil {
				// gqlgen's own parse, validation and argument errors.
				return gqlErr
			}
			svcErr = auth.Internal(err)
		}
		if svcErr.Code == auth.CodeInternal {
			log.ErrorContext(ctx, "graphql resolver failed", slog.String("error", err.Error()), slog.Any("path", gqlErr.Path))
		}
		gqlErr.Message = svcErr.Message
		gqlErr.Extensions = map[string]any{"code": string(svcErr.Code)}
		if len(svcErr.Fields) > 0 {
			// This schema names its input fields as the service names its
			// inputs (email, newPassword, refreshToken): no renaming.
			gqlErr.Extensions["fields"] = svcErr.Fields
		}
		if svcErr.RetryAfter > 0 {
			gqlErr.Extensions["retryAfter"] = int((svcErr.RetryAfter + 999_999_999) / 1e9)
		}
		return gqlErr
	}
}

// recoverFunc turns a resolver panic into an internal error (logged with the
// panic value, shown without it).
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql panic", slog.String("panic", fmt.Sprint(p)))
		return auth.Internal(fmt.Errorf("panic: %v", p))
	}
}
