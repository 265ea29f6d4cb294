//go:build unix

package database

import (
	"io/fs"
	"syscall"
)

// FileOwner returns the uid owning a file.
func FileOwner(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
