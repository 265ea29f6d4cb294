package graph

import (
	"context"
	"gqlauth/graph/model"
	"gqlauth/internal/auth"
)

// Register is the resolver for the register field.
func (r *mutationResolver) Register(ctx context.Context, input model.RegisterInput) (*model.AuthPayload, error) {
	p, err := r.Auth.Register(ctx, auth.RegisterInput{Name: input.Name, Email: input.Email, Password: input.Password})
	if err != nil {
		return nil, err
	}
	return payloadModel(p), nil
}

// Login is the resolver for the login field.
func (r *mutationResolver) Login(ctx context.Context, input model.LoginInput) (*model.AuthPayload, error) {
	p, err := r.Auth.Login(ctx, input.Email, input.Password)
	if err != nil {
		return nil, err
	}
	return payloadModel(p), nil
}

// Refresh is the resolver for the refresh field.
func (r *mutationResolver) Refresh(ctx context.Context, refreshToken string) (*model.AuthPayload, error) {
	p, err := r.Auth.Refresh(ctx, refreshToken)
	if err != nil {
		return nil, err
	}
	return payloadModel(p), nil
}

// ChangePassword is the resolver for the changePassword field.
func (r *mutationResolver) ChangePassword(ctx context.Context, input model.ChangePasswordInput) (bool, error) {
	p, err := r.Auth.Principal(ctx)
	if err != nil {
		return false, err
	}
	return true, r.Auth.ChangePassword(ctx, p, input.CurrentPassword, input.NewPassword)
}

// Logout is the resolver for the logout field.
func (r *mutationResolver) Logout(ctx context.Context, scope *model.LogoutScope) (bool, error) {
	p, err := r.Auth.Principal(ctx)
	if err != nil {
		return false, err
	}
	s := auth.ScopeLocal
	if scope != nil {
		s = auth.LogoutScope(*scope)
	}
	return true, r.Auth.Logout(ctx, p, s)
}

// RevokeSession is the resolver for the revokeSession field.
func (r *mutationResolver) RevokeSession(ctx context.Context, id string) (bool, error) {
	p, err := r.Auth.Principal(ctx)
	if err != nil {
		return false, err
	}
	return true, r.Auth.RevokeSession(ctx, p, id)
}

// SetUserActive is the resolver for the setUserActive field.
func (r *mutationResolver) SetUserActive(ctx context.Context, id string, active bool) (*model.User, error) {
	p, err := r.Auth.Principal(ctx)
	if err != nil {
		return nil, err
	}
	u, err := r.Auth.SetUserActive(ctx, p, id, active)
	if err != nil {
		return nil, err
	}
	return userModel(u), nil
}

// ForgotPassword is the resolver for the forgotPassword field.
func (r *mutationResolver) ForgotPassword(ctx context.Context, email string) (bool, error) {
	return true, r.Auth.ForgotPassword(ctx, email)
}

// ResetPassword is the resolver for the resetPassword field.
func (r *mutationResolver) ResetPassword(ctx context.Context, input model.ResetPasswordInput) (bool, error) {
	return true, r.Auth.ResetPassword(ctx, input.Token, input.NewPassword)
}

// VerifyEmail is the resolver for the verifyEmail field.
func (r *mutationResolver) VerifyEmail(ctx context.Context, token string) (bool, error) {
	return true, r.Auth.VerifyEmail(ctx, token)
}

// ResendVerification is the resolver for the resendVerification field.
func (r *mutationResolver) ResendVerification(ctx context.Context) (bool, error) {
	p, err := r.Auth.Principal(ctx)
	if err != nil {
		return false, err
	}
	return true, r.Auth.ResendVerification(ctx, p)
}

// Me is the resolver for the me field.
func (r *queryResolver) Me(ctx context.Context) (*model.User, error) {
	p, err := r.Auth.Principal(ctx)
	if err != nil {
		return nil, err
	}
	return userModel(p.User), nil
}

// Sessions is the resolver for the sessions field.
func (r *queryResolver) Sessions(ctx context.Context) ([]*model.Session, error) {
	p, err := r.Auth.Principal(ctx)
	if err != nil {
		return nil, err
	}
	list, err := r.Auth.Sessions(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Session, len(list))
	for i, s := range list {
		out[i] = sessionModel(s)
	}
	return out, nil
}

// Users is the resolver for the users field.
func (r *queryResolver) Users(ctx context.Context, limit *int, offset *int) ([]*model.User, error) {
	l, o := 50, 0
	if limit != nil {
		l = *limit
	}
	if offset != nil {
		o = *offset
	}
	list, err := r.Auth.Users(ctx, l, o)
	if err != nil {
		return nil, err
	}
	out := make([]*model.User, len(list))
	for i, u := range list {
		out[i] = userModel(u)
	}
	return out, nil
}

// Mutation returns MutationResolver implementation.
func (r *Resolver) Mutation() MutationResolver { return &mutationResolver{r} }

// Query returns QueryResolver implementation.
func (r *Resolver) Query() QueryResolver { return &queryResolver{r} }

type (
	mutationResolver struct{ *Resolver }
	queryResolver    struct{ *Resolver }
)
