package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
	"github.com/learn-ddpm/ddpm-go/models"
)

// shippedModel resolves a flag whose default names a shipped model (models/…, from a clone's root):
// the default is read where it is when it exists from the working directory, else from the copy that
// `ddpm setup` wrote into the user's cache (ddpm.UserModelsDir), so that the defaults work outside a
// clone too. A value given on the command line is never redirected. When neither file exists, the
// error names both and the command that writes the second.
func shippedModel(flags *flag.FlagSet, name string) (string, error) {
	value := flags.Lookup(name).Value.String()
	if isSet(flags, name) {
		if value == "" { // it said `checkpoint: open : no such file or directory` (forty-eighth probe's nit)
			return "", fmt.Errorf(`--%s "": name a file, or leave the flag out for its default, %s`, name, flags.Lookup(name).DefValue)
		}
		return value, nil
	}
	if here, err := defaultHere(flags, name); here || err != nil {
		return value, err
	}
	dir, err := ddpm.UserModelsDir()
	if err != nil {
		return "", fmt.Errorf("--%s: the default %s is not in the working directory, and %w", name, value, err)
	}
	cached := filepath.Join(dir, filepath.Base(value))
	info, err := os.Stat(cached)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("--%s: the default %s is in neither the working directory nor the user's cache (%s): "+
			"run `%s` to write the shipped models there, or give --%s", name, value, cached, ddpm.UserSetupCommand, name)
	case err != nil:
		return "", fmt.Errorf("--%s: the default %s is read from the user's cache: %w", name, value, err)
	case !info.Mode().IsRegular(): // a FIFO hung here, and a link to /dev/zero filled the memory (eleventh probe)
		return "", fmt.Errorf("--%s: the default %s is read from the user's cache, where %s is %s, not a regular file: "+
			"remove it and run `%s`, or give --%s", name, value, cached, safefile.Kind(info.Mode()), ddpm.UserSetupCommand, name)
	}
	// The copy and its way are the user's or root's, as setup requires of the cache it writes: checked
	// here and read again by name later, a copy in a cache of another user's (root run with their
	// $XDG_CACHE_HOME) was swapped in between for their model (fifty-eighth probe).
	if _, err := trust.SecureFile(cached); err != nil {
		return "", fmt.Errorf("--%s: the default %s is read from the user's cache, where %s is not read: %w; "+
			"set $XDG_CACHE_HOME to a folder of yours and run `%s`, or give --%s", name, value, cached, err, ddpm.UserSetupCommand, name)
	}
	// The copy must be the model this binary ships: a damaged or older one is named with the fix.
	if want, err := models.Read(filepath.Base(value)); err == nil && !sameContent(cached, info.Size(), want) {
		if target, err := os.Readlink(cached); err == nil { // setup would not write through it (fourteenth probe)
			return "", fmt.Errorf("--%s: the default %s is read from the user's cache, where %s is a link to %s, which is not the model "+
				"this ddpm ships: give --%s %s to use that file, or remove the link and run `%s`", name, value, cached, target,
				name, shellQuote(target), ddpm.UserSetupCommand)
		}
		return "", fmt.Errorf("--%s: the default %s is read from the user's cache, whose copy %s is not the model this ddpm "+
			"ships (damaged, or written by another version): run `%s` to rewrite it, or give --%s", name, value, cached,
			ddpm.UserSetupCommand, name)
	}
	return cached, nil
}

// sameContent says whether the regular file at path, of the given size, holds want: compared by size
// first, and read no further than want's length.
func sameContent(path string, size int64, want []byte) bool {
	if size != int64(len(want)) {
		return false
	}
	f, err := safefile.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	got, err := io.ReadAll(io.LimitReader(f, int64(len(want))+1))
	return err == nil && bytes.Equal(got, want)
}

// defaultHere says whether a flag's default, by its relative name, is in the working directory, and
// refuses one there that another user could have put or could change: run in /tmp, `ddpm sample` read
// the runs/mnist that another user made there, and eval their models/ (fifty-sixth probe). It looks once:
// where it says no, the caller never reads that name. Looked at twice, a name that another user made
// fail the second look ("runs" a file: "not a directory") went unchecked, and they swapped their
// folder in before it was read (fifty-eighth probe). A file the user names is read as named.
func defaultHere(flags *flag.FlagSet, name string) (bool, error) {
	value := flags.Lookup(name).Value.String()
	if isSet(flags, name) {
		return true, nil
	}
	info, err := os.Stat(value)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil: // not a directory, a loop of links, no permission: nothing to read by default
		return false, fmt.Errorf("--%s: the default %s cannot be read from the working directory: %w; give --%s, or run elsewhere", name, value, err, name)
	case info.IsDir():
		// Its newest checkpoint is read: no other user may add one, nor own or change what is there
		// (a checkpoint of theirs, or one anyone may write, in root's runs/mnist was sampled and
		// exported, where train refused it; sixty-third probe).
		err = trust.CheckOwnFolderAndTree(value)
	default:
		_, err = trust.SecureFile(value)
	}
	if err != nil {
		return true, fmt.Errorf("--%s: the default %s, found in the working directory, is not read: %w; give --%s %s to read it anyway, or run elsewhere",
			name, value, err, name, shellQuote(value))
	}
	return true, nil
}

// checkDefaultCheckpoint refuses a default --ckpt folder (where `ddpm train` writes) that does not
// exist, with the way to a shipped model instead: the first command a new user tries is `ddpm sample`.
func checkDefaultCheckpoint(flags *flag.FlagSet) error {
	value := flags.Lookup("ckpt").Value.String()
	if here, err := defaultHere(flags, "ckpt"); here || err != nil {
		return err
	}
	model := filepath.Join("models", "mnist-ema.ddpm") // in a clone of the project
	if _, err := os.Stat(model); err != nil {
		model = "<cache>/ddpm-go/models/mnist-ema.ddpm"
		if dir, err := ddpm.UserModelsDir(); err == nil {
			model = filepath.Join(dir, "mnist-ema.ddpm")
		}
	}
	hint := ""
	if _, err := os.Stat(model); err != nil {
		hint = fmt.Sprintf(" (run `%s` first to write it there)", ddpm.UserSetupCommand)
	}
	return fmt.Errorf("--ckpt %s (the default, where `ddpm train` writes) does not exist: train a model, "+
		"or use a shipped one: --ckpt %s%s", value, shellQuote(model), hint)
}

// setupModelsFolder is the end of the path of the folder that `ddpm setup` writes the shipped models
// into, <cache>/ddpm-go/models (ddpm.UserModelsDir; TestIsSetupModel holds the two alike).
var setupModelsFolder = filepath.Join("ddpm-go", "models")

// notSetupModel refuses an --out where `ddpm setup` writes a shipped model (isSetupModel).
func notSetupModel(out string) error {
	if !isSetupModel(out) {
		return nil
	}
	return fmt.Errorf("--out %s is where `%s` writes the shipped model %s, which the commands read by default: choose another name",
		out, ddpm.UserSetupCommand, filepath.Base(kernelPath(out)))
}

// isSetupModel says whether path, where its write lands, is a shipped model's name in a folder of
// setup's: the user's cache's, or any <…>/ddpm-go/models, since the cache cannot always be found (a
// relative $XDG_CACHE_HOME, no $HOME) and another environment's may be meant. Such a file is setup's:
// classifier and export replaced it, exit 0, and every command that reads it by default refused it, or
// setup then replaced the export without a word (twenty-eighth and twenty-ninth probes).
func isSetupModel(path string) bool {
	target := path
	if t, err := ddpm.OutputTarget(path); err == nil {
		target = t
	}
	if !slices.Contains(models.Names(), filepath.Base(target)) {
		return false
	}
	dir := kernelPath(ddpm.ParentDir(target))
	if cache, err := ddpm.UserModelsDir(); err == nil && sameFile(dir, cache) {
		return true
	}
	return strings.HasSuffix(dir, string(filepath.Separator)+setupModelsFolder)
}
