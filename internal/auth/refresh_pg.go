package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"gqlauth/ent"
	"gqlauth/ent/session"
	"gqlauth/ent/user"
)

// rotation is what a refresh writes to the session it rotates.
type rotation struct {
	uid                 int
	sid, oldJTI, newJTI string
	now, expires        time.Time
	ip, userAgent       string // "" leaves the stored value
}

// rotateOneTrip is Refresh's database work on PostgreSQL in one statement,
// so one round trip (the SQLite path is a read and an update: in-process
// round trips cost little there): the rotation — the same conditional
// UPDATE as on SQLite, which only the holder of the current refresh token
// wins, and only while the user is active — as a data-modifying CTE, and
// the user's row beside whether the rotation happened. found=false: no
// such user. The statement is built once (newRotateStmt).
func (s *Service) rotateOneTrip(ctx context.Context, r rotation) (u *ent.User, rotated, found bool, err error) {
	rows, err := s.db.QueryContext(ctx, s.rotate.query, s.rotate.args(r)...)
	if err != nil {
		return nil, false, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, false, rows.Err()
	}
	u = new(ent.User)
	var n int
	if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.IsActive, &u.CreatedAt, &u.UpdatedAt, &u.EmailVerified, &n); err != nil {
		return nil, false, false, err
	}
	return u, n == 1, true, rows.Close()
}

// rotateStmt is the one-trip rotation statement, built once by Ent's SQL
// builder from the generated constants and predicates, with marker values
// standing for the arguments; slots says which rotation field each
// argument is (building it per request cost ~40% of the statement's CPU).
type rotateStmt struct {
	query string
	slots []rotSlot
}

type rotSlot struct {
	field int // rot* below, or -1 for a constant
	value any // the constant
}

const (
	rotUID = iota
	rotSID
	rotOld
	rotNew
	rotNow
	rotExpires
	rotIP
	rotUA
)

var rotMarkers = rotation{
	uid: -0x5eed2, sid: "\x00sid\x00", oldJTI: "\x00old\x00", newJTI: "\x00new\x00",
	now: time.Date(1901, 2, 3, 4, 5, 6, 7, time.UTC), expires: time.Date(1902, 3, 4, 5, 6, 7, 8, time.UTC),
	ip: "\x00ip\x00", userAgent: "\x00ua\x00",
}

// newRotateStmt builds the rotation for dia: on PostgreSQL the one-trip
// statement above; on SQLite the conditional UPDATE alone (run in group
// commits, groupcommit.go).
func newRotateStmt(dia string) rotateStmt {
	m := rotMarkers
	b := sql.Dialect(dia)
	where := b.Select().From(b.Table(session.Table))
	for _, p := range []func(*sql.Selector){
		session.ID(m.sid), session.UserID(m.uid), session.RefreshJti(m.oldJTI), session.RevokedAtIsNil(),
		session.ExpiresAtGT(m.now), session.AbsoluteExpiresAtGT(m.now),
	} {
		p(where)
	}
	users := b.Table(user.Table)
	where.Where(sql.In(where.C(session.FieldUserID),
		b.Select(users.C(user.FieldID)).From(users).Where(sql.And(
			sql.EQ(users.C(user.FieldID), m.uid), sql.EQ(users.C(user.FieldIsActive), true)))))
	// An empty IP or User-Agent leaves the stored one.
	keep := func(column, v string) *sql.Predicate {
		return sql.P(func(b *sql.Builder) {
			b.WriteString("COALESCE(NULLIF(").Arg(v).WriteString(", ''), ").Ident(column).WriteString(")")
		})
	}
	upd := b.Update(session.Table).Where(where.P()).
		Set(session.FieldPreviousRefreshJti, m.oldJTI).Set(session.FieldRotatedAt, m.now).
		Set(session.FieldRefreshJti, m.newJTI).Set(session.FieldRefreshIssuedAt, m.now).
		Set(session.FieldExpiresAt, m.expires).Set(session.FieldLastUsedAt, m.now).
		Set(session.FieldIP, keep(session.FieldIP, m.ip)).
		Set(session.FieldUserAgent, keep(session.FieldUserAgent, m.userAgent))
	var st rotateStmt
	if dia == dialect.Postgres {
		updSQL, args := upd.Returning(session.FieldUserID).Query()
		cols := make([]string, len(tokenCheckColumns))
		for i, c := range tokenCheckColumns {
			cols[i] = `"` + user.Table + `"."` + c + `"`
		}
		args = append(args, m.uid)
		st.query = fmt.Sprintf(`WITH "rotated" AS (%s) SELECT %s, (SELECT count(*) FROM "rotated") FROM "%s" WHERE "%s"."%s" = $%d`,
			updSQL, strings.Join(cols, ", "), user.Table, user.Table, user.FieldID, len(args))
		st.slots = st.slotsOf(args)
		return st
	}
	var args []any
	st.query, args = upd.Query()
	st.slots = st.slotsOf(args)
	return st
}

// slotsOf maps the marker arguments args to rotation fields.
func (st rotateStmt) slotsOf(args []any) []rotSlot {
	m := rotMarkers
	var slots []rotSlot
	for _, a := range args {
		slot := rotSlot{field: -1, value: a}
		switch v := a.(type) {
		case int:
			if v == m.uid {
				slot.field = rotUID
			}
		case string:
			for f, mv := range map[int]string{rotSID: m.sid, rotOld: m.oldJTI, rotNew: m.newJTI, rotIP: m.ip, rotUA: m.userAgent} {
				if v == mv {
					slot.field = f
				}
			}
		case time.Time:
			if v.Equal(m.now) {
				slot.field = rotNow
			} else if v.Equal(m.expires) {
				slot.field = rotExpires
			}
		}
		if slot.field < 0 {
			if _, ok := a.(bool); !ok {
				panic(fmt.Sprintf("auth: rotation statement built an unexpected argument %#v", a))
			}
		}
		slots = append(slots, slot)
	}
	return slots
}

// args are the statement's arguments for r.
func (st rotateStmt) args(r rotation) []any {
	out := make([]any, len(st.slots))
	for i, s := range st.slots {
		switch s.field {
		case rotUID:
			out[i] = r.uid
		case rotSID:
			out[i] = r.sid
		case rotOld:
			out[i] = r.oldJTI
		case rotNew:
			out[i] = r.newJTI
		case rotNow:
			out[i] = r.now
		case rotExpires:
			out[i] = r.expires
		case rotIP:
			out[i] = r.ip
		case rotUA:
			out[i] = r.userAgent
		default:
			out[i] = s.value
		}
	}
	return out
}
