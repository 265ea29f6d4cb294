package auth_test

// Signing and verifying one token per algorithm, to compare EdDSA, ES256 and
// RS256 with HS256:
//
//	go test -run '^$' -bench 'TokenAlg' ./internal/auth

import (
	"strings"
	"testing"
	"time"

	"gqlauth/internal/auth"
	"gqlauth/internal/keys"
)

func algTokens(b *testing.B, alg string) *auth.Tokens {
	b.Helper()
	var set *keys.Set
	var err error
	if keys.IsAsymmetric(alg) {
		var jwks []byte
		if jwks, err = keys.Generate(alg); err == nil {
			set, err = keys.ParseJSON(jwks, alg)
		}
	} else {
		set, err = keys.NewHMAC([]byte(strings.Repeat("k", 32)), alg)
	}
	if err != nil {
		b.Fatal(err)
	}
	tokens, err := auth.NewTokensWith(auth.TokenOptions{Keys: set, Issuer: "gqlauth"})
	if err != nil {
		b.Fatal(err)
	}
	return tokens
}

func BenchmarkTokenAlgVerify(b *testing.B) {
	for _, alg := range []string{"HS256", "EdDSA", "ES256", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			tokens := algTokens(b, alg)
			now := time.Now()
			raw, err := tokens.Sign(auth.TokenAccess, 1, "sid", "jti", now, now.Add(time.Hour))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := tokens.Parse(raw, auth.TokenAccess); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTokenAlgSign(b *testing.B) {
	for _, alg := range []string{"HS256", "EdDSA", "ES256", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			tokens := algTokens(b, alg)
			now := time.Now()
			for b.Loop() {
				if _, err := tokens.Sign(auth.TokenAccess, 1, "sid", "jti", now, now.Add(time.Hour)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
