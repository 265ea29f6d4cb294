package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// Fuzz targets for the token parser and the input validators. Seed corpora
// live in testdata/fuzz/<FuzzName>/; .ci/fuzz runs each target briefly.

var fuzzNow = time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)

const fuzzKey = "fuzz-secret-key-that-is-long-enough-0123456789"

// FuzzTokenParse: Tokens.Parse never panics, refuses with UNAUTHORIZED, and
// verifies only tokens this key signed (their header and payload exactly as
// signed), of the type asked for.
func FuzzTokenParse(f *testing.F) {
	tokens, err := NewTokens([]byte(fuzzKey), "HS256", "gqlauth", func() time.Time { return fuzzNow })
	if err != nil {
		f.Fatal(err)
	}
	// signed maps the signing input (header.payload) of every token signed
	// here to its type.
	signed := map[string]string{}
	for i, typ := range []string{TokenAccess, TokenRefresh, TokenAccess, TokenRefresh} {
		raw, err := tokens.Sign(typ, 40+i, "session-"+typ, "jti-"+string(rune('a'+i)),
			fuzzNow.Add(-time.Minute), fuzzNow.Add(time.Hour))
		if err != nil {
			f.Fatal(err)
		}
		if _, err := tokens.Parse(raw, typ); err != nil {
			f.Fatalf("a freshly signed %s token does not verify: %v", typ, err)
		}
		signed[raw[:strings.LastIndexByte(raw, '.')]] = typ
		f.Add(raw, typ == TokenRefresh)
		f.Add(raw, typ != TokenRefresh) // the other type
		f.Add(raw+"x", typ == TokenRefresh)
		f.Add(strings.ToUpper(raw[:1])+raw[1:], typ == TokenRefresh)
	}
	// Expired, not yet issued, and signed by another key: all refused.
	expired, _ := tokens.Sign(TokenAccess, 1, "s", "j", fuzzNow.Add(-2*time.Hour), fuzzNow.Add(-time.Hour))
	future, _ := tokens.Sign(TokenAccess, 1, "s", "j", fuzzNow.Add(time.Hour), fuzzNow.Add(2*time.Hour))
	other, _ := NewTokens([]byte(fuzzKey+"-other"), "HS256", "gqlauth", func() time.Time { return fuzzNow })
	foreign, _ := other.Sign(TokenAccess, 1, "s", "j", fuzzNow.Add(-time.Minute), fuzzNow.Add(time.Hour))
	for _, s := range []string{expired, future, foreign, "", ".", "..", "a.b.c", strings.Repeat(".", 5000)} {
		f.Add(s, false)
	}

	f.Fuzz(func(t *testing.T, raw string, refresh bool) {
		typ := TokenAccess
		if refresh {
			typ = TokenRefresh
		}
		c, err := tokens.Parse(raw, typ)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeUnauthorized {
				t.Fatalf("Parse refused with %v, want an UNAUTHORIZED *Error", err)
			}
			if c != nil {
				t.Fatal("Parse returned claims with an error")
			}
			return
		}
		if c == nil {
			t.Fatal("Parse returned neither claims nor an error")
		}
		dot := strings.LastIndexByte(raw, '.')
		if dot < 0 {
			t.Fatalf("Parse verified %q, which has no signature", raw)
		}
		signedTyp, ok := signed[raw[:dot]]
		if !ok {
			t.Fatalf("Parse verified a token this key never signed: %q", raw)
		}
		if signedTyp != typ || c.Type != typ {
			t.Fatalf("Parse(%s) verified a %s token (claims type %q)", typ, signedTyp, c.Type)
		}
		if len(raw) > maxTokenLen {
			t.Fatalf("Parse verified a %d-byte token, over the %d-byte bound", len(raw), maxTokenLen)
		}
		if id, ok := c.UserID(); !ok || id <= 0 || c.SessionID == "" || c.ID == "" {
			t.Fatalf("verified claims lack a user, session or id: %+v", c)
		}
	})
}

// FuzzValidateEmail: checkEmail never panics and accepts only what the
// contract allows: a bare address of at most 254 characters with exactly
// one '@', no whitespace or control characters, a local part and a dotted
// domain.
func FuzzValidateEmail(f *testing.F) {
	for _, s := range []string{
		"john@example.com", "  John@Example.COM ", "a@b.co", "john <j@x.com>", "\"a@b\"@example.com",
		"a@b@example.com", "j@localhost", "j@[127.0.0.1]", "a..b@example.com", "a@example..com",
		"a b@example.com", "a\u00a0b@example.com", "é@example.com", "(comment)a@example.com",
		strings.Repeat("a", 243) + "@example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		email := NormalizeEmail(s)
		p := Problems{}
		checkEmail(p, "email", email)
		if len(p) > 0 {
			if len(p) != 1 || len(p["email"]) == 0 {
				t.Fatalf("problems %v, want them under email only", p)
			}
			return
		}
		if email == "" || len(email) > MaxEmailLen {
			t.Fatalf("accepted %q of %d bytes, want 1–%d", email, len(email), MaxEmailLen)
		}
		if !utf8.ValidString(email) {
			t.Fatalf("accepted invalid UTF-8 %q", email)
		}
		if n := strings.Count(email, "@"); n != 1 {
			t.Fatalf("accepted %q with %d '@'", email, n)
		}
		local, domain, _ := strings.Cut(email, "@")
		if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
			strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
			t.Fatalf("accepted %q: want a local part and a dotted domain", email)
		}
		if strings.ContainsAny(email, "<>\" ,;\\") {
			t.Fatalf("accepted %q, which is not a bare address", email)
		}
		for _, r := range email {
			if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("accepted %q, which holds the invisible character %U (look-alike addresses)", email, r)
			}
		}
	})
}

// FuzzPasswordPolicy: checkNewPassword and checkPasswordLength never panic
// and accept only what the contract allows: 8–255 characters of valid
// UTF-8, not the email, its local part or the name, not a common password.
func FuzzPasswordPolicy(f *testing.F) {
	f.Add("securePassword123", "john@example.com", "John Doe")
	f.Add("newSecurePassword", "john@example.com", "John Doe")
	f.Add("password", "a@example.com", "A")
	f.Add("PassWord1", "a@example.com", "A")
	f.Add("qwertyuiop", "a@example.com", "A")
	f.Add("aaaaaaaaaaaa", "a@example.com", "A")
	f.Add("John@Example.com", "john@example.com", "John")
	f.Add("JOHNDOE12", "johndoe12@example.com", "X")
	f.Add("John Doe Smith", "x@example.com", " John Doe Smith ")
	f.Add("short", "x@example.com", "X")
	f.Add("ééééééé\u00e8", "x@example.com", "X")
	f.Add(strings.Repeat("€", 255), "x@example.com", "X")
	f.Add(strings.Repeat("ab", 128), "x@example.com", "X")
	f.Add("valid\xffpassword", "x@example.com", "X")
	f.Fuzz(func(t *testing.T, password, rawEmail, rawName string) {
		email, name := NormalizeEmail(rawEmail), strings.TrimSpace(rawName) // as the callers pass them
		n := utf8.RuneCountInString(password)

		lp := Problems{}
		if ok := checkPasswordLength(lp, "password", password); ok != (len(lp) == 0) {
			t.Fatalf("checkPasswordLength returned %v with problems %v", ok, lp)
		} else if ok && (password == "" || n > MaxPasswordLen || len(password) > maxPasswordBytes) {
			t.Fatalf("checkPasswordLength accepted %d runes / %d bytes", n, len(password))
		}

		p := Problems{}
		checkNewPassword(p, "password", password, email, name)
		if len(p) > 0 {
			if len(p) != 1 || len(p["password"]) == 0 {
				t.Fatalf("problems %v, want them under password only", p)
			}
			return
		}
		if !utf8.ValidString(password) {
			t.Fatalf("accepted invalid UTF-8 %q", password)
		}
		if n < MinPasswordLen || n > MaxPasswordLen {
			t.Fatalf("accepted a password of %d characters", n)
		}
		lower := strings.ToLower(password)
		if email != "" && (lower == email || lower == localPart(email)) {
			t.Fatalf("accepted %q for the email %q", password, email)
		}
		if name != "" && lower == strings.ToLower(name) {
			t.Fatalf("accepted %q for the name %q", password, name)
		}
		if _, common := commonPasswords[lower]; common {
			t.Fatalf("accepted the common password %q", password)
		}
	})
}
