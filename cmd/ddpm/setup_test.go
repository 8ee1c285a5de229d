package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
	"github.com/learn-ddpm/ddpm-go/models"
)

// The issue's user: `go install …/cmd/ddpm@latest`, then ddpm run anywhere. The binary is built as
// `go install` builds it, knowing nothing of this checkout (-trimpath: without it, ChooseBackend's
// search from its source folder finds the checkout's .venv), and run from a folder outside the
// repository with a fresh $HOME and none of the variables that choose a plugin. The real pip cache
// is kept (PIP_CACHE_DIR), so that the 65 MB wheel is downloaded once, not on every run.
func TestSetupOutsideAClone(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the XLA CPU plugin on PyPI is built for Linux only")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("python3 is needed (ddpm setup makes a virtual environment with it): %v", err)
	}
	tmp, home, work := t.TempDir(), t.TempDir(), t.TempDir()
	bin := filepath.Join(tmp, "ddpm")
	start := time.Now()
	if out, err := exec.Command("go", "build", "-trimpath", "-o", bin, "./").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built in %s", time.Since(start).Round(time.Millisecond))
	env := outsideEnv(t, home)
	run := func(args ...string) (string, error, time.Duration) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir, cmd.Env = work, env
		start := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(start)
		t.Logf("ddpm %s: %v in %s", strings.Join(args, " "), err, took.Round(time.Millisecond))
		return string(out), err, took
	}
	cache := filepath.Join(home, ".cache", "ddpm-go")
	model := filepath.Join(cache, "models", "mnist-ema.ddpm")
	venv := filepath.Join(cache, "venv")

	// (a) Before setup: the first command a user tries, and sampling a model, say `ddpm setup`.
	out, err, _ := run("sample")
	if err == nil || !strings.Contains(out, "ddpm setup") || !strings.Contains(out, model) {
		t.Errorf("ddpm sample before setup: %v, want an error naming `ddpm setup` and %s:\n%s", err, model, out)
	}
	repoModel, _ := filepath.Abs("../../models/mnist-ema.ddpm")
	out, err, _ = run("sample", "--ckpt", repoModel, "--n", "2", "--steps", "10", "--out", "x.png")
	if err == nil || !strings.Contains(out, "run `ddpm setup`") || strings.Contains(out, "make setup") {
		t.Fatalf("ddpm sample without a plugin: %v, want an error naming `ddpm setup` alone:\n%s", err, out)
	}

	// (b) Setup installs the plugin and the models, and says what to run next.
	out, err, _ = run("setup")
	if err != nil {
		t.Fatalf("ddpm setup: %v\n%s", err, out)
	}
	if !strings.Contains(out, "installed now") || !strings.Contains(out, "next:   ddpm sample --ckpt "+model+" --n 16 --out samples.png") {
		t.Errorf("ddpm setup printed no plugin installed now, or not the next command:\n%s", out)
	}
	stamp := filepath.Join(venv, ddpm.SetupStamp)
	if _, err := os.Stat(stamp); err != nil {
		t.Errorf("no stamp after setup: %v", err)
	}

	// (c) info names the plugin in the user's cache.
	out, err, _ = run("info")
	if err != nil || !strings.Contains(out, "installed by `ddpm setup` in "+venv) || !strings.Contains(out, "config:    xla:"+venv) {
		t.Errorf("ddpm info after setup: %v, want the plugin of %s:\n%s", err, venv, out)
	}

	// (d) The next command works.
	if out, err, _ := run("sample", "--ckpt", model, "--n", "2", "--steps", "10", "--out", "x.png"); err != nil {
		t.Errorf("ddpm sample after setup: %v\n%s", err, out)
	} else {
		checkPNG(t, filepath.Join(work, "x.png"))
	}
	// A default that names models/… finds the cache's copy; MNIST comes from the Go module cache.
	if out, err, _ := run("interpolate", "--pairs", "1", "--lambdas", "2", "--t", "10", "--out", "i.png"); err != nil {
		t.Errorf("ddpm interpolate with the default --ckpt, outside a clone: %v\n%s", err, out)
	} else {
		checkPNG(t, filepath.Join(work, "i.png"))
	}

	// (e) A second setup finds everything in place and changes nothing.
	before := modTimes(t, stamp, filepath.Join(venv, "pyvenv.cfg"), model)
	out, err, took := run("setup")
	if err != nil || !strings.Contains(out, "already installed") || !strings.Contains(out, "already there") {
		t.Errorf("second ddpm setup: %v, want it to find the plugin and models in place:\n%s", err, out)
	}
	if after := modTimes(t, stamp, filepath.Join(venv, "pyvenv.cfg"), model); !slices.Equal(before, after) {
		t.Errorf("second ddpm setup rewrote the stamp, the venv or a model (modification times %v, then %v)", before, after)
	}
	if took > 10*time.Second {
		t.Errorf("second ddpm setup took %s, want a quick no-op", took)
	}
}

// outsideEnv is this process's environment for a user whose $HOME is home: no variable that chooses a
// plugin or the cache folder, with the Go and pip settings of the real user kept (the go command finds
// the GoMNIST module in the real module cache, pip its cached wheel).
func outsideEnv(t *testing.T, home string) []string {
	t.Helper()
	raw, err := exec.Command("go", "env", "-json", "GOPATH", "GOMODCACHE", "GOCACHE", "GOENV").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var goEnv map[string]string
	if err := json.Unmarshal(raw, &goEnv); err != nil {
		t.Fatal(err)
	}
	pipCache := os.Getenv("PIP_CACHE_DIR")
	if pipCache == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		pipCache = filepath.Join(cache, "pip") // pip's default on Linux
	}
	drop := []string{"HOME", "XDG_CACHE_HOME", ddpm.EnvBackend, ddpm.EnvPlugin, "PJRT_PLUGIN_LIBRARY_PATH", "DDPM_MNIST_DIR",
		"PIP_CACHE_DIR", "GOPATH", "GOMODCACHE", "GOCACHE", "GOENV", envRunMain}
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !slices.Contains(drop, name) {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "PIP_CACHE_DIR="+pipCache)
	for name, value := range goEnv {
		env = append(env, name+"="+value)
	}
	return env
}

// modTimes are the files' modification times.
func modTimes(t *testing.T, paths ...string) []time.Time {
	t.Helper()
	times := make([]time.Time, len(paths))
	for i, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		times[i] = info.ModTime()
	}
	return times
}

// fakePreamble starts the shell scripts that play Python: it takes off -I, -S and venv's --without-pip.
const fakePreamble = `#!/bin/sh
[ "$1" = -I ] && shift
[ "$1" = -S ] && shift
[ "$1 $2 $3" = "-m venv --without-pip" ] && set -- "$1" "$2" "$4"
`

// A setup that fails, at any step, leaves nothing that ChooseBackend trusts, and the next one starts
// the venv afresh; the errors say what is missing. Fake interpreters (shell scripts) play python3:
// nothing is downloaded.
// An interpreter is not run where other users may add files beside it or above it, up to its
// installation, sticky or not: Python reads pyvenv.cfg, <name>._pth and its library there before its
// arguments, and root's interpreter copied into a sticky folder ran another user's encodings package,
// as root, in setup's check (forty-seventh probe). One in its installation's own bin is run.
func TestSetupRefusesAnInterpreterWhereOthersMayAddFiles(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ran := filepath.Join(t.TempDir(), "ran")
	script := "#!/bin/sh\n: > " + ran + "\nexit 1\n"
	sticky := filepath.Join(t.TempDir(), "sticky")
	inside := filepath.Join(sticky, "py") // variant: the interpreter's own folder is root's, the one above it sticky
	if err := os.MkdirAll(inside, 0o755); err != nil || os.Chmod(sticky, 0o777|os.ModeSticky) != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{sticky, inside} {
		python := filepath.Join(dir, "python3")
		if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		err := runSetup([]string{"--python", python})
		if err == nil || !strings.Contains(err.Error(), "--python "+python) || !strings.Contains(err.Error(), "other users may add files to "+sticky) {
			t.Errorf("an interpreter in %s: error %v, want a refusal naming the sticky folder", dir, err)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatalf("the interpreter in %s ran", dir)
		}
	}
	// Nor an installation of its own, whole, below such a folder: Python takes lib/python3XY.zip in
	// any folder above it for its standard library (forty-eighth probe: /tmp/py311's interpreter ran
	// another user's /tmp/lib/python311.zip).
	for _, sub := range []string{"lib/python3.11/lib-dynload", "bin"} {
		if err := os.MkdirAll(filepath.Join(inside, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(inside, "lib/python3.11/os.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	python := filepath.Join(inside, "bin", "python3")
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := findPython(python); err == nil || !strings.Contains(err.Error(), "other users may add files to "+sticky) {
		t.Errorf("an installation below a sticky folder: error %v, want a refusal naming it", err)
	}
	// Nor one whose folders are all root's where a folder above holds a lib of another user's, or a
	// library's zip or folder of theirs in a lib of root's (ninety-fourth probe: root's /srv/py311 ran
	// another user's /srv/lib/python311.zip).
	if os.Geteuid() == 0 {
		base := fakeBin(t)
		python := filepath.Join(base, "py311", "bin", "python3")
		if err := os.MkdirAll(filepath.Dir(python), 0o755); err != nil || os.WriteFile(python, []byte(script), 0o755) != nil {
			t.Fatal(err)
		}
		lib := filepath.Join(base, "lib")
		for _, theirs := range []string{lib, filepath.Join(lib, "python311.zip"), filepath.Join(lib, "python3.11")} {
			os.RemoveAll(lib)
			if err := os.Mkdir(lib, 0o755); err != nil {
				t.Fatal(err)
			}
			var err error
			if theirs == filepath.Join(lib, "python3.11") {
				err = os.Mkdir(theirs, 0o755)
			} else if theirs != lib {
				err = os.WriteFile(theirs, nil, 0o644)
			}
			if err != nil || os.Chown(theirs, 4242, 4242) != nil {
				t.Fatal(err)
			}
			if _, err := findPython(python); err == nil || !strings.Contains(err.Error(), theirs+" belongs to another user") || !strings.Contains(err.Error(), "lib/python3XY.zip") {
				t.Errorf("an interpreter below a folder whose %s is another user's: error %v, want a refusal naming it", theirs, err)
			}
		}
		if err := os.Chown(filepath.Join(lib, "python3.11"), 0, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := findPython(python); err != nil {
			t.Errorf("an interpreter below a lib of root's: %v, want it found", err)
		}
		// The ninety-fifth probe: the library folder held whole (another user's encodings inside root's
		// python3.11); a venv of root's whose pyvenv.cfg's home is below a sticky folder, where Python
		// then looks for its library; and a build tree's marker beside the interpreter.
		encodings := filepath.Join(lib, "python3.11", "encodings")
		if err := os.Mkdir(encodings, 0o755); err != nil || os.Chown(encodings, 4242, 4242) != nil {
			t.Fatal(err)
		}
		if _, err := findPython(python); err == nil || !strings.Contains(err.Error(), encodings+" belongs to another user") {
			t.Errorf("an interpreter whose library holds another user's folder: error %v, want a refusal naming it", err)
		}
		os.RemoveAll(encodings)
		venvPython := filepath.Join(base, "rv", "bin", "python3")
		if err := os.MkdirAll(filepath.Dir(venvPython), 0o755); err != nil || os.WriteFile(venvPython, []byte(script), 0o755) != nil ||
			os.WriteFile(filepath.Join(base, "rv", "pyvenv.cfg"), []byte("include-system-site-packages = false\nHome = "+filepath.Join(sticky, "py", "bin")+"\n"), 0o644) != nil {
			t.Fatal("a venv")
		}
		if _, err := findPython(venvPython); err == nil || !strings.Contains(err.Error(), "other users may add files to "+sticky) {
			t.Errorf("a venv whose home is below a sticky folder: error %v, want a refusal naming it", err)
		}
		// The ninety-sixth: a home key that Python's strip reads and Go's TrimSpace did not, and a
		// pyvenv.cfg that links to a missing file, whose target another user made after the check.
		cfg := filepath.Join(base, "rv", "pyvenv.cfg")
		if err := os.WriteFile(cfg, []byte("\x1chome = "+filepath.Join(sticky, "py", "bin")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := findPython(venvPython); err == nil || !strings.Contains(err.Error(), "holds byte 0x1c") {
			t.Errorf("a pyvenv.cfg whose home key begins with \\x1c: error %v, want a refusal naming the byte", err)
		}
		if err := os.Remove(cfg); err != nil || os.Symlink(filepath.Join(sticky, "later.cfg"), cfg) != nil {
			t.Fatal(err)
		}
		if _, err := findPython(venvPython); err == nil || !strings.Contains(err.Error(), cfg) {
			t.Errorf("a pyvenv.cfg linking to a missing file in a sticky folder: error %v, want a refusal naming it", err)
		}
		// The ninety-eighth: a venv's base executable (home/<its name>), a link of root's to another
		// user's folder, where Python reads the ._pth beside it.
		if err := os.WriteFile(cfg, []byte("home = "+filepath.Join(base, "H")+"\n"), 0o644); err != nil || os.MkdirAll(filepath.Join(base, "H"), 0o755) != nil ||
			os.WriteFile(filepath.Join(sticky, "python3"), nil, 0o755) != nil || os.Symlink(filepath.Join(sticky, "python3"), filepath.Join(base, "H", "python3")) != nil {
			t.Fatal("a venv whose base executable links into a sticky folder")
		}
		if _, err := findPython(venvPython); err == nil || !strings.Contains(err.Error(), "other users may add files to "+sticky) {
			t.Errorf("a venv whose base executable links into a sticky folder: error %v, want a refusal naming it", err)
		}
		builddir := filepath.Join(filepath.Dir(python), "pybuilddir.txt")
		if err := os.WriteFile(builddir, []byte("build/lib.linux-x86_64-3.11\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := findPython(python); err == nil || !strings.Contains(err.Error(), builddir+" is there") {
			t.Errorf("an interpreter beside pybuilddir.txt: error %v, want a refusal naming it", err)
		}
		os.Remove(builddir)
	}
	// One where no folder up to / is another's is found.
	python = filepath.Join(fakeBin(t), "python3")
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findPython(python); err != nil || got != python {
		t.Errorf("an interpreter where no folder is another's: %q, %v; want it found", got, err)
	}
}

// A setup killed by SIGKILL leaves its child's children running the venv's interpreter (ensurepip's
// pip went on writing it, and the next setup failed to remove it: "directory not empty"; forty-eighth
// probe): the next setup ends them first.
func TestSetupEndsWhatAKilledSetupLeftRunning(t *testing.T) {
	venv := filepath.Join(t.TempDir(), "venv")
	if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep here")
	}
	python := filepath.Join(venv, "bin", "python") // a venv's interpreter is a link to the base one
	if err := os.Symlink(sleep, python); err != nil {
		t.Fatal(err)
	}
	orphan := exec.Command(python, "100")
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- orphan.Wait() }()
	bystander := exec.Command(sleep, "100") // the same program, not the venv's: left alone
	if err := bystander.Start(); err != nil {
		t.Fatal(err)
	}
	defer bystander.Process.Kill() //nolint:errcheck
	if err := stopLeftovers(venv, ddpm.UserSetupCommand); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		orphan.Process.Kill() //nolint:errcheck
		t.Fatal("the process running the venv's interpreter was not ended")
	}
	if err := bystander.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("a process not of the venv was ended too: %v", err)
	}
	// A finished venv's processes are the user's: named, never killed (the plugin's venv, stamped and
	// remade for its RECORD, lost the user's process without a word; eighty-third probe).
	user := exec.Command(python, "100")
	if err := user.Start(); err != nil {
		t.Fatal(err)
	}
	defer user.Process.Kill() //nolint:errcheck
	if err := os.WriteFile(filepath.Join(venv, ddpm.SetupStamp), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(venvProcesses(venv)) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // seen in /proc once it runs the venv's interpreter
	}
	err = leftoversOf(venv, venvJob{killLeftovers: true, again: ddpm.UserSetupCommand})
	if err == nil || !strings.Contains(err.Error(), "JupyterLab") {
		t.Errorf("a finished venv's process: %v, want it named", err)
	}
	if err := user.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("a finished venv's process was ended: %v", err)
	}
}

// A venv's interpreter is found however its process named it: by a path relative to its working
// folder, or by its name in an activated venv's $PATH; those were missed, and setup remade a venv
// under a running JupyterLab (seventy-ninth probe).
func TestVenvProcessesFindsEveryNaming(t *testing.T) {
	dir := t.TempDir()
	venv := filepath.Join(dir, "v")
	if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep here")
	}
	python := filepath.Join(venv, "bin", "python")
	if err := os.Symlink(sleep, python); err != nil {
		t.Fatal(err)
	}
	relative := &exec.Cmd{Path: "v/bin/python", Args: []string{"v/bin/python", "100"}, Dir: dir}
	activated := &exec.Cmd{Path: python, Args: []string{"python", "100"}, Env: []string{"PATH=" + filepath.Join(venv, "bin") + ":/usr/bin:/bin"}}
	bystander := &exec.Cmd{Path: sleep, Args: []string{"sleep", "100"}, Env: []string{"PATH=/usr/bin:/bin"}}
	// Retitled (setproctitle), whatever argv[0] says: a --copies venv's own interpreter (ninety-sixth
	// probe); and not a process that has only mapped a file of the venv (a ddpm command with its plugin
	// loaded was killed as a leftover; ninety-seventh probe).
	copied := filepath.Join(venv, "bin", "python-copy")
	raw, err := os.ReadFile(sleep)
	if err != nil || os.WriteFile(copied, raw, 0o755) != nil {
		t.Fatal("a copy of sleep")
	}
	retitledCopy := &exec.Cmd{Path: copied, Args: []string{"gunicorn: master", "100"}, Env: []string{"PATH=/usr/bin:/bin"}}
	cmds := []*exec.Cmd{relative, activated, bystander, retitledCopy}
	var withPlugin *exec.Cmd
	if lib, err := filepath.EvalSymlinks("/lib/x86_64-linux-gnu/libm.so.6"); err == nil { // a library to stand for the plugin
		plugin := filepath.Join(venv, "lib", "plugins", "plugin.so")
		raw, err := os.ReadFile(lib)
		if err != nil || os.MkdirAll(filepath.Dir(plugin), 0o755) != nil || os.WriteFile(plugin, raw, 0o755) != nil {
			t.Fatal("a plugin")
		}
		withPlugin = &exec.Cmd{Path: sleep, Args: []string{"ddpm", "100"}, Env: []string{"PATH=/usr/bin:/bin", "LD_PRELOAD=" + plugin}}
		cmds = append(cmds, withPlugin)
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		defer c.Process.Kill() //nolint:errcheck
	}
	time.Sleep(100 * time.Millisecond) // the preloaded library mapped, for the check that it is not counted
	found := venvProcesses(venv)
	want := map[string]*exec.Cmd{"v/bin/python from the venv's folder": relative, "python in an activated venv": activated, "a copied interpreter retitled": retitledCopy}
	if withPlugin != nil && slices.Contains(venvProcesses(venv), withPlugin.Process.Pid) {
		t.Errorf("a program with the venv's plugin loaded, not its interpreter: found among the venv's processes")
	}
	for name, c := range want {
		if !slices.Contains(found, c.Process.Pid) {
			t.Errorf("%s: not found among %v", name, found)
		}
	}
	if slices.Contains(found, bystander.Process.Pid) {
		t.Errorf("sleep, not the venv's: found among %v", found)
	}
}

// installPlugin holds pip's environment to setup's rules itself: a plugin that passed the commands'
// check by its size and failed setup's by its digest was reinstalled without them (eightieth probe).
func TestInstallPluginChecksPipsEnvironment(t *testing.T) {
	t.Setenv("PIP_TARGET", t.TempDir())
	if _, err := installPlugin(filepath.Join(t.TempDir(), "venv"), "python3", "", nil, ddpm.UserSetupCommand, nil); err == nil || !strings.Contains(err.Error(), "$PIP_TARGET") {
		t.Errorf("installPlugin with $PIP_TARGET set: %v, want it refused", err)
	}
}

// fakeBin is a folder for fake interpreters where setup runs one: no folder from it up to / is one
// that other users may add files to. A test's temporary folder is in a sticky /tmp, which setup
// refuses on the way; this one is in the clone's .test-tmp (ignored by git), and the test is skipped
// where the clone itself lies in such a folder.
func fakeBin(t *testing.T) string {
	t.Helper()
	base, err := filepath.Abs("../../.test-tmp")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, err := os.MkdirTemp(base, "fakes-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(bin) })
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkInterpreterFolders(filepath.Join(bin, "python3")); err != nil {
		t.Skipf("fake interpreters cannot be run from this clone: %v", err)
	}
	return bin
}

func TestSetupFailuresAndRetries(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("setup installs the plugin on Linux only")
	}
	cache, fakes := t.TempDir(), fakeBin(t)
	t.Setenv("XDG_CACHE_HOME", cache)
	venv := filepath.Join(cache, "ddpm-go", "venv")
	fake := func(name, script string) string {
		p := filepath.Join(fakes, name)
		// Every interpreter is run isolated (-I), and the base one without site (-S) and its venv without
		// pip, which the fakes take off before they read their arguments.
		if err := os.WriteFile(p, []byte(fakePreamble+script), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wantError := func(what string, err error, parts ...string) {
		t.Helper()
		for _, part := range parts {
			if err == nil || !strings.Contains(err.Error(), part) {
				t.Errorf("%s: error %v, want one containing %q", what, err, part)
			}
		}
		if p, _ := ddpm.UserPlugin(); p != "" {
			t.Errorf("%s: the plugin %s is trusted after a failed setup", what, p)
		}
	}

	// No python3: named, with how to get one; the models are written all the same.
	path, empty := os.Getenv("PATH"), t.TempDir()
	t.Setenv("PATH", empty)
	wantError("no python3", runSetup(nil), "--python python3: not found", "python3-venv")
	t.Setenv("PATH", path) // the fakes below are shell scripts
	modelsDir := filepath.Join(cache, "ddpm-go", "models")
	for _, name := range models.Names() {
		want, _ := models.Read(name)
		if got, err := os.ReadFile(filepath.Join(modelsDir, name)); err != nil || string(got) != string(want) {
			t.Errorf("model %s not written to %s (%v)", name, modelsDir, err)
		}
	}

	// Debian's python3 without python3-venv.
	debian := fake("debian-python3", `echo "missing module: No module named 'ensurepip'" >&2; exit 1`)
	wantError("no venv module", runSetup([]string{"--python", debian}), "--python", "the venv module is missing", "apt install python3-venv")

	// Not a Python (exits 0 and prints junk), and one that hangs: each named, the second within the
	// check's time limit (both got further before, the second forever; sixth probe).
	junk := fake("junk-python3", `echo hello; exit 0`)
	wantError("a junk python", runSetup([]string{"--python", junk}), "--python", "is not a Python 3 interpreter", "hello")
	python2 := fake("python2", `printf 'Unknown option: -I\nusage: python2.7 [option] ...\n' >&2; exit 2`) // (hundred-and-second probe's nit)
	wantError("python 2", runSetup([]string{"--python", python2}), "--python", "is Python 2 or older", "name a Python 3.8 or newer")
	hanging := fake("hanging-python3", `sleep 100`) // a child of the shell, holding its output open
	defer func(saved time.Duration) { pythonTimeout = saved }(pythonTimeout)
	pythonTimeout = time.Second
	start := time.Now()
	wantError("a hanging python", runSetup([]string{"--python", hanging}), "--python", "did not answer in 1s")
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("a hanging python held setup for %s", took)
	}
	// A venv step that makes no interpreter (a fake that passes the check and does nothing).
	noVenv := fake("python3-no-venv", `[ "$1" = -c ] && { printf 'ddpm: python can make a venv\n%s\n%s\n' "$0" "${0%/*}"; exit 0; }; exit 0`)
	wantError("a venv without an interpreter", runSetup([]string{"--python", noVenv}), "made no interpreter")
	// Run isolated, from /: a venv.py in the working directory, another user's in /tmp, was imported by
	// the check and by `-m venv` (thirty-fifth probe).
	argsFile := filepath.Join(fakes, "args")
	recording := filepath.Join(fakes, "python3-recording")
	if err := os.WriteFile(recording, []byte("#!/bin/sh\necho \"$PWD $*\" >> "+argsFile+"\n"+strings.TrimPrefix(fakePreamble, "#!/bin/sh\n")+
		`[ "$1" = -c ] && { printf 'ddpm: python can make a venv\n%s\n%s\n' "$0" "${0%/*}"; exit 0; }; exit 0`), 0o755); err != nil {
		t.Fatal(err)
	}
	runSetup([]string{"--python", recording}) //nolint:errcheck // it makes no venv; only its arguments are looked at
	if raw, err := os.ReadFile(argsFile); err != nil || !strings.HasPrefix(string(raw), "/ -I -S -c ") || !strings.Contains(string(raw), "\n/ -I -S -m venv --without-pip ") {
		t.Errorf("the interpreter was run as:\n%s(%v), want isolated (-I), without site (-S), from /, for the check and -m venv", raw, err)
	}

	// pip fails (no network, no wheel for this platform): its output is in the error.
	venvMaker := `[ "$1" = -c ] && { printf 'ddpm: python can make a venv\n%s\n%s\n' "$0" "${0%/*}"; exit 0; }
mkdir -p "$3/bin" && printf '#!/bin/sh\nPATH=/usr/bin:/bin # setup gives the venv none\ncase "$*" in *ensurepip*) exit 0;; esac\n%s\n' "$FAKE_PIP" > "$3/bin/python" && chmod +x "$3/bin/python"
`
	defer func(vars []string) { childVars = vars }(childVars)
	childVars = append(slices.Clone(childVars), "FAKE_PIP") // what the fake venv's pip does, given to the fakes
	t.Setenv("FAKE_PIP", `echo "ERROR: No matching distribution found for xla-cpu-pjrt==0.0.1" >&2; exit 1`)
	failing := fake("python3-pip-fails", venvMaker)
	wantError("pip fails", runSetup([]string{"--python", failing}), "pip install xla-cpu-pjrt==0.0.1", "No matching distribution found")
	if _, err := os.Stat(venv); !os.IsNotExist(err) {
		t.Errorf("the venv of a failed pip install is left holding space (%v)", err)
	}

	// A full file system is named before the venv is begun; a venv step that fails inside ensurepip
	// (as on a full disk, where it was blamed on a missing Debian package) is not blamed on Debian, and
	// what it made is removed (seventh probe).
	defer func(saved func(string) (float64, error)) { ddpm.FreeSpace = saved }(ddpm.FreeSpace)
	ddpm.FreeSpace = func(string) (float64, error) { return 5e6, nil }
	wantError("a full disk", runSetup([]string{"--python", failing}), "has 5 MB free", "plugin takes about 400 MB")
	if _, err := os.Stat(venv); !os.IsNotExist(err) {
		t.Errorf("setup began the venv on a full disk (%v)", err)
	}
	ddpm.FreeSpace = func(string) (float64, error) { return 1e12, nil }
	ensurepipFails := fake("python3-ensurepip-fails", `[ "$1" = -c ] && { printf 'ddpm: python can make a venv\n%s\n%s\n' "$0" "${0%/*}"; exit 0; }
mkdir -p "$3/lib" && : > "$3/lib/partial"
echo "Error: Command '['$3/bin/python3', '-m', 'ensurepip', '--upgrade', '--default-pip']' returned non-zero exit status 1." >&2; exit 1
`)
	err := runSetup([]string{"--python", ensurepipFails})
	wantError("ensurepip fails", err, "returned non-zero exit status 1")
	if err != nil && strings.Contains(err.Error(), "python3-venv") {
		t.Errorf("ensurepip fails: blamed on Debian's python3-venv: %v", err)
	}
	if _, err := os.Stat(venv); !os.IsNotExist(err) {
		t.Errorf("the venv of a failed venv step is left holding space (%v)", err)
	}

	// Interrupted after pip, before the stamp: the plugin file is there, and not trusted.
	soDir := filepath.Join(venv, "lib", "python3.11", "site-packages", "xla_plugins", "xla_cpu_pjrt")
	if err := os.MkdirAll(soDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(soDir, "xla_cpu_pjrt.so"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(venv, "left-by-the-interrupted-setup")
	if err := os.WriteFile(leftover, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wantError("interrupted before the stamp", nil)

	// The next setup replaces the unfinished venv rather than building on it, and stamps it.
	// As pip installs it: the file, and the RECORD that lists it, which setup holds it to.
	t.Setenv("FAKE_PIP", `s=$(dirname "$0")/../lib/python3.11/site-packages; d=$s/xla_plugins/xla_cpu_pjrt; r=$s/xla_cpu_pjrt-`+ddpm.PluginVersion+`.dist-info
mkdir -p "$d" "$r" && : > "$d/xla_cpu_pjrt.so" && echo xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0 > "$r/RECORD"`)
	working := fake("python3-works", venvMaker)
	if err := runSetup([]string{"--python", working}); err != nil {
		t.Fatalf("setup with a working python: %v", err)
	}
	if p, refused := ddpm.UserPlugin(); !strings.HasPrefix(p, venv) {
		t.Errorf("after setup: UserPlugin() = %q, %v; want the plugin in %s", p, refused, venv)
	}
	if _, err := os.Stat(leftover); err == nil {
		t.Errorf("setup built on the unfinished venv (%s is still there)", leftover)
	}
	// Once finished, setup needs no Python at all.
	t.Setenv("PATH", empty)
	if err := runSetup(nil); err != nil {
		t.Errorf("second setup, python3 not in $PATH: %v", err)
	}
}

// A default that names a shipped model (models/…) is read from the working directory when it is
// there, else from the copy in the user's cache; an explicit value is never redirected; with neither,
// or with a damaged copy, the error names the files and `ddpm setup`.
func TestSetupModelsServeTheDefaults(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Chdir(t.TempDir())
	cached := filepath.Join(cache, "ddpm-go", "models", "mnist-ema.ddpm")
	resolve := func(args ...string) (string, error) {
		fs := flag.NewFlagSet("eval", flag.ContinueOnError)
		fs.String("ckpt", "models/mnist-ema.ddpm", "")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return shippedModel(fs, "ckpt")
	}
	if _, err := resolve(); err == nil || !strings.Contains(err.Error(), "models/mnist-ema.ddpm") ||
		!strings.Contains(err.Error(), cached) || !strings.Contains(err.Error(), "ddpm setup") || !strings.Contains(err.Error(), "--ckpt") {
		t.Errorf("neither file: error %v, want one naming --ckpt, both files and `ddpm setup`", err)
	}
	// The commands say so before any work.
	if err := runInterpolate(nil); err == nil || !strings.Contains(err.Error(), cached) {
		t.Errorf("interpolate with neither file: error %v, want one naming %s", err, cached)
	}
	if _, err := installModels(filepath.Dir(cached)); err != nil {
		t.Fatal(err)
	}
	if got, err := resolve(); got != cached || err != nil {
		t.Errorf("only the cache's copy: %q, %v; want %s", got, err, cached)
	}
	if got, _ := resolve("--ckpt", "models/mnist-ema.ddpm"); got != "models/mnist-ema.ddpm" {
		t.Errorf("explicit --ckpt models/mnist-ema.ddpm: redirected to %q", got)
	}
	// A damaged copy (here truncated) is named with the command that rewrites it.
	whole, err := os.ReadFile(cached)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cached, whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := resolve(); err == nil || !strings.Contains(err.Error(), cached) || !strings.Contains(err.Error(), "ddpm setup") {
		t.Errorf("a truncated copy in the cache: error %v, want one naming it and `ddpm setup`", err)
	}
	if err := os.WriteFile(cached, whole, 0o644); err != nil {
		t.Fatal(err)
	}
	// A cache that another user could change is not read: the copy, checked, was swapped for theirs
	// before it was read again (fifty-eighth probe).
	if err := os.Chmod(filepath.Dir(cached), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := resolve(); err == nil || !strings.Contains(err.Error(), cached) || !strings.Contains(err.Error(), "XDG_CACHE_HOME") {
		t.Errorf("the shipped model in a cache folder anyone may write: error %v, want a refusal", err)
	}
	if err := os.Chmod(filepath.Dir(cached), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("models", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("models/mnist-ema.ddpm", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := resolve(); got != "models/mnist-ema.ddpm" {
		t.Errorf("the default in the working directory: %q, want it read there", got)
	}
	// And the classifier's default, through eval (stopped where its flags are all checked).
	defer func(saved func(*flag.FlagSet) error) { flagsChecked = saved }(flagsChecked)
	var clf string
	flagsChecked = func(fs *flag.FlagSet) error { clf = fs.Lookup("classifier").Value.String(); return errFlagsAccepted }
	if err := runEval([]string{"--ckpt", cached, "--nll", "0", "--fid", "10", "--work", "w", "--out", "o"}); err != errFlagsAccepted {
		t.Fatalf("eval with the classifier in the cache: %v", err)
	}
	if want := filepath.Join(cache, "ddpm-go", "models", "mnist-classifier.ddpm"); clf != want {
		t.Errorf("eval's default --classifier read %q, want the cache's %s", clf, want)
	}
}

// A models folder that is a link to nothing is named as such (it said only "file exists"; eleventh
// probe), and the models go through a link to a folder.
func TestInstallModelsThroughLinks(t *testing.T) {
	dir := t.TempDir()
	dangling := filepath.Join(dir, "models")
	if err := os.Symlink(filepath.Join(dir, "missing", "x"), dangling); err != nil {
		t.Fatal(err)
	}
	if _, err := installModels(dangling); err == nil || !strings.Contains(err.Error(), "is a symbolic link to") {
		t.Errorf("a models folder linked to nothing: error %v", err)
	}
	real, linked := filepath.Join(dir, "real"), filepath.Join(dir, "linked")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, linked); err != nil {
		t.Fatal(err)
	}
	if written, err := installModels(linked); err != nil || len(written) == 0 {
		t.Errorf("models through a link to a folder: %v, wrote %v", err, written)
	}
	if written, err := installModels(linked); err != nil || len(written) != 0 {
		t.Errorf("models already there: %v, wrote %v again", err, written)
	}
	// A copy that another user may write is written anew, not left as "already there" for every command
	// to refuse (sixty-fourth probe).
	copied := filepath.Join(real, "mnist-ema.ddpm")
	if err := os.Chmod(copied, 0o666); err != nil {
		t.Fatal(err)
	}
	if written, err := installModels(linked); err != nil || !slices.Equal(written, []string{"mnist-ema.ddpm"}) {
		t.Errorf("a model anyone may write: %v, wrote %v, want it written anew", err, written)
	}
	if info, err := os.Stat(copied); err != nil || info.Mode().Perm()&0o022 != 0 {
		t.Errorf("the model written anew: %v, %v; want it writable by its user alone", info.Mode(), err)
	}
	// A model's own name linked to a user's checkpoint: setup replaced the checkpoint by the shipped
	// model, and eval's message did not say that the copy was a link (fourteenth probe).
	mine := filepath.Join(dir, "ckpt-000000030.ddpm")
	if err := os.WriteFile(mine, []byte("a training checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(real, "mnist-ema.ddpm")
	if err := os.Remove(own); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mine, own); err != nil {
		t.Fatal(err)
	}
	if _, err := installModels(real); err == nil || !strings.Contains(err.Error(), "a symbolic link") {
		t.Errorf("a model's name linked to a checkpoint: error %v, want a refusal", err)
	}
	if raw, _ := os.ReadFile(mine); string(raw) != "a training checkpoint" {
		t.Errorf("the checkpoint behind the link was replaced (%d bytes)", len(raw))
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Chdir(t.TempDir())
	cacheModels, err := ddpm.UserModelsDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cacheModels, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mine, filepath.Join(cacheModels, "mnist-ema.ddpm")); err != nil {
		t.Fatal(err)
	}
	if err := runInterpolate(nil); err == nil || !strings.Contains(err.Error(), "is a link to "+mine) {
		t.Errorf("the cache's copy linked to a checkpoint: error %v, want the link named", err)
	}
}

// A signal stops setup's children too, and the unfinished venv is removed: they ran in setup's
// process group unseen, and after a SIGTERM python, ensurepip and pip went on writing 276 MB into the
// cache after setup had exited (twenty-sixth probe). Here the venv step starts a child that would
// write into the venv 30 s later, and setup is stopped meanwhile.
func TestSetupStoppedStopsItsChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("setup installs the plugin on Linux only")
	}
	cache, fakes := t.TempDir(), fakeBin(t)
	venv := filepath.Join(cache, "ddpm-go", "venv")
	pidFile := filepath.Join(fakes, "child.pid")
	python := filepath.Join(fakes, "python3-slow-venv")
	script := fakePreamble + `[ "$1" = -c ] && { printf 'ddpm: python can make a venv\n%s\n%s\n' "$0" "${0%/*}"; exit 0; }
mkdir -p "$3/lib"
(sleep 30; : > "$3/lib/late") &
echo $! > ` + pidFile + `
wait
`
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: ddpmCommand("setup", "--python", python), done: make(chan error, 1)}
	c.cmd.Env = append(c.cmd.Env, "XDG_CACHE_HOME="+cache)
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	pid := waitForPID(t, pidFile, c.cmd)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := <-c.done; !errors.As(err, &exit) || exit.ExitCode() != 143 || !strings.Contains(c.out.String(), "stopped by a signal") {
		t.Errorf("setup after SIGTERM: %v, want exit status 143 and a word on the venv\n%s", err, c.out.String())
	}
	if outlives(pid) {
		t.Errorf("the venv step's child %d outlived setup", pid)
	}
	if _, err := os.Lstat(venv); !os.IsNotExist(err) {
		t.Errorf("the unfinished venv is left (%v)", err)
	}
}

// A setup killed without a word (kill -9) takes its Python with it: pip went on writing the venv that
// the next setup had removed (forty-fourth probe's nit).
func TestSetupKilledTakesItsChildWithIt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("setup installs the plugin on Linux only")
	}
	cache, fakes := t.TempDir(), fakeBin(t)
	pidFile, late := filepath.Join(fakes, "venv.pid"), filepath.Join(fakes, "late")
	python := filepath.Join(fakes, "python3-slow-venv")
	script := fakePreamble + `[ "$1" = -c ] && { printf 'ddpm: python can make a venv\n%s\n%s\n' "$0" "${0%/*}"; exit 0; }
echo $$ > ` + pidFile + `
sleep 20
: > ` + late + `
`
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := ddpmCommand("setup", "--python", python)
	cmd.Env = append(cmd.Env, "XDG_CACHE_HOME="+cache)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := waitForPID(t, pidFile, cmd)
	cmd.Process.Kill() //nolint:errcheck // SIGKILL: setup can do nothing
	cmd.Wait()         //nolint:errcheck
	if outlives(pid) {
		t.Errorf("the venv step %d outlived a setup killed with SIGKILL", pid)
	}
}

// waitForPID waits a minute at most for a fake interpreter that cmd started to write its process id
// to pidFile, and returns it.
func waitForPID(t *testing.T, pidFile string, cmd *exec.Cmd) int {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if raw, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(raw), "\n") {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill() //nolint:errcheck
			t.Fatal("the venv step did not start in a minute")
		}
	}
}

// outlives says whether process pid is still running 5 s on (a zombie, killed and not yet reaped, counts
// as gone), and kills it if it is.
func outlives(pid int) bool {
	alive := func() bool {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err == nil && !strings.Contains(string(raw), ") Z ")
	}
	for deadline := time.Now().Add(5 * time.Second); alive() && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if alive() {
		syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck
		return true
	}
	return false
}

// setup removes what a setup killed in its write of a model left (it stayed for good, beside the model
// that the next setup wrote; twenty-seventh probe), and nothing else of the folder's; it holds the
// models folder's own lock (two setups of other caches linked to one models folder removed each
// other's temporaries in flight; twenty-eighth probe).
func TestInstallModelsRemovesKilledWrites(t *testing.T) {
	dir := t.TempDir()
	left, mine := filepath.Join(dir, ".mnist-ch8-ema.ddpm.tmp-1466024913"), filepath.Join(dir, ".notes.ddpm.tmp-1")
	for _, f := range []string{left, mine} {
		if err := os.WriteFile(f, []byte("part"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Another setup's folder (through a link from its cache): its temporaries are its own, in flight.
	holder, err := os.OpenFile(filepath.Join(dir, ddpm.LockFileName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil { // as another process's LockDir
		t.Fatal(err)
	}
	if _, err := installModels(dir); err == nil || !strings.Contains(err.Error(), "is in use by this process, through another open file") {
		t.Errorf("a models folder in use: error %v", err)
	}
	if _, err := os.Lstat(left); err != nil {
		t.Errorf("setup removed %s in a models folder that another setup holds: %v", left, err)
	}
	holder.Close()
	if _, err := installModels(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(left); !os.IsNotExist(err) {
		t.Errorf("setup left %s (%v)", left, err)
	}
	if _, err := os.Lstat(mine); err != nil {
		t.Errorf("setup removed %s, not a model's: %v", mine, err)
	}
}

// setup refuses a cache folder whose path holds a comma before it writes anything: it said "installed
// now", and every command then failed to load the plugin, which GoMLX reads only up to the comma
// (thirty-first probe).
func TestSetupRefusesACommaInItsFolder(t *testing.T) {
	// And a colon, which Python's venv refuses, after the models were written (thirty-second probe's nit).
	for name, want := range map[string]string{"c,ache": "its path holds a comma", "c:ache": `its path holds ':', which Python's venv refuses`} {
		cache := filepath.Join(t.TempDir(), name)
		t.Setenv("XDG_CACHE_HOME", cache)
		err := runSetup(nil)
		if want := "ddpm setup's folder " + filepath.Join(cache, "ddpm-go") + ": " + want; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
		if _, err := os.Lstat(cache); !os.IsNotExist(err) {
			t.Errorf("refused, it made %s (%v)", cache, err)
		}
	}
}

// setup refuses, before its work, a cache folder that other users can write: the plugin installed there
// is never loaded, and it said "installed now", each time it was run (thirty-fourth probe).
func TestSetupRefusesAFolderOthersCanWrite(t *testing.T) {
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", shared)
	err := runSetup(nil)
	if want := "ddpm setup's folder " + filepath.Join(shared, "ddpm-go") + ": " + shared + " can be changed by other users"; err == nil || !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), "chmod go-w") {
		t.Errorf("error %v, want %q and the chmod that mends it", err, want)
	}
	if left, _ := os.ReadDir(shared); len(left) != 0 {
		t.Errorf("refused, it made %v", left)
	}
	// Another user's folder (root with another user's $HOME): no chmod of the user's mends it, and setup
	// and info say to use a folder of one's own (forty-fourth probe's nit).
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(shared, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	err = runSetup(nil)
	if err == nil || !strings.Contains(err.Error(), "belongs to another user") || strings.Contains(err.Error(), "chmod") || !strings.Contains(err.Error(), "a folder of yours") {
		t.Errorf("another user's cache folder: %v, want a refusal saying to use a folder of one's own", err)
	}
	if err := os.Lchown(shared, os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	// A sticky folder, as /tmp, is not: others cannot replace what it holds of the user's.
	if err := os.Chmod(shared, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	if err := ddpm.CheckSecureFolder(filepath.Join(shared, "ddpm-go")); err != nil {
		t.Errorf("a sticky folder: %v", err)
	}
	// A file, or a link to nothing, is no matter of modes: it was told to chmod go-w, which mended
	// nothing (hundred-and-second probe's nit).
	file, dangling := filepath.Join(t.TempDir(), "f"), filepath.Join(t.TempDir(), "dangling")
	if os.WriteFile(file, nil, 0o644) != nil || os.Symlink(filepath.Join(t.TempDir(), "gone"), dangling) != nil {
		t.Fatal("a file and a dangling link")
	}
	for _, cache := range []string{file, dangling} {
		t.Setenv("XDG_CACHE_HOME", cache)
		if err := runSetup(nil); err == nil || strings.Contains(err.Error(), "chmod") || !strings.Contains(err.Error(), "set $XDG_CACHE_HOME to a folder") {
			t.Errorf("$XDG_CACHE_HOME=%s: %v, want a refusal advising another folder, and no chmod", cache, err)
		}
	}
}

// What setup makes, only the user can write, whatever the umask: with umask 002 and a group shared with
// others, another member replaced venv/bin/python while setup ran, and setup ran it; and a venv that
// others could change is said to be, removed and made again (it said "unfinished"); a default ACL that
// lets another user write is refused before any work (thirty-sixth probe).
func TestSetupMakesWhatOnlyTheUserCanWrite(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("setup installs the plugin on Linux only")
	}
	cache, fakes := t.TempDir(), fakeBin(t)
	t.Setenv("XDG_CACHE_HOME", cache)
	venv := filepath.Join(cache, "ddpm-go", "venv")
	python := filepath.Join(fakes, "python3")
	script := fakePreamble + `[ "$1" = -c ] && { printf 'ddpm: python can make a venv\n%s\n%s\n' "$0" "${0%/*}"; exit 0; }
mkdir -p "$3/bin" && printf '#!/bin/sh\nPATH=/usr/bin:/bin # setup gives the venv none\nd=$(dirname "$0")/../lib/python3.11/site-packages/xla_plugins/xla_cpu_pjrt; mkdir -p "$d" && : > "$d/xla_cpu_pjrt.so"\n' > "$3/bin/python" && chmod +x "$3/bin/python"
`
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	defer syscall.Umask(syscall.Umask(0o002))
	if err := runSetup([]string{"--python", python}); err != nil {
		t.Fatalf("setup: %v", err)
	}
	filepath.WalkDir(venv, func(path string, d os.DirEntry, err error) error {
		if info, err := os.Lstat(path); err == nil && info.Mode()&os.ModeSymlink == 0 && info.Mode().Perm()&0o022 != 0 {
			t.Errorf("setup under umask 002 made %s with mode %v: others of its group may write it", path, info.Mode())
		}
		return nil
	})
	if p, refused := ddpm.UserPlugin(); p == "" {
		t.Fatalf("after setup under umask 002: no plugin (%v)", refused)
	}

	// A venv that others could have changed: said, removed and made again.
	sitePackages := filepath.Join(venv, "lib", "python3.11", "site-packages")
	if err := os.Chmod(sitePackages, 0o777); err != nil {
		t.Fatal(err)
	}
	var err error
	out := captureStdout(t, func() { err = runSetup([]string{"--python", python}) })
	if err != nil || !strings.Contains(out, "removing "+venv+": the plugin installed by `ddpm setup` in "+venv+" is not used: "+sitePackages+" can be changed by other users") {
		t.Errorf("setup over a venv others could change: %v, printed:\n%s", err, out)
	}
	if p, refused := ddpm.UserPlugin(); p == "" {
		t.Errorf("after setup made the venv again: no plugin (%v)", refused)
	}

	// A cache whose default ACL lets user 4242 write what is made in it.
	shared := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", shared)
	defaultACL := []byte{2, 0, 0, 0, 1, 0, 7, 0, 0, 0, 0, 0, 2, 0, 7, 0, 0x92, 0x10, 0, 0, 4, 0, 5, 0, 0, 0, 0, 0, 0x10, 0, 7, 0, 0, 0, 0, 0, 0x20, 0, 5, 0, 0, 0, 0, 0}
	if err := syscall.Setxattr(shared, "system.posix_acl_default", defaultACL, 0); err != nil {
		t.Skipf("no POSIX ACLs on %s: %v", shared, err)
	}
	if err := runSetup([]string{"--python", python}); err == nil || !strings.Contains(err.Error(), "its default ACL lets user 4242 write") {
		t.Errorf("setup into a folder whose default ACL lets another user write: %v", err)
	}
	if left, _ := os.ReadDir(shared); len(left) != 0 {
		t.Errorf("refused, it made %v", left)
	}
}

// setup runs no interpreter and reads no pip configuration that another user could change, and pip
// installs the plugin only by its digest: another user's --python ran as the user before it was
// refused, and root's setup with another user's $HOME read that user's pip.conf, whose index served
// that user's wheel (thirty-seventh probe).
func TestSetupRunsAndReadsOnlyWhatIsTheUsers(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("setup installs the plugin on Linux only")
	}
	cache, fakes, home := t.TempDir(), fakeBin(t), t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("PIP_CONFIG_FILE", "")
	t.Setenv("PIP_CACHE_DIR", "")
	t.Setenv("PYTHONPYCACHEPREFIX", t.TempDir()) // ignored under -I, not by the ensurepip venv ran
	ran := filepath.Join(fakes, "ran")
	python := filepath.Join(fakes, "python3")
	// The pythons record their arguments and PYTHON* variables, the venv's the requirements file pip is given.
	script := `#!/bin/sh
echo "$@" >> ` + ran + `
env | grep '^PYTHON\|^TMPDIR' >> ` + ran + `
[ "$1" = -I ] && shift
[ "$1" = -S ] && shift
[ "$1 $2 $3" = "-m venv --without-pip" ] && set -- "$1" "$2" "$4"
[ "$1" = -c ] && { printf 'ddpm: python can make a venv\n%s\n%s\n' "$0" "${0%/*}"; exit 0; }
mkdir -p "$3/bin" && cat > "$3/bin/python" <<'END'
#!/bin/sh
echo "pip $@" >> ` + ran + `
echo "venv PATH=$PATH" >> ` + ran + `
PATH=/usr/bin:/bin
for a; do [ "$prev" = -r ] && cat "$a" >> ` + ran + `; prev=$a; done
d=$(dirname "$0")/../lib/python3.11/site-packages/xla_plugins/xla_cpu_pjrt; mkdir -p "$d" && : > "$d/xla_cpu_pjrt.so"
END
chmod +x "$3/bin/python"
`
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := runSetup([]string{"--python", python}); err != nil {
		t.Fatalf("setup: %v", err)
	}
	log, _ := os.ReadFile(ran)
	for _, want := range append([]string{"-I -S -c", "-I -S -m venv --without-pip", "pip -I -m ensurepip --default-pip",
		"--no-cache-dir --require-hashes --only-binary :all: --no-deps -r", ddpm.PluginPackage + "==" + ddpm.PluginVersion}, ddpm.PluginHashes...) {
		if !strings.Contains(string(log), want) {
			t.Errorf("setup's pythons were not run with %q:\n%s", want, log)
		}
	}
	if strings.Contains(string(log), "PYTHONPYCACHEPREFIX") {
		t.Errorf("setup's pythons were given $PYTHONPYCACHEPREFIX:\n%s", log)
	}
	// Their temporary files in a folder of setup's own, removed after (in a $TMPDIR others could write,
	// another user swapped the pip wheel that ensurepip unpacked; thirty-ninth probe).
	if !strings.Contains(string(log), "TMPDIR="+filepath.Join(cache, "ddpm-go", ".tmp-")) {
		t.Errorf("setup's venv was not made with a $TMPDIR of its own:\n%s", log)
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "ddpm-go", ".tmp-*")); len(left) != 0 {
		t.Errorf("setup left its temporary folder %v", left)
	}
	// The venv's runs (ensurepip, pip) get no program by $PATH: pip runs lsb_release, on Ubuntu a script
	// of the system's Python, which ran another user's .pth of /usr/local (forty-fifth probe).
	for _, line := range strings.Split(string(log), "\n") {
		if path, ok := strings.CutPrefix(line, "venv PATH="); ok {
			if entries, err := os.ReadDir(path); err == nil && len(entries) > 0 || !strings.HasPrefix(path, filepath.Join(cache, "ddpm-go", ".tmp-")) {
				t.Errorf("the venv's python was given $PATH=%s (%d programs), want an empty folder of setup's own", path, len(entries))
			}
		}
	}
	if !strings.Contains(string(log), "venv PATH=") {
		t.Errorf("the venv's python did not record its $PATH:\n%s", log)
	}
	// Without $HOME, pip reads the password database's home: the children are given it.
	t.Setenv("HOME", "")
	os.Unsetenv("HOME")
	if u, err := user.Current(); err == nil && !slices.Contains(childEnv(""), "HOME="+u.HomeDir) {
		t.Errorf("with $HOME unset, setup's children are not given the home of %s, %s", u.Username, u.HomeDir)
	}
	t.Setenv("HOME", home)

	os.RemoveAll(filepath.Join(cache, "ddpm-go"))
	// A pip cache named that others can write (in a sticky /tmp, another user's FIFO hung pip).
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PIP_CACHE_DIR", open)
	if err := runSetup([]string{"--python", python}); err == nil || !strings.Contains(err.Error(), "$PIP_CACHE_DIR="+open+": "+open+" can be changed by other users") {
		t.Errorf("a pip cache others can write: %v", err)
	}
	t.Setenv("PIP_CACHE_DIR", "")
	// pip that does not end is stopped at its time limit.
	defer func(saved time.Duration) { pipTimeout = saved }(pipTimeout)
	pipTimeout = time.Second
	hanging := filepath.Join(fakes, "python3-pip-hangs")
	if err := os.WriteFile(hanging, []byte(strings.Replace(script, `echo "pip $@" >> `, `case "$*" in *ensurepip*) ;; *) /bin/sleep 100;; esac; echo "pip $@" >> `, 1)), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := runSetup([]string{"--python", hanging}); err == nil || !strings.Contains(err.Error(), "no end in 1s") || time.Since(start) > 20*time.Second {
		t.Errorf("a pip that hangs: %v after %s", err, time.Since(start))
	}
	pipTimeout = 30 * time.Minute
	if os.Getuid() != 0 {
		t.Skip("files of another user's need root")
	}
	os.RemoveAll(filepath.Join(cache, "ddpm-go"))
	os.Remove(ran)

	// A pip.conf of another user's, where pip would read it.
	conf := filepath.Join(home, ".config", "pip", "pip.conf")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[global]\nindex-url = http://127.0.0.1:1/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(conf, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	err := runSetup([]string{"--python", python})
	if err == nil || !strings.Contains(err.Error(), "pip would read its configuration from "+conf+": "+conf+" belongs to another user (uid 4242)") {
		t.Errorf("a pip.conf of another user's: %v", err)
	}
	t.Setenv("PIP_CONFIG_FILE", os.DevNull) // pip reads none then, and neither does setup
	if err := runSetup([]string{"--python", python}); err != nil {
		t.Errorf("a pip.conf of another user's, with $PIP_CONFIG_FILE=%s: %v", os.DevNull, err)
	}
	t.Setenv("PIP_CONFIG_FILE", "")
	os.Remove(conf)
	os.RemoveAll(filepath.Join(cache, "ddpm-go"))
	os.Remove(ran)

	// No pip.conf yet, in a $HOME of another user's, who could make one while setup runs (thirty-ninth
	// probe); and one reached through a ~ in $XDG_CONFIG_DIRS, which pip expands.
	theirs := t.TempDir()
	if err := os.Chown(theirs, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", theirs)
	if err := runSetup([]string{"--python", python}); err == nil || !strings.Contains(err.Error(), "pip would read its configuration from "+theirs+"/.pip/pip.conf: "+theirs+" belongs to another user (uid 4242)") {
		t.Errorf("a $HOME of another user's: %v", err)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_DIRS", "~/x")
	if err := os.MkdirAll(filepath.Join(home, "x", "pip"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(home, "x"), 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if err := runSetup([]string{"--python", python}); err == nil || !strings.Contains(err.Error(), "pip would read its configuration from "+home+"/x/pip/pip.conf") {
		t.Errorf("a ~ in $XDG_CONFIG_DIRS: %v", err)
	}
	t.Setenv("XDG_CONFIG_DIRS", "")
	os.Remove(ran)

	// The interpreter is run by the path it was checked by, resolved as the kernel does: "l/../python3"
	// was checked as if l were not a link, and another user's ran (fortieth probe).
	if err := os.MkdirAll(filepath.Join(fakes, "sub", "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fakes, "sub", "python3"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(fakes, "sub", "inner"), filepath.Join(fakes, "l")); err != nil {
		t.Fatal(err)
	}
	if got, err := findPython(filepath.Join(fakes, "l") + "/../python3"); err != nil || got != filepath.Join(fakes, "sub", "python3") {
		t.Errorf("--python l/../python3: %q, %v; want %s, the file the kernel opens", got, err, filepath.Join(fakes, "sub", "python3"))
	}

	// Paths that pip could read as another file than setup would check (fortieth probe).
	for _, v := range [][2]string{{"XDG_CONFIG_HOME", home + "/x "}, {"PIP_CACHE_DIR", "~nosuchuser/c"}, {"NETRC", home + "/l/../n"}, {"PIP_CONFIG_FILE", "pip.conf"},
		{"XDG_CONFIG_DIRS", "/etc/xdg:" + home + "/./x"}, {"HOME", "relative/home"}, {"PIP_CACHE_DIR", "/proc/self/cwd"},
		// A ~ joined as text, as pip's expanduser joins it: "~/../xdg" was tidied to beside $HOME, where pip,
		// through a $HOME that was a link, read another user's pip.conf (ninetieth probe).
		{"XDG_CONFIG_DIRS", "~/../xdg"}, {"PIP_FIND_LINKS", "~/../wheels"}, {"NETRC", "~/./n"},
		// A ~ where the reader reads the value as written (ninety-first probe).
		{"XDG_CONFIG_HOME", "~/.config"}, {"SSL_CERT_FILE", "~/ca.pem"}} {
		t.Setenv(v[0], v[1])
		if err := runSetup([]string{"--python", python}); err == nil || !strings.Contains(err.Error(), "$"+v[0]+"=") || !strings.Contains(err.Error(), "pip may read another file") && !strings.Contains(err.Error(), "which its reader does not expand") {
			t.Errorf("$%s=%q: %v, want a refusal naming it", v[0], v[1], err)
		}
		t.Setenv(v[0], "")
	}
	t.Setenv("HOME", home)
	os.Remove(ran)
	// An empty entry of $XDG_CONFIG_DIRS ("/etc/xdg:" is common) is pip's working directory, /, not
	// setup's: a pip.conf of another user's in setup's is no matter, and the entry is no error (it was
	// refused as "not absolute"; forty-third probe's nit).
	wd, _ := os.Getwd()
	elsewhere := t.TempDir()
	if err := os.MkdirAll(filepath.Join(elsewhere, "pip"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(elsewhere, "pip", "pip.conf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(filepath.Join(elsewhere, "pip", "pip.conf"), 4242, 4242); err != nil {
		t.Fatal(err)
	}
	t.Chdir(elsewhere)
	t.Setenv("XDG_CONFIG_DIRS", "/etc/xdg:")
	if err := checkPipReads(filepath.Join(cache, "ddpm-go", "venv")); err != nil {
		t.Errorf("$XDG_CONFIG_DIRS=/etc/xdg: with another user's pip/pip.conf in setup's working directory: %v", err)
	}
	t.Setenv("XDG_CONFIG_DIRS", "")
	t.Chdir(wd)

	// A link to what is not there, where pip would look: another user made its target while setup ran
	// (forty-first probe).
	if err := os.Symlink(filepath.Join(t.TempDir(), "gone", "pipdir"), filepath.Join(home, ".pip")); err != nil {
		t.Fatal(err)
	}
	if err := runSetup([]string{"--python", python}); err == nil || !strings.Contains(err.Error(), filepath.Join(home, ".pip")+" is a link to what is not there") {
		t.Errorf("a dangling link where pip looks for its configuration: %v", err)
	}
	os.Remove(filepath.Join(home, ".pip"))
	os.Remove(ran)

	// $PATH's folders that another user could write are not given to the children (pip runs lsb_release
	// from $PATH; forty-first probe).
	open2 := t.TempDir()
	if err := os.Chmod(open2, 0o777); err != nil {
		t.Fatal(err)
	}
	path := os.Getenv("PATH")
	sticky := t.TempDir() // others may add a name to a sticky folder, or make one not there yet in it (forty-second probe)
	if err := os.Chmod(sticky, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", open2+":"+sticky+":"+filepath.Join(sticky, "notyet")+":/usr/bin:relative/bin")
	t.Setenv("SSLKEYLOGFILE", filepath.Join(sticky, "keys")) // urllib3 appends TLS keys there
	env := childEnv("")
	if !slices.Contains(env, "PATH="+systemPath()) || strings.Contains(systemPath(), open2) || strings.Contains(systemPath(), sticky) ||
		slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "SSLKEYLOGFILE=") }) {
		t.Errorf("the children's PATH is not the system's folders, or they are given $SSLKEYLOGFILE: %v", env)
	}
	t.Setenv("PATH", path)
	t.Setenv("SSLKEYLOGFILE", "")
	// A pip cache and OpenSSL's configuration of places others can add to (a FIFO there hung pip, and a
	// configuration of another user's loaded their provider as root; forty-second probe).
	os.RemoveAll(filepath.Join(cache, "ddpm-go"))
	for _, v := range [][2]string{{"PIP_CACHE_DIR", sticky}, {"OPENSSL_CONF", filepath.Join(open2, "openssl.cnf")}, {"SSL_CERT_DIR", sticky}, {"PIP_CERT", filepath.Join(open2, "ca.pem")}} {
		t.Setenv(v[0], v[1])
		if err := runSetup([]string{"--python", python}); err == nil || !strings.Contains(err.Error(), v[1]) {
			t.Errorf("$%s=%s: %v, want a refusal naming it", v[0], v[1], err)
		}
		t.Setenv(v[0], "")
	}
	// pip's certificate opened with ~ expanded, as pip opens it: "~them/ca.pem" was checked as a name
	// under setup's folder, and pip hung on their FIFO (ninety-first probe).
	if err := syscall.Mkfifo(filepath.Join(home, "ca.pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PIP_CERT", "~/ca.pem")
	if err := runSetup([]string{"--python", python}); err == nil || !strings.Contains(err.Error(), filepath.Join(home, "ca.pem")+" is a FIFO") {
		t.Errorf("$PIP_CERT=~/ca.pem, a FIFO: %v, want a refusal naming it", err)
	}
	t.Setenv("PIP_CERT", "")
	os.Remove(filepath.Join(home, "ca.pem"))
	os.Remove(ran)

	// A ~/.netrc of another user's: pip reads its credentials (a FIFO there hung it).
	netrc := filepath.Join(home, ".netrc")
	if err := syscall.Mkfifo(netrc, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(netrc, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if err := runSetup([]string{"--python", python}); err == nil || !strings.Contains(err.Error(), "pip would read credentials from "+netrc+": "+netrc+" belongs to another user (uid 4242)") {
		t.Errorf("a ~/.netrc of another user's: %v", err)
	}
	os.Remove(netrc)
	os.Remove(ran)

	// An interpreter of another user's: refused before it is run, and before any work.
	if err := os.Chown(python, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	err = runSetup([]string{"--python", python})
	if err == nil || !strings.Contains(err.Error(), "--python "+python+" ("+python+") is not run: "+python+" belongs to another user (uid 4242)") {
		t.Errorf("another user's interpreter: %v", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Errorf("another user's interpreter was run")
	}
	if _, err := os.Lstat(filepath.Join(cache, "ddpm-go", "models")); err == nil {
		t.Errorf("refused, it wrote the models first")
	}
}

// An explicit --python that cannot make a venv is refused before the models are written: a pyenv shim
// of a version not installed was found, the models were written, and then it failed (thirty-fourth
// probe's nit).
func TestSetupChecksAnExplicitPythonFirst(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	shim := filepath.Join(fakeBin(t), "python3.12")
	if err := os.WriteFile(shim, []byte("#!/bin/sh\necho \"pyenv: python3.12: command not found\" >&2; exit 127\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := runSetup([]string{"--python", shim}); err == nil || !strings.Contains(err.Error(), "--python") || !strings.Contains(err.Error(), "command not found") {
		t.Errorf("a shim that runs no Python: error %v, want a refusal naming --python", err)
	}
	if _, err := os.Lstat(filepath.Join(cache, "ddpm-go", "models")); !os.IsNotExist(err) {
		t.Errorf("refused, it wrote the models first (%v)", err)
	}
}

// Setup's children are given the variables they need, not the user's less those known to steer them:
// another user's gconv module named by $GCONV_PATH ran as root in each of them, and a FIFO as $TZ or as
// $GCONV_PATH's gconv-modules hung the interpreter's check (forty-third probe);
// $_PYTHON_SYSCONFIGDATA_NAME=antigravity ran $BROWSER, $RUSTUP_TOOLCHAIN chose the rustc pip runs, and
// $BASH_ENV and $PYENV_VERSION ran another user's code through pyenv's shim (forty-fourth probe).
func TestSetupChildrenGetOnlyWhatTheyNeed(t *testing.T) {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatalf("python3 is needed: %v", err)
	}
	python := strings.TrimSpace(string(out))
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "zone"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "gconv-modules"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range [][2]string{{"TZ", filepath.Join(dir, "zone")}, {"GCONV_PATH", dir}, {"LOCPATH", dir}, {"LC_ALL", dir + "/xx_XX.UTF-8"},
		{"NLSPATH", dir + "/%N"}, {"HOSTALIASES", filepath.Join(dir, "hosts")}, {"TZDIR", dir}, {"_PYTHON_SYSCONFIGDATA_NAME", "antigravity"},
		{"BROWSER", dir + "/br"}, {"RUSTUP_TOOLCHAIN", dir}, {"CARGO_HOME", dir}, {"BASH_ENV", dir + "/evil.sh"}, {"ENV", dir + "/evil.sh"},
		{"PYENV_VERSION", "../../.." + dir}, {"PYENV_HOOK_PATH", dir}, {"BASH_FUNC_x%%", "() { :; }"},
		{"LANG", "C.UTF-8"}, {"PIP_INDEX_URL", "https://pypi.org/simple"}, {"https_proxy", "http://proxy:3128"}} {
		t.Setenv(v[0], v[1])
	}
	env := childEnv("")
	for _, kv := range env {
		if name, value, _ := strings.Cut(kv, "="); strings.Contains(value, dir) || name == "_PYTHON_SYSCONFIGDATA_NAME" || strings.HasPrefix(name, "BASH_FUNC") {
			t.Errorf("the children are given $%s=%s", name, value)
		}
	}
	for _, want := range []string{"LANG=C.UTF-8", "PIP_INDEX_URL=https://pypi.org/simple", "https_proxy=http://proxy:3128"} {
		if !slices.Contains(env, want) {
			t.Errorf("the children are not given %s: %v", want, env)
		}
	}
	defer func(d time.Duration) { pythonTimeout = d }(pythonTimeout)
	pythonTimeout = 10 * time.Second
	if err := checkPython(python, python, minPython); err != nil {
		t.Errorf("the interpreter's check with a FIFO as $TZ and in $GCONV_PATH: %v", err)
	}
}

// A folder the user cannot make is refused, with the fix, before any interpreter is run: with another
// user's $HOME, "mkdir /root/.cache: permission denied" came after --python had run (forty-fifth
// probe's nit). Run as nobody, with root's private home.
func TestSetupRefusesAFolderItCannotMakeBeforeRunningPython(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("running as another user needs root")
	}
	dir, err := os.MkdirTemp("", "ddpm-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	marks := filepath.Join(dir, "marks")
	if err := os.Mkdir(marks, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil || os.Chmod(marks, 0o777) != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin, python := filepath.Join(dir, "ddpm.test"), filepath.Join(dir, "python3")
	if err := os.WriteFile(bin, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(python, []byte("#!/bin/sh\n: > "+filepath.Join(marks, "ran")+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir() // root's, 0700
	cmd := exec.Command(bin, "setup", "--python", python)
	cmd.Env = []string{envRunMain + "=1", ddpm.EnvNoReexec + "=1", "HOME=" + home, "PATH=/usr/bin:/bin", "GOMLX_NO_AUTO_INSTALL=1"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	// Not writable, or not even reachable (resolved as the kernel resolves it, the way to it is refused
	// where it cannot be looked at; seventy-sixth probe).
	if err == nil || !strings.Contains(string(out), "is not writable by you") && !strings.Contains(string(out), "permission denied") ||
		!strings.Contains(string(out), "set $XDG_CACHE_HOME to a folder") {
		t.Errorf("setup as nobody with root's $HOME: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(marks, "ran")); err == nil {
		t.Error("the interpreter was run before the folder was refused")
	}
}

// setup makes its folders one name at a time, each checked: between its first check and its lock,
// another user made a folder on the way in a sticky /tmp and linked it elsewhere, and the lock's MkdirAll
// followed the link, root making folders and its lock file where that user chose (forty-sixth probe).
// Here the other user's folder and link are planted as they were when the lock came.
func TestSetupMakesItsFoldersOneNameAtATime(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("another user's folder needs root")
	}
	sticky, chosen := t.TempDir(), t.TempDir()
	if err := os.Chmod(sticky, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(sticky, "rc")
	if err := os.Mkdir(theirs, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(chosen, filepath.Join(theirs, "cache")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(theirs, "cache"), theirs} {
		if err := os.Lchown(p, 4242, 4242); err != nil {
			t.Fatal(err)
		}
	}
	if err := makeOwnFolders(filepath.Join(theirs, "cache", "ddpm-go")); err == nil {
		t.Error("folders made through another user's folder and link: no error")
	}
	if entries, _ := os.ReadDir(chosen); len(entries) != 0 {
		t.Errorf("setup made %s in the folder the other user chose", entries[0].Name())
	}
	// Where no one else has made anything, the folders are made.
	mine := filepath.Join(sticky, "mine")
	if err := makeOwnFolders(filepath.Join(mine, "ddpm-go")); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(filepath.Join(mine, "ddpm-go")); err != nil || !info.IsDir() {
		t.Errorf("the folders were not made: %v", err)
	}
}

// A process is setup's leftover only where every uid is the user's: another user's setuid program
// (su) run under the venv interpreter's name has a /proc entry of root's, and root's setup killed it,
// then failed (fifty-fifth probe).
func TestSetupLeftoversAreTheUsersByEveryUID(t *testing.T) {
	if !allUIDs("/proc/self/status", os.Getuid()) {
		t.Errorf("this process is not its own user's by every uid")
	}
	status := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(status, []byte("Name:\tsu\nUid:\t4242\t0\t0\t0\nGid:\t4242\t4242\t4242\t4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if allUIDs(status, 0) {
		t.Errorf("a setuid-root process of user 4242 was taken for root's")
	}
}

// pip takes every option from a PIP_<OPTION> variable: setup gives it only those of where and how it
// downloads, and refuses the others by name before any work. $PIP_PYTHON had pip rerun itself under
// another user's program as root, and $PIP_LOG and $PIP_REPORT had root write through another user's
// link (sixty-fifth probe).
func TestSetupGivesPipOnlyItsDownloadVariables(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	for _, name := range []string{"PIP_PYTHON", "PIP_LOG", "PIP_LOG_FILE", "PIP_REPORT", "PIP_TARGET", "PIP_ROOT", "PIP_PREFIX",
		"PIP_REQUIREMENT", "PIP_EDITABLE", "PIP_SRC", "PIP_USER"} {
		t.Setenv(name, filepath.Join(dir, "theirs"))
		if err := runSetup([]string{"--python", filepath.Join(dir, "no-python")}); err == nil || !strings.Contains(err.Error(), "$"+name+" is set") {
			t.Errorf("$%s: %v, want a refusal naming it", name, err)
		}
		if slices.ContainsFunc(childEnv(""), func(kv string) bool { return strings.HasPrefix(kv, name+"=") }) {
			t.Errorf("the children are given $%s", name)
		}
		t.Setenv(name, "")
	}
	if _, err := os.Lstat(filepath.Join(dir, "cache")); err == nil {
		t.Errorf("setup made its folder before refusing")
	}
	t.Setenv("PIP_INDEX_URL", "https://pypi.org/simple")
	t.Setenv("PIP_DEFAULT_TIMEOUT", "60")
	t.Setenv("PIP_FIND_LINKS", "/opt/wheels")
	if err := checkPipVars(); err != nil {
		t.Errorf("$PIP_INDEX_URL, $PIP_DEFAULT_TIMEOUT and $PIP_FIND_LINKS: %v", err)
	}
	for _, want := range []string{"PIP_INDEX_URL=https://pypi.org/simple", "PIP_DEFAULT_TIMEOUT=60", "PIP_FIND_LINKS=/opt/wheels"} {
		if !slices.Contains(childEnv(""), want) {
			t.Errorf("the children are not given %s", want)
		}
	}
}

// pip's constraints, folders of wheels and file: indexes are read by pip: each must be a file or
// folder no other user can change or add to. Another user's constraints file was read, its includes
// followed, and a FIFO there hung setup; a list in $SSL_CERT_DIR was checked as one path (sixty-sixth
// probe).
func TestSetupChecksWhatPipReadsFromItsLocations(t *testing.T) {
	dir, shared, own, theirs := pipFolders(t)
	mine := filepath.Join(own, "constraints.txt")
	if err := os.WriteFile(mine, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(slices.Clone(pipLocations), "SSL_CERT_DIR", "OPENSSL_MODULES", "OPENSSL_CONF", "PIP_CACHE_DIR") {
		t.Setenv(name, "")
	}
	held, heldRefusal := filepath.Join(dir, "held"), "" // a folder of one's own holding another user's wheel
	wheel := filepath.Join(held, "probepkg-1.0-py3-none-any.whl")
	if err := os.Mkdir(held, 0o755); err != nil || os.WriteFile(wheel, nil, 0o644) != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(wheel, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		heldRefusal = wheel + " belongs to another user"
	}
	paged := filepath.Join(dir, "paged") // a folder of wheels holding a page of links
	if err := os.Mkdir(paged, 0o755); err != nil || os.WriteFile(filepath.Join(paged, "index.HTML"), nil, 0o644) != nil {
		t.Fatal(err)
	}
	includes, loads, plain := filepath.Join(own, "include.cnf"), filepath.Join(own, "module.cnf"), filepath.Join(own, "plain.cnf")
	for file, text := range map[string]string{includes: "openssl_conf = init\n .include " + shared + "/extra.cnf\n",
		loads: "[provider_sect]\nevil = evil_sect\n[evil_sect]\nmodule = " + shared + "/evil.so\n", plain: "# .include x\nopenssl_conf = init\n"} {
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ name, value, refused string }{
		{"PIP_CONSTRAINT", theirs, "a constraints file"},
		{"PIP_CONSTRAINT", mine + " " + theirs, "a constraints file"},
		{"PIP_FIND_LINKS", shared, "anyone may write"},
		{"PIP_FIND_LINKS", "file://" + shared, "anyone may write"},
		{"PIP_INDEX_URL", "file://" + shared, "a local index"},
		{"PIP_EXTRA_INDEX_URL", own, "a local index"}, // its pages link anywhere (eightieth probe)
		{"PIP_FIND_LINKS", mine, "a file of links"},   // so may a file of links
		{"PIP_FIND_LINKS", "file://" + mine, "a file of links"},
		// pip reads the scheme in any case, and unquotes the path (sixty-seventh probe).
		{"PIP_CONSTRAINT", "FILE://" + theirs, "a constraints file"},
		{"PIP_FIND_LINKS", "File://" + shared, "anyone may write"},
		{"PIP_FIND_LINKS", "file://" + own + "/%2E%2E/shared", "absolute path"},
		{"PIP_CONSTRAINT", "file://" + own + "/constraints%2Etxt", "a constraints file"},
		{"PIP_FIND_LINKS", "wheels", "absolute path"},
		{"PIP_FIND_LINKS", "/proc/self/cwd", "absolute path"}, // another folder to each process, as in the other paths' rule
		{"SSL_CERT_DIR", own + ":certs", "absolute path"},
		{"SSL_CERT_DIR", own + ":" + shared, shared},
		{"PIP_CONSTRAINT", mine, "a constraints file"},
		{"PIP_CONSTRAINT", "https://example.org/c.txt", "a constraints file"}, // any: pip follows its options (eighty-first probe)
		{"PIP_FIND_LINKS", paged, "a page whose links pip follows"},           // a page in a folder of wheels too
		{"PIP_FIND_LINKS", own + " https://example.org/wheels", ""},
		// The eighty-third: pip parts a value at \x1f, and drops a file URL's fragment.
		{"PIP_FIND_LINKS", own + "\x1f" + shared, `'\x1f', a character other than printable ASCII`},
		{"PIP_EXTRA_INDEX_URL", "https://pypi.org/simple\u00a0file://" + shared, "a character other than printable ASCII"},
		{"PIP_FIND_LINKS", "file://" + shared + "#x", "a query or a fragment"},
		{"PIP_INDEX_URL", "https://pypi.org/simple", ""},
		{"SSL_CERT_DIR", own + ":" + own, ""},
		// What the folders hold, and what OpenSSL's configuration has it load (seventy-ninth probe): a
		// wheel of another user's in root's find-links folder was swapped after pip checked its digest, and
		// an .include of a file in a sticky folder loaded another user's provider as root.
		{"PIP_FIND_LINKS", held, heldRefusal},
		{"PIP_FIND_LINKS", "file://" + held, heldRefusal},
		{"OPENSSL_MODULES", held, heldRefusal},
		{"PIP_CACHE_DIR", held, heldRefusal}, // pip unpickles its entries
		{"OPENSSL_CONF", includes, "OpenSSL's configuration can have setup's Python load libraries"},
		{"OPENSSL_CONF", loads, "OpenSSL's configuration can have setup's Python load libraries"},
		{"OPENSSL_CONF", plain, "OpenSSL's configuration can have setup's Python load libraries"}, // any: a module line joined by \ passed (eightieth probe)
		{"OPENSSL_CONF", os.DevNull, ""},
	} {
		t.Setenv(c.name, c.value)
		err := checkPipReads(filepath.Join(dir, "venv"))
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("$%s=%s: %v, want it taken", c.name, c.value, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), "$"+c.name) || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("$%s=%s: %v, want a refusal naming it and %q", c.name, c.value, err, c.refused)
		}
		t.Setenv(c.name, "")
	}
}

// pipFolders makes, in a temporary dir, a folder anyone may write (shared) with an empty constraints
// file in it (theirs), and a folder of the user's own (own).
func pipFolders(t *testing.T) (dir, shared, own, theirs string) {
	t.Helper()
	dir = t.TempDir()
	shared, own = filepath.Join(dir, "shared"), filepath.Join(dir, "own")
	if err := os.Mkdir(shared, 0o755); err != nil || os.Chmod(shared, 0o777) != nil {
		t.Fatal("making a folder anyone may write")
	}
	if err := os.Mkdir(own, 0o755); err != nil {
		t.Fatal(err)
	}
	theirs = filepath.Join(shared, "constraints.txt")
	if err := os.WriteFile(theirs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, shared, own, theirs
}

// The options of pip's configuration files are held to the rules of the variables that set them: a
// pip.conf of root's own that named another user's program as its python, a log through their link,
// or their constraints file, had root's setup run, write and read them (sixty-eighth probe). Only the
// sections that pip install reads count.
func TestSetupHoldsPipConfigurationToTheVariablesRules(t *testing.T) {
	dir, shared, own, theirs := pipFolders(t)
	for _, name := range append(slices.Clone(pipLocations), "SSL_CERT_DIR", "PIP_CERT", "PIP_CLIENT_CERT", "PIP_CACHE_DIR", "XDG_CONFIG_DIRS", "XDG_CONFIG_HOME") {
		t.Setenv(name, "")
	}
	t.Setenv("HOME", own)
	conf := filepath.Join(own, "pip.conf")
	t.Setenv("PIP_CONFIG_FILE", conf)
	for _, c := range []struct{ config, refused string }{
		{"[global]\npython = /usr/bin/python3\n", "sets python (section [global]; the option of $PIP_PYTHON)"},
		{"[install]\nlog = " + filepath.Join(own, "pip.log") + "\n", "sets log (section [install]; the option of $PIP_LOG)"},
		{"[global]\nconstraint = " + theirs + "\n", "sets constraint"},
		{"[global]\nfind-links =\n    " + own + "\n    " + shared + "\n", shared},
		{"[global]\nCERT = " + theirs + "\n", "sets cert"},
		{"[global]\nindex_url = file://" + shared + "\n", "sets index-url"},
		{"[freeze]\nlog = " + filepath.Join(own, "pip.log") + "\n", ""}, // pip install does not read [freeze]
		{"[global]\nindex_url = https://pypi.org/simple\ntimeout: 60\n# python = /tmp/py\n; log = /tmp/log\nfind-links = " + own + "\n", ""},
		// Read as configparser reads them (each case's reading checked against Python's RawConfigParser): an
		// indented option after a header, and one behind a lone "\r", ran another user's program as root
		// (seventy-first probe).
		{"[global]\n  python = /usr/bin/python3\n", "sets python (section [global]"},
		{"  [global]\npython = /usr/bin/python3\n", "sets python (section [global]"},
		{"[other]\nfoo = 1\n[global]\n\tpython = /usr/bin/python3\n", "sets python (section [global]"},
		{"[global]\n  index-url = https://pypi.org/simple\n python = /usr/bin/python3\n", "sets python (section [global]"},
		{"[DEFAULT]\npython = /usr/bin/python3\n[global]\ntimeout = 60\n", "sets python (section [DEFAULT]"},
		{"[global]\rpython = /usr/bin/python3\r", "line 1: byte 0x0d"},
		{"\ufeff[global]\ntimeout = 60\n", "line 1: byte 0xef"},
		{"[global]\ntimeout = 60\n\vpython = /usr/bin/python3\n", "line 3: byte 0x0b"},
		// A deeper indentation continues the value before it, as for configparser: not an option of its own.
		{"[global]\ntrusted-host = example.org\n\n  # a note\n    python = /usr/bin/python3\n", ""},
	} {
		if err := os.WriteFile(conf, []byte(c.config), 0o644); err != nil {
			t.Fatal(err)
		}
		err := checkPipReads(filepath.Join(dir, "venv"))
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("pip.conf %q: %v, want it taken", c.config, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), conf) || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("pip.conf %q: %v, want a refusal naming the file and %q", c.config, err, c.refused)
		}
	}
}

// A script is no interpreter: pyenv's shim sourced hook files from fixed folders, and another user's
// ran as root in setup's check and its venv (sixty-eighth probe). Named, it is refused; looked up in
// $PATH, it is passed over for the next interpreter of its name.
func TestSetupRefusesAScriptAsPython(t *testing.T) {
	defer func() { scriptInterpreters = true }()
	scriptInterpreters = false
	shims, system := fakeBin(t), fakeBin(t) // folders no other user may add to, as an interpreter's must be
	shim := filepath.Join(shims, "python3")
	if err := os.WriteFile(shim, []byte("#!/usr/bin/env bash\nexec pyenv exec python3 \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := findPython(shim); err == nil || !strings.Contains(err.Error(), "it is a script") || !strings.Contains(err.Error(), "pyenv which python3)") {
		t.Errorf("--python %s, a shim: %v, want a refusal of a script", shim, err)
	}
	// The advice names the version asked for: python3 gave a 3.11 venv for python3.13 (hundred-and-second
	// probe's nit).
	shim13 := filepath.Join(shims, "python3.13")
	if err := os.WriteFile(shim13, []byte("#!/usr/bin/env bash\nexec pyenv exec python3.13 \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := findPython(shim13); err == nil || !strings.Contains(err.Error(), `--python "$(pyenv which python3.13)"`) {
		t.Errorf("--python %s, a shim: %v, want pyenv which python3.13 advised", shim13, err)
	}
	// A script of another kind is not sent to pyenv: python3.11-config was advised pyenv's copy of
	// itself, refused in turn (hundred-and-third probe's nit).
	config := filepath.Join(shims, "python3.11-config")
	if err := os.WriteFile(config, []byte("#!/bin/sh\necho -I/usr/include/python3.11\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := findPython(config); err == nil || !strings.Contains(err.Error(), "a script, not a Python interpreter") || strings.Contains(err.Error(), "pyenv which") {
		t.Errorf("--python %s, a script of Python's own: %v, want a refusal with no pyenv advice", config, err)
	}
	t.Setenv("PATH", shims)
	if _, err := findPython("python3"); err == nil || !strings.Contains(err.Error(), "it is a script") {
		t.Errorf("python3 in $PATH only as a shim: %v, want a refusal of a script", err)
	}
	real, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		t.Skip("no /usr/bin/python3 to pass on to")
	}
	raw, err := os.ReadFile(real)
	if err != nil || trust.IsScript(real) {
		t.Skip("/usr/bin/python3 is not an interpreter here")
	}
	if err := os.WriteFile(filepath.Join(system, "python3"), raw, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", shims+":"+system)
	if got, err := findPython("python3"); err != nil || got != filepath.Join(system, "python3") {
		t.Errorf("python3 in $PATH as a shim, then an interpreter: %s, %v; want %s", got, err, filepath.Join(system, "python3"))
	}
}

// `make setup` makes a clone's .venv through `ddpm setup --venv`, under setup's rules: pip's variables
// and the files it reads checked, an interpreter that is no script, run isolated from /, the
// requirements file the user's own, and a folder that is no virtual environment never removed. It ran
// another user's program as root through $PIP_PYTHON, in bash with the user's whole environment
// (sixty-ninth probe).
func TestSetupVenvHoldsAClonesVenvToSetupsRules(t *testing.T) {
	fakes, clone := fakeBin(t), t.TempDir()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("PIP_CONFIG_FILE", "")
	t.Setenv("PIP_CACHE_DIR", "")
	ran, python := filepath.Join(fakes, "ran"), filepath.Join(fakes, "python3")
	// The python records its arguments and what pip is given to install; the venv it makes is a script.
	script := `#!/bin/sh
echo "$@" >> ` + ran + `
[ "$1" = -I ] && shift
[ "$1" = -S ] && shift
[ "$1 $2 $3" = "-m venv --without-pip" ] && set -- "$1" "$2" "$4"
[ "$1" = -c ] && { echo 'ddpm: python can make a venv'; exit 0; }
[ -e "$3/.ddpm-unfinished" ] && echo "venv made in a marked folder" >> ` + ran + `
mkdir -p "$3/bin" && : > "$3/pyvenv.cfg" && cat > "$3/bin/python" <<'END'
#!/bin/sh
echo "pip $@" >> ` + ran + `
echo "Collecting what pip prints"
PATH=/usr/bin:/bin
case "$*" in *ensurepip*) mkdir -p "$(dirname "$0")/../lib/python3.11/site-packages/pip-23.0.dist-info";; esac
for a; do [ "$prev" = -r ] && { cat "$a" >> ` + ran + `; grep -q '^failme==' "$a" && { echo "failme==1.0 (from -r $a (line 1))"; exit 1; }
  sed -n 's/^\([A-Za-z0-9._-]*\).*==\([^ ;]*\).*/\1-\2.dist-info/p' "$a" | grep -v '^nomarker-\|^onlymarked-\|^pip-' | while read d; do mkdir -p "$(dirname "$0")/../lib/python3.11/site-packages/$d"; done; }; prev=$a; done
END
chmod +x "$3/bin/python"
`
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	req, venv := filepath.Join(clone, "requirements.txt"), filepath.Join(clone, ".venv")
	h64 := strings.Repeat("0123abcd", 8) // a SHA-256 digest's 64 hex digits
	if err := os.WriteFile(req, []byte("# pinned\njupyterlab==4.0.0 \\\n    --hash=sha256:"+h64+"\nnotebook[all]==7.1.0 ; python_version < \"3.13\" --hash=sha256:"+h64+"  # a marker\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := func(extra ...string) []string {
		return append([]string{"--venv", venv, "--requirements", req, "--python", python}, extra...)
	}
	// reqArgs is args with a requirements file of these lines.
	reqArgs := func(lines string) []string {
		f, err := os.CreateTemp(clone, "req-*.txt")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(lines); err != nil || f.Close() != nil {
			t.Fatal(err)
		}
		return []string{"--venv", venv, "--requirements", f.Name(), "--python", python}
	}
	inTemporary := filepath.Join(clone, venvTmpPrefix+"77", "req.txt")
	if err := os.MkdirAll(filepath.Dir(inTemporary), 0o755); err != nil || os.WriteFile(inTemporary, []byte("six==1.16.0 --hash=sha256:"+h64+"\n"), 0o644) != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(inTemporary))
	for _, c := range []struct {
		args      []string
		env, want string
	}{
		{[]string{"--venv", venv, "--python", python}, "", "--venv and --requirements go together"},
		// A venv of the temporary folders' name, removed with them, and a file of no pin, which made an
		// empty venv in place of the working one (seventy-ninth probe).
		{[]string{"--venv", filepath.Join(clone, venvTmpPrefix+"123"), "--requirements", req, "--python", python}, "", "is setup's for its temporary folders"},
		{[]string{"--venv", filepath.Join(clone, strings.Repeat("v", 250)), "--requirements", req, "--python", python}, "", "a name of 260 bytes"},
		// A venv named as one kept aside, or in a folder named as setup's temporaries, and a requirements
		// file there: each was removed by a later setup (eightieth probe).
		{[]string{"--venv", filepath.Join(clone, "mine"+keptSuffix), "--requirements", req, "--python", python}, "", "is setup's for a venv it keeps aside"},
		{[]string{"--venv", filepath.Join(clone, ddpm.LockFileName), "--requirements", req, "--python", python}, "", "the name of the lock that setup takes"}, // (eighty-eighth probe)
		// Empty values named as empty, and a ~ no shell expanded (ninety-second probe's nits).
		{[]string{"--venv", venv, "--requirements", "", "--python", python}, "", "--requirements given empty"},
		{[]string{"--venv", venv, "--requirements", req, "--requires-python", "", "--python", python}, "", "--requires-python given empty"},
		{[]string{"--venv=~/x", "--requirements", req, "--python", python}, "", "--venv ~/x: ~ is your home folder ($HOME) to a shell, but came here unexpanded"},
		{[]string{"--venv", filepath.Join(clone, venvTmpPrefix+"7", "v"), "--requirements", req, "--python", python}, "", "is setup's for its temporary folders"},
		{[]string{"--venv", venv, "--requirements", inTemporary, "--python", python}, "", "--requirements " + inTemporary + ": " + venvTmpPrefix + "77"},
		{reqArgs("# nothing pinned\n"), "", "pins no package"},
		{args("--requires-python", "3"), "", `--requires-python "3"`},
		{args("--requires-python", "2.7"), "", "with Python 3"},
		{args("--requires-python", "3.x"), "", "no number"},
		{args("--requires-python", "3.99999999999999999999"), "", "too large a number"},
		{args(), "PIP_PYTHON", "$PIP_PYTHON is set"},
		{args(), "PIP_TARGET", "$PIP_TARGET is set"},
		{[]string{"--venv", venv, "--requirements", filepath.Join(clone, "none.txt")}, "", "--requirements " + filepath.Join(clone, "none.txt") + " is not read"},
		// What a requirements file may make pip read beyond pinned names: another user's file included
		// with -r ran their build backend as root (sixty-ninth probe).
		{reqArgs("jupyterlab==4.0.0 --hash=sha256:" + h64 + "\n-r " + filepath.Join(clone, "theirs.txt") + "\n"), "", "line 2"},
		{reqArgs("-c c.txt\n"), "", "takes packages by name and exact version only"},
		{reqArgs("./pkg\n"), "", "line 1"},
		{reqArgs("pkg @ file:///srv/pkg\n"), "", "line 1"},
		{reqArgs("-e /srv/pkg\n"), "", "line 1"},
		{reqArgs("--find-links /srv/wheels\nx==1\n"), "", "line 1"},
		{reqArgs("x==1 \\\n  --index-url file:///srv\n"), "", "line 1"},
		{reqArgs("x==${V}\n"), "", "line 1"},
		{reqArgs("x>=1\n"), "", "line 1"},
		// Read otherwise by pip, an include hid from the check (seventieth probe).
		{reqArgs("six==1.16.0 --hash=sha256:" + h64 + "\n# pins \\\n-r /srv/more.txt\n"), "", "line 3"},
		// A pin without its digest: another user's package server on a local port chose the files, and a
		// source package's build backend ran as root (seventy-second probe).
		{reqArgs("six==1.16.0 --hash=sha256:" + h64 + "\nanyio==4.16.0\n"), "", `line 2: "anyio==4.16.0" has no --hash`},
		// A digest of another length than its algorithm's, a tab before it (pip parts options at spaces
		// only) or another form than --hash=algorithm:digest: refused before any work, by what they are
		// (the venv was made, and pip blamed tampering; seventy-third probe).
		{reqArgs("six==1.16.0 --hash=sha256:" + h64[:10] + "\n"), "", `"--hash=sha256:0123abcd01": write a digest as --hash=sha256:`},
		{reqArgs("six==1.16.0 --hash=sha512:" + h64 + "\n"), "", "write a digest as"},
		{reqArgs("six==1.16.0 --hash sha256:" + h64 + "\n"), "", "write a digest as"},
		{reqArgs("six==1.16.0 --hash=SHA256:" + h64 + "\n"), "", "write a digest as"},
		{reqArgs("six==1.16.0\t--hash=sha256:" + h64 + "\n"), "", "line 1: byte 0x09"},
		{reqArgs("anyio==4.16.0 ; python_version < \"3.13\"  # no digest\n"), "", "line 1"},
		{reqArgs("# note\r-r inc.txt\n"), "", "line 1: byte 0x0d"},
		{reqArgs("six==1.16.0 # x\v-r inc.txt\n"), "", "byte 0x0b"},
		{reqArgs("\ufeffsix==1.16.0\n"), "", "byte 0xef"},
		{reqArgs("# coding: utf-7\n# x +AAo--r inc.txt\n"), "", "line 1: a coding declaration"},
		{reqArgs("six==1.16.0 ; --global-option=--verbose\n"), "", "line 1"},
	} {
		if c.env != "" {
			t.Setenv(c.env, filepath.Join(clone, "theirs"))
		}
		if err := runSetup(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("setup %v with $%s: %v, want an error containing %q", c.args, c.env, err, c.want)
		}
		if c.env != "" {
			t.Setenv(c.env, "")
		}
		if _, err := os.Lstat(ran); err == nil {
			t.Fatalf("setup %v with $%s ran python before refusing", c.args, c.env)
		}
		if _, err := os.Lstat(venv); err == nil {
			t.Fatalf("setup %v with $%s made the venv before refusing", c.args, c.env)
		}
	}
	// One setup at a time in the venv's folder (as another process's setup holds it).
	holder, err := os.OpenFile(filepath.Join(clone, ddpm.LockFileName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := runSetup(args()); err == nil || !strings.Contains(err.Error(), "--venv "+venv+"'s folder "+clone+" is in use") {
		t.Errorf("setup --venv in a folder another setup holds: %v, want a refusal naming it", err)
	}
	if log, _ := os.ReadFile(ran); strings.Contains(string(log), "-m venv") {
		t.Fatalf("setup --venv in a folder another setup holds made a venv:\n%s", log)
	}
	holder.Close()
	os.Remove(ran)
	// A folder that is no virtual environment is refused, and keeps what it holds.
	notes := filepath.Join(venv, "notes.txt")
	if err := os.MkdirAll(venv, 0o755); err != nil || os.WriteFile(notes, []byte("mine"), 0o644) != nil {
		t.Fatal(err)
	}
	if err := runSetup(args()); err == nil || !strings.Contains(err.Error(), "no virtual environment") {
		t.Errorf("--venv of a folder without pyvenv.cfg: %v, want a refusal", err)
	}
	if _, err := os.Stat(notes); err != nil {
		t.Fatalf("--venv of a folder without pyvenv.cfg: its file is gone (%v)", err)
	}
	os.RemoveAll(venv)
	// Made: isolated, without site, pip given the requirements and no hashes of the plugin's.
	if err := runSetup(args("--requires-python", "3.11")); err != nil {
		t.Fatalf("setup --venv: %v", err)
	}
	log, _ := os.ReadFile(ran)
	for _, want := range []string{"-I -S -c", "-I -S -m venv --without-pip " + venv, "pip -I -m ensurepip --default-pip", "-r " + filepath.Join(venv, "ddpm-requirements.txt"), "jupyterlab==4.0.0"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("setup --venv: %q not in what python ran:\n%s", want, log)
		}
	}
	// Digests and wheels only (a pinned source archive's build backend came unchecked from the index;
	// seventy-fourth probe), with the dependencies the file pins.
	if !strings.Contains(string(log), "--require-hashes --only-binary :all: -r") || strings.Contains(string(log), "--no-deps") {
		t.Errorf("setup --venv gave pip other options than `--require-hashes --only-binary :all:`:\n%s", log)
	}
	// Remade: what an older venv held is gone.
	stale := filepath.Join(venv, "lib", "stale")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runSetup(args()); err != nil {
		t.Fatalf("setup --venv again: %v", err)
	}
	if _, err := os.Lstat(stale); err == nil {
		t.Error("setup --venv built upon the venv that was there")
	}
	// The venv there is kept aside until the new one is made, and put back where pip fails: a pin pip
	// refused removed the working venv (seventy-fourth probe). Also after a killed setup, which left
	// its unfinished venv and the one before it aside.
	mine, kept := filepath.Join(venv, "lib", "mine"), venv+keptSuffix
	if err := os.WriteFile(mine, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	failing := reqArgs("failme==1.0 --hash=sha256:" + h64 + "\n")
	// pip's lines name the user's file, not the venv's copy, gone or the old venv's by then (ninety-third
	// probe's nit).
	if err := runSetup(failing); err == nil || !strings.Contains(err.Error(), "pip install") || !strings.Contains(err.Error(), "(from -r "+failing[3]+" (line 1))") {
		t.Errorf("setup --venv whose pip fails: %v, want pip's failure naming %s", err, failing[3])
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("setup --venv whose pip failed did not put back the venv there before: %v", err)
	}
	// And a folder made for a venv that is not made goes too, with its lock file (eighty-first probe).
	newFolder := filepath.Join(clone, "new")
	if err := runSetup([]string{"--venv", filepath.Join(newFolder, "v"), "--requirements", failing[3], "--python", python}); err == nil {
		t.Error("setup --venv new/v whose pip fails: no error")
	}
	if _, err := os.Lstat(newFolder); err == nil {
		t.Errorf("setup --venv new/v whose pip failed left %s", newFolder)
	}
	// What pip installed is what the file pins: pins all under markers false here made an empty venv in
	// place of the working one, exit 0 (eightieth probe); the fake pip installs neither of these.
	for lines, want := range map[string]string{
		"onlymarked==1.0 ; python_version >= \"3.99\" --hash=sha256:" + h64 + "\n":         "pip installed none of the file's packages",
		"six==1.16.0 --hash=sha256:" + h64 + "\nnomarker==1.0 --hash=sha256:" + h64 + "\n": "pip did not install nomarker (line 2)",
		// ensurepip's pip is not pip's doing: a pin of it under a false marker counted (eighty-first probe);
		// at ensurepip's version, it cannot be told from one pip took unchecked (eighty-fourth).
		"pip==22.0 ; python_version < \"3.0\" --hash=sha256:" + h64 + "\n": "pip installed none of the file's packages",
		"pip==23.0 ; python_version < \"3.0\" --hash=sha256:" + h64 + "\n": "pins pip at the version ensurepip put in the venv",
	} {
		if err := runSetup(reqArgs(lines)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("setup --venv of %q: %v, want %q", lines, err, want)
		}
		if _, err := os.Stat(mine); err != nil {
			t.Errorf("setup --venv of %q did not put back the venv there before: %v", lines, err)
		}
	}
	if err := os.Rename(venv, kept); err != nil || os.MkdirAll(venv, 0o755) != nil || os.WriteFile(filepath.Join(venv, "pyvenv.cfg"), nil, 0o644) != nil {
		t.Fatal("cannot leave a killed setup's folders")
	}
	// A venv there without setup's mark of an unfinished one is another, made since: refused, both kept
	// (the user's was removed and the old one put in its place; eightieth probe).
	if err := runSetup(failing); err == nil || !strings.Contains(err.Error(), "is not the venv a stopped setup left unfinished") {
		t.Errorf("setup --venv beside a kept venv, the venv there unmarked: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(venv, "pyvenv.cfg")); err != nil {
		t.Errorf("setup --venv beside a kept venv removed the unmarked venv there: %v", err)
	}
	if err := os.WriteFile(filepath.Join(venv, unfinishedMark), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runSetup(failing); err == nil {
		t.Error("setup --venv whose pip fails: no error")
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("setup --venv after a killed setup did not put back the venv kept aside: %v", err)
	}
	if err := runSetup(args()); err != nil {
		t.Fatalf("setup --venv: %v", err)
	}
	// Stopped twice as it moves the venv aside: the second signal killed it half-way under the default
	// action, the venv before left under its kept name; and of the names of setup's temporary folders
	// only os.MkdirTemp's are removed: a user's folder of that prefix went with the requirements file in
	// it (seventy-ninth probe).
	own, leftover := filepath.Join(clone, venvTmpPrefix+"notes"), filepath.Join(clone, venvTmpPrefix+"4242")
	if os.WriteFile(mine, nil, 0o644) != nil || os.Mkdir(own, 0o755) != nil || os.Mkdir(leftover, 0o755) != nil {
		t.Fatal("making the venv's neighbours")
	}
	beforeVenvRemoval = func() {
		syscall.Kill(os.Getpid(), syscall.SIGTERM) //nolint:errcheck
		syscall.Kill(os.Getpid(), syscall.SIGTERM) //nolint:errcheck
		time.Sleep(100 * time.Millisecond)
	}
	err = runSetup(args())
	beforeVenvRemoval = func() {}
	var status *exitStatus
	if !errors.As(err, &status) || status.code != 128+int(syscall.SIGTERM) {
		t.Errorf("setup --venv stopped by SIGTERM twice: %v, want exit status 143", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("setup --venv stopped as it kept the venv aside did not put it back: %v", err)
	}
	if _, err := os.Lstat(kept); err == nil {
		t.Errorf("setup --venv stopped as it kept the venv aside left %s", kept)
	}
	if err := runSetup(args()); err != nil {
		t.Fatalf("setup --venv: %v", err)
	}
	if _, err := os.Stat(own); err != nil {
		t.Errorf("setup --venv removed a folder of the user's named %s…: %v", venvTmpPrefix, err)
	}
	if _, err := os.Stat(leftover); err == nil {
		t.Errorf("setup --venv left a killed setup's temporary folder %s", leftover)
	}
	os.RemoveAll(own)
	// A venv with a folder this user cannot change (root's, after a sudo) is refused before any work: it
	// was remade, then its removal failed, on every run (eightieth probe).
	locked := filepath.Join(venv, "lib", "roots")
	if err := os.MkdirAll(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	writableFolder = func(path string) bool { return path != locked }
	os.Remove(ran)
	err = runSetup(args())
	writableFolder = func(path string) bool { return syscall.Access(path, 0o3) == nil }
	if err == nil || !strings.Contains(err.Error(), locked+" is not writable by you") {
		t.Errorf("setup --venv of a venv holding a folder the user cannot change: %v, want a refusal naming it", err)
	}
	if log, _ := os.ReadFile(ran); strings.Contains(string(log), "-m venv") {
		t.Errorf("setup --venv of a venv it cannot remove made a venv first:\n%s", log)
	}
	// Nor in the folder of `ddpm setup`'s plugin, which a plain setup remakes as its own (eighty-first probe).
	t.Setenv("XDG_CACHE_HOME", filepath.Join(clone, "cache"))
	userVenv, _ := ddpm.UserVenvDir()
	if err := runSetup([]string{"--venv", userVenv, "--requirements", req, "--python", python}); err == nil || !strings.Contains(err.Error(), "the folder of `ddpm setup`'s plugin and models") {
		t.Errorf("setup --venv %s: %v, want a refusal", userVenv, err)
	}
	// Nor through a bind mount of it, nor a venv that holds it (eighty-second probe).
	userDir, _ := ddpm.UserDir()
	bound := filepath.Join(clone, "bound")
	if err := os.MkdirAll(userDir, 0o755); err != nil || os.MkdirAll(bound, 0o755) != nil {
		t.Fatal(err)
	}
	if syscall.Mount(userDir, bound, "", syscall.MS_BIND, "") == nil {
		err := runSetup([]string{"--venv", filepath.Join(bound, "venv"), "--requirements", req, "--python", python})
		syscall.Unmount(bound, syscall.MNT_DETACH) //nolint:errcheck
		if err == nil || !strings.Contains(err.Error(), "the folder of `ddpm setup`'s plugin and models") {
			t.Errorf("setup --venv through a bind mount of %s: %v, want a refusal", userDir, err)
		}
	}
	t.Setenv("XDG_CACHE_HOME", filepath.Join(venv, "cache"))
	if err := runSetup(args()); err == nil || !strings.Contains(err.Error(), "which setup would remove with it") {
		t.Errorf("setup --venv of a venv that holds $XDG_CACHE_HOME: %v, want a refusal", err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	// Its advice to run it again names every flag given (eighty-second probe's nit), here where a file
	// has the kept venv's name.
	if err := os.WriteFile(kept, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runSetup(args("--requires-python", "3.9")); err == nil || !strings.Contains(err.Error(), "--python="+python) || !strings.Contains(err.Error(), "--requires-python=3.9") {
		t.Errorf("setup --venv's advice: %v, want every flag given", err)
	}
	os.Remove(kept)
	// The eighty-third: what is mounted inside the venv kept aside, a requirements file inside it (both
	// went with it), and a line break in the venv's name (a setting of pyvenv.cfg's).
	if err := os.MkdirAll(filepath.Join(kept, "m"), 0o755); err != nil || os.WriteFile(filepath.Join(kept, "pyvenv.cfg"), nil, 0o644) != nil {
		t.Fatal(err)
	}
	precious := t.TempDir()
	if err := os.WriteFile(filepath.Join(precious, "thesis.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if syscall.Mount(precious, filepath.Join(kept, "m"), "", syscall.MS_BIND, "") == nil {
		err := runSetup(args())
		syscall.Unmount(filepath.Join(kept, "m"), syscall.MNT_DETACH) //nolint:errcheck
		if err == nil || !strings.Contains(err.Error(), "a venv setup kept aside and removes once the new one is made, is or holds a mount point") {
			t.Errorf("setup --venv beside a kept venv holding a mount: %v, want a refusal", err)
		}
		if _, err := os.Stat(filepath.Join(precious, "thesis.txt")); err != nil {
			t.Errorf("setup --venv removed a file through a mount in the kept venv: %v", err)
		}
	}
	// Nor into a mount inside a temporary folder a killed setup left, which setup sweeps.
	staleTmp := filepath.Join(clone, venvTmpPrefix+"5", "m")
	if err := os.MkdirAll(staleTmp, 0o755); err != nil {
		t.Fatal(err)
	}
	if syscall.Mount(precious, staleTmp, "", syscall.MS_BIND, "") == nil {
		os.RemoveAll(kept)
		err := runSetup(args())
		syscall.Unmount(staleTmp, syscall.MNT_DETACH) //nolint:errcheck
		if _, serr := os.Stat(filepath.Join(precious, "thesis.txt")); err != nil || serr != nil {
			t.Errorf("setup --venv beside a stale temporary folder holding a mount: %v; the mounted file: %v", err, serr)
		}
		if err := os.MkdirAll(filepath.Join(kept, "m"), 0o755); err != nil || os.WriteFile(filepath.Join(kept, "pyvenv.cfg"), nil, 0o644) != nil {
			t.Fatal(err)
		}
	}
	os.RemoveAll(filepath.Dir(staleTmp))
	inKept := filepath.Join(kept, "myreq.txt")
	if raw, err := os.ReadFile(req); err != nil || os.WriteFile(inKept, raw, 0o644) != nil {
		t.Fatal(err)
	}
	if err := runSetup([]string{"--venv", venv, "--requirements", inKept, "--python", python}); err == nil || !strings.Contains(err.Error(), "is inside "+venv+keptSuffix) {
		t.Errorf("--requirements inside the kept venv: %v, want a refusal", err)
	}
	os.RemoveAll(kept)
	if err := runSetup([]string{"--venv", filepath.Join(clone, "w\ninclude-system-site-packages = true"), "--requirements", req, "--python", python}); err == nil || !strings.Contains(err.Error(), "a control character") {
		t.Errorf("--venv with a line break: %v, want a refusal", err)
	}
	// The eighty-fourth: a venv that holds what no venv maker puts there (a project folder made a venv,
	// whose sources went with it), and an interpreter inside the venv, which setup moves before it runs it.
	if err := runSetup(args()); err != nil {
		t.Fatalf("setup --venv: %v", err)
	}
	sources := filepath.Join(venv, "train.py")
	if err := os.WriteFile(sources, []byte("print(1)\n"), 0o644); err != nil || os.Mkdir(filepath.Join(venv, ".git"), 0o755) != nil {
		t.Fatal(err)
	}
	if err := runSetup(args()); err == nil || !strings.Contains(err.Error(), `holds ".git", "train.py" besides a virtual environment`) {
		t.Errorf("setup --venv of a project folder that is a venv: %v, want a refusal naming what it holds", err)
	}
	if _, err := os.Stat(sources); err != nil {
		t.Errorf("setup --venv removed a project's sources: %v", err)
	}
	os.Remove(sources)
	os.Remove(filepath.Join(venv, ".git"))
	if err := os.WriteFile(filepath.Join(venv, "CACHEDIR.TAG"), nil, 0o644); err != nil { // uv's and virtualenv's (eighty-fifth probe's nit)
		t.Fatal(err)
	}
	if err := runSetup(args()); err != nil {
		t.Errorf("setup --venv of a venv holding uv's CACHEDIR.TAG: %v", err)
	}
	copies := filepath.Join(fakes, "copies") // a --copies venv's, outside the sticky /tmp
	inside := filepath.Join(copies, "bin", "python3")
	if raw, err := os.ReadFile(python); err != nil || os.MkdirAll(filepath.Dir(inside), 0o755) != nil || os.WriteFile(inside, raw, 0o755) != nil ||
		os.WriteFile(filepath.Join(copies, "pyvenv.cfg"), nil, 0o644) != nil {
		t.Fatal(err)
	}
	if err := runSetup([]string{"--venv", copies, "--requirements", req, "--python", inside}); err == nil || !strings.Contains(err.Error(), "inside --venv") {
		t.Errorf("--python inside --venv: %v, want a refusal", err)
	}
	// A folder of the mark's name is no mark (a user's folder went as "an unfinished setup's"), and a
	// requirements file inside the venv reached through a bind mount is inside it (eighty-fourth probe).
	notMine := filepath.Join(clone, "notmine")
	if err := os.MkdirAll(filepath.Join(notMine, unfinishedMark), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := runSetup([]string{"--venv", notMine, "--requirements", req, "--python", python}); err == nil || !strings.Contains(err.Error(), "holds no pyvenv.cfg") {
		t.Errorf("--venv of a folder holding a folder of the mark's name: %v, want a refusal", err)
	}
	boundVenv := filepath.Join(clone, "boundvenv")
	if err := os.Mkdir(boundVenv, 0o755); err == nil && syscall.Mount(venv, boundVenv, "", syscall.MS_BIND, "") == nil {
		inVenv := filepath.Join(venv, "lib", "myreq.txt")
		if raw, err := os.ReadFile(req); err != nil || os.WriteFile(inVenv, raw, 0o644) != nil {
			t.Fatal(err)
		}
		err := runSetup([]string{"--venv", venv, "--requirements", filepath.Join(boundVenv, "lib", "myreq.txt"), "--python", python})
		syscall.Unmount(boundVenv, syscall.MNT_DETACH) //nolint:errcheck
		if err == nil || !strings.Contains(err.Error(), "is inside --venv") {
			t.Errorf("--requirements inside --venv through a bind mount: %v, want a refusal", err)
		}
		os.Remove(inVenv)
	}
	// A stopped setup's folder that holds its mark and no pyvenv.cfg yet (marked before Python's venv
	// runs) is removed as unfinished, not refused as no venv (eighty-second probe).
	if err := os.RemoveAll(venv); err != nil || os.MkdirAll(filepath.Join(venv, "bin"), 0o755) != nil || os.WriteFile(filepath.Join(venv, unfinishedMark), nil, 0o644) != nil {
		t.Fatal(err)
	}
	if err := runSetup(args()); err != nil {
		t.Errorf("setup --venv of a stopped setup's folder without pyvenv.cfg: %v", err)
	}
	if log, _ := os.ReadFile(ran); !strings.Contains(string(log), "venv made in a marked folder") {
		t.Errorf("Python's venv ran in a folder without setup's mark:\n%s", log)
	}
	// A killed setup's unfinished venv, with no kept one beside it, is removed, not kept aside and put
	// back as the venv there before (eighty-first probe's nit).
	half := filepath.Join(venv, "lib", "half-made")
	if err := os.WriteFile(half, nil, 0o644); err != nil || os.WriteFile(filepath.Join(venv, unfinishedMark), nil, 0o644) != nil {
		t.Fatal(err)
	}
	if err := runSetup(failing); err == nil {
		t.Error("setup --venv whose pip fails: no error")
	}
	if _, err := os.Lstat(half); err == nil {
		t.Errorf("setup --venv put a killed setup's unfinished venv back as the venv there before")
	}
	if err := runSetup(args()); err != nil {
		t.Fatalf("setup --venv: %v", err)
	}
	// A file or a link of that name is no venv kept aside: refused, and never put in the venv's place.
	if err := os.Symlink(t.TempDir(), kept); err != nil {
		t.Fatal(err)
	}
	if err := runSetup(failing); err == nil || !strings.Contains(err.Error(), "is no virtual environment that setup kept aside") {
		t.Errorf("setup --venv beside a link %s: %v, want a refusal naming it", kept, err)
	}
	if fi, err := os.Lstat(venv); err != nil || !fi.IsDir() {
		t.Errorf("setup --venv beside a link %s: the venv %v", kept, err)
	}
	os.Remove(kept)
	// What a setup stopped while removing the venv kept aside leaves is under a temporary name, which
	// the next setup removes (under its own name, the next failing setup put it back half removed;
	// seventy-fifth probe).
	if err := os.MkdirAll(filepath.Join(clone, ".ddpm-setup-tmp-1", "old", "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := runSetup(args()); err != nil {
		t.Fatalf("setup --venv: %v", err)
	}
	if entries, _ := os.ReadDir(clone); slices.ContainsFunc(entries, func(e os.DirEntry) bool {
		return strings.HasPrefix(e.Name(), ".ddpm-setup-tmp-") || strings.HasSuffix(e.Name(), keptSuffix)
	}) {
		t.Errorf("setup --venv left a temporary or kept folder in %s: %v", clone, entries)
	}
	// A --venv named through link/.. is the one the kernel reaches, beside the link's target: made
	// absolute as text, it was the one beside the link, removed and remade (seventy-seventh probe).
	if err := os.MkdirAll(filepath.Join(clone, "real", "x"), 0o755); err != nil || os.Symlink(filepath.Join(clone, "real", "x"), filepath.Join(clone, "l")) != nil {
		t.Fatal("making a link")
	}
	if err := runSetup([]string{"--venv", filepath.Join(clone, "l") + "/../v", "--requirements", req, "--python", python}); err != nil {
		t.Fatalf("setup --venv l/../v: %v", err)
	}
	if _, err := os.Stat(filepath.Join(clone, "real", "v", "pyvenv.cfg")); err != nil {
		t.Errorf("setup --venv l/../v did not make the venv beside l's target: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(clone, "v")); err == nil {
		t.Errorf("setup --venv l/../v made %s, beside the link", filepath.Join(clone, "v"))
	}
	for _, gone := range []string{mine, kept} {
		if _, err := os.Lstat(gone); err == nil {
			t.Errorf("setup --venv left %s", gone)
		}
	}
	// --requires-python is a floor above setup's own, not a replacement of it: 3.0 made a venv with
	// Python 3.6 (seventy-first probe).
	os.Remove(ran)
	if err := runSetup(args("--requires-python", "3.0")); err != nil {
		t.Fatalf("setup --venv --requires-python 3.0: %v", err)
	}
	if log, _ := os.ReadFile(ran); !strings.Contains(string(log), "sys.version_info < (3, 8, 0)") {
		t.Errorf("setup --venv --requires-python 3.0 asked the interpreter for another floor than 3.8:\n%s", log)
	}
	// pip's output is passed on, but a standard output that is full or closed does not stop pip: the
	// venv was removed, pip blamed (seventy-first probe). A full one is said at the end (stdoutFailed).
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	reader, closed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	reader.Close()
	stdout := os.Stdout
	for _, out := range []*os.File{full, closed} {
		os.Stdout = out
		err := runSetup(args())
		os.Stdout = stdout
		if _, statErr := os.Stat(filepath.Join(venv, "pyvenv.cfg")); err != nil || statErr != nil {
			t.Errorf("setup --venv with standard output %s: %v; the venv: %v", out.Name(), err, statErr)
		}
		if failed := stdoutFailed.Swap(nil); (failed != nil) != (out == full) {
			t.Errorf("setup --venv with standard output %s: failed write noted: %v", out.Name(), failed)
		}
	}
	full.Close()
	closed.Close()
	// The oldest Python the requirements take is asked of the interpreter itself.
	if real, err := exec.LookPath("/usr/bin/python3"); err == nil && !trust.IsScript(real) {
		if err := runSetup([]string{"--venv", venv, "--requirements", req, "--python", real, "--requires-python", "3.99"}); err == nil ||
			!strings.Contains(err.Error(), "too old, need Python 3.99 or newer") {
			t.Errorf("--requires-python 3.99 with %s: %v, want a refusal naming the version", real, err)
		}
	}
	// Refused before the venv there is removed: a path that Python's venv refuses, a requirements file
	// inside the venv (it went with it), a mount inside it (its files went with it; sixty-ninth probe).
	colon := filepath.Join(clone, "a:b", ".venv")
	for _, c := range []struct {
		args []string
		keep string
		want string
	}{
		{[]string{"--venv", colon, "--requirements", req, "--python", python}, filepath.Join(colon, "lib", "notes.txt"), "which Python's venv refuses"},
		{[]string{"--venv", venv, "--requirements", filepath.Join(venv, "lib", "req.txt"), "--python", python}, filepath.Join(venv, "lib", "req.txt"), "is inside --venv"},
	} {
		if err := os.MkdirAll(filepath.Dir(c.keep), 0o755); err != nil || os.WriteFile(filepath.Join(c.args[1], "pyvenv.cfg"), nil, 0o644) != nil ||
			os.WriteFile(c.keep, []byte("x==1\n"), 0o644) != nil {
			t.Fatal(err)
		}
		if err := runSetup(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("setup %v: %v, want a refusal containing %q", c.args, err, c.want)
		}
		if _, err := os.Stat(c.keep); err != nil {
			t.Errorf("setup %v removed %s", c.args, c.keep)
		}
	}
	if os.Geteuid() == 0 {
		mounted := filepath.Join(venv, "share")
		if err := os.MkdirAll(mounted, 0o755); err != nil {
			t.Fatal(err)
		}
		// Of an empty source, which mountinfo writes as "" between two spaces (seventy-first probe).
		if syscall.Mount("", mounted, "tmpfs", 0, "size=64k") == nil {
			keep := filepath.Join(mounted, "data.txt")
			if err := os.WriteFile(keep, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := runSetup(args())
			if err == nil || !strings.Contains(err.Error(), "is or holds a mount point ("+mounted+")") {
				t.Errorf("a venv with a mount inside: %v, want a refusal naming it", err)
			}
			if _, err := os.Stat(keep); err != nil {
				t.Errorf("a venv with a mount inside: the mounted file is gone (%v)", err)
			}
			syscall.Unmount(mounted, syscall.MNT_DETACH) //nolint:errcheck
		}
		// Nor a venv that is itself a mount point (a container's volume; seventieth probe).
		if syscall.Mount("tmpfs", venv, "tmpfs", 0, "size=64k,mode=0755") == nil {
			keep := filepath.Join(venv, "pyvenv.cfg")
			if err := os.WriteFile(keep, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := runSetup(args()); err == nil || !strings.Contains(err.Error(), "is or holds a mount point ("+venv+")") {
				t.Errorf("a venv that is a mount point: %v, want a refusal naming it", err)
			}
			if _, err := os.Stat(keep); err != nil {
				t.Errorf("a venv that is a mount point: its file is gone (%v)", err)
			}
			syscall.Unmount(venv, syscall.MNT_DETACH) //nolint:errcheck
		}
	}
	// A requirements file another user could change is not read.
	if os.Geteuid() == 0 {
		if err := os.Chown(req, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		if err := runSetup(args()); err == nil || !strings.Contains(err.Error(), "--requirements "+req+" is not read") {
			t.Errorf("another user's requirements: %v, want a refusal naming the file", err)
		}
	}
}

// make setup makes the clone's .venv only through `ddpm setup --venv`: no Python, venv or pip of its
// own, run with the user's whole environment (sixty-ninth probe).
func TestMakeSetupMakesTheVenvThroughDdpmSetup(t *testing.T) {
	script, err := os.ReadFile("../../scripts/setup.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "ddpm setup --venv") {
		t.Error("scripts/setup.sh does not make the venv with `ddpm setup --venv`")
	}
	for _, own := range []string{"-m venv", "-m pip", "$PYTHON\" -c", "$PYTHON -c"} {
		if strings.Contains(string(script), own) {
			t.Errorf("scripts/setup.sh runs %q itself", own)
		}
	}
}

// The repository's requirements.txt, which make setup installs with `ddpm setup --venv`, pins every
// package by its digests (setup --venv refuses it otherwise), and the XLA plugin by the same digests
// as the plugin of `ddpm setup` (ddpm.PluginHashes): the clone's .venv plugin is loaded before the
// cache's.
func TestRequirementsArePinnedByDigest(t *testing.T) {
	pins, _, err := readPins("../../requirements.txt", "requirements.txt")
	if err != nil {
		t.Fatal(err)
	}
	var plugin []string
	for _, line := range strings.Split(strings.ReplaceAll(pins, "\\\n", " "), "\n") {
		if fields := strings.Fields(line); len(fields) > 0 && fields[0] == ddpm.PluginPackage+"=="+ddpm.PluginVersion {
			for _, f := range fields[1:] {
				plugin = append(plugin, strings.TrimPrefix(f, "--hash=sha256:"))
			}
		}
	}
	slices.Sort(plugin)
	want := slices.Sorted(slices.Values(ddpm.PluginHashes))
	if !slices.Equal(plugin, want) {
		t.Errorf("requirements.txt pins %s==%s by %v, ddpm setup by %v", ddpm.PluginPackage, ddpm.PluginVersion, plugin, want)
	}
}

// Python's search finds its library in a folder, or setup refuses an interpreter where it finds none up
// to / (it then takes the prefix built into it, unchecked; ninety-eighth probe).
func TestPythonLibraryIsWhatGetpathFinds(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		files []string // below a folder of its own; a folder's name ends in /
		want  bool
	}{
		{"a zip", []string{"z/lib/python312.zip"}, true},
		{"os.py and lib-dynload", []string{"a/lib/python3.12/os.py", "a/lib/python3.12/lib-dynload/"}, true},
		{"os.pyc and lib-dynload, in lib64", []string{"b/lib64/python3.13/os.pyc", "b/lib64/python3.13/lib-dynload/"}, true},
		{"os.py alone", []string{"c/lib/python3.12/os.py"}, false},
		{"lib-dynload alone", []string{"d/lib/python3.12/lib-dynload/"}, false},
		{"python3, not python3.X", []string{"e/lib/python3/os.py", "e/lib/python3/lib-dynload/"}, false},
		{"nothing", []string{"f/"}, false},
	} {
		for _, f := range c.files {
			path := filepath.Join(dir, f)
			err := os.MkdirAll(filepath.Dir(path), 0o755)
			if err == nil && strings.HasSuffix(f, "/") {
				err = os.MkdirAll(path, 0o755)
			} else if err == nil {
				err = os.WriteFile(path, nil, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		at := filepath.Join(dir, strings.SplitN(c.files[0], "/", 2)[0])
		if got := pythonLibraryIn(at); got != c.want {
			t.Errorf("%s (%s): %v, want %v", c.name, at, got, c.want)
		}
	}
}

// The folder of wheels that ensurepip installs pip from (Debian's WHEEL_PKG_DIR) is held whole before
// ensurepip runs: another user's pip wheel there, or root's link to one, ran as root (ninety-ninth probe).
func TestEnsurepipsWheelsAreHeld(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give a file to another user")
	}
	dir := t.TempDir()
	wheels, theirs := filepath.Join(dir, "wheels"), filepath.Join(dir, "theirs.whl")
	if err := os.Mkdir(wheels, 0o755); err != nil || os.WriteFile(theirs, nil, 0o644) != nil || os.Chown(theirs, 4242, 4242) != nil {
		t.Fatal("a wheel of another user's")
	}
	out := func(d string) []byte { return []byte("x\n" + wheelsLine + d + "\n" + pythonOK + "\n") }
	if err := checkWheelFolder(out(wheels)); err != nil {
		t.Errorf("a folder of root's wheels: %v", err)
	}
	if err := checkWheelFolder(out("")); err != nil {
		t.Errorf("no folder of wheels (ensurepip's own): %v", err)
	}
	if err := os.Symlink(theirs, filepath.Join(wheels, "pip-23.0.1-py3-none-any.whl")); err != nil {
		t.Fatal(err)
	}
	if err := checkWheelFolder(out(wheels)); err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("root's link to another user's wheel: %v, want a refusal", err)
	}
	if err := checkWheelFolder(out("wheels")); err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Errorf("a relative folder: %v, want a refusal", err)
	}
}
