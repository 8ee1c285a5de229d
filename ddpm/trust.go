package ddpm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// securePath returns the file that path leads to, its links resolved, where no other user can change
// it or what leads to it, to be loaded into this process or to say where it is: it, every folder above
// it and every link on the way must belong to the user or to root, and none of the folders may be
// writable by another user (writableByOthers), unless it is sticky (/tmp), where others cannot replace
// what they do not own. It looks at the path as given and at the one its links lead to, which the
// caller then uses: a link met only inside a chain of links was on neither, and was swapped between
// the check and the load (thirty-fourth probe).
func securePath(path string) (string, error) { return securePathOf(path, true) }

// CheckSecureFolder refuses a folder (or, where it does not exist yet, the nearest folder above it)
// where a plugin installed would not be loaded, since another user could change it (securePath):
// `ddpm setup` said "installed now" into a group-writable cache, and every command then ignored the
// plugin and said to run setup again (thirty-fourth probe).
func CheckSecureFolder(dir string) error {
	at, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for {
		if _, err := os.Lstat(at); err == nil {
			_, err := securePathOf(at, false)
			return err
		}
		if at == filepath.Dir(at) {
			return nil
		}
		at = filepath.Dir(at)
	}
}

// securePathOf is securePath, where path is a folder unless file: a sticky folder is then allowed too.
func securePathOf(path string, file bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	for _, p := range []string{abs, real} {
		for at, file := p, file; ; at, file = filepath.Dir(at), false {
			info, err := os.Lstat(at)
			if err != nil {
				return "", err
			}
			st, ok := info.Sys().(*syscall.Stat_t)
			if !ok {
				return "", fmt.Errorf("%s: its owner cannot be read", at)
			}
			if int(st.Uid) != os.Getuid() && st.Uid != 0 {
				return "", fmt.Errorf("%s belongs to another user (uid %d)", at, st.Uid)
			}
			if info.Mode()&fs.ModeSymlink == 0 && (file || info.Mode()&fs.ModeSticky == 0) {
				if why := writableByOthers(at, info.Mode(), int(st.Gid)); why != "" {
					return "", fmt.Errorf("%s can be changed by other users (%s)", at, why)
				}
			}
			if at == filepath.Dir(at) {
				break
			}
		}
	}
	return real, nil
}

// writableByOthers says why a file or folder of mode m and group gid can be written by a user other
// than this one, or "" when it cannot: its mode lets anyone write; or its group, unless that group is
// this user's private group (privateGroup: on Debian and Ubuntu each user has one, and a umask of 002
// makes every folder group-writable); or its POSIX access ACL names another user or group that may
// write (the group bits of a file with an ACL are only the ACL's mask; thirty-fifth probe).
func writableByOthers(path string, m fs.FileMode, gid int) string {
	switch {
	case m.Perm()&0o002 != 0:
		return "mode " + unixMode(m) + ": anyone may write"
	case m.Perm()&0o020 != 0 && !ownGroup(gid):
		return "mode " + unixMode(m) + ": " + groupName(gid) + " may write, a group other users share"
	}
	if entry := aclWriter(path); entry != "" {
		return "its ACL lets " + entry + " write"
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

// ownGroup says whether gid is this user's private group: a group-writable plugin folder was trusted
// whenever its group was the user's primary one, and a shared primary group (users) let every member
// replace the plugin (thirty-fifth probe). Tests replace it.
var ownGroup = func(gid int) bool {
	return gid == os.Getgid() && privateGroupOnce()
}

var privateGroupOnce = sync.OnceValue(func() bool {
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return false
	}
	group, err := os.ReadFile("/etc/group")
	if err != nil {
		return false
	}
	return privateGroup(passwd, group, os.Getuid(), os.Getgid())
})

// privateGroup says whether gid is a group of uid alone, from the account files: no other account has
// it as its primary group (passwd) and it lists no other member (group). A group the files do not
// name (an account from a directory service) is not known to be private.
func privateGroup(passwd, group []byte, uid, gid int) bool {
	name := ""
	for _, f := range colonLines(passwd, 7) {
		u, errU := strconv.Atoi(f[2])
		g, errG := strconv.Atoi(f[3])
		if errU != nil || errG != nil {
			continue
		}
		switch {
		case u == uid:
			name = f[0]
		case g == gid:
			return false // another account's primary group
		}
	}
	named := false
	for _, f := range colonLines(group, 4) {
		if g, err := strconv.Atoi(f[2]); err != nil || g != gid {
			continue
		}
		named = true
		for _, member := range strings.Split(f[3], ",") {
			if member = strings.TrimSpace(member); member != "" && member != name {
				return false
			}
		}
	}
	return named && name != ""
}

// colonLines splits the lines of an account file into their n colon-separated fields; comments and
// lines of another count are left out.
func colonLines(raw []byte, n int) [][]string {
	var lines [][]string
	s := bufio.NewScanner(bytes.NewReader(raw))
	for s.Scan() {
		if line := s.Text(); !strings.HasPrefix(line, "#") {
			if f := strings.Split(line, ":"); len(f) == n {
				lines = append(lines, f)
			}
		}
	}
	return lines
}

// groupName is how a message names a group: "group 100".
func groupName(gid int) string { return "group " + strconv.Itoa(gid) }

// POSIX ACL entries as Linux stores them in the system.posix_acl_access attribute (acl_ea.h).
const (
	aclUser  = 0x02
	aclGroup = 0x08
	aclMask  = 0x10
	aclWrite = 0x02
)

// aclWriter names the first entry of path's POSIX access ACL that lets a user other than this one
// write, or "" when none does (or it has no ACL). A named user is another user unless it is this
// one; a named group unless it is this user's private group. The mask bounds both.
func aclWriter(path string) string {
	buf := make([]byte, 1024)
	n, err := syscall.Getxattr(path, "system.posix_acl_access", buf)
	if errors.Is(err, syscall.ERANGE) {
		buf = make([]byte, 1<<16)
		n, err = syscall.Getxattr(path, "system.posix_acl_access", buf)
	}
	if err != nil {
		if errors.Is(err, syscall.ENODATA) || errors.Is(err, syscall.ENOTSUP) {
			return ""
		}
		return "whom it cannot say (" + err.Error() + ")"
	}
	return aclWriterOf(buf[:n], os.Getuid(), ownGroup)
}

// aclWriterOf is aclWriter on the attribute's bytes: a version, then entries of a tag, permissions and
// an id.
func aclWriterOf(acl []byte, uid int, own func(gid int) bool) string {
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
		case tag == aclUser && int(id) != uid:
			return "user " + strconv.Itoa(int(id))
		case tag == aclGroup && !own(int(id)):
			return groupName(int(id))
		}
	}
	return ""
}
