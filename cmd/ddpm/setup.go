package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/procgroup"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
	"github.com/learn-ddpm/ddpm-go/models"
)

// runSetup installs what a binary from `go install` lacks, in the user's cache folder (ddpm.UserDir):
// the shipped models, and the XLA CPU plugin (PyPI's xla-cpu-pjrt at the pinned ddpm.PluginVersion)
// in a Python virtual environment, where ChooseBackend finds it. Run again, it only says where they are.
func runSetup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	python := fs.String("python", "python3", "Python 3 interpreter that makes the virtual environment: a name in $PATH (scripts such as a pyenv shim passed over) or a path")
	venv := fs.String("venv", "", "make a Python virtual environment in `folder` (a clone's .venv, as make setup does) with the packages of --requirements, under setup's rules, instead of the models and plugin in your cache")
	requirements := fs.String("requirements", "", "with --venv: the pip requirements `file` whose packages it gets: each pinned by version and --hash, installed from wheels only")
	requiresPython := fs.String("requires-python", "", "with --venv: the oldest Python `version` the requirements take (e.g. 3.11)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if isSet(fs, "venv") || isSet(fs, "requirements") || isSet(fs, "requires-python") {
		return setupVenv(fs, *venv, *requirements, *requiresPython, *python)
	}
	// What setup and its children make is writable by the user alone, whatever the user's umask: with
	// umask 002 and a group shared with others, another member replaced venv/bin/python while setup ran,
	// and setup ran it (thirty-sixth probe). A stricter umask is kept (077 was widened to 022; fifty-third
	// probe's nit).
	umask := syscall.Umask(0o077)
	syscall.Umask(umask | 0o022)
	defer syscall.Umask(umask)
	dir, err := ddpm.UserDir()
	if err != nil { // $HOME unset: the message named no fix (thirty-ninth probe's nit)
		return fmt.Errorf("%w: set $XDG_CACHE_HOME (or $HOME) to a folder of yours", err)
	}
	// Before any work: it said "installed now", and every command then failed to load the plugin
	// (thirty-first probe).
	if err := ddpm.PluginPathError(dir); err != nil {
		return fmt.Errorf("ddpm setup's folder %s: %w, so a plugin installed there could not be loaded: set $XDG_CACHE_HOME to a folder without one", dir, err)
	}
	// A plugin installed where another user could change it would never be loaded: it said "installed
	// now", and every command then said to run setup again (thirty-fourth probe).
	if err := ddpm.CheckSecureFolder(dir); err != nil {
		fix := "set $XDG_CACHE_HOME to a folder that only you can write"
		switch {
		case errors.Is(err, ddpm.ErrOtherUser): // no chmod of the user's mends it
			fix = "set $XDG_CACHE_HOME to a folder of yours that only you can write"
		case trust.IsRefusal(err): // a mode: a file or a link to nothing was told to chmod (hundred-and-second probe's nit)
			fix = "make the folder named writable by you alone (chmod go-w), or " + fix
		}
		return fmt.Errorf("ddpm setup's folder %s: %w, so the plugin installed there would not be loaded: %s", dir, err, fix)
	}
	// Python's venv refuses such a folder, after the models were written (thirty-second probe's nit).
	if strings.Contains(dir, string(os.PathListSeparator)) {
		return fmt.Errorf("ddpm setup's folder %s: its path holds %q, which Python's venv refuses (it separates $PATH's folders): set $XDG_CACHE_HOME to a folder without one",
			dir, os.PathListSeparator)
	}
	if installed, _ := ddpm.UserPlugin(); installed == "" {
		venv, _ := ddpm.UserVenvDir()
		if err := checkPipVars(); err != nil {
			return err
		}
		if err := checkPipReads(venv); err != nil {
			return err
		}
	}
	// A folder the user cannot make or write, refused before any interpreter is run (with another
	// user's $HOME, "mkdir /root/.cache: permission denied" came after --python had run, with no fix;
	// forty-fifth probe's nit).
	if at, err := ddpm.NearestFolder(dir); err != nil {
		return fmt.Errorf("ddpm setup's folder %s: %w: set $XDG_CACHE_HOME to a folder of yours", dir, err)
	} else if err := syscall.Access(at, 0o3); err != nil { // W_OK|X_OK
		return fmt.Errorf("ddpm setup's folder %s cannot be made or written: %s is not writable by you (%v): set $XDG_CACHE_HOME to a folder of yours", dir, at, err)
	}
	// An explicit interpreter is checked now, once the folder is seen to be usable; the default only when
	// a plugin is to be installed, so that a finished setup needs no Python.
	checkedExe := "" // the interpreter found and run through its check here, if it was
	if isSet(fs, "python") {
		exe, err := findPython(*python)
		if err != nil {
			return err
		}
		// And run, where it is to install the plugin: a pyenv shim of a version not installed was found,
		// the models were written, and then it failed (thirty-fourth probe's nit).
		if installed, _ := ddpm.UserPlugin(); installed == "" {
			if err := checkPython(*python, exe, minPython); err != nil {
				return err
			}
			checkedExe = exe
		}
	}
	if err := flagsChecked(fs); err != nil {
		return err
	}
	if err := makeOwnFolders(dir); err != nil {
		return fmt.Errorf("ddpm setup's folder %s: %w: set $XDG_CACHE_HOME to a folder of yours", dir, err)
	}
	lock, err := ddpm.LockDir(dir, "ddpm setup's folder") // two setups at once would build one venv twice
	if err != nil {
		return err
	}
	defer lock.Unlock()
	// Again, now that the folder is there: another user could have made it, in a sticky folder, since.
	if err := ddpm.CheckSecureFolder(dir); err != nil {
		return fmt.Errorf("ddpm setup's folder %s: %w: set $XDG_CACHE_HOME to a folder that only you can write", dir, err)
	}

	modelsDir, _ := ddpm.UserModelsDir()
	// Held through the models and the plugin's check, to installPlugin's own handler, and said: a stop
	// there ended setup with 143 and no word, the default action after the models were written
	// (ninety-eighth probe's nit).
	release := sync.OnceFunc(removeTemporariesOnSignal(func() string {
		return fmt.Sprintf("stopped before setup finished: the models are whole, and the plugin is as it was; run `%s` again", againCommand(fs))
	}))
	defer release()
	written, err := installModels(modelsDir)
	if err != nil {
		return err
	}
	if len(written) == 0 {
		printf("models: %s (already there: %s)\n", modelsDir, strings.Join(models.Names(), ", "))
	} else {
		printf("models: %s (written now: %s)\n", modelsDir, strings.Join(written, ", "))
	}
	plugin, refused := ddpm.UserPlugin()
	if plugin != "" { // by its digest too, which the commands leave to setup (a second's work)
		if err := ddpm.CheckPluginRecord(plugin, true); err != nil {
			plugin, refused = "", err
		}
	}
	if plugin != "" {
		release()
		printf("plugin: %s (%s %s, already installed)\n", plugin, ddpm.PluginPackage, ddpm.PluginVersion)
	} else {
		venv, _ := ddpm.UserVenvDir()
		if plugin, err = installPlugin(venv, *python, checkedExe, refused, againCommand(fs), release); err != nil {
			return err
		}
		printf("plugin: %s (%s %s, installed now)\n", plugin, ddpm.PluginPackage, ddpm.PluginVersion)
	}
	printf("next:   ddpm sample --ckpt %s --n 16 --out samples.png\n", shellQuote(filepath.Join(modelsDir, "mnist-ema.ddpm")))
	printf("        (ddpm info shows the plugin in use; eval and interpolate find these models by default)\n")
	return nil
}

// installModels writes each shipped model into dir whole (ddpm.WriteFileAtomic), unless the file
// there already holds its bytes, and returns the names written.
func installModels(dir string) ([]string, error) {
	if err := ddpm.MakeDir(dir); err != nil { // a link there said only "file exists" (eleventh and seventeenth probes)
		return nil, fmt.Errorf("models folder %s: %w", dir, err)
	}
	// Locked itself: setup's lock is on its own cache folder, and two setups of other caches whose
	// models/ were links to one folder removed each other's temporaries as a killed write's (twenty-eighth probe).
	lock, err := ddpm.LockDir(dir, "models folder")
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	// What a setup killed in its write left (twenty-seventh probe).
	if err := ddpm.RemoveStaleTemporaries(dir, func(name string) bool { return slices.Contains(models.Names(), name) }); err != nil {
		return nil, fmt.Errorf("models folder %s: %w", dir, err)
	}
	var written []string
	for _, name := range models.Names() {
		want, err := models.Read(name)
		if err != nil {
			return written, err
		}
		path := filepath.Join(dir, name)
		// Compared by size first: a huge file there was read whole. Kept only where it is the user's and
		// no other user may write it, as the commands read it: another user's copy was left as "already
		// there", and every command refused it and sent the user back to setup (sixty-fourth probe).
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && sameContent(path, info.Size(), want) {
			if _, err := trust.SecureFile(path); err == nil {
				continue
			}
		}
		// Its own name in its own folder: a link there is refused, not followed (one to a training
		// checkpoint had it replaced by the shipped model; fourteenth probe).
		if err := writeOwnFile(path, want); err != nil {
			return written, err
		}
		written = append(written, name)
	}
	return written, nil
}

// installPlugin makes the virtual environment venv with python and pip-installs the pinned plugin
// into it, then stamps it finished (ddpm.WriteSetupStamp). A venv without the stamp, from a setup
// that was interrupted or failed, or that another user could have changed (refused says why), is
// removed first: it is never trusted, nor built upon. checkedExe, when not "", is python's
// interpreter, already run through its check.
func installPlugin(venv, python, checkedExe string, refused error, again string, handOver func()) (string, error) {
	if !(runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64")) {
		return "", fmt.Errorf("%s %s is built for Linux on x86-64 and arm64 only, not %s/%s: set $%s to a PJRT plugin file, "+
			"or $%s=go (GoMLX's pure-Go backend, much slower)", ddpm.PluginPackage, ddpm.PluginVersion, runtime.GOOS, runtime.GOARCH, ddpm.EnvPlugin, ddpm.EnvBackend)
	}
	// Whatever led here: runSetup checks these before any work only where no plugin is installed, and a
	// plugin found damaged by its digest afterwards was reinstalled without them, pip's Pythons loading
	// libraries from a folder anyone could write (eightieth probe).
	if err := checkPipVars(); err != nil {
		return "", err
	}
	if err := checkPipReads(venv); err != nil {
		return "", err
	}
	exe := checkedExe
	if exe == "" {
		var err error
		if exe, err = findPython(python); err != nil {
			return "", err
		}
		if err := checkPython(python, exe, minPython); err != nil {
			return "", err
		}
	}
	why := "an earlier setup left it unfinished, or for another version"
	if refused != nil { // it said "unfinished" of a venv others could write (thirty-sixth probe)
		why = refused.Error()
	}
	// The wheel is taken only by its digest, whatever index, cache or configuration pip reads.
	pin := ddpm.PluginPackage + "==" + ddpm.PluginVersion
	line := pin
	for _, h := range ddpm.PluginHashes {
		line += " --hash=sha256:" + h
	}
	var plugin string
	err := makeVenv(venv, exe, python, venvJob{
		say: "plugin: ", again: again, why: why, killLeftovers: true, tmpPrefix: ".tmp-", knownSize: true, handOver: handOver,
		roomElsewhere: ", or set $XDG_CACHE_HOME to a folder on another file system",
		requirements:  line + "\n", source: "setup's pin of the plugin", pipArgs: []string{"--require-hashes", "--only-binary", ":all:", "--no-deps"}, what: pin,
		announce: fmt.Sprintf("plugin: pip install %s (a download of some 60 MB, checked against its SHA-256)", pin),
	}, func(map[string]string) error {
		found, ok := ddpm.VenvPlugin(venv)
		if !ok {
			return fmt.Errorf("pip installed %s in %s but left no plugin file xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so in its site-packages", pin, venv)
		}
		// Stamped only where it will be loaded: it said "installed now" of a plugin that every command
		// then passed over (thirty-sixth probe).
		var err error
		if plugin, err = ddpm.CheckSecureFile(found); err != nil {
			return fmt.Errorf("the plugin pip installed would not be loaded: %w", err)
		}
		return ddpm.WriteSetupStamp(venv)
	})
	return plugin, err
}

// groupCommand is a command in a process group of its own (procgroup), which the context's end kills
// whole: the children it starts (venv's ensurepip, pip's builds) went on after a time limit or a signal
// had stopped it, and pip went on writing the venv after a kill -9 of setup (forty-fourth probe's nit).
func groupCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := procgroup.Command(ctx, name, args...)
	cmd.Dir = "/" // with Python's -I: no module is imported from the working directory (below)
	return cmd
}

// stopLeftovers kills the processes of this user that run the venv's interpreter, and waits for them to
// end: a setup killed by SIGKILL takes its child with it (Pdeathsig), but not the child's own children,
// and ensurepip's pip went on writing the venv, so that the next setup failed to remove it ("directory not
// empty"; forty-eighth probe). No one but setup runs an unfinished venv's interpreter.
func stopLeftovers(venv, again string) error {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		pids := venvProcesses(venv)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v, left running by a setup that was killed, still run %s's interpreter and do not end: end them, and run `%s` again",
				pids, venv, again)
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // one gone already is what is wanted
		}
	}
}

// venvProcesses are the processes of this user that run venv's interpreter, however they named it:
// by its path, relative to their working folder (v/bin/python), or by its name in their $PATH (python,
// in an activated venv); those two were missed, and setup remade the venv under a running JupyterLab
// (seventy-ninth probe).
func venvProcesses(venv string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		// This user's by every uid, the real one first: another user's setuid program (su) run under
		// the venv interpreter's name has a /proc entry of root's, and root's setup killed it, then
		// failed, blaming a killed setup (fifty-fifth probe).
		if !allUIDs(filepath.Join("/proc", e.Name(), "status"), os.Getuid()) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if argv0, _, _ := bytes.Cut(cmdline, []byte{0}); err == nil && len(argv0) > 0 {
			if program := programOf(e.Name(), string(argv0)); strings.HasPrefix(program, venv+"/") || program != "" && within(filepath.Dir(program), venv) {
				pids = append(pids, pid)
				continue
			}
		}
		if runsVenvProgram(e.Name(), venv) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// runsVenvProgram says whether process pid's program is a file of venv whatever its argv[0] says: a
// --copies venv's interpreter, retitled (setproctitle) or started under another name (ninety-sixth
// probe). Files it has only mapped are not counted: a ddpm command with the venv's plugin loaded was
// taken for a leftover of setup and killed (ninety-seventh probe); it keeps its mapping when the venv
// is replaced. (An interpreter of a venv of links started by a bare name not in its $PATH takes the
// base installation's prefix, so none of it is the venv's.)
func runsVenvProgram(pid, venv string) bool {
	exe, err := os.Readlink(filepath.Join("/proc", pid, "exe"))
	return err == nil && strings.HasPrefix(exe, venv+"/")
}

// programOf is the file that process pid started as argv0: absolute, or from its working folder, or
// the first of that name in its $PATH (as its shell found it).
func programOf(pid, argv0 string) string {
	proc := filepath.Join("/proc", pid)
	cwd, _ := os.Readlink(filepath.Join(proc, "cwd"))
	if strings.Contains(argv0, "/") {
		if filepath.IsAbs(argv0) {
			return argv0
		}
		return filepath.Join(cwd, argv0)
	}
	environ, _ := os.ReadFile(filepath.Join(proc, "environ"))
	for _, kv := range strings.Split(string(environ), "\x00") {
		if path, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, dir := range filepath.SplitList(path) {
				if !filepath.IsAbs(dir) {
					dir = filepath.Join(cwd, dir)
				}
				if info, err := os.Stat(filepath.Join(dir, argv0)); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
					return filepath.Join(dir, argv0)
				}
			}
		}
	}
	return ""
}

// allUIDs says whether the real, effective, saved and file-system uids of a process (its
// /proc/PID/status) are all uid.
func allUIDs(status string, uid int) bool {
	ids := trust.StatusField(status, "Uid")
	return len(ids) == 4 && !slices.ContainsFunc(ids, func(id string) bool { return id != strconv.Itoa(uid) })
}

// scriptInterpreters lets a script stand for Python: the tests' fake interpreters are shell scripts.
var scriptInterpreters = false

// findPython is the interpreter's file: python as a path, or looked up in $PATH, where a script (a
// version manager's shim) is passed over for the next interpreter of that name. A script is no
// interpreter: it runs other programs and reads other files before any Python starts, and pyenv's shim
// sourced hook files from fixed folders (/usr/local/etc/pyenv.d, writable by Debian's group staff):
// another user's ran as root, twice, in setup's check and its venv (sixty-eighth probe).
func findPython(python string) (string, error) {
	if python == "" {
		return "", fmt.Errorf(`--python "": name a Python 3 interpreter, e.g. python3`)
	}
	exe, err := lookPython(python)
	if err != nil {
		return "", fmt.Errorf("--python %s: not found (%v): %s needs Python 3 with its venv module; install it "+
			"(Debian and Ubuntu: apt install python3 python3-venv), or name one with --python", shellQuote(python), err, ddpm.UserSetupCommand)
	}
	// Run only where no other user can change it: another user's interpreter ran, as the user, for the
	// check, the venv and ensurepip, before the venv's link to it was refused (thirty-seventh probe).
	// And the file checked is the one run, by its resolved path: "l/../python3" was checked as the kernel
	// does not read it, and another user's ran (fortieth probe).
	real, err := ddpm.CheckSecureFile(exe)
	if err != nil {
		return "", fmt.Errorf("--python %s (%s) is not run: %w: name an interpreter of yours or root's with --python", shellQuote(python), exe, err)
	}
	if err := checkInterpreterFolders(real); err != nil {
		return "", fmt.Errorf("--python %s (%s) is not run: %w", shellQuote(python), real, err)
	}
	if trust.IsScript(real) && !scriptInterpreters {
		// pyenv's advice only for pyenv's shim, with the version asked for (python3 gave 3.11 for 3.13;
		// hundred-and-second probe's nit): python3.11-config, a script of Python's own, was sent round to
		// pyenv's copy of itself (hundred-and-third probe's nit).
		advice := "name the interpreter itself with --python"
		if head, _ := readHead(real, 4096); strings.Contains(head, "pyenv") {
			advice += fmt.Sprintf(" (for pyenv: --python \"$(pyenv which %s)\")", filepath.Base(python))
		}
		return "", fmt.Errorf("--python %s (%s) is not run: it is a script, not a Python interpreter, and runs other programs and reads other files before any Python "+
			"starts (a pyenv shim sources hook files from folders setup cannot check): %s", shellQuote(python), real, advice)
	}
	return real, nil
}

// readHead is the first n bytes of the file at path, as text, opened as the project opens what it reads
// (safefile.Open: a regular file, never a FIFO).
func readHead(path string, n int64) (string, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, n))
	return string(b), err
}

// lookPython finds python as trust.LookPastScripts does: a script in $PATH is passed over for the next
// interpreter of that name (or is the one found where there is none, for findPython to refuse).
func lookPython(python string) (string, error) {
	if scriptInterpreters {
		return exec.LookPath(python)
	}
	return trust.LookPastScripts(python)
}

// pythonCheck exits with a message when the interpreter cannot make a virtual environment with pip:
// older than min (3.8 for the plugin), or the venv and ensurepip modules missing (Debian's python3
// comes without them, in the python3-venv package). Python 2 refuses its -I before it runs (checkPython).
func pythonCheck(min [3]int) string {
	return fmt.Sprintf(`import sys
if sys.version_info < (%d, %d, %d):
    sys.exit("Python %%d.%%d.%%d: too old, need Python %s or newer" %% sys.version_info[:3])
try:
    import venv, ensurepip
except ImportError as e:
    sys.exit("missing module: %%s" %% e)
import sysconfig
print("`+wheelsLine+`" + (sysconfig.get_config_var("WHEEL_PKG_DIR") or ""))
print("`+pythonOK+`")
`, min[0], min[1], min[2], pythonVersion(min))
}

// wheelsLine starts pythonCheck's line naming the folder of wheels that ensurepip installs pip from,
// where the interpreter has one (Debian's WHEEL_PKG_DIR, /usr/share/python-wheels), in place of its
// own library's.
const wheelsLine = "ddpm: ensurepip's wheels: "

// checkWheelFolder holds the folder of wheels that pythonCheck's output names, whole, to the rules of the
// interpreter's library: ensurepip runs the pip it finds there, and another user's wheel in a folder
// no check looked at ran as root (ninety-ninth probe).
func checkWheelFolder(out []byte) error {
	for _, line := range strings.Split(string(out), "\n") {
		dir, ok := strings.CutPrefix(line, wheelsLine)
		if !ok || dir == "" {
			continue
		}
		if !filepath.IsAbs(dir) {
			return fmt.Errorf("its ensurepip takes pip from %q, not an absolute path", dir)
		}
		if err := trust.CheckOwnFolderAndTree(dir); err != nil {
			return fmt.Errorf("its ensurepip takes pip from the wheels in %s, and %w", dir, err)
		}
	}
	return nil
}

// pythonVersion writes a version as Python's own do: 3.11 for 3.11.0.
func pythonVersion(v [3]int) string {
	if v[2] == 0 {
		return fmt.Sprintf("%d.%d", v[0], v[1])
	}
	return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2])
}

// pythonOK is what pythonCheck prints when it passes: a program that exits 0 without running it (not a
// Python) is not taken for one.
const pythonOK = "ddpm: python can make a venv"

// pythonTimeout, venvTimeout and pipTimeout bound the interpreter's check, the making of the virtual
// environment (seconds, normally) and pip's download and install (a minute at most, normally): an
// interpreter that hangs, or a pip that waits on a FIFO in its cache or for a ~/.netrc (thirty-eighth
// probe), must not hold the setup forever. Tests shorten them.
var (
	pythonTimeout = 30 * time.Second
	venvTimeout   = 5 * time.Minute
	pipTimeout    = 30 * time.Minute
)

// checkPython runs the interpreter exe (named python on the command line) through pythonCheck.
func checkPython(python, exe string, min [3]int) error {
	ctx, cancel := context.WithTimeout(context.Background(), pythonTimeout)
	defer cancel()
	// Isolated (-I), from /: Python put the working directory first on its path, and a venv.py or
	// pip.py there, another user's in /tmp, was imported by setup (thirty-fifth probe). Without site
	// (-S): another user's .pth in the interpreter's site-packages ran (thirty-eighth probe).
	check := exec.CommandContext(ctx, exe, "-I", "-S", "-c", pythonCheck(min))
	check.Dir = "/"
	check.Env = childEnv("")
	check.WaitDelay = time.Second // a child that keeps the output open must not outlive the limit either
	out, err := check.CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Errorf("--python %s (%s) did not answer in %s: it hangs at its start, or on a file it reads there (a FIFO); "+
			"name a Python 3 interpreter that answers with --python", shellQuote(python), exe, pythonTimeout)
	}
	if err == nil && bytes.Contains(out, []byte(pythonOK)) {
		if err := checkWheelFolder(out); err != nil {
			return fmt.Errorf("--python %s (%s) is not run further: %w: name an interpreter whose files only you or root can change", shellQuote(python), exe, err)
		}
		return nil
	}
	if err == nil {
		return fmt.Errorf("--python %s (%s) is not a Python 3 interpreter: it did not run the check (it printed %q)", shellQuote(python), exe,
			strings.TrimSpace(string(lastLines(out, 3))))
	}
	msg := strings.TrimSpace(string(lastLines(out, 5)))
	if msg == "" {
		msg = "it printed nothing"
	}
	// Python 2 refuses -I before the check runs, with its usage (hundred-and-second probe's nit).
	if strings.Contains(msg, "Unknown option: -I") {
		return fmt.Errorf("--python %s (%s) is Python 2 or older: it does not know -I, which Python 3.4 brought; name a Python %s or newer with --python",
			shellQuote(python), exe, pythonVersion(min))
	}
	if strings.Contains(msg, "missing module") {
		return fmt.Errorf("--python %s (%s): the venv module is missing (%s): on Debian and Ubuntu install python3-venv "+
			"(apt install python3-venv), elsewhere use a Python 3 with venv and ensurepip, named with --python", shellQuote(python), exe, msg)
	}
	return fmt.Errorf("--python %s (%s) cannot make a virtual environment: %s (%v)", shellQuote(python), exe, msg, err)
}

// venvHint says why `python -m venv` failed, where the output or the file system tells: ensurepip
// missing (Debian's python3 without python3-venv), or no space left.
func venvHint(out []byte, dir string, job venvJob) string {
	if hint := venvSpaceHint(job, dir); hint != "" {
		return "\n" + hint
	}
	if bytes.Contains(out, []byte("ensurepip is not available")) || bytes.Contains(out, []byte("No module named 'ensurepip'")) {
		return "\nthe venv module is incomplete: on Debian and Ubuntu install python3-venv (apt install python3-venv)"
	}
	return ""
}

// pluginInstallBytes is the space the plugin's venv takes (248 MB of plugin, pip and the wheel
// unpacked), rounded up.
const pluginInstallBytes = 400e6

// spaceHint names dir's file system when it has less free than the plugin takes; "" otherwise.
func spaceHint(dir string) string {
	if free, err := ddpm.FreeSpace(dir); err == nil && free < pluginInstallBytes {
		return fmt.Sprintf("the file system of %s has %.0f MB free, and the plugin takes about %.0f MB installed", dir, free/1e6, pluginInstallBytes/1e6)
	}
	return ""
}

// prefixed is s on a line of its own, or nothing.
func prefixed(s string) string {
	if s == "" {
		return ""
	}
	return "\n" + s
}

// lastLines is the last n lines of out, for an error message.
func lastLines(out []byte, n int) []byte {
	lines := bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return bytes.Join(lines, []byte("\n"))
}

// shellWord matches what a shell takes as one word without quotes.
var shellWord = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// againCommand is the setup to run again, as the user gave it: `ddpm setup` and every flag given
// (advice without --python took another Python; eighty-second and eighty-third probes).
func againCommand(flags *flag.FlagSet) string {
	again := ddpm.UserSetupCommand
	flags.Visit(func(f *flag.Flag) { again += " --" + f.Name + "=" + shellQuote(f.Value.String()) })
	return again
}

// shellQuote is s as a shell word, so that a printed command can be pasted whatever the path.
func shellQuote(s string) string {
	if s != "" && shellWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
