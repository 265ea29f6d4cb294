// Package service fills in the auth service's Options from the configuration
// and an open database: the one place they are built, by the program and by
// the tests alike. The caller adds what it makes itself (tokens, hasher,
// limiter, logger, metrics, mail) and calls auth.New.
package service

import (
	"gqlauth/internal/auth"
	"gqlauth/internal/config"
	"gqlauth/internal/database"
)

// Options returns the service's storage, lifetimes and rate-limit rules.
func Options(cfg *config.Config, db *database.DB) auth.Options {
	return auth.Options{
		Client:      db.Client,
		Dialect:     db.Dialect,
		Unavailable: database.IsUnavailable,
		Limits: auth.Limits{
			LoginIP:       auth.Rule{Limit: cfg.LoginIPLimit, Window: cfg.LoginIPWindow},
			LoginIPFails:  auth.Rule{Limit: cfg.LoginIPFailureLimit, Window: cfg.LoginIPFailureWindow},
			LoginFailures: auth.Rule{Limit: cfg.LoginFailureLimit, Window: cfg.LoginFailureWindow},
			Lockout:       auth.Rule{Limit: cfg.LoginLockoutThreshold, Window: cfg.LoginLockoutWindow},
			RegisterIP:    auth.Rule{Limit: cfg.RegisterIPLimit, Window: cfg.RegisterIPWindow},
			RefreshIP:     auth.Rule{Limit: cfg.RefreshIPLimit, Window: cfg.RefreshIPWindow},
			PasswordCheck: auth.Rule{Limit: cfg.LoginFailureLimit, Window: cfg.LoginFailureWindow},
			PasswordIP:    auth.Rule{Limit: cfg.PasswordIPLimit, Window: cfg.PasswordIPWindow},
			PasswordUser:  auth.Rule{Limit: cfg.PasswordUserLimit, Window: cfg.PasswordUserWindow},
		},
		AccessTTL:     cfg.AccessTTL,
		RefreshTTL:    cfg.RefreshTTL,
		ReuseInterval: cfg.ReuseInterval,
		SessionMaxAge: cfg.SessionMaxAge,
	}
}
