package rest

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gqlauth/internal/auth"
)

// userResponse is the REST shim's user object.
type userResponse struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	IsActive bool   `json:"is_active"`
	// EmailVerified is §9's email_verified.
	EmailVerified bool      `json:"email_verified"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func userJSON(u *auth.User) userResponse {
	return userResponse{
		ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), IsActive: u.IsActive,
		EmailVerified: u.EmailVerified,
		CreatedAt:     u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
	}
}

// tokenResponse is the body of register, login and refresh.
type tokenResponse struct {
	AccessToken  string       `json:"access_token"`
	RefreshToken string       `json:"refresh_token"`
	TokenType    string       `json:"token_type"`
	ExpiresIn    int          `json:"expires_in"`
	User         userResponse `json:"user"`
}

type successResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// writeTokens writes a token pair; token responses are never cached.
func writeTokens(w http.ResponseWriter, status int, p *auth.TokenPair) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, tokenResponse{
		AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, TokenType: p.TokenType,
		ExpiresIn: p.ExpiresIn, User: userJSON(p.User),
	})
}

// upper starts a word of a service field name (newPassword).
var upper = regexp.MustCompile(`[A-Z]`)

// restFields names a service validation error's fields as the REST contract
// does: as renamed says, else in snake_case (newPassword is new_password).
// Other errors pass unchanged.
func restFields(err error, renamed map[string]string) error {
	var e *auth.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make(map[string][]string, len(e.Fields))
	for k, v := range e.Fields {
		if n, ok := renamed[k]; ok {
			k = n
		}
		out.Fields[strings.ToLower(upper.ReplaceAllString(k, "_$0"))] = v
	}
	return &out
}

// The request bodies, one per route (see decode).
type (
	registerRequest struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	loginRequest struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	refreshRequest struct {
		RefreshToken string `json:"refresh_token"`
	}
	changePasswordRequest struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	logoutRequest struct {
		Scope string `json:"scope,omitempty"`
	}
)

func handleRegister(svc *auth.Service, log *slog.Logger) http.Handler {
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[registerRequest](r)
		if err != nil {
			return err
		}
		pair, err := svc.Register(r.Context(), auth.RegisterInput{Name: in.Name, Email: in.Email, Password: in.Password})
		if err != nil {
			return err
		}
		writeTokens(w, http.StatusCreated, pair)
		return nil
	})
}

func handleLoginJSON(svc *auth.Service, log *slog.Logger) http.Handler {
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[loginRequest](r)
		if err != nil {
			return err
		}
		pair, err := svc.Login(r.Context(), in.Email, in.Password)
		if err != nil {
			return err
		}
		writeTokens(w, http.StatusOK, pair)
		return nil
	})
}

// handleLoginForm is the OAuth2 password flow: a form with username (the
// email) and password. A JSON body is taken too, as login/json.
func handleLoginForm(svc *auth.Service, log *slog.Logger) http.Handler {
	asJSON := handleLoginJSON(svc, log)
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		ct := r.Header.Get("Content-Type")
		if isJSON(ct) {
			asJSON.ServeHTTP(w, r)
			return nil
		}
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/x-www-form-urlencoded" {
			return problem(auth.CodeUnsupportedMediaType, "Content-Type must be application/x-www-form-urlencoded or application/json")
		}
		b, err := readBody(r)
		if err != nil {
			return err
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return problem(auth.CodeBadRequest, "Request body is not a valid form")
		}
		p := auth.Problems{}
		in := loginRequest{Email: form.Get("username"), Password: form.Get("password")}
		if in.Email == "" {
			p.Add("username", "Field required")
		}
		if in.Password == "" {
			p.Add("password", "Field required")
		}
		if gt := form.Get("grant_type"); gt != "" && gt != "password" {
			p.Add("grant_type", "Must be \"password\"")
		}
		if err := p.Err(); err != nil {
			return err
		}
		pair, err := svc.Login(r.Context(), in.Email, in.Password)
		if err != nil {
			return restFields(err, map[string]string{"email": "username"})
		}
		writeTokens(w, http.StatusOK, pair)
		return nil
	})
}

func handleRefresh(svc *auth.Service, log *slog.Logger) http.Handler {
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[refreshRequest](r)
		if err != nil {
			return err
		}
		pair, err := svc.Refresh(r.Context(), in.RefreshToken)
		if err != nil {
			return err
		}
		writeTokens(w, http.StatusOK, pair)
		return nil
	})
}

func handleMe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr := Principal(r.Context()) // requireAuth admitted it
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, userJSON(pr.User))
	})
}

func handleChangePassword(svc *auth.Service, log *slog.Logger) http.Handler {
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		pr := Principal(r.Context())                  // requireAuth admitted it
		if err := svc.CheckVerified(pr); err != nil { // REQUIRE_EMAIL_VERIFICATION
			return err
		}
		in, err := decode[changePasswordRequest](r)
		if err != nil {
			return err
		}
		if err := svc.ChangePassword(r.Context(), pr, in.CurrentPassword, in.NewPassword); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, successResponse{Success: true, Message: "Password changed successfully"})
		return nil
	})
}

func handleLogout(svc *auth.Service, log *slog.Logger) http.Handler {
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		pr := Principal(r.Context()) // requireAuth admitted it
		in, err := decode[logoutRequest](r)
		if err != nil {
			return err
		}
		if err := svc.Logout(r.Context(), pr, auth.LogoutScope(strings.ToUpper(in.Scope))); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, successResponse{Success: true, Message: "Successfully logged out"})
		return nil
	})
}
