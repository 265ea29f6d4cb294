// Package config reads gqlauth's settings from the environment (and an optional
// .env file) and validates them, naming the variable at fault.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"

	"gqlauth/internal/database"
)

// MinSecretBytes is the shortest SECRET_KEY accepted (the contract's rule).
const MinSecretBytes = 32

// Config is every setting of the program. Durations are already converted from
// the units the variables are given in.
type Config struct {
	SecretKey       []byte
	SecretGenerated bool // no SECRET_KEY was given; see EnsureSecret
	Algorithm       string
	Issuer          string
	AccessTTL       time.Duration
	RefreshTTL      time.Duration
	ReuseInterval   time.Duration
	SessionMaxAge   time.Duration

	// Algorithm is "" when JWT_KEYS is set without ALGORITHM: the keys say.
	JWTKeys  string // JWT_KEYS as given: a JWK Set, or "@/path/to/file.json"
	Audience string // JWT_AUDIENCE; "" for none

	DatabaseURL  string
	DBMaxOpen    int
	DBMaxIdle    int
	Port         int
	Host         string
	CORSOrigins  []string
	MaxBodyBytes int64

	Playground    bool
	Introspection bool
	Docs          bool
	Metrics       bool
	// MetricsToken, when set, is the bearer token /metrics asks for;
	// MetricsAddr, when set, is the separate listener that serves it (and
	// then the public port does not). Neither: /metrics is not served.
	MetricsToken string
	MetricsAddr  string

	GraphQLMaxDepth      int
	GraphQLMaxComplexity int
	GraphQLMaxTokens     int
	GraphQLMaxAuthFields int
	// GraphQLMaxFields and GraphQLMaxIntrospectionCost: see graph.Limits.
	GraphQLMaxFields            int
	GraphQLMaxIntrospectionCost int

	RedisURL              string
	LoginIPLimit          int
	LoginIPWindow         time.Duration
	LoginIPFailureLimit   int
	LoginIPFailureWindow  time.Duration
	LoginFailureLimit     int
	LoginFailureWindow    time.Duration
	LoginLockoutThreshold int
	LoginLockoutWindow    time.Duration
	RegisterIPLimit       int
	RegisterIPWindow      time.Duration
	RefreshIPLimit        int
	RefreshIPWindow       time.Duration
	// Change- and reset-password attempts (each costs hashes).
	PasswordIPLimit    int
	PasswordIPWindow   time.Duration
	PasswordUserLimit  int
	PasswordUserWindow time.Duration
	TrustedProxies     []netip.Prefix

	HashConcurrency int
	HashQueueSize   int
	HashQueueWait   time.Duration

	LogFormat string
	LogLevel  string

	ShutdownTimeout time.Duration
	RequestTimeout  time.Duration

	// Email (contract §9); see mail.go.
	Mail Mail

	fromDotEnv func(string) bool
}

// Invalid is how an error about variable name begins: "invalid NAME", with
// " (from .env)" when the value was read from the .env file.
func (c *Config) Invalid(name string) string {
	if c.fromDotEnv != nil && c.fromDotEnv(name) {
		return "invalid " + name + " (from .env)"
	}
	return "invalid " + name
}

// Load reads the configuration. Variables come from getenv first, then from
// a .env file in the working directory when one exists. A value that is
// present but invalid is an error naming the variable (and .env, when it
// came from there).
func Load(getenv func(string) string) (*Config, error) {
	return load(getenv, true)
}

// LoadForTool reads the configuration as Load does, for commands that sign
// nothing (migrate, create-admin): every value given is still checked, but
// SECRET_KEY and JWT_KEYS are not required, whatever the database.
func LoadForTool(getenv func(string) string) (*Config, error) {
	return load(getenv, false)
}

// Defaults is the configuration with no variable set and no .env file read:
// the contract's defaults, as the tests build their services with.
func Defaults() *Config {
	c, err := parse(func(string) string { return "" }, nil, false)
	if err != nil {
		panic(err)
	}
	return c
}

func load(getenv func(string) string, signs bool) (*Config, error) {
	dotenv, err := readDotEnv(".env")
	if err != nil {
		return nil, err
	}
	return parse(getenv, dotenv, signs)
}

func parse(getenv func(string) string, dotenv map[string]string, signs bool) (*Config, error) {
	r := reader{get: func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return dotenv[name]
	}, fromDotEnv: func(name string) bool {
		return getenv(name) == "" && dotenv[name] != ""
	}}

	c := &Config{
		Algorithm:             r.oneOf("ALGORITHM", "HS256", "HS256", "HS384", "HS512", "EdDSA", "ES256", "RS256"),
		JWTKeys:               strings.TrimSpace(r.get("JWT_KEYS")),
		Audience:              r.str("JWT_AUDIENCE", ""),
		Issuer:                r.str("JWT_ISSUER", "gqlauth"),
		AccessTTL:             r.bounded("ACCESS_TOKEN_EXPIRE_MINUTES", 30, 1, 7*24*60, time.Minute),
		RefreshTTL:            r.bounded("REFRESH_TOKEN_EXPIRE_DAYS", 7, 1, 3650, 24*time.Hour),
		ReuseInterval:         r.bounded("REFRESH_REUSE_INTERVAL", 10, 0, 3600, time.Second),
		SessionMaxAge:         r.bounded("SESSION_MAX_DAYS", 30, 1, 3650, 24*time.Hour),
		DatabaseURL:           r.str("DATABASE_URL", "sqlite://gqlauth.db"),
		DBMaxOpen:             r.count("DB_MAX_OPEN_CONNS", 16),
		DBMaxIdle:             r.count("DB_MAX_IDLE_CONNS", 16),
		Port:                  r.port("PORT", 8080),
		Host:                  r.str("HOST", ""),
		CORSOrigins:           r.list("CORS_ORIGINS"),
		MaxBodyBytes:          int64(r.count("MAX_BODY_BYTES", 64<<10)),
		Playground:            r.boolean("PLAYGROUND_ENABLED", true),
		Introspection:         r.boolean("INTROSPECTION_ENABLED", true),
		Docs:                  r.boolean("DOCS_ENABLED", true),
		Metrics:               r.boolean("METRICS_ENABLED", true),
		GraphQLMaxDepth:       r.count("GRAPHQL_MAX_DEPTH", 16),
		GraphQLMaxComplexity:  r.count("GRAPHQL_MAX_COMPLEXITY", 1000),
		GraphQLMaxTokens:      r.count("GRAPHQL_MAX_TOKENS", 2000),
		GraphQLMaxAuthFields:  r.count("GRAPHQL_MAX_AUTH_FIELDS", 5),
		RedisURL:              r.str("REDIS_URL", ""),
		LoginIPLimit:          r.count("LOGIN_IP_LIMIT", 1000),
		LoginIPWindow:         r.positive("LOGIN_IP_WINDOW_SECONDS", 60, time.Second),
		LoginIPFailureLimit:   r.count("LOGIN_IP_FAILURE_LIMIT", 100),
		LoginIPFailureWindow:  r.positive("LOGIN_IP_FAILURE_WINDOW_SECONDS", 900, time.Second),
		LoginFailureLimit:     r.count("LOGIN_FAILURE_LIMIT", 5),
		LoginFailureWindow:    r.positive("LOGIN_FAILURE_WINDOW_SECONDS", 900, time.Second),
		LoginLockoutThreshold: r.count("LOGIN_LOCKOUT_THRESHOLD", 100),
		LoginLockoutWindow:    r.positive("LOGIN_LOCKOUT_HOURS", 24, time.Hour),
		RegisterIPLimit:       r.count("REGISTER_IP_LIMIT", 1000),
		RegisterIPWindow:      r.positive("REGISTER_IP_WINDOW_SECONDS", 3600, time.Second),
		RefreshIPLimit:        r.count("REFRESH_IP_LIMIT", 600),
		RefreshIPWindow:       r.positive("REFRESH_IP_WINDOW_SECONDS", 60, time.Second),
		TrustedProxies:        r.prefixes("TRUSTED_PROXIES"),
		HashConcurrency:       r.count("HASH_CONCURRENCY", runtime.NumCPU()),
		HashQueueSize:         r.count("HASH_QUEUE_SIZE", 1024),
		HashQueueWait:         r.positive("HASH_QUEUE_WAIT_MS", 5000, time.Millisecond),
		LogFormat:             r.oneOf("LOG_FORMAT", "text", "text", "json"),
		LogLevel:              r.oneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		ShutdownTimeout:       r.positive("SHUTDOWN_TIMEOUT_SECONDS", 15, time.Second),
		RequestTimeout:        r.positive("REQUEST_TIMEOUT_SECONDS", 8, time.Second),
	}
	c.fromDotEnv = r.fromDotEnv
	c.Mail = r.mail()
	c.PasswordIPLimit = r.count("PASSWORD_IP_LIMIT", 100)
	c.PasswordIPWindow = r.positive("PASSWORD_IP_WINDOW_SECONDS", 900, time.Second)
	c.PasswordUserLimit = r.count("PASSWORD_USER_LIMIT", 10)
	c.PasswordUserWindow = r.positive("PASSWORD_USER_WINDOW_SECONDS", 900, time.Second)
	c.MetricsToken, c.MetricsAddr = r.metricsAccess()
	// The GraphQL walk's other limits (graph.Limits).
	c.GraphQLMaxFields = r.count("GRAPHQL_MAX_FIELDS", 500)
	c.GraphQLMaxIntrospectionCost = r.count("GRAPHQL_MAX_INTROSPECTION_COST", 100000)
	if s := r.get("SECRET_KEY"); s != "" {
		if len(s) < MinSecretBytes {
			r.fail("SECRET_KEY", fmt.Sprintf("must be at least %d bytes long, got %d", MinSecretBytes, len(s)))
		}
		c.SecretKey = []byte(s)
	} else {
		c.SecretGenerated = true
	}
	if c.HashConcurrency < 1 {
		r.fail("HASH_CONCURRENCY", "must be at least 1")
	}
	if c.MaxBodyBytes < 1024 {
		r.fail("MAX_BODY_BYTES", "must be at least 1024")
	}
	driver, _, err := database.ParseURL(c.DatabaseURL)
	if err != nil {
		r.fail("DATABASE_URL", err.Error())
	}
	for _, o := range c.CORSOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			r.fail("CORS_ORIGINS", fmt.Sprintf("%q is not an origin such as https://app.example.com", o))
		}
	}
	r.signingKeys(c, driver, signs)
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	return c, nil
}

// MinMetricsTokenBytes is the shortest METRICS_TOKEN accepted.
const MinMetricsTokenBytes = 16

// metricsAccess reads METRICS_TOKEN and METRICS_ADDR: how /metrics is
// reached. The token travels in a header, so it is printable ASCII without
// spaces; the address is host:port (port 0: any free port).
func (r *reader) metricsAccess() (token, addr string) {
	token = strings.TrimSpace(r.get("METRICS_TOKEN"))
	if token != "" {
		switch {
		case len(token) < MinMetricsTokenBytes:
			r.fail("METRICS_TOKEN", fmt.Sprintf("must be at least %d characters long, got %d", MinMetricsTokenBytes, len(token)))
			token = ""
		case len(token) > 1024:
			r.fail("METRICS_TOKEN", "must be at most 1024 characters long")
			token = ""
		case strings.IndexFunc(token, func(c rune) bool { return c <= ' ' || c > '~' }) >= 0:
			r.fail("METRICS_TOKEN", "must be printable ASCII without spaces")
			token = ""
		}
	}
	addr = strings.TrimSpace(r.get("METRICS_ADDR"))
	if addr != "" {
		_, port, err := net.SplitHostPort(addr)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 0 || n > 65535 {
			r.fail("METRICS_ADDR", fmt.Sprintf("%q is not host:port such as 127.0.0.1:9090", addr))
			addr = ""
		}
	}
	return token, addr
}

// signingKeys checks that ALGORITHM, JWT_KEYS and SECRET_KEY fit together:
// the HS algorithms sign with SECRET_KEY, the others with JWT_KEYS (taking
// the algorithm from the keys when ALGORITHM is not set). With PostgreSQL
// the keys must be given, so every instance signs alike; on SQLite a missing
// one is generated beside the database file. The JWK Set itself is parsed
// by the keys package at start, before any connection.
// Without signs (a tool), a missing key is no error.
func (r *reader) signingKeys(c *Config, driver string, signs bool) {
	if strings.TrimSpace(r.get("ALGORITHM")) == "" && c.JWTKeys != "" {
		c.Algorithm = ""
	}
	if c.Asymmetric() {
		if c.JWTKeys == "" && driver == "pgx" && signs {
			r.fail("JWT_KEYS", fmt.Sprintf("is required with ALGORITHM=%s and a PostgreSQL DATABASE_URL, so every instance signs with the same keys (make one with `gqlauth keys generate --alg %s`)", c.Algorithm, c.Algorithm))
		}
		return
	}
	if c.JWTKeys != "" {
		r.fail("JWT_KEYS", fmt.Sprintf("is set, but ALGORITHM=%s signs with SECRET_KEY; set ALGORITHM to EdDSA, ES256 or RS256 to sign with JWT_KEYS", c.Algorithm))
	}
	if c.SecretGenerated && driver == "pgx" && signs {
		r.fail("SECRET_KEY", "is required with a PostgreSQL DATABASE_URL, so every instance signs with the same key")
	}
}

// Asymmetric reports whether tokens are signed with JWT_KEYS (EdDSA, ES256,
// RS256) rather than SECRET_KEY.
func (c *Config) Asymmetric() bool {
	switch c.Algorithm {
	case "", "EdDSA", "ES256", "RS256":
		return true
	}
	return false
}

// IsSQLite reports whether DATABASE_URL names an SQLite file.
func (c *Config) IsSQLite() bool {
	driver, _, _ := database.ParseURL(c.DatabaseURL)
	return driver == "sqlite3"
}

func readDotEnv(path string) (map[string]string, error) {
	m, err := godotenv.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return m, nil
}

// reader parses variables and collects every problem, so one start reports
// all bad variables at once.
type reader struct {
	get        func(string) string
	fromDotEnv func(string) bool // the value of a variable came from .env
	errs       []error
}

func (r *reader) fail(name, msg string) {
	c := Config{fromDotEnv: r.fromDotEnv}
	r.errs = append(r.errs, fmt.Errorf("%s: %s", c.Invalid(name), msg))
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.get(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := r.str(name, def)
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	r.fail(name, fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (r *reader) integer(name string, def int, min int) int {
	v := strings.TrimSpace(r.get(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("%q is not a whole number", v))
		return def
	}
	if n < min {
		r.fail(name, fmt.Sprintf("must be at least %d, got %d", min, n))
		return def
	}
	return n
}

func (r *reader) count(name string, def int) int { return r.integer(name, def, 0) }

func (r *reader) positive(name string, def int, unit time.Duration) time.Duration {
	return time.Duration(r.integer(name, def, 1)) * unit
}

// bounded reads a whole number of units between lo and hi: large enough
// values would overflow a duration (and a token's expiry) silently.
func (r *reader) bounded(name string, def, lo, hi int, unit time.Duration) time.Duration {
	n := r.integer(name, def, lo)
	if n > hi {
		r.fail(name, fmt.Sprintf("must be at most %d, got %d", hi, n))
		return time.Duration(def) * unit
	}
	return time.Duration(n) * unit
}

func (r *reader) port(name string, def int) int {
	p := r.integer(name, def, 0)
	if p > 65535 {
		r.fail(name, fmt.Sprintf("must be at most 65535, got %d", p))
		return def
	}
	return p
}

func (r *reader) boolean(name string, def bool) bool {
	v := strings.TrimSpace(r.get(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("%q is not true or false", v))
		return def
	}
	return b
}

func (r *reader) list(name string) []string {
	var out []string
	for _, part := range strings.Split(r.get(name), ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range r.list(name) {
		if !strings.Contains(s, "/") {
			addr, err := netip.ParseAddr(s)
			if err != nil {
				r.fail(name, fmt.Sprintf("%q is not an IP address or CIDR", s))
				continue
			}
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			r.fail(name, fmt.Sprintf("%q is not an IP address or CIDR", s))
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}
