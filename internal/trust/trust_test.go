package trust

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A group is the user's own only when no other account shares it: a group-writable plugin folder was
// trusted whenever its group was the user's primary one, and a shared primary group (users) let every
// member replace the plugin (thirty-fifth probe). Lines that glibc reads and this did not (6 or 8
// fields, an id with a space) hid another account of the group (thirty-sixth probe): where it cannot
// be sure, the group is not private.
func TestPrivateGroupIsNoOneElses(t *testing.T) {
	const passwd = "root:x:0:0:root:/root:/bin/bash\n# a comment\n\nann:x:1000:1000::/home/ann:/bin/sh\n"
	const group = "root:x:0:\nann:x:1000:\n"
	for _, c := range []struct {
		what  string
		files accountFiles
		want  string // "" for private
	}{
		{"a user private group", accountFiles{passwd: []byte(passwd), group: []byte(group)}, ""},
		{"listing the user alone", accountFiles{passwd: []byte(passwd), group: []byte("ann:x:1000:ann\n")}, ""},
		{"listing another member", accountFiles{passwd: []byte(passwd), group: []byte("ann:x:1000:ann,bob\n")}, "/etc/group lists bob in it"},
		{"another account's primary group", accountFiles{passwd: []byte(passwd + "bob:x:1001:1000::/home/bob:/bin/sh\n"), group: []byte(group)}, "bob has it as primary group"},
		{"another account's, in 6 fields", accountFiles{passwd: []byte(passwd + "eve:x:1005:1000::/nonexistent\n"), group: []byte(group)}, "eve has it"},
		{"another account's, in 8 fields", accountFiles{passwd: []byte(passwd + "eve:x:1005:1000::/nonexistent:/bin/sh:junk\n"), group: []byte(group)}, "eve has it"},
		{"another account's, with a space", accountFiles{passwd: []byte(passwd + "eve:x:1005: 1000::/nonexistent:/bin/sh\n"), group: []byte(group)}, "eve has it"},
		{"a line it cannot read", accountFiles{passwd: []byte(passwd + "eve:x:1005\n"), group: []byte(group)}, `a line of /etc/passwd cannot be read ("eve:x:1005")`},
		{"NIS's compat entries", accountFiles{passwd: []byte(passwd + "+::::::\n"), group: []byte(group)}, "cannot be read"},
		{"a group the files do not name", accountFiles{passwd: []byte(passwd), group: []byte("root:x:0:\n")}, "/etc/group does not name it"},
		{"a user the files do not name", accountFiles{passwd: []byte("root:x:0:0:root:/root:/bin/bash\n"), group: []byte(group)}, "/etc/passwd does not name you"},
		{"accounts from the files and systemd", accountFiles{passwd: []byte(passwd), group: []byte(group),
			nsswitch: []byte("passwd: files systemd\ngroup: compat [NOTFOUND=return] files # local\n")}, ""},
		{"accounts from a directory service", accountFiles{passwd: []byte(passwd), group: []byte(group), nsswitch: []byte("passwd: files sss\ngroup: files sss\n")},
			"accounts come from sss too (/etc/nsswitch.conf)"},
		// newgrp takes members, administrators and a password from gshadow (thirty-seventh probe).
		{"gshadow, locked, the user alone", accountFiles{passwd: []byte(passwd), group: []byte(group), gshadow: []byte("ann:!::ann\n")}, ""},
		{"gshadow lists another member", accountFiles{passwd: []byte(passwd), group: []byte(group), gshadow: []byte("ann:!::bob\n")}, "/etc/gshadow lists bob in it"},
		{"gshadow names another administrator", accountFiles{passwd: []byte(passwd), group: []byte(group), gshadow: []byte("ann:!:bob:\n")}, "/etc/gshadow lists bob in it"},
		{"gshadow holds a password", accountFiles{passwd: []byte(passwd), group: []byte(group), gshadow: []byte("ann:$6$salt$hash::\n")}, "it has a password in /etc/gshadow"},
		{"gshadow of the group's other name", accountFiles{passwd: []byte(passwd), group: []byte(group + "ann2:x:1000:\n"), gshadow: []byte("ann:!::\nann2:!::bob\n")}, "/etc/gshadow lists bob in it"},
		// Where gshadow has no line for it, newgrp and sg take the password in /etc/group (sixty-seventh probe).
		{"a password in /etc/group, no gshadow line", accountFiles{passwd: []byte(passwd), group: []byte("ann:$6$salt$hash:1000:\n"), gshadow: []byte("root:*::\n")},
			"it has a password in /etc/group (and no line in /etc/gshadow)"},
		{"a password in /etc/group, no gshadow", accountFiles{passwd: []byte(passwd), group: []byte("ann:$6$salt$hash:1000:\n")}, "it has a password in /etc/group"},
		{"a password in /etc/group, gshadow's locked", accountFiles{passwd: []byte(passwd), group: []byte("ann:$6$salt$hash:1000:\n"), gshadow: []byte("ann:!::\n")}, ""},
		{"gshadow of the group's first name", accountFiles{passwd: []byte(passwd), group: []byte(group + "ann2:x:1000:\n"), gshadow: []byte("ann:!::bob\nann2:!::\n")}, "/etc/gshadow lists bob in it"},
		// Every line, after one over a megabyte too: the reading stopped there (seventy-first probe).
		{"gshadow after a long line", accountFiles{passwd: []byte(passwd), group: []byte(group),
			gshadow: []byte("big:!::" + strings.Repeat("member,", 200_000) + "last\nann:!::bob\n")}, "/etc/gshadow lists bob in it"},
		{"group after a long line", accountFiles{passwd: []byte(passwd), group: []byte("big:x:1001:" + strings.Repeat("m,", 600_000) + "m\n" + group + "ann:x:1000:bob\n")},
			"/etc/group lists bob in it"},
	} {
		if got := notPrivate(c.files, 1000, 1000); (got == "") != (c.want == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: notPrivate = %q, want %q", c.what, got, c.want)
		}
	}
}

// acl is a system.posix_acl_access attribute of the given (tag, permissions, id) entries.
func acl(entries ...[3]uint32) []byte {
	raw := binary.LittleEndian.AppendUint32(nil, 2)
	for _, e := range entries {
		raw = binary.LittleEndian.AppendUint16(raw, uint16(e[0]))
		raw = binary.LittleEndian.AppendUint16(raw, uint16(e[1]))
		raw = binary.LittleEndian.AppendUint32(raw, e[2])
	}
	return raw
}

// A POSIX ACL that names another user or group with write is writable by others; its mask bounds the
// named entries; the user's own entries and private group do not count.
func TestACLWritersAreOthers(t *testing.T) {
	const userObj, other, rwx, rx = 0x01, 0x20, 7, 5
	own := func(gid int) bool { return gid == 1000 }
	base := [][3]uint32{{userObj, rwx, 0}, {other, rx, 0}}
	for _, c := range []struct {
		what  string
		gid   int
		extra [][3]uint32
		want  string
	}{
		{"no named entry", 100, [][3]uint32{{aclGroupObj, rx, 0}}, ""},
		{"another user may write", 100, [][3]uint32{{aclGroupObj, rx, 0}, {aclUser, rwx, 4242}, {aclMask, rwx, 0}}, "user 4242"},
		{"another user, masked", 100, [][3]uint32{{aclGroupObj, rx, 0}, {aclUser, rwx, 4242}, {aclMask, rx, 0}}, ""},
		{"another user may only read", 100, [][3]uint32{{aclGroupObj, rx, 0}, {aclUser, rx, 4242}, {aclMask, rwx, 0}}, ""},
		{"the user by name", 100, [][3]uint32{{aclGroupObj, rx, 0}, {aclUser, rwx, 1000}, {aclMask, rwx, 0}}, ""},
		{"root by name", 100, [][3]uint32{{aclGroupObj, rx, 0}, {aclUser, rwx, 0}, {aclMask, rwx, 0}}, ""}, // who may write anything anyway
		{"another group may write", 1000, [][3]uint32{{aclGroupObj, rx, 0}, {aclGroup, rwx, 100}, {aclMask, rwx, 0}}, "100"},
		{"the private group by name", 100, [][3]uint32{{aclGroupObj, rx, 0}, {aclGroup, rwx, 1000}, {aclMask, rwx, 0}}, ""},
		{"the file's shared group may write", 100, [][3]uint32{{aclGroupObj, rwx, 0}, {aclMask, rwx, 0}}, "100"},
		{"the file's private group may write", 1000, [][3]uint32{{aclGroupObj, rwx, 0}, {aclMask, rwx, 0}}, ""},
		{"a default ACL, no file's group", -1, [][3]uint32{{aclGroupObj, rwx, 0}, {aclMask, rwx, 0}}, ""},
	} {
		got := aclWriterOf(acl(append(base, c.extra...)...), 1000, c.gid, own)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) { // a group is named as /etc/group names it
			t.Errorf("%s: aclWriterOf = %q, want %q", c.what, got, c.want)
		}
	}
	if got := aclWriterOf([]byte{2, 0, 0}, 1000, 100, own); !strings.Contains(got, "cannot say") {
		t.Errorf("a cut ACL: %q, want it taken as writable", got)
	}
}

// A folder writable by the user's group is trusted only where that group is private, and a POSIX ACL
// that lets another user write is refused, on real folders; with an ACL, its group entry, not the mode's
// group bits (its mask), says what the group may do (thirty-sixth probe: an ACL naming the user alone
// was blamed on the group). A default ACL makes a folder refused for setup.
func TestSecurePathRefusesWhatOthersCanWrite(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "lib", "plugin.so")
	if err := os.MkdirAll(filepath.Dir(plugin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Dir(plugin)
	if err := os.Chown(lib, -1, os.Getgid()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(lib, os.ModeSetgid|0o775); err != nil {
		t.Fatal(err)
	}
	defer func(f func(int) string) { notYoursAlone = f }(notYoursAlone)
	notYoursAlone = func(int) string { return "" }
	if _, err := SecureFile(plugin); err != nil {
		t.Errorf("a folder writable by the user's private group: %v", err)
	}
	notYoursAlone = func(int) string { return "bob has it as primary group" }
	want := lib + " can be changed by other users (mode 2775: " + groupName(os.Getgid()) + " may write, and it is not known to be yours alone: bob has it as primary group)"
	if _, err := SecureFile(plugin); err == nil || err.Error() != want {
		t.Errorf("a folder writable by a shared group: %v, want %q", err, want)
	}
	if err := os.Chmod(lib, 0o755); err != nil {
		t.Fatal(err)
	}

	setACL := func(attr string, entries ...[3]uint32) {
		t.Helper()
		if err := syscall.Setxattr(lib, attr, acl(entries...), 0); err != nil {
			if errors.Is(err, syscall.ENOTSUP) {
				t.Skipf("%s has no POSIX ACLs: %v", lib, err)
			}
			t.Fatal(err)
		}
	}
	const userObj, other = 0x01, 0x20
	// An ACL that lets user 4242 write, with the mask that setfacl gives (the group bits show it).
	setACL(aclAccess, [3]uint32{userObj, 7, 0}, [3]uint32{aclUser, 7, 4242}, [3]uint32{aclGroupObj, 5, 0}, [3]uint32{aclMask, 7, 0}, [3]uint32{other, 5, 0})
	if _, err := SecureFile(plugin); err == nil || !strings.Contains(err.Error(), lib+" can be changed by other users (its ACL lets user 4242 write)") {
		t.Errorf("a folder whose ACL lets another user write: %v", err)
	}
	// One that names the user alone: the group bits (the mask) say rwx, the group's entry r-x.
	setACL(aclAccess, [3]uint32{userObj, 7, 0}, [3]uint32{aclUser, 7, uint32(os.Getuid())}, [3]uint32{aclGroupObj, 5, 0}, [3]uint32{aclMask, 7, 0}, [3]uint32{other, 5, 0})
	if _, err := SecureFile(plugin); err != nil {
		t.Errorf("a folder whose ACL names the user alone, of a shared group: %v", err)
	}
	if err := syscall.Removexattr(lib, aclAccess); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(lib, 0o755); err != nil { // the ACL's mask was left as the group bits
		t.Fatal(err)
	}
	if _, err := SecureFile(plugin); err != nil {
		t.Errorf("the folder without its ACL: %v", err)
	}
	// A default ACL: what setup would make in the folder, another user could write.
	setACL(aclDefault, [3]uint32{userObj, 7, 0}, [3]uint32{aclUser, 7, 4242}, [3]uint32{aclGroupObj, 5, 0}, [3]uint32{aclMask, 7, 0}, [3]uint32{other, 5, 0})
	if err := CheckSecureFolder(filepath.Join(lib, "ddpm-go")); err == nil || !strings.Contains(err.Error(), "its default ACL lets user 4242 write what is made in it") {
		t.Errorf("a folder whose default ACL lets another user write: %v", err)
	}
	if _, err := SecureFile(plugin); err != nil {
		t.Errorf("a default ACL is no matter for what is there: %v", err)
	}
	// One whose group entry lets the group of what is made there write, where that group is not the
	// user's alone (it was left out; fortieth probe).
	notYoursAlone = func(int) string { return "bob has it as primary group" }
	setACL(aclDefault, [3]uint32{userObj, 7, 0}, [3]uint32{aclGroupObj, 7, 0}, [3]uint32{aclMask, 7, 0}, [3]uint32{other, 5, 0})
	if err := CheckSecureFolder(filepath.Join(lib, "ddpm-go")); err == nil || !strings.Contains(err.Error(), "its default ACL lets group") {
		t.Errorf("a folder whose default ACL lets a shared group write: %v", err)
	}
	notYoursAlone = func(int) string { return "" }
	if err := CheckSecureFolder(filepath.Join(lib, "ddpm-go")); err != nil {
		t.Errorf("a folder whose default ACL lets the user's private group write: %v", err)
	}
}

// A path is resolved as the kernel resolves it: a ".." after a link goes up from where the link leads,
// not from the link (filepath.Abs took "l/.." for the folder of l, and another user's interpreter ran in
// place of the one checked; fortieth probe).
func TestSecurePathResolvesDotDotAfterLinks(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{"real/inner"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := filepath.Join(root, "real", "x.so")
	if err := os.WriteFile(want, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "x.so"), nil, 0o644); err != nil { // where a lexical ".." leads
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "real", "inner"), filepath.Join(root, "l")); err != nil {
		t.Fatal(err)
	}
	if got, err := SecureFile(filepath.Join(root, "l") + "/../x.so"); err != nil || got != want {
		t.Errorf("l/../x.so: %q, %v; want %s, as the kernel opens it", got, err, want)
	}
	t.Chdir(root)
	if got, err := SecureFile("l/../x.so"); err != nil || got != want {
		t.Errorf("relative l/../x.so: %q, %v; want %s", got, err, want)
	}
}

// What is made in a folder not there yet is made in the nearest folder above it that is; a link to
// what is not there is refused, since its target could be made by another user first (forty-first probe).
func TestNearestFolder(t *testing.T) {
	dir := t.TempDir()
	if at, err := NearestFolder(filepath.Join(dir, "a", "b")); err != nil || at != dir {
		t.Errorf("NearestFolder of a path not there = %q, %v; want %q", at, err, dir)
	}
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	if _, err := NearestFolder(filepath.Join(dir, "l", "b")); err == nil || !strings.Contains(err.Error(), "l is a link to what is not there") {
		t.Errorf("NearestFolder through a dangling link: %v", err)
	}
	if err := CheckSecureFolder(filepath.Join(dir, "l", "b")); err == nil || !strings.Contains(err.Error(), "l is a link to what is not there") {
		t.Errorf("CheckSecureFolder through a dangling link: %v", err)
	}
	// A ".." after a link goes up from where the link leads, as the kernel goes: "via/.." was taken for
	// the folder of via, and another user's folder, reached through root's link to a folder of root's
	// inside it, passed as $LD_LIBRARY_PATH (seventy-sixth probe).
	if os.Getuid() != 0 {
		t.Skip("a folder of another user's needs root to make")
	}
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(filepath.Join(other, "mine"), 0o755); err != nil || os.Chown(other, 65534, 65534) != nil {
		t.Fatal("making another user's folder")
	}
	if err := os.Symlink(filepath.Join(other, "mine"), filepath.Join(dir, "via")); err != nil {
		t.Fatal(err)
	}
	for _, check := range []func(string) error{CheckOwnFolder, CheckSecureFolder, func(d string) error { _, err := NearestFolder(d); return err }} {
		if err := check(filepath.Join(dir, "via") + "/.."); !errors.Is(err, ErrOtherUser) {
			t.Errorf("via/.., another user's folder: %v, want a refusal naming its owner", err)
		}
	}
	if err := CheckRead(filepath.Join(dir, "via") + "/../lib.so"); !errors.Is(err, ErrOtherUser) {
		t.Errorf("CheckRead of via/../lib.so, not there, in another user's folder: %v, want a refusal", err)
	}
	// A tree named through link/.. is walked where the kernel leads, below its top as well: "a/l/../lib"
	// was walked as a/lib from its second level, past another user's folder (seventy-seventh probe).
	tree := filepath.Join(dir, "tree")
	theirs := filepath.Join(tree, "real", "lib", "glibc-hwcaps", "x86-64-v3")
	if err := os.MkdirAll(theirs, 0o755); err != nil || os.MkdirAll(filepath.Join(tree, "a", "lib", "glibc-hwcaps"), 0o755) != nil ||
		os.MkdirAll(filepath.Join(tree, "real", "x"), 0o755) != nil || os.Chown(theirs, 65534, 65534) != nil ||
		os.Symlink(filepath.Join(tree, "real", "x"), filepath.Join(tree, "a", "l")) != nil {
		t.Fatal("making the tree")
	}
	if err := CheckOwnTree(filepath.Join(tree, "a", "l") + "/../lib"); !errors.Is(err, ErrOtherUser) {
		t.Errorf("CheckOwnTree of a/l/../lib, holding another user's folder: %v, want a refusal", err)
	}
}

// A link in a tree to a folder is followed as the loader follows it: to a sticky folder, or to a folder
// of root's holding another user's, it passed, and root loaded that user's librt (seventy-ninth probe).
func TestCheckOwnTreeFollowsLinksToFolders(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make another user's folder")
	}
	dir := t.TempDir()
	mk := func(path string, mode fs.FileMode) {
		if err := os.MkdirAll(path, 0o755); err != nil || os.Chmod(path, mode) != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		if err := os.Symlink(target, name); err != nil {
			t.Fatal(err)
		}
	}
	shared, homes, mine := filepath.Join(dir, "shared"), filepath.Join(dir, "homes"), filepath.Join(dir, "mine")
	mk(shared, 0o777|fs.ModeSticky)
	mk(filepath.Join(homes, "x86-64-v4"), 0o755)
	if err := os.Chown(filepath.Join(homes, "x86-64-v4"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	mk(filepath.Join(mine, "x86-64-v4"), 0o755)
	for name, target := range map[string]string{"to-sticky": shared, "to-theirs": homes} {
		mk(filepath.Join(dir, name), 0o755)
		link(target, filepath.Join(dir, name, "glibc-hwcaps"))
		if err := CheckOwnTree(filepath.Join(dir, name)); err == nil || !strings.Contains(err.Error(), "glibc-hwcaps is a symbolic link") {
			t.Errorf("a tree whose link leads to %s: %v, want a refusal naming the link", target, err)
		}
	}
	// Nor a link through /proc/self/cwd, which each process follows from its own working folder (eightieth probe).
	mk(filepath.Join(dir, "to-proc"), 0o755)
	link("/proc/self/cwd"+mine, filepath.Join(dir, "to-proc", "libz.so.1"))
	if err := CheckOwnTree(filepath.Join(dir, "to-proc")); err == nil || !strings.Contains(err.Error(), "through /proc or /dev/fd") {
		t.Errorf("a tree whose link leads through /proc/self/cwd: %v, want a refusal", err)
	}
	mk(filepath.Join(dir, "to-mine"), 0o755)
	link(mine, filepath.Join(dir, "to-mine", "glibc-hwcaps"))
	link(filepath.Join(dir, "to-mine"), filepath.Join(mine, "back")) // a loop, walked once
	if err := CheckOwnTree(filepath.Join(dir, "to-mine")); err != nil {
		t.Errorf("a tree whose link leads to a folder of one's own: %v", err)
	}
}

// A process of another user's that carries one's private group (a container's --group-add 0) makes it
// no private group: such a process put its library into root's 775 folder of group 0, and root loaded
// it (seventy-ninth probe).
func TestOtherProcessInGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start another user's process")
	}
	if why := otherProcessInGroup(os.Getuid(), os.Getgid()); why != "" {
		t.Skipf("this machine has such a process already: %s", why)
	}
	sleep := exec.Command("sleep", "30")
	sleep.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{uint32(os.Getgid())}}}
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleep.Process.Kill() //nolint:errcheck
	if why := otherProcessInGroup(os.Getuid(), os.Getgid()); !strings.Contains(why, fmt.Sprintf("process %d of uid 65534", sleep.Process.Pid)) {
		t.Errorf("another user's process in group %d: %q, want it named", os.Getgid(), why)
	}
}

// A pipe named by its /proc or /dev/fd link is said to be one, not looked up as a file "pipe:[…]"
// (seventy-ninth probe's nit).
func TestSecureFileOfAPipeSaysSo(t *testing.T) {
	// And a file named with a "/" after it, which the kernel does not open (seventy-ninth probe's nit).
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{f + "/", f + "/."} {
		if _, err := SecureFile(path); !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("SecureFile(%q): %v, want ENOTDIR as the kernel says", path, err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := SecureFile(fmt.Sprintf("/proc/self/fd/%d", r.Fd())); err == nil || !strings.Contains(err.Error(), "is pipe:[") {
		t.Errorf("SecureFile of a pipe: %v, want it called a pipe", err)
	}
}

func TestPerProcess(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/proc/self/cwd", filepath.Join(dir, "cwd")); err != nil || os.Mkdir(filepath.Join(dir, "proc"), 0o755) != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{"/proc": true, "/proc/self/cwd/tmp": true, "/dev/fd/3": true, "/dev/stdin": true,
		"/dev/fdx": false, "/procs": false, "/tmp/proc": false, "/dev/null": false,
		// Other spellings of /proc, and a link to it (seventy-eighth probe).
		"//proc/self/cwd/tmp": true, "/./proc/self": true, "/dev/../proc/self": true, filepath.Join(dir, "cwd", "tmp"): true,
		filepath.Join(dir, "proc"): false, filepath.Join(dir, "not-there", "..", "x"): false} {
		if got := PerProcess(path); got != want {
			t.Errorf("PerProcess(%q) = %v, want %v", path, got, want)
		}
	}
}

// A procfs mounted elsewhere than /proc is each process's as /proc is: judged by the file system, not
// the name (eighty-fifth probe: /mnt/p/self/cwd passed). Mounting one needs root.
func TestPerProcessProcfsElsewhere(t *testing.T) {
	dir := t.TempDir()
	at := filepath.Join(dir, "p")
	if err := os.Mkdir(at, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("proc", at, "proc", 0, ""); err != nil {
		t.Skipf("mounting a procfs needs root: %v", err)
	}
	defer syscall.Unmount(at, syscall.MNT_DETACH)
	for path, want := range map[string]bool{at: true, filepath.Join(at, "self", "cwd", "tmp"): true, dir: false} {
		if got := PerProcess(path); got != want {
			t.Errorf("PerProcess(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestOneFileForAll(t *testing.T) {
	for path, want := range map[string]bool{"/": true, "/usr/lib": true, "/usr/lib/": true,
		"usr/lib": false, "./lib": false, "/usr/./lib": false, "/usr/../lib": false, "/usr//lib": false, "/usr/lib//": false,
		"/proc/self/cwd/usr": false, "//proc/self": false, "": false} {
		if got := OneFileForAll(path); got != want {
			t.Errorf("OneFileForAll(%q) = %v, want %v", path, got, want)
		}
	}
}

// A sticky folder is one others may add files to where its group may write and is not the user's
// alone, or an ACL's entry may (a shared group's member made a pip.conf and a go env file that root
// read, where only "anyone may write" was refused; forty-ninth probe), unless its file system is
// mounted read-only (NixOS's /nix/store, 1775 and read-only, was refused); CheckOwnFolder and CheckRead
// of a file not there say the same.
func TestStickyFoldersOthersMayAddTo(t *testing.T) {
	if dir := os.Getenv("DDPM_TEST_READONLY"); dir != "" { // the child, in its own mount namespace
		defer func(f func(int) string) { notYoursAlone = f }(notYoursAlone)
		notYoursAlone = func(int) string { return "bob has it as primary group" }
		// A read-only view of the folder, elsewhere, while the folder itself stays writable: others add
		// through the folder what is read through the view (sixty-second probe: another user's
		// pyvenv.cfg and library, beside a Python run from the view).
		view := os.Getenv("DDPM_TEST_VIEW")
		if err := syscall.Mount(dir, view, "", syscall.MS_BIND, ""); err != nil {
			t.Skipf("no bind mount: %v", err)
		}
		defer syscall.Unmount(view, 0)
		if err := syscall.Mount("", view, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			t.Skipf("no read-only remount: %v", err)
		}
		if err := CheckOwnFolder(view); err == nil || !strings.Contains(err.Error(), "is a sticky folder that others may add files to") {
			t.Errorf("a read-only view of a group-writable sticky folder that is writable here: %v", err)
		}
		if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
			t.Skipf("no bind mount: %v", err)
		}
		defer syscall.Unmount(dir, 0)
		if err := syscall.Mount("", dir, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			t.Skipf("no read-only remount: %v", err)
		}
		if err := CheckOwnFolder(dir); err != nil {
			t.Errorf("a group-writable sticky folder, read-only: %v", err)
		}
		if err := CheckOwnFolder(view); err != nil { // its writable view is covered now
			t.Errorf("a read-only view of a group-writable sticky folder bound read-only over itself: %v", err)
		}
		// A file not there yet is not vouched for by the read-only view: the folder may be written
		// through another mount (fifty-second probe: another user's go env file, read by root's go).
		if err := CheckRead(filepath.Join(dir, "env")); err == nil || !strings.Contains(err.Error(), "others may make it in") {
			t.Errorf("a file not there, in a group-writable sticky folder mounted read-only: %v", err)
		}
		if err := CheckRead(os.DevNull); err != nil { // an empty read (fifty-second probe)
			t.Errorf("CheckRead(%s): %v", os.DevNull, err)
		}
		return
	}
	if os.Getuid() != 0 {
		t.Skip("needs root, to make folders of a shared group")
	}
	shared := t.TempDir()
	if err := os.Chmod(shared, os.ModeSticky|0o770); err != nil {
		t.Fatal(err)
	}
	defer func(f func(int) string) { notYoursAlone = f }(notYoursAlone)
	notYoursAlone = func(int) string { return "bob has it as primary group" }
	if err := CheckOwnFolder(shared); err == nil || !strings.Contains(err.Error(), "is a sticky folder that others may add files to") {
		t.Errorf("a sticky folder of a shared group: %v", err)
	}
	if err := CheckRead(filepath.Join(shared, "pip", "pip.conf")); err == nil || !strings.Contains(err.Error(), "others may make it in "+shared) {
		t.Errorf("a file not there in a sticky folder of a shared group: %v", err)
	}
	notYoursAlone = func(int) string { return "" } // the user's private group: no one else's to add to
	if err := CheckOwnFolder(shared); err != nil {
		t.Errorf("a sticky folder of the user's private group: %v", err)
	}
	if err := CheckRead(filepath.Join(shared, "pip.conf")); err != nil {
		t.Errorf("a file not there in a sticky folder of the user's private group: %v", err)
	}
	// An ACL's writer: the mask (the group bits) lets a named user write.
	const userObj, user, groupObj, mask, other, rwx, rx = 0x01, 0x02, 0x04, 0x10, 0x20, 7, 5
	withACL := t.TempDir()
	if err := os.Chmod(withACL, os.ModeSticky|0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setxattr(withACL, "system.posix_acl_access", acl([3]uint32{userObj, rwx, 0}, [3]uint32{user, rwx, 4242},
		[3]uint32{groupObj, rx, 0}, [3]uint32{mask, rwx, 0}, [3]uint32{other, rx, 0}), 0); err != nil {
		t.Skipf("no ACLs here: %v", err)
	}
	if err := CheckRead(filepath.Join(withACL, "netrc")); err == nil || !strings.Contains(err.Error(), "its ACL lets user 4242 write") {
		t.Errorf("a file not there in a sticky folder an ACL lets another user write: %v", err)
	}
	// Read-only: in a mount namespace of its own.
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare for a read-only mount")
	}
	notYoursAlone = func(int) string { return "bob has it as primary group" }
	cmd := exec.Command(unshare, "-m", os.Args[0], "-test.run=^TestStickyFoldersOthersMayAddTo$", "-test.v")
	cmd.Env = append(os.Environ(), "DDPM_TEST_READONLY="+shared, "DDPM_TEST_VIEW="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "--- SKIP") {
		t.Skipf("in a mount namespace of its own:\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestStickyFoldersOthersMayAddTo") {
		t.Errorf("in a mount namespace of its own: %v\n%s", err, out)
	}
}

// A link planted on the way after the check is never followed: one put in a sticky /tmp had root make a
// run's folders inside a folder of root's that another user chose, and remove them by name
// (fifty-eighth probe).
func TestMakeFoldersFollowsNoLinkPlantedAfterTheCheck(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.Mkdir(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	defer func(saved func()) { checked = saved }(checked)
	checked = func() { os.Symlink(victim, filepath.Join(dir, "newrun")) } //nolint:errcheck
	made, err := MakeFolders(filepath.Join(dir, "newrun", "sub", "run"))
	if err == nil || !strings.Contains(err.Error(), "became a symbolic link") || len(made) != 0 {
		t.Errorf("a link planted after the check: made %v, error %v; want a refusal", made, err)
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Errorf("folders were made through the planted link: %v", entries)
	}
	// A link that was there, reached by ".." after a folder not there yet, is named so, not called a race
	// (eighty-first probe).
	checked = func() {}
	if err := os.Symlink(victim, filepath.Join(dir, "lnk")); err != nil {
		t.Fatal(err)
	}
	made, err = MakeFolders(filepath.Join(dir, "new") + "/../lnk/x")
	if err == nil || !strings.Contains(err.Error(), `reached by ".." after a folder not there yet`) || len(made) != 1 {
		t.Errorf("new/../lnk/x: made %v, error %v; want new made and a refusal naming the \"..\"", made, err)
	}
	// Without the race, every folder is made, in order, by its resolved name.
	made, err = MakeFolders(filepath.Join(dir, "a", "b"))
	if err != nil || len(made) != 2 || made[1] != filepath.Join(dir, "a", "b") {
		t.Errorf("MakeFolders(a/b): %v, %v", made, err)
	}
}

// StatusField reads one field of a /proc/PID/status file: the uid that names a lock's holder, the umask
// of new files and the uids of setup's leftovers all come from it.
func TestStatusField(t *testing.T) {
	status := filepath.Join(t.TempDir(), "status")
	raw := "Name:\tsu\nUmask:\t0027\nState:\tS (sleeping)\nUid:\t4242\t0\t0\t0\nGid:\t4242\t4242\t4242\t4242\n"
	if err := os.WriteFile(status, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want []string
	}{
		{"Uid", []string{"4242", "0", "0", "0"}},
		{"Umask", []string{"0027"}},
		{"State", []string{"S", "(sleeping)"}},
		{"Ui", nil}, // a prefix of a field's name is not the field
		{"Groups", nil},
	} {
		if got := StatusField(status, c.name); !slices.Equal(got, c.want) {
			t.Errorf("StatusField(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	if got := StatusField(filepath.Join(t.TempDir(), "missing"), "Uid"); got != nil {
		t.Errorf("a missing status file gave %q", got)
	}
	if got := StatusField("/proc/self/status", "Uid"); len(got) != 4 || got[0] != strconv.Itoa(os.Getuid()) {
		t.Errorf("this process's uids are %q, want four beginning with %d", got, os.Getuid())
	}
}
