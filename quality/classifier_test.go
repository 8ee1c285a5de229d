package quality

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
)

var backend backends.Backend

// TestMain fails, rather than skips, without the XLA backend (see ddpm's TestMain).
func TestMain(m *testing.M) {
	var err error
	backend, err = ddpm.NewBackend()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the XLA CPU backend could not be loaded: %v\nRun `%s`.\n", err, ddpm.SetupCommand)
		os.Exit(1)
	}
	code := m.Run()
	backend.Finalize()
	os.Exit(code)
}

// TestClassifierLearnsMNIST trains the classifier briefly on part of MNIST and checks that it
// classifies held-out digits far better than chance, that a saved classifier gives the same
// outputs, and that generated-looking noise scores far from real digits.
func TestClassifierLearnsMNIST(t *testing.T) {
	dir, err := data.MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	mnist, err := data.LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	const nTrain, nTest = 3000, 1000
	dims := []int{28, 28, 1}
	cfg := DefaultClassifierConfig()
	ctx := context.New()
	err = TrainClassifier(backend, ctx, cfg, mnist.Train.Scaled(0, nTrain), mnist.TrainLabels[:nTrain], dims,
		ClassifierTraining{Epochs: 2, BatchSize: 50, LearningRate: 1e-3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	spec := ClassifierSpec{Config: cfg, ImageDims: dims}
	clf, err := NewClassifier(backend, ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	testImages := mnist.Test.Scaled(0, nTest)
	features, probs, err := clf.Evaluate(testImages, 300) // 300 does not divide 1000: a partial batch
	if err != nil {
		t.Fatal(err)
	}
	if len(features) != nTest*cfg.Features || len(probs) != nTest*cfg.Classes {
		t.Fatalf("got %d features and %d probabilities for %d images", len(features), len(probs), nTest)
	}
	acc := Accuracy(probs, mnist.TestLabels[:nTest])
	t.Logf("accuracy after 2 epochs on %d digits: %.3f on %d test digits", nTrain, acc, nTest)
	if acc < 0.9 {
		t.Errorf("accuracy %.3f, want ≥ 0.9 (chance is 0.1)", acc)
	}

	path := filepath.Join(t.TempDir(), "clf.ddpm")
	if err := SaveClassifier(path, ctx, spec); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadClassifier(backend, path)
	if err != nil {
		t.Fatal(err)
	}
	_, probs2, err := loaded.Evaluate(testImages[:100*784], 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range probs2 {
		if probs2[i] != probs[i] {
			t.Fatalf("loaded classifier differs at %d: %g vs %g", i, probs2[i], probs[i])
		}
	}

	// Real test digits vs other real digits are close; vs uniform noise images far apart.
	real1, _ := FitGaussian(features[:500*cfg.Features], cfg.Features)
	real2, _ := FitGaussian(features[500*cfg.Features:], cfg.Features)
	noise := make([]float32, 500*784)
	for i := range noise {
		noise[i] = float32((i*7919)%255)/127.5 - 1
	}
	noiseFeatures, _, err := clf.Evaluate(noise, 250)
	if err != nil {
		t.Fatal(err)
	}
	fake, _ := FitGaussian(noiseFeatures, cfg.Features)
	dReal, _ := FrechetDistance(real1, real2)
	dFake, _ := FrechetDistance(real1, fake)
	t.Logf("classifier-FID: real vs real %.2f, real vs noise %.2f", dReal, dFake)
	if !(dFake > 5*dReal) {
		t.Errorf("noise is not far from digits: FID real/real %.3f, real/noise %.3f", dReal, dFake)
	}

	// A diffusion checkpoint is not a classifier.
	other := filepath.Join(t.TempDir(), "other.ddpm")
	if err := ddpm.WriteCheckpoint(other, ctx, 0, map[string]string{"Model": "unet"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadClassifier(backend, other); err == nil {
		t.Errorf("a checkpoint without the classifier kind was accepted")
	}
}

// ReadClassifierSpec, from the header alone, accepts the shipped classifier and refuses, naming the
// file, one whose description was edited to disagree with its weights or to an unbuildable shape, and
// a diffusion model (issue 32: eval checked only the kind, and loading failed inside GoMLX).
func TestReadClassifierSpecRefusesEditedDescriptions(t *testing.T) {
	shipped := filepath.Join("..", "models", "mnist-classifier.ddpm")
	if _, err := ReadClassifierSpec(shipped); err != nil {
		t.Fatalf("the shipped classifier: %v", err)
	}
	if _, err := ReadClassifierSpec(filepath.Join("..", "models", "mnist-ema.ddpm")); err == nil || !strings.Contains(err.Error(), "not a classifier") {
		t.Errorf("a diffusion model: %v, want a refusal", err)
	}
	dir := t.TempDir()
	for name, c := range map[string]struct {
		edit func(s *ClassifierSpec)
		want string
	}{
		"features":   {func(s *ClassifierSpec) { s.Config.Features = 64 }, "has shape"},
		"classes":    {func(s *ClassifierSpec) { s.Config.Classes = 11 }, "has shape"},
		"channels":   {func(s *ClassifierSpec) { s.Config.Channels[0] = 8 }, "has shape"},
		"image size": {func(s *ClassifierSpec) { s.ImageDims = []int{32, 32, 1} }, "has shape"},
		"no classes": {func(s *ClassifierSpec) { s.Config.Classes = 0 }, "2..65536 classes"},
		"rank 2":     {func(s *ClassifierSpec) { s.ImageDims = []int{28, 28} }, "images of shape [28 28]"},
		"huge":       {func(s *ClassifierSpec) { s.ImageDims = []int{1 << 30, 1 << 30, 1} }, "4..4096"},
		// 8192 features ran the FID's bootstrap for hours (fourteenth probe).
		"many features": {func(s *ClassifierSpec) { s.Config.Features = 8192 }, "features in 1..256"},
		// 512 channels scored the test digits for minutes before the accuracy refused it (twenty-sixth probe).
		"many channels": {func(s *ClassifierSpec) { s.Config.Channels = [2]int{512, 512} }, "channels in 1..64"},
		// Refused on read as on write, where one of 5 was written (forty-third probe).
		"accuracy": {func(s *ClassifierSpec) { s.TestAccuracy = 5 }, "records a test accuracy of 5, want a fraction in 0..1"},
	} {
		ctx := context.New()
		var spec ClassifierSpec
		if _, err := ddpm.LoadCheckpoint(shipped, ctx, &spec); err != nil {
			t.Fatal(err)
		}
		c.edit(&spec)
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".ddpm")
		if err := ddpm.WriteCheckpoint(path, ctx, 0, spec, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadClassifierSpec(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s edited: error %v, want one naming the file and %q", name, err, c.want)
		}
	}
	// Variables beside the weights are refused from the header: 4 GB of them were read (seventeenth probe).
	ctx := context.New()
	var spec ClassifierSpec
	if _, err := ddpm.LoadCheckpoint(shipped, ctx, &spec); err != nil {
		t.Fatal(err)
	}
	ctx.In("junk").VariableWithValue("x0", make([]float32, 8))
	junk := filepath.Join(dir, "junk.ddpm")
	if err := ddpm.WriteCheckpoint(junk, ctx, 0, spec, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadClassifierSpec(junk); err == nil || !strings.Contains(err.Error(), "holds /junk/x0, which is not one of its weights") {
		t.Errorf("a classifier with a junk variable: error %v", err)
	}
}

// The writer and the trainer refuse, before any work, the images that the reader refuses: 4×4100
// digits trained a classifier that no reader took, and 3×3 ones failed inside XLA (twenty-fourth probe).
func TestClassifierOfImagesItsReaderRefuses(t *testing.T) {
	cfg := DefaultClassifierConfig()
	path := filepath.Join(t.TempDir(), "c.ddpm")
	if err := SaveClassifier(path, context.New(), ClassifierSpec{Config: cfg, ImageDims: []int{4, 4100, 1}}); err == nil ||
		!strings.Contains(err.Error(), "images of shape [4 4100 1]: want height and width in 4..4096") {
		t.Errorf("saving a classifier of 4×4100 images: error %v", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("%s was written (%v)", path, err)
	}
	images, labels := make([]float32, 4*3*3), []uint8{0, 1, 2, 3}
	err := TrainClassifier(backend, context.New(), cfg, images, labels, []int{3, 3, 1}, ClassifierTraining{Epochs: 1, BatchSize: 2, LearningRate: 1e-3})
	if err == nil || !strings.Contains(err.Error(), "images of shape [3 3 1]") {
		t.Errorf("training on 3×3 images: error %v", err)
	}
}

// Evaluate refuses a batch size below 1 (0 looped forever) and an image that is not finite (its
// features were NaN, and a FID of them NaN).
func TestEvaluateRefusesWhatItCannotScore(t *testing.T) {
	clf, err := LoadClassifier(backend, "../models/mnist-classifier.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	images := make([]float32, 2*28*28)
	images[28*28+5] = float32(math.NaN())
	for _, c := range []struct {
		images []float32
		batch  int
		want   string
	}{{images[:28*28], 0, "batch size 0"}, {images, 2, "image 1 holds a value that is not finite"}} {
		done := make(chan error, 1)
		go func() { _, _, err := clf.Evaluate(c.images, c.batch); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Evaluate(%d images, batch %d): error %v, want %q", len(c.images)/(28*28), c.batch, err, c.want)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("Evaluate(%d images, batch %d) has not returned in 20 s", len(c.images)/(28*28), c.batch)
		}
	}
}

// FileBytes bounds the classifier's file, within 64 KiB: the shipped one's, and one of another shape
// (a bound counted from the weights alone would not hold; twenty-eighth probe: a full disk was found
// after minutes of training).
func TestClassifierFileBytes(t *testing.T) {
	path := "../models/mnist-classifier.ddpm"
	spec, err := ReadClassifierSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	size, bound := float64(info.Size()), spec.Config.FileBytes(spec.ImageDims)
	if bound < size || bound > size+64<<10 {
		t.Errorf("the shipped classifier takes %.0f bytes; bounded by %.0f", size, bound)
	}
	dims := []int{32, 24, 1}
	cfg := DefaultClassifierConfig()
	ctx := context.New()
	if err := TrainClassifier(backend, ctx, cfg, make([]float32, 4*32*24), []uint8{0, 1, 2, 3}, dims, ClassifierTraining{Epochs: 1, BatchSize: 4, LearningRate: 1e-3, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "c.ddpm")
	if err := SaveClassifier(other, ctx, ClassifierSpec{Config: cfg, ImageDims: dims}); err != nil {
		t.Fatal(err)
	}
	if info, err = os.Stat(other); err != nil {
		t.Fatal(err)
	}
	if size, bound := float64(info.Size()), cfg.FileBytes(dims); bound < size || bound > size+64<<10 {
		t.Errorf("a classifier of %v digits takes %.0f bytes; bounded by %.0f", dims, size, bound)
	}
}

// NewClassifier refuses a spec it cannot use and a nil context: a zero spec, or negative image sizes,
// gave a classifier whose probabilities were empty, without an error, and a nil context panicked
// (thirty-second probe).
func TestNewClassifierRefusesWhatItCannotUse(t *testing.T) {
	clf, err := LoadClassifier(backend, "../models/mnist-classifier.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	negative := clf.Spec
	negative.ImageDims = []int{-28, 28, 1}
	for name, c := range map[string]struct {
		ctx  *context.Context
		spec ClassifierSpec
	}{"a zero spec": {context.New(), ClassifierSpec{}}, "images of −28 rows": {context.New(), negative}, "a nil context": {nil, clf.Spec}} {
		if _, err := NewClassifier(backend, c.ctx, c.spec); err == nil {
			t.Errorf("NewClassifier with %s: no error", name)
		}
	}
}
