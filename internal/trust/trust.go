// Package trust says whether a file or folder can be changed by a user other than this one and root:
// what ddpm loads (a plugin), runs (an interpreter, the go command) or reads as settings must not be.
package trust

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// SecureFile returns the file that path leads to, its links resolved, where no other user can change
// it or what leads to it, to be loaded into this process or to say where it is (SecurePath). The
// caller uses the path returned: a link met only inside a chain of links was swapped between the check
// and the load (thirty-fourth probe).
func SecureFile(path string) (string, error) { return SecurePath(path, true) }

// CheckSecureFolder refuses a folder (or, where it does not exist yet, the nearest folder above it)
// where a plugin installed would not be loaded, since another user could change it (SecureFile), or
// whose default ACL would let another user write what is made in it: `ddpm setup` said "installed
// now" into a group-writable cache, and every command then ignored the plugin and said to run setup
// again (thirty-fourth probe); a default ACL gave another user the venv it made (thirty-sixth).
func CheckSecureFolder(dir string) error {
	at, err := NearestFolder(dir)
	if err != nil {
		return err
	}
	real, err := SecurePath(at, false)
	if err != nil {
		return err
	}
	// The group of what is made there: the folder's where it is setgid, the user's otherwise; the
	// default ACL's group entry is that group's (it was left out; fortieth probe).
	gid := os.Getegid()
	if info, err := os.Stat(real); err == nil && info.Mode()&fs.ModeSetgid != 0 {
		gid = int(info.Sys().(*syscall.Stat_t).Gid)
	}
	if who := aclWriter(real, aclDefault, gid); who != "" {
		return fmt.Errorf("%s can be changed by other users (its default ACL lets %s write what is made in it: remove it with setfacl -k)", real, who)
	}
	return nil
}

// NearestFolder is dir resolved where it exists, or else the nearest folder above it that does, where
// what is made in dir would be made (Nearest). A link there to what is not there is refused: its target,
// in a folder anyone may make it in, was made by another user while `ddpm setup` ran (forty-first
// probe).
func NearestFolder(dir string) (string, error) {
	at, _, err := Nearest(dir)
	return at, err
}

// Nearest is NearestFolder with the names below it that are not there yet, in order. dir is resolved as
// the kernel resolves it, each ".." after the links before it: made absolute with filepath.Abs, "a/l/.."
// was "a", and the folder of another user's that the kernel reaches through root's link l was never
// looked at, so that $LD_LIBRARY_PATH and $XLA_FLAGS named it past the checks (seventy-sixth probe).
// What resolve refuses on the way (another user's folder or link) is refused here too.
func Nearest(dir string) (at string, rest []string, err error) {
	at, rest, viaLink, err := resolveWay(dir, lastWritten)
	if err != nil {
		return "", nil, err
	}
	if viaLink {
		// Said as what it is, whoever made it: the link's own, where a folder made at its target could
		// be another user's ("which another user could make" read as a blame; ninety-second probe).
		return "", nil, fmt.Errorf("%s is a link to what is not there: make its target, or remove the link (nothing is made through a link to a missing target, which whoever can write there could make first)", danglingLink(dir))
	}
	if slices.Contains(rest, "..") {
		return "", nil, fmt.Errorf("%s goes up (..) from a folder that is not there", dir)
	}
	return at, rest, nil
}

// Eventual is the path that path will name once the folders on its way that are not there yet are
// made (as plain folders, by name): resolved as the kernel resolves it where it exists, and the rest
// joined, each ".." of it taken from a folder that will be made. "link/new/.." was taken for "link",
// a folder other than the samples folder it leads to, which eval then wrote into (eightieth probe).
func Eventual(path string) (string, error) {
	at, rest, viaLink, err := resolveWay(path, lastWritten)
	if err != nil {
		return "", err
	}
	if viaLink {
		return "", fmt.Errorf("%s is a link to what is not there", danglingLink(path))
	}
	return filepath.Join(append([]string{at}, rest...)...), nil
}

// Parent is path less its last name, not cleaned (filepath.Dir cleans: "a/l/../f" was in "a", where the
// kernel puts it in the folder above l's target; seventy-sixth probe).
func Parent(path string) string {
	switch i := strings.LastIndex(path, "/"); i {
	case -1:
		return "."
	case 0:
		return "/"
	default:
		return path[:i]
	}
}

// PerProcess says whether path leads through /proc or /dev/fd (or /dev/stdin and its kin, links into
// them), where each process reaches another file: /proc/self/cwd is ddpm's working folder when ddpm
// checks the path and the child's, /, when the go command or setup's Python reads it, and another
// user's file under / ran as root (seventy-seventh probe). The path is walked as the kernel walks it,
// each link's target included: "//proc", "/./proc" and "/dev/../proc" passed a test of its spelling
// (seventy-eighth probe), and a link of one's own to /proc/self/cwd would.
func PerProcess(path string) bool {
	w, err := newWalker(path)
	if err != nil {
		return true // no way to tell: taken as the worst
	}
	for {
		next, _, _, ok := w.next()
		if !ok {
			return false
		}
		if procLike(next) {
			return true
		}
		info, err := os.Lstat(next)
		if err != nil {
			return false // not there: what is below it is not reached through /proc
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			if w.follow(next) != nil {
				return true
			}
			continue
		}
		if onProcFS(next) { // a procfs mounted elsewhere than /proc, judged by what it is, not its name (eighty-fifth probe)
			return true
		}
		w.enter(next)
	}
}

// OneFileForAll says whether path names one file for every process that opens it, whatever its
// working folder and however it reads the text: absolute, without ".", ".." or "//" (a "/" at its end
// is allowed), and not through /proc or /dev/fd (PerProcess). The go command and pip run in folders of
// their own, or tidy a path before they open it, and read another file there than the one checked.
func OneFileForAll(path string) bool {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	return filepath.IsAbs(path) && filepath.Clean(path) == path && !PerProcess(path)
}

// procLike says whether the clean absolute path p is /proc, /dev/fd or a standard stream's link, or
// below them.
func procLike(p string) bool {
	for _, at := range []string{"/proc", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"} {
		if p == at || strings.HasPrefix(p, at+"/") {
			return true
		}
	}
	return false
}

// danglingLink is the first name on dir's way that is a link to what is not there, for a message (dir
// itself where none is found by name).
func danglingLink(dir string) string {
	parts := strings.Split(dir, "/")
	for i := 1; i <= len(parts); i++ {
		way := strings.Join(parts[:i], "/")
		if _, err := os.Lstat(way); way != "" && err == nil {
			if _, err := os.Stat(way); err != nil {
				return way
			}
		}
	}
	return dir
}

// maxLinks bounds the links followed in one path, as the kernel's 40.
const maxLinks = 40

// SecurePath resolves path one name at a time, as the kernel does, and checks everything it passes:
// every folder it enters and every link it reads must belong to the user or to root, and no folder
// may be writable by another user (writableByOthers) unless it is sticky (/tmp), where others cannot
// replace what they do not own; nor may the file it ends at, where path is a file (file), which must
// be a regular file outside /proc and /sys. A link of another user's inside a chain of links chose
// what root loaded, and /proc/kmsg, a regular file, hung it (thirty-sixth probe).
func SecurePath(path string, file bool) (string, error) {
	last := lastFolder
	if file {
		last = lastFile
	}
	return resolve(path, last)
}

// WritePath is SecurePath for a file that is to be written (replaced whole, or made): every folder on
// the way and every link met, the last name's included, must be the user's or root's, and no folder
// writable by another user unless it is sticky; the file itself is not looked at (it is replaced), and
// what is not there yet (folders included) is the writer's to make. A link that another user put at
// `--out` in /tmp had root write its samples over a file of root's in a private folder, and a run's
// folder in a folder of theirs was swapped for a link to another of root's between a save and the
// removal of old checkpoints (fifty-sixth probe).
// A path that cannot be resolved (a loop of links, a file where a folder should be, a working folder
// removed) is not refused here: the write fails on it, and its writer names why.
func WritePath(path string) (string, error) {
	resolved, err := resolve(path, lastWritten)
	var r refusal
	if err != nil && !errors.As(err, &r) {
		return path, nil
	}
	return resolved, err
}

// refusal is resolve's error for what another user could change, as against a path that cannot be
// resolved.
type refusal struct{ error }

func (r refusal) Unwrap() error { return r.error }

// What resolve asks of the last name of a path.
const (
	lastFile    = iota // a regular file of a disk, no other user's, that no other user may write
	lastFolder         // a folder of the user's or root's that no other user may write, unless sticky
	lastWritten        // anything, or nothing: it is replaced or made
)

func resolve(path string, last int) (string, error) {
	at, rest, _, err := resolveWay(path, last)
	if err != nil || len(rest) == 0 {
		return at, err
	}
	return filepath.Join(append([]string{at}, rest...)...), nil
}

// resolveWay is resolve that returns, where last is lastWritten, the deepest name on the way that
// exists (resolved, without links) and the names after it apart: those do not exist yet; viaLink says
// whether the first of them is a link's target's (a link to what is not there).
func resolveWay(path string, last int) (at string, rest []string, viaLink bool, err error) {
	file := last == lastFile
	w, err := newWalker(path)
	if err != nil {
		return "", nil, false, err
	}
	root, err := os.Lstat("/")
	if err != nil {
		return "", nil, false, err
	}
	if err := checkTrusted("/", root, true); err != nil {
		return "", nil, false, refusal{err}
	}
	for {
		next, name, fromLink, ok := w.next()
		if !ok {
			break
		}
		info, err := os.Lstat(next)
		if last == lastWritten && errors.Is(err, fs.ErrNotExist) {
			return w.at, append([]string{name}, w.todo...), fromLink, nil // made by the writer, in a folder checked
		}
		if err != nil {
			return "", nil, false, err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			if err := checkOwner(next, info); err != nil {
				return "", nil, false, refusal{err}
			}
			if err := w.follow(next); err != nil {
				return "", nil, false, err
			}
			continue
		}
		if last == lastWritten && w.last() {
			return next, nil, false, nil
		}
		if !w.last() && !info.IsDir() { // as the kernel refuses it: "f/../x" went on from f's folder
			return "", nil, false, &fs.PathError{Op: "resolve", Path: next, Err: syscall.ENOTDIR}
		}
		if err := checkTrusted(next, info, !w.last() || !file); err != nil {
			return "", nil, false, refusal{err}
		}
		w.enter(next)
	}
	if file {
		// "f/" names a folder, which the kernel refuses to open a file as: it was read as f (seventy-
		// ninth probe's nit).
		if strings.HasSuffix(path, "/") || strings.HasSuffix(path, "/.") { // "f/." too (eightieth probe's nit)
			return "", nil, false, &fs.PathError{Op: "resolve", Path: path, Err: syscall.ENOTDIR}
		}
		if err := CheckDiskFile(w.at); err != nil {
			return "", nil, false, err
		}
	}
	return w.at, nil, false, nil
}

// names are the names of a path, without the empty ones and ".".
func names(path string) []string {
	var out []string
	for _, name := range strings.Split(path, "/") {
		if name != "" && name != "." {
			out = append(out, name)
		}
	}
	return out
}

// ErrOtherUser is wrapped by the refusals of what belongs to another user, which no change of mode by
// this one can mend: the advice is then to use a folder of one's own (forty-fourth probe's nit: setup
// said chmod go-w for another user's $HOME).
var ErrOtherUser = errors.New("belongs to another user")

// checkOwner refuses what belongs to a user other than this one and root.
func checkOwner(path string, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: its owner cannot be read", path)
	}
	if int(st.Uid) != os.Getuid() && st.Uid != 0 {
		return fmt.Errorf("%s %w (uid %d)", path, ErrOtherUser, st.Uid)
	}
	return nil
}

// checkTrusted refuses path, not a link, whose Lstat is info, unless it belongs to the user or root
// and no other user can write it; a sticky folder may be writable by others where folder says path is
// passed through, not loaded.
func checkTrusted(path string, info fs.FileInfo, folder bool) error {
	if err := checkOwner(path, info); err != nil {
		return err
	}
	if folder && info.IsDir() && info.Mode()&fs.ModeSticky != 0 {
		return nil
	}
	if why := writableByOthers(path, info.Mode(), int(info.Sys().(*syscall.Stat_t).Gid)); why != "" {
		return fmt.Errorf("%s can be changed by other users (%s)", path, why)
	}
	return nil
}

// writableByOthers says why a file or folder of mode m and group gid can be written by a user other
// than this one, or "" when it cannot: its mode lets anyone write; or its group may, unless that group
// is this user's private group (notYoursAlone: on Debian and Ubuntu each user has one, and a umask of 002
// makes every folder group-writable); or its POSIX access ACL names another user or group that may
// write. With an ACL, the group bits of the mode are its mask, and the group's own entry says what the
// group may do (thirty-fifth and thirty-sixth probes).
func writableByOthers(path string, m fs.FileMode, gid int) string {
	if m.Perm()&0o002 != 0 {
		return "mode " + unixMode(m) + ": anyone may write"
	}
	acl, err := readACL(path, aclAccess)
	if err != nil {
		return "its ACL cannot be read: " + err.Error()
	}
	if acl != nil {
		if who := aclWriterOf(acl, os.Getuid(), gid, ownGroup); who != "" {
			return "its ACL lets " + who + " write"
		}
		return ""
	}
	if m.Perm()&0o020 != 0 {
		if why := notYoursAlone(gid); why != "" {
			return "mode " + unixMode(m) + ": " + groupName(gid) + " may write, and it is not known to be yours alone: " + why
		}
	}
	return ""
}

// unixMode writes a mode as chmod takes it (2775), with the setuid, setgid and sticky bits: Go's
// String wrote a setgid folder as dgrwxrwxr-x (thirty-fifth probe's nit).
func unixMode(m fs.FileMode) string {
	bits := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		bits |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		bits |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		bits |= 0o1000
	}
	return fmt.Sprintf("%04o", bits)
}

// POSIX ACLs as Linux stores them in extended attributes (acl_ea.h).
const (
	aclAccess   = "system.posix_acl_access"
	aclDefault  = "system.posix_acl_default"
	aclUser     = 0x02
	aclGroupObj = 0x04
	aclGroup    = 0x08
	aclMask     = 0x10
	aclWrite    = 0x02
)

// readACL is path's ACL attr (aclAccess or aclDefault), nil when it has none.
func readACL(path, attr string) ([]byte, error) {
	buf := make([]byte, 1024)
	n, err := syscall.Getxattr(path, attr, buf)
	if errors.Is(err, syscall.ERANGE) {
		buf = make([]byte, 1<<16)
		n, err = syscall.Getxattr(path, attr, buf)
	}
	if errors.Is(err, syscall.ENODATA) || errors.Is(err, syscall.ENOTSUP) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// aclWriter names the first entry of path's ACL attr that lets a user other than this one write, or
// "" when none does (or it has none); gid is path's group, whose entry is the group's (-1: none).
func aclWriter(path, attr string, gid int) string {
	acl, err := readACL(path, attr)
	if err != nil {
		return "whom it cannot say (" + err.Error() + ")"
	}
	if acl == nil {
		return ""
	}
	return aclWriterOf(acl, os.Getuid(), gid, ownGroup)
}

// aclWriterOf is aclWriter on the attribute's bytes: a version, then entries of a tag, permissions and
// an id. A named user is another user unless it is this one; a named group, or the file's own, another
// unless it is this user's private group. The mask bounds them all.
func aclWriterOf(acl []byte, uid, gid int, own func(gid int) bool) string {
	if len(acl) < 4 || (len(acl)-4)%8 != 0 {
		return "whom it cannot say (an ACL of " + strconv.Itoa(len(acl)) + " bytes)"
	}
	entries := acl[4:]
	mask := uint16(0o7)
	for i := 0; i < len(entries); i += 8 {
		if binary.LittleEndian.Uint16(entries[i:]) == aclMask {
			mask = binary.LittleEndian.Uint16(entries[i+2:])
		}
	}
	for i := 0; i < len(entries); i += 8 {
		tag, perm, id := binary.LittleEndian.Uint16(entries[i:]), binary.LittleEndian.Uint16(entries[i+2:]), binary.LittleEndian.Uint32(entries[i+4:])
		if perm&mask&aclWrite == 0 {
			continue
		}
		switch {
		case tag == aclUser && int(id) != uid && id != 0: // root may write anything anyway
			return "user " + strconv.Itoa(int(id))
		case tag == aclGroup && !own(int(id)):
			return groupName(int(id))
		case tag == aclGroupObj && gid >= 0 && !own(gid):
			return groupName(gid)
		}
	}
	return ""
}

// CheckOwnFolder refuses a folder where files are looked up by name unless no other user can write it,
// sticky or not (in a sticky folder, others cannot replace a name but can add one;
// CheckSecureFolder allows a sticky folder, as it should on the way to a plugin), or, where it is
// not there, make it (CheckRead).
func CheckOwnFolder(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return CheckRead(dir)
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	if err := CheckSecureFolder(dir); err != nil {
		return err
	}
	if why := othersMayAdd(dir, info, true); why != "" {
		return fmt.Errorf("%s is a sticky folder that others may add files to (%s)", dir, why)
	}
	return nil
}

// othersMayAdd says why users other than this one may add a file to dir, a sticky folder whose Stat
// is info (in a sticky folder they cannot replace what is not theirs, but may add), or "" when none
// may: as writableByOthers says of its mode and ACL (a group that is the user's alone may write; a
// shared group or an ACL's entry let its members add a pip.conf or a go env file that root read;
// forty-ninth probe), unless the folder's file system is mounted read-only here (readOnlyCounts), where
// no one can through this path (NixOS's /nix/store, 1775 root:nixbld and read-only, was refused as
// "others may add files") and no writable mount here shows the same folder (writableElsewhere). A
// file that is not there yet is not vouched for so: the same folder may be writable through another
// mount, where another user made the go env file that root's go read after the check (fifty-second
// probe).
func othersMayAdd(dir string, info fs.FileInfo, readOnlyCounts bool) string {
	if info.Mode()&fs.ModeSticky == 0 {
		return "" // SecurePath has refused any other user's writing
	}
	var st syscall.Statfs_t
	if readOnlyCounts && syscall.Statfs(dir, &st) == nil && st.Flags&stReadOnly != 0 && !writableElsewhere(dir) {
		return ""
	}
	return writableByOthers(dir, info.Mode(), int(info.Sys().(*syscall.Stat_t).Gid))
}

// stReadOnly is ST_RDONLY of statfs's flags: a file system mounted read-only.
const stReadOnly = 1

// CheckRead refuses file unless no other user can change it; or, where it does not exist, make it: a
// pip.conf made by another user in their $HOME while root's setup ran was read (thirty-ninth probe).
// Its nearest folder must then be writable by no other user, sticky or not (othersMayAdd: a sticky
// folder that a shared group may write passed, and a member made the go env file that root's go
// command read; forty-ninth probe).
func CheckRead(file string) error {
	if file == os.DevNull { // an empty read, as OPENSSL_CONF=/dev/null asks for (fifty-second probe: "can be changed by other users")
		return nil
	}
	if _, err := os.Lstat(file); err == nil {
		_, err := SecureFile(file)
		return err
	}
	at, err := NearestFolder(Parent(file))
	if err != nil {
		return err
	}
	if err := CheckSecureFolder(at); err != nil {
		return err
	}
	info, err := os.Stat(at)
	if err != nil {
		return err
	}
	if why := othersMayAdd(at, info, false); why != "" {
		return fmt.Errorf("%s is not there, and others may make it in %s (%s)", file, at, why)
	}
	return nil
}

// CheckDiskFile refuses what a reader (dlopen, an interpreter) would hang on or read without end: anything but a regular file
// (a FIFO hung every command; thirtieth probe), and a file of /proc or /sys (/proc/kmsg, a regular
// file, hung it; thirty-sixth probe).
func CheckDiskFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is %s, not a regular file", path, safefile.Kind(info.Mode()))
	}
	if fsys, ok := OnKernelFS(path); ok {
		return fmt.Errorf("%s is a file of the kernel's (%s), not one of a disk", path, fsys)
	}
	return nil
}

// OnKernelFS says whether the nearest existing folder at or above dir is on a file system of the
// kernel's (kernelFileSystems), where nothing can be made and whose files are no data, and which.
func OnKernelFS(dir string) (string, bool) {
	for at := dir; ; at = filepath.Dir(at) {
		var st syscall.Statfs_t
		if syscall.Statfs(at, &st) == nil {
			name, ok := kernelFileSystems[int64(st.Type)]
			return name, ok
		}
		if at == filepath.Dir(at) {
			return "", false
		}
	}
}

// onProcFS says whether path (no link) is on a procfs, wherever it is mounted: /mnt/p/self/cwd is each
// process's working folder as /proc/self/cwd is.
func onProcFS(path string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(path, &st) == nil && st.Type == procMagic
}

// procMagic is procfs's magic number (linux/magic.h).
const procMagic = 0x9fa0

// kernelFileSystems are the file systems of the kernel's, by their magic numbers (linux/magic.h):
// /proc and /sys, and those mounted below /sys, whose regular files (/sys/kernel/tracing/trace_pipe)
// block a reader as a FIFO does (thirty-seventh probe).
var kernelFileSystems = map[int64]string{
	procMagic:  "proc",
	0x62656572: "sysfs",
	0x74726163: "tracefs",
	0x64626720: "debugfs",
	0x73636673: "securityfs",
	0x62656570: "configfs",
	0x27e0eb:   "cgroup",
	0x63677270: "cgroup2",
	0xcafe4a11: "bpf",
	0x6165676c: "pstore",
	0xde5e81e4: "efivarfs",
	0x65735543: "fusectl",
	0x42494e4d: "binfmt_misc",
	0xf97cff8c: "selinuxfs",
}
