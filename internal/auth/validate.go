package auth

import (
	_ "embed"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits from the contract's section 5.
const (
	MaxEmailLen       = 254
	MaxNameLen        = 100
	MinPasswordLen    = 8
	MaxPasswordLen    = 255
	maxPasswordBytes  = 4 * MaxPasswordLen // refuse absurd input before counting runes
	msgRequired       = "Field required"
	msgInvalidEmail   = "Invalid email format"
	msgPasswordCommon = "Password is too common"
)

//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords is a NIST 800-63B style blocklist: passwords known from
// breach corpora and keyboard walks, compared case-insensitively.
var commonPasswords = func() map[string]struct{} {
	m := make(map[string]struct{})
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if p := strings.TrimSpace(line); p != "" && !strings.HasPrefix(p, "#") {
			m[strings.ToLower(p)] = struct{}{}
		}
	}
	return m
}()

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// checkEmail adds a problem under field unless email (already normalized) is
// a bare address of at most MaxEmailLen characters.
func checkEmail(p Problems, field, email string) {
	switch {
	case email == "":
		p.Add(field, msgRequired)
	case len(email) > MaxEmailLen:
		p.Add(field, "Email must be at most 254 characters")
	case !isBareAddress(email):
		p.Add(field, msgInvalidEmail)
	}
}

func isBareAddress(s string) bool {
	if !utf8.ValidString(s) || strings.ContainsAny(s, "<>\"") || strings.ContainsFunc(s, isInvisible) {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	// A bare hostname (no dot) or an address literal is not an address a
	// user can receive mail at.
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, "[") &&
		!strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}

// checkName adds a problem unless the (trimmed) name has 1–100 characters.
func checkName(p Problems, name string) {
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		p.Add("name", msgRequired)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, isControl):
		p.Add("name", "Name contains invalid characters")
	case n > MaxNameLen:
		p.Add("name", "Name must be at most 100 characters")
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// isInvisible reports spaces, control and format characters (zero-width
// joiners, direction marks): in an address they only serve look-alikes.
func isInvisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// checkPasswordLength adds a problem when password is empty or longer than
// the policy allows; it is all login needs before hashing.
func checkPasswordLength(p Problems, field, password string) bool {
	switch {
	case password == "":
		p.Add(field, msgRequired)
	case len(password) > maxPasswordBytes || utf8.RuneCountInString(password) > MaxPasswordLen:
		p.Add(field, "Password must be at most 255 characters")
	default:
		return true
	}
	return false
}

// checkNewPassword applies the password policy: 8–255 characters, not the
// email or the name, not a common password. No character-class rules.
func checkNewPassword(p Problems, field, password, email, name string) {
	if !checkPasswordLength(p, field, password) {
		return
	}
	if !utf8.ValidString(password) {
		p.Add(field, "Password must be valid UTF-8")
		return
	}
	if utf8.RuneCountInString(password) < MinPasswordLen {
		p.Add(field, "Password must be at least 8 characters")
		return
	}
	lower := strings.ToLower(password)
	if email != "" && (lower == email || lower == localPart(email)) {
		p.Add(field, "Password must not be your email")
	}
	if name != "" && lower == strings.ToLower(name) {
		p.Add(field, "Password must not be your name")
	}
	if isCommonPassword(lower) {
		p.Add(field, msgPasswordCommon)
	}
}

func localPart(email string) string {
	if at := strings.LastIndexByte(email, '@'); at > 0 {
		return email[:at]
	}
	return email
}

// isCommonPassword reports whether lower is on the blocklist. (No pattern
// rules beyond it: the contract allows any 8–255 characters otherwise.)
func isCommonPassword(lower string) bool {
	_, ok := commonPasswords[lower]
	return ok
}
