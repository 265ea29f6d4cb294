package auth

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"  John@Example.COM \t": "john@example.com",
		"a@b.co":                "a@b.co",
		"\nX@Y.Z\r\n":           "x@y.z",
	} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckEmail(t *testing.T) {
	t.Parallel()
	long254 := strings.Repeat("a", 254-len("@example.com")) + "@example.com"
	cases := []struct {
		email string
		ok    bool
	}{
		{"john@example.com", true},
		{"john.doe+tag@sub.example.co.uk", true},
		{long254, true},
		{"a" + long254, false}, // 255
		{"", false},
		{"a", false},
		{"a@", false},
		{"@b.c", false},
		{"john <j@x.com>", false},
		{"<j@x.com>", false},
		{"j@x.com, k@x.com", false},
		{"j@localhost", false},
		{"j@[127.0.0.1]", false},
		{"j@x..com", false},
		{"j@.x.com", false},
		{"j@x.com.", false},
		{"j @x.com", false},
		{"\"j k\"@x.com", false},
		{"j@x.com (comment)", false},
		{"j@@x.com", false},
		{"j@x.com\x00", false},
		{"j@x\xff.com", false},
	}
	for _, tc := range cases {
		p := Problems{}
		checkEmail(p, "email", tc.email)
		if got := len(p["email"]) == 0; got != tc.ok {
			t.Errorf("checkEmail(%q): accepted = %v, want %v (problems %v)", tc.email, got, tc.ok, p)
		}
		if len(p) > 1 || (len(p) == 1 && p["email"] == nil) {
			t.Errorf("checkEmail(%q) used another field: %v", tc.email, p)
		}
	}
	p := Problems{}
	checkEmail(p, "username", "nope")
	if len(p["username"]) == 0 {
		t.Errorf("checkEmail does not report under the field it is given: %v", p)
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		ok   bool
	}{
		{"J", true},
		{"John Doe", true},
		{strings.Repeat("n", 100), true},
		{strings.Repeat("é", 100), true}, // characters, not bytes
		{strings.Repeat("n", 101), false},
		{strings.Repeat("é", 101), false},
		{"", false},
		{"John\x00Doe", false},
		{"John\nDoe", false},
		{"bad \xff utf8", false},
	}
	for _, tc := range cases {
		p := Problems{}
		checkName(p, tc.name)
		if got := len(p["name"]) == 0; got != tc.ok {
			t.Errorf("checkName(%q): accepted = %v, want %v (%v)", tc.name, got, tc.ok, p)
		}
	}
}

func TestCheckNewPassword(t *testing.T) {
	t.Parallel()
	const email, name = "john@example.com", "John Doe"
	cases := []struct {
		password string
		ok       bool
	}{
		{"securePassword123", true},
		{"newSecurePassword", true},
		{"zebrakite", true}, // no character-class rules
		{strings.Repeat("ab", 127) + "c", true},
		{strings.Repeat("жя", 127) + "ю", true}, // 255 characters, 510 bytes
		{"abcdefg", false},
		{"жжжжжжж", false}, // 7 characters, 14 bytes
		{strings.Repeat("ab", 128), false},
		{strings.Repeat("жя", 128), false},
		{"", false},
		{email, false},
		{"JOHN@EXAMPLE.COM", false},
		{"john doe", false},
		{"JOHN DOE", false},
		{"password", false},
		{"PassWord", false},
		{"12345678", false},
		{"qwertyuiop", false},
		{"password1", false},
		{"aaaaaaaaaa", false},
		{"bad \xff utf8 here", false},
	}
	for _, tc := range cases {
		p := Problems{}
		checkNewPassword(p, "new_password", tc.password, email, name)
		if got := len(p["new_password"]) == 0; got != tc.ok {
			t.Errorf("checkNewPassword(%.40q): accepted = %v, want %v (%v)", tc.password, got, tc.ok, p)
		}
		if len(p) > 1 || (len(p) == 1 && p["new_password"] == nil) {
			t.Errorf("checkNewPassword(%.40q) used another field: %v", tc.password, p)
		}
	}
}

// TestCommonPasswordList: every entry of the blocklist is refused, in any
// case, and the list is not empty (a broken embed would silently accept all).
func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	if len(commonPasswords) < 100 {
		t.Fatalf("only %d common passwords loaded", len(commonPasswords))
	}
	for _, must := range []string{"password", "12345678", "qwertyuiop", "password1"} {
		if !isCommonPassword(must) {
			t.Errorf("%q is not on the blocklist", must)
		}
	}
	for pw := range commonPasswords {
		p := Problems{}
		checkNewPassword(p, "password", strings.ToUpper(pw), "someone@example.com", "Someone")
		if len(p["password"]) == 0 && len([]rune(pw)) >= MinPasswordLen {
			t.Errorf("common password %q (upper-cased) accepted", pw)
		}
	}
	if isCommonPassword("securepassword123") || isCommonPassword("newsecurepassword") {
		t.Error("the contract's example passwords are on the blocklist")
	}
}
