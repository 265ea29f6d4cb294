package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"gqlauth/internal/database"
)

// KeysFile is where the development JWK Set for ALGORITHM is kept when
// JWT_KEYS is not set: beside the SQLite file, one file per algorithm.
func (c *Config) KeysFile() string {
	_, path, _ := database.ParseURL(c.DatabaseURL)
	return path + ".jwks-" + strings.ToLower(c.Algorithm) + ".json"
}

// EnsurePrivateFile returns the content of the key file at path, first
// creating it from generate with mode 0600 when it does not exist. An
// existing file is read with ReadPrivateFile's checks. what names the file
// in errors ("key file", "development secret").
func EnsurePrivateFile(path, what string, generate func() ([]byte, error)) (data []byte, created bool, err error) {
	data, err = ReadPrivateFile(path, what)
	if err == nil {
		return data, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	data, err = generate()
	if err != nil {
		return nil, false, err
	}
	if err := WritePrivateFile(path, data); err != nil {
		return nil, false, fmt.Errorf("writing %s %s: %w", what, path, err)
	}
	return data, true, nil
}

// WritePrivateFile creates path, which must not exist (a file or link
// planted there is not followed), with mode 0600 whatever the umask, and
// writes data to it.
func WritePrivateFile(path string, data []byte) error {
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	// The umask can only take bits away; Chmod makes the mode exact.
	if err := w.Chmod(0o600); err != nil {
		w.Close()
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// ReadPrivateFile reads a file holding a secret (a signing key, the
// development secret), up to 1 MiB. A file that group or others may read or
// write, or that another user owns, is refused with an error naming it: the
// secret may have been read, or planted. A missing file is an error
// wrapping fs.ErrNotExist.
func ReadPrivateFile(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s %s does not exist: %w", what, path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("reading %s %s: %w", what, path, errors.Unwrap(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, path, err)
	}
	if err := CheckPrivate(path, what, info); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, path, err)
	}
	if len(b) > 1<<20 {
		return nil, fmt.Errorf("%s %s is larger than 1 MiB", what, path)
	}
	return b, nil
}

// CheckPrivate refuses a file (info is its Stat) that is not a regular
// file, that group or others may read or write, or that another user owns.
func CheckPrivate(path, what string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s %s is not a regular file", what, path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s %s has mode %04o: group or others may read or change it; run chmod 600 %s (and make a new key if others could read it)", what, path, perm, path)
	}
	if uid, ok := database.FileOwner(info); ok && uid != os.Geteuid() {
		return fmt.Errorf("%s %s is owned by user %d, not by this user (%d): it may have been planted; check it, then chown it or delete it", what, path, uid, os.Geteuid())
	}
	return nil
}
