package auth

import (
	"context"
	"log/slog"

	"gqlauth/ent"
	"gqlauth/ent/user"
)

// CheckAdminInput validates create-admin's email and, when creating, its
// name, so that the command reports them before it asks for a password.
// Errors: VALIDATION_ERROR.
func CheckAdminInput(email, name string, creating bool) error {
	p := Problems{}
	checkEmail(p, "email", NormalizeEmail(email))
	if creating {
		checkName(p, name)
	}
	return p.Err()
}

// PromoteAdmin makes the existing user with email an ADMIN and signs out
// every session they had, in one transaction: the account may have been
// registered by someone other than the operator, whose tokens must not
// carry the new role. The password is left as it is. It returns the user
// and how many sessions it revoked.
// Errors: VALIDATION_ERROR, NOT_FOUND (no user with that email).
func (s *Service) PromoteAdmin(ctx context.Context, email string) (*User, int, error) {
	email = NormalizeEmail(email)
	p := Problems{}
	checkEmail(p, "email", email)
	if err := p.Err(); err != nil {
		return nil, 0, err
	}
	now := s.now()
	var (
		out     *ent.User
		revoked int
	)
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		u, err := tx.User.Query().Where(user.Email(email)).Only(ctx)
		if ent.IsNotFound(err) {
			return Errorf(CodeNotFound, "User not found")
		}
		if err != nil {
			return err
		}
		if out, err = u.Update().SetRole(user.RoleADMIN).SetUpdatedAt(now).Save(ctx); err != nil {
			return err
		}
		revoked, err = s.revokeWhere(ctx, tx.Session, u.ID, "", ScopeGlobal, now)
		return err
	})
	if err != nil {
		return nil, 0, s.storeErr(err)
	}
	s.event(ctx, "admin_promoted", slog.Int("user_id", out.ID), slog.Int("sessions_revoked", revoked))
	return userOf(out), revoked, nil
}
