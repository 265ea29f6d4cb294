package config

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"gqlauth/internal/database"
)

// SecretFile is where the development secret is kept: beside the SQLite file.
func (c *Config) SecretFile() string {
	_, path, _ := database.ParseURL(c.DatabaseURL)
	return path + ".secret"
}

// EnsureSecret fills SecretKey when none was configured: it reads the
// development secret kept beside the SQLite file, or generates one and writes
// it there with mode 0600, so tokens survive a restart. An existing file
// must be private (see ReadPrivateFile).
func (c *Config) EnsureSecret() error {
	if !c.SecretGenerated {
		return nil
	}
	path := c.SecretFile()
	b, _, err := EnsurePrivateFile(path, "development secret", func() ([]byte, error) {
		raw := make([]byte, 48)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		return []byte(base64.RawURLEncoding.EncodeToString(raw) + "\n"), nil
	})
	if err != nil {
		return err
	}
	s := strings.TrimSpace(string(b))
	if len(s) < MinSecretBytes {
		return fmt.Errorf("development secret %s is shorter than %d bytes; delete it or set SECRET_KEY", path, MinSecretBytes)
	}
	c.SecretKey = []byte(s)
	return nil
}
