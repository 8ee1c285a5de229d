package ddpm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What dlopen would hang on is never a plugin: a FIFO in the user's venv (it was taken, and hung
// every command) and a file of /proc, by any of the ways a plugin is chosen (/proc/kmsg hung them;
// thirty-sixth probe).
func TestAPluginIsARegularFileOfADisk(t *testing.T) {
	t.Setenv(EnvBackend, "")
	t.Setenv(EnvPlugin, "")
	user := t.TempDir()
	venv := filepath.Join(user, userVenv)
	so := fakePlugin(t, venv)
	if err := WriteSetupStamp(venv); err != nil {
		t.Fatal(err)
	}
	os.Remove(so)
	if err := syscall.Mkfifo(so, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, refused := userPlugin(venv); p != "" || refused == nil || !strings.Contains(refused.Error(), so+" is a FIFO, not a regular file") ||
		!strings.Contains(refused.Error(), "installs it afresh") {
		t.Errorf("a FIFO as the user's plugin: %q, %v", p, refused)
	}
	// In a folder of another user's, setup would not install it afresh: said so (forty-fourth probe's nit).
	if err := os.Lchown(user, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if p, refused := userPlugin(venv); p != "" || refused == nil || !strings.Contains(refused.Error(), "belongs to another user") ||
		!strings.Contains(refused.Error(), "set $XDG_CACHE_HOME to a folder of yours") {
		t.Errorf("the user's plugin in another user's folder: %q, %v", p, refused)
	}
	if _, refused := userPlugin(venv); !strings.Contains(noPluginError(pluginPlaces{}, refused).Error(), "do not only change its modes") {
		t.Errorf("no plugin, the one there in another user's folder: %v; want the paragraph on owners and modes", noPluginError(pluginPlaces{}, refused))
	}
	if err := os.Lchown(user, os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	proc := "/proc/self/status" // a regular file, as /proc/kmsg is
	if info, err := os.Stat(proc); err != nil || !info.Mode().IsRegular() {
		t.Skipf("%s: %v", proc, err)
	}
	goxla := t.TempDir()
	if err := os.Symlink(proc, filepath.Join(goxla, "pjrt_c_api_cpu_plugin.so")); err != nil {
		t.Fatal(err)
	}
	if _, err := chooseBackend(pluginPlaces{wd: t.TempDir(), goxla: []string{goxla}}); err == nil || !strings.Contains(err.Error(), "is a file of the kernel's (proc)") {
		t.Errorf("a link to a file of /proc in GoMLX's folder: %v", err)
	}
	t.Setenv(EnvPlugin, proc)
	if _, err := chooseBackend(pluginPlaces{}); err == nil || !strings.Contains(err.Error(), "is a file of the kernel's (proc)") {
		t.Errorf("$%s naming a file of /proc: %v", EnvPlugin, err)
	}
	t.Setenv(EnvPlugin, "")
	t.Setenv(EnvBackend, "xla:"+proc)
	if _, err := chooseBackend(pluginPlaces{}); err == nil || !strings.Contains(err.Error(), "is a file of the kernel's (proc)") {
		t.Errorf("$%s naming a file of /proc: %v", EnvBackend, err)
	}
}

// A regular file of a kernel file system mounted below /sys (tracefs's trace_pipe) blocked dlopen
// as a FIFO does (thirty-seventh probe): refused, on a tracefs mounted in a mount namespace of its own.
func TestAPluginIsNotAFileOfTheKernels(t *testing.T) {
	if dir := os.Getenv("DDPM_TEST_TRACEFS"); dir != "" { // the child, in its own mount namespace
		if err := syscall.Mount("none", dir, "tracefs", 0, ""); err != nil {
			t.Skipf("tracefs cannot be mounted: %v", err)
		}
		defer syscall.Unmount(dir, 0)
		pipe := filepath.Join(dir, "trace_pipe")
		if info, err := os.Stat(pipe); err != nil || !info.Mode().IsRegular() {
			t.Skipf("%s: %v", pipe, err)
		}
		if err := pluginFileError(pipe); err == nil || !strings.Contains(err.Error(), "is a file of the kernel's (tracefs)") {
			t.Errorf("trace_pipe of a tracefs: %v", err)
		}
		return
	}
	unshare, err := exec.LookPath("unshare")
	if os.Getuid() != 0 || err != nil {
		t.Skip("a mount namespace needs root and unshare")
	}
	cmd := exec.Command(unshare, "-m", os.Args[0], "-test.run=^TestAPluginIsNotAFileOfTheKernels$", "-test.v")
	cmd.Env = append(os.Environ(), "DDPM_TEST_TRACEFS="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestAPluginIsNotAFileOfTheKernels") {
		if strings.Contains(string(out), "--- SKIP") {
			t.Skipf("in a mount namespace of its own:\n%s", out)
		}
		t.Errorf("in a mount namespace of its own: %v\n%s", err, out)
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
	if choice, err := chooseBackend(places); err != nil || choice.Config != xlaConfig(fifo) || choice.Source != "GoMLX's CPU plugin "+fifo {
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
	if err := os.Chown(filepath.Join(home, ".local"), 0, 0); err != nil {
		t.Fatal(err)
	}
	// A link of another user's inside a chain of links, all of whose ends are the user's: that user
	// chose what root loaded (thirty-sixth probe).
	theirs, mine := t.TempDir(), t.TempDir()
	if err := os.Chown(theirs, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(mine, "real.so")
	if err := os.WriteFile(real, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	middle := filepath.Join(theirs, "cur")
	if err := os.Symlink(real, middle); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(middle, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	os.Remove(fifo)
	if err := os.Symlink(middle, fifo); err != nil {
		t.Fatal(err)
	}
	if choice, err := chooseBackend(places); err == nil || !strings.Contains(err.Error(), theirs+" belongs to another user (uid 4242)") ||
		!strings.Contains(err.Error(), "install your own with `"+UserSetupCommand+"`") {
		t.Errorf("a link of another user's inside a chain: %+v, %v", choice, err)
	}
	if err := os.Chown(theirs, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := chooseBackend(places); err == nil || !strings.Contains(err.Error(), middle+" belongs to another user (uid 4242)") {
		t.Errorf("a link of another user's inside a chain, in a folder of the user's: %v", err)
	}
	if err := os.Lchown(middle, 0, 0); err != nil {
		t.Fatal(err)
	}
	if choice, err := chooseBackend(places); err != nil || choice.Config != "xla:"+real+",shared_buffers" {
		t.Errorf("a chain of the user's links: %+v, %v; want %s by its own path, a CPU plugin", choice, err, real)
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
