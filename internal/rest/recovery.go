package rest

import (
	"log/slog"
	"net/http"

	"gqlauth/internal/auth"
)

// The email flows of contract §9: each answers {"success": true, "message"}.

type (
	forgotPasswordRequest struct {
		Email string `json:"email"`
	}
	resetPasswordRequest struct {
		Token       string `json:"token"`
		NewPassword string `json:"new_password"`
	}
	verifyEmailRequest struct {
		Token string `json:"token"`
	}
)

// succeed writes the flows' uncached {"success": true, "message"}.
func succeed(w http.ResponseWriter, msg string) error {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, successResponse{Success: true, Message: msg})
	return nil
}

func handleForgotPassword(svc *auth.Service, log *slog.Logger) http.Handler {
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[forgotPasswordRequest](r)
		if err != nil {
			return err
		}
		if err := svc.ForgotPassword(r.Context(), in.Email); err != nil {
			return err
		}
		return succeed(w, "If an account with that email exists, a password reset link has been sent")
	})
}

func handleResetPassword(svc *auth.Service, log *slog.Logger) http.Handler {
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[resetPasswordRequest](r)
		if err != nil {
			return err
		}
		if err := svc.ResetPassword(r.Context(), in.Token, in.NewPassword); err != nil {
			return err
		}
		return succeed(w, "Password has been reset")
	})
}

func handleVerifyEmail(svc *auth.Service, log *slog.Logger) http.Handler {
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[verifyEmailRequest](r)
		if err != nil {
			return err
		}
		if err := svc.VerifyEmail(r.Context(), in.Token); err != nil {
			return err
		}
		return succeed(w, "Email verified")
	})
}

// handleResendVerification takes no body; one sent anyway must still be a
// JSON object (or empty), as on logout.
func handleResendVerification(svc *auth.Service, log *slog.Logger) http.Handler {
	return serve(log, func(w http.ResponseWriter, r *http.Request) error {
		pr := Principal(r.Context()) // requireAuth admitted it
		if _, err := decode[struct{}](r); err != nil {
			return err
		}
		if err := svc.ResendVerification(r.Context(), pr); err != nil {
			return err
		}
		return succeed(w, "A verification link is on its way unless the email is already verified")
	})
}
