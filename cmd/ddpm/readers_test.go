package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/quality"
)

// writeIDX writes an IDX file of unsigned bytes (gzip), of the given dimensions and data, as MNIST's.
func writeIDX(t *testing.T, path string, dims []int, payload []byte) {
	t.Helper()
	var raw bytes.Buffer
	binary.Write(&raw, binary.BigEndian, uint32(0x0800|len(dims))) //nolint:errcheck
	for _, d := range dims {
		binary.Write(&raw, binary.BigEndian, uint32(d)) //nolint:errcheck
	}
	raw.Write(payload)
	var packed bytes.Buffer
	w := gzip.NewWriter(&packed)
	w.Write(raw.Bytes()) //nolint:errcheck
	w.Close()
	if err := os.WriteFile(path, packed.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeMNIST writes a small MNIST --data folder: training and test images of the given dimensions
// (grey levels that vary), and labels that cycle through the digits, with trainLabels[i] = v for the
// entries of badLabels.
func writeMNIST(t *testing.T, dir string, trainDims, testDims []int, badLabels map[int]byte) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	pixels := func(dims []int) []byte {
		out := make([]byte, dims[0]*dims[1]*dims[2])
		for i := range out {
			out[i] = byte(i * 7)
		}
		return out
	}
	labels := func(n int) []byte {
		out := make([]byte, n)
		for i := range out {
			out[i] = byte(i % 10)
		}
		return out
	}
	trainLabels := labels(trainDims[0])
	for i, v := range badLabels {
		trainLabels[i] = v
	}
	writeIDX(t, filepath.Join(dir, data.MNISTTrainImages), trainDims, pixels(trainDims))
	writeIDX(t, filepath.Join(dir, data.MNISTTrainLabels), trainDims[:1], trainLabels)
	writeIDX(t, filepath.Join(dir, data.MNISTTestImages), testDims, pixels(testDims))
	writeIDX(t, filepath.Join(dir, data.MNISTTestLabels), testDims[:1], labels(testDims[0]))
}

// An MNIST --data whose labels are not digits, or whose training and test images differ in shape, is
// refused by every command that reads it, when it is read, naming --data, the file and the value:
// classifier trained on a label 200 to a lower accuracy (exit 0); eval --samples blamed the shipped
// classifier; train --class-cond failed after making the checkpoint's lock and samples folder, naming
// neither; classifier trained on 32×32 images before failing on 28×28 test images (eleventh probe).
func TestCommandsRefuseAnMNISTTheyCannotUse(t *testing.T) {
	dir := t.TempDir()
	badLabel, shapes := filepath.Join(dir, "label200"), filepath.Join(dir, "shapes")
	writeMNIST(t, badLabel, []int{20, 28, 28}, []int{1000, 28, 28}, map[int]byte{15: 200})
	writeMNIST(t, shapes, []int{20, 32, 32}, []int{1000, 28, 28}, nil)
	samples := filepath.Join(dir, "pngs")
	os.MkdirAll(samples, 0o755)
	writeTinyImages(t, samples)
	ckpt := filepath.Join(dir, "ckpt")
	tiny := []string{"--ch", "4", "--ch-mult", "1,1", "--attn", "", "--groups", "1", "--batch", "4", "--progress=false", "--steps", "2"}
	for _, c := range []struct {
		dir  string
		want []string
	}{
		{badLabel, []string{data.MNISTTrainLabels, "label 16 of 20 (offset 23) is 200, want 0..9"}},
		{shapes, []string{data.MNISTTrainImages + " holds images of 32×32", data.MNISTTestImages + " images of 28×28"}},
	} {
		for name, run := range map[string]func() error{
			"classifier": func() error {
				return runClassifier([]string{"--data", c.dir, "--epochs", "1", "--batch", "4", "--progress=false", "--out", filepath.Join(dir, "clf.ddpm")})
			},
			"train --class-cond": func() error {
				return runTrain(append(tiny, "--dataset", "mnist", "--data", c.dir, "--class-cond", "--ckpt", ckpt))
			},
			"eval --samples": func() error {
				return runEval([]string{"--samples", samples, "--data", c.dir, "--classifier", "../../models/mnist-classifier.ddpm", "--out", filepath.Join(dir, "out")})
			},
		} {
			err := run()
			for _, want := range append([]string{"--data \"" + c.dir}, c.want...) {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s --data %s: error %v, want one naming %q", name, filepath.Base(c.dir), err, want)
				}
			}
			if _, err := os.Lstat(ckpt); err == nil {
				t.Errorf("%s --data %s made %s before refusing", name, filepath.Base(c.dir), ckpt)
				os.RemoveAll(ckpt)
			}
		}
	}
	// Test digits that are not MNIST's (here patterns, labelled 0..9 in turn) fail the classifier's
	// measurement, which names --data: labels shifted by one were blamed on the shipped classifier alone
	// (seventeenth probe).
	patterns := filepath.Join(dir, "patterns")
	writeMNIST(t, patterns, []int{20, 28, 28}, []int{1000, 28, 28}, nil)
	err := runEval([]string{"--samples", samples, "--data", patterns, "--classifier", "../../models/mnist-classifier.ddpm", "--out", filepath.Join(dir, "out")})
	for _, want := range []string{"of --data \"" + patterns + "\"'s 1000 test digits", "or --data \"" + patterns + "\" holds other test digits or labels"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("eval --samples on other test digits: error %v, want %q", err, want)
		}
	}
}

// train --dataset cifar10 is bounded by the memory available as MNIST is, from the batches' sizes
// before any is read: sparse batches of 640 MiB each made it die "fatal error: out of memory" after 20 s
// (eleventh probe). The batches here hold together 1.5 times what the bound lets through.
func TestTrainRefusesCIFARBeyondTheMemory(t *testing.T) {
	dir := t.TempDir()
	available, ok := ddpm.AvailableMemory()
	if !ok {
		t.Skip("the memory available is unknown here")
	}
	records := int64(1.5*available/8/3072/5) + 1
	for _, name := range append(append([]string{}, data.CIFAR10TrainFiles...), data.CIFAR10TestFile) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Truncate(f.Name(), records*3073); err != nil { // sparse: labels 0 and black pixels
			t.Fatal(err)
		}
	}
	ckpt := filepath.Join(dir, "ckpt")
	start := time.Now()
	err := runTrain([]string{"--dataset", "cifar10", "--data", dir, "--attn", "16", "--steps", "1", "--progress=false", "--ckpt", ckpt})
	for _, want := range []string{"--data \"" + dir, fmt.Sprintf("data_batch_1.bin of %d bytes", records*3073), "that memory allows for them"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%d images in the training batches: error %v, want one naming %q", 5*records, err, want)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the refusal took %s: the batches were read first", d)
	}
	if _, err := os.Lstat(ckpt); err == nil {
		t.Errorf("train made %s before refusing", ckpt)
	}
}

// eval --samples refuses more samples than the training digits they are compared with from an array's
// header or a folder's count of images, before any is read or decoded (an .npy of 171 000 images took
// 2.8 GB first, a folder of 61 000 PNGs was decoded first; eleventh probe). Here --data holds 20
// training digits; the array's data is cut off and a PNG is corrupt, so that reading first fails
// otherwise.
func TestEvalSamplesRefusesMoreThanTheTrainingSetBeforeReading(t *testing.T) {
	dir := t.TempDir()
	mnist := filepath.Join(dir, "mnist")
	writeMNIST(t, mnist, []int{20, 28, 28}, []int{10, 28, 28}, nil)
	npyPath := filepath.Join(dir, "many.npy")
	header := "{'descr': '|u1', 'fortran_order': False, 'shape': (21, 28, 28), }"
	for (10+len(header)+1)%64 != 0 {
		header += " "
	}
	raw := append([]byte("\x93NUMPY\x01\x00"), binary.LittleEndian.AppendUint16(nil, uint16(len(header)+1))...)
	if err := os.WriteFile(npyPath, append(append(raw, header...), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "pngs")
	os.MkdirAll(folder, 0o755)
	for i := range 5 {
		writeTinyImages(t, folder)
		for k := range 4 {
			os.Rename(filepath.Join(folder, fmt.Sprintf("%d.png", k)), filepath.Join(folder, fmt.Sprintf("%d-%d.png", i, k)))
		}
	}
	if err := os.WriteFile(filepath.Join(folder, "zz.png"), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		npyPath: "the header declares 21 images: more than the 20 allowed: the FID compares them with as many training digits",
		folder:  "21 image files: more than the 20 allowed: the FID compares them with as many training digits",
	} {
		err := runEval([]string{"--samples", path, "--data", mnist, "--classifier", "../../models/mnist-classifier.ddpm", "--out", filepath.Join(dir, "out")})
		if err == nil || !strings.Contains(err.Error(), "--samples") || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("--samples %s: error %v, want a refusal naming the file and saying %q", filepath.Base(path), err, want)
		}
	}
}

// The report's samples_sha256 of a folder covers its image files, name and bytes, in order, and
// nothing else: eval hashed the whole folder, recursively, so that a FIFO there hung it, a link to
// /dev/zero read forever, a symbolic link loop refused the run and a report in a subfolder (--out
// pngs/report) changed the sum on every run (eleventh probe). Run under a deadline, so that a
// regression fails rather than hangs.
func TestEvalSamplesHashesOnlyTheImagesItReads(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "pngs")
	out := filepath.Join(folder, "report")
	os.MkdirAll(out, 0o755)
	writeTinyImages(t, folder)
	if err := os.WriteFile(filepath.Join(out, "notes.txt"), []byte("a report of an earlier run"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(folder, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/dev/zero", filepath.Join(folder, "zero")) //nolint:errcheck
	os.Symlink("loop", filepath.Join(folder, "loop"))      //nolint:errcheck
	want := sha256.New()
	for i := range 4 {
		name := fmt.Sprintf("%d.png", i)
		raw, err := os.ReadFile(filepath.Join(folder, name))
		if err != nil {
			t.Fatal(err)
		}
		want.Write(append(fmt.Appendf(nil, "%s\x00%d\x00", name, len(raw)), raw...))
	}
	done := make(chan error, 1)
	go func() {
		done <- runEval([]string{"--samples", folder, "--classifier", "../../models/mnist-classifier.ddpm", "--out", out})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("eval --samples of a folder with a FIFO and a link to /dev/zero did not finish in 2 minutes")
	}
	var report samplesReport
	if raw, err := os.ReadFile(filepath.Join(out, reportFile)); err != nil || json.Unmarshal(raw, &report) != nil {
		t.Fatalf("%s: %v", reportFile, err)
	}
	if sum := hex.EncodeToString(want.Sum(nil)); report.SamplesSHA256 != sum || report.FID == nil || report.FID.Samples != 4 {
		t.Errorf("report of %+v samples of SHA-256 %s, want 4 of %s (the image files' names and bytes)", report.FID, report.SamplesSHA256, sum)
	}
}

// The classifier reads images of its own shape, not only of its number of pixels: --data digits of
// 16×49 (784 pixels, as 28×28) were read as 28×28 and blamed on the classifier (eleventh probe).
func TestEvalSamplesRefusesDigitsOfAnotherShapeThanTheClassifiers(t *testing.T) {
	dir := t.TempDir()
	odd, samples := filepath.Join(dir, "odd"), filepath.Join(dir, "samples")
	writeMNIST(t, odd, []int{20, 16, 49}, []int{1000, 16, 49}, nil)
	os.MkdirAll(samples, 0o755)
	for i := range 4 {
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 49, 16))); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(samples, fmt.Sprintf("%d.png", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Before the samples are read (twelfth probe: 60 000 of them were, and correct ones were blamed).
	junk := filepath.Join(dir, "junk.npy")
	if err := os.WriteFile(junk, []byte("not an array"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{samples, junk} {
		err := runEval([]string{"--samples", s, "--data", odd, "--classifier", "../../models/mnist-classifier.ddpm", "--out", filepath.Join(dir, "out")})
		if err == nil || !strings.Contains(err.Error(), "classifies images of shape [28 28 1], and the test digits of --data are [16 49 1]") {
			t.Errorf("eval --samples %s of 16×49 digits: error %v, want the shapes named", filepath.Base(s), err)
		}
	}
	// Nor does interpolate mix them as 28×28 (fifteenth probe).
	err := runInterpolate([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--data", odd, "--out", filepath.Join(dir, "i.png")})
	if err == nil || !strings.Contains(err.Error(), "its test digits are [16 49 1], and --ckpt ../../models/mnist-ch8-ema.ddpm models [28 28 1]") {
		t.Errorf("interpolate on 16×49 digits: error %v, want the shapes named", err)
	}
}

// A classifier of other classes than the ten digits is refused before any sample is read: one of 16 384
// classes reported 16 384 counts for MNIST samples (fourteenth probe).
func TestEvalRefusesAClassifierOfOtherClasses(t *testing.T) {
	shipped := "../../models/mnist-classifier.ddpm"
	var spec quality.ClassifierSpec
	ctx := context.New()
	if _, err := ddpm.LoadCheckpoint(shipped, ctx, &spec); err != nil {
		t.Fatal(err)
	}
	spec.Config.Classes = 11
	want, err := ddpm.GraphWeights(func(c *context.Context, g *graph.Graph) {
		spec.Config.Logits(c, graph.Parameter(g, "x", shapes.Make(dtypes.Float32, append([]int{1}, spec.ImageDims...)...)))
	})
	if err != nil {
		t.Fatal(err)
	}
	eleven := context.New()
	for v := range ctx.IterVariables() {
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if shape := want[v.ScopeAndName()]; !shape.Equal(value.Shape()) { // the logits' layer: zeros of 11 classes
			value = tensors.FromShape(shape)
		}
		eleven.InAbsPath(v.Scope()).VariableWithValue(v.Name(), value)
	}
	path := filepath.Join(t.TempDir(), "eleven.ddpm")
	if err := ddpm.WriteCheckpoint(path, eleven, 0, spec, nil); err != nil {
		t.Fatal(err)
	}
	err = runEval([]string{"--samples", "no-such-samples.npy", "--classifier", path, "--out", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "tells 11 classes apart") {
		t.Errorf("eval with a classifier of 11 classes: error %v, want a refusal", err)
	}
}

// Edited descriptions and weights are refused when the model is loaded, not after the work: a stray
// "unet" beside an MLP's panicked in the memory estimate, a stray "mlp" with learn_sigma made a U-Net
// count as learning its variances, a NaN bias sampled for 94 s before the samples were refused, a
// recorded accuracy of 750% went into the report, and a model of 2-channel images was sampled whole
// before its grid was refused (sixteenth probe).
func TestEditedModelsAreRefusedWhenLoaded(t *testing.T) {
	dir := t.TempDir()
	edited := func(name, model string, edit func(spec *ddpm.RunSpec, ctx *context.Context)) string {
		ctx := context.New()
		var spec ddpm.RunSpec
		step, err := ddpm.LoadCheckpoint(model, ctx, &spec)
		if err != nil {
			t.Fatal(err)
		}
		edit(&spec, ctx)
		path := filepath.Join(dir, name)
		if err := ddpm.WriteCheckpoint(path, ctx, step, &spec, nil); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ch8 := "../../models/mnist-ch8-ema.ddpm"
	for _, c := range []struct {
		path, want string
	}{
		{edited("mlp.ddpm", ch8, func(s *ddpm.RunSpec, _ *context.Context) { s.MLP = &ddpm.MLPConfig{LearnSigma: true} }), "a U-Net's and an MLP's configuration"},
		{edited("nan.ddpm", ch8, func(_ *ddpm.RunSpec, ctx *context.Context) {
			v := ctx.GetVariableByScopeAndName("/unet/conv_out/conv", "biases")
			v.MustSetValue(tensors.FromValue([]float32{float32(math.NaN())}))
		}), "variable /unet/conv_out/conv/biases: holds NaN"},
	} {
		if err := runSample([]string{"--ckpt", c.path, "--n", "1", "--out", filepath.Join(dir, "x.png")}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("sample --ckpt %s: error %v, want %q", filepath.Base(c.path), err, c.want)
		}
	}
	clf := "../../models/mnist-classifier.ddpm"
	var spec quality.ClassifierSpec
	ctx := context.New()
	if _, err := ddpm.LoadCheckpoint(clf, ctx, &spec); err != nil {
		t.Fatal(err)
	}
	spec.TestAccuracy = 7.5
	boasting := filepath.Join(dir, "clf.ddpm")
	if err := ddpm.WriteCheckpoint(boasting, ctx, 0, spec, nil); err != nil {
		t.Fatal(err)
	}
	if err := runEval([]string{"--samples", "x.npy", "--classifier", boasting, "--out", dir}); err == nil || !strings.Contains(err.Error(), "records a test accuracy of 7.5") {
		t.Errorf("a classifier recording 750%%: error %v", err)
	}
	if err := drawable([]int{28, 28, 2}); err == nil {
		t.Errorf("2-channel images: no refusal of a PNG grid")
	}
	if err := drawable([]int{3}); err == nil {
		t.Errorf("3-D points: no refusal of a PNG plot")
	}
}

// eval, interpolate and classifier check their flags and the model against MNIST's files' headers and
// labels before reading the images: each refusal here came after 2 to 7 s and 2 GB of reading 10^6
// digits (twenty-third probe). The files hold 10^6 training digits, and each refusal must come with
// far less allocated than reading them takes.
func TestMNISTCommandsCheckFromTheHeaders(t *testing.T) {
	const million = 1_000_000
	wide, few := mnistOfShape(t, million, 200, 32, 32, 10), mnistOfShape(t, million, 20, 28, 28, 10)
	out := t.TempDir()
	const model, classifier = "../../models/mnist-ch8-ema.ddpm", "../../models/mnist-classifier.ddpm"
	work, report, png, clf := filepath.Join(out, "w"), filepath.Join(out, "o"), filepath.Join(out, "x.png"), filepath.Join(out, "c.ddpm")
	oneDigit := mnistOfShape(t, million, 1000, 28, 28, 1)
	for _, c := range []struct {
		run  func([]string) error
		args []string
		want string
	}{
		{runEval, []string{"--ckpt", model, "--data", wide, "--nll", "2", "--fid", "0", "--work", work, "--out", report}, "eval measures models of MNIST's [32 32 1] images"},
		{runEval, []string{"--ckpt", model, "--data", few, "--nll", "30", "--fid", "0", "--work", work, "--out", report}, "--nll 30: the MNIST test set has 20 images"},
		{runEval, []string{"--samples", out, "--classifier", classifier, "--data", wide, "--out", report}, "classifies images of shape [28 28 1], and the test digits of --data are [32 32 1]"},
		{runInterpolate, []string{"--ckpt", model, "--data", wide, "--out", png}, "its test digits are [32 32 1]"},
		{runInterpolate, []string{"--ckpt", model, "--data", few, "--pairs", "11", "--out", png}, "--pairs 11: the test set has 20 digits"},
		{runClassifier, []string{"--data", few, "--out", clf}, "its test set has 20 digits"},
		{runClassifier, []string{"--data", mnistOfShape(t, million, 1000, 28, 28, 10), "--epochs", "0", "--out", clf}, "--epochs"},
		// Digits that the classifier's file could not describe: 3×3 failed inside XLA, 4×4100 trained one
		// that no reader took (twenty-fourth probe).
		{runClassifier, []string{"--data", mnistOfShape(t, 100_000, 1000, 4, 4100, 10), "--out", clf}, "the classifier cannot read its digits: images of shape [4 4100 1]: want height and width in 4..4096"},
		// One digit only: a classifier measured 100% on it, and eval took it (twenty-fifth probe).
		{runClassifier, []string{"--data", oneDigit, "--out", clf}, "its training set holds 0 images of the digit 1 among 1000000"},
		{runEval, []string{"--ckpt", model, "--classifier", "../../models/mnist-classifier.ddpm", "--data", oneDigit, "--nll", "0", "--fid", "10", "--work", work, "--out", report}, "its test set holds 0 images of the digit 1 among 1000"},
		{runEval, []string{"--samples", out, "--classifier", "../../models/mnist-classifier.ddpm", "--data", oneDigit, "--out", report}, "its test set holds 0 images of the digit 1 among 1000"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := c.run(c.args)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q from the headers", c.args, err, c.want)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
			t.Errorf("%v: %d MiB allocated before the refusal: the images were read", c.args, grew>>20)
		}
	}
	for _, made := range []string{work, report, png, clf} {
		if _, err := os.Lstat(made); !os.IsNotExist(err) {
			t.Errorf("a refusal left %s (%v)", made, err)
		}
	}
}

// mnistOfShape writes MNIST's four files, unpacked, into a new folder: trainN and testN images of
// rows×cols, all 0 (a hole of the header's length: millions cost nothing on disk), labelled i mod
// digits.
func mnistOfShape(t *testing.T, trainN, testN, rows, cols, digits int) string {
	t.Helper()
	dir := t.TempDir()
	u32 := func(v ...int) []byte {
		var b []byte
		for _, x := range v {
			b = binary.BigEndian.AppendUint32(b, uint32(x))
		}
		return b
	}
	labels := func(n int) []byte {
		out := make([]byte, n)
		for i := range out {
			out[i] = byte(i % digits)
		}
		return out
	}
	for _, f := range []struct {
		name    string
		content []byte
		hole    int
	}{
		{data.MNISTTrainImages, u32(0x803, trainN, rows, cols), trainN * rows * cols},
		{data.MNISTTrainLabels, append(u32(0x801, trainN), labels(trainN)...), 0},
		{data.MNISTTestImages, u32(0x803, testN, rows, cols), testN * rows * cols},
		{data.MNISTTestLabels, append(u32(0x801, testN), labels(testN)...), 0},
	} {
		path := filepath.Join(dir, strings.TrimSuffix(f.name, ".gz"))
		if err := os.WriteFile(path, f.content, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, int64(len(f.content)+f.hole)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// MNIST's files are those whose sizes were checked: replaced between the reading of their headers
// (against which --nll and --pairs are checked) and of their pixels, eval's bound sliced past the new
// test set and panicked, and so did interpolate's pairs; the same bytes under a 16×49 header gave a
// bound, exit 0 (twenty-seventh probe).
func TestLoadMNISTRefusesFilesChangedSinceTheirSizes(t *testing.T) {
	before := mnistOfShape(t, 1000, 200, 28, 28, 10)
	sizes, err := data.ReadMNISTSizes(before)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadMNIST(before, sizes); err != nil {
		t.Fatalf("the files whose sizes were read: %v", err)
	}
	for what, after := range map[string]string{
		"a smaller test set":      mnistOfShape(t, 1000, 100, 28, 28, 10),
		"the same bytes as 16×49": mnistOfShape(t, 1000, 200, 16, 49, 10),
		"one digit only":          mnistOfShape(t, 1000, 200, 28, 28, 1),
	} {
		_, err := loadMNIST(after, sizes)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("--data %q changed while it was read", after)) {
			t.Errorf("%s in place of the files checked: error %v", what, err)
		}
	}
}

// Where --data is not given, $DDPM_MNIST_DIR names the files in messages: they blamed the GoMNIST
// module's files, or said to give --data (twenty-seventh probe).
func TestMessagesNameDDPMMNISTDir(t *testing.T) {
	few := mnistOfShape(t, 1000, 20, 28, 28, 10)
	t.Setenv(data.EnvMNISTDir, few)
	err := runClassifier([]string{"--out", filepath.Join(t.TempDir(), "c.ddpm")})
	if want := fmt.Sprintf("$%s %q: its test set has 20 digits", data.EnvMNISTDir, few); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("classifier on $%s: error %v, want %q", data.EnvMNISTDir, err, want)
	}
	missing := filepath.Join(few, "nothing")
	t.Setenv(data.EnvMNISTDir, missing)
	err = runInterpolate([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--out", filepath.Join(t.TempDir(), "x.png")})
	if want := fmt.Sprintf("$%s %q: ", data.EnvMNISTDir, missing); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("interpolate on a missing $%s: error %v, want it to begin %q", data.EnvMNISTDir, err, want)
	}
}

// A classifier written below eval's 90% gate (--min-accuracy lower) is said to be one that eval
// refuses: it was written at 80.7%, exit 0, and refused only there (thirtieth probe).
func TestClassifierBelowEvalsGateIsSaidSo(t *testing.T) {
	blank := mnistOfShape(t, 2000, 1000, 28, 28, 10) // all zero: a tenth of the digits right
	out := filepath.Join(t.TempDir(), "c.ddpm")
	var err error
	said := captureStderr(t, func() {
		err = runClassifier([]string{"--data", blank, "--epochs", "1", "--min-accuracy", "0", "--out", out, "--progress=false"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said, "eval measures with a classifier of at least 90% test accuracy, and refuses this one") {
		t.Errorf("a classifier below eval's gate was written without a word:\n%s", said)
	}
}

// train --dataset cifar10 mirrors the images as the paper did ("random horizontal flips during
// training for CIFAR10"), and records it: it did not (fifty-ninth probe). --hflip=false turns it off,
// and a resume that changes it says so, as it says a changed seed.
func TestTrainFlipsCIFARByDefault(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range append(append([]string{}, data.CIFAR10TrainFiles...), data.CIFAR10TestFile) {
		record := make([]byte, 4*3073) // 4 images of each batch: a label byte and 3×32×32 pixels
		for i := range record {
			record[i] = byte(rng.IntN(256))
		}
		for i := 0; i < len(record); i += 3073 {
			record[i] = byte(rng.IntN(10))
		}
		if err := os.WriteFile(filepath.Join(dir, name), record, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--dataset", "cifar10", "--data", dir, "--ch", "8", "--ch-mult", "1", "--attn=", "--batch", "4", "--T", "50",
		"--sample-every", "0", "--progress=false"}
	for _, c := range []struct {
		flags []string
		want  bool
	}{{nil, true}, {[]string{"--hflip=false"}, false}} {
		ckpt := filepath.Join(dir, fmt.Sprintf("run-%v", c.want))
		if err := runTrain(append(append([]string{"--steps", "1", "--ckpt", ckpt}, args...), c.flags...)); err != nil {
			t.Fatal(err)
		}
		tr, err := ddpm.LoadTrained(filepath.Join(ckpt, "ckpt-000000001.ddpm"))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Spec.HFlip != c.want {
			t.Errorf("train --dataset cifar10 %v: hflip %v recorded, want %v", c.flags, tr.Spec.HFlip, c.want)
		}
	}
	model, recipe, err := ddpm.RunDifferences(&ddpm.RunSpec{HFlip: true}, &ddpm.RunSpec{})
	if err != nil || len(model) != 0 || len(recipe) != 1 || !strings.Contains(recipe[0], "hflip") || !strings.Contains(recipe[0], "false") {
		t.Errorf("a resume without the flips: model %v, recipe %v, %v; want hflip among the recipe's changes, false now", model, recipe, err)
	}
	// Without --attn, the U-Net attends at 16×16 on CIFAR-10's 32×32, as the paper's (MNIST's 7, the
	// default, is never reached there: the default recipe refused CIFAR-10; sixty-second probe), and at 7
	// on MNIST's 28×28.
	ckpt := filepath.Join(dir, "run-attn")
	if err := runTrain([]string{"--steps", "1", "--ckpt", ckpt, "--dataset", "cifar10", "--data", dir, "--ch", "8", "--ch-mult", "1,2",
		"--batch", "4", "--T", "50", "--sample-every", "0", "--progress=false"}); err != nil {
		t.Fatalf("train --dataset cifar10 without --attn: %v", err)
	}
	if tr, err := ddpm.LoadTrained(filepath.Join(ckpt, "ckpt-000000001.ddpm")); err != nil || !slices.Equal(tr.Spec.UNet.AttnResolutions, []int{16}) {
		t.Errorf("train --dataset cifar10 without --attn: %v; want attention at 16", err)
	}
	if got := defaultAttention(ddpm.MNISTConfig().Resolutions()); !slices.Equal(got, intList{7}) {
		t.Errorf("MNIST's default attention: %v, want [7]", got)
	}
}
