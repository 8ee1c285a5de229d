package ddpm

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestLoadTrainedRefusesADescriptionAtOddsWithItsWeights edits the description of shipped models and
// writes them back with valid CRCs (as a careless edit or another program would): each edit must be
// refused by LoadTrained, naming the file and a weight, where before some failed inside GoMLX without
// the file's name and a dropped attention resolution left its weights silently unused (issue 32).
func TestLoadTrainedRefusesADescriptionAtOddsWithItsWeights(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		model, name string
		edit        func(r *RunSpec)
		want        string // in the error
	}{
		{"mnist-ema.ddpm", "attention dropped", func(r *RunSpec) { r.UNet.AttnResolutions = nil }, "is not a weight of the network"},
		{"mnist-ema.ddpm", "attention moved", func(r *RunSpec) { r.UNet.AttnResolutions = []int{14} }, "is missing"},
		{"mnist-ema.ddpm", "base channels", func(r *RunSpec) { r.UNet.BaseChannels = 8 }, "has shape"},
		{"mnist-ema.ddpm", "learned variances", func(r *RunSpec) { r.UNet.LearnSigma = true }, "has shape"},
		{"mnist-learned-sigma-ema.ddpm", "fixed variances", func(r *RunSpec) { r.UNet.LearnSigma = false }, "has shape"},
		{"mnist-ema.ddpm", "three channels", func(r *RunSpec) { r.Dims = []int{28, 28, 3}; r.UNet.Channels = 3 }, "has shape"},
		{"mnist-ema.ddpm", "another block per level", func(r *RunSpec) { r.UNet.NumResBlocks = 2 }, "is missing"},
		{"mnist-cond-ema.ddpm", "eleven classes", func(r *RunSpec) {
			r.UNet.NumClasses = 11
			r.ClassNames = append(r.ClassNames, "x")
		}, "has shape"},
		{"mnist-cond-ema.ddpm", "unconditional", func(r *RunSpec) { r.UNet.NumClasses = 0; r.ClassNames = nil }, "is not a weight of the network"},
		{"mnist-cond-ema.ddpm", "a class named all", func(r *RunSpec) { r.ClassNames[3] = ClassAll }, `class 3 is named "all"`},
		{"mnist-cond-ema.ddpm", "two classes of one name", func(r *RunSpec) { r.ClassNames[4] = "1" }, `"1" is given to both label 1 and label 4`},
		{"mnist-cond-ema.ddpm", "an empty class name", func(r *RunSpec) { r.ClassNames[0] = "" }, "class 0 has an empty name"},
		// Every message quoted it whole (ten names of 1.5 MB; eleventh probe).
		{"mnist-cond-ema.ddpm", "a class name longer than a folder's", func(r *RunSpec) { r.ClassNames[3] = strings.Repeat("x", 256) }, "class 3 has a name of 256 bytes"},
	} {
		ctx := context.New()
		var spec RunSpec
		src := filepath.Join("..", "models", c.model)
		step, err := LoadCheckpoint(src, ctx, &spec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := LoadTrained(src); err != nil {
			t.Fatalf("%s as shipped: %v", c.model, err)
		}
		c.edit(&spec)
		edited := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".ddpm")
		if err := WriteCheckpoint(edited, ctx, step, &spec, nil); err != nil {
			t.Fatal(err)
		}
		_, err = LoadTrained(edited)
		if err == nil || !strings.Contains(err.Error(), edited) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s, %s: error %v, want one naming the file and %q", c.model, c.name, err, c.want)
		}
	}
}

// TestLoadTrainedRefusesAClassifier: the shipped classifier is a checkpoint without a run
// description; sampling from it is refused by name (it failed building an empty model, sixth probe).
func TestLoadTrainedRefusesAClassifier(t *testing.T) {
	clf := filepath.Join("..", "models", "mnist-classifier.ddpm")
	if _, err := LoadTrained(clf); err == nil || !strings.Contains(err.Error(), clf+" is not a checkpoint of `ddpm train`") {
		t.Errorf("LoadTrained(%s): error %v, want it named as not a checkpoint of ddpm train", clf, err)
	}
}

// TestCheckWeightsNamesEachDifference drives CheckWeights with small sets: a missing weight, one of
// another shape, an extra one under the network's scope and one under the EMA's copy are each named;
// variables of other scopes (the optimizer's, the training loop's) are not the network's business.
func TestCheckWeightsNamesEachDifference(t *testing.T) {
	want, err := NetworkWeights(MLPModel(MLPConfig{Dim: 2, Hidden: 16, Layers: 2, TimeEmbed: 8}), nil, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("the MLP has no weights")
	}
	have := Weights{"/trainer/global_step": want[anyKey(want)], "/adam/m/x": want[anyKey(want)]}
	for name, shape := range want {
		have[name], have[EMAScope+name] = shape, shape
	}
	if err := want.CheckWeights(have); err != nil {
		t.Fatalf("the network's own weights, with an EMA and a loop's state: %v", err)
	}
	name := anyKey(want)
	top := topScope(name)
	for _, c := range []struct {
		what string
		edit func(h Weights)
		need string
	}{
		{"missing", func(h Weights) { delete(h, name) }, name + " is missing"},
		{"missing EMA", func(h Weights) { delete(h, EMAScope+name) }, EMAScope + name + " is missing"},
		{"reshaped", func(h Weights) { h[name] = shapes.Make(dtypes.Float32, 3, 5, 7) }, name + " has shape (Float32)[3 5 7]"},
		// Of another dtype: both shapes were printed as the same dimensions (eleventh probe).
		{"retyped", func(h Weights) { h[name] = shapes.Make(dtypes.Int32, want[name].Dimensions...) }, name + " has shape (Int32)"},
		{"extra", func(h Weights) { h[top+"/extra/weights"] = want[name] }, top + "/extra/weights is not a weight"},
		{"extra EMA", func(h Weights) { h[EMAScope+top+"/extra"] = want[name] }, EMAScope + top + "/extra is not a weight"},
	} {
		h := Weights{}
		for k, v := range have {
			h[k] = v
		}
		c.edit(h)
		if err := want.CheckWeights(h); err == nil || !strings.Contains(err.Error(), c.need) {
			t.Errorf("%s: error %v, want one saying %q", c.what, err, c.need)
		}
	}
}

// anyKey is the first of w's names in sorted order.
func anyKey(w Weights) string { return slices.Sorted(maps.Keys(w))[0] }

// Train, resuming a folder with a network other than the one its checkpoint holds (a program changed
// between runs), refuses with the checkpoint and the weights that differ before any step, where GoMLX
// used to fail on the first variable of another shape or carry unknown ones along unused.
func TestTrainRefusesToResumeAnotherNetwork(t *testing.T) {
	dir := t.TempDir()
	sched := MustNewSchedule(ScheduleLinear, 100)
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultMLPConfig()
	if _, err := Train(backend, context.New(), sched, MLPModel(cfg), ds, quickTrainConfig(2, dir)); err != nil {
		t.Fatal(err)
	}
	wider := cfg
	wider.Hidden *= 2
	_, err = Train(backend, context.New(), sched, MLPModel(wider), ds, quickTrainConfig(4, dir))
	if err == nil || !strings.Contains(err.Error(), "resuming from "+dir) || !strings.Contains(err.Error(), "has shape") {
		t.Errorf("resuming with a wider MLP: error %v, want one naming the checkpoint and a weight's shape", err)
	}
	if _, err := Train(backend, context.New(), sched, MLPModel(cfg), ds, quickTrainConfig(4, dir)); err != nil {
		t.Errorf("resuming with the same MLP: %v", err)
	}
}

// Class names are checked in time linear in their number: 300 000 of them took 107 s, from a 3.5 MB
// header (twelfth probe). The bound is twenty times what linear time takes on a slow machine.
func TestCheckClassNamesOfManyClasses(t *testing.T) {
	const n = 300_000
	spec := RunSpec{Model: ModelMLP, MLP: &MLPConfig{NumClasses: n}, ClassNames: make([]string, n)}
	for i := range spec.ClassNames {
		spec.ClassNames[i] = fmt.Sprintf("c%d", i)
	}
	start := time.Now()
	if err := spec.CheckClassNames(); err != nil {
		t.Fatal(err)
	}
	spec.ClassNames[n-1] = "c7"
	if err := spec.CheckClassNames(); err == nil || !strings.Contains(err.Error(), `"c7" is given to both label 7 and label 299999`) {
		t.Errorf("a repeated name: error %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("checking %d class names twice took %s", n, took)
	}
	// Names that a checkpoint's header would spell in more bytes than it may hold: 11 500 names of 255
	// "<" (6 bytes each in JSON) made a 17 MB header that nothing could read, exit 0 (twenty-second probe).
	const many = 11_500
	spec = RunSpec{Model: ModelMLP, MLP: &MLPConfig{NumClasses: many}, ClassNames: make([]string, many)}
	for i := range spec.ClassNames {
		spec.ClassNames[i] = fmt.Sprintf("%05d", i) + strings.Repeat("<", 250)
	}
	if err := spec.CheckClassNames(); err == nil || !strings.Contains(err.Error(), "11500 class names take 17342001 bytes in a checkpoint's description") {
		t.Errorf("11 500 names of 255 bytes: error %v, want a refusal", err)
	}
	// And the writer writes no header that its reader would refuse.
	path := filepath.Join(t.TempDir(), "big.ddpm")
	if err := WriteCheckpoint(path, context.New(), 0, spec, nil); err == nil || !strings.Contains(err.Error(), "more than a checkpoint may (16 MiB") {
		t.Errorf("a checkpoint of a 17 MB header: error %v, want it not written", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("a checkpoint of a 17 MB header was written (%v)", err)
	}
	// Nor one with a string longer than the reader takes (a classifier's command line of 4 299 bytes;
	// twenty-third probe).
	long := map[string]string{"command": strings.Repeat("./", 2200)}
	if err := WriteCheckpoint(path, context.New(), 0, long, nil); err == nil || !strings.Contains(err.Error(), "a string of 4400 bytes") {
		t.Errorf("a checkpoint holding a string of 4400 bytes: error %v, want it not written", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("a checkpoint holding a string of 4400 bytes was written (%v)", err)
	}
}
