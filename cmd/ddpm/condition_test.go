package main

import (
	"archive/zip"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// Class conditioning from the command line: train --class-cond on a folder of class subfolders
// keeps the class names, sample --class by name, number or all, eval's conditional accuracy, and
// the errors for labels that do not exist or models without classes.
func TestClassConditionalCommandLine(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "shapes")
	for c, class := range []string{"bar", "dot", "ring"} {
		os.MkdirAll(filepath.Join(data, class), 0o755)
		for i := range 4 {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			for p := range img.Pix {
				img.Pix[p] = uint8(60*c + 10*i + p%3)
			}
			f, err := os.Create(filepath.Join(data, class, string(rune('a'+i))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, img)
			f.Close()
		}
	}
	ckpt := filepath.Join(dir, "cond")
	tiny := []string{"--ch", "4", "--ch-mult", "1,1", "--attn", "", "--groups", "1", "--batch", "4", "--progress=false"}
	if err := runTrain(append(tiny, "--dataset", "folder", "--data", data, "--gray", "--class-cond", "--steps", "4",
		"--sample-every", "4", "--ckpt", ckpt)); err != nil {
		t.Fatal(err)
	}
	var spec ddpm.RunSpec
	if _, err := ddpm.ReadCheckpointMeta(mustLatest(t, ckpt), &spec); err != nil {
		t.Fatal(err)
	}
	if spec.NumClasses() != 3 || !slices.Equal(spec.ClassNames, []string{"bar", "dot", "ring"}) || spec.PUncond != ddpm.DefaultPUncond {
		t.Fatalf("saved %d classes %v, p_uncond %g; want 3 (bar, dot, ring) and %g", spec.NumClasses(), spec.ClassNames, spec.PUncond, ddpm.DefaultPUncond)
	}
	checkPNG(t, filepath.Join(ckpt, "samples", "step-000000004.png"))
	// Resuming with another label dropout is a change of recipe: it goes on (with a warning).
	resume := append(tiny, "--dataset", "folder", "--data", data, "--gray", "--sample-every", "0", "--ckpt", ckpt, "--steps", "5")
	if err := runTrain(append(resume, "--class-cond", "--p-uncond", "0.2")); err != nil {
		t.Errorf("resuming with --p-uncond 0.2: %v", err)
	}
	// A checkpoint of another run is refused from the images' headers, before they are decoded (6 s for
	// 60 large images; sixteenth probe): here an image is cut short, so decoding would fail first.
	cut := filepath.Join(dir, "cut")
	if err := os.CopyFS(cut, os.DirFS(data)); err != nil {
		t.Fatal(err)
	}
	whole, _ := os.ReadFile(filepath.Join(cut, "ring", "d.png"))
	os.WriteFile(filepath.Join(cut, "ring", "d.png"), whole[:len(whole)-20], 0o644) //nolint:errcheck
	if err := runTrain(append(tiny, "--dataset", "folder", "--data", cut, "--gray", "--class-cond", "--ckpt", ckpt, "--steps", "6",
		"--schedule", "cosine")); err == nil || !strings.Contains(err.Error(), "of another run") || !strings.Contains(err.Error(), "schedule") {
		t.Errorf("resuming with another schedule from a folder: error %v, want the other run named before the images are decoded", err)
	}
	// So are, from the flags, the folders and the checkpoint's header (seventeenth probe): a run resumed
	// without --class-cond (the folder of one class holds the image cut short), on other classes, and
	// from a damaged checkpoint.
	if err := runTrain(append(tiny, "--dataset", "folder", "--data", filepath.Join(cut, "ring"), "--gray", "--ckpt", ckpt, "--steps", "6")); err == nil ||
		!strings.Contains(err.Error(), "unet.num_classes: 3 in the checkpoint, (none) now") {
		t.Errorf("resuming without --class-cond from a folder: error %v, want it named before the images are decoded", err)
	}
	renamed := filepath.Join(dir, "renamed")
	os.CopyFS(renamed, os.DirFS(cut))                                         //nolint:errcheck
	os.Rename(filepath.Join(renamed, "ring"), filepath.Join(renamed, "star")) //nolint:errcheck
	if err := runTrain(append(tiny, "--dataset", "folder", "--data", renamed, "--gray", "--class-cond", "--ckpt", ckpt, "--steps", "6")); err == nil ||
		!strings.Contains(err.Error(), `class_names: ["bar","dot","ring"] in the checkpoint, ["bar","dot","star"] now`) {
		t.Errorf("resuming on other classes: error %v, want them named before the images are decoded", err)
	}
	damaged := filepath.Join(dir, "damaged")
	os.CopyFS(damaged, os.DirFS(ckpt)) //nolint:errcheck
	newest := mustLatest(t, damaged)
	whole, _ = os.ReadFile(newest)
	os.WriteFile(newest, whole[:len(whole)-1000], 0o644) //nolint:errcheck
	if err := runTrain(append(tiny, "--dataset", "folder", "--data", cut, "--gray", "--class-cond", "--ckpt", damaged, "--steps", "6")); err == nil ||
		!strings.Contains(err.Error(), "truncated") || strings.Contains(err.Error(), "--data") {
		t.Errorf("resuming from a truncated checkpoint: error %v, want it refused by --ckpt before the images are decoded", err)
	}
	// And (twenty-first probe) a new run's schedule, a class name that is not text, a --ckpt in use by
	// another process, and --devices that cannot split --batch.
	notText := filepath.Join(dir, "not-text")
	os.CopyFS(notText, os.DirFS(cut))                                           //nolint:errcheck
	os.Rename(filepath.Join(notText, "bar"), filepath.Join(notText, "b\xffar")) //nolint:errcheck
	inUse := filepath.Join(dir, "in-use")
	os.MkdirAll(inUse, 0o755) //nolint:errcheck
	holder, err := os.OpenFile(filepath.Join(inUse, ddpm.LockFileName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil { // as another process's LockDir
		t.Fatal(err)
	}
	many := filepath.Join(dir, "many") // 64 images and the one cut short
	os.MkdirAll(many, 0o755)           //nolint:errcheck
	good, _ := os.ReadFile(filepath.Join(cut, "ring", "a.png"))
	for i := range 64 {
		os.WriteFile(filepath.Join(many, fmt.Sprintf("%02d.png", i)), good, 0o644) //nolint:errcheck
	}
	cutPNG, _ := os.ReadFile(filepath.Join(cut, "ring", "d.png"))
	os.WriteFile(filepath.Join(many, "zz.png"), cutPNG, 0o644) //nolint:errcheck
	gridsAFile := filepath.Join(dir, "grids-a-file")
	os.MkdirAll(gridsAFile, 0o755)                                 //nolint:errcheck
	os.WriteFile(filepath.Join(gridsAFile, "samples"), nil, 0o644) //nolint:errcheck
	// MNIST's files whose headers say 100×120 images: refused from the headers, with no --resize to
	// suggest (twenty-second probe: 46 s and 5.9 GB of reading first).
	wide := mnistOfShape(t, 150_000, 9, 100, 120, 10) // 1.8 GB of pixels, a hole
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", filepath.Join(cut, "ring"), "--ckpt", filepath.Join(dir, "new"), "--schedule", "linear", "--T", "10"}, "ᾱ_T = 0.904"},
		{[]string{"--data", many, "--ckpt", filepath.Join(dir, "new"), "--devices", "64", "--batch", "64"}, "--devices: 64 devices asked for"},
		{[]string{"--data", filepath.Join(cut, "ring"), "--ckpt", gridsAFile, "--sample-every", "2"}, "samples is a file, where a folder is wanted"},
		// A batch of more examples than there are (twenty-third probe).
		{[]string{"--data", filepath.Join(cut, "ring"), "--ckpt", filepath.Join(dir, "new"), "--batch", "64"}, "--batch 64: the data set has 4 examples"},
		{[]string{"--data", notText, "--class-cond", "--ckpt", filepath.Join(dir, "new")}, "which is not UTF-8 text"},
		{[]string{"--data", filepath.Join(cut, "ring"), "--ckpt", inUse}, "--ckpt " + inUse + " is in use by this process, through another open file"},
		{[]string{"--data", cut, "--ckpt", filepath.Join(dir, "new"), "--devices", "3"}, "--batch 4 cannot be split evenly over 3 devices"},
	} {
		err := runTrain(append(append(tiny, "--dataset", "folder", "--gray", "--steps", "6"), c.args...))
		if err == nil || !strings.Contains(err.Error()+"\n", c.want) {
			t.Errorf("train %v: error %v, want %q before the images are decoded", c.args, err, c.want)
		}
	}
	err = runTrain(append(tiny, "--dataset", "mnist", "--data", wide, "--ckpt", filepath.Join(dir, "new")))
	if want := "images 120 wide and 100 tall: the U-Net needs square images\n"; err == nil || !strings.Contains(err.Error()+"\n", want) {
		t.Errorf("train on MNIST's files of 100×120 images: error %v, want %q before they are read", err, want)
	}
	if _, err := os.Lstat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("refused runs left their --ckpt behind (%v)", err)
	}

	// eval measures MNIST models: a 3-class one is refused by --ckpt before any folder is made (it was
	// refused by --fid at first, then only after making --work and --out; fifth probe).
	work, evalOut := filepath.Join(dir, "eval-work"), filepath.Join(dir, "eval-out")
	if err := runEval([]string{"--ckpt", ckpt, "--nll", "0", "--fid", "4", "--fid-batch", "4", "--work", work, "--out", evalOut}); err == nil ||
		!strings.Contains(err.Error(), "--ckpt") || !strings.Contains(err.Error(), "3 classes, not MNIST's 10") {
		t.Errorf("eval of a 3-class model: error %v, want one naming --ckpt and its 3 classes", err)
	}
	for _, d := range []string{work, evalOut} {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("eval of a 3-class model made %s before refusing", d)
		}
	}

	out := filepath.Join(dir, "s.png")
	for _, args := range [][]string{{"--class", "dot"}, {"--class", "2", "--guidance", "0"}, {"--class", "all", "--n", "2"},
		{"--class", "ring", "--sampler", "ddim", "--steps", "10"}, {}} {
		if err := runSample(append([]string{"--ckpt", ckpt, "--n", "3", "--out", out, "--steps", "20"}, args...)); err != nil {
			t.Errorf("sample %v: %v", args, err)
		}
		checkPNG(t, out)
	}
	// --class all: one row per class, --n per row.
	all := filepath.Join(dir, "all.png")
	if err := runSample([]string{"--ckpt", ckpt, "--class", "all", "--n", "5", "--out", all, "--steps", "10"}); err != nil {
		t.Fatal(err)
	}
	rows, cols := gridShape(t, all, 8)
	if rows != 3 || cols != 5 {
		t.Errorf("--class all --n 5 drew a grid of %d×%d images, want 3 rows (classes) of 5", rows, cols)
	}
	// An array has no rows: its summary said "in a row of its own" (sixty-fifth probe's nit).
	said := captureStdout(t, func() {
		if err := runSample([]string{"--ckpt", ckpt, "--class", "all", "--n", "2", "--out", filepath.Join(dir, "all.npz"), "--steps", "10"}); err != nil {
			t.Error(err)
		}
	})
	if !strings.Contains(said, "every class, 2 of each, one class after another") {
		t.Errorf("--class all into an array: %q", said)
	}
	// Labels of classes that are not the digits 0 to 9 are left out: eval --samples scored them as
	// digits (seventy-ninth probe).
	if z, err := zip.OpenReader(filepath.Join(dir, "all.npz")); err != nil || len(z.File) != 1 || z.File[0].Name != "arr_0.npy" {
		t.Errorf("--class all of classes bar, dot, ring into an .npz: %v, want the samples alone (arr_0.npy)", err)
	} else {
		z.Close()
	}
	// So an .npy, one array, holds all that is written (it was refused, sent to an .npz; eightieth probe).
	if err := runSample([]string{"--ckpt", ckpt, "--class", "all", "--n", "2", "--out", filepath.Join(dir, "all.npy"), "--steps", "10"}); err != nil {
		t.Errorf("--class all of classes bar, dot, ring into an .npy: %v", err)
	}
	for _, c := range []struct {
		args  []string
		names string
	}{
		{[]string{"--class", "star"}, "bar, dot, ring"}, {[]string{"--class", "3"}, "bar, dot, ring"},
		{[]string{"--class", "dot", "--guidance", "-1"}, "--guidance -1"},
	} {
		if err := runSample(append([]string{"--ckpt", ckpt, "--out", out, "--steps", "10"}, c.args...)); err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("sample %v: error %v, want one naming %s", c.args, err, c.names)
		}
	}

	// A model without classes refuses --class and --guidance; data without labels refuses --class-cond.
	moons := filepath.Join(dir, "moons")
	if err := runTrain([]string{"--dataset", "moons", "--toy-n", "256", "--T", "50", "--steps", "2", "--ckpt", moons, "--progress=false"}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--class", "1"}, {"--guidance", "2"}} {
		if err := runSample(append([]string{"--ckpt", moons, "--out", out}, args...)); err == nil || !strings.Contains(err.Error(), "--class-cond") {
			t.Errorf("sample %v from an unconditional model: error %v, want one saying it was trained without --class-cond", args, err)
		}
	}
	if err := runTrain([]string{"--dataset", "moons", "--class-cond", "--ckpt", filepath.Join(dir, "m2")}); err == nil || !strings.Contains(err.Error(), "no class labels") {
		t.Errorf("--class-cond on moons: error %v, want one saying it has no class labels", err)
	}
	if err := runTrain(append(tiny, "--dataset", "folder", "--data", filepath.Join(data, "dot"), "--gray", "--class-cond", "--ckpt", filepath.Join(dir, "flat"))); err == nil ||
		!strings.Contains(err.Error(), "no class subfolders") {
		t.Errorf("--class-cond on a folder without subfolders: error %v", err)
	}

	// eval of a conditional MNIST model: every digit asked for in turn, the accuracy reported.
	mnist := filepath.Join(dir, "mnist")
	if err := runTrain(append(tiny, "--class-cond", "--steps", "2", "--sample-every", "0", "--ckpt", mnist)); err != nil {
		t.Fatal(err)
	}
	if err := runTrain(append(tiny, "--steps", "3", "--ckpt", mnist)); err == nil || !strings.Contains(err.Error(), "unet.num_classes: 10 in the checkpoint, (none) now") {
		t.Errorf("resuming a --class-cond run without it: error %v, want one naming unet.num_classes", err)
	}
	if err := runEval([]string{"--ckpt", mnist, "--classifier", "../../models/mnist-classifier.ddpm", "--work", dir, "--out", dir,
		"--nll", "0", "--fid", "20", "--fid-batch", "20", "--steps", "5", "--guidance", "1.5"}); err != nil {
		t.Fatal(err)
	}
	var report evalReport
	if raw, err := os.ReadFile(filepath.Join(dir, "eval.json")); err != nil || json.Unmarshal(raw, &report) != nil {
		t.Fatalf("eval.json: %v", err)
	}
	if report.Guidance != 1.5 || report.FID == nil || report.FID.Conditional == nil || len(report.FID.Conditional.PerClass) != 10 {
		t.Fatalf("eval of a conditional model: guidance %g, FID %+v; want guidance 1.5 and 10 per-class accuracies", report.Guidance, report.FID)
	}
	c := report.FID.Conditional
	mean := 0.0
	for _, a := range c.PerClass {
		if a == nil {
			t.Fatalf("a digit asked for twice has no accuracy: %v", c.PerClass)
		}
		mean += *a / 10
	}
	if !(c.Accuracy >= 0 && c.Accuracy <= 1) || math.Abs(mean-c.Accuracy) > 1e-9 {
		t.Errorf("conditional accuracy %g, the mean of the per-class ones %g: want equal (2 samples per digit), in [0, 1]", c.Accuracy, mean)
	}
	for _, key := range []string{`"accuracy":`, `"accuracy_stderr":`, `"per_class_accuracy":`} {
		if raw, _ := os.ReadFile(filepath.Join(dir, "eval.json")); !strings.Contains(string(raw), key) {
			t.Errorf("eval.json lacks %s (a zero must be written, not left out)", key)
		}
	}
}

// gridShape counts the rows and columns of a sample grid of side×side images from its size
// (WriteImageGridPNG's layout, viz.Grid with Scale 2).
func gridShape(t *testing.T, path string, side int) (rows, cols int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// n cells of side×2 pixels (Scale 2) with a gap of gridGap pixels around each.
	const gridGap = 4
	b := img.Bounds()
	return (b.Dy() - gridGap) / (2*side + gridGap), (b.Dx() - gridGap) / (2*side + gridGap)
}

// A file where the sample grids go (<ckpt>/samples) is refused before training, naming --ckpt and the
// way out; it failed only at the first grid, after the steps before it (issue 32's second probe).
func TestTrainRefusesAFileWhereTheGridsGo(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "images")
	os.MkdirAll(data, 0o755)
	for i := range 4 {
		f, err := os.Create(filepath.Join(data, string(rune('a'+i))+".png"))
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, image.NewGray(image.Rect(0, 0, 8, 8)))
		f.Close()
	}
	ckpt := filepath.Join(dir, "run")
	os.MkdirAll(ckpt, 0o755)
	if err := os.WriteFile(filepath.Join(ckpt, "samples"), []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runTrain([]string{"--ch", "4", "--ch-mult", "1,1", "--attn", "", "--groups", "1", "--batch", "4", "--progress=false",
		"--dataset", "folder", "--data", data, "--gray", "--steps", "4", "--sample-every", "2", "--ckpt", ckpt})
	if err == nil || !strings.Contains(err.Error(), "--ckpt") || !strings.Contains(err.Error(), "--sample-every 0") {
		t.Errorf("train with a file at <ckpt>/samples: error %v, want a refusal naming --ckpt and --sample-every 0", err)
	}
	if latest, _ := ddpm.LatestCheckpoint(ckpt); latest != "" {
		t.Errorf("a checkpoint was written (%s): the refusal came after training", latest)
	}
}

// --class all draws k classes × n images at once: its memory is that of k·n images, the start-up and
// the schedule counted once (they were counted k times: a 300-class model of MNIST's size was said to
// need 75 GiB for --n 1; seventh probe). A billion per class is still refused.
func TestClassAllMemoryCountsTheStartOnce(t *testing.T) {
	tr := &ddpm.Trained{Path: "m.ddpm"}
	if _, err := ddpm.ReadCheckpointMeta("../../models/mnist-cond-ema.ddpm", &tr.Spec); err != nil {
		t.Fatal(err)
	}
	tr.Spec.UNet.NumClasses = 300
	for _, c := range []struct {
		n  int
		ok bool
	}{{1, true}, {1000000000, false}} {
		n, cols := c.n, 0
		labels, err := classLabels(tr, "all", &n, &cols, true, false)
		if c.ok && (err != nil || len(labels) != 300*c.n) {
			t.Errorf("--class all --n %d of 300 classes: %d labels, %v", c.n, len(labels), err)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Error(), "300 classes")) {
			t.Errorf("--class all --n %d of 300 classes: %v, want a refusal naming the memory", c.n, err)
		}
	}
}

// A conditional model trained with --p-uncond 0 never saw "no label": it is not guided (the default w
// guided it with what it never learned), an explicit --guidance and a draw without a class are refused
// (eleventh probe).
func TestModelWithoutUnconditionalTraining(t *testing.T) {
	ctx := context.New()
	var spec ddpm.RunSpec
	step, err := ddpm.LoadCheckpoint("../../models/mnist-cond-ema.ddpm", ctx, &spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.PUncond = 1e-50 // 0 as float32, in which the drop is drawn: never without a label (thirteenth probe)
	dir := t.TempDir()
	model := filepath.Join(dir, "p0.ddpm")
	if err := ddpm.WriteCheckpoint(model, ctx, step, &spec, nil); err != nil {
		t.Fatal(err)
	}
	base := []string{"--ckpt", model, "--n", "2", "--steps", "5", "--out", filepath.Join(dir, "s.png")}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--class", "3", "--guidance", "2"}, "--guidance 2: " + model + " was trained with --p-uncond 0"},
		{nil, "cannot draw without a class"},
	} {
		if err := runSample(append(slices.Clone(base), c.args...)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	// Nor is its bound, or an interpolation, computed without a label (twelfth probe).
	if err := runInterpolate([]string{"--ckpt", model, "--out", filepath.Join(dir, "i.png")}); err == nil || !strings.Contains(err.Error(), "--p-uncond 0") {
		t.Errorf("interpolate: error %v, want a refusal", err)
	}
	if err := runEval([]string{"--ckpt", model, "--nll", "2", "--fid", "0", "--work", dir, "--out", dir}); err == nil || !strings.Contains(err.Error(), "--nll 2: the bound") {
		t.Errorf("eval --nll: error %v, want a refusal", err)
	}
	// At --p-uncond 1 it never sees a class (each drew the same images; twelfth probe).
	// Nor values that float32, in which the drop is drawn, makes 1 or 0 (thirteenth probe).
	for _, p := range []string{"1", "0.99999999", "1e-50"} {
		if err := runTrain([]string{"--dataset", "moons", "--class-cond", "--p-uncond", p, "--ckpt", filepath.Join(dir, "p1")}); err == nil || !strings.Contains(err.Error(), "--p-uncond "+p) {
			t.Errorf("train --p-uncond %s: error %v, want a refusal", p, err)
		}
	}
	// Nor does a checkpoint claiming such a p load (1, −1 and 7 were sampled from; thirteenth probe).
	for _, p := range []float64{1, -1, 7, 0.99999999, math.NaN()} {
		bad := spec
		bad.PUncond = p
		path := filepath.Join(dir, "bad-p.ddpm")
		if err := ddpm.WriteCheckpoint(path, ctx, step, &bad, nil); err != nil {
			if math.IsNaN(p) && strings.Contains(err.Error(), "NaN") {
				continue // JSON has no NaN: such a file cannot be written
			}
			t.Fatal(err)
		}
		if _, err := ddpm.LoadTrained(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "p_uncond") {
			t.Errorf("a checkpoint with p_uncond %g: error %v, want a refusal naming the file", p, err)
		}
		// Nor is it exported (written, exit 0; fifteenth probe).
		if err := runExport([]string{"--ckpt", path, "--out", filepath.Join(dir, "x.ddpm")}); err == nil || !strings.Contains(err.Error(), "p_uncond") {
			t.Errorf("export of a checkpoint with p_uncond %g: error %v, want a refusal", p, err)
		}
	}
	tr, err := ddpm.LoadTrained(model)
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	sf := addSamplerFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if _, cfg, err := sf.build(tr); err != nil || cfg.Guidance != 0 {
		t.Errorf("the default guidance on a model without unconditional training: w = %g (%v), want 0", cfg.Guidance, err)
	}
}

// eval scores label i as the digit i: a conditional model whose classes are named otherwise is refused
// (folders "eight" … "zero" had each digit's accuracy reported under another's; fifteenth probe).
func TestEvalRefusesClassesNamedOtherwise(t *testing.T) {
	ctx := context.New()
	var spec ddpm.RunSpec
	step, err := ddpm.LoadCheckpoint("../../models/mnist-cond-ema.ddpm", ctx, &spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.ClassNames = []string{"eight", "five", "four", "nine", "one", "seven", "six", "three", "two", "zero"}
	dir := t.TempDir()
	model := filepath.Join(dir, "words.ddpm")
	if err := ddpm.WriteCheckpoint(model, ctx, step, &spec, nil); err != nil {
		t.Fatal(err)
	}
	err = runEval([]string{"--ckpt", model, "--nll", "0", "--fid", "10", "--work", dir, "--out", dir})
	if err == nil || !strings.Contains(err.Error(), `names its label 0 "eight"`) {
		t.Errorf("eval of classes named by words: error %v, want a refusal", err)
	}
}

// eval refuses a model of another shape by its shape before its class names: a class-conditional
// CIFAR-10-shaped model was told to rename its classes 0 to 9 (thirtieth probe).
func TestEvalRefusesAnotherShapeBeforeItsClasses(t *testing.T) {
	dir := t.TempDir()
	classes := filepath.Join(dir, "classes")
	for _, name := range []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"} {
		if err := os.MkdirAll(filepath.Join(classes, name), 0o755); err != nil {
			t.Fatal(err)
		}
		writeTinyImages(t, filepath.Join(classes, name))
	}
	run := filepath.Join(dir, "run")
	if err := runTrain([]string{"--dataset", "folder", "--data", classes, "--class-cond", "--resize", "32", "--batch", "4", "--ch", "8",
		"--ch-mult", "1", "--attn=", "--steps", "1", "--sample-every", "0", "--ckpt", run, "--progress=false"}); err != nil {
		t.Fatal(err)
	}
	err := runEval([]string{"--ckpt", run, "--nll", "0", "--fid", "10", "--work", filepath.Join(dir, "w"), "--out", filepath.Join(dir, "o")})
	if err == nil || !strings.Contains(err.Error(), "models data of shape [32 32 3], and eval measures models of MNIST's [28 28 1] images") {
		t.Errorf("eval of a CIFAR-shaped conditional model: error %v, want its shape named", err)
	}
}

// sample's note that a class-conditional model draws without a class comes only once nothing refuses
// the run: it came before the refusals of --guidance, --out, --progressive and --steps (thirty-first
// and thirty-second probes).
func TestConditionalNoteComesAfterTheRefusals(t *testing.T) {
	const note = "is class-conditional: drawing without a class"
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--out", filepath.Join(dir, "missing", "x.png")},
		{"--out", filepath.Join(dir, "y.png"), "--progressive", filepath.Join(dir, "y.png")},
		{"--out", filepath.Join(dir, "y.png"), "--sampler", "ddim", "--steps", "ddim1"},
		{"--out", filepath.Join(dir, "y.png"), "--guidance", "2"},
	} {
		out, err := ddpmCommand(append([]string{"sample", "--ckpt", "models/mnist-cond-ema.ddpm"}, args...)...).CombinedOutput()
		if err == nil || strings.Contains(string(out), note) {
			t.Errorf("sample %v: %v, said:\n%s\nwant a refusal without the note", args, err, out)
		}
	}
	out, err := ddpmCommand("sample", "--ckpt", "models/mnist-cond-ema.ddpm", "--n", "1", "--sampler", "ddim", "--steps", "2",
		"--out", filepath.Join(dir, "z.png")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), note) {
		t.Errorf("a draw without a class: %v, said:\n%s\nwant the note", err, out)
	}
}

// A class-conditional model sampled without --class draws with ∅, unguided: the default w ran the
// network on a doubled batch of ∅ and said "with guidance" (sixty-first probe). eval's nfe counts both
// halves of a guided batch, as sample's message does.
func TestUnguidedDrawsAreNotGuided(t *testing.T) {
	dir := t.TempDir()
	out := captureStdout(t, func() {
		if err := runSample([]string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--sampler", "euler", "--steps", "2", "--n", "2",
			"--out", filepath.Join(dir, "u.npy")}); err != nil {
			t.Fatal(err)
		}
	})
	if strings.Contains(out, "guidance") || !strings.Contains(out, "2 network evaluations") {
		t.Errorf("sample without --class: %q, want 2 network evaluations and no guidance", out)
	}
	if err := runEval([]string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--classifier", "../../models/mnist-classifier.ddpm", "--nll", "0",
		"--fid", "20", "--sampler", "euler", "--steps", "2", "--guidance", "2", "--work", filepath.Join(dir, "w"), "--out", filepath.Join(dir, "o")}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "o", "eval.json"))
	if err != nil {
		t.Fatal(err)
	}
	var report struct{ NFE int }
	if err := json.Unmarshal(raw, &report); err != nil || report.NFE != 4 {
		t.Errorf("eval of 2 guided euler steps: nfe %d (%v), want 4", report.NFE, err)
	}
}
