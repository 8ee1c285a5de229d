package quality

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// tinyDigits are 10 images of 8×8 for a classifier of 2 classes that compiles in a moment.
func tinyDigits() (ClassifierConfig, []float32, []uint8, []int) {
	dims := []int{8, 8, 1}
	images := make([]float32, 10*64)
	labels := make([]uint8, 10)
	for i := range labels {
		labels[i] = uint8(i % 2)
		for j := range 64 {
			images[i*64+j] = float32((i*7+j*3)%11)/5 - 1
		}
	}
	return ClassifierConfig{Channels: [2]int{2, 2}, Features: 4, Classes: 2}, images, labels, dims
}

// trainRecovering is TrainClassifier with a panic turned into an error, so that a case that panics
// fails its test rather than the whole binary.
func trainRecovering(ctx *context.Context, cfg ClassifierConfig, images []float32, labels []uint8, dims []int, opts ClassifierTraining) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panicked: %v", r)
		}
	}()
	return TrainClassifier(backend, ctx, cfg, images, labels, dims, opts)
}

// TrainClassifier refuses, by name and before any weight is made, what it cannot train on (forty-third
// probe): math.MaxInt epochs overflowed the steps and returned nil untrained, MaxInt/2 panicked inside
// GoMLX; a label of 200 for 10 classes, and a learning rate of −1 or 0, trained; NaN or +Inf failed
// inside training as "batch loss is NaN".
func TestTrainClassifierRefusesWhatItCannotTrain(t *testing.T) {
	cfg, images, labels, dims := tinyDigits()
	ok := ClassifierTraining{Epochs: 1, BatchSize: 5, LearningRate: 1e-3}
	with := func(edit func(o *ClassifierTraining)) ClassifierTraining { o := ok; edit(&o); return o }
	badLabels := append([]uint8(nil), labels...)
	badLabels[3] = 200
	nanImages := append([]float32(nil), images...)
	nanImages[2*64+5] = float32(math.Inf(-1))
	limit := fmt.Sprint(MaxClassifierEpochs)
	for _, c := range []struct {
		name   string
		images []float32
		labels []uint8
		opts   ClassifierTraining
		want   []string
	}{
		{"MaxInt epochs", images, labels, with(func(o *ClassifierTraining) { o.Epochs = math.MaxInt }), []string{"Epochs", fmt.Sprint(math.MaxInt), limit}},
		{"MaxInt/2 epochs", images, labels, with(func(o *ClassifierTraining) { o.Epochs = math.MaxInt / 2 }), []string{"Epochs", limit}},
		{"one epoch too many", images, labels, with(func(o *ClassifierTraining) { o.Epochs = MaxClassifierEpochs + 1 }), []string{"Epochs", limit}},
		{"no epochs", images, labels, with(func(o *ClassifierTraining) { o.Epochs = 0 }), []string{"Epochs 0", limit}},
		{"batch 0", images, labels, with(func(o *ClassifierTraining) { o.BatchSize = 0 }), []string{"BatchSize 0", "1..10"}},
		{"batch above the images", images, labels, with(func(o *ClassifierTraining) { o.BatchSize = 11 }), []string{"BatchSize 11", "1..10"}},
		{"label 200", images, badLabels, ok, []string{"label 3 is 200", "0..1"}},
		{"lr −1", images, labels, with(func(o *ClassifierTraining) { o.LearningRate = -1 }), []string{"LearningRate -1"}},
		{"lr 0", images, labels, with(func(o *ClassifierTraining) { o.LearningRate = 0 }), []string{"LearningRate 0"}},
		{"lr NaN", images, labels, with(func(o *ClassifierTraining) { o.LearningRate = math.NaN() }), []string{"LearningRate NaN"}},
		{"lr +Inf", images, labels, with(func(o *ClassifierTraining) { o.LearningRate = math.Inf(1) }), []string{"LearningRate +Inf"}},
		{"an image of −Inf", nanImages, labels, ok, []string{"image 2", "-Inf"}},
	} {
		ctx := context.New()
		err := trainRecovering(ctx, cfg, c.images, c.labels, dims, c.opts)
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want one saying %q", c.name, err, want)
				break
			}
		}
		if n := len(ddpm.ContextWeights(ctx)); n > 0 {
			t.Errorf("%s: %d variables were made before the refusal", c.name, n)
		}
	}
	if err := trainRecovering(nil, cfg, images, labels, dims, ok); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Errorf("a nil context: error %v", err)
	}
}

// The steps are asked of GoMLX's loop in runs of at most maxLoopSteps (it allocates for each step it
// is asked for), and the runs train the weights that one run does, bit for bit.
func TestTrainClassifierInRuns(t *testing.T) {
	cfg, images, labels, dims := tinyDigits()
	opts := ClassifierTraining{Epochs: 3, BatchSize: 5, LearningRate: 1e-2, Seed: 7}
	train := func(runSteps int) map[string][]float32 {
		defer func(n int) { maxLoopSteps = n }(maxLoopSteps)
		maxLoopSteps = runSteps
		ctx := context.New()
		if err := TrainClassifier(backend, ctx, cfg, images, labels, dims, opts); err != nil {
			t.Fatal(err)
		}
		if step := optimizers.GetGlobalStep(ctx); step != 6 {
			t.Errorf("runs of %d steps: ended at step %d, want 6", runSteps, step)
		}
		out := map[string][]float32{} // the weights and Adam's moments (not the loss's averages, reset with each run)
		for v := range ctx.IterVariables() {
			if value, err := v.Value(); err == nil && value.DType().String() == "Float32" && !strings.HasPrefix(v.Scope(), "/metrics") {
				out[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](value)
			}
		}
		return out
	}
	whole, inRuns := train(1<<20), train(4) // 6 steps: runs of 4 and 2
	if len(whole) == 0 || len(whole) != len(inRuns) {
		t.Fatalf("%d weights in one run, %d in runs", len(whole), len(inRuns))
	}
	for name, w := range whole {
		for i := range w {
			if inRuns[name][i] != w[i] {
				t.Fatalf("%s[%d]: %g in runs of 4 steps, %g in one run", name, i, inRuns[name][i], w[i])
			}
		}
	}
}

// SaveClassifier writes no file that its readers refuse (forty-third probe): a test accuracy of 5 was
// written, and eval blamed an edit; NaN was refused only by the JSON encoder; weights of 28×28 digits
// were written as a classifier of 14×14 ones, which ReadClassifierSpec refused.
func TestSaveClassifierWritesOnlyWhatItsReaderTakes(t *testing.T) {
	const shipped = "../models/mnist-classifier.ddpm"
	dir := t.TempDir()
	load := func() (*context.Context, ClassifierSpec) {
		ctx := context.New()
		var spec ClassifierSpec
		if _, err := ddpm.LoadCheckpoint(shipped, ctx, &spec); err != nil {
			t.Fatal(err)
		}
		return ctx, spec
	}
	ctx, spec := load()
	path := filepath.Join(dir, "ok.ddpm")
	if err := SaveClassifier(path, ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadClassifierSpec(path); err != nil {
		t.Fatalf("the shipped classifier, written again: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(ctx *context.Context, s *ClassifierSpec) *context.Context
		want string
	}{
		{"accuracy 5", func(ctx *context.Context, s *ClassifierSpec) *context.Context { s.TestAccuracy = 5; return ctx }, "test accuracy of 5"},
		{"accuracy −0.5", func(ctx *context.Context, s *ClassifierSpec) *context.Context { s.TestAccuracy = -0.5; return ctx }, "test accuracy of -0.5"},
		{"accuracy NaN", func(ctx *context.Context, s *ClassifierSpec) *context.Context {
			s.TestAccuracy = math.NaN()
			return ctx
		}, "test accuracy of NaN"},
		{"accuracy +Inf", func(ctx *context.Context, s *ClassifierSpec) *context.Context {
			s.TestAccuracy = math.Inf(1)
			return ctx
		}, "test accuracy of +Inf"},
		{"14×14 digits", func(ctx *context.Context, s *ClassifierSpec) *context.Context {
			s.ImageDims = []int{14, 14, 1}
			return ctx
		}, "has shape"},
		{"64 features", func(ctx *context.Context, s *ClassifierSpec) *context.Context { s.Config.Features = 64; return ctx }, "has shape"},
		{"no weights", func(_ *context.Context, _ *ClassifierSpec) *context.Context { return context.New() }, "is missing"},
		{"a stray weight", func(ctx *context.Context, _ *ClassifierSpec) *context.Context {
			ctx.In(ClassifierScope).In("extra").VariableWithValue("w", make([]float32, 4))
			return ctx
		}, "/classifier/extra/w is not a weight"},
		{"a NaN weight", func(ctx *context.Context, _ *ClassifierSpec) *context.Context {
			v := ctx.GetVariableByScopeAndName("/classifier/logits/dense", "biases")
			if v == nil {
				t.Fatal("the shipped classifier has no /classifier/logits/dense/biases")
			}
			biases := make([]float32, 10)
			biases[4] = float32(math.NaN())
			v.MustSetValue(tensors.FromValue(biases))
			return ctx
		}, "/classifier/logits/dense/biases holds NaN"},
		{"no context", func(_ *context.Context, _ *ClassifierSpec) *context.Context { return nil }, "nil"},
	} {
		ctx, spec := load()
		ctx = c.edit(ctx, &spec)
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".ddpm")
		if err := SaveClassifier(path, ctx, spec); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", c.name, err, c.want)
		}
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("%s: %s was written (%v)", c.name, path, err)
		}
	}
}

// The estimates before a run are safe on what the run refuses (forty-third probe: nil dims panicked,
// and negative counts gave a positive estimate): +Inf, which every room or memory check refuses.
func TestClassifierEstimatesOfWhatCannotRun(t *testing.T) {
	cfg, dims := DefaultClassifierConfig(), []int{28, 28, 1}
	if b, m := cfg.FileBytes(dims), cfg.TrainingMemory(dims, 60000, 10000, 64); !(b > 0 && m > 0) || math.IsInf(b, 0) || math.IsInf(m, 0) {
		t.Fatalf("MNIST: %g bytes of file and %g of memory, want finite and positive", b, m)
	}
	estimates := map[string]func() float64{
		"FileBytes(nil)":              func() float64 { return cfg.FileBytes(nil) },
		"FileBytes([28])":             func() float64 { return cfg.FileBytes([]int{28}) },
		"FileBytes of 0 features":     func() float64 { return ClassifierConfig{Channels: [2]int{16, 32}, Classes: 10}.FileBytes(dims) },
		"TrainingMemory(nil)":         func() float64 { return cfg.TrainingMemory(nil, 10, 10, 5) },
		"TrainingMemory(−28 rows)":    func() float64 { return cfg.TrainingMemory([]int{-28, 28, 1}, 10, 10, 5) },
		"TrainingMemory of −5 images": func() float64 { return cfg.TrainingMemory(dims, -5, 10, 5) },
		"TrainingMemory of −1 tests":  func() float64 { return cfg.TrainingMemory(dims, 10, -1, 5) },
		"TrainingMemory of batch 0":   func() float64 { return cfg.TrainingMemory(dims, 10, 10, 0) },
		"TrainingMemory of batch −8":  func() float64 { return cfg.TrainingMemory(dims, 10, 10, -8) },
	}
	for name, estimate := range estimates {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked: %v", name, r)
				}
			}()
			if v := estimate(); !math.IsInf(v, 1) {
				t.Errorf("%s = %g, want +Inf", name, v)
			}
		}()
	}
}
