package data

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/learn-ddpm/ddpm-go/internal/inflight"
	"github.com/learn-ddpm/ddpm-go/internal/procgroup"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// The go command finds MNIST in the Go module cache, and downloads it there. Run as root, it ran
// another user's programs and wrote where they chose through whatever it read that they could change:
// their $HOME's go and git settings (forty-seventh probe), a go command or module cache of theirs
// (forty-eighth), $GOROOT/go.env, git's configuration, $NETRC and $TMPDIR (fiftieth), and $GOPATH's
// checksum database, the env file's GOROOT, relative paths read from its own folder, git's GIT_*
// variables, $BASH_ENV through a go that is a shell script, folders below a module cache of one's own,
// its telemetry folder and $SSL_CERT_FILE (fifty-first). So it is given an environment made of what it
// needs (goVars), each path in it absolute and held to the rules of internal/trust, a configuration
// folder of its own for each run (telemetry off), the user's go env file named by $GOENV, and $GOROOT
// set to the installation it names, once checked.

// goEnvTimeout and goDownloadTimeout bound the go command: one that hangs must not hang every command
// that reads MNIST (a download of the module, 11 MB, takes seconds). A test shortens them.
var goEnvTimeout, goDownloadTimeout = 30 * time.Second, 5 * time.Minute

// goVars are the user's variables that the go command is given as they are: where the module cache is,
// which proxy and checksum database serve it (and how: GOAUTH, $NETRC), the network's proxies and
// certificates. Every other variable is left out ($GIT_CONFIG_GLOBAL, $GIT_EXEC_PATH, $BASH_ENV ran
// another user's programs). Tests add their own.
var goVars = []string{"HOME", "GOROOT", "GOPATH", "GOMODCACHE", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE",
	"GOVCS", "GOAUTH", "NETRC", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "SSH_AUTH_SOCK",
	"http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"}

// goPaths are the variables of goVars (and $GOENV) that name paths, read by the go command from its own
// folder: each must be absolute, without . or .. (a relative $GOENV, $HOME or $GOROOT was checked from
// the working folder and read from the go command's, beside /tmp; fifty-first probe). A slash at the end
// is the same folder (it was refused, as /home/u/ of a passwd entry is; fifty-second probe). $TMPDIR
// too: the go command read the configuration folder ddpm made there from /, and a $TMPDIR through
// /proc/self/cwd had it write its telemetry into another user's folder (eighty-second probe).
var goPaths = []string{"HOME", "GOENV", "GOROOT", "GOPATH", "GOMODCACHE", "NETRC", "SSL_CERT_FILE", "SSL_CERT_DIR", "TMPDIR"}

// goRead is a file (or a folder, where file is false) that the go command reads, and what names it.
type goRead struct {
	name, path string
	file       bool
	fix        string // what to do where it is refused; "" for the usual (run as oneself)
	tree       bool   // a folder whose every file is read (certificates), held to the rules whole
}

// goCommand is the go command to run, and the environment it runs in (less its configuration folder,
// which each run makes).
type goCommand struct {
	path string
	env  []string
}

// findGoCommand is the go command found in $PATH, after refusing to run it with anything another user
// could change: the command itself and its folder, $HOME, the go env file ($GOENV, or the user's
// configuration folder's), git's configuration in $HOME, $NETRC and the certificates, held to the rules
// of internal/trust. Its GOROOT is checked once it names it (checkRoot).
func findGoCommand() (*goCommand, error) {
	real, err := trustedGo()
	if err != nil {
		return nil, err
	}
	if err := checkGoPaths(); err != nil {
		return nil, err
	}
	goenv, envFile := goEnvFile()
	if trust.PerProcess(goenv) { // from $XDG_CONFIG_HOME, which checkGoPaths does not see
		return nil, fmt.Errorf("MNIST: the go command would read its env file %s through /proc or /dev/fd, from another working folder than this one: set $XDG_CONFIG_HOME or $GOENV to a path without them", goenv)
	}
	if err := checkReads(userReads(envFile)); err != nil {
		return nil, err
	}
	for _, config := range gitConfigFiles(os.Getenv("HOME")) {
		if err := checkGitConfig(config, os.Getenv("HOME"), 0); err != nil {
			return nil, fmt.Errorf("MNIST: the go command's %w; run as yourself with your own $HOME (sudo -H), or set $%s to a folder with the MNIST files", err, EnvMNISTDir)
		}
	}
	// The settings the env file gives that matter before the go command runs: a GOROOT there (or in
	// $GOROOT) is checked before the first run, which reads its go.env (a FIFO of another user's there
	// held every command for 30 s, blamed on the go command; fifty-third probe), and a -modcacherw in its
	// GOFLAGS is kept (it was dropped: the GOFLAGS given below wins over the file's).
	// Both where set: the go command takes the file's GOROOT for its go.env and reports $GOROOT (another
	// user's go.env, named by the file while $GOROOT was root's, ran its GOAUTH as root; fifty-fourth probe).
	settings := envFileSettings(goenv)
	fileRoot, fileFlags := settings["GOROOT"], settings["GOFLAGS"]
	if err := checkAuthAndProxy("$", os.Getenv("GOAUTH"), os.Getenv("GOPROXY")); err != nil {
		return nil, err
	}
	if err := checkAuthAndProxy(goenv+"'s ", settings["GOAUTH"], settings["GOPROXY"]); err != nil {
		return nil, err
	}
	for _, root := range []string{os.Getenv("GOROOT"), fileRoot} {
		if root == "" {
			continue
		}
		if err := checkRootReads(root, rootFix); err != nil {
			return nil, err
		}
	}
	// Where neither names one, the installation it takes from its own path is checked before the first
	// run too: its go.env, another user's FIFO in a sticky installation folder, held every command for
	// 30 s, and was read before checkRoot refused the folder (ninety-third probe).
	if root := impliedRoot(real); os.Getenv("GOROOT") == "" && fileRoot == "" && root != "" {
		if err := checkRootReads(root, "use a go installed where only you or root can write, or set $GOROOT to such an installation"); err != nil {
			return nil, err
		}
	}
	// The programs it may run (git) are found in its own folder and the system's, not in the user's
	// $PATH, where a folder of another user's would choose them (forty-eighth probe). The toolchain is
	// the one installed, and no go.work or GOFLAGS of the user's applies but -modcacherw (a cache the
	// user keeps writable).
	flags := "-mod=mod"
	if slices.ContainsFunc(strings.Fields(cmp.Or(os.Getenv("GOFLAGS"), fileFlags)), modCacheRW) {
		flags += " -modcacherw"
	}
	// Its git (GOPROXY=direct) reads no configuration of the user's or the system's: git read a .gitconfig
	// otherwise than the include check below (a byte-order mark, two sections on one line, a value
	// continued), and ran another user's hooks (core.hooksPath) and included commands as root (seventieth
	// probe). A git older than 2.32 ignores GIT_CONFIG_GLOBAL, and is left to those checks.
	env := []string{"PATH=" + filepath.Dir(real) + ":/usr/bin:/bin", "GOENV=" + goenv, "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=" + flags,
		"GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_CONFIG_NOSYSTEM=1"}
	for _, name := range goVars {
		if value, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+value)
		}
	}
	return &goCommand{path: real, env: env}, nil
}

// impliedRoot is the GOROOT that the go command at real takes where neither $GOROOT nor its env file
// names one: the folder two or three above it that holds pkg/tool, as cmd/go's findGOROOT looks (real
// is resolved, as its os.Executable is). "" where none does: it then takes the one built into it, if
// any, which its first run reports and checkRoot holds to the rules before the next.
func impliedRoot(real string) string {
	for _, dir := range []string{filepath.Join(real, "..", ".."), filepath.Join(real, "..", "..", "..")} {
		if st, err := os.Stat(filepath.Join(dir, "pkg", "tool")); err == nil && st.IsDir() {
			return dir
		}
	}
	return ""
}

// goScripts lets a script stand for the go command: the tests' fake go commands are shell scripts.
var goScripts = false

// trustedGo is the go command found in $PATH, its links resolved, once it and its folder are checked.
// A script is passed over for the next go in $PATH, and refused where there is none: a version
// manager's shim (goenv's, asdf's) reads hook files from fixed folders and version files before any go
// runs, as pyenv's shim did for Python (sixty-eighth and sixty-ninth probes).
func trustedGo() (string, error) {
	hint := fmt.Sprintf("run as yourself with your own $HOME (sudo -H), or set $%s to a folder with the MNIST files", EnvMNISTDir)
	look := trust.LookPastScripts
	if goScripts {
		look = exec.LookPath
	}
	found, err := look("go")
	if err != nil {
		return "", fmt.Errorf("MNIST: the go command, which finds MNIST in the Go module cache, is not in $PATH (%v): install Go, or set $%s to a folder with the MNIST files", err, EnvMNISTDir)
	}
	real, err := trust.SecureFile(found)
	if err == nil {
		err = trust.CheckOwnFolder(filepath.Dir(real))
	}
	if err == nil && strings.ContainsRune(filepath.Dir(real), os.PathListSeparator) { // it would split the $PATH it is given (fifty-second probe's nit)
		err = fmt.Errorf("its folder's name holds %q, which would split the $PATH it is given", os.PathListSeparator)
	}
	if err == nil && !goScripts && trust.IsScript(real) {
		hint = fmt.Sprintf("put the go of an installation first in $PATH (goenv's: \"$(goenv root)/versions/<version>/bin\"), or set $%s to a folder with the MNIST files", EnvMNISTDir)
		err = fmt.Errorf("it is a script (%s), which runs other programs and reads other files before any go starts (a version manager's shim reads hook and version files)", real)
	}
	if err != nil {
		return "", fmt.Errorf("MNIST: the go command %s is not run: %w; %s", found, err, hint)
	}
	return real, nil
}

// checkGoPaths refuses a path variable the go command is given that could name another file for it
// than for this process: it runs in a folder of its own, and through /proc/self/cwd, from /, it read
// another user's env file under / and ran its GOAUTH as root (seventy-seventh probe).
func checkGoPaths() error {
	for _, name := range goPaths {
		for _, path := range filepath.SplitList(os.Getenv(name)) {
			if path != "" && !(name == "GOENV" && path == "off") && !trust.OneFileForAll(path) {
				return fmt.Errorf("MNIST: $%s=%q: the go command runs in a folder of its own, where a path that is not absolute, or holds ., .. or //, names another file than the one checked here: give an absolute path without them (and not through /proc or /dev/fd), or unset it",
					name, os.Getenv(name))
			}
		}
	}
	return nil
}

// goEnvFile is the env file the go command reads, and how a refusal names it: $GOENV, or go/env in the
// user's configuration folder, which the go command finds as os.UserConfigDir does (none for a
// relative $XDG_CONFIG_HOME), or "off".
func goEnvFile() (string, goRead) {
	goenv := os.Getenv("GOENV")
	if config, err := os.UserConfigDir(); goenv == "" && err == nil {
		goenv = filepath.Join(config, "go", "env")
	}
	if goenv == "" {
		goenv = "off"
	}
	envFile := goRead{name: "$GOENV", path: goenv, file: true}
	if os.Getenv("GOENV") == "" { // said as "$GOENV", which was not set, with the advice of sudo -H, which keeps $XDG_CONFIG_HOME (fifty-third probe)
		envFile = goRead{name: "its env file ($XDG_CONFIG_HOME/go/env; $GOENV is unset)", path: goenv, file: true,
			fix: "set $GOENV to a file of your own, or to off, or unset $XDG_CONFIG_HOME"}
		if os.Getenv("XDG_CONFIG_HOME") == "" {
			envFile.name, envFile.fix = "its env file ($HOME/.config/go/env; $GOENV is unset)", ""
		}
	}
	return goenv, envFile
}

// userReads are the files and folders of the user's that the go command (and git, which it may run)
// reads: each is checked before the first run.
func userReads(envFile goRead) []goRead {
	home := os.Getenv("HOME")
	reads := []goRead{{name: "$HOME", path: home}, envFile, {name: "$NETRC", path: os.Getenv("NETRC"), file: true},
		{name: "$SSL_CERT_FILE", path: os.Getenv("SSL_CERT_FILE"), file: true}}
	if os.Getenv("NETRC") == "" && home != "" {
		reads = append(reads, goRead{name: "$NETRC", path: filepath.Join(home, ".netrc"), file: true})
	}
	// git's libcurl (GOPROXY=direct, or its fallback) reads $HOME/.netrc whatever $NETRC says: with
	// $NETRC set to root's own file, another user's link at $HOME/.netrc gave root's git their login
	// (hundred-and-second probe).
	if netrc := curlNetrc(); netrc != "" && (os.Getenv("NETRC") != "" || home == "") {
		reads = append(reads, goRead{name: "git's .netrc (libcurl reads it whatever $NETRC says)", path: netrc, file: true})
	}
	// git, with GOPROXY=direct: a .gitconfig of another user's ran their core.sshCommand.
	for _, config := range gitConfigFiles(home) {
		reads = append(reads, goRead{name: "git's configuration", path: config, file: true})
	}
	for _, dir := range filepath.SplitList(os.Getenv("SSL_CERT_DIR")) {
		reads = append(reads, goRead{name: "$SSL_CERT_DIR", path: dir, tree: true}) // another user's certificate there was read (eightieth probe)
	}
	return reads
}

// curlNetrc is the .netrc that libcurl reads: $HOME's where $HOME is set (empty, it reads "/.netrc"),
// else the password database's home of the user.
func curlNetrc() string {
	home, set := os.LookupEnv("HOME")
	if !set {
		u, err := user.Current()
		if err != nil || u.HomeDir == "" {
			return ""
		}
		home = u.HomeDir
	}
	return home + "/.netrc"
}

// envFileSettings reads the settings of the go env file at path (checked already) exactly as the go
// command reads it: lines split at "\n" only, a line taken only where it begins with A to Z, the value
// kept as written (a space or a CR at its end is part of it), the last line of a name winning. A line
// read otherwise than the go command does had one GOROOT checked and another read (fifty-fourth probe).
// None where the file is off or not there.
func envFileSettings(path string) map[string]string {
	settings := map[string]string{}
	if path == "off" {
		return settings
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return settings
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || line[0] < 'A' || line[0] > 'Z' {
			continue
		}
		if name, value, ok := strings.Cut(line, "="); ok {
			settings[name] = value
		}
	}
	return settings
}

// checkAuthAndProxy refuses a GOAUTH or GOPROXY (as where says: "$" or an env file's) that would have
// the go command run or read what another user could change: GOAUTH ran a program of another user's as
// root before each request, and a file:// GOPROXY in another user's folder gave root their "MNIST"
// to train on (with GOSUMDB=off), kept in root's module cache (sixty-seventh probe). GOAUTH's commands
// are read as the go command splits them, and only off and netrc are taken.
func checkAuthAndProxy(where, auth, proxy string) error {
	fail := func(name, value string, err error) error {
		return fmt.Errorf("MNIST: %s%s=%q: %w; unset it for this run, or set $%s to a folder with the MNIST files", where, name, value, err, EnvMNISTDir)
	}
	// Parted as the go command parts it, which takes quotes and fewer kinds of white space than
	// strings.Fields: "sh root's\v/their.sh" was checked as two names and run as one (eighty-third probe).
	if trust.NotPlain(auth, "\t") >= 0 || strings.ContainsAny(auth, "\"'`\\") {
		return fail("GOAUTH", auth, fmt.Errorf("a quote or a character other than printable ASCII: the go command parts it otherwise than ddpm "+
			"can check (eighty-third probe): write the commands without"))
	}
	for _, command := range strings.Split(auth, ";") {
		words := strings.Fields(command)
		switch {
		case len(words) == 0 || len(words) == 1 && (words[0] == "off" || words[0] == "netrc"):
		case words[0] == "off" || words[0] == "netrc":
			return fail("GOAUTH", auth, fmt.Errorf("%s takes no words after it", words[0]))
		case words[0] == "git":
			// git credential fill, in a repository whose configuration names the helpers it runs: they ran
			// another user's code as root, or gave root their credentials, through whatever git reads
			// there that ddpm does not (its folder's files, aliases for helpers' names, a credential
			// store's file and a cache's socket in $HOME; eightieth to eighty-ninth probes).
			return fail("GOAUTH", auth, fmt.Errorf("the go command would run git's credential helpers of %s as you, which run programs and read files "+
				"and sockets that ddpm cannot follow: ddpm takes only off and netrc (MNIST is a public module)", strings.Join(words[1:], " ")))
		default:
			// A program of the user's, refused whatever it is: it runs as the user, with their $HOME and
			// environment, and reads what no check of its words can follow. Seven rounds of probes ran
			// another user's code as root through one (a script as its argument, a module behind "-m" or
			// a joined "-mX", a .pth in $HOME/.local, node's ~/.node_modules, bash -l's ~/.profile, git
			// named by its path with an include and an alias; sixty-seventh to eighty-eighth probes), and
			// ddpm needs none: MNIST is a public module, and a proxy that asks for a login takes netrc.
			return fail("GOAUTH", auth, fmt.Errorf("the go command would run the program %s as you, which reads files ddpm cannot follow "+
				"(an interpreter's modules and start-up files in $HOME, git's includes and aliases): ddpm takes only off and netrc", words[0]))
		}
	}
	for _, entry := range strings.FieldsFunc(proxy, func(r rune) bool { return r == ',' || r == '|' }) {
		u, err := url.Parse(strings.TrimSpace(entry))
		if err != nil || u.Scheme != "file" {
			continue // the go command refuses what it cannot parse
		}
		dir := u.Path
		if !trust.OneFileForAll(dir) {
			return fail("GOPROXY", proxy, fmt.Errorf("the folder of %s %s", entry, notOneForAll))
		}
		if err := trust.CheckOwnFolderAndTree(dir); err != nil {
			return fail("GOPROXY", proxy, fmt.Errorf("the go command would read the modules in %s: %w", dir, err))
		}
	}
	return nil
}

// notOneForAll says why a path is refused where trust.OneFileForAll is false: the go command, and what
// it runs, read it from a folder of their own (from /proc/self/cwd, root's harmless program was checked
// and another user's ran; eighty-second probe).
const notOneForAll = "is no absolute path without ., .. and //, or leads through /proc or /dev/fd, and the go command reads it from a folder of its own, not this one"

// modCacheRW says whether the flag is one of the go command's spellings of -modcacherw.
func modCacheRW(flag string) bool {
	name, value, set := strings.Cut(flag, "=")
	on, err := strconv.ParseBool(value)
	return (name == "-modcacherw" || name == "--modcacherw") && (!set || err == nil && on)
}

// checkReads refuses what the go command reads where another user could change it.
func checkReads(reads []goRead) error {
	for _, v := range reads {
		if v.path == "" || v.path == "off" {
			continue
		}
		check := trust.CheckOwnFolder
		if v.file {
			check = trust.CheckRead
		} else if v.tree {
			check = trust.CheckOwnFolderAndTree
		}
		fix := cmp.Or(v.fix, "run as yourself with your own $HOME (sudo -H)")
		if err := check(v.path); err != nil {
			return fmt.Errorf("MNIST: the go command, which finds MNIST in the Go module cache, would read %s (%s), "+
				"and %w; %s, or set $%s to a folder with the MNIST files", v.name, v.path, err, fix, EnvMNISTDir)
		}
	}
	return nil
}

// checkRoot holds the installation the go command names as its GOROOT, and its go.env, to the trust
// rules, and sets $GOROOT to it for the runs after: a GOROOT in the env file chose another user's
// go.env, whose GOAUTH ran as root (fifty-first probe), and one guessed from the command's path was
// wrong for a wrapper script or a snap's go, which then had no proxy (fifty-second probe).
func (g *goCommand) checkRoot(root string) error {
	if err := checkRootReads(root, rootFix); err != nil {
		return err
	}
	g.env = append(g.env, "GOROOT="+root) // the last of a name is the one the command gets
	return nil
}

// rootFix is the advice for a GOROOT that $GOROOT or the go env file names.
const rootFix = "unset $GOROOT and the GOROOT of the go env file, or name an installation of your own or root's"

// checkRootReads refuses a GOROOT, and its go.env, that another user could change; fix says what to do.
func checkRootReads(root, fix string) error {
	if !trust.OneFileForAll(root) {
		return fmt.Errorf("MNIST: the go command's GOROOT %q %s; set $GOROOT to its installation, or $%s to a folder with the MNIST files", root, notOneForAll, EnvMNISTDir)
	}
	goEnv := filepath.Join(root, "go.env")
	if err := checkReads([]goRead{{name: "its GOROOT", path: root, fix: fix}, {name: "$GOROOT/go.env", path: goEnv, file: true, fix: fix}}); err != nil {
		return err
	}
	settings := envFileSettings(goEnv)
	return checkAuthAndProxy(goEnv+"'s ", settings["GOAUTH"], settings["GOPROXY"])
}

// umaskMu keeps two runs from setting the process's umask at once (one would restore the other's).
var umaskMu sync.Mutex

// tmpdirError is the go command's failure for want of a temporary folder in $TMPDIR: no advice about the
// module cache helps there.
type tmpdirError struct{ error }

func (e tmpdirError) Unwrap() error { return e.error }

// run runs the go command with args and returns its standard output, or an error after timeout.
func (g *goCommand) run(timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// It ends with this process: a stopped command left `go mod download` running, parented to init
	// (fiftieth probe).
	cmd := procgroup.Command(ctx, g.path, args...)
	cmd.Args[0] = "go" // its name, which a dispatcher (a snap's /snap/bin/go links to snap) runs by
	// Run from /, never the working directory: the go command failed in a working directory that was
	// removed (thirty-first probe), followed a go.mod there asking for a newer Go into a toolchain
	// download, and waited on one that was a FIFO (thirty-ninth probe). Nor from a folder in $TMPDIR,
	// beside a go.mod of its own, as it was: a version manager's shim in place of go (asdf, goenv, mise)
	// looks for its version files from the working folder up, and another user may put one in a sticky
	// /tmp that names a go of theirs (sixty-second probe). Outside a module, `go env` and `go mod download
	// module@version` need none.
	// Its configuration (below) is in a folder of its own in a $TMPDIR no other user can change (a sticky
	// one is fine): in one of another user's, they renamed the folder and put back one whose go.mod linked
	// to a file of root's, which was overwritten (fiftieth probe). It must exist: one under a sticky /tmp
	// that did not was made by another user between the check and MkdirTemp, and root wrote through their
	// link (fifty-second probe).
	if info, err := os.Stat(os.TempDir()); err != nil || !info.IsDir() {
		return nil, tmpdirError{fmt.Errorf("a temporary folder for the go command, in %s ($TMPDIR): it is no folder that exists: set $TMPDIR to a folder of your own", os.TempDir())}
	}
	if err := trust.CheckSecureFolder(os.TempDir()); err != nil {
		return nil, tmpdirError{fmt.Errorf("a temporary folder for the go command, in %s ($TMPDIR): %w: set $TMPDIR to a folder of your own", os.TempDir(), err)}
	}
	dir, err := inflight.Make(func() (string, error) { return os.MkdirTemp("", "ddpm-go-") }) // registered as made, for a signal's handler
	if err != nil {
		return nil, tmpdirError{fmt.Errorf("a temporary folder for the go command, in %s ($TMPDIR): %w: set $TMPDIR to a folder you can write", os.TempDir(), err)}
	}
	// Its files' writes fail where $TMPDIR is full: said so, not as the module cache's trouble (a full
	// $TMPDIR was answered with `go mod download`; fifty-ninth probe).
	scratch := func(err error) error {
		return tmpdirError{fmt.Errorf("the go command's temporary folder %s, in $TMPDIR: %w: free some space there, or set $TMPDIR to another folder", dir, err)}
	}
	// Removed when the run is over, or by a signal's handler that ends the process (the deferred removal
	// never ran: a SIGTERM left it in $TMPDIR; fifty-third probe's nit).
	defer func() {
		if inflight.Finish(dir, func() error { return os.RemoveAll(dir) }) != nil {
			inflight.Done(dir)
		}
	}()
	cmd.Dir = "/"
	// A configuration folder of its own, with telemetry off: in the user's, another user's link there
	// made root write its counters where they chose, and a telemetry mode "on" started an uploader that
	// outlived this process (fifty-first probe); left on, its crash monitor, in a session of its own,
	// wrote its counters into this folder after it was removed. Its settings are read from $GOENV's file.
	config := filepath.Join(dir, "config")
	if err := os.MkdirAll(filepath.Join(config, "go", "telemetry"), 0o700); err != nil {
		return nil, scratch(err)
	}
	if err := os.WriteFile(filepath.Join(config, "go", "telemetry", "mode"), []byte("off\n"), 0o600); err != nil {
		return nil, scratch(err)
	}
	cmd.Env = append(slices.Clone(g.env), "XDG_CONFIG_HOME="+config)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// What it makes, no group or other user may write: under umask 002 and a shared primary group, the
	// module cache it made was refused by the check after (fifty-second probe). The umask is the
	// process's: set for the fork only, never looser than the user's meanwhile (077 first), one run at a time.
	umaskMu.Lock()
	umask := syscall.Umask(0o077)
	syscall.Umask(umask | 0o022)
	// Its group, killed whole by a signal's handler (RemoveAll): its children outlived it. Registered as
	// it starts, in one step.
	err = inflight.StartGroup(func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	syscall.Umask(umask)
	umaskMu.Unlock()
	if err == nil {
		err = cmd.Wait()
		inflight.DoneGroup(cmd.Process.Pid)
	}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		err = fmt.Errorf("`go %s` did not answer in %s", strings.Join(args, " "), timeout)
	case errors.As(err, &exit) && len(bytes.TrimSpace(stderr.Bytes())) > 0: // what went wrong, which was dropped
		err = fmt.Errorf("%w: %.300s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), err
}
