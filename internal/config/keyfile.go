package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// KeysFile is where the development JWK Set for ALGORITHM is kept when
// JWT_KEYS is not set: beside the SQLite file, one file per algorithm.
func (c *Config) KeysFile() string {
	_, path, _ := ParseDatabaseURL(c.DatabaseURL)
	return path + ".jwks-" + strings.ToLower(c.Algorithm) + ".json"
}

// EnsurePrivateFile returns the content of the key file at path, first
// creating it from generate with mode 0600 when it does not exist. An
// existing file that group or others may read or write, or that another
// user owns, is refused with an error naming it.
func EnsurePrivateFile(path string, generate func() ([]byte, error)) (data []byte, created bool, err error) {
	f, err := os.Open(path)
	if err == nil {
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return nil, false, fmt.Errorf("key file %s: %w", path, err)
		}
		if err := checkPrivate(path, info); err != nil {
			return nil, false, err
		}
		b, err := readAll(f, path)
		return b, false, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("key file %s: %w", path, err)
	}
	data, err = generate()
	if err != nil {
		return nil, false, err
	}
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("writing key file %s: %w", path, err)
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return nil, false, fmt.Errorf("writing key file %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return nil, false, fmt.Errorf("writing key file %s: %w", path, err)
	}
	return data, true, nil
}

func readAll(f *os.File, path string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("reading key file %s: %w", path, err)
	}
	if len(b) > 1<<20 {
		return nil, fmt.Errorf("key file %s is larger than 1 MiB", path)
	}
	return b, nil
}

// checkPrivate refuses a key file that others may read or write, or that
// another user owns.
func checkPrivate(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("key file %s has mode %04o: group and others may access it; run chmod 600 %s", path, perm, path)
	}
	if uid, ok := ownerOf(info); ok && uid != os.Geteuid() {
		return fmt.Errorf("key file %s is owned by user %d, not by this user (%d)", path, uid, os.Geteuid())
	}
	return nil
}
