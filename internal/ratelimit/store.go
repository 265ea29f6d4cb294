// Package ratelimit holds the auth.Limiter implementations: counters in the
// database (the default, shared by every instance on one PostgreSQL and
// surviving restarts) or in Redis.
package ratelimit

import (
	"context"
	"strconv"
	"time"

	"gqlauth/ent"
	"gqlauth/ent/ratelimit"
)

// windowKey names the fixed window of length w that contains now; counters
// are per window, so a new window starts from zero without a reset write.
func windowKey(key string, w time.Duration, now time.Time) (string, time.Time) {
	secs := int64(w / time.Second)
	if secs < 1 {
		secs = 1
	}
	start := now.Unix() / secs * secs
	return key + "@" + strconv.FormatInt(start, 10), time.Unix(start+secs, 0).UTC()
}

// Store keeps counters in the database, one row per key and window.
type Store struct {
	db  *ent.Client
	now func() time.Time
}

// NewStore returns a database-backed limiter; now is the clock (nil: time.Now).
func NewStore(db *ent.Client, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

// Hit implements auth.Limiter with one upsert and one read.
func (s *Store) Hit(ctx context.Context, key string, w time.Duration) (int, time.Time, error) {
	k, reset := windowKey(key, w, s.now())
	err := s.db.RateLimit.Create().
		SetKey(k).SetCount(1).SetExpiresAt(reset).
		OnConflictColumns(ratelimit.FieldKey).
		AddCount(1).
		Exec(ctx)
	if err != nil {
		return 0, reset, err
	}
	n, err := s.count(ctx, k)
	return n, reset, err
}

// Count implements auth.Limiter.
func (s *Store) Count(ctx context.Context, key string, w time.Duration) (int, time.Time, error) {
	k, reset := windowKey(key, w, s.now())
	n, err := s.count(ctx, k)
	return n, reset, err
}

func (s *Store) count(ctx context.Context, k string) (int, error) {
	rows, err := s.db.RateLimit.Query().Where(ratelimit.Key(k)).Select(ratelimit.FieldCount).Ints(ctx)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return rows[0], nil
}

// Reset implements auth.Limiter.
func (s *Store) Reset(ctx context.Context, key string, w time.Duration) error {
	k, _ := windowKey(key, w, s.now())
	_, err := s.db.RateLimit.Delete().Where(ratelimit.Key(k)).Exec(ctx)
	return err
}

// Undo implements auth.Limiter: one conditional decrement of the window
// that ends at resetAt, so it never goes below zero nor touches a later
// window.
func (s *Store) Undo(ctx context.Context, key string, w time.Duration, resetAt time.Time) error {
	k, _ := windowKey(key, w, resetAt.Add(-time.Nanosecond))
	_, err := s.db.RateLimit.Update().
		Where(ratelimit.Key(k), ratelimit.CountGT(0)).
		AddCount(-1).
		Save(ctx)
	return err
}

// Sweep deletes the counters of windows that have ended.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	return s.db.RateLimit.Delete().Where(ratelimit.ExpiresAtLT(s.now())).Exec(ctx)
}
