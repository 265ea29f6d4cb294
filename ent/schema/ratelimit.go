package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RateLimit is one fixed-window counter of the database-backed limiter. Keeping
// counters in the database lets them survive restarts and be shared by every
// instance on one PostgreSQL.
type RateLimit struct {
	ent.Schema
}

// Fields of the RateLimit.
func (RateLimit) Fields() []ent.Field {
	return []ent.Field{
		// The limited subject and the window it counts, e.g. "login-ip:1.2.3.4".
		field.String("key").NotEmpty().MaxLen(400).Unique(),
		field.Int("count").Default(0),
		field.Time("expires_at"),
	}
}

// Indexes of the RateLimit: expired counters are swept by time.
func (RateLimit) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("expires_at"),
	}
}
