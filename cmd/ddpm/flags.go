package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
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
// learningRateOK: at most 1, and a float32 as the graphs take it no smaller than the least normal
// float32: `--lr 1e-50` is 0 as a float32, and trained nothing, exit 0 (fifty-sixth probe).
func learningRateOK(lr float64) bool { return lr >= 0x1p-126 && lr <= 1 }

// learningRateRange is learningRateOK's range, as the refusals say it.
const learningRateRange = "the learning rate must be in (0, 1], and at least 1.2e-38, float32's least normal number (below it, as a float32, no step moves a weight)"

// parseFlags parses args into fs and refuses anything left over: Go's flag package stops at the first
// word that is not a flag and leaves every flag after it unset, so `ddpm train oops --steps 5` would
// otherwise run with the defaults.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := swallowedFlag(fs, args); err != nil {
		return err
	}
	if err := notDecimal(fs, args); err != nil {
		return err
	}
	// The usage is printed for -h, not after a bad value (`--clip=2` printed every flag above its
	// one-line error; eleventh probe): the error says where to find it.
	var usage bytes.Buffer
	out := fs.Output()
	fs.SetOutput(&usage)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		// Asked for, the help is the output, as `ddpm help` prints it: `ddpm help sample | grep steps`
		// found nothing on standard error (thirty-first probe's nit).
		// It is the command's result: a failed write is an error (`--help > /dev/full` exited 0).
		if _, werr := os.Stdout.Write(usage.Bytes()); werr != nil {
			return fmt.Errorf("standard output: %w", werr)
		}
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("%w (see ddpm %s -h)", err, fs.Name())
	}
	if err != nil {
		return err
	}
	if twice := givenTwice(fs, args[:len(args)-fs.NArg()]); twice != "" {
		eprintf("warning: %s given more than once: the last value is used\n", shortened(twice))
	}
	// A ~ that a shell expands to a folder, come unexpanded, names a folder called ~ to the kernel
	// (trust.UnexpandedTilde); one that no shell expands, ~draft.png, is a name (ninety-third probe's nit).
	for _, name := range append(slices.Clone(pathFlags), "venv", "requirements", "python") {
		if f := fs.Lookup(name); f != nil && isSet(fs, name) {
			if tilde, means, ok := trust.UnexpandedTilde(f.Value.String()); ok {
				return fmt.Errorf("--%s %s: %s is %s to a shell, but came here unexpanded (quoted, after \"=\", or past a shell that could not), and to the kernel it names a folder called %s: write the path itself, or ./%s for a name that begins with ~",
					name, f.Value.String(), tilde, means, tilde, f.Value.String())
			}
		}
	}
	for _, name := range pathFlags {
		if f := fs.Lookup(name); f != nil {
			v := f.Value.String()
			resolved, err := resolveDotDot(v)
			if err != nil {
				return fmt.Errorf("--%s %w", name, err)
			}
			if resolved != v {
				f.Value.Set(resolved) //nolint:errcheck // a string flag takes any value
			}
		}
	}
	if fs.NArg() > 0 {
		// A switch takes its value only after "=": `--clip false` sets --clip and leaves "false" over.
		if stray := len(args) - fs.NArg(); stray > 0 && args[stray-1] == "--" { // `sample -- --n 5` blamed --n
			return fmt.Errorf("\"--\" ends the flags, and %s takes no other arguments: remove it (nothing after it was read)", fs.Name())
		}
		if stray := len(args) - fs.NArg(); stray > 0 {
			if name := strings.TrimLeft(args[stray-1], "-"); isBoolFlag(fs, name) {
				if _, err := strconv.ParseBool(fs.Arg(0)); err == nil {
					return fmt.Errorf("%q is not a flag: --%s is a switch, which takes its value after \"=\": write --%s=%s",
						fs.Arg(0), name, name, fs.Arg(0))
				}
			}
		}
		flags := 0
		fs.VisitAll(func(*flag.Flag) { flags++ })
		if flags == 0 { // "see ddpm info -h" listed nothing (sixty-third probe's nit)
			return fmt.Errorf("%q is not a flag: ddpm %s takes no arguments", fs.Arg(0), fs.Name())
		}
		return fmt.Errorf("%q is not a flag, and nothing after it was read: %s takes only flags (--name value); "+
			"see ddpm %s -h", fs.Arg(0), fs.Name(), fs.Name())
	}
	return nil
}

// pathFlags are the flags that name a file or a folder.
var pathFlags = []string{"ckpt", "classifier", "data", "out", "progressive", "samples", "work"}

// resolveDotDot returns path as the kernel reads it where it holds a ".." element: the part up to its
// last ".." with its links followed, then the rest. The commands join names to folders with
// filepath.Join, which cleans "lnk/../ck" to "ck", where the kernel follows lnk first: --ckpt
// lnk/../ck was checked in one folder and locked in another, a missing one (thirteenth probe). A path
// whose part up to its last ".." cannot be followed is refused: left as given, "l/new/../../ck" was
// made where the kernel leads (l's target's new/, then up) and written where filepath.Join tidies it
// (./ck), and train started afresh beside the run it named (eighty-third probe).
func resolveDotDot(path string) (string, error) {
	sep := string(filepath.Separator)
	parts := strings.Split(path, sep)
	last := -1
	for i, e := range parts {
		if e == ".." {
			last = i
		}
	}
	if last < 0 {
		return path, nil
	}
	way := strings.Join(parts[:last+1], sep)
	head, err := filepath.EvalSymlinks(way)
	if err != nil {
		return "", fmt.Errorf("%s: the way up to its last \"..\", %s, cannot be followed (%w): write the path without the \"..\", as it will be", path, way, err)
	}
	resolved := filepath.Join(head, strings.Join(parts[last+1:], sep))
	// A folder it names by ".." at its end is said so by a "/": "d.png/.." was refused as ".", "want a
	// .png", where checkFileName names a folder's name as one (eighty-eighth probe's nit).
	if last == len(parts)-1 && resolved != sep {
		return resolved + sep, nil
	}
	// A "/" or "/." at its end is kept, which the kernel refuses after a file: tidied away, "sub/../b.png/"
	// was written as b.png (eighty-fourth probe).
	for _, end := range []string{"/.", "/"} {
		if strings.HasSuffix(path, end) && !strings.HasSuffix(resolved, end) && last < len(parts)-1 {
			return resolved + end, nil
		}
	}
	return resolved, nil
}

// givenTwice names the flags given more than once among the parsed flags, with their values. Go's flag
// package keeps the last value, as scripts that append to common flags expect, but without a word
// (`interpolate --t 100 --t 50` drew one block; eleventh probe), so the command says so. It reads the
// flags as the flag package does: -name or --name, the value after "=" or, but for a switch, in the
// next word.
func givenTwice(fs *flag.FlagSet, parsed []string) string {
	var order []string
	values := map[string][]string{}
	for _, g := range givenFlags(fs, parsed) {
		if _, seen := values[g.name]; !seen {
			order = append(order, g.name)
		}
		values[g.name] = append(values[g.name], g.value)
	}
	var twice []string
	for _, name := range order {
		if len(values[name]) > 1 {
			twice = append(twice, fmt.Sprintf("--%s (%s)", name, strings.Join(values[name], ", then ")))
		}
	}
	return strings.Join(twice, " and ")
}

// notDecimal refuses an integer flag written otherwise than in decimal digits, a real number
// written with underscores or in hexadecimal, and a duration without its unit. Go's flag package reads
// integers in any base: `--n 010` drew 8 samples and `--steps 0100` trained 64 steps, exit 0 (zero-padded
// numbers, as `printf %03d` writes them), `--seed 0b11` was 3, and `--steps 0800` failed with "parse
// error" (fourteenth probe).
func notDecimal(fs *flag.FlagSet, args []string) error {
	for _, g := range givenFlags(fs, args) {
		getter, ok := fs.Lookup(g.name).Value.(flag.Getter)
		if !ok {
			continue
		}
		unsigned := false
		switch getter.Get().(type) {
		case int, int64:
		case uint, uint64:
			unsigned = true
		case time.Duration: // `--ckpt-every 5` got Go's "parse error" alone (twenty-seventh probe's nit)
			if _, err := time.ParseDuration(g.value); err != nil {
				// "1e-9s" has its unit, and Go reads no exponent (fifty-seventh probe's nit).
				return fmt.Errorf("--%s %s: write a duration as a decimal number with its unit, without an exponent, such as 90s, 2m, 1.5h or 1h30m", g.name, g.value)
			}
			continue
		case float64: // Go reads 0_1 as 1 and 0x1p-3 as 0.125: `--lr 0_1` trained at 1 (thirtieth probe)
			if strings.Contains(g.value, "_") || strings.Contains(strings.ToLower(g.value), "0x") {
				return fmt.Errorf("--%s %s: write a number in decimal, without underscores (Go would read 0_1 as 1, and 0x1p-3 as 0.125)", g.name, g.value)
			}
			continue
		default:
			continue
		}
		if unsigned && strings.ContainsAny(g.value[:min(1, len(g.value))], "+-") { // "parse error" was all Go said
			return fmt.Errorf("--%s %s: write a whole number of 0 or more in decimal digits, without a sign", g.name, g.value)
		}
		digits := strings.TrimLeft(g.value, "+-")
		if digits == "" || strings.Trim(digits, "0123456789") != "" || (len(digits) > 1 && digits[0] == '0') {
			return fmt.Errorf("--%s %s: write a whole number in decimal digits, without leading zeros (Go would read 010 as octal 8 "+
				"and 0x10 as 16)", g.name, g.value)
		}
	}
	return nil
}

// swallowedFlag refuses a flag whose value, the next word, is another of the command's flags: a
// value forgotten, as in `--progressive --out=x.png`, made that flag the file's name and left the
// other at its default (the samples replaced samples.png; `train --ckpt --steps=20` trained 40 000
// steps into a folder "--steps=20"; fifteenth probe). A value that is meant so is written after "=".
func swallowedFlag(fs *flag.FlagSet, args []string) error {
	for _, g := range givenFlags(fs, args) {
		if !g.separate {
			continue
		}
		if g.value == "--" { // taken as the value, while the flags after it were still read (sixteenth probe)
			return fmt.Errorf("--%s takes a value, and the word after it is \"--\", which ends the flags: give --%s its value", g.name, g.name)
		}
		other, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(g.value, "-"), "-"), "=")
		// -h and -help ask for the help, and are no flag of the set: `train --ckpt --help` trained into
		// a folder "--help", and eval made folders "-h" and "-help" (thirty-first probe).
		if strings.HasPrefix(g.value, "-") && (other == "h" || other == "help") {
			return fmt.Errorf("--%s takes a value, and the word after it is %s, which asks for the help: give --%s its value, "+
				"or run ddpm %s -h (write --%s=%s if that is meant)", g.name, g.value, g.name, fs.Name(), g.name, g.value)
		}
		if strings.HasPrefix(g.value, "-") && other != "" && fs.Lookup(other) != nil {
			return fmt.Errorf("--%s takes a value, and the word after it is the flag %s: give --%s its value (write --%s=%s if that is meant)",
				g.name, g.value, g.name, g.name, g.value)
		}
	}
	return nil
}

// givenFlag is one flag as given: its name and value, and whether the value was the next word.
type givenFlag struct {
	name, value string
	separate    bool
}

// givenFlags reads args as the flag package does, up to the "--" that ends the flags or the first
// word that is not a flag: each flag of fs given, in order, with its value.
func givenFlags(fs *flag.FlagSet, args []string) []givenFlag {
	var given []givenFlag
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(args[i], "-"), "-"), "=")
		if name == "" || !strings.HasPrefix(args[i], "-") {
			break
		}
		separate := false
		switch {
		case hasValue:
		case isBoolFlag(fs, name):
			value = "true"
		case i+1 < len(args):
			i++
			value, separate = args[i], true
		}
		if fs.Lookup(name) != nil {
			given = append(given, givenFlag{name, value, separate})
		}
	}
	return given
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
	if err := checkFileName(flagName, path); err != nil {
		return err
	}
	if !strings.EqualFold(filepath.Ext(path), ext) {
		return fmt.Errorf("%s %q: this output is written as a %s file; give a name ending in %s", flagName, path, strings.TrimPrefix(ext, "."), ext)
	}
	return checkOutputTarget(flagName, path)
}

// checkFileName refuses an output file's name that ends in "/" or "/.", which names a folder: "want a
// .png" of "s.png/" misled (eighty-sixth probe's nit, then the other outputs'; eighty-seventh probe).
func checkFileName(flagName, path string) error {
	if strings.HasSuffix(path, "/") || strings.HasSuffix(path, "/.") || path == "." || path == ".." || strings.HasSuffix(path, "/..") {
		return fmt.Errorf("%s %q: a folder's name (it ends in \"/\", \".\" or \"..\"), where a file's is wanted", flagName, path)
	}
	return nil
}

// sameFile says whether two paths name one file or folder: by name, as names of one existing file, or,
// for files yet to be made, as one name in one folder, the folders as the kernel resolves them (`--out
// a.png --progressive $PWD/a.png`, or lnk/../s.png and x/s.png, wrote the figure over the samples;
// eleventh and twelfth probes).
func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ia, ib)
	}
	// One of them not there yet: the same once its folders are made? "link/new/.." is the link's target
	// then, and was passed as another folder than the samples folder it landed in (eightieth probe).
	if ea, err := trust.Eventual(a); err == nil {
		if eb, err := trust.Eventual(b); err == nil && sameEventual(ea, eb) {
			return true
		}
	}
	if errA == nil || errB == nil {
		return false
	}
	da, errA := os.Stat(ddpm.ParentDir(a))
	db, errB := os.Stat(ddpm.ParentDir(b))
	return errA == nil && errB == nil && os.SameFile(da, db) && filepath.Base(a) == filepath.Base(b)
}

// sameEventual says whether two paths, each as trust.Eventual gives it, will be one: their deepest
// folders that exist one folder (two names of a bind mount are; compared as text, bs/new/.. passed for
// the samples folder s that bs mounts; eighty-first probe), and the names below them alike.
func sameEventual(a, b string) bool {
	pa, ra := existingPart(a)
	pb, rb := existingPart(b)
	ia, errA := os.Stat(pa)
	ib, errB := os.Stat(pb)
	return errA == nil && errB == nil && os.SameFile(ia, ib) && ra == rb
}

// existingPart splits p into its deepest part that exists and the names below it.
func existingPart(p string) (at, rest string) {
	for {
		if _, err := os.Lstat(p); err == nil || p == "/" || p == "." {
			return p, rest
		}
		rest, p = filepath.Join(filepath.Base(p), rest), filepath.Dir(p)
	}
}

// within says whether path is the folder dir or lies in it, at any depth, whether or not path exists
// yet. Each folder on its way up is found as the kernel finds it, by appending "/.." to the nearest
// one that exists (no absolute path, which can pass the kernel's 4 096 bytes, and no lexical cleaning,
// which takes "link/.." for the link's folder; twelfth probe), and compared with dir as a file.
func within(path, dir string) bool {
	d, err := os.Stat(dir)
	if err != nil || !d.IsDir() {
		return false
	}
	root, err := os.Stat("/")
	if err != nil {
		return false
	}
	p := path
	for {
		if info, err := os.Stat(p); err == nil {
			if !info.IsDir() {
				p = ddpm.ParentDir(p)
			}
			break
		}
		parent := ddpm.ParentDir(p)
		if parent == p {
			return false
		}
		p = parent
	}
	for range 4096 {
		info, err := os.Stat(p)
		if err != nil {
			return false
		}
		if os.SameFile(info, d) {
			return true
		}
		if os.SameFile(info, root) {
			return false
		}
		p += "/.."
	}
	return false
}

// checkOutputTarget refuses, before any work, an output that the write would refuse (ddpm.OutputTarget):
// a link to nothing, to a file of another kind, or something other than a regular file.
func checkOutputTarget(flagName, path string) error {
	// --out .png wrote a hidden file ".png" (eleventh probe), --out ..png one named "..png" (twelfth).
	if ext := filepath.Ext(path); ext != "" && strings.Trim(strings.TrimSuffix(filepath.Base(path), ext), ".") == "" {
		return fmt.Errorf("%s %q: a name that is only its extension; give one before %s", flagName, path, ext)
	}
	if _, err := ddpm.OutputTarget(path); err != nil {
		return fmt.Errorf("%s %q: %w", flagName, path, err)
	}
	return nil
}
