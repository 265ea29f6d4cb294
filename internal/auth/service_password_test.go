package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gqlauth/internal/auth"
)

func TestChangePassword(t *testing.T) {
	t.Parallel()
	const newPassword = "newSecurePassword"

	t.Run("success", func(t *testing.T) {
		t.Parallel()
		env := newTestService(t)
		ctx := context.Background()
		pairs, prs := signIn(t, env, 3)
		other := env.register(t, "Other", "other@example.com", testPassword)
		before := env.user(t, testEmail)
		env.clock.Advance(time.Minute)

		noErr(t, env.svc.ChangePassword(ctx, prs[0], testPassword, newPassword))

		// Old password out, new one in.
		_, err := env.svc.Login(ctx, testEmail, testPassword)
		wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
		env.login(t, testEmail, newPassword)
		after := env.user(t, testEmail)
		if after.PasswordHash == before.PasswordHash || !strings.HasPrefix(after.PasswordHash, "$argon2id$") {
			t.Errorf("stored hash = %q", after.PasswordHash)
		}
		if !after.UpdatedAt.After(before.UpdatedAt) {
			t.Errorf("updated_at not moved: %v -> %v", before.UpdatedAt, after.UpdatedAt)
		}
		// The caller's session lives on, with both of its tokens.
		env.authenticate(t, pairs[0].AccessToken)
		env.refresh(t, pairs[0].RefreshToken)
		// Every other session of the user is revoked.
		for _, p := range pairs[1:] {
			env.wantDead(t, p.AccessToken)
			_, err := env.svc.Refresh(ctx, p.RefreshToken)
			wantCode(t, err, auth.CodeUnauthorized, "")
		}
		// Other users are untouched.
		env.authenticate(t, other.AccessToken)
		env.login(t, "other@example.com", testPassword)
	})

	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		env := newTestService(t)
		pairs, prs := signIn(t, env, 2)
		cases := []struct {
			name, current, next string
			code                auth.Code
			field, msg          string
		}{
			{"wrong current password", "wrongPassword99", newPassword, auth.CodeBadRequest, "", auth.MsgWrongPassword},
			{"current in other case", strings.ToUpper(testPassword), newPassword, auth.CodeBadRequest, "", auth.MsgWrongPassword},
			{"missing current password", "", newPassword, auth.CodeValidation, "currentPassword", ""},
			{"new equals current", testPassword, testPassword, auth.CodeValidation, "newPassword", ""},
			{"new too short", testPassword, "abcdefg", auth.CodeValidation, "newPassword", ""},
			{"new too long", testPassword, strings.Repeat("ab", 128), auth.CodeValidation, "newPassword", ""},
			{"new is common", testPassword, "password1", auth.CodeValidation, "newPassword", ""},
			{"new is common (qwertyuiop)", testPassword, "qwertyuiop", auth.CodeValidation, "newPassword", ""},
			{"new is the email", testPassword, "JOHN@example.com", auth.CodeValidation, "newPassword", ""},
			{"new is the name", testPassword, "john doe", auth.CodeValidation, "newPassword", ""},
			{"new is empty", testPassword, "", auth.CodeValidation, "newPassword", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := env.svc.ChangePassword(context.Background(), prs[0], tc.current, tc.next)
				e := wantCode(t, err, tc.code, tc.msg)
				if tc.field != "" {
					wantField(t, err, tc.field)
					if tc.field == "newPassword" && len(e.Fields["password"]) > 0 {
						t.Errorf("problem reported under password, not new_password: %v", e.Fields)
					}
				}
			})
		}
		// Nothing changed: the password still logs in and no session was revoked.
		env.login(t, testEmail, testPassword)
		for _, p := range pairs {
			env.authenticate(t, p.AccessToken)
		}
	})

	t.Run("wrong current password is rate limited", func(t *testing.T) {
		t.Parallel()
		env := newTestService(t, withLimits(auth.Limits{PasswordCheck: auth.Rule{Limit: 2, Window: 15 * time.Minute}}))
		_, prs := signIn(t, env, 1)
		ctx := context.Background()
		for range 2 {
			wantCode(t, env.svc.ChangePassword(ctx, prs[0], "wrongPassword99", newPassword), auth.CodeBadRequest, auth.MsgWrongPassword)
		}
		e := wantCode(t, env.svc.ChangePassword(ctx, prs[0], testPassword, newPassword), auth.CodeRateLimited, "")
		if e.RetryAfter <= 0 {
			t.Errorf("RetryAfter = %v", e.RetryAfter)
		}
		env.clock.Advance(15 * time.Minute)
		noErr(t, env.svc.ChangePassword(ctx, prs[0], testPassword, newPassword))
	})
}
