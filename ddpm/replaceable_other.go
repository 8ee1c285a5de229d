//go:build !linux

package ddpm

// checkReplaceable has nothing to check beyond Linux: the final rename reports what it cannot replace.
func checkReplaceable(string) error { return nil }

// isMountPoint cannot tell beyond Linux.
func isMountPoint(string) bool { return false }
