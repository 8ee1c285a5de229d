package trust

import "strings"

// NotPlain is the index of the first character of s that is neither printable ASCII (space to ~) nor
// one of allowed, or -1: a value that one reader parts at other white space and another does not was
// checked as two names and run as one (GOAUTH's "\v", eighty-third probe), and pip parted its locations
// at "\x1f". One rule for each value a child program splits.
func NotPlain(s, allowed string) int {
	return strings.IndexFunc(s, func(r rune) bool { return (r < 0x20 || r >= 0x7f) && !strings.ContainsRune(allowed, r) })
}
