package ddpm

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
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

// PluginHashes are the SHA-256 digests of PluginVersion's wheels on PyPI (x86-64 and arm64 Linux):
// `ddpm setup` installs only a file of one of them, whatever index, cache or configuration pip reads
// (root's setup with another user's $HOME installed that user's wheel; thirty-seventh probe).
var PluginHashes = []string{
	"55837b6b7b47daa717f2d9a5a03563ea0ceaa338d06a81a1e2d3f060d960decc", // manylinux_2_27_x86_64
	"8f613be6e891858f40d64f9799319502fff42689661944fc18a6ffd8210b30c9", // manylinux_2_27_aarch64
}

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
	return newestMatch(venv, venvPluginGlob)
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

// UserPlugin is the plugin that `ddpm setup` installed in UserVenvDir, when that setup finished and
// no other user can change it (its path, links resolved); refused says why the one there is not
// used. Neither: none is installed.
func UserPlugin() (path string, refused error) {
	venv, err := UserVenvDir()
	if err != nil {
		return "", nil
	}
	return userPlugin(venv)
}

// userPlugin is venv's plugin when its stamp says the setup finished with this binary's pinned
// version: a half-made venv, or one of another pin (a binary upgraded since), is not used. The path
// returned is the file's own, links resolved, and only where no other user can change it
// (securePath); refused says why one that is there is not. The stamp is read only from a folder that
// passed that check.
func userPlugin(venv string) (path string, refused error) {
	stampPath := filepath.Join(venv, SetupStamp)
	if _, err := os.Lstat(stampPath); err != nil {
		return "", nil
	}
	if _, err := trust.SecurePath(venv, false); err != nil {
		return "", fmt.Errorf("the plugin installed by `%s` in %s is not used: %w: %s", UserSetupCommand, venv, err, afresh(err))
	}
	raw, err := safefile.ReadFile(stampPath, 1<<16) // a FIFO there would hang (thirty-second probe's nit)
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
		return "", fmt.Errorf("the plugin installed by `%s` in %s is not used: %w: %s", UserSetupCommand, venv, err, afresh(err))
	}
	if err := CheckPluginRecord(real, false); err != nil {
		return "", fmt.Errorf("the plugin installed by `%s` in %s is not used: %w: `%s` installs it afresh", UserSetupCommand, venv, err, UserSetupCommand)
	}
	return real, nil
}

// CheckPluginRecord refuses a plugin file that is not what pip installed, as pip's RECORD of the wheel
// beside it lists it: by its size, and with digest by its SHA-256 too (a second for its 250 MB, which
// `ddpm setup` spends). A file emptied in the cache failed every command, which said to run setup,
// which found it "already installed" (seventy-ninth probe). Where no RECORD lists it, the commands have
// nothing to compare with and refuse nothing; setup, whose pip wrote the RECORD with the plugin, refuses
// it and installs afresh: a plugin cut short beside a RECORD that lost its row, or a dist-info of
// another version, was "already installed" (eighty-second probe).
func CheckPluginRecord(plugin string, digest bool) error {
	sitePackages := filepath.Dir(filepath.Dir(filepath.Dir(plugin))) // …/site-packages/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so
	record := filepath.Join(sitePackages, strings.ReplaceAll(PluginPackage, "-", "_")+"-"+PluginVersion+".dist-info", "RECORD")
	unlisted := func(why string) error {
		if digest {
			return fmt.Errorf("%s: %s, where pip lists what it installed: it is not known to be what pip installed", plugin, why)
		}
		return nil
	}
	raw, err := safefile.ReadFile(record, 1<<20)
	if err != nil {
		return unlisted(fmt.Sprintf("no RECORD of %s %s is there (%v)", PluginPackage, PluginVersion, err))
	}
	rel, _ := filepath.Rel(sitePackages, plugin)
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", record, err)
	}
	for _, row := range rows {
		if len(row) != 3 || row[0] != rel {
			continue
		}
		want, hash, ok := strings.Cut(row[1], "=")
		size, err := strconv.ParseInt(row[2], 10, 64)
		if !ok || want != "sha256" || err != nil {
			return fmt.Errorf("%s lists %s as %q, not by its SHA-256 and size", record, rel, strings.Join(row, ","))
		}
		info, err := os.Stat(plugin)
		if err != nil {
			return err
		}
		if info.Size() != size {
			return fmt.Errorf("%s is %d bytes, where pip installed %d (%s): it was damaged since", plugin, info.Size(), size, record)
		}
		if digest {
			f, err := safefile.Open(plugin)
			if err != nil {
				return err
			}
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				return fmt.Errorf("%s: %w", plugin, err)
			}
			if got := base64.RawURLEncoding.EncodeToString(h.Sum(nil)); got != hash {
				return fmt.Errorf("%s has another SHA-256 than pip installed (%s): it was damaged since", plugin, record)
			}
		}
		return nil
	}
	return unlisted("not listed in " + record)
}

// afresh is the advice for a setup's plugin refused for err: `ddpm setup` installs it afresh, in a
// folder of the user's own where one on the way belongs to another user (setup refuses to install
// there; forty-fourth probe's nit).
func afresh(err error) string {
	if errors.Is(err, ErrOtherUser) {
		return fmt.Sprintf("set $XDG_CACHE_HOME to a folder of yours, where `%s` installs it afresh", UserSetupCommand)
	}
	return fmt.Sprintf("`%s` installs it afresh", UserSetupCommand)
}

// SetupHint is the one command that installs a plugin for whoever reads the message: SetupCommand
// (`make setup`) inside a clone of this project, UserSetupCommand (`ddpm setup`) elsewhere.
func SetupHint() string {
	wd, _ := os.Getwd()
	return setupHint(wd)
}

func setupHint(wd string) string {
	if clone, _ := findClone(wd); clone != "" {
		return SetupCommand
	}
	return UserSetupCommand
}

// findClone is the root of the clone of this project that holds dir, searched from dir upwards, where
// no other user can change it (isClone); refused says why a clone met on the way was not taken.
func findClone(dir string) (root string, refused error) {
	for dir != "" {
		ok, err := isClone(dir)
		if ok {
			return dir, nil
		}
		if refused == nil {
			refused = err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", refused
}

// isClone says whether dir is the root of a clone of this project: its go.mod declares this module,
// with the Makefile beside it. The go.mod is read only as a regular file of at most maxGoModBytes: a
// FIFO named go.mod above the working directory hung every command, a link to /dev/zero ran it out of
// memory (thirty-second probe). A clone is taken only where no other user can change it (securePath):
// a link in /tmp to a root's go.mod made /tmp a clone (thirty-third probe); refused then says why, as
// a clone whose root others could write was skipped in silence, and the message said that no plugin
// was installed (thirty-fifth probe). Nor may others add to its folder: a hard link to root's go.mod in
// a sticky folder, beside another user's Makefile and .venv, was taken for a clone, and the advice was
// to run `make setup` there (sixty-sixth probe).
func isClone(dir string) (ok bool, refused error) {
	goMod := filepath.Join(dir, "go.mod")
	if _, kernel := trust.OnKernelFS(goMod); kernel { // a link to /proc/kmsg: a read takes the kernel's messages (thirty-seventh probe's nit)
		return false, nil
	}
	raw, err := safefile.ReadFile(goMod, maxGoModBytes)
	if err != nil || modfile.ModulePath(raw) != modulePath {
		return false, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "Makefile")); err != nil {
		return false, nil
	}
	if _, err := securePath(goMod); err != nil {
		return false, fmt.Errorf("the clone of the project at %s is not used: %w", dir, err)
	}
	if err := trust.CheckOwnFolder(dir); err != nil {
		return false, fmt.Errorf("the clone of the project at %s is not used: %w", dir, err)
	}
	if _, err := securePath(filepath.Join(dir, "Makefile")); err != nil {
		return false, fmt.Errorf("the clone of the project at %s is not used: %w", dir, err)
	}
	return true, nil
}

// maxGoModBytes bounds the go.mod read to recognise a clone: this project's is 4 KB.
const maxGoModBytes = 1 << 20
