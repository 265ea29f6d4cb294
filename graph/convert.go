package graph

import (
	"strconv"

	"gqlauth/graph/model"
	"gqlauth/internal/auth"
)

// The GraphQL wire types are gqlgen's models; these map the service's types
// onto them, so renaming a field in one never changes the other by accident.

func userModel(u *auth.User) *model.User {
	return &model.User{
		ID: strconv.Itoa(u.ID), Name: u.Name, Email: u.Email, Role: model.Role(u.Role),
		IsActive: u.IsActive, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		EmailVerified: u.EmailVerified,
	}
}

func payloadModel(p *auth.TokenPair) *model.AuthPayload {
	return &model.AuthPayload{
		AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, TokenType: p.TokenType,
		ExpiresIn: p.ExpiresIn, User: userModel(p.User),
	}
}

func sessionModel(s *auth.Session) *model.Session {
	return &model.Session{
		ID: s.ID, CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt,
		UserAgent: s.UserAgent, IP: s.IP, Current: s.Current,
	}
}
