//go:build !linux

package auth

// runLowPriority runs f; thread priorities are only lowered on Linux.
func runLowPriority(f func()) { f() }
