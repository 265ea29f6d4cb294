package database

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// PrepareSQLiteFile gets the SQLite database at path ready to be opened:
// its directory is created (0700) when missing, and the file itself is
// created empty with mode 0600 whatever the umask, before SQLite opens it;
// SQLite then gives its -wal and -shm files the database file's mode. An
// existing database file (or -wal, -shm) that group or others may access is
// tightened to 0600, and returned in tightened so the caller can say so; one
// owned by another user is refused, naming it.
func PrepareSQLiteFile(path string) (tightened []string, err error) {
	if dir := filepath.Dir(path); dir != "." {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("creating the directory %s for the SQLite database %s: %w", dir, path, errors.Unwrap(err))
			}
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		defer f.Close()
		if err := f.Chmod(0o600); err != nil {
			return nil, fmt.Errorf("database file %s: %w", path, err)
		}
		return nil, nil
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("creating the database file %s: %w", path, errors.Unwrap(err))
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) && p != path {
			continue
		}
		if err != nil {
			return tightened, fmt.Errorf("database file %s: %w", p, errors.Unwrap(err))
		}
		if !info.Mode().IsRegular() {
			return tightened, fmt.Errorf("database file %s is not a regular file", p)
		}
		if uid, ok := FileOwner(info); ok && uid != os.Geteuid() {
			return tightened, fmt.Errorf("database file %s is owned by user %d, not by this user (%d): it may have been planted; check it, then chown it or move it away", p, uid, os.Geteuid())
		}
		if info.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, info.Mode().Perm()&0o700); err != nil {
				return tightened, fmt.Errorf("database file %s has mode %04o and cannot be made private: %w", p, info.Mode().Perm(), err)
			}
			tightened = append(tightened, fmt.Sprintf("%s (was %04o)", p, info.Mode().Perm()))
		}
	}
	return tightened, nil
}
