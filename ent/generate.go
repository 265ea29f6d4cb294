// Package ent holds the generated Ent client; the schema lives in ./schema.
package ent

//go:generate go tool ent generate --feature sql/upsert,sql/modifier,sql/execquery,sql/lock ./schema
