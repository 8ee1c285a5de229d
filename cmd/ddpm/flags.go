package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// intList is a flag holding comma-separated integers, e.g. --ch-mult 1,2,2.
type intList []int

func (l *intList) String() string {
	parts := make([]string, len(*l))
	for i, v := range *l {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

func (l *intList) Set(s string) error {
	*l = nil
	if strings.TrimSpace(s) == "" {
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("%q is not a comma-separated list of integers", s)
		}
		*l = append(*l, v)
	}
	return nil
}

// isSet reports whether the flag called name was given on the command line (not left at its default).
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// unusedFlags refuses, by name, a flag that was given but does nothing in this run (why says why): a
// flag silently ignored lets a user believe that a run did what it did not.
func unusedFlags(fs *flag.FlagSet, why string, names ...string) error {
	for _, name := range names {
		if isSet(fs, name) {
			return fmt.Errorf("--%s has no effect %s", name, why)
		}
	}
	return nil
}

// flagCheck is one condition on a flag's value, with what the flag needs when it fails.
type flagCheck struct {
	ok    bool
	name  string
	value any
	want  string
}

// checkFlags returns an error naming the first flag whose condition fails, with its value.
func checkFlags(checks ...flagCheck) error {
	for _, c := range checks {
		if !c.ok {
			return fmt.Errorf("--%s %v: %s", c.name, c.value, c.want)
		}
	}
	return nil
}

// learningRateOK reports whether lr is a learning rate Adam can use: in (0, 1] (NaN is not).
func learningRateOK(lr float64) bool { return lr > 0 && lr <= 1 }

// parseFlags parses args into fs and refuses anything left over: Go's flag package stops at the first
// word that is not a flag and leaves every flag after it unset, so `ddpm train oops --steps 5` would
// otherwise run with the defaults.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		// A switch takes its value only after "=": `--clip false` sets --clip and leaves "false" over.
		if stray := len(args) - fs.NArg(); stray > 0 {
			if name := strings.TrimLeft(args[stray-1], "-"); isBoolFlag(fs, name) {
				if _, err := strconv.ParseBool(fs.Arg(0)); err == nil {
					return fmt.Errorf("%q is not a flag: --%s is a switch, which takes its value after \"=\": write --%s=%s",
						fs.Arg(0), name, name, fs.Arg(0))
				}
			}
		}
		return fmt.Errorf("%q is not a flag, and nothing after it was read: %s takes only flags (--name value); "+
			"see ddpm %s -h", fs.Arg(0), fs.Name(), fs.Name())
	}
	return nil
}

// isBoolFlag reports whether fs has a flag name that is a switch (a bool, given without a value).
func isBoolFlag(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// checkExtension refuses an output whose name does not end in ext (in any case): a PNG written over a
// file named model.ddpm, or a model over x.png, destroys a file of another kind without a word.
func checkExtension(flagName, path, ext string) error {
	if !strings.EqualFold(filepath.Ext(path), ext) {
		return fmt.Errorf("%s %q: this output is written as a %s file; give a name ending in %s", flagName, path, strings.TrimPrefix(ext, "."), ext)
	}
	return checkLinkTarget(flagName, path)
}

// sameFile says whether two paths name one file or folder: by name, or as names of one existing file.
func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}

// checkLinkTarget refuses an output that is a symbolic link to a file of another kind (by its
// extension): the write follows the link, and `sample --out pic.png` linked to a training checkpoint
// replaced it with a PNG (tenth probe).
func checkLinkTarget(flagName, path string) error {
	if info, err := os.Lstat(path); err != nil || info.Mode()&os.ModeSymlink == 0 {
		return nil
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil // a dangling link: the atomic writer refuses it by name
	}
	if !strings.EqualFold(filepath.Ext(target), filepath.Ext(path)) {
		return fmt.Errorf("%s %q is a link to %s, a file of another kind, which the write would replace: choose another name", flagName, path, target)
	}
	return nil
}
