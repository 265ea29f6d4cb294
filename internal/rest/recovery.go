package rest

import (
	"log/slog"
	"net/http"

	"gqlauth/internal/auth"
)

// The email flows of contract §9: each answers {"success": true, "message"}.

func handleForgotPassword(svc *auth.Service, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := decodeObject(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		p := auth.Problems{}
		email := body.str(p, "email")
		if err := p.Err(); err != nil {
			writeError(w, r, log, err)
			return
		}
		if err := svc.ForgotPassword(r.Context(), email); err != nil {
			writeError(w, r, log, restFields(err, nil))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, successResponse{Success: true,
			Message: "If an account with that email exists, a password reset link has been sent"})
	})
}

func handleResetPassword(svc *auth.Service, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := decodeObject(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		p := auth.Problems{}
		token, next := body.str(p, "token"), body.str(p, "new_password")
		if err := p.Err(); err != nil {
			writeError(w, r, log, err)
			return
		}
		if err := svc.ResetPassword(r.Context(), token, next); err != nil {
			writeError(w, r, log, restFields(err, nil))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, successResponse{Success: true, Message: "Password has been reset"})
	})
}

func handleVerifyEmail(svc *auth.Service, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := decodeObject(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		p := auth.Problems{}
		token := body.str(p, "token")
		if err := p.Err(); err != nil {
			writeError(w, r, log, err)
			return
		}
		if err := svc.VerifyEmail(r.Context(), token); err != nil {
			writeError(w, r, log, restFields(err, nil))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, successResponse{Success: true, Message: "Email verified"})
	})
}

// handleResendVerification takes no body; one sent anyway must still be a
// JSON object (or empty), as on logout.
func handleResendVerification(svc *auth.Service, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr := Principal(r.Context()) // requireAuth admitted it
		if _, err := decodeObject(r); err != nil {
			writeError(w, r, log, err)
			return
		}
		if err := svc.ResendVerification(r.Context(), pr); err != nil {
			writeError(w, r, log, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, successResponse{Success: true, Message: "A verification link is on its way unless the email is already verified"})
	})
}
