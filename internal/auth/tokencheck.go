package auth

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"gqlauth/ent/user"
)

// tokenCheck is the statement behind every authenticated request: the
// principal's columns of user uid, provided session sid is active at now.
//
// Ent's builder writes it once per Service, from the generated schema
// constants and the same predicates the rest of the package queries with
// (user.ID, userOfActiveSession); each call only binds and scans. Building
// it through a UserQuery on every call cost about half of a token check
// (pprof: sql.Builder.Ident, predicate closures, per-column scan values).
// Because the text never changes, the drivers' per-connection statement
// caches (mattn's _stmt_cache_size, pgx's default) keep it prepared, as
// every hot statement should be. TestTokenCheckMatchesEntQuery holds it to
// the UserQuery it replaces.
type tokenCheck struct {
	query string
	// at[i] is where argument i (uid, sid, now) goes in the statement's
	// argument list, which holds exactly these three; the builder decides
	// the order, not this code.
	at [3]int
}

// tokenCheckColumns are what run scans, in its order: never the hash.
var tokenCheckColumns = []string{
	user.FieldID, user.FieldName, user.FieldEmail, user.FieldRole, user.FieldIsActive, user.FieldCreatedAt, user.FieldUpdatedAt,
	user.FieldEmailVerified,
}

// querier runs a statement; *ent.Client is one (the sql/execquery feature).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
}

// Markers that stand for the arguments while the statement is built.
var (
	markUID = -0x5eed
	markSID = "\x00token-check-session\x00"
	markNow = time.Date(1901, 2, 3, 4, 5, 6, 7, time.UTC)
)

func newTokenCheck(dia string) tokenCheck {
	if dia != dialect.SQLite && dia != dialect.Postgres {
		panic(fmt.Sprintf("auth: unsupported dialect %q", dia))
	}
	b := sql.Dialect(dia)
	t := b.Table(user.Table)
	sel := b.Select(t.Columns(tokenCheckColumns...)...).From(t)
	user.ID(markUID)(sel)
	userOfActiveSession(markSID, markNow)(sel)
	query, args := sel.Limit(1).Query()

	tc := tokenCheck{query: query, at: [3]int{-1, -1, -1}}
	for i, a := range args {
		k := -1
		switch v := a.(type) {
		case int:
			if v == markUID {
				k = 0
			}
		case string:
			if v == markSID {
				k = 1
			}
		case time.Time:
			if v.Equal(markNow) {
				k = 2
			}
		}
		if k < 0 || tc.at[k] >= 0 {
			panic(fmt.Sprintf("auth: token check built unexpected arguments %v", args))
		}
		tc.at[k] = i
	}
	for _, i := range tc.at {
		if i < 0 {
			panic(fmt.Sprintf("auth: token check lost an argument: %v", args))
		}
	}
	return tc
}

// run returns the principal's user, or found=false when no active session
// sid of user uid exists.
func (tc tokenCheck) run(ctx context.Context, q querier, uid int, sid string, now time.Time) (u *User, found bool, err error) {
	args := make([]any, len(tc.at))
	args[tc.at[0]], args[tc.at[1]], args[tc.at[2]] = uid, sid, now
	rows, err := q.QueryContext(ctx, tc.query, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, rows.Err()
	}
	u = new(User)
	if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.IsActive, &u.CreatedAt, &u.UpdatedAt, &u.EmailVerified); err != nil {
		return nil, false, err
	}
	return u, true, rows.Close()
}
