package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// What `ddpm setup` runs and what its children read must be no other user's to change: the rule by
// which a plugin is loaded (ddpm.CheckSecureFile), applied to the interpreter, its standard library,
// and the files pip reads.

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

// childEnv is the environment of setup's children: the user's, with $HOME set to homeDir, and without
// the PYTHON* variables, which Python's -I ignores but the ensurepip that venv runs did not.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "HOME" && !strings.HasPrefix(name, "PYTHON") {
			env = append(env, kv)
		}
	}
	if home := homeDir(); home != "" {
		env = append(env, "HOME="+home)
	}
	return env
}

// fromRoot is path as setup's children, which run in /, read it.
func fromRoot(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join("/", path)
}

// checkPipReads refuses a file that pip would read and another user could change: its configuration
// (root's setup with another user's $HOME read that user's pip.conf, whose index served that user's
// wheel, and whose log option would have had root write where it named; thirty-seventh probe), the
// credentials of ~/.netrc (a FIFO there hung pip), and its cache, where $PIP_CACHE_DIR names one
// (otherwise pip runs with --no-cache-dir: a cache in a sticky /tmp, made first by another user, held
// a FIFO that hung it; thirty-eighth probe). The files are pip's own list: $PIP_CONFIG_FILE, the
// site's, the user's and the venv's.
func checkPipReads(venv string) error {
	home := homeDir()
	var configs []string
	if file := os.Getenv("PIP_CONFIG_FILE"); file == os.DevNull {
		configs = nil // pip reads no configuration file then
	} else {
		if file != "" {
			configs = append(configs, fromRoot(file))
		}
		dirs := strings.TrimSpace(os.Getenv("XDG_CONFIG_DIRS"))
		if dirs == "" {
			dirs = "/etc/xdg"
		}
		for _, dir := range filepath.SplitList(dirs) {
			configs = append(configs, filepath.Join(fromRoot(dir), "pip", "pip.conf"))
		}
		configs = append(configs, "/etc/pip.conf")
		if home != "" {
			config := strings.TrimSpace(os.Getenv("XDG_CONFIG_HOME"))
			if config == "" {
				config = filepath.Join(home, ".config")
			}
			configs = append(configs, filepath.Join(home, ".pip", "pip.conf"), filepath.Join(fromRoot(config), "pip", "pip.conf"))
		}
		configs = append(configs, filepath.Join(venv, "pip.conf"))
	}
	for _, file := range configs {
		if err := checkRead(file); err != nil {
			return fmt.Errorf("pip would read its configuration from %s: %w: have its owner make it writable by them alone, or set $PIP_CONFIG_FILE=%s "+
				"to install with no configuration file ($PIP_INDEX_URL, $PIP_PROXY and $PIP_CERT set what one would)", file, err, os.DevNull)
		}
	}
	netrcs := []string{fromRoot(os.Getenv("NETRC"))}
	if os.Getenv("NETRC") == "" {
		netrcs = nil
		if home != "" {
			netrcs = []string{filepath.Join(home, ".netrc"), filepath.Join(home, "_netrc")}
		}
	}
	for _, file := range netrcs {
		if err := checkRead(file); err != nil {
			return fmt.Errorf("pip would read credentials from %s: %w: make it yours and writable by you alone, or set $NETRC to a file that is", file, err)
		}
	}
	if cache := os.Getenv("PIP_CACHE_DIR"); cache != "" {
		if err := ddpm.CheckSecureFolder(fromRoot(cache)); err != nil {
			return fmt.Errorf("$PIP_CACHE_DIR=%s: %w: name a folder that only you can write, or unset it (setup then runs pip without a cache)", cache, err)
		}
	}
	return nil
}

// checkRead refuses file, where it exists, unless no other user can change it.
func checkRead(file string) error {
	if _, err := os.Lstat(file); err != nil {
		return nil
	}
	_, err := ddpm.CheckSecureFile(file)
	return err
}

// checkStandardLibrary refuses an interpreter (exe, named python on the command line) whose file or
// standard library (stdlib: every file and folder below it but its site-packages, which setup's
// Pythons do not read) another user could change: the interpreter's file alone was checked, and
// Python ran the code around it (thirty-eighth probe).
func checkStandardLibrary(python, exe, stdlib string) error {
	refuse := func(what string, err error) error {
		return fmt.Errorf("--python %s is not run: %s: %w: name an interpreter whose installation only you or root can change, with --python",
			shellQuote(python), what, err)
	}
	if !filepath.IsAbs(exe) || !filepath.IsAbs(stdlib) {
		return refuse("it does not say where it is", fmt.Errorf("interpreter %q, standard library %q", exe, stdlib))
	}
	if _, err := ddpm.CheckSecureFile(exe); err != nil {
		return refuse("its interpreter "+exe, err)
	}
	err := filepath.WalkDir(stdlib, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != stdlib && (d.Name() == "site-packages" || d.Name() == "dist-packages") {
			return fs.SkipDir
		}
		if info, err := os.Stat(path); err == nil && info.IsDir() {
			return ddpm.CheckSecureFolder(path)
		}
		_, err = ddpm.CheckSecureFile(path)
		return err
	})
	if err != nil {
		return refuse("its standard library "+stdlib, err)
	}
	return nil
}
