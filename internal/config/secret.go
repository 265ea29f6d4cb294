package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// SecretFile is where the development secret is kept: beside the SQLite file.
func (c *Config) SecretFile() string {
	_, path, _ := ParseDatabaseURL(c.DatabaseURL)
	return path + ".secret"
}

// EnsureSecret fills SecretKey when none was configured: it reads the
// development secret kept beside the SQLite file, or generates one and writes
// it there with mode 0600, so tokens survive a restart.
func (c *Config) EnsureSecret() error {
	if !c.SecretGenerated {
		return nil
	}
	path := c.SecretFile()
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < MinSecretBytes {
			return fmt.Errorf("development secret %s is shorter than %d bytes; delete it or set SECRET_KEY", path, MinSecretBytes)
		}
		c.SecretKey = []byte(s)
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading development secret: %w", err)
	}
	raw := make([]byte, 48)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	s := base64.RawURLEncoding.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing development secret: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("writing development secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing development secret: %w", err)
	}
	c.SecretKey = []byte(s)
	return nil
}
