package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"gqlauth/ent/user"
	"gqlauth/internal/auth"
	"gqlauth/internal/rest"
	"gqlauth/internal/testenv"
)

// TestRequireAuthOnOwnRoutes adds two routes of one's own, as the README's
// "Protecting your own routes" shows, and checks who gets through.
func TestRequireAuthOnOwnRoutes(t *testing.T) {
	db := testenv.NewDB(t)
	svc := testenv.NewService(t, db, nil)
	ctx := context.Background()

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := rest.Principal(r.Context())
		fmt.Fprintf(w, `{"hello":%q}`, p.User.Email)
	})
	h := rest.New(rest.Options{
		Auth: svc.Service, MaxBodyBytes: 64 << 10, RequestTimeout: 30 * time.Second,
		Mount: func(mux rest.Mux) {
			mux.Handle("GET /api/hello", rest.RequireAuth(svc.Service, auth.RoleUser)(hello))
			mux.Handle("GET /api/reports", rest.RequireAuth(svc.Service, auth.RoleAdmin)(hello))
		},
	})

	userTok := svc.Pair.AccessToken
	adminPair, err := svc.Register(ctx, auth.RegisterInput{Name: "Admin", Email: "admin@example.com", Password: "securePassword123"})
	if err != nil {
		t.Fatal(err)
	}
	db.Client.User.UpdateOneID(adminPair.User.ID).SetRole(user.RoleADMIN).ExecX(ctx)
	gonePair, _ := svc.Register(ctx, auth.RegisterInput{Name: "Gone", Email: "gone@example.com", Password: "securePassword123"})
	gone, _ := svc.Authenticate(ctx, gonePair.AccessToken)
	if err := svc.Logout(ctx, gone, auth.ScopeLocal); err != nil {
		t.Fatal(err)
	}
	idlePair, _ := svc.Register(ctx, auth.RegisterInput{Name: "Idle", Email: "idle@example.com", Password: "securePassword123"})
	db.Client.User.UpdateOneID(idlePair.User.ID).SetIsActive(false).ExecX(ctx)

	cases := []struct {
		name, path, token string
		status            int
		code, hello       string
	}{
		{"no token", "/api/hello", "", 401, "UNAUTHORIZED", ""},
		{"garbage token", "/api/hello", "not-a-jwt", 401, "UNAUTHORIZED", ""},
		{"refresh token", "/api/hello", svc.Pair.RefreshToken, 401, "UNAUTHORIZED", ""},
		{"signed out", "/api/hello", gonePair.AccessToken, 401, "UNAUTHORIZED", ""},
		{"inactive user", "/api/hello", idlePair.AccessToken, 403, "FORBIDDEN", ""},
		{"user", "/api/hello", userTok, 200, "", testenv.UserEmail},
		{"admin on a user route", "/api/hello", adminPair.AccessToken, 200, "", "admin@example.com"},
		{"user on an admin route", "/api/reports", userTok, 403, "FORBIDDEN", ""},
		{"no token on an admin route", "/api/reports", "", 401, "UNAUTHORIZED", ""},
		{"admin", "/api/reports", adminPair.AccessToken, 200, "", "admin@example.com"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			var body struct {
				Hello   string
				Success *bool
				Error   struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if c.code != "" {
				if body.Error.Code != c.code || body.Success == nil || *body.Success || body.Error.Message == "" {
					t.Fatalf("envelope %s, want code %s", rec.Body, c.code)
				}
				if c.status == 401 && rec.Header().Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
				return
			}
			if body.Hello != c.hello {
				t.Fatalf("principal %q, want %q", body.Hello, c.hello)
			}
		})
	}
}
