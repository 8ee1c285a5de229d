package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// hostileValues are tried on every flag of every command (issue 32): zero and negative, not-a-number
// and the infinities, the largest float64 and one past it, the largest int, nothing, junk, and a value
// that float64 holds but float32 does not.
var hostileValues = []string{"0", "-1", "NaN", "+Inf", "-Inf", "1e308", "1e400", "9223372036854775807", "", "junk", "3.5e38"}

// errFlagsAccepted stops a command where flagsChecked is called: every flag passed its checks.
var errFlagsAccepted = errors.New("flags accepted")

// flagCase is a command with arguments that pass every check, and the flags tried against them.
type flagCase struct {
	command string
	run     func([]string) error
	base    []string
	flags   []string // the flags tried with this base; nil: every flag not tried with another base
	// accepted lists, by flag, the hostile values that are valid settings, not mistakes (a seed of 0,
	// a switch set to false by 0). Any other value must be refused, naming its flag.
	accepted map[string][]string
	// outputs are the flags that name a file or folder to write: any name is valid but the empty one.
	outputs []string
}

// Every flag of every command, set to each hostile value on top of arguments that are otherwise valid,
// is either refused with an error that names the flag, or accepted because the value is a valid setting;
// none panics, hangs, writes anything, or passes a value it cannot use to the work behind the checks.
func TestHostileFlagValues(t *testing.T) {
	work, images := t.TempDir(), t.TempDir()
	writeTinyImages(t, images)
	out := func(name string) string { return filepath.Join(work, name) }
	seeds := []string{"0", "9223372036854775807"}
	// The largest int passes the flag checks of --devices and is refused once the backend says how many
	// devices it has, before anything is written (TestTrainOnDevices).
	devices := []string{"0", "9223372036854775807"}
	// Counts of steps, not sizes: the largest int trains until stopped (and resumes), never allocates.
	steps := []string{"9223372036854775807"}
	cases := []flagCase{
		{command: "train", run: runTrain, base: []string{"--dataset", "moons", "--toy-n", "64", "--steps", "5", "--ckpt", out("moons")},
			flags: []string{"dataset", "toy-n", "mlp-hidden", "learn-sigma", "schedule", "T", "steps", "batch", "lr", "warmup", "clip", "ema",
				"seed", "ckpt", "ckpt-every", "devices", "progress"},
			// A clipping norm beyond any gradient's never clips: valid, if useless.
			accepted: map[string][]string{"seed": seeds, "learn-sigma": {"0"}, "progress": {"0"}, "clip": {"0", "1e308", "9223372036854775807", "3.5e38"},
				"ema": {"0"}, "warmup": {"0", steps[0]}, "devices": devices, "steps": steps},
			outputs: []string{"ckpt"}},
		{command: "train", run: runTrain, base: []string{"--dataset", "folder", "--data", images, "--steps", "5", "--ckpt", out("images")},
			// GroupNorm takes at most the channels it has as groups: more is valid.
			accepted: map[string][]string{"gray": {"0"}, "class-cond": {"0"}, "hflip": {"0"}, "resize": {"0"}, "sample-every": {"0", steps[0]}, "dropout": {"0"},
				"attn": {""}, "groups": {"9223372036854775807"}, "p-uncond": {"0"}}},
		{command: "sample", run: runSample, base: []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", out("s.png"), "--progressive", out("p.png")},
			accepted: map[string][]string{"seed": seeds, "clip": {"0"}, "eta": {"0"}, "cols": {"0"}, "devices": devices, "class": {""},
				"steps": {""}, "guidance": {"0"}, "churn": {"0"}, "progressive-n": {"9223372036854775807"}, "progressive": {""}},
			outputs: []string{"progressive"}},
		{command: "sample", run: runSample, base: []string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--out", out("c.png"), "--class", "7"},
			// A weight of 2^24 or more is refused: float32 rounds 1 + w to w (fifty-eighth probe: 3e38 ran).
			flags:    []string{"class", "guidance"},
			accepted: map[string][]string{"class": {"0", ""}, "guidance": {"0"}}},
		{command: "eval", run: runEval, base: []string{"--ckpt", "../../models/mnist-ema.ddpm", "--nll", "20", "--fid", "20", "--work", out("w"), "--out", out("o"),
			"--classifier", "../../models/mnist-classifier.ddpm"},
			// eval's seed is shifted 32 bits per batch: the largest is refused (it drew what 2^32 less draws).
			// A batch larger than its count is one batch of the count.
			accepted: map[string][]string{"seed": {"0"}, "clip": {"0"}, "eta": {"0"}, "devices": devices, "steps": {""}, "guidance": {"0"},
				"churn": {"0"}, "nll": {"0"}, "fid": {"0"}, "samples": {""}, "data": {""}, "fid-batch": {"9223372036854775807"},
				"nll-batch": {"9223372036854775807"}},
			outputs: []string{"work", "out"}},
		{command: "interpolate", run: runInterpolate, base: []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", out("i.png")},
			accepted: map[string][]string{"seed": seeds, "ddim": {""}, "data": {""}},
			outputs:  []string{"out"}},
		{command: "classifier", run: runClassifier, base: []string{"--out", out("clf.ddpm")},
			accepted: map[string][]string{"seed": seeds, "min-accuracy": {"0"}, "progress": {"0"}, "data": {""}},
			outputs:  []string{"out"}},
		{command: "export", run: runExport, base: []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", out("e.ddpm")},
			outputs: []string{"out"}},
		// No flags: the default python3 is looked for only when a plugin is to be installed; an explicit
		// --python is looked for at once. The user's cache is a folder of the test's (checked below).
		{command: "setup", run: runSetup},
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	defer func(saved func(*flag.FlagSet) error) { flagsChecked = saved }(flagsChecked)
	var captured *flag.FlagSet
	flagsChecked = func(fs *flag.FlagSet) error { captured = fs; return errFlagsAccepted }

	tried := map[string]bool{} // command/flag
	for _, c := range cases {
		for _, name := range c.flags {
			tried[c.command+"/"+name] = true
		}
	}
	start, total, flags := time.Now(), 0, map[string]bool{}
	for _, c := range cases {
		captured = nil
		if err, _ := runCase(c.run, c.base); !errors.Is(err, errFlagsAccepted) || captured == nil {
			t.Fatalf("ddpm %s %s: %v, want the base arguments accepted", c.command, strings.Join(c.base, " "), err)
		}
		var names []string
		captured.VisitAll(func(f *flag.Flag) {
			if (c.flags == nil && !tried[c.command+"/"+f.Name]) || slices.Contains(c.flags, f.Name) {
				names = append(names, f.Name)
			}
		})
		for _, name := range names {
			flags[c.command+"/"+name] = true
			for _, v := range hostileValues {
				total++
				args := withFlag(c.base, name, v)
				before, here := listFiles(t, work), listFiles(t, ".")
				err, trouble := runCase(c.run, args)
				what := fmt.Sprintf("ddpm %s --%s=%q", c.command, name, v)
				switch {
				case trouble != "":
					t.Errorf("%s: %s", what, trouble)
				case errors.Is(err, errFlagsAccepted):
					if !slices.Contains(c.accepted[name], v) && !(slices.Contains(c.outputs, name) && v != "") {
						t.Errorf("%s: accepted; want a refusal naming --%s", what, name)
					}
				case err == nil:
					t.Errorf("%s: finished without reaching the flag checks' end", what)
				case !namesFlag(err.Error(), name):
					t.Errorf("%s: refused with %q, which does not name --%s", what, err, name)
				}
				if after := listFiles(t, work); !slices.Equal(before, after) {
					t.Errorf("%s: wrote %v", what, difference(after, before))
					for _, f := range difference(after, before) {
						os.RemoveAll(filepath.Join(work, f))
					}
				}
				// Nor in the working folder, where a hostile value given to an output flag ("junk",
				// "NaN") would be made (sixty-third probe: only the run's folders were looked at).
				if after := listFiles(t, "."); !slices.Equal(here, after) {
					t.Errorf("%s: wrote %v in the working folder", what, difference(after, here))
					for _, f := range difference(after, here) {
						os.RemoveAll(f)
					}
				}
			}
		}
	}
	if wrote := listFiles(t, cache); len(wrote) > 0 {
		t.Errorf("the commands wrote into the user's cache (ddpm setup's folder): %v", wrote)
	}
	t.Logf("%d hostile values tried on %d flags in %s", total, len(flags), time.Since(start).Round(time.Millisecond))
}

// withFlag is base with --name=v in place of its --name value pair, if it has one (a flag given twice
// is refused).
func withFlag(base []string, name, v string) []string {
	var args []string
	for i := 0; i < len(base); i++ {
		if base[i] == "--"+name {
			i++ // and its value
			continue
		}
		args = append(args, base[i])
	}
	return append(args, "--"+name+"="+v)
}

// runCase runs a command, turning a panic or a run of more than a minute into trouble.
func runCase(run func([]string) error, args []string) (err error, trouble string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				trouble = fmt.Sprintf("panic: %v", r)
			}
		}()
		err = run(args)
	}()
	select {
	case <-done:
		return err, trouble
	case <-time.After(time.Minute):
		return nil, "still running after a minute"
	}
}

// namesFlag reports whether msg names the flag: --name or -name (Go's flag package), as a whole word.
func namesFlag(msg, name string) bool {
	return regexp.MustCompile(`(^|[^\w-])--?` + regexp.QuoteMeta(name) + `($|[^\w-])`).MatchString(msg)
}

// listFiles is every path under dir, relative and sorted.
func listFiles(t *testing.T, dir string) []string {
	var paths []string
	err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err == nil && path != dir {
			rel, _ := filepath.Rel(dir, path)
			paths = append(paths, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	return paths
}

// difference is the elements of a that are not in b.
func difference(a, b []string) []string {
	var d []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			d = append(d, x)
		}
	}
	return d
}

// writeTinyImages writes four 28×28 grey PNGs (MNIST's size, which the default U-Net expects) into dir: an image folder that loads in milliseconds.
func writeTinyImages(t *testing.T, dir string) {
	for i := range 4 {
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		for p := range img.Pix {
			img.Pix[p] = uint8(16*i + p)
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

// A folder given through a link and ".." is the one the kernel reads: `--ckpt lnk/../ck` was checked
// where lnk's target's parent holds ck, then locked and written at the cleaned "ck", a missing folder
// (thirteenth probe).
func TestPathFlagsThroughLinkAndDotDot(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "x", "y"), filepath.Join(dir, "lnk")); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "lnk") + "/../ck"
	if err := runTrain([]string{"--dataset", "moons", "--toy-n", "256", "--T", "50", "--steps", "2", "--ckpt", ckpt, "--progress=false"}); err != nil {
		t.Fatalf("train --ckpt %s: %v", ckpt, err)
	}
	if latest, err := ddpm.LatestCheckpoint(filepath.Join(dir, "x", "ck")); err != nil || latest == "" {
		t.Errorf("no checkpoint in x/ck, where the kernel reads %s (%v)", ckpt, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ck")); err == nil {
		t.Errorf("a folder was made at the cleaned name %s", filepath.Join(dir, "ck"))
	}
	// A checkpoint file as train's --ckpt is named at once (fourteenth probe).
	file := filepath.Join(dir, "x", "ck", "file.ddpm")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runTrain([]string{"--dataset", "moons", "--ckpt", file}); err == nil || !strings.Contains(err.Error(), "--ckpt "+file+" is a file") {
		t.Errorf("train --ckpt a file: %v", err)
	}
	fifo := filepath.Join(dir, "x", "ck", "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runTrain([]string{"--dataset", "moons", "--ckpt", fifo}); err == nil || !strings.Contains(err.Error(), "--ckpt "+fifo+" is a FIFO") {
		t.Errorf("train --ckpt a FIFO: %v", err)
	}
	for path, want := range map[string]string{
		"a/b":                                "a/b",
		"missing/../x":                       "",                                 // refused: made where the kernel leads, written where Join tidies (eighty-third probe)
		filepath.Join(dir, "lnk") + "/../x/": filepath.Join(dir, "x", "x") + "/", // a "/" at the end kept (eighty-fourth probe)
		filepath.Join(dir, "lnk") + "/../..": filepath.Join(dir) + "/",           // a folder's name, said by its "/" (eighty-eighth probe's nit)
	} {
		if got, err := resolveDotDot(path); got != want || (want == "") != (err != nil) {
			t.Errorf("resolveDotDot(%s) = %s, %v; want %q", path, got, err, want)
		}
	}
	// A ".." after a folder not there yet, through a link: refused by name before any work.
	if err := os.Symlink(filepath.Join(dir, "x"), filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	ckpt = filepath.Join(dir, "l") + "/new/../../y"
	if err := runTrain([]string{"--dataset", "moons", "--ckpt", ckpt}); err == nil || !strings.Contains(err.Error(), "--ckpt "+ckpt+": the way up to its last") {
		t.Errorf("train --ckpt %s: %v, want a refusal naming it", ckpt, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "x", "new")); err == nil {
		t.Errorf("train --ckpt %s made a folder", ckpt)
	}
}

// Integer flags are read in decimal only: `--n 010` drew 8 samples, `--steps 0100` trained 64 steps and
// `--seed 0b11` was 3, exit 0 (fourteenth probe); real numbers without underscores or hexadecimal.
func TestIntegerFlagsAreDecimal(t *testing.T) {
	for _, c := range []struct {
		run  func([]string) error
		args []string
		want string
	}{
		{runSample, []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--n", "010"}, "--n 010: write a whole number in decimal"},
		{runSample, []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--seed=0b11"}, "--seed 0b11"},
		{runTrain, []string{"--dataset", "moons", "--steps", "0800"}, "--steps 0800"},
		{runTrain, []string{"--dataset", "moons", "-T", "0x10"}, "--T 0x10"},
		{runEval, []string{"--nll", "1_000"}, "--nll 1_000"},
		{runSample, []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--seed=+5"}, "--seed +5: write a whole number of 0 or more"}, // sixteenth probe
		// Real numbers too: `--lr 0_1` trained at 1 (thirtieth probe).
		{runTrain, []string{"--dataset", "moons", "--lr", "0_1"}, "--lr 0_1: write a number in decimal"},
		{runSample, []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--eta=0x1p-3"}, "--eta 0x1p-3: write a number in decimal"},
		{runTrain, []string{"--dataset", "moons", "--ckpt-every", "5"}, "--ckpt-every 5: write a duration as a decimal number with its unit"}, // Go said "parse error"
		{runTrain, []string{"--dataset", "moons", "--ckpt-every", "1e-9s"}, "without an exponent"},                                            // it has its unit
	} {
		if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	n := fs.Int("n", 0, "")
	if err := parseFlags(fs, []string{"--n", "-10"}); err != nil || *n != -10 {
		t.Errorf("--n -10: %d, %v", *n, err)
	}
}

// A flag whose value was forgotten takes the next flag as its value: `--progressive --out=x.png` wrote
// the figure to a file "--out=x.png" and the samples over samples.png, exit 0 (fifteenth probe). It is
// refused by name; the value written after "=" is taken as meant.
func TestAFlagIsNotAnotherFlagsValue(t *testing.T) {
	for _, c := range []struct {
		run  func([]string) error
		args []string
		want string
	}{
		{runSample, []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--progressive", "--out=x.png"}, "--progressive takes a value, and the word after it is the flag --out=x.png"},
		{runTrain, []string{"--dataset", "moons", "--ckpt", "--steps=20"}, "--ckpt takes a value"},
		{runInterpolate, []string{"--out", "-t", "20"}, "--out takes a value"},
		{runExport, []string{"--ckpt", "--", "--out=x.ddpm"}, `--ckpt takes a value, and the word after it is "--"`}, // sixteenth probe
		// The help's own words, which are no flag of the set: a folder "--help" was trained into (thirty-first probe).
		{runTrain, []string{"--dataset", "moons", "--steps", "5", "--ckpt", "--help"}, "--ckpt takes a value, and the word after it is --help, which asks for the help"},
		{runEval, []string{"--nll", "2", "--fid", "0", "--work", "-h"}, "--work takes a value, and the word after it is -h"},
	} {
		if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	out := fs.String("out", "", "")
	n := fs.Int("n", 0, "")
	if err := parseFlags(fs, []string{"--out=--n.png", "--n", "-3"}); err != nil || *out != "--n.png" || *n != -3 {
		t.Errorf("--out=--n.png --n -3: %q, %d, %v", *out, *n, err)
	}
}

// interpolate draws at most 101 values of λ, each captioned to two decimals: --lambdas 100000 passed
// every check and sampled for hours towards a figure 2.8 million pixels wide (thirty-first probe).
func TestInterpolateBoundsItsLambdas(t *testing.T) {
	defer func(saved func(*flag.FlagSet) error) { flagsChecked = saved }(flagsChecked)
	flagsChecked = func(*flag.FlagSet) error { return errFlagsAccepted }
	base := []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--pairs", "1", "--out", filepath.Join(t.TempDir(), "i.png")}
	if err := runInterpolate(append(slices.Clone(base), "--lambdas", "101")); !errors.Is(err, errFlagsAccepted) {
		t.Errorf("--lambdas 101: %v, want it accepted", err)
	}
	for _, v := range []string{"102", "100000"} {
		if err := runInterpolate(append(slices.Clone(base), "--lambdas", v)); err == nil || !strings.Contains(err.Error(), "--lambdas "+v+": at most 101") {
			t.Errorf("--lambdas %s: error %v, want a refusal naming the most", v, err)
		}
	}
}

// A figure the drawing refuses (more than viz.MaxPixels) is refused from the flags, before the
// sampling: interpolate and sample --progressive sampled for minutes first (thirty-ninth probe).
func TestFiguresTooLargeAreRefusedBeforeTheSampling(t *testing.T) {
	defer func(saved func(*flag.FlagSet) error) { flagsChecked = saved }(flagsChecked)
	flagsChecked = func(*flag.FlagSet) error { return errFlagsAccepted }
	dir := t.TempDir()
	ckpt := "../../models/mnist-ch8-ema.ddpm"
	interpolate := []string{"--ckpt", ckpt, "--lambdas", "101", "--t", "1", "--out", filepath.Join(dir, "i.png")}
	if err := runInterpolate(append(slices.Clone(interpolate), "--pairs", "10")); !errors.Is(err, errFlagsAccepted) {
		t.Errorf("interpolate --pairs 10 --lambdas 101: %v, want it accepted", err)
	}
	if err := runInterpolate(append(slices.Clone(interpolate), "--pairs", "900")); err == nil || !strings.Contains(err.Error(), "900 pairs (--pairs) of 103 images") ||
		!strings.Contains(err.Error(), "pixels") {
		t.Errorf("interpolate --pairs 900 --lambdas 101: %v, want a refusal naming the flags and the pixels", err)
	}
	steps := make([]string, 100)
	for i := range steps {
		steps[i] = strconv.Itoa(i + 1)
	}
	// sample's steps are known once its sampler is made, after the flags: refused before the sampling.
	flagsChecked = func(*flag.FlagSet) error { return nil }
	out := filepath.Join(dir, "s.npy")
	sample := []string{"--ckpt", ckpt, "--progressive", filepath.Join(dir, "p.png"), "--progressive-t", strings.Join(steps, ","), "--out", out}
	start := time.Now()
	if err := runSample(append(slices.Clone(sample), "--n", "700", "--progressive-n", "700")); err == nil || !strings.Contains(err.Error(), "700 samples (--progressive-n) at 100 steps (--progressive-t)") {
		t.Errorf("sample --progressive-n 700 at 100 steps: %v, want a refusal naming the flags", err)
	}
	if took := time.Since(start); took > time.Minute {
		t.Errorf("sample --progressive-n 700 at 100 steps was refused after %s", took)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("refused, sample wrote %s", out)
	}
}

// A file flag given as "" is named as such: export and eval's --classifier said `checkpoint : stat :
// no such file or directory` (forty-eighth probe's nits).
func TestEmptyFileFlagsAreNamed(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		run  func([]string) error
		args []string
		want string
	}{
		{runExport, []string{"--ckpt=", "--out", filepath.Join(dir, "x.ddpm")}, `--ckpt "": name a training checkpoint`},
		{runEval, []string{"--classifier=", "--samples", dir, "--out", filepath.Join(dir, "o")}, `--classifier "": name a file`},
		{runEval, []string{"--ckpt=", "--nll", "2", "--fid", "0", "--out", filepath.Join(dir, "o")}, `--ckpt "": name a file`},
	} {
		if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

// A value that passes its float64 range but is 0 or 1 as the float32 that the graphs take is refused
// by its flag: --dropout 0.99999998 dropped every value and ended in a NaN loss blamed on the learning
// rate, --lr 1e-50 trained nothing and exited 0, and the classifier's said to lower it (fifty-sixth
// probe). The library refuses the same values.
func TestValuesThatFloat32RoundsAwayAreRefused(t *testing.T) {
	work, images := t.TempDir(), t.TempDir()
	writeTinyImages(t, images)
	for _, c := range []struct {
		run  func([]string) error
		args []string
		flag string
	}{
		{runTrain, []string{"--dataset", "folder", "--data", images, "--steps", "5", "--ckpt", filepath.Join(work, "d"), "--dropout", "0.99999998"}, "--dropout 0.99999998"},
		{runTrain, []string{"--dataset", "moons", "--steps", "5", "--ckpt", filepath.Join(work, "l"), "--lr", "1e-50"}, "--lr 1e-50"},
		{runClassifier, []string{"--out", filepath.Join(work, "c.ddpm"), "--lr", "1e-50"}, "--lr 1e-50"},
	} {
		if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), c.flag) || !strings.Contains(err.Error(), "float32") {
			t.Errorf("%v: %v, want a refusal naming %s and float32", c.args, err, c.flag)
		}
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Errorf("refused runs left %d files in their folder", len(entries))
	}
	unet := ddpm.MNISTConfig()
	unet.Dropout = 0.99999998
	if err := unet.Validate(); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("UNetConfig.Validate of Dropout 0.99999998: %v", err)
	}
	if err := (ddpm.OptimizerConfig{LearningRate: 1e-50}).Validate(); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("OptimizerConfig.Validate of LearningRate 1e-50: %v", err)
	}
	// Near the edges, valid.
	defer func(saved func(*flag.FlagSet) error) { flagsChecked = saved }(flagsChecked)
	flagsChecked = func(*flag.FlagSet) error { return errFlagsAccepted }
	args := []string{"--dataset", "folder", "--data", images, "--steps", "5", "--ckpt", filepath.Join(work, "ok"), "--dropout", "0.9999999", "--lr", "1e-30"}
	if err := runTrain(args); !errors.Is(err, errFlagsAccepted) {
		t.Errorf("%v: %v, want the flags accepted", args, err)
	}
}

// A ~ that a shell would have expanded but none did is refused in every path flag: ~ alone or before a
// /, and ~user of a user there (ninety-second probe's nit); a name that only begins with ~, which the
// shell leaves as it is, is a name (~draft.png was refused as a folder called ~; ninety-third probe's nit).
func TestUnexpandedHomeIsWhatAShellExpands(t *testing.T) {
	for path, want := range map[string]bool{"~": true, "~/x.png": true, "~root": true, "~root/x.png": true,
		"~draft.png": false, "~no-such-user-ddpm/x": false, "a/~/x": false, "./~/x": false, "": false,
		// bash's (ninety-fourth probe's nit)
		"~+/a": true, "~-/run": true, "~0": true, "~+0/a": true, "~2/a": true, "~-1": true, "~+x": false, "~--/a": false, "~1a": false} {
		if _, _, got := trust.UnexpandedTilde(path); got != want {
			t.Errorf("UnexpandedTilde(%q) = %v, want %v", path, got, want)
		}
	}
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out=~/x.png"}, "--out ~/x.png: ~ is your home folder ($HOME) to a shell, but came here unexpanded"},
		{[]string{"--out=~root/x.png"}, "~root is root's home folder"},
		{[]string{"--out=~-/x.png"}, "~- is the folder before it ($OLDPWD) to a shell"},
		{[]string{"--out=~-0/x.png"}, "~-0 is a folder of bash's folder stack (dirs)"}, // its last entry, not $OLDPWD (ninety-ninth probe's nit)
		{[]string{"--ckpt", "~/run", "--out", filepath.Join(dir, "x.png")}, "--ckpt ~/run: ~ is your home folder"},
	} {
		if err := runSample(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("sample %q: %v, want an error containing %q", c.args, err, c.want)
		}
	}
	// ~draft.png is taken as the name it is: the refusal that follows is of the missing checkpoint.
	if err := runSample([]string{"--ckpt", filepath.Join(dir, "none.ddpm"), "--out", "~draft.png"}); err == nil || strings.Contains(err.Error(), "~draft.png") {
		t.Errorf("sample --out ~draft.png: %v, want it taken as a name (and the missing checkpoint refused)", err)
	}
}
