package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is an account that can sign in.
type User struct {
	ent.Schema
}

// Fields of the User. Timestamps are set by the auth service from its injected
// clock rather than by Ent defaults, so tests control them.
func (User) Fields() []ent.Field {
	return []ent.Field{
		// 100 characters (checked by the service) of up to 4 bytes each.
		field.String("name").MaxLen(400).NotEmpty(),
		// Stored lower-case; uniqueness is therefore case-insensitive.
		field.String("email").MaxLen(254).NotEmpty().Unique(),
		field.String("password_hash").Sensitive().NotEmpty(),
		field.Enum("role").Values("USER", "ADMIN").Default("USER"),
		field.Bool("is_active").Default(true),
		// Proven by a verification or reset token; existing rows migrate
		// to false (the column's default).
		field.Bool("email_verified").Default(false),
		field.Time("created_at").Immutable(),
		field.Time("updated_at"),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sessions", Session.Type),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
	}
}
