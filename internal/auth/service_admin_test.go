package auth_test

import (
	"context"
	"strconv"
	"testing"

	"gqlauth/internal/auth"
)

func TestCreateAdmin(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := context.Background()

	t.Run("creates", func(t *testing.T) {
		u, created, err := env.svc.CreateAdmin(ctx, " Root@Example.com ", " Root ", "adminPassword77")
		noErr(t, err)
		if !created || u.Role != auth.RoleAdmin || u.Email != "root@example.com" || u.Name != "Root" || !u.IsActive {
			t.Fatalf("CreateAdmin = %+v, created %v", u, created)
		}
		p := env.login(t, "root@example.com", "adminPassword77")
		if p.User.Role != auth.RoleAdmin {
			t.Fatalf("login role = %s", p.User.Role)
		}
		if _, err := env.svc.Authorize(auth.WithBearer(ctx, p.AccessToken), auth.RoleAdmin); err != nil {
			t.Fatalf("Authorize(ADMIN) for an admin: %v", err)
		}
	})
	t.Run("refuses an existing email", func(t *testing.T) {
		reg := env.register(t, testName, "first@example.com", testPassword)
		_, _, err := env.svc.CreateAdmin(ctx, "FIRST@example.com", "Root", "adminPassword77")
		wantCode(t, err, auth.CodeConflict, "")
		// Nothing changed: the role, the password, the session.
		if _, err := env.svc.Authorize(auth.WithBearer(ctx, reg.AccessToken), auth.RoleAdmin); err == nil {
			t.Fatal("the existing user became ADMIN")
		}
		if _, err := env.svc.Authorize(auth.WithBearer(ctx, reg.AccessToken), auth.RoleUser); err != nil {
			t.Fatalf("the existing user's token stopped working: %v", err)
		}
		env.login(t, "first@example.com", testPassword)
	})
	t.Run("promotes", func(t *testing.T) {
		reg := env.register(t, testName, testEmail, testPassword)
		second := env.login(t, testEmail, testPassword)
		u, revoked, err := env.svc.PromoteAdmin(ctx, "JOHN@example.com")
		noErr(t, err)
		if revoked != 2 || u.ID != reg.User.ID || u.Role != auth.RoleAdmin || u.Name != testName {
			t.Fatalf("PromoteAdmin = %+v, revoked %d", u, revoked)
		}
		// Every session is signed out: the tokens from before stop working.
		for _, tok := range []string{reg.AccessToken, second.AccessToken} {
			_, err := env.svc.Authorize(auth.WithBearer(ctx, tok), auth.RoleUser)
			wantCode(t, err, auth.CodeUnauthorized, "")
		}
		_, err = env.svc.Refresh(ctx, second.RefreshToken)
		wantCode(t, err, auth.CodeUnauthorized, "")
		// The password is left as it was; a new login is an admin.
		p := env.login(t, testEmail, testPassword)
		if _, err := env.svc.Authorize(auth.WithBearer(ctx, p.AccessToken), auth.RoleAdmin); err != nil {
			t.Fatalf("Authorize(ADMIN) after promotion: %v", err)
		}
		_, _, err = env.svc.PromoteAdmin(ctx, "nobody@example.com")
		wantCode(t, err, auth.CodeNotFound, "")
		_, _, err = env.svc.PromoteAdmin(ctx, "not-an-email")
		wantField(t, err, "email")
	})
	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct{ email, name, password, field string }{
			{"not-an-email", "X", "adminPassword77", "email"},
			{"new@example.com", "", "adminPassword77", "name"},
			{"new@example.com", "New", "short", "password"},
			{"new@example.com", "New", "password", "password"},
		} {
			_, _, err := env.svc.CreateAdmin(ctx, tc.email, tc.name, tc.password)
			wantField(t, err, tc.field)
		}
	})
}

func TestUsersList(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := context.Background()
	var ids []int
	for i := range 5 {
		ids = append(ids, env.register(t, "User "+strconv.Itoa(i), "u"+strconv.Itoa(i)+"@example.com", testPassword).User.ID)
	}
	got, err := env.svc.Users(ctx, 2, 1)
	noErr(t, err)
	if len(got) != 2 || got[0].ID != ids[1] || got[1].ID != ids[2] {
		t.Fatalf("Users(2, 1) = %v", got)
	}
	all, err := env.svc.Users(ctx, 100, 0)
	noErr(t, err)
	if len(all) != 5 {
		t.Fatalf("Users(100, 0) = %d users", len(all))
	}
	past, err := env.svc.Users(ctx, 10, 50)
	noErr(t, err)
	if len(past) != 0 {
		t.Fatalf("Users past the end = %v", past)
	}
	for _, tc := range []struct {
		limit, offset int
		field         string
	}{
		{0, 0, "limit"}, {-1, 0, "limit"}, {101, 0, "limit"}, {10, -1, "offset"},
	} {
		_, err := env.svc.Users(ctx, tc.limit, tc.offset)
		wantField(t, err, tc.field)
	}
}

func TestSetUserActive(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := context.Background()
	admin, _, err := env.svc.CreateAdmin(ctx, "root@example.com", "Root", "adminPassword77")
	noErr(t, err)
	adminPair := env.login(t, "root@example.com", "adminPassword77")
	adminPr := env.authenticate(t, adminPair.AccessToken)
	userPair := env.register(t, testName, testEmail, testPassword)
	second := env.login(t, testEmail, testPassword)
	id := strconv.Itoa(userPair.User.ID)

	u, err := env.svc.SetUserActive(ctx, adminPr, id, false)
	noErr(t, err)
	if u.IsActive || u.ID != userPair.User.ID {
		t.Fatalf("SetUserActive(false) = %+v", u)
	}
	for _, p := range []*auth.TokenPair{userPair, second} {
		_, err := env.svc.Authenticate(ctx, p.AccessToken)
		wantCode(t, err, auth.CodeForbidden, auth.MsgInactiveUser)
		_, err = env.svc.Refresh(ctx, p.RefreshToken)
		wantCode(t, err, auth.CodeForbidden, auth.MsgInactiveUser)
	}
	_, err = env.svc.Login(ctx, testEmail, testPassword)
	wantCode(t, err, auth.CodeForbidden, auth.MsgInactiveUser)

	// Reactivated: logins work again, old tokens do not come back.
	u, err = env.svc.SetUserActive(ctx, adminPr, id, true)
	noErr(t, err)
	if !u.IsActive {
		t.Fatalf("SetUserActive(true) = %+v", u)
	}
	env.wantDead(t, userPair.AccessToken)
	_, err = env.svc.Refresh(ctx, second.RefreshToken)
	wantCode(t, err, auth.CodeUnauthorized, "")
	env.authenticate(t, env.login(t, testEmail, testPassword).AccessToken)

	t.Run("self-deactivation refused", func(t *testing.T) {
		_, err := env.svc.SetUserActive(ctx, adminPr, strconv.Itoa(admin.ID), false)
		wantCode(t, err, auth.CodeBadRequest, "")
		env.authenticate(t, adminPair.AccessToken)
		if !env.user(t, "root@example.com").IsActive {
			t.Fatal("admin was deactivated")
		}
	})
	t.Run("unknown ids", func(t *testing.T) {
		for _, id := range []string{"999999", "0", "-1", "abc", ""} {
			_, err := env.svc.SetUserActive(ctx, adminPr, id, false)
			wantCode(t, err, auth.CodeNotFound, "")
		}
	})
}

func TestAuthorizeUserAsAdmin(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	p := env.register(t, testName, testEmail, testPassword)
	ctx := auth.WithBearer(context.Background(), p.AccessToken)
	_, err := env.svc.Authorize(ctx, auth.RoleAdmin)
	wantCode(t, err, auth.CodeForbidden, auth.MsgNotEnoughRights)
	if _, err := env.svc.Authorize(ctx, auth.RoleUser); err != nil {
		t.Fatalf("Authorize(USER): %v", err)
	}
}
