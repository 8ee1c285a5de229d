package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/models"
)

// The command line end to end on a 2-D toy set and on a tiny image folder: train, resume, sample,
// export, and the errors a user meets first.
func TestTrainSampleExportToy(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "moons")
	train := []string{"--dataset", "moons", "--toy-n", "512", "--T", "50", "--batch", "64", "--ckpt", ckpt, "--progress=false"}
	if err := runTrain(append(train, "--steps", "20")); err != nil {
		t.Fatal(err)
	}
	if err := runTrain(append(train, "--steps", "30")); err != nil { // resumes at step 20
		t.Fatal(err)
	}
	if latest := mustLatest(t, ckpt); !strings.HasSuffix(latest, "ckpt-000000030.ddpm") {
		t.Fatalf("after resuming, the newest checkpoint is %s, want step 30", latest)
	}
	out := filepath.Join(dir, "moons.png")
	if err := runSample([]string{"--ckpt", ckpt, "--n", "200", "--out", out}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, out)
	// Figure 6 is for images: on 2-D points it panicked (issue 32's second probe).
	err := runSample([]string{"--ckpt", ckpt, "--n", "4", "--out", out, "--progressive", filepath.Join(dir, "p.png")})
	if err == nil || !strings.Contains(err.Error(), "--progressive") {
		t.Errorf("--progressive on a 2-D model: error %v, want a refusal naming --progressive", err)
	}
	exported := filepath.Join(dir, "moons-ema.ddpm")
	// Without room for it, the export is refused by name, and nothing is written.
	freeSpace := ddpm.FreeSpace
	ddpm.FreeSpace = func(string) (float64, error) { return 100, nil }
	err = runExport([]string{"--ckpt", ckpt, "--out", exported})
	ddpm.FreeSpace = freeSpace
	if _, statErr := os.Stat(exported); err == nil || !strings.Contains(err.Error(), "--out "+exported+": its file system has") || statErr == nil {
		t.Errorf("export to a full file system: error %v, written: %v; want a refusal naming --out, nothing written", err, statErr == nil)
	}
	if err := runExport([]string{"--ckpt", ckpt, "--out", exported}); err != nil {
		t.Fatal(err)
	}
	if err := runSample([]string{"--ckpt", exported, "--n", "10", "--out", filepath.Join(dir, "from-export.png")}); err != nil {
		t.Fatalf("sampling from the exported weights: %v", err)
	}
	full, _ := os.Stat(mustLatest(t, ckpt))
	small, _ := os.Stat(exported)
	if small.Size()*2 > full.Size() {
		t.Errorf("the export (%d bytes) is not much smaller than the training checkpoint (%d bytes)", small.Size(), full.Size())
	}

	// Resuming a folder with another model is refused, naming the folder.
	err = runTrain([]string{"--dataset", "8gaussians", "--toy-n", "512", "--T", "50", "--ckpt", ckpt, "--steps", "40", "--progress=false"})
	if err == nil || !strings.Contains(err.Error(), ckpt) {
		t.Errorf("training 8gaussians into the moons folder: error %v", err)
	}
	// A different setting is named with both values; another recipe resumes (with a warning).
	err = runTrain(append(train, "--steps", "40", "--mlp-hidden", "64"))
	if err == nil || !strings.Contains(err.Error(), "mlp.hidden: 128 in the checkpoint, 64 now") {
		t.Errorf("resuming with --mlp-hidden 64: error %v, want one naming mlp.hidden and both values", err)
	}
	if err := runTrain(append(train, "--steps", "32", "--lr", "5e-4")); err != nil {
		t.Errorf("resuming with another --lr: %v", err)
	}
	// Other training data (here more points) resumes, fine-tuning being a use, but says so; the same
	// data says nothing (fourth probe: a folder swapped for another was trained on without a word). A
	// toy set's is drawn again, not read: --data was blamed, which toy sets refuse (seventeenth probe).
	for i, c := range []struct {
		toyN string
		warn bool
	}{{"512", false}, {"600", true}} {
		var err error
		stderr := captureStderr(t, func() {
			err = runTrain([]string{"--dataset", "moons", "--toy-n", c.toyN, "--T", "50", "--ckpt", ckpt, "--steps", fmt.Sprint(33 + i),
				"--progress=false"})
		})
		if warned := strings.Contains(stderr, "the toy set drawn again, from another --seed or --toy-n"); err != nil || warned != c.warn || strings.Contains(stderr, "--data") {
			t.Errorf("resuming with --toy-n %s: error %v, warned %v (want %v):\n%s", c.toyN, err, warned, c.warn, stderr)
		}
	}
	for _, c := range []struct{ args []string }{{[]string{"--steps", "-5"}}, {[]string{"--batch", "0"}}, {[]string{"--ema", "1"}}, {[]string{"--lr", "0"}}} {
		err := runTrain(append([]string{"--dataset", "moons", "--ckpt", filepath.Join(dir, "bad")}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.args[0]+" "+c.args[1]) {
			t.Errorf("train %v: error %v, want one naming the flag and its value", c.args, err)
		}
	}
	if err := runTrain([]string{"--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("train --help: error %v, want flag.ErrHelp (main exits 0 on it)", err)
	}
	if err := runTrain([]string{"--dataset", "cifar10"}); err == nil || !strings.Contains(err.Error(), "--data") {
		t.Errorf("cifar10 without --data: error %v", err)
	}
	if err := runTrain([]string{"--dataset", "moons", "--schedule", "quadratic", "--ckpt", filepath.Join(dir, "q")}); err == nil || !strings.Contains(err.Error(), "quadratic") {
		t.Errorf("unknown schedule: error %v", err)
	}
	// With T ≠ 1000 the default schedule is linear-scaled (the run above); the paper's constants with
	// T = 50 would leave x_T far from N(0, I), and a new run with them is refused.
	var saved ddpm.RunSpec
	if _, err := ddpm.ReadCheckpointMeta(mustLatest(t, ckpt), &saved); err != nil || saved.Schedule != ddpm.ScheduleLinearScaled {
		t.Errorf("--T 50 without --schedule trained with schedule %q (err %v), want %q", saved.Schedule, err, ddpm.ScheduleLinearScaled)
	}
	if err := runTrain([]string{"--dataset", "moons", "--schedule", "linear", "--T", "50", "--ckpt", filepath.Join(dir, "l")}); err == nil ||
		!strings.Contains(err.Error(), "--schedule linear --T 50") {
		t.Errorf("linear with T = 50: error %v", err)
	}
	if err := runSample([]string{"--ckpt", ckpt, "--variance", "sigma", "--out", out}); err == nil || !strings.Contains(err.Error(), "sigma") {
		t.Errorf("unknown variance: error %v", err)
	}

	// Fewer steps: DDIM, respaced ancestral sampling and the ODE solvers (an MLP at fractional time
	// steps, written as an array), and their bad flags named.
	for _, args := range [][]string{{"--sampler", "ddim", "--steps", "10"}, {"--sampler", "ddim", "--steps", "ddim5", "--eta", "1"}, {"--steps", "1,25,50"},
		{"--sampler", "heun", "--steps", "5", "--churn", "1"}, {"--sampler", "dpm++2m"}} {
		few := filepath.Join(dir, "few.png")
		if err := runSample(append([]string{"--ckpt", ckpt, "--n", "50", "--out", few}, args...)); err != nil {
			t.Errorf("sample %v: %v", args, err)
		}
		checkPNG(t, few)
	}
	for _, c := range []struct {
		args  []string
		names string
	}{
		{[]string{"--steps", "0"}, "--steps"}, {[]string{"--steps", "51"}, "--steps"}, {[]string{"--steps", "5,2"}, "--steps"},
		{[]string{"--sampler", "lms"}, "lms"}, {[]string{"--sampler", "dpm++2m", "--steps", "50"}, "--steps"}, {[]string{"--eta", "0.5"}, "--eta 0.5: η is DDIM's"}, {[]string{"--sampler", "ddim", "--eta", "2"}, "--eta"},
		// --variance with ddim was silently ignored (ninth probe): refused like --eta without it.
		{[]string{"--sampler", "ddim", "--variance", "posterior"}, "--variance posterior: --sampler ddim takes its σ from --eta"},
	} {
		if err := runSample(append([]string{"--ckpt", ckpt, "--out", out}, c.args...)); err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("sample %v: error %v, want one naming %s", c.args, err, c.names)
		}
	}
}

func mustLatest(t *testing.T, dir string) string {
	t.Helper()
	latest, err := ddpm.LatestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	return latest
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
}

// Learned variances from the command line: train --learn-sigma records it, sample and eval use Σ_θ by
// default (respaced too) and still accept a fixed --variance, and --variance learned is refused for a
// model without them.
func TestLearnSigmaCommandLine(t *testing.T) {
	dir := t.TempDir()
	learned, fixed := filepath.Join(dir, "learned"), filepath.Join(dir, "fixed")
	toy := []string{"--dataset", "moons", "--toy-n", "256", "--T", "50", "--batch", "64", "--steps", "10", "--progress=false"}
	if err := runTrain(append(toy, "--ckpt", learned, "--learn-sigma")); err != nil {
		t.Fatal(err)
	}
	var spec ddpm.RunSpec
	if _, err := ddpm.ReadCheckpointMeta(mustLatest(t, learned), &spec); err != nil || !spec.LearnsSigma() {
		t.Fatalf("train --learn-sigma saved %+v (err %v): the model does not learn its variances", spec.MLP, err)
	}
	if err := runTrain(append(toy, "--ckpt", learned, "--steps", "20")); err == nil || !strings.Contains(err.Error(), learned) {
		t.Errorf("resuming a --learn-sigma run without it: error %v, want one naming the folder", err)
	}
	out := filepath.Join(dir, "s.png")
	for _, args := range [][]string{{}, {"--steps", "10"}, {"--variance", "beta"}, {"--sampler", "ddim", "--steps", "10"}} {
		if err := runSample(append([]string{"--ckpt", learned, "--n", "50", "--out", out}, args...)); err != nil {
			t.Errorf("sample %v from a learned-variance model: %v", args, err)
		}
	}
	if err := runTrain(append(toy, "--ckpt", fixed)); err != nil {
		t.Fatal(err)
	}
	if err := runSample([]string{"--ckpt", fixed, "--variance", "learned", "--out", out}); err == nil ||
		!strings.Contains(err.Error(), "--variance learned") || !strings.Contains(err.Error(), "--learn-sigma") {
		t.Errorf("--variance learned for a fixed-variance model: error %v", err)
	}

	// eval of an image model: the bound with Σ_θ, recorded as such in the report.
	unet := filepath.Join(dir, "unet")
	if err := runTrain([]string{"--ch", "4", "--ch-mult", "1,1", "--attn", "", "--groups", "1", "--steps", "2", "--batch", "8",
		"--learn-sigma", "--ckpt", unet, "--progress=false"}); err != nil {
		t.Fatal(err)
	}
	if err := runEval([]string{"--ckpt", unet, "--classifier", "../../models/mnist-classifier.ddpm", "--work", dir, "--out", dir,
		"--nll", "2", "--nll-batch", "2", "--fid", "0", "--steps", "10"}); err != nil {
		t.Fatal(err)
	}
	var report evalReport
	if raw, err := os.ReadFile(filepath.Join(dir, "eval.json")); err != nil || json.Unmarshal(raw, &report) != nil {
		t.Fatalf("eval.json: %v", err)
	}
	if report.Variance != ddpm.VarianceLearned || report.NLL == nil {
		t.Errorf("eval of a learned-variance model: %+v, want variance %q and a bound", report, ddpm.VarianceLearned)
	}
}

// `ddpm train --devices N` splits the batch over the backend's devices (the CPU plugin has 4), resumes
// a one-device run, and refuses a batch that does not split or more devices than there are.
func TestTrainOnDevices(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "moons")
	train := []string{"--dataset", "moons", "--toy-n", "512", "--T", "50", "--batch", "64", "--ckpt", ckpt, "--progress=false"}
	if err := runTrain(append(train, "--steps", "10")); err != nil {
		t.Fatal(err)
	}
	if err := runTrain(append(train, "--steps", "20", "--devices", "4")); err != nil {
		t.Fatalf("resuming on 4 devices: %v", err)
	}
	if latest := mustLatest(t, ckpt); !strings.HasSuffix(latest, "ckpt-000000020.ddpm") {
		t.Fatalf("after training on 4 devices, the newest checkpoint is %s, want step 20", latest)
	}
	// Sampling splits its batch the same way, and names --n when it does not split.
	out := filepath.Join(dir, "moons.png")
	if err := runSample([]string{"--ckpt", ckpt, "--n", "200", "--devices", "4", "--out", out}); err != nil {
		t.Fatalf("sampling on 4 devices: %v", err)
	}
	checkPNG(t, out)
	if err := runSample([]string{"--ckpt", ckpt, "--n", "201", "--devices", "4", "--out", out}); err == nil ||
		!strings.Contains(err.Error(), "--n 201 cannot be split evenly over 4 devices: the nearest multiples of 4 are 200 and 204") {
		t.Errorf("201 samples on 4 devices: error %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--devices", "3"}, "--batch 64 cannot be split evenly over 3 devices: the nearest multiples of 3 are 63 and 66"},
		{[]string{"--devices", "64"}, "--devices: 64 devices asked for"},
		{[]string{"--devices", "-1"}, "--devices -1"},
	} {
		if err := runTrain(append(append(train, "--steps", "30"), c.args...)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("train %v: error %v, want %q", c.args, err, c.want)
		}
	}
}

// Exporting a file that has no EMA weights (an export, here a shipped model) is refused and writes
// nothing; it wrote a model without weights and exited 0 (issue 32's second probe).
func TestExportRefusesACheckpointWithoutEMA(t *testing.T) {
	out := filepath.Join(t.TempDir(), "again.ddpm")
	err := runExport([]string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", out})
	if err == nil || !strings.Contains(err.Error(), "no EMA weights") {
		t.Errorf("exporting an export: error %v, want a refusal saying it has no EMA weights", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
}

// An export named like a training checkpoint (ckpt-<step>.ddpm) is refused before any work: dropped
// into a run's folder, it was the newest checkpoint that `ddpm train` resumed from, and failed on.
func TestExportRefusesACheckpointName(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ckpt-000099999.ddpm")
	err := runExport([]string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", out})
	if err == nil || !strings.Contains(err.Error(), "--out") || !strings.Contains(err.Error(), "training checkpoint's name") {
		t.Errorf("export --out %s: error %v, want a refusal naming --out and the checkpoint name", out, err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
}

// export needs the room for the export, the checkpoint's EMA weights, not for the whole checkpoint: it
// refused an export of 313 kB to a file system of 800 KiB free, saying it needed 1.2 MiB (fifty-ninth
// probe). With room for the export and less than the checkpoint it writes; with less, it refuses.
func TestExportNeedsTheRoomOfTheExport(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "run")
	if err := runTrain([]string{"--dataset", "moons", "--toy-n", "64", "--steps", "1", "--progress=false", "--ckpt", ckpt}); err != nil {
		t.Fatal(err)
	}
	latest, err := ddpm.LatestCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(latest)
	if err != nil {
		t.Fatal(err)
	}
	defer func(f func(string) (float64, error)) { ddpm.FreeSpace = f }(ddpm.FreeSpace)
	out := filepath.Join(dir, "export.ddpm")
	ddpm.FreeSpace = func(string) (float64, error) { return float64(info.Size()) / 2, nil }
	if err := runExport([]string{"--ckpt", ckpt, "--out", out}); err != nil {
		t.Errorf("an export with half its checkpoint's size free: %v", err)
	}
	written, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(out)
	ddpm.FreeSpace = func(string) (float64, error) { return float64(written.Size()) / 2, nil }
	if err := runExport([]string{"--ckpt", ckpt, "--out", out}); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("an export with half its size free: %v, want a refusal naming --out", err)
	}
}

// A word that is not a flag stops Go's flag parsing, silently turning every flag after it off;
// it is refused by name (issue 32's second probe: `train oops --dataset moons` trained MNIST).
func TestStrayArgumentsAreRefused(t *testing.T) {
	for _, c := range []struct {
		run  func([]string) error
		args []string
	}{
		{runTrain, []string{"oops", "--dataset", "moons"}},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "mysamples.png"}},
		{runEval, []string{"oops", "--fid", "4", "--nll", "0"}},
		{runExport, []string{"--ckpt", "x", "y"}},
		{runInterpolate, []string{"oops"}},
		{runClassifier, []string{"oops"}},
		{runInfo, []string{"oops"}},
		{runSetup, []string{"oops"}},
		{runSetup, []string{"--python", "python3", "oops"}},
	} {
		err := c.run(c.args)
		if err == nil || !strings.Contains(err.Error(), "not a flag") {
			t.Errorf("%v: error %v, want a refusal of the stray word", c.args, err)
		}
	}
	// info has no flags: no "-h" to see them (sixty-third probe's nit).
	if err := runInfo([]string{"models/mnist-ema.ddpm"}); err == nil || !strings.Contains(err.Error(), "ddpm info takes no arguments") || strings.Contains(err.Error(), "-h") {
		t.Errorf("info with a word: error %v, want one saying that info takes no arguments", err)
	}
	// A "--" ends the flags: the refusal names it, not the flag after it (thirteenth probe).
	if err := runSample([]string{"--ckpt", "../../models/mnist-ema.ddpm", "--", "--n", "5"}); err == nil || !strings.Contains(err.Error(), `"--" ends the flags`) {
		t.Errorf("sample -- --n 5: error %v, want a refusal naming \"--\"", err)
	}
	// A switch's value after a space is the stray word: the refusal shows the form that works.
	if err := runSample([]string{"--clip", "false", "--ckpt", "../../models/mnist-ema.ddpm"}); err == nil || !strings.Contains(err.Error(), "write --clip=false") {
		t.Errorf("--clip false: error %v, want one that says to write --clip=false", err)
	}
	// A flag given twice is named with both values (the last one was kept without a word; eleventh probe).
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--t", "100", "-t=50"}, "--t (100, then 50)"},
		{[]string{"--clip", "--n", "3", "--clip=false", "--n=4"}, "--clip (true, then false) and --n (3, then 4)"},
		{[]string{"--n", "3", "--", "--n", "4"}, ""},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.Int("t", 0, "")
		fs.Int("n", 0, "")
		fs.Bool("clip", true, "")
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if got := givenTwice(fs, c.args[:len(c.args)-fs.NArg()]); got != c.want {
			t.Errorf("%v: %q, want %q", c.args, got, c.want)
		}
	}
}

// An output is refused before any work when its name is of another kind (a PNG written over a model
// file, or a model over x.png), when the figure would replace the samples, or when its folder cannot
// be written (issue 32's second probe: each was found only after sampling or training, or not at all).
func TestOutputsOfAnotherKindOrPlaceAreRefused(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "copy.ddpm")
	raw, err := os.ReadFile("../../models/mnist-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	same := filepath.Join(dir, "same.png")
	if err := os.Symlink(".", filepath.Join(dir, "self")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "x", "y"), filepath.Join(dir, "lnk")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		run  func([]string) error
		args []string
		flag string
	}{
		{runInterpolate, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", model}, "--out"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, "s.png"), "--progressive", model}, "--progressive"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", same, "--progressive", same}, "--progressive"},
		// One new file by two names: through a link to its folder (eleventh probe: the figure replaced the
		// samples), or through a link's ".." (twelfth: lnk/.. is the folder above x/y, not the link's).
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", same, "--progressive", filepath.Join(dir, "self", "same.png")}, "--progressive"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, "lnk") + "/../t.png", "--progressive", filepath.Join(dir, "x", "t.png")}, "--progressive"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, "..png")}, "only its extension"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, "s.png") + "/"}, `a folder's name`}, // not "want a .png" (eighty-sixth probe's nit)
		// And of every output named by its extension (eighty-seventh probe).
		{runExport, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, "e.ddpm") + "/"}, `a folder's name`},
		{runClassifier, []string{"--out", filepath.Join(dir, "k.ddpm") + "/"}, `a folder's name`},
		{runInterpolate, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, "i.png") + "/."}, `a folder's name`},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, "s2.png"), "--progressive", filepath.Join(dir, "p.png") + "/"}, `a folder's name`},
		{runExport, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, "x") + "/.."}, `a folder's name`}, // not "--out \".\"" (eighty-eighth probe's nit)
		{runClassifier, []string{"--out", filepath.Join(dir, "clf.png")}, "--out"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, "missing", "s.png")}, "--out"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", "/proc/self/s.png"}, "--out"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, ".png")}, "only its extension"},
		{runExport, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--out", filepath.Join(dir, ".ddpm")}, "only its extension"},
	} {
		if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("%v: error %v, want a refusal naming %s", c.args, err, c.flag)
		}
	}
	if after, _ := os.ReadFile(model); string(after) != string(raw) {
		t.Errorf("the model copy was changed")
	}
}

// A flag that a run would ignore is refused by name before any work (issue 32's second probe: --guidance
// without --class, eval --samples with a model's flags and train --dataset mnist --resize were silently
// dropped, so the user believed the run did what it did not).
func TestIgnoredFlagsAreRefused(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.png")
	for _, c := range []struct {
		run  func([]string) error
		args []string
		flag string
	}{
		{runTrain, []string{"--dataset", "mnist", "--resize", "14", "--ckpt", dir}, "--resize"},
		{runTrain, []string{"--dataset", "cifar10", "--gray", "--ckpt", dir}, "--gray"},
		{runTrain, []string{"--dataset", "mnist", "--toy-n", "100", "--ckpt", dir}, "--toy-n"},
		{runTrain, []string{"--dataset", "moons", "--ch", "8", "--ckpt", dir}, "--ch"},
		{runTrain, []string{"--dataset", "moons", "--hflip", "--ckpt", dir}, "--hflip"}, // points are no images to mirror
		{runTrain, []string{"--dataset", "moons", "--p-uncond", "0.2", "--ckpt", dir}, "--p-uncond"},
		{runTrain, []string{"--dataset", "moons", "--sample-every", "100", "--ckpt", dir}, "--sample-every"},
		{runTrain, []string{"--dataset", "moons", "--data", "/nonexistent/x", "--ckpt", dir}, "--data"}, // fifteenth probe
		{runTrain, []string{"--class-cond=false", "--p-uncond", "0.2", "--ckpt", dir}, "--p-uncond"},
		{runEval, []string{"--samples", "x.npy", "--nll", "5", "--out", dir}, "--nll"},
		{runEval, []string{"--samples", "x.npy", "--steps", "50", "--out", dir}, "--steps"},
		{runSample, []string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--guidance", "1", "--out", out}, "--guidance"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--progressive-n", "3", "--out", out}, "--progressive-n"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--progressive-t", "5,1", "--out", out}, "--progressive-t"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--cols", "4", "--out", filepath.Join(dir, "x.npy")}, "--cols"},
		{runSample, []string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--class", "all", "--cols", "4", "--out", out}, "--cols"},
		{runEval, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--nll", "4", "--fid", "0", "--fid-batch", "8", "--work", dir, "--out", dir}, "--fid-batch"},
		{runEval, []string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--nll", "4", "--fid", "0", "--guidance", "3", "--work", dir, "--out", dir}, "--guidance"},
		{runEval, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--nll", "0", "--fid", "4", "--nll-batch", "8", "--work", dir, "--out", dir}, "--nll-batch"},
	} {
		err := c.run(c.args)
		if err == nil || !strings.Contains(err.Error(), c.flag+" has no effect") {
			t.Errorf("%v: error %v, want a refusal saying %s has no effect", c.args, err, c.flag)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused runs wrote %d file(s) in %s", len(entries), dir)
	}
	// The same flags where they apply are accepted (here up to an error that comes later).
	if err := runSample([]string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--class", "3", "--guidance", "1", "--n", "0", "--out", out}); err == nil || strings.Contains(err.Error(), "has no effect") {
		t.Errorf("--guidance with --class: error %v, want only the --n refusal", err)
	}
	// Off, as it is for points, is no conflict (forty-third probe's nit).
	if err := runTrain([]string{"--dataset", "moons", "--sample-every", "0", "--batch", "0", "--ckpt", dir}); err == nil || strings.Contains(err.Error(), "has no effect") {
		t.Errorf("--sample-every 0 with moons: error %v, want only the --batch refusal", err)
	}
}

// What training cannot resume is refused by name before any step, and a run already at --steps trains
// nothing (issue 32's third probe: --ema 0 on resume left the EMA that sample and export read frozen,
// exit 0; an export or a classifier copied in as the newest checkpoint failed inside GoMLX or with a
// garbled message; --steps below the checkpoint's step reported NaN statistics).
func TestTrainRefusesWhatItCannotResume(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "moons")
	train := func(ckpt string, extra ...string) error {
		return runTrain(append([]string{"--dataset", "moons", "--toy-n", "256", "--T", "50", "--batch", "32", "--ckpt", ckpt,
			"--progress=false"}, extra...))
	}
	if err := train(run, "--steps", "3"); err != nil {
		t.Fatal(err)
	}
	first := mustLatest(t, run)
	if err := train(run, "--steps", "5", "--ema", "0"); err == nil || !strings.Contains(err.Error(), "--ema 0") {
		t.Errorf("resuming with --ema 0: error %v, want a refusal naming --ema 0", err)
	}
	if err := train(run, "--steps", "2"); err != nil {
		t.Errorf("--steps 2 on a run at step 3: %v, want nothing to train and no error", err)
	}
	if latest := mustLatest(t, run); latest != first {
		t.Errorf("--steps at or below the checkpoint's step wrote %s", latest)
	}
	exported := filepath.Join(dir, "export.ddpm")
	if err := runExport([]string{"--ckpt", run, "--out", exported}); err != nil {
		t.Fatal(err)
	}
	clf, err := os.ReadFile("../../models/mnist-classifier.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	ckpt3, _ := os.ReadFile(first)
	exp, _ := os.ReadFile(exported)
	// The description edited to another width, written back with valid CRCs.
	ctx := context.New()
	var spec ddpm.RunSpec
	if _, err := ddpm.LoadCheckpoint(first, ctx, &spec); err != nil {
		t.Fatal(err)
	}
	spec.MLP.Hidden /= 2
	editedPath := filepath.Join(dir, "edited.ddpm")
	if err := ddpm.WriteCheckpoint(editedPath, ctx, 3, &spec, nil); err != nil {
		t.Fatal(err)
	}
	edited, _ := os.ReadFile(editedPath)
	for _, c := range []struct {
		name, file string
		content    []byte
		want       string
	}{
		{"export", "ckpt-000000003.ddpm", exp, "weights only"},
		{"classifier", "ckpt-000000001.ddpm", clf, "not a checkpoint of `ddpm train`"},
		{"renamed", "ckpt-000000001.ddpm", ckpt3, "named for step 1 but holds step 3"},
		{"edited", "ckpt-000000003.ddpm", edited, "not those of the network"},
	} {
		folder := filepath.Join(dir, c.name)
		os.MkdirAll(folder, 0o755)
		if err := os.WriteFile(filepath.Join(folder, c.file), c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := train(folder, "--steps", "5"); err == nil || !strings.Contains(err.Error(), "--ckpt") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("resuming a folder whose newest file is a %s: error %v, want one naming --ckpt and %q", c.name, err, c.want)
		}
	}
	// A checkpoint anyone may write is refused as such before it is read: its contents were blamed
	// ("named for step 1 but holds step 3"), and the lock said whose it was only after (sixty-third probe).
	theirs := filepath.Join(dir, "theirs")
	os.MkdirAll(theirs, 0o755)
	if p := filepath.Join(theirs, "ckpt-000000001.ddpm"); os.WriteFile(p, ckpt3, 0o644) != nil || os.Chmod(p, 0o666) != nil {
		t.Fatal("planting a checkpoint")
	}
	if err := train(theirs, "--steps", "5"); err == nil || !strings.Contains(err.Error(), "ckpt-000000001.ddpm can be changed by other users") ||
		strings.Contains(err.Error(), "named for step") {
		t.Errorf("a checkpoint anyone may write: error %v, want it refused as such before it is read", err)
	}
	// A damaged newest checkpoint: the refusal says how to resume from the one before it (forty-ninth
	// probe's nit).
	damaged := filepath.Join(dir, "damaged")
	os.MkdirAll(damaged, 0o755)
	flipped := append([]byte{}, ckpt3...)
	flipped[len(flipped)-5] ^= 0xff
	for name, content := range map[string][]byte{"ckpt-000000001.ddpm": ckpt3, "ckpt-000000003.ddpm": flipped} {
		if err := os.WriteFile(filepath.Join(damaged, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := train(damaged, "--steps", "5"); err == nil || !strings.Contains(err.Error(), "to resume from the checkpoint before it, ckpt-000000001.ddpm, move ckpt-000000003.ddpm out of the folder") {
		t.Errorf("a damaged newest checkpoint: error %v, want the way to the one before it", err)
	}
	// A folder named like an old checkpoint beside the newest: training would fail when it prunes it.
	pruned := filepath.Join(dir, "pruned")
	os.MkdirAll(filepath.Join(pruned, "ckpt-1.ddpm", "x"), 0o755)
	if err := os.WriteFile(filepath.Join(pruned, "ckpt-000000003.ddpm"), ckpt3, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := train(pruned, "--steps", "5"); err == nil || !strings.Contains(err.Error(), "ckpt-1.ddpm is named like a checkpoint but is a folder") {
		t.Errorf("a folder named like a checkpoint: error %v, want a refusal naming it", err)
	}
	os.RemoveAll(filepath.Join(pruned, "ckpt-1.ddpm"))
	huge := "ckpt-18446744073709551616.ddpm" // 2^64: ignored, and the run started afresh beside it
	if err := os.WriteFile(filepath.Join(pruned, huge), ckpt3, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := train(pruned, "--steps", "5"); err == nil || !strings.Contains(err.Error(), huge) {
		t.Errorf("a checkpoint named for step 2^64: error %v, want a refusal naming it", err)
	}
	// interpolate mixes MNIST digits: a 2-D model is refused naming --ckpt and the shapes.
	if err := runInterpolate([]string{"--ckpt", run, "--out", filepath.Join(dir, "i.png")}); err == nil ||
		!strings.Contains(err.Error(), "--ckpt") || !strings.Contains(err.Error(), "28×28×1") {
		t.Errorf("interpolate with a 2-D model: error %v", err)
	}
	// eval refuses its own flags before it makes --work or --out.
	work, out := filepath.Join(dir, "work"), filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--nll", "0", "--fid", "4"},
		{"--classifier", "../../models/mnist-ema.ddpm", "--nll", "0", "--fid", "2"},
	} {
		if err := runEval(append(args, "--work", work, "--out", out)); err == nil {
			t.Errorf("eval %v: no error", args)
		}
		for _, d := range []string{work, out} {
			if _, err := os.Stat(d); err == nil {
				t.Errorf("eval %v made %s before refusing", args, d)
				os.RemoveAll(d)
			}
		}
	}
}

// captureStderr returns what f writes to os.Stderr.
func captureStderr(t *testing.T, f func()) string { return capture(t, &os.Stderr, f) }

// captureStdout returns what f writes to os.Stdout.
func captureStdout(t *testing.T, f func()) string { return capture(t, &os.Stdout, f) }

// capture returns what f writes to *file.
func capture(t *testing.T, file **os.File, f func()) string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := *file
	*file = w
	done := make(chan string)
	go func() {
		raw, _ := io.ReadAll(r)
		done <- string(raw)
	}()
	defer func() { *file = saved }()
	f()
	w.Close()
	return <-done
}

// classifier --out never replaces a model or a training checkpoint (it did, exit 0: a run's newest
// checkpoint became a classifier), and a test set too small to measure the accuracy that gates the
// classifier is refused before training (one test digit gave 100%; issue 32's sixth probe).
func TestClassifierRefusesWhatItWouldDestroyOrCouldNotMeasure(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.ddpm")
	raw, err := os.ReadFile("../../models/mnist-ch8-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{model, filepath.Join(dir, "ckpt-000000030.ddpm")} {
		if err := runClassifier([]string{"--out", out}); err == nil || !strings.Contains(err.Error(), "--out "+out) {
			t.Errorf("classifier --out %s: error %v, want a refusal naming it", out, err)
		}
	}
	if after, _ := os.ReadFile(model); !bytes.Equal(after, raw) {
		t.Errorf("the model given as --out was changed")
	}
	// setup's copy of the shipped classifier, which eval reads by default: it was replaced, exit 0, and
	// every eval refused it after (twenty-eighth probe); directly, and through a link.
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	cacheModels, err := ddpm.UserModelsDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := installModels(cacheModels); err != nil {
		t.Fatal(err)
	}
	shipped := filepath.Join(cacheModels, "mnist-classifier.ddpm")
	before, _ := os.ReadFile(shipped)
	link := filepath.Join(dir, "link-to-shipped.ddpm")
	if err := os.Symlink(shipped, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{shipped, link} {
		if err := runClassifier([]string{"--out", out}); err == nil || !strings.Contains(err.Error(), "--out "+out+" is where `ddpm setup` writes the shipped model mnist-classifier.ddpm") {
			t.Errorf("classifier --out %s: error %v, want a refusal naming the shipped model's copy", out, err)
		}
	}
	if after, _ := os.ReadFile(shipped); !bytes.Equal(after, before) {
		t.Errorf("the shipped classifier's copy was changed")
	}
	// A copy of MNIST with 20 test digits.
	src, err := data.MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small")
	os.MkdirAll(small, 0o755)
	for _, name := range []string{data.MNISTTrainImages, data.MNISTTrainLabels} {
		if err := os.Symlink(filepath.Join(src, name), filepath.Join(small, name)); err != nil {
			t.Fatal(err)
		}
	}
	writeIDX := func(name string, dims []uint32, payload []byte) {
		var b bytes.Buffer
		binary.Write(&b, binary.BigEndian, append([]uint32{0x0800 | uint32(len(dims))}, dims...)) //nolint:errcheck
		b.Write(payload)
		if err := os.WriteFile(filepath.Join(small, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeIDX(data.MNISTTestImages, []uint32{20, 28, 28}, make([]byte, 20*28*28))
	writeIDX(data.MNISTTestLabels, []uint32{20}, make([]byte, 20))
	start := time.Now()
	if err := runClassifier([]string{"--data", small, "--out", filepath.Join(dir, "clf.ddpm")}); err == nil ||
		!strings.Contains(err.Error(), "20 digits") || time.Since(start) > 30*time.Second {
		t.Errorf("a test set of 20 digits: error %v after %s, want a refusal before training", err, time.Since(start))
	}
}

// A folder of images that are not square is refused with their width and height in that order, as
// every other message gives sizes (it said "images of 3x5" for images 5 wide; seventh probe).
func TestTrainNamesTheSizeOfNonSquareImages(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "wide.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, image.NewGray(image.Rect(0, 0, 5, 3))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	err = runTrain([]string{"--dataset", "folder", "--data", dir, "--steps", "1", "--ckpt", filepath.Join(dir, "ckpt")})
	if err == nil || !strings.Contains(err.Error(), "images 5 wide and 3 tall") {
		t.Errorf("a 5×3 image: error %v, want one saying 5 wide and 3 tall", err)
	}
}

// Figure 6 on a respaced sampler: each --progressive-t is shown at the nearest kept step; two that
// fall on one kept step are refused before sampling (the figure showed step 1000 twice, captioned 1000
// and 999; seventh probe).
func TestProgressiveFigureOnFewSteps(t *testing.T) {
	dir := t.TempDir()
	base := []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--n", "2", "--steps", "5", "--out", filepath.Join(dir, "s.png")}
	fig := filepath.Join(dir, "p.png")
	err := runSample(append(base, "--progressive", fig, "--progressive-t", "1000,999"))
	if err == nil || !strings.Contains(err.Error(), "--progressive-t 1000 and 999 are both shown at t=1000") {
		t.Errorf("two time steps on one kept step: error %v, want a refusal naming both", err)
	}
	if _, err := os.Stat(fig); !os.IsNotExist(err) {
		t.Errorf("the refused figure was written (%v)", err)
	}
	// Each one given that is shown at another step is said so, not in the caption only (fiftieth probe's nit).
	var err2 error
	said := captureStderr(t, func() { err2 = runSample(append(base, "--progressive", fig, "--progressive-t", "1000,500,1")) })
	if err2 != nil {
		t.Fatal(err2)
	}
	if !strings.Contains(said, "--progressive-t 500 is shown at t=") || strings.Contains(said, "--progressive-t 1000 is shown") {
		t.Errorf("the notes on the steps shown: %q", said)
	}
	checkPNG(t, fig)
	// The default list, which several of its steps fall on one kept step of, shows each once (it was
	// refused, naming two time steps the user never gave; eleventh probe).
	if err := runSample(append(base, "--progressive", fig)); err != nil {
		t.Errorf("the default --progressive-t on 5 steps: %v", err)
	}
	// --progressive as another name of --out: refused as such (it was called "the input"; eighth probe).
	link := filepath.Join(dir, "link.png")
	if err := os.Link(filepath.Join(dir, "s.png"), link); err != nil {
		t.Fatal(err)
	}
	if err := runSample(append(base, "--progressive", link)); err == nil || !strings.Contains(err.Error(), "is also --out") {
		t.Errorf("--progressive a hard link to --out: error %v, want one saying it is also --out", err)
	}
	if err := runSample(append(base, "--progressive", fig, "--progressive-n", "5")); err == nil || !strings.Contains(err.Error(), "--progressive-n 5") {
		t.Errorf("--progressive-n 5 of 2 samples: error %v, want a refusal", err)
	}
}

// GoMLX's pure-Go backend cannot train (its gradients lack Reverse): train and classifier say so
// before any step, where the first step failed with GoMLX's message after a summary of NaN (eighth
// probe).
func TestTrainingRefusesThePureGoBackend(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ddpm.EnvBackend, "go")
	for _, c := range []struct {
		name string
		run  func([]string) error
		args []string
	}{
		{"train", runTrain, []string{"--dataset", "moons", "--toy-n", "64", "--steps", "3", "--ckpt", filepath.Join(dir, "ckpt"), "--progress=false"}},
		{"classifier", runClassifier, []string{"--out", filepath.Join(dir, "clf.ddpm"), "--progress=false"}},
	} {
		if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), "training needs the XLA backend") {
			t.Errorf("%s on the pure-Go backend: error %v, want a refusal naming the backend", c.name, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "ckpt")); len(entries) > 1 { // the lock file at most
		t.Errorf("train wrote %d files before refusing", len(entries))
	}
}

// export without --ckpt where no run was trained says what to do, as sample does (it printed a raw
// "stat runs/mnist: no such file or directory"; ninth probe).
func TestExportWithoutATrainedRun(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := runExport([]string{"--out", "m.ddpm"}); err == nil || !strings.Contains(err.Error(), "(the default, where `ddpm train` writes) does not exist: train a model first") {
		t.Errorf("export with the default --ckpt missing: error %v", err)
	}
}

// Outputs that would replace a file of another kind are refused (tenth probe): export to a name that
// is not .ddpm, or through a link to a training checkpoint (its training state was lost), sample
// through a .png link to a checkpoint; and a class-conditional run whose --ckpt is its --data folder
// (the grids' samples/ became a class). Guided sampling is priced at twice the activations.
func TestOutputsThatWouldReplaceAnotherKind(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if err := runTrain([]string{"--dataset", "moons", "--toy-n", "64", "--steps", "3", "--ckpt", run, "--progress=false"}); err != nil {
		t.Fatal(err)
	}
	ckpt := mustLatest(t, run)
	before, _ := os.ReadFile(ckpt)
	linkDDPM, linkPNG := filepath.Join(dir, "innocent.ddpm"), filepath.Join(dir, "pic.png")
	for _, l := range []string{linkDDPM, linkPNG} {
		if err := os.Symlink(ckpt, l); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		run  func([]string) error
		args []string
		want string
	}{
		{runExport, []string{"--ckpt", run, "--out", filepath.Join(dir, "s.npy")}, "give a name ending in .ddpm"},
		{runExport, []string{"--ckpt", run, "--out", linkDDPM}, "a training checkpoint's name"},
		{runSample, []string{"--ckpt", run, "--n", "4", "--out", linkPNG}, "a file of another kind"},
	} {
		if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	if after, _ := os.ReadFile(ckpt); string(after) != string(before) {
		t.Errorf("the training checkpoint behind the links changed")
	}
	// An export over a training checkpoint under another name is refused by its content.
	copied := filepath.Join(dir, "copy.ddpm")
	if err := os.WriteFile(copied, before, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runExport([]string{"--ckpt", run, "--out", copied}); err == nil || !strings.Contains(err.Error(), "is a training checkpoint") {
		t.Errorf("export over a training checkpoint: error %v", err)
	}
	// Nor a shipped model, as the copy in the user's cache (twenty-fourth probe: replaced, every command
	// that reads it by default refused it after).
	shipped, err := models.Read("mnist-ch8-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	cached := filepath.Join(dir, "mnist-ch8-ema.ddpm")
	if err := os.WriteFile(cached, shipped, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runExport([]string{"--ckpt", run, "--out", cached}); err == nil || !strings.Contains(err.Error(), "holds the shipped model mnist-ch8-ema.ddpm") {
		t.Errorf("export over a shipped model: error %v", err)
	}
	if after, _ := os.ReadFile(cached); !bytes.Equal(after, shipped) {
		t.Errorf("the shipped model's copy changed")
	}
	// Nor where setup writes one, though the copy be missing there (twenty-ninth probe: setup then
	// replaced the export without a word), as the kernel finds the folder.
	setupDir := filepath.Join(dir, "cache", "ddpm-go", "models")
	os.MkdirAll(setupDir, 0o755)                          //nolint:errcheck
	os.Symlink(setupDir, filepath.Join(dir, "to-models")) //nolint:errcheck
	for _, out := range []string{filepath.Join(setupDir, "mnist-ch8-ema.ddpm"), filepath.Join(dir, "to-models", "mnist-ema.ddpm")} {
		if err := runExport([]string{"--ckpt", run, "--out", out}); err == nil || !strings.Contains(err.Error(), "is where `ddpm setup` writes the shipped model") {
			t.Errorf("export --out %s: error %v", out, err)
		}
		if _, err := os.Lstat(out); !os.IsNotExist(err) {
			t.Errorf("export wrote %s (%v)", out, err)
		}
	}
	cls := filepath.Join(dir, "cls")
	for _, class := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(cls, class), 0o755)
		writeTinyImages(t, filepath.Join(cls, class))
	}
	// A --ckpt in the class folders (eleventh probe: a class of no images), and a --data that is the
	// run's own grids, are refused as the folder itself is.
	linkToA := filepath.Join(dir, "toA") // toA/.. is cls, as the kernel resolves it (twelfth probe)
	if err := os.Symlink(filepath.Join(cls, "a"), linkToA); err != nil {
		t.Fatal(err)
	}
	for _, ckpt := range []string{cls, filepath.Join(cls, "run"), filepath.Join(cls, "a", "..", "run"), linkToA + "/../run"} {
		if err := runTrain([]string{"--dataset", "folder", "--data", cls, "--class-cond", "--ckpt", ckpt, "--steps", "1"}); err == nil ||
			!strings.Contains(err.Error(), "is in the --data folder") {
			t.Errorf("--ckpt %s in the class folders' --data: error %v", ckpt, err)
		}
	}
	// A class folder named "all" is refused before its images are decoded (sixteenth probe); its empty
	// folder would have no images to decode.
	allCls := filepath.Join(dir, "allcls")
	os.MkdirAll(filepath.Join(allCls, "all"), 0o755)
	if err := runTrain([]string{"--dataset", "folder", "--data", allCls, "--class-cond", "--ckpt", filepath.Join(dir, "allrun"), "--steps", "1"}); err == nil ||
		!strings.Contains(err.Error(), `its class folder "all" is named as the word`) {
		t.Errorf("a class folder named all: error %v", err)
	}
	grids := filepath.Join(dir, "g", "samples")
	os.MkdirAll(grids, 0o755)
	writeTinyImages(t, grids)
	if err := runTrain([]string{"--dataset", "folder", "--data", grids, "--ckpt", filepath.Join(dir, "g"), "--steps", "1"}); err == nil ||
		!strings.Contains(err.Error(), "where this run writes its sample grids") {
		t.Errorf("--data the run's own grids: error %v", err)
	}
	// A class folder that is a link to the grids (twelfth probe: the run trained on its own samples).
	linked := filepath.Join(dir, "linked")
	os.MkdirAll(filepath.Join(linked, "a"), 0o755)
	writeTinyImages(t, filepath.Join(linked, "a"))
	if err := os.Symlink(grids, filepath.Join(linked, "b")); err != nil {
		t.Fatal(err)
	}
	if err := runTrain([]string{"--dataset", "folder", "--data", linked, "--class-cond", "--ckpt", filepath.Join(dir, "g"), "--steps", "1"}); err == nil ||
		!strings.Contains(err.Error(), `its class "b" is`) {
		t.Errorf("a class folder linked to the run's grids: error %v", err)
	}
	tr, err := ddpm.LoadTrained("../../models/mnist-cond-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	base := sampleMemory(tr, 0, 1, false)
	if plain, guided := sampleMemory(tr, 1000, 1, false)-base, sampleMemory(tr, 1000, 1, true)-base; math.Abs(guided-2*plain) > 1 {
		t.Errorf("1000 guided samples priced at %.0f bytes beyond the start, unguided %.0f: want twice", guided, plain)
	}
}

// A respacing whose top step keeps much of the image (ddim1 starts at t = 1) is refused; the DDIM
// paper's ddim10 and evenly spaced steps, which end at or near T, are not.
func TestNoisyStartIsRefused(t *testing.T) {
	full, err := ddpm.NewSchedule(ddpm.ScheduleLinear, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for spec, named := range map[string]bool{"ddim1": true, "ddim2": true, "1,5,9": true, "ddim10": false, "10": false, "1": false, "2,1000": false} {
		steps, err := ddpm.ParseSteps(spec, full.T)
		if err != nil {
			t.Fatal(err)
		}
		respaced, err := full.Respace(steps)
		if err != nil {
			t.Fatal(err)
		}
		if err := noisyStart(full, respaced, "--steps", spec); (err != nil) != named || named && !strings.Contains(err.Error(), "--steps "+spec) {
			t.Errorf("--steps %s: error %v, want one: %v", spec, err, named)
		} else if spec == "ddim1" && !strings.Contains(err.Error(), "keeps 99.9% of the image") { // ᾱ_1 = 0.9999 was "100%"
			t.Errorf("--steps ddim1: %v, want the share kept rounded down", err)
		}
	}
	// Nor does interpolate encode to a latent at such a step: --ddim 1,2,3 made a cross-fade of the digits,
	// captioned as DDIM latents, exit 0 (twenty-fifth probe).
	png := filepath.Join(t.TempDir(), "i.png")
	for _, ddim := range []string{"1,2,3", "ddim2"} {
		if err := runInterpolate([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--pairs", "1", "--lambdas", "3", "--t", "5",
			"--ddim", ddim, "--out", png}); err == nil || !strings.Contains(err.Error(), "--ddim "+ddim+": the images would be encoded to latents at t=") ||
			!strings.HasSuffix(err.Error(), "needs many: --ddim 100") { // it advised --ddim 2, refused in turn (seventy-second probe)
			t.Errorf("interpolate --ddim %s: error %v, want a refusal naming it, advising --ddim 100", ddim, err)
		}
	}
	// Nor does it draw a DDIM block whose latents do not decode back to the sources: on one or two steps
	// the inversion fails, and the block (black squares at λ = 0 and 1) was captioned as DDIM latents,
	// exit 0 (sixty-ninth probe).
	// Refused before the x_t blocks are drawn, whose work came first (seventy-first probe).
	if err := runInterpolate([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--pairs", "1", "--lambdas", "2", "--t", "5",
		"--ddim", "1", "--out", png}); err == nil || !strings.Contains(err.Error(), "--ddim 1: one step leaves DDIM's inversion nothing to do") {
		t.Errorf("interpolate --ddim 1: error %v, want a refusal naming it", err)
	}
	// Its advice is sized to the model: "--ddim 100" was advised to one of T = 50, and refused in turn
	// (hundred-and-first probe's nit).
	small := filepath.Join(t.TempDir(), "small")
	if err := runTrain([]string{"--dataset", "mnist", "--batch", "4", "--ch", "8", "--ch-mult", "1", "--res-blocks", "1", "--attn=",
		"--sample-every", "0", "--T", "50", "--schedule", "cosine", "--steps", "1", "--ckpt", small, "--progress=false"}); err != nil {
		t.Fatal(err)
	}
	if err := runInterpolate([]string{"--ckpt", small, "--pairs", "1", "--lambdas", "2", "--t", "5", "--ddim", "1", "--out", png}); err == nil ||
		!strings.HasSuffix(err.Error(), "give more steps (e.g. --ddim 50)") {
		t.Errorf("interpolate --ddim 1 of a model of T = 50: error %v, want --ddim 50 advised", err)
	}
	one := filepath.Join(t.TempDir(), "one")
	if err := runTrain([]string{"--dataset", "mnist", "--batch", "4", "--ch", "8", "--ch-mult", "1", "--res-blocks", "1", "--attn=",
		"--sample-every", "0", "--T", "1", "--schedule", "cosine", "--steps", "1", "--ckpt", one, "--progress=false"}); err != nil {
		t.Fatal(err)
	}
	if err := runInterpolate([]string{"--ckpt", one, "--pairs", "1", "--lambdas", "2", "--t", "1", "--ddim", "1", "--out", png}); err == nil ||
		!strings.Contains(err.Error(), "--ddim 1: a model of one step (T = 1) has no DDIM inversion") {
		t.Errorf("interpolate --ddim 1 of a model of T = 1: error %v, want it said that there is no inversion", err)
	}
	for _, ddim := range []string{"2", "3"} {
		var err error
		out := captureStdout(t, func() {
			err = runInterpolate([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--pairs", "1", "--lambdas", "2", "--t", "5",
				"--ddim", ddim, "--out", png})
		})
		if err == nil || !strings.Contains(err.Error(), "--ddim "+ddim+": DDIM's round trip does not bring the sources back") || !strings.Contains(err.Error(), "(e.g. --ddim 100)") ||
			!regexp.MustCompile(`RMS ([0-9.]+) from them, more than ([0-9.]+), a third of`).MatchString(err.Error()) {
			t.Errorf("interpolate --ddim %s: error %v, want a refusal naming it and its bar", ddim, err)
		} else if m := regexp.MustCompile(`RMS ([0-9.]+) from them, more than ([0-9.]+),`).FindStringSubmatch(err.Error()); atof(t, m[1]) <= atof(t, m[2]) {
			t.Errorf("interpolate --ddim %s: the round trip's RMS %s is not above the bar %s it names", ddim, m[1], m[2])
		}
		if strings.Contains(out, "at t=5") {
			t.Errorf("interpolate --ddim %s drew its x_t block before refusing:\n%s", ddim, out)
		}
	}
	// Nor where the two of each pair are one digit, whose distance 0 let any round trip pass, black
	// squares included (seventy-first probe), nor nearly one (a round trip of RMS 0.012 was refused as
	// missing them by more than a third of their distance; seventy-second probe): the digits' own
	// contrast is the scale then, and an RMS of 0.1 where they are blank. A test set of one digit, every
	// other copy with a pixel changed; and one of blank digits.
	same, blank := filepath.Join(t.TempDir(), "same"), filepath.Join(t.TempDir(), "blank")
	writeMNIST(t, same, []int{20, 28, 28}, []int{20, 28, 28}, nil)
	writeMNIST(t, blank, []int{20, 28, 28}, []int{20, 28, 28}, nil)
	digit := make([]byte, 20*28*28)
	for i := range digit {
		if r, c := i%(28*28)/28, i%28; r > 6 && r < 22 && c > 12 && c < 16 { // a "1"
			digit[i] = 255
		}
		if i%(2*28*28) == 0 {
			digit[i] = 64
		}
	}
	writeIDX(t, filepath.Join(same, data.MNISTTestImages), []int{20, 28, 28}, digit)
	writeIDX(t, filepath.Join(blank, data.MNISTTestImages), []int{20, 28, 28}, make([]byte, 20*28*28))
	for folder, want := range map[string]string{same: "the sources' own contrast", blank: "the sources being nearly blank"} {
		if err := runInterpolate([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--data", folder, "--pairs", "1", "--lambdas", "2", "--t", "5",
			"--ddim", "2", "--out", png}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("interpolate --ddim 2 of %s: error %v, want a refusal naming %q", filepath.Base(folder), err, want)
		}
	}
	// A round trip within a third of the digit's contrast is drawn, whatever the distance between the two.
	if err := runInterpolate([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--data", same, "--pairs", "1", "--lambdas", "2", "--t", "5",
		"--ddim", "100", "--out", png}); err != nil {
		t.Errorf("interpolate --ddim 100 of one digit, nearly twice: %v", err)
	}
	os.Remove(png)
	if _, err := os.Lstat(png); !os.IsNotExist(err) {
		t.Errorf("a refused interpolate wrote %s (%v)", png, err)
	}
	// Nor does a model's own T keep the image at its top step: a checkpoint edited to T = 10 drew noise,
	// exit 0 (fourteenth probe).
	ctx := context.New()
	var spec ddpm.RunSpec
	step, err := ddpm.LoadCheckpoint("../../models/mnist-ch8-ema.ddpm", ctx, &spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.T = 10
	short := filepath.Join(t.TempDir(), "t10.ddpm")
	if err := ddpm.WriteCheckpoint(short, ctx, step, &spec, nil); err != nil {
		t.Fatal(err)
	}
	if err := runSample([]string{"--ckpt", short, "--n", "1", "--out", short + ".png"}); err == nil || !strings.Contains(err.Error(), "T=10 leaves ᾱ_T") {
		t.Errorf("sample from a model of T = 10: error %v, want a refusal", err)
	}
	// The bound alone samples no chain: its respacing is only a looser bound (thirteenth probe).
	dir := t.TempDir()
	base := []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--steps", "ddim2", "--nll", "2", "--nll-batch", "2", "--work", dir, "--out", dir}
	if err := runEval(append(slices.Clone(base), "--fid", "0")); err != nil {
		t.Errorf("eval --nll 2 --fid 0 --steps ddim2: %v", err)
	}
	if err := runEval(append(slices.Clone(base), "--fid", "4", "--fid-batch", "4")); err == nil || !strings.Contains(err.Error(), "--steps ddim2") {
		t.Errorf("eval --fid 4 --steps ddim2: %v, want the noisy start refused", err)
	}
}

// A grid's own name planted as a link is not written through: a link to a training image had it
// replaced by the grid, and the next run found mixed sizes (twelfth probe). The run stops with its
// checkpoint saved, as after any failed grid.
func TestTrainDoesNotWriteAGridThroughALink(t *testing.T) {
	dir := t.TempDir()
	images, run := filepath.Join(dir, "images"), filepath.Join(dir, "run")
	os.MkdirAll(images, 0o755)
	writeTinyImages(t, images)
	entries, _ := os.ReadDir(images)
	victim := filepath.Join(images, entries[0].Name())
	before, _ := os.ReadFile(victim)
	os.MkdirAll(filepath.Join(run, "samples"), 0o755)
	if err := os.Symlink(victim, filepath.Join(run, "samples", "step-000000002.png")); err != nil {
		t.Fatal(err)
	}
	err := runTrain([]string{"--dataset", "folder", "--data", images, "--ckpt", run, "--steps", "2", "--sample-every", "2", "--batch", "4", "--T", "50",
		"--ch", "4", "--ch-mult", "1", "--attn", "", "--groups", "1", "--res-blocks", "1", "--progress=false"})
	if err == nil || !strings.Contains(err.Error(), "a symbolic link") {
		t.Errorf("a grid planted as a link: error %v", err)
	}
	if after, _ := os.ReadFile(victim); string(after) != string(before) {
		t.Errorf("the training image behind the link was replaced")
	}
}

// The size of an output that is gone by the time it is reported is left out: export panicked on the
// missing file (seventeenth probe).
func TestWrittenSizeOfAFileGone(t *testing.T) {
	if got := writtenSize(filepath.Join(t.TempDir(), "gone.ddpm")); got != "" {
		t.Errorf("writtenSize of a missing file: %q", got)
	}
	path := filepath.Join(t.TempDir(), "m.ddpm")
	os.WriteFile(path, make([]byte, 2500), 0o644) //nolint:errcheck
	if got := writtenSize(path); got != " (2.5 kB)" {
		t.Errorf("writtenSize of 2500 bytes: %q", got)
	}
}

// `ddpm help train` asks train for its flags (it printed the list of commands; seventeenth probe).
func TestHelpTopic(t *testing.T) {
	for _, c := range []struct {
		args []string
		cmd  string
		rest []string
	}{
		{[]string{"help", "train"}, "train", []string{"-h"}},
		{[]string{"-h", "export"}, "export", []string{"-h"}},
		{[]string{"help"}, "help", []string{}},
		{[]string{"help", "-h"}, "help", []string{"-h"}},
		{[]string{"train", "help"}, "train", []string{"help"}},
		{[]string{"help", "train", "extra"}, "train", []string{"extra", "-h"}},
	} {
		if cmd, rest := helpTopic(c.args[0], c.args[1:]); cmd != c.cmd || !slices.Equal(rest, c.rest) {
			t.Errorf("ddpm %v: command %q %v, want %q %v", c.args, cmd, rest, c.cmd, c.rest)
		}
	}
	if err := runTrain([]string{"extra", "-h"}); err == nil || !strings.Contains(err.Error(), `"extra"`) {
		t.Errorf("ddpm help train extra: error %v, want the stray word named", err)
	}
}

// A classifier records how it was made, cut short where a checkpoint header could not hold it: a
// command line of 4 299 bytes made a file that every reader refused (twenty-third probe).
func TestRecordedCommandFitsAHeader(t *testing.T) {
	if got := recordedCommand([]string{"--epochs", "1"}); got != "ddpm classifier --epochs 1" {
		t.Errorf("a short command recorded as %q", got)
	}
	long := recordedCommand([]string{"--data", strings.Repeat("./", 2000) + "x", "--out", strings.Repeat("<", 3000)})
	raw, _ := json.Marshal(long)
	if len(raw) > 1024 || !strings.Contains(long, "… (7031 bytes in all)") {
		t.Errorf("a long command recorded as %d bytes of JSON: %.80q…", len(raw), long)
	}
}

// sample checks that its outputs' file systems have room for them before drawing the samples: a full
// disk was found after all the sampling (twenty-seventh probe); a PNG's bound counted its pixels
// alone, --progressive was not counted, and a link's own folder was looked at rather than its target's
// (twenty-eighth probe). The bounds hold for what is written.
func TestSampleChecksTheRoomForItsSamples(t *testing.T) {
	defer func(f func(string) (float64, error)) { ddpm.FreeSpace = f }(ddpm.FreeSpace)
	freeFiles := ddpm.FreeFiles
	defer func() { ddpm.FreeFiles = freeFiles }()
	const n = 4
	dims := []int{28, 28, 1}
	base := []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--n", fmt.Sprint(n), "--sampler", "ddim", "--steps", "2"}
	dir, full := t.TempDir(), t.TempDir()
	npy, png, progressive := filepath.Join(dir, "s.npy"), filepath.Join(dir, "s.png"), filepath.Join(dir, "p.png")
	link, target := filepath.Join(dir, "link.npy"), filepath.Join(full, "target.npy")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args    []string
		outputs map[string]float64 // each file and its bound
		free    string             // the folder whose file system is short of room
		want    string
	}{
		{[]string{"--out", npy}, map[string]float64{npy: samplesBytes(dims, n, 0, ".npy", false)}, dir, "--out " + npy + ": its file system has"},
		{[]string{"--out", png}, map[string]float64{png: ddpm.ImageGridPNGBound(n, dims, 0)}, dir, "--out " + png + ": its file system has"},
		{[]string{"--out", npy, "--progressive", progressive, "--progressive-t", "1000,1"},
			map[string]float64{npy: samplesBytes(dims, n, 0, ".npy", false), progressive: progressiveBytes(n, 2, dims)}, dir,
			"--out " + npy + " and --progressive " + progressive + ": its file system has"},
		{[]string{"--out", link}, map[string]float64{target: samplesBytes(dims, n, 0, ".npy", false)}, full, "--out " + link + ": its file system has"},
	} {
		need := 0.0
		for _, b := range c.outputs {
			need += b
		}
		room := func(short float64) func(string) (float64, error) {
			return func(d string) (float64, error) {
				if d == c.free {
					return need - short, nil
				}
				return 1 << 40, nil
			}
		}
		args := append(slices.Clone(base), c.args...)
		ddpm.FreeSpace = room(1)
		if err := runSample(args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, one byte short: error %v, want %q", c.args, err, c.want)
		}
		for f := range c.outputs {
			if raw, err := os.ReadFile(f); !os.IsNotExist(err) && string(raw) != "old" {
				t.Errorf("%v: %s was written without room (%v)", c.args, f, err)
			}
		}
		ddpm.FreeSpace = room(0)
		// Room for the bytes, not the files (forty-fourth probe: --progressive was lost after the sampling).
		files := func(d string) (float64, bool) {
			if d == c.free {
				return float64(len(c.outputs)), true // one short: a lock or a temporary besides
			}
			return 1 << 20, true
		}
		ddpm.FreeFiles = files
		if err := runSample(args); err == nil || !strings.Contains(err.Error(), "more files (inodes)") {
			t.Errorf("%v, one file short: error %v, want a refusal", c.args, err)
		}
		ddpm.FreeFiles = freeFiles
		if err := runSample(args); err != nil {
			t.Fatal(err)
		}
		for f, bound := range c.outputs {
			if info, err := os.Stat(f); err != nil || float64(info.Size()) > bound {
				t.Errorf("%v: %s takes more than the %.0f bytes it was given room for (%v)", c.args, f, bound, err)
			}
			os.Remove(f)
		}
	}
}

// train checks that --ckpt's file system can hold the next checkpoint before the data is read, and a
// refusal leaves nothing made for the run: it came at the first save, with the training since the
// start lost (twenty-seventh probe), then after the data, leaving the folder, its lock file and
// samples/ (twenty-eighth probe). A new run's bound holds for a U-Net's checkpoint, within 32 KiB; a
// resumed run needs the newest checkpoint's size, and the grid's where one is due.
func TestTrainChecksTheRoomBeforeTheData(t *testing.T) {
	defer func(f func(string) (float64, error)) { ddpm.FreeSpace = f }(ddpm.FreeSpace)
	images, dir := t.TempDir(), t.TempDir()
	writeTinyImages(t, images)
	ckpt, there := filepath.Join(dir, "new", "run"), filepath.Join(dir, "there")
	if err := os.Mkdir(there, 0o755); err != nil {
		t.Fatal(err)
	}
	train := func(ckpt string, steps int) error { // with grids, refused: they are not drawn
		return runTrain([]string{"--dataset", "folder", "--data", images, "--batch", "4", "--ch", "8", "--ch-mult", "1", "--attn=",
			"--sample-every", fmt.Sprint(steps), "--steps", fmt.Sprint(steps), "--ckpt", ckpt, "--progress=false"})
	}
	ddpm.FreeSpace = func(string) (float64, error) { return 1000, nil }
	for _, c := range []string{ckpt, there} {
		if err := train(c, 1); err == nil || !strings.Contains(err.Error(), "--ckpt "+c+" (room for a checkpoint and a sample grid): its file system has 1000 B free") {
			t.Errorf("--ckpt %s without room: error %v", c, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("a refusal for room left the --ckpt made for it (%v)", err)
	}
	if entries, _ := os.ReadDir(there); len(entries) != 0 {
		t.Errorf("a refusal for room left %s in a --ckpt that was there", entries[0].Name())
	}
	ddpm.FreeSpace = func(string) (float64, error) { return 1 << 40, nil }
	if err := runTrain([]string{"--dataset", "folder", "--data", images, "--batch", "4", "--ch", "8", "--ch-mult", "1", "--attn=",
		"--sample-every", "0", "--steps", "1", "--ckpt", there, "--progress=false"}); err != nil {
		t.Fatal(err)
	}
	latest, err := ddpm.LatestCheckpoint(there)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ddpm.LoadTrained(latest)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(latest)
	if err != nil {
		t.Fatal(err)
	}
	size := float64(info.Size())
	estimate, err := tr.Spec.CheckpointBytes()
	if err != nil || estimate < size || estimate > size+32<<10 {
		t.Errorf("a U-Net's checkpoint takes %.0f bytes; estimated %.0f (%v)", size, estimate, err)
	}
	t.Logf("a U-Net's checkpoint takes %.0f bytes; estimated %.0f", size, estimate)
	// With a grid due, room for it too: written before the checkpoint, it took the room that the
	// checkpoint had been found, and the training was lost (twenty-ninth probe).
	grid := ddpm.ImageGridPNGBound(trainingGridSamples, []int{28, 28, 3}, 0)
	ddpm.FreeSpace = func(string) (float64, error) { return size + grid - 1, nil }
	if err := train(there, 2); err == nil || !strings.Contains(err.Error(), "--ckpt "+there+" (room for a checkpoint and a sample grid): its file system has") {
		t.Errorf("a resumed run without room for its next checkpoint and grid: error %v", err)
	}
	if now, _ := ddpm.LatestCheckpoint(there); now != latest {
		t.Errorf("a resumed run without room wrote %s", now)
	}
}

// classifier and interpolate check that --out's file system has room for what they write before
// their work, as sample does: a full disk was found after minutes of training (twenty-eighth probe).
// interpolate's bound holds for its figure.
func TestClassifierAndInterpolateCheckTheRoom(t *testing.T) {
	defer func(f func(string) (float64, error)) { ddpm.FreeSpace = f }(ddpm.FreeSpace)
	dir := t.TempDir()
	clf, fig := filepath.Join(dir, "c.ddpm"), filepath.Join(dir, "fig8.png")
	interpolate := []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--pairs", "1", "--lambdas", "3", "--t", "50", "--out", fig}
	ddpm.FreeSpace = func(string) (float64, error) { return 1000, nil }
	for _, c := range []struct {
		run  func([]string) error
		args []string
		out  string
	}{{runClassifier, []string{"--out", clf}, clf}, {runInterpolate, interpolate, fig}} {
		start := time.Now()
		if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), "--out "+c.out+": its file system has 1000 B free") {
			t.Errorf("%v without room: error %v", c.args, err)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("%v without room: refused after %s", c.args, took)
		}
		if _, err := os.Lstat(c.out); !os.IsNotExist(err) {
			t.Errorf("%s was written without room (%v)", c.out, err)
		}
	}
	ddpm.FreeSpace = func(string) (float64, error) { return 1 << 40, nil }
	if err := runInterpolate(interpolate); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(fig)
	if bound := captionedGridBytes(1*5, 5, []int{28, 28, 1}); err != nil || float64(info.Size()) > bound {
		t.Errorf("Figure 8 takes more than its bound %.0f: %v", bound, err)
	}
}

// isSetupModel knows setup's models folder by the end of its path, as ddpm.UserModelsDir makes it,
// wherever the cache is: classifier replaced setup's copy of the shipped classifier under a relative
// $XDG_CACHE_HOME, where the user's cache cannot be found (twenty-ninth probe).
func TestIsSetupModel(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	cache, err := ddpm.UserModelsDir()
	if err != nil || !strings.HasSuffix(cache, string(filepath.Separator)+setupModelsFolder) {
		t.Fatalf("setup's models folder is %s (%v), which does not end in %s", cache, err, setupModelsFolder)
	}
	elsewhere := filepath.Join(dir, "other", "ddpm-go", "models")
	for path, want := range map[string]bool{
		filepath.Join(cache, "mnist-classifier.ddpm"):   true,
		filepath.Join(elsewhere, "mnist-ema.ddpm"):      true,
		filepath.Join(cache, "my-classifier.ddpm"):      false, // not a shipped model's name
		filepath.Join(dir, "models", "mnist-ema.ddpm"):  false, // a clone's models/ is the project's
		filepath.Join(dir, "ddpm-go", "mnist-ema.ddpm"): false,
	} {
		if got := isSetupModel(path); got != want {
			t.Errorf("isSetupModel(%s) = %v, want %v", path, got, want)
		}
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", "cache") // relative: Go's os.UserCacheDir refuses it
	t.Chdir(dir)
	if !isSetupModel(filepath.Join("other", "ddpm-go", "models", "mnist-classifier.ddpm")) {
		t.Errorf("under a relative $XDG_CACHE_HOME, a folder ddpm-go/models was not taken for setup's")
	}
	if err := runClassifier([]string{"--out", filepath.Join(cache, "mnist-classifier.ddpm")}); err == nil || !strings.Contains(err.Error(), "is where `ddpm setup` writes") {
		t.Errorf("classifier into setup's folder under a relative $XDG_CACHE_HOME: error %v", err)
	}
}

// The defaults of --progressive-t and interpolate's --t, written for the paper's T = 1000, are taken
// at the same places along a model's own chain: for T = 100 they were refused under flags never given,
// and for T = 2000 Figure 6 showed only the chain's second half (thirtieth probe).
func TestStepDefaultsFollowTheModelsT(t *testing.T) {
	defaults := []int{1000, 900, 800, 700, 600, 500, 400, 300, 200, 100, 50, 1}
	for T, want := range map[int][]int{
		1000: defaults,
		100:  {100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 5, 1},
		2000: {2000, 1800, 1600, 1400, 1200, 1000, 800, 600, 400, 200, 100, 2},
		10:   {10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
	} {
		if got := scaledSteps(defaults, T); !slices.Equal(got, want) {
			t.Errorf("T = %d: %v, want %v", T, got, want)
		}
	}
	images, dir := t.TempDir(), t.TempDir()
	writeTinyImages(t, images)
	run := filepath.Join(dir, "run")
	if err := runTrain([]string{"--dataset", "folder", "--data", images, "--gray", "--T", "100", "--batch", "4", "--ch", "8", "--ch-mult", "1",
		"--attn=", "--steps", "1", "--sample-every", "0", "--ckpt", run, "--progress=false"}); err != nil {
		t.Fatal(err)
	}
	if err := runSample([]string{"--ckpt", run, "--n", "2", "--out", filepath.Join(dir, "s.png"), "--progressive", filepath.Join(dir, "p.png")}); err != nil {
		t.Errorf("sample --progressive of a model of T = 100, by default: %v", err)
	}
	if err := runInterpolate([]string{"--ckpt", run, "--pairs", "1", "--lambdas", "3", "--out", filepath.Join(dir, "i.png")}); err != nil {
		t.Errorf("interpolate a model of T = 100, by default: %v", err)
	}
}

// A message quoting a long value back keeps its start and its advice at the end, and stays short: an
// 80 KB --n made an 80 KB message (fortieth probe's nit).
func TestLongMessagesAreShortened(t *testing.T) {
	if got := shortened("--n x: write a whole number"); got != "--n x: write a whole number" {
		t.Errorf("a short message was changed: %q", got)
	}
	value := strings.Repeat("é", 40000)                 // two bytes each: a cut must not split one
	long := "--n x" + value + ": write a whole number." // a cut at either end would split one
	got := shortened(long)
	if len(got) > maxMessage+64 || !strings.HasPrefix(got, "--n xéé") || !strings.HasSuffix(got, "éé: write a whole number.") ||
		!strings.Contains(got, "bytes left out") || !utf8.ValidString(got) {
		t.Errorf("shortened(%d bytes) = %d bytes, start %q, end %q, valid UTF-8 %v", len(long), len(got), got[:20], got[len(got)-30:], utf8.ValidString(got))
	}
	var left int
	head, rest, _ := strings.Cut(got, " … (")
	if _, err := fmt.Sscanf(rest, "%d bytes left out) … ", &left); err != nil {
		t.Fatalf("no count of what is left out: %v", err)
	}
	_, tail, _ := strings.Cut(rest, "left out) … ")
	if len(head)+left+len(tail) != len(long) || long[:len(head)] != head || long[len(long)-len(tail):] != tail {
		t.Errorf("start %d + left out %d + end %d bytes != %d, or the parts are not the message's", len(head), left, len(tail), len(long))
	}
}

// The schedule is the flags' alone, and refused before the data is read: `--T 10` (linear-scaled, β_T ≥ 1)
// was refused after the go command had downloaded MNIST (sixty-seventh probe). Here no go command can be
// found, so a refusal that came after MNIST was looked for would name that instead.
func TestTrainRefusesItsScheduleBeforeTheData(t *testing.T) {
	t.Setenv(data.EnvMNISTDir, "")
	t.Setenv("PATH", t.TempDir())
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--T", "10"}, "--schedule linear-scaled --T 10: "},
		{[]string{"--T", "10", "--schedule", "linear"}, "--schedule linear --T 10: ᾱ_T = 0.904"},
	} {
		args := append([]string{"--ckpt", filepath.Join(t.TempDir(), "run"), "--steps", "2", "--progress=false"}, c.args...)
		if err := runTrain(args); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("train %v: error %v, want one beginning %q", c.args, err, c.want)
		}
	}
}

// A run that the library trained with a schedule whose ᾱ_T train refuses for a new run (linear, T = 100:
// 0.364) is refused on resuming too: it was resumed, and sample, export and eval refused its checkpoints
// (fifty-first probe).
func TestTrainRefusesToResumeAPriorItRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	points, err := data.Toy2D("moons", 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	mlp := ddpm.DefaultMLPConfig()
	spec := ddpm.RunSpec{Model: ddpm.ModelMLP, MLP: &mlp, Schedule: ddpm.ScheduleLinear, T: 100, Dataset: "moons", Dims: []int{2}, BatchSize: 32, Steps: 1, Seed: 3,
		Optimizer: ddpm.OptimizerConfig{LearningRate: 1e-3, WarmupSteps: 2, ClipNorm: 1, EMADecay: 0.9}}
	sched, err := spec.BuildSchedule()
	if err != nil {
		t.Fatal(err)
	}
	model, err := spec.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ddpm.NewArrayDataset("moons", points, []int{2}, 32, 3)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := ddpm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	if _, err := ddpm.Train(backend, context.New(), sched, model, ds, ddpm.TrainConfig{Steps: 1, Seed: 3, Optimizer: spec.Optimizer, CheckpointDir: dir, Meta: spec}); err != nil {
		t.Fatal(err)
	}
	err = runTrain([]string{"--dataset", "moons", "--schedule", "linear", "--T", "100", "--ckpt", dir, "--steps", "2", "--batch", "32", "--seed", "3", "--progress=false"})
	if err == nil || !strings.Contains(err.Error(), "--schedule linear --T 100: ᾱ_T = 0.364") {
		t.Errorf("resuming a run of ᾱ_T = 0.364: %v", err)
	}
	if latest, _ := ddpm.LatestCheckpoint(dir); filepath.Base(latest) != "ckpt-000000001.ddpm" {
		t.Errorf("refused, it trained to %s", latest)
	}
}

// A flag's default found in the working directory is read only where no other user could have put it
// there: run in /tmp, `ddpm sample` read the runs/mnist that another user had made, and eval their
// models/ (fifty-sixth probe). Named on the command line, the same file is read.
func TestDefaultsInTheWorkingDirectoryAreTheUsersOwn(t *testing.T) {
	shipped, err := filepath.Abs("../../models/mnist-ch8-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o755); err != nil || os.Chmod(shared, 0o777) != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"runs/mnist/ckpt-000000010.ddpm", "models/mnist-ema.ddpm"} {
		path := filepath.Join(shared, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil || os.WriteFile(path, raw, 0o644) != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(shared)
	out := filepath.Join(t.TempDir(), "x.png")
	// Each command refuses its default, and says why.
	refuseDefaults := func(where, why string) {
		for _, c := range []struct {
			run  func([]string) error
			args []string
			flag string
		}{
			{runSample, []string{"--n", "1", "--steps", "2", "--out", out}, "--ckpt: the default runs/mnist"},
			{runExport, []string{"--out", filepath.Join(t.TempDir(), "e.ddpm")}, "--ckpt: the default runs/mnist"},
			{runInterpolate, []string{"--pairs", "1", "--lambdas", "2", "--t", "2", "--out", out}, "--ckpt: the default models/mnist-ema.ddpm"},
		} {
			if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), c.flag) || !strings.Contains(err.Error(), why) {
				t.Errorf("%v %s: %v, want a refusal of the default (%q)", c.args, where, err, c.flag)
			}
		}
	}
	refuseDefaults("from a folder anyone may write", "anyone may write")
	if err := runSample([]string{"--ckpt", "runs/mnist", "--n", "1", "--steps", "2", "--out", out}); err != nil {
		t.Errorf("--ckpt runs/mnist named: %v", err)
	}
	checkPNG(t, out)
	// In a folder of the user's own, a default whose files another user may change is refused too:
	// sample and export read a 0666 checkpoint in runs/mnist, where train refused it (sixty-third probe).
	own := filepath.Join(t.TempDir(), "own")
	for _, name := range []string{"runs/mnist/ckpt-000000010.ddpm", "models/mnist-ema.ddpm"} {
		path := filepath.Join(own, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil || os.WriteFile(path, raw, 0o644) != nil || os.Chmod(path, 0o666) != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(own)
	refuseDefaults("holding a file anyone may write", "anyone may write")
	// A default whose look fails ("runs" a file: not a directory) is refused, not left unchecked: another
	// user who made it fail the look swapped their folder in before the read (fifty-eighth probe).
	t.Chdir(t.TempDir())
	if err := os.WriteFile("runs", nil, 0o644); err != nil || os.WriteFile("models", nil, 0o644) != nil {
		t.Fatal(err)
	}
	refuseDefaults("where the default's look fails", "cannot be read from the working directory")
}

// atof is s as a float64, or the test's failure.
func atof(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
