package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Session is one sign-in (login or register) and the refresh-token chain that
// rotates from it. Access tokens name their session and are valid only while it
// is active, so revoking the row signs the session out at once.
type Session struct {
	ent.Schema
}

// Fields of the Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		// Random, unguessable identifier (the `sid` claim).
		field.String("id").Immutable().NotEmpty().MaxLen(64),
		field.Int("user_id").Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("last_used_at"),
		// Expiry of the current refresh token (sliding window).
		field.Time("expires_at"),
		// Absolute lifetime: no refresh succeeds past it.
		field.Time("absolute_expires_at").Immutable(),
		field.Time("revoked_at").Optional().Nillable(),
		// The jti and iat of the current refresh token. With expires_at they
		// reproduce it byte for byte, which the reuse grace window needs.
		field.String("refresh_jti").NotEmpty().MaxLen(64),
		field.Time("refresh_issued_at"),
		// The refresh token rotated most recently, and when.
		field.String("previous_refresh_jti").Optional().Nillable().MaxLen(64),
		field.Time("rotated_at").Optional().Nillable(),
		field.String("user_agent").Optional().Nillable().MaxLen(512),
		field.String("ip").Optional().Nillable().MaxLen(64),
	}
}

// Edges of the Session.
func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Session: listing and revoking a user's sessions.
func (Session) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "revoked_at"),
	}
}
