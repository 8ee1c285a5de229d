package ddpm

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The binary cannot read requirements.txt, so the pin is also a constant: the two must not drift
// (`make setup` and `ddpm setup` would install different plugins).
func TestPluginPinMatchesRequirements(t *testing.T) {
	f, err := os.Open("../requirements.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pins []string
	for s := bufio.NewScanner(f); s.Scan(); {
		// The version is the word after "==": the pin's line goes on with its digests ("0.0.1 \").
		name, rest, ok := strings.Cut(strings.TrimSpace(s.Text()), "==")
		if version := strings.Fields(rest); ok && len(version) > 0 && strings.EqualFold(strings.ReplaceAll(name, "_", "-"), PluginPackage) {
			pins = append(pins, version[0])
		}
	}
	if len(pins) != 1 || pins[0] != PluginVersion {
		t.Errorf("requirements.txt pins %s at %v; ddpm.PluginVersion is %q: make them one version", PluginPackage, pins, PluginVersion)
	}
}

// fakePlugin writes an empty plugin file where pip puts it in the virtual environment venv.
func fakePlugin(t *testing.T, venv string) string {
	t.Helper()
	p := filepath.Join(venv, "lib", "python3.11", "site-packages", "xla_plugins", "xla_cpu_pjrt", "xla_cpu_pjrt.so")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeClone makes dir look like the root of a clone of this project.
func fakeClone(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+modulePath+"\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ChooseBackend's order, on fake plugin files (nothing is loaded): the variables, the project's .venv
// (from the working directory or the source folder), the user cache's venv once its setup finished
// with this pin, then a CPU plugin in GoMLX's folders, and with none of them an error with the one
// command to run: never GoMLX's own search, which loads whatever it finds (thirty-fifth probe).
func TestChooseBackendOrder(t *testing.T) {
	t.Setenv(EnvBackend, "")
	t.Setenv(EnvPlugin, "")
	clone, outside, user := t.TempDir(), t.TempDir(), t.TempDir()
	fakeClone(t, clone)
	wd := filepath.Join(clone, "notebooks", "sub")
	if err := os.MkdirAll(wd, 0o755); err != nil {
		t.Fatal(err)
	}
	venv := filepath.Join(user, userVenv)
	pick := func(what string, places pluginPlaces) BackendChoice {
		t.Helper()
		choice, err := chooseBackend(places)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return choice
	}
	wantDefault := func(what string, places pluginPlaces, command, not string) {
		t.Helper()
		choice, err := chooseBackend(places)
		if err == nil || !strings.Contains(err.Error(), "no XLA plugin is installed: run `"+command+"`") || strings.Contains(err.Error(), not) {
			t.Errorf("%s: %+v, %v; want an error saying run `%s`, and not %s", what, choice, err, command, not)
		}
	}

	// Nothing installed: the command for where the user is.
	wantDefault("nothing, outside a clone", pluginPlaces{wd: outside, userDir: user}, UserSetupCommand, SetupCommand)
	wantDefault("nothing, inside a clone", pluginPlaces{wd: wd, userDir: user}, SetupCommand, UserSetupCommand)

	// A cache folder that setup cannot use (a relative $XDG_CACHE_HOME): not "run ddpm setup" alone,
	// which then refused it (thirty-fifth probe's nit).
	if _, err := chooseBackend(pluginPlaces{wd: outside, userDirErr: errors.New("path in $XDG_CACHE_HOME is relative")}); err == nil ||
		!strings.Contains(err.Error(), "path in $XDG_CACHE_HOME is relative: set $XDG_CACHE_HOME to an absolute folder and run `ddpm setup`") {
		t.Errorf("no cache folder: %v", err)
	}

	// An interrupted setup: the plugin file is there, the stamp is not.
	userSo := fakePlugin(t, venv)
	wantDefault("user venv without its stamp", pluginPlaces{wd: outside, userDir: user}, UserSetupCommand, SetupCommand)
	// A setup made with another pin (the binary was upgraded since).
	if err := os.WriteFile(filepath.Join(venv, SetupStamp), []byte(`{"package":"xla-cpu-pjrt","version":"0.0.0.dev0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	wantDefault("user venv stamped with another version", pluginPlaces{wd: outside, userDir: user}, UserSetupCommand, SetupCommand)

	// A CPU plugin in GoMLX's folders comes after the user's, and is loaded by its path.
	goxla := filepath.Join(t.TempDir(), "go-xla")
	if err := os.MkdirAll(goxla, 0o755); err != nil {
		t.Fatal(err)
	}
	goxlaSo := filepath.Join(goxla, "pjrt_c_api_cpu_plugin.so")
	if err := os.WriteFile(goxlaSo, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if choice := pick("GoMLX's folder", pluginPlaces{wd: outside, userDir: user, goxla: []string{outside, goxla}}); choice.Config != xlaConfig(goxlaSo) {
		t.Errorf("a CPU plugin in GoMLX's folder: %+v, want %s", choice, xlaConfig(goxlaSo))
	}

	if err := WriteSetupStamp(venv); err != nil {
		t.Fatal(err)
	}
	if choice := pick("user and GoMLX's plugins", pluginPlaces{wd: outside, userDir: user, goxla: []string{goxla}}); choice.Config != xlaConfig(userSo) {
		t.Errorf("a finished user setup and GoMLX's plugin: %+v, want the user's %s", choice, userSo)
	}
	choice := pick("finished user setup", pluginPlaces{wd: outside, userDir: user})
	if choice.Config != xlaConfig(userSo) || !strings.Contains(choice.Source, "installed by `ddpm setup`") || !strings.Contains(choice.Source, venv) {
		t.Errorf("finished user setup: %+v, want %s from the venv installed by `ddpm setup`", choice, userSo)
	}

	// The project's plugin comes first, found from the working directory or from the source folder.
	projectSo := fakePlugin(t, filepath.Join(clone, ".venv"))
	for _, places := range []pluginPlaces{{wd: wd, userDir: user}, {wd: outside, source: filepath.Join(clone, "ddpm"), userDir: user}} {
		if choice := pick("project and user plugins", places); choice.Config != xlaConfig(projectSo) || !strings.Contains(choice.Source, SetupCommand) {
			t.Errorf("project and user plugins, %+v: %+v, want the project's %s", places, choice, projectSo)
		}
	}

	// Only a clone's own .venv, and only a regular file: every .venv up to / was tried, so one planted in
	// /tmp/.venv was loaded by anyone under /tmp, and a FIFO there hung every command (thirtieth probe).
	planted := t.TempDir()
	fakePlugin(t, filepath.Join(planted, ".venv"))
	below := filepath.Join(planted, "someone", "else")
	if err := os.MkdirAll(below, 0o755); err != nil {
		t.Fatal(err)
	}
	if choice := pick("a .venv above, not a clone's", pluginPlaces{wd: below, userDir: user}); choice.Config == xlaConfig(filepath.Join(planted, ".venv")) ||
		!strings.Contains(choice.Source, "installed by `ddpm setup`") {
		t.Errorf("a .venv above the working directory, in no clone: %+v, want the user's plugin", choice)
	}
	fifoClone := t.TempDir()
	fakeClone(t, fifoClone)
	fifo := fakePlugin(t, filepath.Join(fifoClone, ".venv"))
	os.Remove(fifo)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if choice := pick("a FIFO as the clone's plugin", pluginPlaces{wd: fifoClone, userDir: user}); choice.Config == xlaConfig(fifo) {
		t.Errorf("a FIFO as the clone's plugin was chosen: %+v", choice)
	}
	t.Setenv(EnvPlugin, fifo)
	if _, err := chooseBackend(pluginPlaces{wd: outside, userDir: user}); err == nil || !strings.Contains(err.Error(), "is a FIFO, not a regular file") {
		t.Errorf("$%s naming a FIFO: error %v", EnvPlugin, err)
	}

	// The variables come before any of them.
	named := filepath.Join(outside, "xla_cuda_plugin.so")
	if err := os.WriteFile(named, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvPlugin, named)
	if choice := pick("$"+EnvPlugin, pluginPlaces{wd: wd, userDir: user}); choice.Config != "xla:"+named {
		t.Errorf("$%s set: %+v, want its plugin first", EnvPlugin, choice)
	}
	t.Setenv(EnvBackend, "go")
	if choice := pick("$"+EnvBackend, pluginPlaces{wd: wd, userDir: user}); choice.Config != "go" {
		t.Errorf("$%s set: %+v, want it first", EnvBackend, choice)
	}
}

// Outside a clone, the error of a missing plugin names `ddpm setup` (and not `make setup`, which
// needs the clone's Makefile); TestMissingPluginIsNotDownloaded checks `make setup` inside one.
func TestMissingPluginOutsideACloneNamesDdpmSetup(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	_, err := newBackendWithConfig(BackendChoice{Config: "xla:cpu", Source: "test"})
	if err == nil || !strings.Contains(err.Error(), "run `"+UserSetupCommand+"`") || strings.Contains(err.Error(), SetupCommand) {
		t.Errorf("no plugin, outside a clone: error %v, want one naming `%s` alone", err, UserSetupCommand)
	}
}

// The user's folder follows os.UserCacheDir: $XDG_CACHE_HOME, else ~/.cache.
func TestUserDirFollowsTheCacheFolder(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("os.UserCacheDir is ~/Library/Caches on macOS")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", "")
	if dir, err := UserDir(); err != nil || dir != filepath.Join(home, ".cache", "ddpm-go") {
		t.Errorf("UserDir() = %q, %v; want ~/.cache/ddpm-go", dir, err)
	}
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	if venv, err := UserVenvDir(); err != nil || venv != filepath.Join(xdg, "ddpm-go", "venv") {
		t.Errorf("UserVenvDir() = %q, %v; want $XDG_CACHE_HOME/ddpm-go/venv", venv, err)
	}
}

// A plugin whose path holds a comma is refused by name wherever it is found: GoMLX reads a backend
// setting's path up to its first comma, so the file checked was not the one opened (a FIFO named by the
// part before the comma hung every command; thirty-first probe). $GOMLX_BACKEND naming a FIFO is
// refused too, as $DDPM_PJRT_PLUGIN's is.
func TestPluginPathsWithACommaAreRefused(t *testing.T) {
	t.Setenv(EnvBackend, "")
	t.Setenv(EnvPlugin, "")
	root := t.TempDir()
	fifo := filepath.Join(root, "a")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	clone, user := filepath.Join(root, "a,b"), filepath.Join(root, "c,d")
	if err := os.MkdirAll(clone, 0o755); err != nil {
		t.Fatal(err)
	}
	fakeClone(t, clone)
	projectSo := fakePlugin(t, filepath.Join(clone, ".venv"))
	venv := filepath.Join(user, userVenv)
	userSo := fakePlugin(t, venv)
	if err := WriteSetupStamp(venv); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, places pluginPlaces, want string) {
		t.Helper()
		if choice, err := chooseBackend(places); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %+v, error %v; want %q", what, choice, err, want)
		}
	}
	comma := "its path holds a comma"
	refused("the project's plugin", pluginPlaces{wd: clone}, "the project's plugin "+projectSo+": "+comma)
	refused("the user's plugin", pluginPlaces{wd: root, userDir: user}, "the plugin installed by `ddpm setup`, "+userSo+": "+comma)
	t.Setenv(EnvPlugin, projectSo)
	refused("$DDPM_PJRT_PLUGIN", pluginPlaces{wd: root}, "$"+EnvPlugin+"=\""+projectSo+"\": "+comma)
	for _, name := range []string{"xla", "stablehlo", "hlo", "shlo"} { // GoMLX's names of one backend
		t.Setenv(EnvBackend, name+":"+fifo+",shared_buffers")
		refused("$GOMLX_BACKEND="+name+":…", pluginPlaces{wd: root}, fifo+" is a FIFO, not a regular file")
	}
	if err := PluginPathError("/a/b/xla_cpu_pjrt.so"); err != nil {
		t.Errorf("a path without a comma: %v", err)
	}
}

// A clone is recognised only from a regular go.mod of at most a megabyte, and its plugin loaded only
// where no other user can change it: a FIFO named go.mod above the working directory hung every
// command, a link to /dev/zero ran it out of memory, and a go.mod, Makefile and .venv planted in /tmp
// had their plugin loaded by whoever ran ddpm under /tmp (thirty-second probe); then a link in /tmp to
// root's go.mod, and another user's files at the path of a build checkout that was gone, had their
// plugin loaded by root (thirty-third probe).
func TestFindCloneReadsOnlyWhatNoOtherUserCanChange(t *testing.T) {
	root := t.TempDir()
	below := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(below, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "Makefile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	goMod := filepath.Join(root, "go.mod")
	if err := syscall.Mkfifo(goMod, 0o644); err != nil {
		t.Fatal(err)
	}
	found := make(chan bool, 1)
	go func() { clone, _ := findClone(below); found <- clone != "" }()
	select {
	case ok := <-found:
		if ok {
			t.Error("a FIFO named go.mod made a clone")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a FIFO named go.mod above the working directory hung findClone")
	}
	os.Remove(goMod)
	if err := os.Symlink("/dev/zero", goMod); err != nil {
		t.Fatal(err)
	}
	if clone, _ := findClone(below); clone != "" {
		t.Error("a link to /dev/zero named go.mod made a clone")
	}
	os.Remove(goMod)
	big := append([]byte("module "+modulePath+"\n\n//"), bytes.Repeat([]byte("x"), maxGoModBytes)...)
	if err := os.WriteFile(goMod, big, 0o644); err != nil {
		t.Fatal(err)
	}
	if clone, _ := findClone(below); clone != "" {
		t.Error("a go.mod of more than a megabyte made a clone")
	}
	fakeClone(t, root)
	projectSo := fakePlugin(t, filepath.Join(root, ".venv"))
	if clone, refused := findClone(below); clone != root {
		t.Fatalf("the user's own clone: %q, %v; want %s", clone, refused, root)
	}
	if p, refused := findProjectPlugin(below, filepath.Join(root, "ddpm")); refused != nil || p != projectSo {
		t.Fatalf("the user's own plugin: %q, %v; want %s", p, refused, projectSo)
	}
	// A folder on the way that anyone may write, unless sticky (/tmp is).
	venvLib := filepath.Join(root, ".venv", "lib")
	if err := os.Chmod(venvLib, 0o777); err != nil {
		t.Fatal(err)
	}
	if p, refused := findProjectPlugin(below, filepath.Join(root, "ddpm")); p != "" || refused == nil {
		t.Errorf("a plugin below a folder anyone may write: %q was taken (%v)", p, refused)
	}
	// Said, not taken for no plugin at all: it said to run make setup (thirty-fourth probe).
	if _, err := chooseBackend(pluginPlaces{wd: below}); err == nil || !strings.Contains(err.Error(), "no XLA plugin is loaded: ") ||
		!strings.Contains(err.Error(), venvLib+" can be changed by other users (mode 0777: anyone may write): remove "+filepath.Join(root, ".venv")+" and run `make setup` there") {
		t.Errorf("a plugin below a folder anyone may write: chooseBackend said %v", err)
	}
	if err := os.Chmod(venvLib, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	if p, refused := findProjectPlugin(below, ""); p == "" {
		t.Errorf("a plugin below a sticky folder of the user's: refused (%v)", refused)
	}
	os.Chmod(venvLib, 0o755)
	// A .venv that is a loop of links is said, not taken for none (it said to run make setup).
	if err := os.Rename(filepath.Join(root, ".venv"), filepath.Join(root, "venv.kept")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".venv", filepath.Join(root, ".venv")); err != nil {
		t.Fatal(err)
	}
	if _, refused := findProjectPlugin(below, ""); refused == nil || !strings.Contains(refused.Error(), "the clone's .venv cannot be read") {
		t.Errorf("a .venv linked to itself: %v", refused)
	}
	os.Remove(filepath.Join(root, ".venv"))
	if err := os.Rename(filepath.Join(root, "venv.kept"), filepath.Join(root, ".venv")); err != nil {
		t.Fatal(err)
	}
	// The plugin is loaded by its own path, links resolved: a link met only inside a chain of links was
	// swapped between the check and the load (thirty-fourth probe).
	elsewhere := t.TempDir()
	if err := os.Rename(filepath.Join(root, ".venv"), filepath.Join(elsewhere, "venv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "venv"), filepath.Join(root, ".venv")); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(elsewhere, "venv", strings.TrimPrefix(projectSo, filepath.Join(root, ".venv")))
	if p, refused := findProjectPlugin(below, ""); p != real {
		t.Errorf("a plugin through a linked .venv: %q (%v), want its own path %s", p, refused, real)
	}
	// A clone in a folder anyone may write, through a link to a go.mod of root's: only the folder is
	// the planter's.
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "go.mod"), filepath.Join(open, "go.mod")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(open, "Makefile"), nil, 0o644)
	if clone, refused := findClone(open); clone != "" || refused == nil || !strings.Contains(refused.Error(), "the clone of the project at "+open+" is not used") {
		t.Errorf("a folder anyone may write, with a link to a clone's go.mod: taken for a clone %q, or not said (%v)", clone, refused)
	}
	// A sticky folder anyone may add to, with a hard link to root's go.mod (where fs.protected_hardlinks
	// is 0, anyone may make one) beside another user's Makefile: taken for a clone, and the advice was to
	// run `make setup` there (sixty-sixth probe).
	sticky := t.TempDir()
	if err := os.Chmod(sticky, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "go.mod"), filepath.Join(sticky, "go.mod")); err != nil {
		t.Fatalf("a hard link to the clone's go.mod: %v", err)
	}
	os.WriteFile(filepath.Join(sticky, "Makefile"), nil, 0o644)
	if clone, refused := findClone(sticky); clone != "" || refused == nil || !strings.Contains(refused.Error(), "the clone of the project at "+sticky+" is not used") {
		t.Errorf("a sticky folder others may add to, with a hard link to a clone's go.mod: taken for a clone %q, or not said (%v)", clone, refused)
	}
	if os.Getuid() != 0 {
		t.Skip("changing a folder's owner needs root")
	}
	// Another user's clone, found from the working directory or at the build's path: refused both ways.
	if err := os.Chown(root, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if p, _ := findProjectPlugin(below, filepath.Join(root, "ddpm")); p != "" {
		t.Errorf("another user's clone: its plugin %s was taken", p)
	}
}

// A plugin file that is not what pip installed (emptied, or changed in place) is refused by its size in
// every command and by its digest in setup, which then installs it afresh: an emptied one failed every
// command, which said to run setup, which found it "already installed" (seventy-ninth probe).
func TestCheckPluginRecordFindsADamagedPlugin(t *testing.T) {
	venv := t.TempDir()
	p := fakePlugin(t, venv)
	sitePackages := filepath.Dir(filepath.Dir(filepath.Dir(p)))
	if err := CheckPluginRecord(p, false); err != nil { // no RECORD: nothing to compare with
		t.Errorf("a plugin without pip's RECORD, in a command: %v, want it taken", err)
	}
	// In setup, whose pip wrote the RECORD with it, refused (eighty-second probe).
	if err := CheckPluginRecord(p, true); err == nil || !strings.Contains(err.Error(), "no RECORD of xla-cpu-pjrt "+PluginVersion+" is there") {
		t.Errorf("a plugin without pip's RECORD, in setup: %v, want a refusal", err)
	}
	info := filepath.Join(sitePackages, "xla_cpu_pjrt-"+PluginVersion+".dist-info")
	sum := sha256.Sum256([]byte("plugin"))
	record := "xla_plugins/xla_cpu_pjrt/__init__.py,sha256=x,1\nxla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so,sha256=" +
		base64.RawURLEncoding.EncodeToString(sum[:]) + ",6\n"
	if err := os.MkdirAll(info, 0o755); err != nil || os.WriteFile(filepath.Join(info, "RECORD"), []byte(record), 0o644) != nil ||
		os.WriteFile(p, []byte("plugin"), 0o644) != nil || WriteSetupStamp(venv) != nil {
		t.Fatal("making the venv")
	}
	if err := CheckPluginRecord(p, true); err != nil {
		t.Errorf("the plugin pip installed: %v, want it taken", err)
	}
	if err := os.WriteFile(p, []byte("plugiN"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckPluginRecord(p, false); err != nil {
		t.Errorf("changed in place, checked by size: %v, want it taken (the digest is setup's)", err)
	}
	if err := CheckPluginRecord(p, true); err == nil || !strings.Contains(err.Error(), "another SHA-256") {
		t.Errorf("changed in place, checked by digest: %v, want a refusal", err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, refused := userPlugin(venv)
	if got != "" || refused == nil || !strings.Contains(refused.Error(), "is 0 bytes, where pip installed 6") {
		t.Errorf("an emptied plugin: %q, %v; want it refused by its size", got, refused)
	}
	// Damaged, not another user's: the refusal says so, without the paragraph on owners and modes (eighty-fifth probe).
	if err := noPluginError(pluginPlaces{}, refused); strings.Contains(err.Error(), "another user") || !strings.Contains(err.Error(), "installs it afresh") {
		t.Errorf("no plugin, the one there damaged: %v; want its damage and setup, not other users", err)
	}
	// A RECORD whose row of it is gone, in setup (eighty-second probe).
	if err := os.WriteFile(filepath.Join(info, "RECORD"), []byte("xla_plugins/xla_cpu_pjrt/__init__.py,sha256=x,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckPluginRecord(p, true); err == nil || !strings.Contains(err.Error(), "not listed in "+filepath.Join(info, "RECORD")) {
		t.Errorf("a RECORD without the plugin's row, in setup: %v, want a refusal", err)
	}
}
