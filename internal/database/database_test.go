package database_test

import (
	"testing"

	"gqlauth/internal/database"
)

func TestDatabaseURLs(t *testing.T) {
	cases := []struct{ url, driver, dsn string }{
		{"sqlite://gqlauth.db", "sqlite3", "gqlauth.db"},
		{"sqlite:///var/lib/gqlauth/db.sqlite", "sqlite3", "/var/lib/gqlauth/db.sqlite"},
		{"postgres://u@h/db", "pgx", "postgres://u@h/db"},
		{"postgresql://u@h/db", "pgx", "postgresql://u@h/db"},
	}
	for _, c := range cases {
		driver, dsn, err := database.ParseURL(c.url)
		if err != nil || driver != c.driver || dsn != c.dsn {
			t.Errorf("%s → %s %s %v", c.url, driver, dsn, err)
		}
	}
	if _, _, err := database.ParseURL("sqlite://"); err == nil {
		t.Error("empty sqlite path accepted")
	}
}
