package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AccountToken is an emailed single-use token: email verification or
// password reset. Only its SHA-256 hash is stored; the token itself exists
// in the email (and, sealed, in the outbox row until it is sent).
type AccountToken struct {
	ent.Schema
}

// Fields of the AccountToken.
func (AccountToken) Fields() []ent.Field {
	return []ent.Field{
		// The user the token acts for (0 for the decoy rows written for
		// unknown emails, which never match).
		field.Int("user_id"),
		field.Enum("kind").Values("verify", "reset"),
		// base64url(SHA-256(token)).
		field.String("token_hash").NotEmpty().MaxLen(64).Unique().Sensitive(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at"),
		field.Time("used_at").Optional().Nillable(),
	}
}

// Indexes of the AccountToken: a user's tokens of one kind are replaced
// together; expired ones are swept by time.
func (AccountToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "kind"),
		index.Fields("expires_at"),
	}
}
