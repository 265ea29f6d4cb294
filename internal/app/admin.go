package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"gqlauth/internal/auth"
)

// createAdmin creates an ADMIN user or, with --promote, promotes an
// existing one. The password comes from ADMIN_PASSWORD or, on a terminal, a
// prompt; it is never a flag, so it stays out of shell history and process
// lists. Without --promote an existing email is an error that changes
// nothing: whoever registered the address first must not become ADMIN by
// accident. With --promote the user keeps their password (ADMIN_PASSWORD
// is ignored) and every session they had is signed out.
func createAdmin(ctx context.Context, e env, args []string) error {
	fs := flags(e, "create-admin", "create-admin --email E --name N [--promote]")
	email := fs.String("email", "", "the admin's email (required)")
	name := fs.String("name", "", "the admin's name (required when creating)")
	promote := fs.Bool("promote", false, "if a user with this email exists, make them ADMIN: they keep their password\n(ADMIN_PASSWORD is ignored) and every session they had is signed out;\nwithout a user with this email, one is created as without --promote")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		w := fs.Output()
		fmt.Fprintln(w)
		fmt.Fprintln(w, "The password of a new admin comes from the ADMIN_PASSWORD environment variable or,")
		fmt.Fprintln(w, "on a terminal, a prompt. An email that is already registered is refused (exit 1,")
		fmt.Fprintln(w, "nothing changed) unless --promote is given: someone else may have registered it.")
		fmt.Fprintln(w, "The database is DATABASE_URL, read from the environment or .env as `serve` reads it.")
	}
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" {
		fmt.Fprintln(e.stderr, "--email is required")
		fs.Usage()
		return errUsage
	}
	// Bad input is reported before any prompt or connection.
	if err := auth.CheckAdminInput(*email, *name, !*promote); err != nil {
		return describe(err)
	}
	d, err := load(ctx, e, forAdmin)
	if err != nil {
		return err
	}
	defer d.Close()

	password := e.getenv("ADMIN_PASSWORD")
	if *promote {
		u, revoked, err := d.svc.PromoteAdmin(ctx, *email)
		if err == nil {
			if password != "" {
				fmt.Fprintln(e.stderr, "ADMIN_PASSWORD is ignored with --promote: the user keeps their password")
			}
			fmt.Fprintf(e.stdout, "promoted %s (id %d) to admin; signed out %d session(s)\n", u.Email, u.ID, revoked)
			return nil
		}
		if code := auth.ErrorOf(err).Code; code != auth.CodeNotFound {
			return describe(err)
		}
		// No such user: create one, which needs a name.
		if err := auth.CheckAdminInput(*email, *name, true); err != nil {
			return describe(err)
		}
	}
	u, _, err := d.svc.CreateAdmin(ctx, *email, *name, password)
	if password == "" && onlyField(err, "password") {
		// A new user needs a password: ask for it on a terminal.
		if password, err = promptPassword(e); err != nil {
			return err
		}
		u, _, err = d.svc.CreateAdmin(ctx, *email, *name, password)
	}
	if auth.ErrorOf(err).Code == auth.CodeConflict {
		return fmt.Errorf("a user with the email %s already exists; nothing was changed. "+
			"If that account is yours, run again with --promote: it becomes ADMIN, keeps its password, "+
			"and every session it had is signed out", auth.NormalizeEmail(*email))
	}
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(e.stdout, "created admin %s (id %d)\n", u.Email, u.ID)
	return nil
}

// onlyField reports whether err is a validation error about field alone.
func onlyField(err error, field string) bool {
	var e *auth.Error
	if !errors.As(err, &e) || e.Code != auth.CodeValidation || len(e.Fields) != 1 {
		return false
	}
	_, ok := e.Fields[field]
	return ok
}

func promptPassword(e env) (string, error) {
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("set ADMIN_PASSWORD (no terminal to prompt on)")
	}
	fmt.Fprint(e.stderr, "Password: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(e.stderr, "Repeat password: ")
	again, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", err
	}
	if string(b) != string(again) {
		return "", errors.New("passwords do not match")
	}
	return string(b), nil
}

// describe turns a validation error into a readable message.
func describe(err error) error {
	var e *auth.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for f, msgs := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f, strings.Join(msgs, ", "))
	}
	return errors.New(b.String())
}
