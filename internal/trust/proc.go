package trust

import (
	"os"
	"strings"
)

// StatusField is the values of one field of a process's status file, /proc/PID/status ("Uid" gives
// the real, effective, saved and file-system uids; "Umask" the umask in octal), or nil where the file
// cannot be read or has no such field.
func StatusField(status, name string) []string {
	raw, err := os.ReadFile(status)
	if err != nil {
		return nil
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.Fields(rest)
		}
	}
	return nil
}
