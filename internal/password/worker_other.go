//go:build !linux

package password

import "os"

// runningImage is the file hash workers are started from: the path this
// process was started from (Linux uses /proc/self/exe, immune to the file
// being replaced).
func runningImage() (string, error) { return os.Executable() }

// lowerProcessPriority is a no-op: thread priorities are only lowered on Linux.
func lowerProcessPriority() {}
