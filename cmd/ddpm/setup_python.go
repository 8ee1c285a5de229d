package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// checkInterpreterFolders refuses an interpreter where another user could choose what Python reads
// before it reads its arguments, whatever -I and -S say (Python's getpath): pyvenv.cfg beside itself or
// one folder up, and the folder its home names; <name>._pth beside itself; a build tree's markers; and,
// in each folder upwards from its own (or the venv's home), lib/python3XY.zip, which it takes for its
// standard library before its own, and lib/python3.X, its library, whose landmarks it looks for there.
// Root's interpreter copied into a sticky /tmp ran another user's encodings package, as root, in setup's
// check (forty-seventh probe); so did an installation of its own in /tmp/py311, through
// /tmp/lib/python311.zip (forty-eighth), one in root's /srv/py311 through another user's /srv/lib
// (ninety-fourth), a venv of root's whose home was in a sticky folder, a library folder of root's
// holding another user's encodings, and a copy of root's beside pybuilddir.txt, which took Lib from the
// folders above (ninety-fifth).
func checkInterpreterFolders(exe string) error {
	dir := filepath.Dir(exe)
	if err := checkNoPythonMarkers(dir, exe); err != nil {
		return err
	}
	if err := checkPythonFoldersUp(dir); err != nil {
		return err
	}
	home, err := venvHome(dir)
	if err != nil {
		return err
	}
	if home == "" {
		return checkPythonLibraryFound(dir)
	}
	// Python takes a venv's home for its own folder: its library is searched for from there.
	if !filepath.IsAbs(home) {
		return fmt.Errorf("the pyvenv.cfg by it names home = %s, not an absolute path, which Python reads from whatever folder it runs in: name the interpreter its venv was made with", home)
	}
	if err := checkNoPythonMarkers(home, ""); err != nil {
		return err
	}
	if err := checkPythonFoldersUp(home); err != nil {
		return err
	}
	// And its base executable, home/<its name> or home's python3 or python3.X, resolved: Python reads
	// the ._pth beside it, which replaces its whole path (a link of root's in home to another user's
	// file, with their ._pth beside it, ran their encodings as root; ninety-eighth probe).
	bases, _ := filepath.Glob(filepath.Join(home, "python3.[0-9]*"))
	// Each folder once: the interpreter's and home's are walked above, and a base executable most often
	// resolves into home (an installation's walk takes a second or more).
	checked := map[string]bool{dir: true, filepath.Clean(home): true}
	for _, base := range append([]string{filepath.Join(home, filepath.Base(exe)), filepath.Join(home, "python3")}, bases...) {
		if err := checkBaseExecutable(base, checked); err != nil {
			return err
		}
	}
	return checkPythonLibraryFound(home)
}

// checkBaseExecutable holds a venv's base executable, where it is there, as the interpreter itself is
// held: no ._pth or build marker beside it once resolved, and its folder and those above it (each folder
// once, by checked).
func checkBaseExecutable(base string, checked map[string]bool) error {
	if _, err := os.Lstat(base); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	real, err := filepath.EvalSymlinks(base)
	if err != nil {
		return fmt.Errorf("%s, the base interpreter of the venv by it, cannot be followed: %w", base, err)
	}
	if err := checkNoPythonMarkers(filepath.Dir(real), real); err != nil {
		return err
	}
	if checked[filepath.Dir(real)] {
		return nil
	}
	checked[filepath.Dir(real)] = true
	return checkPythonFoldersUp(filepath.Dir(real))
}

// checkPythonLibraryFound refuses an interpreter whose library Python would not find by its search from
// dir (pythonLibraryIn, in dir or a folder above it): it then takes the prefix built into it, which
// setup does not check, and a relocated build's read another user's folder as root (ninety-eighth
// probe).
func checkPythonLibraryFound(dir string) error {
	for at := dir; !pythonLibraryIn(at); at = filepath.Dir(at) {
		if at == filepath.Dir(at) {
			return fmt.Errorf("no Python library (lib/python3.X with os.py and lib-dynload, or lib/python3XY.zip) in %s or a folder above it, "+
				"so Python would take the one built into it, which setup cannot check: name an installed interpreter", dir)
		}
	}
	return nil
}

// pythonLibraryIn says whether folder at holds what Python's search takes for its library there: a
// lib/python3XY.zip, or lib/python3.X with os.py (or os.pyc) and lib-dynload (lib, or lib64).
func pythonLibraryIn(at string) bool {
	for _, lib := range []string{"lib", "lib64"} {
		if zips, _ := filepath.Glob(filepath.Join(at, lib, "python3[0-9]*.zip")); len(zips) > 0 {
			return true
		}
		libraries, _ := filepath.Glob(filepath.Join(at, lib, "python3.[0-9]*"))
		for _, l := range libraries {
			_, py := os.Stat(filepath.Join(l, "os.py"))
			_, pyc := os.Stat(filepath.Join(l, "os.pyc"))
			if info, err := os.Stat(filepath.Join(l, "lib-dynload")); (py == nil || pyc == nil) && err == nil && info.IsDir() {
				return true
			}
		}
	}
	return false
}

// checkPythonFoldersUp holds dir and every folder above it to CheckOwnFolder, and the library folders
// Python looks for in each (checkPythonLib).
func checkPythonFoldersUp(dir string) error {
	for ; ; dir = filepath.Dir(dir) {
		if err := trust.CheckOwnFolder(dir); err != nil {
			return fmt.Errorf("%w: Python reads its settings and library from the folders beside and above itself, "+
				"and other users may add files to %s; use an interpreter installed where only you or root can write "+
				"(the system's python3, or one of your own outside shared folders such as /tmp)", err, dir)
		}
		for _, lib := range []string{"lib", "lib64"} { // Python's platlibdir: lib, or lib64 (Fedora's)
			if err := checkPythonLib(filepath.Join(dir, lib)); err != nil {
				return fmt.Errorf("%w: Python takes %s/python3XY.zip or %s/python3.X in the folders above itself for its standard library, "+
					"and other users may change what it would read there; use an interpreter installed where only you or root can write", err, lib, lib)
			}
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// pythonLibrary names a Python's library folder (python3.11, python3.13t) or zip (python311.zip).
var pythonLibrary = regexp.MustCompile(`^python3(\.[0-9]+t?|[0-9]+t?\.zip)$`)

// checkPythonLib holds lib, where it is there, to CheckOwnFolder, a library's zip in it to CheckRead,
// and a library folder in it whole: what Python imports first (encodings) is inside.
func checkPythonLib(lib string) error {
	if _, err := os.Lstat(lib); errors.Is(err, fs.ErrNotExist) {
		return nil // only the owner of the folder above, checked, can make it
	}
	if err := trust.CheckOwnFolder(lib); err != nil {
		return err
	}
	entries, err := os.ReadDir(lib)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "python3") {
			continue
		}
		path := filepath.Join(lib, e.Name())
		info, err := os.Stat(path)
		switch {
		case err != nil || !info.IsDir():
			err = trust.CheckRead(path)
		case pythonLibrary.MatchString(e.Name()):
			err = trust.CheckOwnFolderAndTree(path)
		default:
			err = trust.CheckOwnFolder(path)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkNoPythonMarkers refuses a folder that makes Python read more than its own library: a build
// tree's markers, with which it takes Lib from the folders above and its extensions from the folder
// pybuilddir.txt names; and, beside exe (where given), exe._pth, whose lines replace its whole path.
func checkNoPythonMarkers(dir, exe string) error {
	markers := []string{filepath.Join(dir, "pybuilddir.txt"), filepath.Join(dir, "Modules", "Setup.local")}
	if exe != "" {
		markers = append(markers, exe+"._pth")
	}
	for _, m := range markers {
		if _, err := os.Lstat(m); err == nil {
			return fmt.Errorf("%s is there, with which Python reads its library from paths setup does not check (a build tree's, or those the file lists): "+
				"name an installed interpreter", m)
		}
	}
	return nil
}

// venvHome is the home that pyvenv.cfg names, as Python reads it: the file one folder above dir, or else
// the one in dir (the first there wins, with or without a home), its first line "home = …" (the key
// in any case, both sides trimmed); "" where there is none. A name there at all is held to CheckRead,
// a link to a missing file too (it was skipped as missing, and another user made its target before
// Python read it); and the file must be printable ASCII and tabs, which Go trims as Python does (a
// "\x1chome" line was a home to Python's strip, none to Go's; ninety-sixth probe).
func venvHome(dir string) (string, error) {
	for _, cfg := range []string{filepath.Join(filepath.Dir(dir), "pyvenv.cfg"), filepath.Join(dir, "pyvenv.cfg")} {
		if _, err := os.Lstat(cfg); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if _, err := os.Stat(cfg); errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s, which Python reads before its arguments, is a link to a missing file, which could be made after this check: remove the link, or name another interpreter", cfg)
		}
		if err := trust.CheckRead(cfg); err != nil {
			return "", err
		}
		raw, err := os.ReadFile(cfg)
		if err != nil {
			return "", fmt.Errorf("%s, which Python reads before its arguments: %w", cfg, err)
		}
		if i := trust.NotPlain(string(raw), "\t\n"); i >= 0 {
			return "", fmt.Errorf("%s, which Python reads before its arguments, holds byte %#02x at %d: setup reads a pyvenv.cfg of printable ASCII only, "+
				"where it trims as Python does: name the interpreter its venv was made with", cfg, raw[i], i)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if key, value, ok := strings.Cut(line, "="); ok && strings.ToLower(strings.TrimSpace(key)) == "home" {
				return strings.TrimSpace(value), nil
			}
		}
		return "", nil
	}
	return "", nil
}
