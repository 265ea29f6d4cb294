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

// createAdmin creates an ADMIN user or promotes an existing one. The
// password comes from ADMIN_PASSWORD or, on a terminal, a prompt; it is
// never a flag, so it stays out of shell history and process lists.
func createAdmin(ctx context.Context, e env, args []string) error {
	fs := flags(e, "create-admin", "create-admin --email E --name N")
	email := fs.String("email", "", "the admin's email (required)")
	name := fs.String("name", "", "the admin's name (required when creating)")
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" {
		fmt.Fprintln(e.stderr, "--email is required")
		fs.Usage()
		return errUsage
	}
	d, err := load(ctx, e)
	if err != nil {
		return err
	}
	defer d.Close()

	password := e.getenv("ADMIN_PASSWORD")
	u, created, err := d.svc.CreateAdmin(ctx, *email, *name, password)
	var svcErr *auth.Error
	if errors.As(err, &svcErr) && svcErr.Code == auth.CodeValidation && password == "" {
		// A new user needs a password: ask for it on a terminal.
		if password, err = promptPassword(e); err != nil {
			return err
		}
		u, created, err = d.svc.CreateAdmin(ctx, *email, *name, password)
	}
	if err != nil {
		return describe(err)
	}
	if created {
		fmt.Fprintf(e.stdout, "created admin %s (id %d)\n", u.Email, u.ID)
	} else {
		fmt.Fprintf(e.stdout, "promoted %s (id %d) to admin\n", u.Email, u.ID)
	}
	return nil
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
