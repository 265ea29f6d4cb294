package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gqlauth/internal/testenv"
)

func TestRESTRegisterAndLogin(t *testing.T) {
	s := startServer(t, nil)

	email := "  John.Doe@Example.COM "
	r := s.request(http.MethodPost, "/api/auth/register", map[string]string{"name": " John Doe ", "email": email, "password": "securePassword123"})
	expect(t, r, http.StatusCreated, "")
	for _, f := range []string{"access_token", "refresh_token"} {
		if strings.Count(r.Str(f), ".") != 2 {
			t.Errorf("%s is not a JWT: %q", f, r.Str(f))
		}
	}
	if r.Str("token_type") != "bearer" || r.Get("expires_in") != float64(1800) {
		t.Errorf("token_type/expires_in: %s", r.Raw)
	}
	if _, ok := r.Get("user.id").(float64); !ok {
		t.Errorf("user.id is not a number: %s", r.Raw)
	}
	if r.Str("user.email") != "john.doe@example.com" || r.Str("user.name") != "John Doe" || r.Str("user.role") != "USER" || r.Get("user.is_active") != true {
		t.Errorf("user: %s", r.Raw)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", got)
	}
	if s.meStatus(r.Str("access_token")) != http.StatusOK {
		t.Errorf("register's access token does not work")
	}

	// Same email in other case: conflict.
	r = s.request(http.MethodPost, "/api/auth/register", map[string]string{"name": "Other", "email": "JOHN.DOE@example.com", "password": "securePassword123"})
	expect(t, r, http.StatusConflict, "CONFLICT")
	if r.Str("error.message") != "Email already registered" {
		t.Errorf("message %q", r.Str("error.message"))
	}

	// login/json and the OAuth2 form answer the same shape.
	r = s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": "John.Doe@example.com", "password": "securePassword123"})
	expect(t, r, http.StatusOK, "")
	if r.Str("token_type") != "bearer" || r.Str("user.email") != "john.doe@example.com" || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("login/json: %s", r.Raw)
	}
	form := "username=john.doe%40example.com&password=securePassword123&grant_type=password"
	r = s.request(http.MethodPost, "/api/auth/login", []byte(form), "Content-Type: application/x-www-form-urlencoded")
	expect(t, r, http.StatusOK, "")
	if r.Str("token_type") != "bearer" || s.meStatus(r.Str("access_token")) != http.StatusOK {
		t.Errorf("form login: %s", r.Raw)
	}

	// Wrong password and unknown email: one answer.
	wrong := s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": "john.doe@example.com", "password": "wrongPassword123"})
	unknown := s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": "nobody@example.com", "password": "wrongPassword123"})
	for _, r := range []*response{wrong, unknown} {
		expect(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
		if r.Str("error.message") != "Incorrect email or password" {
			t.Errorf("message %q", r.Str("error.message"))
		}
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
		}
	}
	if string(wrong.Raw) != string(unknown.Raw) {
		t.Errorf("wrong password and unknown email differ:\n%s\n%s", wrong.Raw, unknown.Raw)
	}
}

func TestRESTValidation(t *testing.T) {
	s := startServer(t, nil)
	taken := s.register(t)
	long := strings.Repeat("a", 101)
	cases := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"missing fields", "/api/auth/register", map[string]any{}, 422, "VALIDATION_ERROR", "email"},
		{"empty body", "/api/auth/register", "", 422, "VALIDATION_ERROR", "password"},
		{"bad email", "/api/auth/register", map[string]any{"name": "A", "email": "not-an-email", "password": "securePassword123"}, 422, "VALIDATION_ERROR", "email"},
		{"display-name email", "/api/auth/register", map[string]any{"name": "A", "email": "A <a@example.com>", "password": "securePassword123"}, 422, "VALIDATION_ERROR", "email"},
		{"email too long", "/api/auth/register", map[string]any{"name": "A", "email": strings.Repeat("a", 250) + "@x.com", "password": "securePassword123"}, 422, "VALIDATION_ERROR", "email"},
		{"blank name", "/api/auth/register", map[string]any{"name": "   ", "email": newEmail(), "password": "securePassword123"}, 422, "VALIDATION_ERROR", "name"},
		{"long name", "/api/auth/register", map[string]any{"name": long, "email": newEmail(), "password": "securePassword123"}, 422, "VALIDATION_ERROR", "name"},
		{"short password", "/api/auth/register", map[string]any{"name": "A", "email": newEmail(), "password": "short1"}, 422, "VALIDATION_ERROR", "password"},
		{"long password", "/api/auth/register", map[string]any{"name": "A", "email": newEmail(), "password": strings.Repeat("x", 256)}, 422, "VALIDATION_ERROR", "password"},
		{"common password", "/api/auth/register", map[string]any{"name": "A", "email": newEmail(), "password": "password1"}, 422, "VALIDATION_ERROR", "password"},
		{"common password 2", "/api/auth/register", map[string]any{"name": "A", "email": newEmail(), "password": "qwertyuiop"}, 422, "VALIDATION_ERROR", "password"},
		{"password is email", "/api/auth/register", map[string]any{"name": "A", "email": "same@example.com", "password": "same@example.com"}, 422, "VALIDATION_ERROR", "password"},
		{"password is name", "/api/auth/register", map[string]any{"name": "Jonathan Smith", "email": newEmail(), "password": "Jonathan Smith"}, 422, "VALIDATION_ERROR", "password"},
		{"wrong type", "/api/auth/register", map[string]any{"name": 5, "email": newEmail(), "password": "securePassword123"}, 422, "VALIDATION_ERROR", "name"},
		{"null field", "/api/auth/register", map[string]any{"name": nil, "email": newEmail(), "password": "securePassword123"}, 422, "VALIDATION_ERROR", "name"},
		{"array body", "/api/auth/register", "[1,2]", 422, "VALIDATION_ERROR", "body"},
		{"malformed json", "/api/auth/register", `{"name": "A",`, 400, "BAD_REQUEST", ""},
		{"trailing garbage", "/api/auth/register", `{"name": "A"} xyz`, 400, "BAD_REQUEST", ""},
		{"taken email", "/api/auth/register", map[string]any{"name": "A", "email": strings.ToUpper(taken.Email), "password": "securePassword123"}, 409, "CONFLICT", ""},
		{"login missing password", "/api/auth/login/json", map[string]any{"email": taken.Email}, 422, "VALIDATION_ERROR", "password"},
		{"login bad email", "/api/auth/login/json", map[string]any{"email": "nope", "password": "x"}, 422, "VALIDATION_ERROR", "email"},
		{"login huge password", "/api/auth/login/json", map[string]any{"email": taken.Email, "password": strings.Repeat("p", 10000)}, 422, "VALIDATION_ERROR", "password"},
		{"refresh missing token", "/api/auth/refresh", map[string]any{}, 422, "VALIDATION_ERROR", "refresh_token"},
		{"refresh wrong type", "/api/auth/refresh", map[string]any{"refresh_token": 12}, 422, "VALIDATION_ERROR", "refresh_token"},
		{"refresh garbage token", "/api/auth/refresh", map[string]any{"refresh_token": "abc.def.ghi"}, 401, "UNAUTHORIZED", ""},
		{"refresh with access token", "/api/auth/refresh", map[string]any{"refresh_token": taken.Access}, 401, "UNAUTHORIZED", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.request(http.MethodPost, c.path, c.body)
			expect(t, r, c.status, c.code)
			if c.field != "" {
				if msgs, ok := r.Get("error.details." + c.field).([]any); !ok || len(msgs) == 0 {
					t.Errorf("no details for %q: %s", c.field, r.Raw)
				}
			}
		})
	}
	// The OAuth2 form calls the email username, and so do its errors.
	r := s.request(http.MethodPost, "/api/auth/login", []byte("username=nope&password=x"), "Content-Type: application/x-www-form-urlencoded")
	expect(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if r.Get("error.details.username") == nil || r.Get("error.details.email") != nil {
		t.Errorf("form login with a bad email: %s", r.Raw)
	}
	// None of the refused registrations created a user.
	r = s.request(http.MethodPost, "/api/auth/login/json", map[string]any{"email": "same@example.com", "password": "same@example.com"})
	expect(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestRESTTransportErrors(t *testing.T) {
	s := startServer(t, nil)
	a := s.register(t)
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `"}`
	cases := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		code    string
	}{
		{"unknown path", "GET", "/api/auth/nope", nil, nil, 404, "NOT_FOUND"},
		{"unknown root", "GET", "/wp-admin.php", nil, nil, 404, "NOT_FOUND"},
		{"trailing slash", "POST", "/api/auth/login/json/", map[string]any{}, nil, 404, "NOT_FOUND"},
		{"wrong method on register", "GET", "/api/auth/register", nil, nil, 405, "METHOD_NOT_ALLOWED"},
		{"wrong method on me", "POST", "/api/auth/me", nil, nil, 405, "METHOD_NOT_ALLOWED"},
		{"delete graphql", "DELETE", "/graphql", nil, nil, 405, "METHOD_NOT_ALLOWED"},
		{"body too large", "POST", "/api/auth/register", big, nil, 413, "PAYLOAD_TOO_LARGE"},
		{"graphql too large", "POST", "/graphql", big, nil, 413, "PAYLOAD_TOO_LARGE"},
		{"text/plain", "POST", "/api/auth/login/json", `{"email":"a@b.co","password":"x"}`, []string{"Content-Type: text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"form on login/json", "POST", "/api/auth/login/json", "email=a", []string{"Content-Type: application/x-www-form-urlencoded"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"multipart on login", "POST", "/api/auth/login", "--x--", []string{"Content-Type: multipart/form-data; boundary=x"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"graphql form", "POST", "/graphql", "query={me{id}}", []string{"Content-Type: application/x-www-form-urlencoded"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"me without token", "GET", "/api/auth/me", nil, nil, 401, "UNAUTHORIZED"},
		{"me with basic auth", "GET", "/api/auth/me", nil, []string{"Authorization: Basic dXNlcjpwYXNz"}, 401, "UNAUTHORIZED"},
		{"me with garbage token", "GET", "/api/auth/me", nil, []string{"Authorization: Bearer not-a-token"}, 401, "UNAUTHORIZED"},
		{"me with refresh token", "GET", "/api/auth/me", nil, []string{bearer(a.Refresh)}, 401, "UNAUTHORIZED"},
		{"me with token in query", "GET", "/api/auth/me?access_token=" + a.Access, nil, nil, 401, "UNAUTHORIZED"},
		{"logout without token", "POST", "/api/auth/logout", nil, nil, 401, "UNAUTHORIZED"},
		{"change-password without token", "POST", "/api/auth/change-password", map[string]any{}, nil, 401, "UNAUTHORIZED"},
		{"logout bad scope", "POST", "/api/auth/logout", map[string]any{"scope": "everywhere"}, []string{bearer(a.Access)}, 422, "VALIDATION_ERROR"},
		{"logout scope wrong type", "POST", "/api/auth/logout", map[string]any{"scope": 1}, []string{bearer(a.Access)}, 422, "VALIDATION_ERROR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.request(c.method, c.path, c.body, c.headers...)
			expect(t, r, c.status, c.code)
			if c.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
			if c.status == 405 && r.Header.Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.Header.Get("Content-Type"), "charset=utf-8") {
				t.Errorf("headers: %v", r.Header)
			}
		})
	}
	if s.meStatus(a.Access) != http.StatusOK {
		t.Fatal("the account stopped working after bad requests")
	}
}

func TestRESTMeAndBearerScheme(t *testing.T) {
	s := startServer(t, nil)
	a := s.register(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		r := s.request(http.MethodGet, "/api/auth/me", nil, "Authorization: "+scheme+" "+a.Access)
		expect(t, r, http.StatusOK, "")
		if r.Str("email") != a.Email || r.Get("id") != a.ID || r.Str("name") != a.Name {
			t.Errorf("me: %s", r.Raw)
		}
	}
}

func TestRESTRefreshRotationAndReuse(t *testing.T) {
	s := startServer(t, map[string]string{"REFRESH_REUSE_INTERVAL": "0"})
	a := s.register(t)

	r := s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": a.Refresh})
	expect(t, r, http.StatusOK, "")
	access2, refresh2 := r.Str("access_token"), r.Str("refresh_token")
	if refresh2 == a.Refresh || access2 == "" || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("refresh did not rotate: %s", r.Raw)
	}
	if s.meStatus(access2) != http.StatusOK {
		t.Fatal("new access token refused")
	}
	// Reusing the rotated token revokes the session: the current pair dies.
	r = s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": a.Refresh})
	expect(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
	if s.meStatus(access2) != http.StatusUnauthorized {
		t.Error("access token of a revoked session still works")
	}
	r = s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": refresh2})
	expect(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestRESTRefreshGraceWindow(t *testing.T) {
	s := startServer(t, nil) // REFRESH_REUSE_INTERVAL defaults to 10 s
	a := s.register(t)
	first := s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": a.Refresh})
	expect(t, first, http.StatusOK, "")
	// A second tab presents the same token at once: it gets the session's
	// current refresh token and a fresh access token.
	second := s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": a.Refresh})
	expect(t, second, http.StatusOK, "")
	if second.Str("refresh_token") != first.Str("refresh_token") {
		t.Errorf("grace refresh returned another refresh token")
	}
	for _, r := range []*response{first, second} {
		if s.meStatus(r.Str("access_token")) != http.StatusOK {
			t.Error("an access token from the grace window does not work")
		}
	}
	// The chain goes on from the current token.
	third := s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": first.Str("refresh_token")})
	expect(t, third, http.StatusOK, "")
}

// race sends n requests at once and returns how many got status win, and
// every status; a status other than win or lose is an error.
func race(t *testing.T, n, win, lose int, send func() *response) (wins int, statuses []int) {
	t.Helper()
	statuses = make([]int, n)
	testenv.AtOnce(n, func(i int) { statuses[i] = send().Status })
	for _, st := range statuses {
		switch st {
		case win:
			wins++
		case lose:
		default:
			t.Errorf("unexpected status %d", st)
		}
	}
	return wins, statuses
}

func TestRESTConcurrentRefreshExactlyOneWins(t *testing.T) {
	s := startServer(t, map[string]string{"REFRESH_REUSE_INTERVAL": "0"})
	a := s.register(t)
	ok, statuses := race(t, 8, http.StatusOK, http.StatusUnauthorized, func() *response {
		return s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": a.Refresh})
	})
	if ok != 1 {
		t.Fatalf("%d refreshes succeeded, want exactly 1 (%v)", ok, statuses)
	}
}

func TestRESTConcurrentRegisterOneWins(t *testing.T) {
	s := startServer(t, nil)
	email := newEmail()
	created, statuses := race(t, 8, http.StatusCreated, http.StatusConflict, func() *response {
		return s.request(http.MethodPost, "/api/auth/register", map[string]string{"name": "Racer", "email": email, "password": "securePassword123"})
	})
	if created != 1 {
		t.Fatalf("%d registrations succeeded, want 1 (%v)", created, statuses)
	}
}

func TestRESTChangePassword(t *testing.T) {
	s := startServer(t, nil)
	a := s.register(t)
	otherAccess, otherRefresh := s.login(t, a)

	cases := []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"wrong current", map[string]any{"current_password": "wrongPassword99", "new_password": "newSecurePassword"}, 400, "BAD_REQUEST", ""},
		{"same as current", map[string]any{"current_password": a.Password, "new_password": a.Password}, 422, "VALIDATION_ERROR", "new_password"},
		{"too short", map[string]any{"current_password": a.Password, "new_password": "short"}, 422, "VALIDATION_ERROR", "new_password"},
		{"common", map[string]any{"current_password": a.Password, "new_password": "12345678"}, 422, "VALIDATION_ERROR", "new_password"},
		{"missing current", map[string]any{"new_password": "newSecurePassword"}, 422, "VALIDATION_ERROR", "current_password"},
	}
	for _, c := range cases {
		r := s.request(http.MethodPost, "/api/auth/change-password", c.body, bearer(a.Access))
		expect(t, r, c.status, c.code)
		if c.code == "BAD_REQUEST" && r.Str("error.message") != "Current password is incorrect" {
			t.Errorf("%s: message %q", c.name, r.Str("error.message"))
		}
		if c.field != "" && r.Get("error.details."+c.field) == nil {
			t.Errorf("%s: no details.%s: %s", c.name, c.field, r.Raw)
		}
	}
	if s.meStatus(otherAccess) != http.StatusOK {
		t.Fatal("a refused change revoked sessions")
	}

	r := s.request(http.MethodPost, "/api/auth/change-password", map[string]any{"current_password": a.Password, "new_password": "newSecurePassword"}, bearer(a.Access))
	expect(t, r, http.StatusOK, "")
	if r.Get("success") != true || r.Str("message") == "" {
		t.Errorf("body: %s", r.Raw)
	}
	if s.meStatus(a.Access) != http.StatusOK {
		t.Error("the caller's session was revoked")
	}
	if s.meStatus(otherAccess) != http.StatusUnauthorized {
		t.Error("another session survived the password change")
	}
	expect(t, s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": otherRefresh}), 401, "UNAUTHORIZED")
	expect(t, s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": a.Password}), 401, "UNAUTHORIZED")
	a.Password = "newSecurePassword"
	s.login(t, a)
}

func TestRESTLogoutScopes(t *testing.T) {
	s := startServer(t, nil)
	cases := []struct {
		scope          any // nil: no body
		callerSurvives bool
		otherSurvives  bool
	}{
		{nil, false, true},
		{"local", false, true},
		{"others", true, false},
		{"global", false, false},
		{"GLOBAL", false, false},
	}
	for _, c := range cases {
		t.Run(strings.TrimSpace(strings.ToLower(toString(c.scope))), func(t *testing.T) {
			a := s.register(t)
			other, otherRefresh := s.login(t, a)
			var body any
			if c.scope != nil {
				body = map[string]any{"scope": c.scope}
			}
			r := s.request(http.MethodPost, "/api/auth/logout", body, bearer(a.Access))
			expect(t, r, http.StatusOK, "")
			if r.Get("success") != true {
				t.Errorf("body: %s", r.Raw)
			}
			if got := s.meStatus(a.Access) == http.StatusOK; got != c.callerSurvives {
				t.Errorf("caller's session active = %v, want %v", got, c.callerSurvives)
			}
			if got := s.meStatus(other) == http.StatusOK; got != c.otherSurvives {
				t.Errorf("other session active = %v, want %v", got, c.otherSurvives)
			}
			st := s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": otherRefresh}).Status
			if (st == http.StatusOK) != c.otherSurvives {
				t.Errorf("other session refresh status %d", st)
			}
		})
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return "default"
}

func TestRESTLoginRateLimit(t *testing.T) {
	s := startServer(t, map[string]string{"LOGIN_FAILURE_LIMIT": "3"})
	a := s.register(t)
	for i := range 3 {
		r := s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": "wrongPassword1"})
		expect(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
		_ = i
	}
	// Now even the right password is refused before it is checked.
	r := s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": a.Password})
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Another account is not affected.
	b := s.register(t)
	s.login(t, b)
}

func TestRESTLoginRateLimitPerAddress(t *testing.T) {
	testenv.InsideWindow(t, testenv.HourWindow, time.Minute)
	s := startServer(t, map[string]string{"LOGIN_IP_LIMIT": "4", "LOGIN_IP_WINDOW_SECONDS": "3600"})
	got429 := false
	for i := range 6 {
		r := s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": newEmail(), "password": "wrongPassword1"})
		if r.Status == http.StatusTooManyRequests {
			got429 = i >= 4
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			break
		}
	}
	if !got429 {
		t.Fatal("no 429 after the per-address limit")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s := startServer(t, nil)
	expect(t, s.request(http.MethodGet, "/healthz", nil), 200, "")
	r := s.request(http.MethodGet, "/readyz", nil)
	expect(t, r, 200, "")
	r = s.request(http.MethodGet, "/", nil)
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/playground" {
		t.Errorf("GET / = %d %q", r.Status, r.Header.Get("Location"))
	}
}

func TestUnknownAssetGetsEnvelope(t *testing.T) {
	s := startServer(t, nil)
	for _, p := range []string{"/playground/assets/nope.js", "/docs/assets/../../etc/passwd", "/docs/assets/missing.css"} {
		r := s.request(http.MethodGet, p, nil)
		expect(t, r, http.StatusNotFound, "NOT_FOUND")
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", p)
		}
	}
}

// TestRESTLoginFailuresPerAddress: password spraying (wrong passwords for
// many emails from one address) is refused, while the address's successful
// logins are not what the limit counts.
func TestRESTLoginFailuresPerAddress(t *testing.T) {
	s := startServer(t, map[string]string{"LOGIN_IP_FAILURE_LIMIT": "3"})
	a := s.register(t)
	for range 5 {
		s.login(t, a) // successes do not count
	}
	for range 3 {
		r := s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": newEmail(), "password": "wrongPassword1"})
		expect(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
	}
	r := s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": newEmail(), "password": "wrongPassword1"})
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// TestRESTPasswordBoundaries: the policy is length, email, name and the
// common list — nothing else, so both documented examples and a 255-character
// password of one letter are accepted.
func TestRESTPasswordBoundaries(t *testing.T) {
	s := startServer(t, nil)
	for _, pw := range []string{"securePassword123", "newSecurePassword", strings.Repeat("a", 255), "ab3dé€😀xy"} {
		r := s.request(http.MethodPost, "/api/auth/register", map[string]string{"name": "P", "email": newEmail(), "password": pw})
		expect(t, r, http.StatusCreated, "")
	}
}
