package trust

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// writableElsewhere says whether the folder dir, on a mount that is read-only here, is shown by a
// writable mount of this namespace too, or whether that cannot be told: a read-only bind of a sticky
// folder that others may write passed as one no one can add to, and another user added, through the
// writable view, the pyvenv.cfg and the library that root's setup ran Python with (sixty-second probe).
// A writable view that another mount covers does not count: NixOS binds /nix/store read-only over
// itself, and the root file system's view of it is hidden under that bind.
func writableElsewhere(dir string) bool {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return true
	}
	raw, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return true
	}
	here, ok := MountID(real, true)
	if !ok {
		return true
	}
	mounts := parseMountinfo(raw)
	at, ok := mounts[here]
	if !ok {
		return true
	}
	rel, err := filepath.Rel(at.point, real)
	if err != nil {
		return true
	}
	subtree := filepath.Join(at.root, rel) // dir within its file system
	for id, m := range mounts {
		if id == here || m.device != at.device || !m.writable {
			continue
		}
		inside, err := filepath.Rel(m.root, subtree)
		if err != nil || inside == ".." || strings.HasPrefix(inside, "../") {
			continue // m shows another part of the file system
		}
		// Where m shows dir, unless a mount there or above it covers m.
		if there, ok := MountID(filepath.Join(m.point, inside), false); ok && there == id {
			return true
		}
	}
	return false
}

// MountID is the ID of the mount that path is on (statx's STATX_MNT_ID, as /proc/self/mountinfo
// numbers mounts), of a link's target where follow is set, else of the link itself; false where the
// kernel cannot say.
func MountID(path string, follow bool) (uint64, bool) {
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	var st unix.Statx_t
	if unix.Statx(unix.AT_FDCWD, path, flags, unix.STATX_MNT_ID, &st) != nil || st.Mask&unix.STATX_MNT_ID == 0 {
		return 0, false
	}
	return st.Mnt_id, true
}

// mount is a line of /proc/self/mountinfo: the file system's device, the folder of it mounted (root),
// where, and whether it may be written through this mount (the mount's options and the file system's).
type mount struct {
	device, root, point string
	writable            bool
}

// parseMountinfo reads /proc/self/mountinfo (proc(5)) into its mounts by mount ID.
func parseMountinfo(raw []byte) map[uint64]mount {
	mounts := map[uint64]mount{}
	for line := range strings.SplitSeq(string(raw), "\n") {
		// Fields are separated by single spaces (proc(5)): a mount whose source is empty ("- tmpfs  rw")
		// lost a field to strings.Fields, was skipped, and setup removed a venv's files through it
		// (seventy-first probe).
		fields := strings.Split(line, " ")
		sep := -1
		for i, f := range fields {
			if f == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if sep < 0 || len(fields) < sep+4 {
			continue
		}
		id, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		rw := func(options string) bool { return strings.Split(options, ",")[0] == "rw" }
		mounts[id] = mount{
			device:   fields[2],
			root:     unescapeMountinfo(fields[3]),
			point:    unescapeMountinfo(fields[4]),
			writable: rw(fields[5]) && rw(fields[sep+3]),
		}
	}
	return mounts
}

// unescapeMountinfo undoes mountinfo's octal escapes of a space, tab, newline and backslash (\040…).
func unescapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// MountsBelow lists the mount points at dir or inside it, from /proc/self/mountinfo: a removal of dir's
// tree goes into them and removes what is mounted there (a bind mount of another folder inside a venv
// that setup remade, or at the venv itself, had that folder's files deleted; sixty-ninth and seventieth
// probes).
func MountsBelow(dir string) []string {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		real = dir
	}
	raw, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var below []string
	for _, m := range parseMountinfo(raw) {
		if m.point == real || strings.HasPrefix(m.point, real+"/") {
			below = append(below, m.point)
		}
	}
	slices.Sort(below)
	return below
}
