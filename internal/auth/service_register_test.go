package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gqlauth/ent/user"
	"gqlauth/internal/auth"
	"gqlauth/internal/testenv"
)

func TestRegisterSuccess(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := auth.WithClient(context.Background(), auth.Client{IP: "198.51.100.1", UserAgent: "test-agent/1.0"})
	p, err := env.svc.Register(ctx, auth.RegisterInput{Name: testName, Email: testEmail, Password: testPassword})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if p.AccessToken == "" || p.RefreshToken == "" || p.AccessToken == p.RefreshToken {
		t.Fatalf("tokens = %q / %q", p.AccessToken, p.RefreshToken)
	}
	if p.TokenType != "bearer" || p.ExpiresIn != 1800 {
		t.Errorf("token type / expires in = %q / %d, want bearer / 1800", p.TokenType, p.ExpiresIn)
	}
	u := p.User
	if u == nil || u.ID <= 0 || u.Name != testName || u.Email != testEmail || u.Role != auth.RoleUser || !u.IsActive {
		t.Fatalf("user = %+v", u)
	}
	if want := env.clock.Now().Truncate(time.Second); !u.CreatedAt.Equal(want) || !u.UpdatedAt.Equal(want) {
		t.Errorf("created/updated = %v / %v", u.CreatedAt, u.UpdatedAt)
	}
	// The user is signed in: the access token authenticates, the refresh
	// token is a refresh token for the same session.
	pr := env.authenticate(t, p.AccessToken)
	if pr.User.ID != u.ID || pr.SessionID == "" {
		t.Fatalf("principal = %+v", pr)
	}
	rc, err := env.tokens.Parse(p.RefreshToken, auth.TokenRefresh)
	if err != nil {
		t.Fatalf("refresh token: %v", err)
	}
	if rc.SessionID != pr.SessionID {
		t.Errorf("refresh sid %q != access sid %q", rc.SessionID, pr.SessionID)
	}
	if _, err := env.tokens.Parse(p.AccessToken, auth.TokenRefresh); err == nil {
		t.Error("access token parses as a refresh token")
	}
	// Stored as argon2id, not the password.
	row := env.user(t, testEmail)
	if !strings.HasPrefix(row.PasswordHash, "$argon2id$") || strings.Contains(row.PasswordHash, testPassword) {
		t.Errorf("stored hash = %q", row.PasswordHash)
	}
	// The session remembers the client.
	ss, err := env.svc.Sessions(ctx, pr)
	if err != nil || len(ss) != 1 {
		t.Fatalf("Sessions = %v, %v", ss, err)
	}
	if ss[0].IP == nil || *ss[0].IP != "198.51.100.1" || ss[0].UserAgent == nil || *ss[0].UserAgent != "test-agent/1.0" {
		t.Errorf("session client = %v / %v", ss[0].IP, ss[0].UserAgent)
	}
	// And can log in with the password.
	env.login(t, testEmail, testPassword)
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	long := func(n int) string { return strings.Repeat("n", n) }
	emailOfLen := func(n int) string { return strings.Repeat("a", n-len("@example.com")) + "@example.com" }

	cases := []struct {
		name  string
		in    auth.RegisterInput
		field string // "" = accepted
	}{
		// name
		{"missing name", auth.RegisterInput{Email: "n1@example.com", Password: testPassword}, "name"},
		{"blank name", auth.RegisterInput{Name: " \t ", Email: "n2@example.com", Password: testPassword}, "name"},
		{"101-char name", auth.RegisterInput{Name: long(101), Email: "n3@example.com", Password: testPassword}, "name"},
		{"100-char name", auth.RegisterInput{Name: long(100), Email: "n4@example.com", Password: testPassword}, ""},
		{"100-char name after trimming", auth.RegisterInput{Name: "  " + long(100) + "  ", Email: "n5@example.com", Password: testPassword}, ""},
		// email
		{"missing email", auth.RegisterInput{Name: testName, Password: testPassword}, "email"},
		{"email a", auth.RegisterInput{Name: testName, Email: "a", Password: testPassword}, "email"},
		{"email a@", auth.RegisterInput{Name: testName, Email: "a@", Password: testPassword}, "email"},
		{"email @b.c", auth.RegisterInput{Name: testName, Email: "@b.c", Password: testPassword}, "email"},
		{"email with display name", auth.RegisterInput{Name: testName, Email: "John <j@x.com>", Password: testPassword}, "email"},
		{"255-char email", auth.RegisterInput{Name: testName, Email: emailOfLen(255), Password: testPassword}, "email"},
		{"254-char email", auth.RegisterInput{Name: testName, Email: emailOfLen(254), Password: testPassword}, ""},
		// password
		{"missing password", auth.RegisterInput{Name: testName, Email: "p0@example.com"}, "password"},
		{"7-char password", auth.RegisterInput{Name: testName, Email: "p1@example.com", Password: "abcdefg"}, "password"},
		{"8-char password", auth.RegisterInput{Name: testName, Email: "p1b@example.com", Password: "zebrakit"}, ""},
		{"256-char password", auth.RegisterInput{Name: testName, Email: "p2@example.com", Password: strings.Repeat("ab", 128)}, "password"},
		{"255-char password", auth.RegisterInput{Name: testName, Email: "p2b@example.com", Password: strings.Repeat("ab", 127) + "c"}, ""},
		{"password equal to email", auth.RegisterInput{Name: testName, Email: "p3@example.com", Password: "p3@example.com"}, "password"},
		{"password equal to email, other case and spacing", auth.RegisterInput{Name: testName, Email: "  Mary.Jane@Example.com ", Password: "MARY.JANE@EXAMPLE.COM"}, "password"},
		{"password equal to name", auth.RegisterInput{Name: "Johnathan Doe", Email: "p4@example.com", Password: "Johnathan Doe"}, "password"},
		{"password equal to name, other case", auth.RegisterInput{Name: "Johnathan Doe", Email: "p5@example.com", Password: "johnathan doe"}, "password"},
		{"common: password", auth.RegisterInput{Name: testName, Email: "c1@example.com", Password: "password"}, "password"},
		{"common: 12345678", auth.RegisterInput{Name: testName, Email: "c2@example.com", Password: "12345678"}, "password"},
		{"common: qwertyuiop", auth.RegisterInput{Name: testName, Email: "c3@example.com", Password: "qwertyuiop"}, "password"},
		{"common: password1", auth.RegisterInput{Name: testName, Email: "c4@example.com", Password: "password1"}, "password"},
		{"common, upper case: PASSWORD1", auth.RegisterInput{Name: testName, Email: "c5@example.com", Password: "PASSWORD1"}, "password"},
		{"docs example securePassword123", auth.RegisterInput{Name: testName, Email: "ok1@example.com", Password: "securePassword123"}, ""},
		{"docs example newSecurePassword", auth.RegisterInput{Name: testName, Email: "ok2@example.com", Password: "newSecurePassword"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := env.svc.Register(context.Background(), tc.in)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Register: %v", err)
				}
				if p.User.Name != strings.TrimSpace(tc.in.Name) || p.User.Email != auth.NormalizeEmail(tc.in.Email) {
					t.Fatalf("user = %+v", p.User)
				}
				return
			}
			e := wantField(t, err, tc.field)
			if len(e.Fields) != 1 {
				t.Errorf("Fields = %v, want only %q", e.Fields, tc.field)
			}
			// Nothing was stored.
			if ok, _ := env.client.User.Query().Where(user.Email(auth.NormalizeEmail(tc.in.Email))).Exist(context.Background()); ok {
				t.Errorf("a refused registration stored a user")
			}
		})
	}

	t.Run("several problems at once", func(t *testing.T) {
		_, err := env.svc.Register(context.Background(), auth.RegisterInput{Name: "", Email: "a@", Password: "short"})
		e := wantCode(t, err, auth.CodeValidation, "")
		for _, f := range []string{"name", "email", "password"} {
			if len(e.Fields[f]) == 0 {
				t.Errorf("no problem under %q: %v", f, e.Fields)
			}
		}
	})
}

func TestRegisterNormalizesEmailAndName(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	p := env.register(t, "  Jane Roe \t", "  Jane.Roe@Example.COM  ", testPassword)
	if p.User.Email != "jane.roe@example.com" || p.User.Name != "Jane Roe" {
		t.Fatalf("user = %q <%q>, want trimmed name and lower-cased email", p.User.Name, p.User.Email)
	}
	row := env.user(t, "jane.roe@example.com")
	if row.Email != "jane.roe@example.com" || row.Name != "Jane Roe" {
		t.Fatalf("stored = %q <%q>", row.Name, row.Email)
	}
	// Login with any case and spacing of the email.
	env.login(t, " JANE.ROE@example.com ", testPassword)
}

func TestRegisterDuplicateEmail(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	env.register(t, testName, testEmail, testPassword)
	for _, email := range []string{testEmail, "JOHN@EXAMPLE.COM", "  John@Example.Com  "} {
		t.Run(email, func(t *testing.T) {
			_, err := env.svc.Register(context.Background(), auth.RegisterInput{Name: "Other", Email: email, Password: "anotherPassword9"})
			wantCode(t, err, auth.CodeConflict, auth.MsgEmailTaken)
		})
	}
	if n, _ := env.client.User.Query().Count(context.Background()); n != 1 {
		t.Fatalf("users = %d, want 1", n)
	}
	// The original password still works (the duplicate did not overwrite).
	env.login(t, testEmail, testPassword)
}

func TestRegisterConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	// A hash slow enough that all goroutines pass the "email taken?" look
	// before any of them inserts: the unique index has to decide.
	env := newTestService(t, withHasherParams(slowParams))
	const n = 10
	errs := make([]error, n)
	testenv.AtOnce(n, func(i int) {
		// Different case each time: the comparison is case-insensitive.
		email := testEmail
		if i%2 == 1 {
			email = strings.ToUpper(testEmail)
		}
		_, errs[i] = env.svc.Register(context.Background(), auth.RegisterInput{Name: testName, Email: email, Password: testPassword})
	})
	ok := 0
	for i, err := range errs {
		if err == nil {
			ok++
			continue
		}
		e := asAuthErr(t, err)
		if e.Code != auth.CodeConflict {
			t.Errorf("goroutine %d: %v, want CONFLICT", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d registrations succeeded, want exactly 1", ok)
	}
	if c, _ := env.client.User.Query().Count(context.Background()); c != 1 {
		t.Fatalf("users = %d, want 1", c)
	}
}

func TestRegisterIPLimit(t *testing.T) {
	t.Parallel()
	env := newTestService(t, withLimits(auth.Limits{RegisterIP: auth.Rule{Limit: 2, Window: time.Hour}}))
	ctx := auth.WithClient(context.Background(), auth.Client{IP: "203.0.113.9"})
	for i, email := range []string{"r1@example.com", "r2@example.com"} {
		if _, err := env.svc.Register(ctx, auth.RegisterInput{Name: testName, Email: email, Password: testPassword}); err != nil {
			t.Fatalf("registration %d: %v", i+1, err)
		}
	}
	_, err := env.svc.Register(ctx, auth.RegisterInput{Name: testName, Email: "r3@example.com", Password: testPassword})
	e := wantCode(t, err, auth.CodeRateLimited, "")
	if e.RetryAfter <= 0 || e.RetryAfter > time.Hour {
		t.Errorf("RetryAfter = %v", e.RetryAfter)
	}
	// Another address is not affected.
	other := auth.WithClient(context.Background(), auth.Client{IP: "203.0.113.10"})
	if _, err := env.svc.Register(other, auth.RegisterInput{Name: testName, Email: "r4@example.com", Password: testPassword}); err != nil {
		t.Fatalf("other address: %v", err)
	}
	// The next window starts afresh.
	env.clock.Advance(time.Hour)
	if _, err := env.svc.Register(ctx, auth.RegisterInput{Name: testName, Email: "r5@example.com", Password: testPassword}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestRegisterNameCountsCharacters: the contract allows names of 1–100
// characters, so 100 two-byte characters must be accepted (and 101 refused
// as a VALIDATION_ERROR), never an internal error. (Regression: Ent's
// MaxLen(100) on users.name counted bytes until commit 0af2516.)
func TestRegisterNameCountsCharacters(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	_, err := env.svc.Register(context.Background(), auth.RegisterInput{Name: strings.Repeat("é", 101), Email: "e101@example.com", Password: testPassword})
	wantField(t, err, "name")

	p, err := env.svc.Register(context.Background(), auth.RegisterInput{Name: strings.Repeat("é", 100), Email: "e100@example.com", Password: testPassword})
	if err != nil {
		t.Fatalf("Register with a 100-character (200-byte) name: %v", err)
	}
	if p.User.Name != strings.Repeat("é", 100) {
		t.Fatalf("name = %q", p.User.Name)
	}
}
