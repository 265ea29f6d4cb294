package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OutboxMessage is an email waiting to be sent (or sent, until swept). It is
// written in the same transaction as the token it carries, and a background
// sender claims it, sends it and marks it sent, retrying with backoff.
type OutboxMessage struct {
	ent.Schema
}

// Fields of the OutboxMessage.
func (OutboxMessage) Fields() []ent.Field {
	return []ent.Field{
		// "verify" or "reset": the template the sender renders.
		field.String("kind").MaxLen(32),
		field.String("to_email").MaxLen(254),
		field.String("to_name").MaxLen(400).Default(""),
		// The token, sealed (AES-GCM) under a key derived from the server's
		// secret; cleared once the message is sent or given up.
		field.Bytes("payload").Optional().Nillable().Sensitive(),
		field.Time("created_at").Immutable(),
		// The message is worthless after this (its token expired): given up.
		field.Time("expires_at"),
		field.Time("next_attempt_at"),
		field.Int("attempts").Default(0),
		// A claim: the instance that holds it and until when. A claim that
		// has run out (the instance died mid-send) may be taken again.
		field.String("lease_owner").Optional().Nillable().MaxLen(64),
		field.Time("lease_until").Optional().Nillable(),
		field.Time("sent_at").Optional().Nillable(),
		// Set when the message will not be sent: given up, or a decoy.
		field.Time("failed_at").Optional().Nillable(),
		field.String("last_error").Optional().Nillable().MaxLen(1000),
	}
}

// Indexes of the OutboxMessage: the sender looks for due, unsent messages.
func (OutboxMessage) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("sent_at", "failed_at", "next_attempt_at"),
		index.Fields("created_at"),
	}
}
