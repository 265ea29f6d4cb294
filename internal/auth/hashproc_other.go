//go:build !linux

package auth

// lowerProcessPriority is a no-op: thread priorities are only lowered on Linux.
func lowerProcessPriority() {}
