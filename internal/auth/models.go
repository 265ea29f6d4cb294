package auth

import (
	"time"

	"gqlauth/ent"
)

// Role is a user's role.
type Role string

// Roles, lowest first.
const (
	RoleUser  Role = "USER"
	RoleAdmin Role = "ADMIN"
)

// Allows reports whether a user with role r may use something that requires need.
func (r Role) Allows(need Role) bool {
	return need == RoleUser || r == need
}

// LogoutScope selects which sessions logout revokes.
type LogoutScope string

// Logout scopes.
const (
	ScopeLocal  LogoutScope = "LOCAL"
	ScopeOthers LogoutScope = "OTHERS"
	ScopeGlobal LogoutScope = "GLOBAL"
)

// User is the service's view of an account; transports map it to their own
// wire formats.
type User struct {
	ID       int
	Name     string
	Email    string
	Role     Role
	IsActive bool
	// EmailVerified is true once a verification or reset token was used.
	EmailVerified bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func userOf(u *ent.User) *User {
	return &User{
		ID: u.ID, Name: u.Name, Email: u.Email, Role: Role(u.Role),
		IsActive: u.IsActive, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		EmailVerified: u.EmailVerified,
	}
}

// TokenPair is what a successful register, login or refresh returns.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	TokenType    string // always "bearer"
	ExpiresIn    int    // access-token lifetime in seconds
	User         *User
}

// Session is one signed-in session of a user.
type Session struct {
	ID         string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	UserAgent  *string
	IP         *string
	Current    bool
}

// Principal is an authenticated caller.
type Principal struct {
	User      *User
	SessionID string
}
