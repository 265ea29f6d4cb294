package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"gqlauth/internal/config"
	"gqlauth/internal/keys"
)

// loadKeys builds the signing keys: SECRET_KEY for the HS algorithms;
// JWT_KEYS for EdDSA, ES256 and RS256, or, without it on SQLite, a JWK Set
// generated once and kept beside the database file (mode 0600). Every
// error names the variable or the file at fault.
func loadKeys(cfg *config.Config, log *slog.Logger) (*keys.Set, error) {
	if !cfg.Asymmetric() {
		set, err := keys.NewHMAC(cfg.SecretKey, cfg.Algorithm)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Invalid("SECRET_KEY"), err)
		}
		return set, nil
	}
	if cfg.JWTKeys != "" {
		data := []byte(cfg.JWTKeys)
		if path, ok := strings.CutPrefix(cfg.JWTKeys, "@"); ok {
			// Private keys in a file: the file must be private too.
			b, err := config.ReadPrivateFile(path, "key file")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", cfg.Invalid("JWT_KEYS"), err)
			}
			data = b
		}
		if cfg.Algorithm == "" {
			var err error
			if cfg.Algorithm, err = keys.Infer(data); err != nil {
				return nil, fmt.Errorf("%s: %w", cfg.Invalid("JWT_KEYS"), err)
			}
		}
		set, err := keys.ParseJSON(data, cfg.Algorithm)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Invalid("JWT_KEYS"), err)
		}
		return set, nil
	}
	if !cfg.IsSQLite() {
		return nil, errors.New("invalid JWT_KEYS: is required with a PostgreSQL DATABASE_URL")
	}
	path := cfg.KeysFile()
	data, created, err := config.EnsurePrivateFile(path, "key file", func() ([]byte, error) { return keys.Generate(cfg.Algorithm) })
	if err != nil {
		return nil, err
	}
	set, err := keys.ParseJSON(data, cfg.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("development key file %s: %w; delete it or set JWT_KEYS", path, err)
	}
	verb := "using"
	if created {
		verb = "generated"
	}
	log.Warn(fmt.Sprintf("JWT_KEYS is not set: %s a development %s key; set JWT_KEYS in production", verb, cfg.Algorithm),
		slog.String("file", path), slog.String("kid", strings.Join(set.IDs(), ",")))
	return set, nil
}

// keysCommand is `gqlauth keys generate [--alg EdDSA|ES256|RS256]`: it
// prints a JWK Set holding one new private key, for JWT_KEYS.
func keysCommand(_ context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		w := e.stdout
		if len(args) == 0 {
			w = e.stderr
		}
		fmt.Fprintln(w, "Usage: gqlauth keys generate [--alg EdDSA|ES256|RS256]")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Subcommands:")
		fmt.Fprintln(w, "  generate      print a JWK Set with one new private key, for JWT_KEYS")
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	if args[0] != "generate" {
		fmt.Fprintf(e.stderr, "gqlauth keys: unknown subcommand %q (want generate)\n", args[0])
		return errUsage
	}
	fs := flags(e, "keys generate", "keys generate [--alg EdDSA|ES256|RS256]")
	alg := fs.String("alg", keys.EdDSA, "signing algorithm of the new key: EdDSA (Ed25519), ES256 (P-256) or RS256 (RSA 3072)")
	if err := parse(fs, e, args[1:]); err != nil {
		return err
	}
	name := ""
	for _, a := range keys.Asymmetric {
		if strings.EqualFold(a, *alg) {
			name = a
		}
	}
	if name == "" {
		fmt.Fprintf(e.stderr, "invalid --alg %q: want EdDSA, ES256 or RS256\n", *alg)
		return errUsage
	}
	out, err := keys.Generate(name)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", out)
	return err
}
