package ddpm

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/mod/modfile"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// What `ddpm setup` installs for a user without a clone of the project (a binary from `go install`):
// the XLA CPU plugin in a Python virtual environment, and the shipped models, both in UserDir.
const (
	// UserSetupCommand installs the plugin and the shipped models into UserDir.
	UserSetupCommand = "ddpm setup"
	// PluginPackage is the PyPI package of the OpenXLA CPU PJRT plugin, and PluginVersion its
	// version: the pin of the project's requirements.txt, which a test keeps equal (a binary
	// installed with `go install` cannot read that file).
	PluginPackage = "xla-cpu-pjrt"
	PluginVersion = "0.0.1"
	// SetupStamp is written in the virtual environment once the plugin is installed and found:
	// a folder without it (an interrupted setup) is never used, and the next setup replaces it.
	SetupStamp = "ddpm-setup.json"

	userDirName = "ddpm-go"
	userVenv    = "venv"
	userModels  = "models"
	modulePath  = "github.com/learn-ddpm/ddpm-go"
)

// UserDir is the folder `ddpm setup` installs into: ddpm-go in the user's cache folder
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS).
func UserDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder for `%s` to install into: %w", UserSetupCommand, err)
	}
	return filepath.Join(cache, userDirName), nil
}

// UserVenvDir is the Python virtual environment that `ddpm setup` installs the plugin into.
func UserVenvDir() (string, error) {
	dir, err := UserDir()
	return filepath.Join(dir, userVenv), err
}

// UserModelsDir is the folder that `ddpm setup` writes the shipped models into.
func UserModelsDir() (string, error) {
	dir, err := UserDir()
	return filepath.Join(dir, userModels), err
}

// VenvPlugin is the plugin file that pip installed in the virtual environment venv, if any.
func VenvPlugin(venv string) (string, bool) {
	return newestMatch(filepath.Join(venv, venvPluginGlob))
}

// setupStamp is the content of SetupStamp.
type setupStamp struct {
	Package string `json:"package"`
	Version string `json:"version"`
}

// WriteSetupStamp marks venv as finished: the plugin at PluginVersion is installed in it. It is
// written whole (WriteFileAtomic) and only after the plugin file was found.
func WriteSetupStamp(venv string) error {
	if _, ok := VenvPlugin(venv); !ok {
		return fmt.Errorf("no plugin file %s in %s", venvPluginGlob, venv)
	}
	raw, err := json.Marshal(setupStamp{Package: PluginPackage, Version: PluginVersion})
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(venv, SetupStamp), func(w io.Writer) error {
		_, err := w.Write(append(raw, '\n'))
		return err
	})
}

// UserPlugin is the plugin that `ddpm setup` installed in UserVenvDir, when that setup finished.
func UserPlugin() (string, bool) {
	venv, err := UserVenvDir()
	if err != nil {
		return "", false
	}
	p, refused := userPlugin(venv)
	return p, p != "" && refused == nil
}

// userPlugin is venv's plugin when its stamp says the setup finished with this binary's pinned
// version: a half-made venv, or one of another pin (a binary upgraded since), is not used. The path
// returned is the file's own, links resolved, and only where no other user can change it
// (securePath); refused says why one that is there is not.
func userPlugin(venv string) (path string, refused error) {
	f, err := safefile.Open(filepath.Join(venv, SetupStamp)) // a FIFO there would hang (thirty-second probe's nit)
	if err != nil {
		return "", nil
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 1<<16))
	if err != nil {
		return "", nil
	}
	var stamp setupStamp
	if json.Unmarshal(raw, &stamp) != nil || stamp.Package != PluginPackage || stamp.Version != PluginVersion {
		return "", nil
	}
	p, ok := VenvPlugin(venv)
	if !ok {
		return "", nil
	}
	real, err := securePath(p)
	if err != nil {
		return "", err
	}
	return real, nil
}

// SetupHint is the one command that installs a plugin for whoever reads the message: SetupCommand
// (`make setup`) inside a clone of this project, UserSetupCommand (`ddpm setup`) elsewhere.
func SetupHint() string {
	wd, _ := os.Getwd()
	return setupHint(wd)
}

func setupHint(wd string) string {
	if _, ok := findClone(wd); ok {
		return SetupCommand
	}
	return UserSetupCommand
}

// findClone is the root of the clone of this project that holds dir (its go.mod declares this
// module, with the Makefile beside it), searched from dir upwards.
func findClone(dir string) (string, bool) {
	for dir != "" {
		if isClone(dir) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", false
}

// isClone says whether dir is the root of a clone of this project. Its go.mod is read only as a
// regular file of at most maxGoModBytes, and only where no other user can change it (securePath): a
// FIFO named go.mod above the working directory hung every command, a link to /dev/zero ran it out of
// memory (thirty-second probe), and a link in /tmp to a root's go.mod made /tmp a clone (thirty-third).
func isClone(dir string) bool {
	goMod, err := securePath(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	f, err := safefile.Open(goMod)
	if err != nil {
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.Size() > maxGoModBytes {
		return false
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxGoModBytes))
	if err != nil || modfile.ModulePath(raw) != modulePath {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, "Makefile"))
	return err == nil
}

// maxGoModBytes bounds the go.mod read to recognise a clone: this project's is 4 KB.
const maxGoModBytes = 1 << 20

// securePath returns the file that path leads to, its links resolved, where no other user can change
// it or what leads to it, to be loaded into this process or to say where it is: it, every folder above
// it and every link on the way must belong to the user or to root, and none of the folders may be
// writable by others than the user and the user's own group, unless it is sticky (/tmp), where others
// cannot replace what they do not own. It looks at the path as given and at the one its links lead
// to, which the caller then uses: a link met only inside a chain of links was on neither, and was
// swapped between the check and the load (thirty-fourth probe).
func securePath(path string) (string, error) { return securePathOf(path, true) }

// CheckSecureFolder refuses a folder (or, where it does not exist yet, the nearest folder above it)
// where a plugin installed would not be loaded, since another user could change it (securePath):
// `ddpm setup` said "installed now" into a group-writable cache, and every command then ignored the
// plugin and said to run setup again (thirty-fourth probe).
func CheckSecureFolder(dir string) error {
	at, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for {
		if _, err := os.Lstat(at); err == nil {
			_, err := securePathOf(at, false)
			return err
		}
		if at == filepath.Dir(at) {
			return nil
		}
		at = filepath.Dir(at)
	}
}

// securePathOf is securePath, where path is a folder unless file: a sticky folder is then allowed too.
func securePathOf(path string, file bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	for _, p := range []string{abs, real} {
		for at, file := p, file; ; at, file = filepath.Dir(at), false {
			info, err := os.Lstat(at)
			if err != nil {
				return "", err
			}
			st, ok := info.Sys().(*syscall.Stat_t)
			if !ok {
				return "", fmt.Errorf("%s: its owner cannot be read", at)
			}
			if int(st.Uid) != os.Getuid() && st.Uid != 0 {
				return "", fmt.Errorf("%s belongs to another user (uid %d)", at, st.Uid)
			}
			others := info.Mode().Perm() & 0o002
			if int(st.Gid) != os.Getgid() {
				others |= info.Mode().Perm() & 0o020
			}
			if info.Mode()&fs.ModeSymlink == 0 && others != 0 && (file || info.Mode()&fs.ModeSticky == 0) {
				return "", fmt.Errorf("%s can be changed by other users (mode %v)", at, info.Mode())
			}
			if at == filepath.Dir(at) {
				break
			}
		}
	}
	return real, nil
}
