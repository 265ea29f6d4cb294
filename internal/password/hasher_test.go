package password_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/bcrypt"

	"gqlauth/internal/password"
)

const testPassword = "correct horse battery staple"

// cheapParams keeps hashing fast where a test is not about the cost.
var cheapParams = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func mustHasher(p *argon2id.Params) *password.Hasher {
	h, err := password.NewHasher(p, 16, 64, 30*time.Second)
	if err != nil {
		panic(err)
	}
	return h
}

// TestArgon2ParamsMeetOWASP keeps the production parameters at or above
// OWASP's minimum for argon2id and checks the PHC string they produce.
func TestArgon2ParamsMeetOWASP(t *testing.T) {
	t.Parallel()
	p := password.Argon2Params
	if p.Memory < 19456 || p.Iterations < 2 || p.Parallelism < 1 {
		t.Fatalf("Argon2Params = %+v, below OWASP's m=19456 KiB, t=2, p=1", *p)
	}
	if p.SaltLength < 16 || p.KeyLength < 32 {
		t.Fatalf("Argon2Params salt/key = %d/%d bytes, want at least 16/32", p.SaltLength, p.KeyLength)
	}
	h, err := password.NewHasher(password.Argon2Params, 1, 1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hash, err := h.Hash(ctx, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q, want a $argon2id$v=19$m=19456,t=2,p=1$ PHC string", hash)
	}
	if parts := strings.Split(hash, "$"); len(parts) != 6 {
		t.Fatalf("hash %q has %d $-separated parts, want 6", hash, len(parts))
	}
	ok, rehash, err := h.Verify(ctx, testPassword, hash)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	again, _ := h.Hash(ctx, testPassword)
	if again == hash {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
}

func TestHasherVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := mustHasher(cheapParams)
	const pw = "correct horse battery"
	argon, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	weaker, err := argon2id.CreateHash(pw, &argon2id.Params{Memory: 32, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	fewerIters, err := argon2id.CreateHash(pw, &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	bcrypt2a := string(bc)
	if !strings.HasPrefix(bcrypt2a, "$2a$") {
		t.Fatalf("bcrypt hash %q is not $2a$", bcrypt2a)
	}
	long := strings.Repeat("x", 72)
	bcLong, err := bcrypt.GenerateFromPassword([]byte(long), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name       string
		password   string
		encoded    string
		ok, rehash bool
		wantErr    bool
	}{
		{name: "argon2id match", password: pw, encoded: argon, ok: true},
		{name: "argon2id mismatch", password: pw + "!", encoded: argon},
		{name: "argon2id case matters", password: strings.ToUpper(pw), encoded: argon},
		{name: "weaker argon2id memory: match and rehash", password: pw, encoded: weaker, ok: true, rehash: true},
		{name: "weaker argon2id: mismatch never rehashes", password: "nope nope", encoded: weaker},
		{name: "same params: no rehash", password: pw, encoded: fewerIters, ok: true},
		{name: "bcrypt $2a$ match and rehash", password: pw, encoded: bcrypt2a, ok: true, rehash: true},
		{name: "bcrypt $2b$ match and rehash", password: pw, encoded: "$2b$" + bcrypt2a[4:], ok: true, rehash: true},
		{name: "bcrypt $2y$ match and rehash", password: pw, encoded: "$2y$" + bcrypt2a[4:], ok: true, rehash: true},
		{name: "bcrypt mismatch", password: "wrong password", encoded: bcrypt2a, rehash: true},
		{name: "bcrypt exactly 72 bytes", password: long, encoded: string(bcLong), ok: true, rehash: true},
		{name: "bcrypt over 72 bytes matching the first 72", password: long + "tail", encoded: string(bcLong)},
		{name: "empty hash (unknown user) never matches", password: pw, encoded: ""},
		{name: "dummy password does not match empty hash", password: "gqlauth-dummy-password-for-timing", encoded: ""},
		{name: "unknown format", password: pw, encoded: "$md5$abc", wantErr: true},
		{name: "plain text stored", password: pw, encoded: pw, wantErr: true},
		{name: "corrupt argon2id", password: pw, encoded: "$argon2id$v=19$m=64,t=1,p=1$garbage", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tc.password, tc.encoded)
			if tc.wantErr {
				if err == nil || ok {
					t.Fatalf("Verify = %v, %v, %v; want an error and no match", ok, rehash, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if ok != tc.ok {
				t.Errorf("ok = %v, want %v", ok, tc.ok)
			}
			// A failed match's rehash flag is irrelevant to callers, but a
			// match must say whether to upgrade.
			if tc.ok && rehash != tc.rehash {
				t.Errorf("rehash = %v, want %v", rehash, tc.rehash)
			}
		})
	}
}
