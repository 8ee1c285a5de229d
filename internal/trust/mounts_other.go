//go:build !linux

package trust

// writableElsewhere cannot tell, outside Linux, whether a writable mount shows dir too: a read-only
// mount is taken as read-only.
func writableElsewhere(string) bool { return false }

// MountsBelow cannot list mounts outside Linux: none are found.
func MountsBelow(string) []string { return nil }
