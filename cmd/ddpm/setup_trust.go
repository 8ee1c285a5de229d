package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// What `ddpm setup` chooses to run and what its children read must be no other user's to change: the
// rule by which a plugin is loaded (ddpm.CheckSecureFile), applied to the interpreter it finds or is
// given, the venv's, the files pip reads and the folders its children write. The Python installation
// itself (its standard library, libraries and bundled wheels) is trusted as running that Python oneself
// trusts it: whoever can write it owns every Python run from it, and no check setup could run would
// make it safe (the thirty-ninth probe replaced each in turn with bind mounts).

// homeDir is the home that setup's children use: $HOME, or, where it is unset, the password
// database's, where pip found a pip.conf that setup had not checked (thirty-eighth probe).
func homeDir() string {
	if home := os.Getenv("HOME"); home != "" {
		return home
	}
	if u, err := user.Current(); err == nil {
		return u.HomeDir
	}
	return ""
}

// childEnv is the environment of setup's children, made of what they need rather than the user's less
// what is known to steer them: each round of probes found another variable read by a program that
// Python, pip or a launcher runs ($GCONV_PATH loaded another user's module into every Python, a FIFO
// as $TZ hung them, forty-third probe; $_PYTHON_SYSCONFIGDATA_NAME imported a module of the standard
// library that ran $BROWSER, $RUSTUP_TOOLCHAIN chose the rustc that pip asks its version of, and
// $BASH_ENV and $PYENV_VERSION ran another user's code through pyenv's shim, forty-fourth probe). They
// get the variables childVars names, pip's PIP_* (the user's configuration of it), the locale by
// name, $HOME as homeDir, $PATH of the system's folders (systemPath), and $TMPDIR set to tmp where it
// is given (a folder of setup's own: in a $TMPDIR others could write, another user swapped the wheel
// that ensurepip unpacked; thirty-ninth probe).
func childEnv(tmp string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if name, value, _ := strings.Cut(kv, "="); childVar(name, value) {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+systemPath())
	if home := homeDir(); home != "" {
		env = append(env, "HOME="+home)
	}
	if tmp != "" {
		env = append(env, "TMPDIR="+tmp)
	}
	return env
}

// withPath is env with $PATH set to path.
func withPath(env []string, path string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "PATH=") })
	return append(out, "PATH="+path)
}

// childVars are the user's variables that setup's children are given as they are: the proxies pip
// goes through, the files and folders pip and OpenSSL read (each held to the rules of checkPipReads),
// the libraries a Python built elsewhere may need to start (as ddpm itself did, by the same loader),
// and the terminal's kind. Tests add their own.
var childVars = []string{"http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
	"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "NETRC", "OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "LD_LIBRARY_PATH", "TERM", "NO_COLOR"}

// pipVars are the PIP_* variables that setup's pip is given: where and how it downloads (index, local
// wheels, proxy, certificates, timeouts, cache, configuration file) and how it talks; what the index or
// a folder of wheels offers cannot change the wheel, pinned by its digest. pip takes every option of its
// command line from a PIP_<OPTION> variable, and the others change what it installs, where or with which
// Python, or have it write files: $PIP_PYTHON had pip rerun itself under another user's program as
// root, $PIP_LOG and $PIP_REPORT had root write through another user's link (sixty-fifth probe), and
// $PIP_REQUIREMENT or $PIP_TARGET would install other files, or elsewhere.
var pipVars = []string{"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX", "PIP_FIND_LINKS", "PIP_CONSTRAINT", "PIP_ONLY_BINARY",
	"PIP_PREFER_BINARY", "PIP_TRUSTED_HOST", "PIP_CERT", "PIP_CLIENT_CERT",
	"PIP_PROXY", "PIP_TIMEOUT", "PIP_DEFAULT_TIMEOUT", "PIP_RETRIES", "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR", "PIP_CONFIG_FILE",
	"PIP_KEYRING_PROVIDER", "PIP_USE_FEATURE", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_INPUT", "PIP_PROGRESS_BAR", "PIP_NO_COLOR",
	"PIP_VERBOSE", "PIP_QUIET", "PIP_REQUIRE_VIRTUALENV", "PIP_BREAK_SYSTEM_PACKAGES", "PIP_ROOT_USER_ACTION", "PIP_NO_PYTHON_VERSION_WARNING"}

// checkPipVars refuses, by name and before any work, a PIP_* variable set to a value that setup does not
// give pip (pipVars): left out in silence, it would not do what the user set it for.
func checkPipVars() error {
	for _, kv := range os.Environ() {
		if name, value, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "PIP_") && value != "" && !slices.Contains(pipVars, name) {
			return fmt.Errorf("$%s is set: setup gives pip only the variables of where and how it downloads (%s): pip's others change "+
				"what it installs, where or with which Python, or have it write files; unset it, and run the setup again (%s, or make setup in a clone)", name, strings.Join(givenVars(), ", "), ddpm.UserSetupCommand)
		}
	}
	return nil
}

// givenVars are the pip variables setup gives pip: pipVars but $PIP_CONSTRAINT, which it names only to
// refuse (it was listed as given; eighty-third probe's nit).
func givenVars() []string {
	return slices.DeleteFunc(slices.Clone(pipVars), func(name string) bool { return name == "PIP_CONSTRAINT" })
}

// childVar says whether setup's children are given the user's variable name=value (childEnv): one of
// childVars or pipVars, or the locale, by name only (glibc reads a locale named by a path,
// LANG=/some/folder, from that folder rather than from the system's locales).
func childVar(name, value string) bool {
	switch {
	case slices.Contains(childVars, name), slices.Contains(pipVars, name):
		return true
	case name == "LANG" || name == "LANGUAGE" || strings.HasPrefix(name, "LC_"):
		return !strings.Contains(value, "/")
	}
	return false
}

// systemPath is the children's $PATH: the system's folders, those of them that no other user can
// write or make. The user's $PATH led them to other users' programs (pip runs lsb_release, and another
// user's in a group-writable folder ran as root, forty-first probe; a sticky /tmp in it, forty-second),
// and to root's own rustup, which ran the toolchain another user's $RUSTUP_TOOLCHAIN named (forty-fourth).
// Nothing setup needs is looked up there: the interpreter is run by its path, and pip and ensurepip by it.
func systemPath() string {
	var kept []string
	for _, dir := range []string{"/usr/bin", "/bin"} {
		if trust.CheckOwnFolder(dir) == nil {
			kept = append(kept, dir)
		}
	}
	return strings.Join(kept, string(os.PathListSeparator))
}

// expandUser is path as Python's os.path.expanduser reads it, which pip applies to $XDG_CONFIG_DIRS and
// requests to $NETRC: a ~ of another user's home was read unchecked (thirty-ninth probe).
func expandUser(path, home string) string {
	if !strings.HasPrefix(path, "~") {
		return path
	}
	name, _, _ := strings.Cut(path[1:], "/")
	dir := home
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			return path
		}
		dir = u.HomeDir
	}
	if dir == "" {
		return path
	}
	// Joined as Python's expanduser joins them, as text with nothing tidied: filepath.Join tidied
	// "~/../xdg" to a folder beside $HOME, where pip, through a $HOME that was a link, read another
	// user's pip.conf, whose python ran as root (ninetieth probe). The "/" and what follows are kept.
	if joined := strings.TrimRight(dir, "/") + path[1+len(name):]; joined != "" {
		return joined
	}
	return "/"
}

// checkPipReads refuses a file that pip would read and another user could change: its configuration
// (root's setup with another user's $HOME read that user's pip.conf, whose index served that user's
// wheel, and whose log option would have had root write where it named; thirty-seventh probe), the
// credentials of ~/.netrc (a FIFO there hung pip), and its cache, where $PIP_CACHE_DIR names one
// (otherwise pip runs with --no-cache-dir: a cache in a sticky /tmp, made first by another user, held
// a FIFO that hung it; thirty-eighth probe). The files are pip's own list: $PIP_CONFIG_FILE, the
// site's, the user's and the venv's.
func checkPipReads(venv string) error {
	// The loader of setup's Python and pip searches $LD_LIBRARY_PATH first for what they load after
	// ddpm started (libssl, libz…; seventy-fifth probe).
	if err := ddpm.CheckLibraryPath(); err != nil {
		return err
	}
	home := homeDir()
	if err := checkPathVars(home); err != nil { // the paths below are absolute from here on
		return err
	}
	var configs []string
	if file := os.Getenv("PIP_CONFIG_FILE"); file == os.DevNull {
		configs = nil // pip reads no configuration file then
	} else {
		if file != "" {
			configs = append(configs, file)
		}
		dirs := os.Getenv("XDG_CONFIG_DIRS") // blank: pip's default; otherwise as it is (pip does not trim it)
		if strings.TrimSpace(dirs) == "" {
			dirs = "/etc/xdg"
		}
		for _, dir := range filepath.SplitList(dirs) {
			if dir == "" { // "/etc/xdg:" is common: pip reads pip/pip.conf of its working directory, /
				dir = "/"
			}
			configs = append(configs, filepath.Join(expandUser(dir, home), "pip", "pip.conf"))
		}
		configs = append(configs, "/etc/pip.conf")
		if home != "" {
			config := os.Getenv("XDG_CONFIG_HOME")
			if strings.TrimSpace(config) == "" {
				config = filepath.Join(home, ".config")
			}
			configs = append(configs, filepath.Join(home, ".pip", "pip.conf"), filepath.Join(config, "pip", "pip.conf"))
		}
		// The venv's, where it is there: one setup makes is made in folders of its own (makeOwnFolders),
		// and refusing it "as anyone may make it" in a sticky /tmp sent the user to $PIP_CONFIG_FILE
		// (forty-sixth probe's nit).
		if _, err := os.Lstat(venv); err == nil {
			configs = append(configs, filepath.Join(venv, "pip.conf"))
		}
	}
	for _, file := range configs {
		if err := trust.CheckRead(file); err != nil {
			return fmt.Errorf("pip would read its configuration from %s: %w: set $PIP_CONFIG_FILE=%s to install with no configuration file "+
				"($PIP_INDEX_URL, $PIP_PROXY and $PIP_CERT set what one would), or have the file, and the folders above it, made writable by you or root alone",
				file, err, os.DevNull)
		}
	}
	if err := checkPipConfigs(configs, home); err != nil {
		return err
	}
	netrcs := []string{expandUser(os.Getenv("NETRC"), home)}
	if os.Getenv("NETRC") == "" {
		netrcs = nil
		if home != "" {
			netrcs = []string{filepath.Join(home, ".netrc"), filepath.Join(home, "_netrc")}
		}
	}
	// What OpenSSL and requests read: a configuration of another user's loaded their provider as root,
	// and a FIFO as a bundle would hang pip (forty-second probe).
	// pip's own certificate files too, read in place of requests' (forty-fifth probe's nit).
	for _, name := range []string{"OPENSSL_CONF", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT", "PIP_CLIENT_CERT"} {
		if file := os.Getenv(name); file != "" {
			if tildeExpanded[name] { // pip opens it with ~ expanded: "~them/ca.pem" was checked as a name under setup's folder (ninety-first probe)
				file = expandUser(file, home)
			}
			if err := trust.CheckRead(file); err != nil {
				return fmt.Errorf("$%s=%s: %w: name a file that only you or root can write, or unset it", name, file, err)
			}
		}
	}
	if err := checkOpenSSLConf(os.Getenv("OPENSSL_CONF")); err != nil {
		return err
	}
	for _, name := range []string{"OPENSSL_MODULES", "OPENSSL_ENGINES", "SSL_CERT_DIR"} {
		dirs := []string{os.Getenv(name)}
		if name == "SSL_CERT_DIR" { // OpenSSL's list of folders: a list was checked as one path (sixty-sixth probe)
			dirs = filepath.SplitList(dirs[0])
		}
		for _, dir := range dirs {
			if dir == "" {
				continue
			}
			if err := trust.CheckOwnFolderAndTree(dir); err != nil {
				return fmt.Errorf("$%s=%s: %s: %w: name folders that only you or root can write, or unset it", name, os.Getenv(name), dir, err)
			}
		}
	}
	if err := checkPipLocations(home); err != nil {
		return err
	}
	for _, file := range netrcs {
		if err := trust.CheckRead(file); err != nil {
			return fmt.Errorf("pip would read credentials from %s: %w: make it yours and writable by you alone, or set $NETRC to a file that is", file, err)
		}
	}
	// There, no one else's to add to (forty-second probe), and all of it the user's: pip unpickles its
	// entries, and a subfolder of another user's in root's cache ran their code as root (seventy-ninth).
	if cache := os.Getenv("PIP_CACHE_DIR"); cache != "" {
		if err := trust.CheckOwnFolderAndTree(expandUser(cache, home)); err != nil {
			return fmt.Errorf("$PIP_CACHE_DIR=%s: %w: name a folder that only you can write, or unset it (setup then runs pip without a cache)", cache, err)
		}
	}
	return nil
}

// htmlIn is an .html or .htm file in the folder dir (pip reads them as pages of links), or "".
func htmlIn(dir string) string {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if ext := strings.ToLower(filepath.Ext(e.Name())); ext == ".html" || ext == ".htm" {
			return filepath.Join(dir, e.Name())
		}
	}
	return ""
}

// checkOpenSSLConf refuses a configuration that $OPENSSL_CONF names (file), other than none
// (/dev/null): OpenSSL loads libraries through it in more ways than a check of its lines can follow (an
// .include of a file in a sticky folder, a module line joined from two by a backslash, a provider's
// identity, an unknown module's path, a path as a section's key), and each loaded another user's
// library into setup's Pythons, as root (seventy-ninth and eightieth probes).
func checkOpenSSLConf(file string) error {
	if file == "" || file == os.DevNull {
		return nil
	}
	return fmt.Errorf("$OPENSSL_CONF=%s: OpenSSL's configuration can have setup's Python load libraries and read files that setup cannot follow: "+
		"unset $OPENSSL_CONF for %s (the system's configuration is read), or set it to %s", file, ddpm.UserSetupCommand, os.DevNull)
}

// pipLocations are pip's variables that name files or folders it reads, several to a variable
// (separated by spaces), each a path or a URL: constraints, folders of wheels, and indexes.
var pipLocations = []string{"PIP_CONSTRAINT", "PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"}

// checkPipLocations refuses a local file or folder named in pipLocations that another user could
// change or add to: pip read another user's constraints file, and followed its includes, and a FIFO
// there hung setup (sixty-sixth probe). A URL of another scheme than file: is the network's.
func checkPipLocations(home string) error {
	for _, name := range pipLocations {
		if err := checkPipLocation(name, os.Getenv(name), home); err != nil {
			return err
		}
	}
	return nil
}

// checkPipLocation is checkPipLocations' check of one value of pip's variable name (or of the option
// of its configuration files that the variable sets).
func checkPipLocation(name, value, home string) error {
	// No constraints: pip follows the options and includes inside them (-c, --find-links, --index-url),
	// which setup does not read, and a constraints file of root's naming another user's folder of wheels
	// had their swapped wheel installed (eighty-first probe). Every package setup installs is pinned by
	// version and digest already.
	if name == "PIP_CONSTRAINT" && strings.TrimSpace(value) != "" {
		return fmt.Errorf("$%s=%s: a constraints file, whose options and includes pip follows and setup does not: unset it (every package setup installs is pinned by version and digest)", name, value)
	}
	// Parted at spaces, tabs and line ends, as pip and this check both part it: pip also parts a value at
	// what Python takes for white space (\x1c to \x1f, and others beyond ASCII), and another user's folder
	// between two of root's, joined by \x1f, was checked as one name not there (eighty-third probe).
	if i := trust.NotPlain(value, "\t\n"); i >= 0 {
		return fmt.Errorf("$%s: %q holds %q, a character other than printable ASCII, which pip may read as a space where setup would not: write the value without it", name, value, []rune(value[i:])[0])
	}
	for _, location := range strings.Fields(value) {
		path := location
		// pip reads a scheme in any case, and unquotes a file URL's path: FILE:/// was passed over as
		// a network address, and pip read another user's constraints through it (sixty-seventh probe),
		// and %2E%2E would be checked as a name and read as "..".
		if scheme, rest, ok := strings.Cut(location, "://"); ok {
			if !strings.EqualFold(scheme, "file") {
				continue
			}
			// Its query and fragment, which pip drops from the path it reads: "file:///their/wheels#x" was
			// checked as a name not there (eighty-third probe).
			if strings.ContainsAny(rest, "?#") {
				return fmt.Errorf("$%s: %s: a file URL with a query or a fragment (? or #), which pip drops from the path it reads: write the path alone", name, location)
			}
			unquoted, err := url.PathUnescape(rest)
			if err != nil {
				return fmt.Errorf("$%s: %s: %w: name files and folders that only you or root can write, or unset it", name, location, err)
			}
			path = unquoted
		}
		if err := checkPathShape(name, value, path, home); err != nil {
			return err
		}
		path = expandUser(path, home)
		var err error
		info, serr := os.Stat(path)
		switch {
		// A local index's pages, and a file of links, name wheels anywhere, which pip opened again after
		// it had checked their digests: another user's, swapped in between, was installed as root
		// (eightieth probe). A folder of wheels is walked whole.
		case name == "PIP_INDEX_URL" || name == "PIP_EXTRA_INDEX_URL":
			return fmt.Errorf("$%s: %s: a local index, whose pages may link to files anywhere, which setup cannot follow: give its wheels as a folder in $PIP_FIND_LINKS, or an https index", name, location)
		case name == "PIP_FIND_LINKS" && serr == nil && !info.IsDir():
			return fmt.Errorf("$%s: %s: a file of links, which may name files anywhere, which setup cannot follow: give a folder of wheels", name, location)
		case serr == nil && info.IsDir():
			err = trust.CheckOwnFolderAndTree(path) // the wheels in it too (seventy-ninth probe)
			if page := htmlIn(path); err == nil && page != "" && name == "PIP_FIND_LINKS" {
				// pip reads a page in a folder of wheels as a page of links, to wheels anywhere (eighty-first probe).
				return fmt.Errorf("$%s: %s holds %s, a page whose links pip follows to files anywhere, which setup cannot follow: keep wheels alone in it", name, location, page)
			}
		case name == "PIP_FIND_LINKS":
			err = trust.CheckOwnFolder(path) // not there: where another user could make it
		default:
			err = trust.CheckRead(path)
		}
		if err != nil {
			return fmt.Errorf("$%s: %s: %w: name files and folders that only you or root can write, or unset it", name, location, err)
		}
	}
	return nil
}

// pathVars are the variables that name a path pip reads: each must be as setup checks it.
var pathVars = []string{"HOME", "XDG_CACHE_HOME", "PIP_CONFIG_FILE", "PIP_CACHE_DIR", "NETRC", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS",
	"OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
	"PIP_CERT", "PIP_CLIENT_CERT"}

// checkPathVars refuses a path in pathVars that pip and setup could read as different files: one that is
// not absolute (once ~ is expanded), or holds "." or "..", or a space at an end, or lies in /proc (whose
// /proc/self is another folder to each process). Such values led setup to check one file and pip to read
// another: a trailing space (pip does not trim), a ~ (pip expands it in $PIP_CACHE_DIR too), a ".." after
// a link (fortieth probe), a relative or ".." $HOME, /proc/self/cwd (forty-first probe).
func checkPathVars(home string) error {
	for _, name := range pathVars {
		value := os.Getenv(name)
		if value == "" || (name == "PIP_CONFIG_FILE" && value == os.DevNull) {
			continue
		}
		paths := []string{value}
		if name == "XDG_CONFIG_DIRS" || name == "SSL_CERT_DIR" { // lists of folders
			paths = filepath.SplitList(value)
		}
		for _, path := range paths {
			if path == "" {
				continue // checkPipReads reads an empty entry of $XDG_CONFIG_DIRS as pip does
			}
			if err := checkPathShape(name, value, path, home); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPathShape refuses path, one of $name=value's, where pip and setup could read different files.
func checkPathShape(name, value, path, home string) error {
	if !tildeExpanded[name] && strings.HasPrefix(path, "~") { // read as written, from / (ninety-first probe)
		return fmt.Errorf("$%s=%q: a ~, which its reader does not expand (it would read a folder named ~): give the path itself", name, value)
	}
	if path != strings.TrimSpace(path) || !trust.OneFileForAll(expandUser(path, home)) {
		return fmt.Errorf("$%s=%q: pip may read another file there than setup would check: give an absolute path without ., .., // or spaces at its ends", name, value)
	}
	return nil
}

// tildeExpanded are the variables of pathVars whose readers expand a ~ as Python's expanduser does:
// platformdirs in each of $XDG_CONFIG_DIRS, requests in $NETRC, pip in its options of type path. The
// others are read as written.
var tildeExpanded = map[string]bool{"XDG_CONFIG_DIRS": true, "NETRC": true, "PIP_CACHE_DIR": true, "PIP_CERT": true, "PIP_CLIENT_CERT": true}

// makeOwnFolders makes the folders of dir that are not there, one name at a time, each seen to be a
// folder of the user's once made, after checking the nearest one that is there: between setup's first
// check and its lock, another user made a folder on the way in a sticky /tmp and linked it elsewhere,
// and the lock's MkdirAll followed the link, so that root made folders and its lock file where that
// user chose (forty-sixth probe). os.Mkdir follows no link at the name it makes.
func makeOwnFolders(dir string) error {
	at, rest, err := ddpm.Nearest(dir) // as the kernel resolves dir: "a/l/.." is not "a" (seventy-sixth probe)
	if err != nil {
		return err
	}
	if err := ddpm.CheckSecureFolder(at); err != nil {
		return err
	}
	p := at
	for _, name := range rest {
		p = filepath.Join(p, name)
		if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); !info.IsDir() || !ok || int(st.Uid) != os.Geteuid() {
			return fmt.Errorf("%s was made by another user, or is no folder, while setup ran", p)
		}
	}
	return nil
}
