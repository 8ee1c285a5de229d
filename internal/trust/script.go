package trust

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// IsScript says whether the file is a regular one that begins with "#!", as scripts do (opened without
// waiting: a FIFO with execute bits passes exec.LookPath). A script is no program of its own: it runs
// other programs and reads other files first, and a version manager's shim (pyenv's, goenv's) sources
// hook files from fixed folders that another user may be able to write (sixty-eighth probe).
func IsScript(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return false
	}
	head := make([]byte, 2)
	n, _ := io.ReadFull(f, head)
	return n == 2 && string(head) == "#!"
}

// LookPastScripts finds name in $PATH as exec.LookPath does, but passes over scripts (a shim in
// ~/.pyenv/shims before /usr/bin) to the next executable of that name; with none, it returns the first
// script, for the caller to refuse by name. A name with a slash is looked up as exec.LookPath does.
func LookPastScripts(name string) (string, error) {
	if filepath.Base(name) != name {
		return exec.LookPath(name)
	}
	first := ""
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if !filepath.IsAbs(dir) {
			continue // the working folder's ("" or "."), which exec.LookPath refuses below
		}
		exe, err := exec.LookPath(filepath.Join(dir, name))
		switch {
		case err != nil:
		case !IsScript(exe):
			return exe, nil
		case first == "":
			first = exe
		}
	}
	if first != "" {
		return first, nil
	}
	return exec.LookPath(name)
}
