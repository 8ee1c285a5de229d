package ddpm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/default" // Registers the XLA and pure-Go backends.
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/backends/xla"

	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// Environment variables that choose the backend, in order of precedence.
const (
	// EnvBackend is GoMLX's own variable, e.g. "xla:cpu", "xla:/abs/path/plugin.so" or "go".
	EnvBackend = "GOMLX_BACKEND"
	// EnvPlugin names a PJRT plugin file (.so) to load with the XLA backend.
	EnvPlugin = "DDPM_PJRT_PLUGIN"
)

// SetupCommand is the command that installs the XLA CPU plugin inside a clone of the project (with
// the notebooks' Python). Errors name it there, and UserSetupCommand elsewhere: see SetupHint.
const SetupCommand = "make setup"

// venvPluginGlob is where pip installs the OpenXLA CPU PJRT plugin (PyPI package xla-cpu-pjrt) in a
// Python virtual environment, relative to the environment's folder.
var venvPluginGlob = filepath.Join("lib", "python3*", "site-packages", "xla_plugins", "xla_cpu_pjrt", "xla_cpu_pjrt.so")

// pluginGlob is where `make setup` installs the plugin, relative to the project's root.
var pluginGlob = filepath.Join(".venv", venvPluginGlob)

// BackendChoice is the backend configuration that NewBackend uses and where it came from.
type BackendChoice struct {
	// Config is the GoMLX backend configuration string, e.g. "xla:/abs/path/xla_cpu_pjrt.so".
	Config string
	// Source says why this configuration was chosen, for logs and error messages.
	Source string
}

// ChooseBackend decides which backend NewBackend will create, without creating it:
//
//  1. $GOMLX_BACKEND when set;
//  2. $DDPM_PJRT_PLUGIN when set (a plugin file for the XLA backend);
//  3. the plugin that `make setup` installed in the project's .venv, searched from the current
//     directory upwards and from this package's source directory upwards;
//  4. the plugin that `ddpm setup` installed in the user's cache folder (UserVenvDir), used only
//     once that setup has finished (its stamp file names the pinned PluginVersion);
//  5. a CPU plugin that GoMLX's installer put in its folders (goxlaDirs), loaded by its path.
//
// 3 to 5 are taken only where no other user can change them (securePath). With none of them, the
// error names the one command that installs a plugin (SetupHint): `make setup` inside a clone of the
// project, `ddpm setup` elsewhere; or, where one was passed over, why. GoMLX's own search and its
// auto-install (a download from GitHub) are never the fallback ($GOMLX_BACKEND=xla:cpu asks for the
// search; the download is always turned off).
func ChooseBackend() (BackendChoice, error) {
	return chooseBackend(defaultPlaces())
}

// pluginPlaces is where chooseBackend looks for plugins; tests replace them with folders of fakes.
type pluginPlaces struct {
	wd         string   // the working directory: searched upwards for a project .venv, and for a clone
	source     string   // this package's source folder (empty when unknown): searched upwards too
	userDir    string   // UserDir (empty when the user has no cache folder)
	userDirErr error    // why UserDir is empty
	goxla      []string // the folders GoMLX installs its plugins in (goxlaDirs)
}

func defaultPlaces() pluginPlaces {
	var p pluginPlaces
	p.wd, _ = os.Getwd()
	// A binary built with -trimpath knows its source only as a module path, not a folder on disk.
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		p.source = filepath.Dir(file)
	}
	p.userDir, p.userDirErr = UserDir()
	p.goxla = goxlaDirs()
	return p
}

func chooseBackend(places pluginPlaces) (BackendChoice, error) {
	if cfg := os.Getenv(EnvBackend); cfg != "" {
		// A plugin named by its path is checked as $DDPM_PJRT_PLUGIN's is: a FIFO hung in dlopen
		// (thirty-first probe's nit). GoMLX reads the path up to the first comma.
		if name, plugin, ok := strings.Cut(cfg, ":"); ok && xlaBackendNames[name] {
			plugin, _, _ = strings.Cut(plugin, ",")
			if _, err := os.Stat(plugin); filepath.IsAbs(plugin) && err == nil {
				if err := pluginFileError(plugin); err != nil {
					return BackendChoice{}, fmt.Errorf("$%s=%q: %w", EnvBackend, cfg, err)
				}
			}
		}
		return BackendChoice{Config: cfg, Source: "$" + EnvBackend}, nil
	}
	if p := os.Getenv(EnvPlugin); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return BackendChoice{}, fmt.Errorf("$%s=%q: %w", EnvPlugin, p, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return BackendChoice{}, fmt.Errorf("$%s=%q: plugin file not found: %w", EnvPlugin, p, err)
		}
		if err := pluginFileError(abs); err != nil {
			return BackendChoice{}, fmt.Errorf("$%s=%q: %w: set it to the plugin's file, or unset it", EnvPlugin, p, err)
		}
		if err := PluginPathError(abs); err != nil {
			return BackendChoice{}, fmt.Errorf("$%s=%q: %w: link the plugin from a path without one", EnvPlugin, p, err)
		}
		return BackendChoice{Config: xlaConfig(abs), Source: "$" + EnvPlugin}, nil
	}
	// A plugin found where another user could change it is passed over, and said only when no other is
	// found: the refusals are the error then.
	var refusals []error
	p, refused := findProjectPlugin(places.wd, places.source)
	if p != "" {
		if err := PluginPathError(p); err != nil {
			return BackendChoice{}, fmt.Errorf("the project's plugin %s: %w: move the clone to a path without one, or set $%s to a link to the plugin from such a path",
				p, err, EnvPlugin)
		}
		return BackendChoice{Config: xlaConfig(p), Source: "project plugin installed by `" + SetupCommand + "`"}, nil
	}
	refusals = append(refusals, refused)
	if places.userDir != "" {
		venv := filepath.Join(places.userDir, userVenv)
		p, refused := userPlugin(venv)
		if p != "" {
			if err := PluginPathError(p); err != nil {
				return BackendChoice{}, fmt.Errorf("the plugin installed by `%s`, %s: %w: set $XDG_CACHE_HOME to a folder without one and run `%s` again",
					UserSetupCommand, p, err, UserSetupCommand)
			}
			return BackendChoice{Config: xlaConfig(p), Source: "plugin installed by `" + UserSetupCommand + "` in " + venv}, nil
		}
		refusals = append(refusals, refused)
	}
	p, found, refused := goxlaPlugin(places.goxla)
	if p != "" {
		if err := PluginPathError(p); err != nil {
			return BackendChoice{}, fmt.Errorf("GoMLX's CPU plugin %s: %w: set $%s to a link to it from a path without one", p, err, EnvPlugin)
		}
		// A CPU plugin by the name found, whatever the name of the file it links to.
		return BackendChoice{Config: "xla:" + p + ",shared_buffers", Source: "GoMLX's CPU plugin " + found}, nil
	}
	refusals = append(refusals, refused)
	return BackendChoice{}, noPluginError(places, errors.Join(refusals...))
}

// noPluginError says that no plugin can be loaded, and what to do. GoMLX's own search is never the
// fallback: it loads every pjrt_*plugin*.so under $HOME/.local/lib/go-xla, $LD_LIBRARY_PATH and
// ld.so.conf's folders, whoever owns them, so root with another user's $HOME (sudo -E) loaded that
// user's library, and a FIFO there hung every command (thirty-fifth probe). $GOMLX_BACKEND=xla:cpu
// still asks for that search by name.
func noPluginError(places pluginPlaces, refused error) error {
	hint := setupHint(places.wd)
	if refused != nil && !trust.IsRefusal(refused) { // damaged, not another user's: the paragraph on owners and modes misled (eighty-fifth probe)
		return fmt.Errorf("no XLA plugin is loaded: %s", strings.ReplaceAll(refused.Error(), "\n", "; "))
	}
	if refused != nil {
		// Not "fix what is named": made unwritable one at a time, as told, the folders held a plugin that
		// another user had already replaced; and a clone of another user's is not the user's to fix (thirty-sixth probe).
		return fmt.Errorf("no XLA plugin is loaded: %s. A plugin is loaded only from files and folders that are yours (or root's) and that no other user can write; "+
			"what another user could write may have been changed already, so do not only change its modes. Or install your own with `%s` "+
			"(into folders only you can write), or set $%s to a plugin file you trust", strings.ReplaceAll(refused.Error(), "\n", "; "), hint, EnvPlugin)
	}
	if hint == UserSetupCommand && places.userDirErr != nil { // a relative $XDG_CACHE_HOME: setup refuses it (thirty-fifth probe's nit)
		return fmt.Errorf("no XLA plugin is installed, and %v: set $XDG_CACHE_HOME to an absolute folder and run `%s`, or set $%s to a PJRT plugin file",
			places.userDirErr, UserSetupCommand, EnvPlugin)
	}
	return fmt.Errorf("no XLA plugin is installed: run `%s` to install the XLA CPU plugin, or set $%s to a PJRT plugin file", hint, EnvPlugin)
}

// xlaBackendNames are the names GoMLX registers its XLA backend under: a FIFO named after any of them
// hung every command (thirty-fifth probe's nit: only xla: was checked).
var xlaBackendNames = map[string]bool{"xla": true, "stablehlo": true, "hlo": true, "shlo": true}

// goxlaPluginNames are the names a CPU plugin has in GoMLX's folders: the search of xla:cpu takes these.
var goxlaPluginNames = []string{"pjrt_c_api_cpu_plugin.so", "pjrt_plugin_cpu.so", "pjrt-plugin-cpu.so"}

// goxlaDirs are the folders that GoMLX's installer puts its plugins in, $HOME/.local/lib/go-xla and
// /usr/local/lib/go-xla, or those that $PJRT_PLUGIN_LIBRARY_PATH lists in their place, as GoMLX does.
// Not the system's library folders, which GoMLX searches too: a plugin is installed into these.
func goxlaDirs() []string {
	if list, ok := os.LookupEnv("PJRT_PLUGIN_LIBRARY_PATH"); ok {
		var dirs []string
		for _, dir := range filepath.SplitList(list) {
			if filepath.IsAbs(dir) {
				dirs = append(dirs, dir)
			}
		}
		return dirs
	}
	var dirs []string
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local", "lib", "go-xla"))
	}
	return append(dirs, "/usr/local/lib/go-xla")
}

// goxlaPlugin is the CPU plugin in the first of dirs that holds one where no other user can change it
// (securePath), by its own path, and the name it was found by; refused says why one found was not taken.
func goxlaPlugin(dirs []string) (path, found string, refused error) {
	for _, dir := range dirs {
		for _, name := range goxlaPluginNames {
			p := filepath.Join(dir, name)
			if _, err := os.Lstat(p); err != nil {
				continue
			}
			real, err := securePath(p)
			if err != nil {
				if refused == nil {
					refused = fmt.Errorf("GoMLX's CPU plugin %s is not used: %w: install it afresh, into a folder only you can write", p, err)
				}
				continue
			}
			return real, p, nil
		}
	}
	return "", "", refused
}

// PluginPathError refuses a plugin's path holding a comma: GoMLX reads its backend setting up to the
// first comma as the plugin's path, the rest as options, so the file checked was not the one opened (a
// FIFO named by the part before the comma hung every command, and a text file there was loaded;
// thirty-first probe).
func PluginPathError(path string) error {
	if strings.Contains(path, ",") {
		return errors.New("its path holds a comma, and GoMLX reads a plugin's path only up to its first comma")
	}
	return nil
}

// xlaConfig is the backend configuration for a PJRT plugin given by path. CPU plugins share host
// memory with Go, which GoMLX only assumes for a plugin named "cpu": say so explicitly for a CPU
// plugin file. A GPU plugin (CUDA's is xla_cuda_plugin.so) keeps its buffers on the device.
func xlaConfig(pluginPath string) string {
	if strings.Contains(strings.ToLower(filepath.Base(pluginPath)), "cpu") {
		return "xla:" + pluginPath + ",shared_buffers"
	}
	return "xla:" + pluginPath
}

// NewBackend creates the backend chosen by ChooseBackend. Its error says which configuration failed
// and which command installs the plugin.
func NewBackend() (backends.Backend, error) {
	choice, err := ChooseBackend()
	if err != nil {
		return nil, err
	}
	return newBackendWithConfig(choice)
}

// MustNewBackend is NewBackend for programs and notebooks that cannot go on without a backend.
func MustNewBackend() backends.Backend {
	b, err := NewBackend()
	if err != nil {
		panic(err)
	}
	return b
}

func newBackendWithConfig(choice BackendChoice) (b backends.Backend, err error) {
	// Never download a plugin (GoMLX would fetch one from GitHub when none is found): the project
	// installs its own from PyPI, and a missing one is an error that says how.
	xla.EnableAutoInstall(false)
	// go-xla takes a plugin for CUDA by the words in its path, and then, unless these checks are off,
	// warns to install JAX or sets $XLA_FLAGS to a folder in one of its authors' homes
	// (/home/janpf/.local/lib/go-xla/nvidia), where XLA would look for ptxas: another account's on a
	// machine that has one (forty-first probe). Off, unless the user asks for them.
	if _, set := os.LookupEnv("GOPJRT_CUDA_CHECKS"); !set {
		os.Setenv("GOPJRT_CUDA_CHECKS", "0")
	}
	hint := fmt.Sprintf("run `%s` to install the XLA CPU plugin", SetupHint())
	switch choice.Source { // the user's own choices: installing the plugin would not change them
	case "$" + EnvBackend:
		// Not "e.g. xla:cpu": that asks for GoMLX's own search, which loads a plugin whoever owns it.
		hint = fmt.Sprintf("set $%s to a backend that GoMLX has (e.g. xla:/abs/path/to/plugin.so, or go), or unset it to use the project's plugin", EnvBackend)
	case "$" + EnvPlugin:
		hint = fmt.Sprintf("set $%s to a PJRT plugin file, or unset it to use the one that `%s` installs", EnvPlugin, SetupHint())
	}
	defer func() { // GoMLX panics on an unknown backend name.
		if r := recover(); r != nil {
			err = fmt.Errorf("backend %q (from %s): %v; %s", choice.Config, choice.Source, r, hint)
		}
	}()
	if err := checkXLAFlagPaths(os.Getenv("XLA_FLAGS")); err != nil {
		return nil, err
	}
	if err := checkPluginEnvironment(); err != nil {
		return nil, err
	}
	b, err = backends.NewWithConfig(choice.Config)
	if err != nil {
		return nil, fmt.Errorf("backend %q (from %s) could not be loaded: %w; %s", choice.Config, choice.Source, err, hint)
	}
	return b, nil
}

// findProjectPlugin looks for the plugin installed by `make setup` in the .venv of the clone of this
// project that holds the working directory wd (a checkout, or a notebook inside it), then of the clone
// whose ddpm/ folder is source (a program built from the checkout but run elsewhere). Only a clone's
// own .venv, and only a regular file: every .venv from the working directory up to / was tried, so
// a file planted in /tmp/.venv was loaded by anyone who ran ddpm under /tmp, and a FIFO there hung
// every command (thirtieth probe). And only where no other user can change what is loaded
// (securePath): a go.mod, Makefile and .venv planted in /tmp made a clone (thirty-second probe); then
// a link to a root's go.mod there, a plugin link swapped while it was checked, and another user's files
// at the path of a build checkout that was gone had their plugin loaded by root (thirty-third probe).
// The path returned is the plugin's own, links resolved; refused says why one found was not taken.
func findProjectPlugin(wd, source string) (path string, refused error) {
	var clones []string
	clone, refused := findClone(wd)
	if clone != "" {
		clones = append(clones, clone)
	}
	if source != "" { // the build's own root, not a folder above it
		ok, err := isClone(filepath.Dir(source))
		if ok {
			clones = append(clones, filepath.Dir(source))
		} else if refused == nil {
			refused = err
		}
	}
	for _, clone := range clones {
		p, ok := newestMatch(clone, pluginGlob)
		if !ok {
			// A .venv that cannot be read (a loop of links) is said, not taken for none (thirty-fifth probe's nit).
			if _, err := os.Stat(filepath.Join(clone, ".venv")); err != nil && !errors.Is(err, fs.ErrNotExist) && refused == nil {
				refused = fmt.Errorf("the clone's .venv cannot be read: %w: remove %s and run `%s` there", err, filepath.Join(clone, ".venv"), SetupCommand)
			}
			continue
		}
		real, err := securePath(p)
		if err != nil {
			// `make setup` alone keeps a .venv that is there (thirty-seventh probe).
			refused = fmt.Errorf("the project's plugin %s is not used: %w: remove %s and run `%s` there to install it afresh",
				p, err, filepath.Join(clone, ".venv"), SetupCommand)
			continue
		}
		return real, nil
	}
	return "", refused
}

// newestMatch is the file in dir matching pattern (GlobIn) under the newest Python, if any (a venv
// usually holds one python3.x): by name, python3.9 came after python3.11 (twenty-seventh probe's nit).
func newestMatch(dir, pattern string) (string, bool) {
	matches, _ := GlobIn(dir, pattern)
	if len(matches) == 0 {
		return "", false
	}
	sort.Slice(matches, func(i, j int) bool {
		if a, b := pythonMinor(matches[i]), pythonMinor(matches[j]); a != b {
			return a < b
		}
		return matches[i] < matches[j]
	})
	return matches[len(matches)-1], true
}

// pythonMinor is x of the path's python3.x folder, or -1.
func pythonMinor(path string) int {
	for _, part := range strings.Split(filepath.ToSlash(path), "/") {
		if minor, ok := strings.CutPrefix(part, "python3."); ok {
			if x, err := strconv.Atoi(minor); err == nil {
				return x
			}
		}
	}
	return -1
}

// CheckTrainingBackend refuses to train on GoMLX's pure-Go backend: it lacks an operation that the
// gradients use (Reverse, GoMLX v0.26), so the first step failed after start-up with GoMLX's message and
// a summary of NaN (eighth probe). Sampling and the bound run on it.
func CheckTrainingBackend(backend backends.Backend) error {
	if backend.String() == simplego.BackendName {
		return fmt.Errorf("training needs the XLA backend: GoMLX's pure-Go backend ($%s=%s) lacks an operation that the gradients use "+
			"(Reverse); unset $%s (the XLA plugin is installed by `%s`)", EnvBackend, os.Getenv(EnvBackend), EnvBackend, UserSetupCommand)
	}
	return nil
}

// xlaSpaces are the characters at which XLA splits $XLA_FLAGS (parse_flags_from_env.cc).
const xlaSpaces = " \t\r\n"

// checkXLAFlagPaths refuses a file or folder named in $XLA_FLAGS (XLA's dumps, its caches, the CUDA
// folder it runs ptxas from, the profiles and results it loads) that another user could change or add
// to: XLA writes and reads there as this user, by names fixed from run to run, and a link of another
// user's in a dump folder of theirs had root write a dump over a file of root's (fifty-sixth probe).
//
// What XLA would read otherwise than this check is refused (fifty-seventh probe): a $XLA_FLAGS that is
// not a list of flags names a file of them, which XLA reads; quotes let a value hold a space, which
// this check split; a comma was read here as a list and by XLA as one name; and "sponge" or
// "test_undeclared_outputs_dir" dump into $TEST_UNDECLARED_OUTPUTS_DIR, which is checked then.
// --xla_backend_extra_options is refused: it passes options to the plugin's LLVM, whose
// -ir-dump-directory had root write IR through another user's link over a file of root's (sixty-sixth
// probe), and whose other options name files and programs that ddpm cannot check.
func checkXLAFlagPaths(flags string) error {
	// XLA splits the flags at " \t\r\n" alone, and takes them for a file's name where the first other
	// character is not "-": a \v or a non-breaking space, which Go's TrimSpace and Fields take for spaces,
	// hid a dump folder of another user's inside a word, or made flags of a file name (sixty-ninth probe).
	if i := strings.IndexFunc(flags, func(r rune) bool {
		return !strings.ContainsRune(xlaSpaces, r) && (unicode.IsSpace(r) || unicode.IsControl(r))
	}); i >= 0 {
		r, _ := utf8.DecodeRuneInString(flags[i:])
		return fmt.Errorf("$XLA_FLAGS=%q holds %q, which XLA does not take for a space where ddpm's check would: separate the flags with spaces", flags, r)
	}
	if trimmed := strings.TrimLeft(flags, xlaSpaces); trimmed != "" && !strings.HasPrefix(trimmed, "-") {
		return fmt.Errorf("$XLA_FLAGS=%q names a file of flags, which XLA reads and ddpm does not check: give the flags themselves", flags)
	}
	if strings.ContainsAny(flags, `"'`) {
		return fmt.Errorf("$XLA_FLAGS=%q holds quotes, which XLA reads otherwise than ddpm's check of its paths: write the flags without them", flags)
	}
	for _, word := range strings.FieldsFunc(flags, func(r rune) bool { return strings.ContainsRune(xlaSpaces, r) }) {
		name, value, ok := strings.Cut(strings.TrimLeft(word, "-"), "=")
		if name == "xla_backend_extra_options" && value != "" {
			return fmt.Errorf("$XLA_FLAGS: --%s=%s passes options to the XLA plugin's LLVM, which write and run files by names ddpm cannot check "+
				"(-ir-dump-directory, -info-output-file, -view-*): leave the flag out", name, value)
		}
		if !ok || !xlaPathFlag(name) || value == "" || value == "-" { // -: standard output
			continue
		}
		// XLA's names for Bazel's test output folder, in any case, as XLA lowercases them: "SPONGE" was
		// checked as a folder of that name, and XLA dumped into another user's (eighty-seventh probe).
		// ASCII only, as XLA lowers them: Go's EqualFold took "ſponge" (a long s) for "sponge", which XLA
		// reads as a folder of that name, unchecked (eighty-eighth probe).
		if lower := asciiLower(value); lower == "sponge" || lower == "test_undeclared_outputs_dir" {
			if value = os.Getenv("TEST_UNDECLARED_OUTPUTS_DIR"); value == "" {
				continue
			}
		}
		if strings.Contains(value, ",") {
			return fmt.Errorf("$XLA_FLAGS: --%s=%s: a comma in a path, which XLA may read as one name or as a list: name a folder without one", name, value)
		}
		if xlaURL.MatchString(value) {
			return fmt.Errorf("$XLA_FLAGS: --%s=%s: a URL, which XLA opens where it leads (file:///x as /x) and ddpm would check as a relative name: name a plain path", name, value)
		}
		var err error
		if info, serr := os.Stat(value); serr == nil && !info.IsDir() {
			if err = trust.CheckRead(value); err == nil {
				err = trust.CheckOwnFolder(trust.Parent(value)) // not filepath.Dir, which took "a/l/../f" for a's (seventy-seventh probe)
			}
		} else {
			// What it holds too: another user's link under a dump's name had root write over a file of
			// root's (seventy-ninth probe).
			err = trust.CheckOwnFolderAndTree(value)
		}
		if err != nil {
			return fmt.Errorf("$XLA_FLAGS: --%s=%s: XLA writes or reads files there under names fixed from run to run, and %w: "+
				"name a folder of your own (make it first: one that another user could make is refused too), or leave the flag out",
				name, value, err)
		}
	}
	return nil
}

// asciiLower is s with A–Z lowered and every other byte kept, as absl::AsciiStrToLower does.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// xlaURL is a value that XLA's file system layer reads as a URL (a scheme, then "://"): "file:///their"
// was checked as the relative name file:/their and written by XLA in /their (eighty-fifth probe).
var xlaURL = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// pluginLibraryVars name libraries that the XLA plugin's LLVM loads into the process when it compiles
// (Intel's JIT profiling API, for VTune).
var pluginLibraryVars = []string{"INTEL_JIT_PROFILER64", "INTEL_JIT_PROFILER32", "INTEL_LIBITTNOTIFY64", "INTEL_LIBITTNOTIFY32"}

// oneDNNWriteVars make the oneDNN library inside the XLA plugin write its JIT code to files whose names
// it fixes (dnnl_dump_cpu_*.bin in the working folder; /tmp/perf-PID.map; jit-PID.dump under
// $JITDUMPDIR or ~/.debug), opened without O_NOFOLLOW after an lstat: another user's link, swapped in
// between, had root write JIT code over a file of root's (sixty-fifth probe). "0" is off.
var oneDNNWriteVars = []string{"ONEDNN_JIT_DUMP", "DNNL_JIT_DUMP", "ONEDNN_JIT_PROFILE", "DNNL_JIT_PROFILE"}

// checkPluginEnvironment refuses what the plugin and go-xla read from the environment beside
// $XLA_FLAGS that ddpm cannot check, or that names a file another user could change (sixty-fourth
// probe): $XLA_DEBUG_OPTIONS, go-xla's debug options of every compile, whose xla_dump_to had root
// write a dump through another user's link over a file of root's; oneDNNWriteVars; and a library named
// in pluginLibraryVars, which ran another user's code as root at the first compile. The library
// checked is the library loaded: the variable is set to the path its links resolve to.
func checkPluginEnvironment() error {
	if err := CheckLibraryPath(); err != nil {
		return err
	}
	// glibc's profiling of the library $LD_PROFILE names, loaded with the plugin, writes (and trusts) a
	// file at a fixed name in $LD_PROFILE_OUTPUT or the sticky /var/tmp: another user's file there took
	// root's profile, and its crafted content crashed the plugin's load (seventy-sixth probe).
	if v := os.Getenv("LD_PROFILE"); v != "" {
		return fmt.Errorf("$LD_PROFILE=%s: glibc would profile that library into a file of a fixed name in $LD_PROFILE_OUTPUT or /var/tmp, which another "+
			"user could make first, and read back what is in it; unset $LD_PROFILE", v)
	}
	if v := os.Getenv("XLA_DEBUG_OPTIONS"); v != "" {
		return fmt.Errorf("$XLA_DEBUG_OPTIONS is set: go-xla compiles every graph with those debug options in place of XLA's " +
			"defaults (with xla_dump_to alone, the first compile fails), and ddpm cannot check the files they name; unset it, " +
			"and give XLA's flags in $XLA_FLAGS, whose paths ddpm checks")
	}
	for _, name := range oneDNNWriteVars {
		if v := os.Getenv(name); v != "" && v != "0" {
			return fmt.Errorf("$%s=%s: the XLA plugin's oneDNN would write its JIT code to files whose names it fixes, following a "+
				"link that another user could put there, and ddpm cannot check them; unset it (or set it to 0)", name, v)
		}
	}
	for _, name := range pluginLibraryVars {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		resolved, err := trust.SecureFile(v)
		if err != nil {
			return fmt.Errorf("$%s=%s names a library that the XLA plugin loads into this process when it compiles, and %w: "+
				"name a library that no other user can change, or unset it", name, v, err)
		}
		if err := os.Setenv(name, resolved); err != nil {
			return fmt.Errorf("$%s: %w", name, err)
		}
	}
	return nil
}

// loaderNameTwice is a variable of the dynamic loader's or glibc's (LD_*, GLIBC_*) that the process's
// environment holds twice, or "": Go reads each name's first copy and the loader its last, and a
// second $LD_LIBRARY_PATH, past the check of the first, had root load another user's librt
// (seventy-ninth probe). /proc/self/environ is the environment as the process was started.
func loaderNameTwice() string {
	raw, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		return "" // no /proc: nothing to compare
	}
	seen := map[string]bool{}
	for _, entry := range strings.Split(string(raw), "\x00") {
		name, _, _ := strings.Cut(entry, "=")
		if strings.HasPrefix(name, "LD_") || strings.HasPrefix(name, "GLIBC_") {
			if seen[name] {
				return name
			}
			seen[name] = true
		}
	}
	return ""
}

// CheckLibraryPath refuses a $LD_LIBRARY_PATH whose folders another user could add a library to: the
// dynamic loader searches them first for every library loaded after the program started, as the XLA
// plugin's (libstdc++, libm, librt…) and those of setup's Python and pip, which ddpm, started with libc
// alone, did not need. Another user's folder named there, or an empty element (the working folder,
// in a sticky /tmp), had root load their librt (seventy-fifth probe). Elements are parted at ':' and
// ';', as glibc parts them; one with a '$' (the loader's $ORIGIN and others) cannot be checked.
func CheckLibraryPath() error {
	if name := loaderNameTwice(); name != "" {
		return fmt.Errorf("the environment holds $%s twice: ddpm reads the first and the dynamic loader the last, so the one checked here is not the one "+
			"used; give it once", name)
	}
	list := os.Getenv("LD_LIBRARY_PATH")
	if list == "" {
		return nil // unset or empty: the loader searches no folder of it
	}
	for _, dir := range strings.Split(strings.ReplaceAll(list, ";", ":"), ":") {
		if dir == "" {
			return fmt.Errorf("$LD_LIBRARY_PATH=%s has an empty element, which the dynamic loader takes for the working folder, searched first for the "+
				"libraries that the XLA plugin and setup's Python load: remove it, or unset $LD_LIBRARY_PATH", list)
		}
		// Through /proc/self/cwd, setup's Python (run from /) loaded another user's libraries past the
		// check, made from ddpm's own working folder (seventy-seventh probe).
		if trust.PerProcess(dir) {
			return fmt.Errorf("$LD_LIBRARY_PATH=%s: %q leads through /proc or /dev/fd, where setup's Python, run from another folder, would reach other "+
				"folders than the ones checked here: name the folders themselves", list, dir)
		}
		if !filepath.IsAbs(dir) || strings.Contains(dir, "$") {
			return fmt.Errorf("$LD_LIBRARY_PATH=%s: %q is not an absolute folder, and the dynamic loader would search it (from the working folder) for the "+
				"libraries that the XLA plugin and setup's Python load: remove it, or unset $LD_LIBRARY_PATH", list, dir)
		}
		if err := trust.CheckOwnFolder(dir); err != nil {
			return fmt.Errorf("$LD_LIBRARY_PATH: %s, where the dynamic loader looks first for the libraries that the XLA plugin and setup's Python load, "+
				"%w: name only folders that no other user can change, or unset $LD_LIBRARY_PATH", dir, err)
		}
		// And what is in it, at any depth: the loader searches its subfolders first (glibc-hwcaps/x86-64-v3,
		// tls, x86_64…), and one of another user's inside root's folder had root load their librt
		// (seventy-sixth probe); a library of theirs there is loaded as well.
		if _, err := os.Stat(dir); err == nil {
			if err := trust.CheckOwnTree(dir); err != nil {
				return fmt.Errorf("$LD_LIBRARY_PATH: %s, whose subfolders and files the dynamic loader searches for the libraries that the XLA plugin and "+
					"setup's Python load, holds what another user can change: %w; name only folders whose whole content is yours or root's, or unset $LD_LIBRARY_PATH", dir, err)
			}
		}
	}
	return nil
}

// xlaPathFlag says whether an XLA flag (xla_dump_to, xla_gpu_cuda_data_dir, xla_gpu_kernel_cache_file,
// xla_gpu_load_autotune_results_from, …) takes a file or folder, by its name's ending.
func xlaPathFlag(name string) bool {
	for _, end := range []string{"_to", "_dir", "_file", "_files", "_from", "_path", "_filename", "_directory"} {
		if strings.HasSuffix(name, end) {
			return true
		}
	}
	return false
}

// GlobIn is filepath.Glob of pattern in the folder dir, whose own name is taken as written: "[", "*",
// "?" and "\\" in it were patterns, and a clone at c[1] loaded the plugin of the clone c1, a cache at
// c[1] the plugin of c1's setup (seventieth probe). The folder is spelled as filepath.Join spells it
// ("" the working folder, "d/" and "d/." as d) and escaped byte by byte: a name that is not UTF-8 was
// rewritten rune by rune, and nothing in it was found (seventy-first probe).
func GlobIn(dir, pattern string) ([]string, error) {
	dir = filepath.Clean(dir) // "." for ""
	var literal strings.Builder
	for i := 0; i < len(dir); i++ {
		if strings.IndexByte(`*?[\`, dir[i]) >= 0 {
			literal.WriteByte('\\')
		}
		literal.WriteByte(dir[i])
	}
	return filepath.Glob(literal.String() + string(filepath.Separator) + pattern)
}
