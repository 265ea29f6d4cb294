package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/golang-jwt/jwt/v5"

	"gqlauth/internal/auth"
	"gqlauth/internal/config"
	"gqlauth/internal/database"
	"gqlauth/internal/keys"
	"gqlauth/internal/password"
)

// floor is the bare server the product is measured against: stdlib net/http,
// golang-jwt with the product's key and parser rules, and one prepared
// database/sql statement on the same database with the same pool sizes (on
// SQLite, writes on one writer connection, as SQLite advises for WAL). It
// answers the same routes as the product, so the same client code drives it.
type floor struct {
	base    string
	db      *sql.DB
	wdb     *sql.DB // SQLite: the one writer connection; else db
	me      *sql.Stmt
	rotate  *sql.Stmt
	key     any         // signs: the HMAC secret or the first private key
	kid     string      // the signing key's id, as the product names it
	keyfunc jwt.Keyfunc // verifies, by kid, as the product does
	method  jwt.SigningMethod
	issuer  string
	access  time.Duration
	refresh time.Duration
	parser  *jwt.Parser
	srv     *http.Server
	writeMu sync.Mutex
}

type floorClaims struct {
	Type      string `json:"type"`
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

const floorMeSQL = `SELECT id, name, email, role, is_active, created_at, updated_at FROM users WHERE id = ?`

// floorRotateSQL is the product's rotation: one conditional UPDATE that only
// the holder of the current refresh token wins.
const floorRotateSQL = `UPDATE sessions SET previous_refresh_jti = ?, rotated_at = ?, refresh_jti = ?,
	refresh_issued_at = ?, expires_at = ?, last_used_at = ?
	WHERE id = ? AND user_id = ? AND refresh_jti = ? AND revoked_at IS NULL
	AND expires_at > ? AND absolute_expires_at > ?`

func startFloor(ctx context.Context, cfg *config.Config) (*floor, error) {
	driver, dsn, err := database.ParseURL(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if driver == "sqlite3" {
		dsn = database.SQLiteDSN(dsn)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	if cfg.DBMaxOpen > 0 {
		db.SetMaxOpenConns(cfg.DBMaxOpen)
	}
	if cfg.DBMaxIdle > 0 {
		db.SetMaxIdleConns(cfg.DBMaxIdle)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	set, err := floorKeys(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	kid, key := set.SigningKey()
	// SQLite's advice for WAL, and what the product does: one writer
	// connection beside the read pool.
	wdb := db
	if driver == "sqlite3" {
		if wdb, err = sql.Open(driver, dsn); err != nil {
			db.Close()
			return nil, err
		}
		wdb.SetMaxOpenConns(1)
		wdb.SetMaxIdleConns(1)
	}
	f := &floor{
		db: db, wdb: wdb, key: key, kid: kid, keyfunc: set.Keyfunc, method: set.Method(), issuer: cfg.Issuer,
		access: cfg.AccessTTL, refresh: cfg.RefreshTTL,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{set.Algorithm()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuer(cfg.Issuer),
		),
	}
	if f.me, err = db.PrepareContext(ctx, placeholders(driver, floorMeSQL)); err != nil {
		db.Close()
		return nil, err
	}
	if f.rotate, err = wdb.PrepareContext(ctx, placeholders(driver, floorRotateSQL)); err != nil {
		f.closeDBs()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.closeDBs()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/auth/me", f.handleMe)
	mux.HandleFunc("POST /api/auth/refresh", f.handleRefresh(false))
	// The same with writes serialized in-process: SQLite has one writer, and
	// writers that queue in Go do not sleep in SQLite's busy handler.
	mux.HandleFunc("POST /serial/api/auth/refresh", f.handleRefresh(true))
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	f.base = "http://" + ln.Addr().String()
	return f, nil
}

func (f *floor) close() {
	_ = f.srv.Close()
	f.closeDBs()
}

func (f *floor) closeDBs() {
	_ = f.db.Close()
	if f.wdb != f.db {
		_ = f.wdb.Close()
	}
}

// placeholders turns ? into $1, $2, … for PostgreSQL.
func placeholders(driver, q string) string {
	if driver == "sqlite3" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (f *floor) parse(raw, typ string) (*floorClaims, int, bool) {
	var c floorClaims
	_, err := f.parser.ParseWithClaims(raw, &c, f.keyfunc)
	if err != nil || c.Type != typ || c.SessionID == "" || c.ID == "" {
		return nil, 0, false
	}
	uid, err := strconv.Atoi(c.Subject)
	return &c, uid, err == nil && uid > 0
}

type floorUser struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	IsActive  bool      `json:"is_active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (f *floor) handleMe(w http.ResponseWriter, r *http.Request) {
	raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	_, uid, ok := f.parse(raw, auth.TokenAccess)
	if !ok {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	var u floorUser
	err := f.me.QueryRowContext(r.Context(), uid).Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.IsActive, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeFloorJSON(w, u)
}

func (f *floor) handleRefresh(serial bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { f.refreshOnce(w, r, serial) }
}

func (f *floor) refreshOnce(w http.ResponseWriter, r *http.Request, serial bool) {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || json.Unmarshal(body, &in) != nil {
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return
	}
	c, uid, ok := f.parse(in.RefreshToken, auth.TokenRefresh)
	if !ok {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	jti, accessJTI := newID(), newID()
	if serial {
		f.writeMu.Lock()
	}
	res, err := f.rotate.ExecContext(r.Context(),
		c.ID, now, jti, now, now.Add(f.refresh), now,
		c.SessionID, uid, c.ID, now, now)
	if serial {
		f.writeMu.Unlock()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		http.Error(w, `{"error":"refresh token already used"}`, http.StatusUnauthorized)
		return
	}
	access, err1 := f.sign(auth.TokenAccess, c.Subject, c.SessionID, accessJTI, now, now.Add(f.access))
	refresh, err2 := f.sign(auth.TokenRefresh, c.Subject, c.SessionID, jti, now, now.Add(f.refresh))
	if err := errors.Join(err1, err2); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeFloorJSON(w, map[string]string{"access_token": access, "refresh_token": refresh})
}

// floorKeys are the product's keys: SECRET_KEY for HS*, JWT_KEYS otherwise.
func floorKeys(cfg *config.Config) (*keys.Set, error) {
	if !cfg.Asymmetric() {
		return keys.NewHMAC(cfg.SecretKey, cfg.Algorithm)
	}
	return keys.Parse(cfg.JWTKeys, cfg.Algorithm)
}

func (f *floor) sign(typ, sub, sid, jti string, iat, exp time.Time) (string, error) {
	tok := jwt.NewWithClaims(f.method, floorClaims{
		Type: typ, SessionID: sid,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: f.issuer, Subject: sub, ID: jti,
			IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(exp),
		},
	})
	tok.Header["kid"] = f.kid
	return tok.SignedString(f.key)
}

func writeFloorJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashOp is the bare hash floor: one argon2id hash with the product's
// parameters, as a login verifies one.
func hashOp(*worker) error {
	_, err := argon2id.CreateHash("correct horse battery staple", password.Argon2Params)
	return err
}
