package ddpm

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A group is the user's own only when no other account shares it: a group-writable plugin folder was
// trusted whenever its group was the user's primary one, and a shared primary group (users) let every
// member replace the plugin (thirty-fifth probe).
func TestPrivateGroupIsNoOneElses(t *testing.T) {
	const passwd = "root:x:0:0:root:/root:/bin/bash\n# a comment\nann:x:1000:1000::/home/ann:/bin/sh\n"
	for _, c := range []struct {
		what          string
		passwd, group string
		gid           int
		want          bool
	}{
		{"a user private group", passwd, "root:x:0:\nann:x:1000:\n", 1000, true},
		{"listing the user alone", passwd, "ann:x:1000:ann\n", 1000, true},
		{"listing another member", passwd, "ann:x:1000:ann,bob\n", 1000, false},
		{"another account's primary group", passwd + "bob:x:1001:1000::/home/bob:/bin/sh\n", "ann:x:1000:\n", 1000, false},
		{"a group the files do not name", passwd, "root:x:0:\n", 1000, false},
		{"a user the files do not name", "root:x:0:0:root:/root:/bin/bash\n", "ann:x:1000:\n", 1000, false},
	} {
		if got := privateGroup([]byte(c.passwd), []byte(c.group), 1000, c.gid); got != c.want {
			t.Errorf("%s: privateGroup = %v, want %v", c.what, got, c.want)
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
	const userObj, groupObj, other, rwx, rx = 0x01, 0x04, 0x20, 7, 5
	own := func(gid int) bool { return gid == 1000 }
	base := [][3]uint32{{userObj, rwx, 0}, {groupObj, rx, 0}, {other, rx, 0}}
	for _, c := range []struct {
		what  string
		extra [][3]uint32
		want  string
	}{
		{"no named entry", nil, ""},
		{"another user may write", [][3]uint32{{aclUser, rwx, 4242}, {aclMask, rwx, 0}}, "user 4242"},
		{"another user, masked", [][3]uint32{{aclUser, rwx, 4242}, {aclMask, rx, 0}}, ""},
		{"another user may only read", [][3]uint32{{aclUser, rx, 4242}, {aclMask, rwx, 0}}, ""},
		{"the user by name", [][3]uint32{{aclUser, rwx, 1000}, {aclMask, rwx, 0}}, ""},
		{"another group may write", [][3]uint32{{aclGroup, rwx, 100}, {aclMask, rwx, 0}}, "group 100"},
		{"the private group by name", [][3]uint32{{aclGroup, rwx, 1000}, {aclMask, rwx, 0}}, ""},
	} {
		if got := aclWriterOf(acl(append(base, c.extra...)...), 1000, own); got != c.want {
			t.Errorf("%s: aclWriterOf = %q, want %q", c.what, got, c.want)
		}
	}
	if got := aclWriterOf([]byte{2, 0, 0}, 1000, own); !strings.Contains(got, "cannot say") {
		t.Errorf("a cut ACL: %q, want it taken as writable", got)
	}
}

// A folder writable by the user's group is trusted only where that group is private, and a POSIX ACL
// that lets another user write is refused, on real folders.
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
	defer func(f func(int) bool) { ownGroup = f }(ownGroup)
	ownGroup = func(int) bool { return true }
	if _, err := securePath(plugin); err != nil {
		t.Errorf("a folder writable by the user's private group: %v", err)
	}
	ownGroup = func(int) bool { return false }
	want := lib + " can be changed by other users (mode 2775: group " + strconv.Itoa(os.Getgid()) + " may write, a group other users share)"
	if _, err := securePath(plugin); err == nil || err.Error() != want {
		t.Errorf("a folder writable by a shared group: %v, want %q", err, want)
	}
	ownGroup = func(int) bool { return true }
	if err := os.Chmod(lib, 0o755); err != nil {
		t.Fatal(err)
	}

	// An ACL that lets user 4242 write, with the mask that setfacl gives (the group bits show it).
	raw := acl([3]uint32{0x01, 7, 0}, [3]uint32{aclUser, 7, 4242}, [3]uint32{0x04, 5, 0}, [3]uint32{aclMask, 7, 0}, [3]uint32{0x20, 5, 0})
	if err := syscall.Setxattr(lib, "system.posix_acl_access", raw, 0); err != nil {
		if errors.Is(err, syscall.ENOTSUP) {
			t.Skipf("%s has no POSIX ACLs: %v", lib, err)
		}
		t.Fatal(err)
	}
	if _, err := securePath(plugin); err == nil || !strings.Contains(err.Error(), lib+" can be changed by other users (its ACL lets user 4242 write)") {
		t.Errorf("a folder whose ACL lets another user write: %v", err)
	}
	if err := syscall.Removexattr(lib, "system.posix_acl_access"); err != nil {
		t.Fatal(err)
	}
	if _, err := securePath(plugin); err != nil {
		t.Errorf("the folder without its ACL: %v", err)
	}
}

// With no plugin of the project's or the user's, GoMLX's folders are searched by this package, not by
// GoMLX: its search loaded every pjrt_*plugin*.so under $HOME/.local/lib/go-xla whoever owned it, so
// root with another user's $HOME (sudo -E) loaded that user's library, and a FIFO there hung every
// command (thirty-fifth probe). A clone whose root others can write is said to be refused, not taken
// for no clone (it said to run `ddpm setup`; thirty-fifth probe).
func TestGoMLXFoldersAreSearchedSafely(t *testing.T) {
	t.Setenv(EnvBackend, "")
	t.Setenv(EnvPlugin, "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", "")
	os.Unsetenv("PJRT_PLUGIN_LIBRARY_PATH")
	goxla := filepath.Join(home, ".local", "lib", "go-xla")
	if got := goxlaDirs(); len(got) != 2 || got[0] != goxla || got[1] != "/usr/local/lib/go-xla" {
		t.Errorf("goxlaDirs() = %q, want %s and /usr/local/lib/go-xla", got, goxla)
	}
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", "/a:relative:/b")
	if got := goxlaDirs(); len(got) != 2 || got[0] != "/a" || got[1] != "/b" {
		t.Errorf("goxlaDirs() with $PJRT_PLUGIN_LIBRARY_PATH=/a:relative:/b: %q, want /a and /b", got)
	}
	if err := os.MkdirAll(goxla, 0o755); err != nil {
		t.Fatal(err)
	}
	places := pluginPlaces{wd: t.TempDir(), goxla: []string{goxla}}

	// A FIFO named as the plugin: said at once, never opened.
	fifo := filepath.Join(goxla, "pjrt_c_api_cpu_plugin.so")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := chooseBackend(places); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), fifo+" is a FIFO") {
			t.Errorf("a FIFO as GoMLX's plugin: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a FIFO as GoMLX's plugin hung chooseBackend")
	}
	os.Remove(fifo)
	if err := os.WriteFile(fifo, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if choice, err := chooseBackend(places); err != nil || choice.Config != xlaConfig(fifo) || !strings.Contains(choice.Source, "GoMLX's CPU plugin in "+goxla) {
		t.Errorf("the user's own plugin in GoMLX's folder: %+v, %v", choice, err)
	}

	if os.Getuid() != 0 {
		t.Skip("changing a folder's owner needs root")
	}
	// Another user's $HOME: its plugin is refused, and said.
	if err := os.Chown(filepath.Join(home, ".local"), 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if choice, err := chooseBackend(places); err == nil || !strings.Contains(err.Error(), filepath.Join(home, ".local")+" belongs to another user (uid 4242)") {
		t.Errorf("another user's plugin in GoMLX's folder: %+v, %v", choice, err)
	}
	// A clone whose root another group may write (2775).
	clone := t.TempDir()
	fakeClone(t, clone)
	fakePlugin(t, filepath.Join(clone, ".venv"))
	if err := os.Chown(clone, -1, 4242); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(clone, os.ModeSetgid|0o775); err != nil {
		t.Fatal(err)
	}
	want := "the clone of the project at " + clone + " is not used: " + clone + " can be changed by other users (mode 2775: group 4242 may write"
	if _, err := chooseBackend(pluginPlaces{wd: clone}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a clone another group may write: %v, want %q", err, want)
	}
}
