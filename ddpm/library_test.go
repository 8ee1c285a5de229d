package ddpm

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// What the thirty-third probe found through the exported API, refused before any work: a hand-made
// schedule panicked in the Trained methods; edited but finite tables sampled garbage with no error;
// Term took steps outside the chain; Encode panicked on negative sizes and gave NaN latents; Train
// trained every step before a description too long for a header, or a context of another model's,
// failed or spoiled its checkpoints; Export wrote a checkpoint's name; WriteCheckpoint wrote a negative
// step its readers refuse; and a panic in WriteFileAtomic's writer left its temporary file.
func TestLibraryRefusesWhatItWouldFailAtLater(t *testing.T) {
	tr, err := LoadTrained(trainedPoints(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, sched := range map[string]*Schedule{"T only": {T: 5}, "betas only": {Name: "hand", T: 20, Beta: make([]float64, 21)}, "zero": {}} {
		if _, err := tr.NewSampler(backend, sched, SamplerConfig{DDIM: true}); err == nil {
			t.Errorf("Trained.NewSampler on a schedule of %s: no error", name)
		}
		if err := tr.CheckSchedule(sched); err == nil {
			t.Errorf("Trained.CheckSchedule of a schedule of %s: no error", name)
		}
	}
	edited, err := tr.Schedule.Respace(EvenSteps(tr.Schedule.T, 5))
	if err != nil {
		t.Fatal(err)
	}
	edited.SqrtOneMinusAlphaBar[3] = -edited.SqrtOneMinusAlphaBar[3]
	if err := edited.Check(); err == nil || !strings.Contains(err.Error(), "SqrtOneMinusAlphaBar at t=3") {
		t.Errorf("a schedule with an edited table: error %v, want it named", err)
	}
	if _, err := tr.NewSampler(backend, edited, SamplerConfig{DDIM: true}); err == nil {
		t.Error("Trained.NewSampler on an edited schedule: no error")
	}

	bound, err := tr.NewBoundEvaluator(backend, tr.Schedule, SamplerConfig{Variance: VarianceBeta})
	if err != nil {
		t.Fatal(err)
	}
	// Images of another shape than the model's, or a negative batch (forty-fifth probe's nits).
	for name, opts := range map[string]BoundOptions{"shape [4]": {Dims: []int{4}}, "shape {-2, -1}": {Dims: []int{-2, -1}}, "batch -1": {Dims: []int{2}, BatchSize: -1}} {
		if _, err := bound.Evaluate([]float32{1, -1, 1, 1}, opts); err == nil {
			t.Errorf("Evaluate with %s: no error", name)
		}
	}
	// Guidance, which the bound has no use for, is refused (it was taken and left unused; fifty-first probe).
	if _, err := tr.NewBoundEvaluator(backend, tr.Schedule, SamplerConfig{Variance: VarianceBeta, Guidance: 2}); err == nil || !strings.Contains(err.Error(), "guidance 2") {
		t.Errorf("a bound with guidance 2: %v", err)
	}
	x0 := tensors.FromFlatDataAndDimensions([]float32{1, -1, 1, 1}, 2, 2)
	for _, step := range []int{0, -7, tr.Schedule.T + 1, 1 << 40} {
		if _, _, err := bound.Term(x0, step, x0); err == nil {
			t.Errorf("Term at t=%d: no error", step)
		}
	}
	sampler, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{DDIM: true})
	if err != nil {
		t.Fatal(err)
	}
	// Examples of another shape than the model's are named so: the MLP failed inside GoMLX on a
	// variable's shape (forty-fourth probe).
	for _, dims := range [][]int{{3}, nil, {2, 1}} {
		if _, err := sampler.Sample(SampleOptions{N: 2, Dims: dims}); err == nil || !strings.Contains(err.Error(), "the model's are [2]") && dims != nil {
			t.Errorf("Sample of shape %v from a model of [2]: %v", dims, err)
		}
	}
	if _, err := sampler.Encode(make([]float32, 6), 2, []int{3}); err == nil || !strings.Contains(err.Error(), "the model's are [2]") {
		t.Errorf("Encode of shape [3] for a model of [2]: %v", err)
	}
	if _, err := sampler.Encode(make([]float32, 1), 1, []int{-1, -1}); err == nil {
		t.Error("Encode of shape {-1, -1}: no error")
	}
	if _, err := sampler.Encode([]float32{0, float32(math.NaN())}, 1, []int{2}); err == nil || !strings.Contains(err.Error(), "not a finite number") {
		t.Errorf("Encode of a NaN: error %v", err)
	}
	// Latents are DDIM's of η = 0: on any other sampler they were returned, and regenerated other
	// examples (ancestral, η = 1) or were refused as a start (the solvers; fifty-ninth probe).
	for _, cfg := range []SamplerConfig{{Variance: VarianceBeta}, {DDIM: true, Eta: 1}, {Solver: SolverEuler, Steps: 4}, {Solver: SolverDPMPP2M, Steps: 4}} {
		other, err := tr.NewSampler(backend, tr.Schedule, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Encode([]float32{0.5, -0.5}, 1, []int{2}); err == nil || !strings.Contains(err.Error(), "DDIM with η = 0") {
			t.Errorf("Encode on the sampler %+v: error %v, want a refusal", cfg, err)
		}
	}
	if _, err := sampler.Encode([]float32{0.5, -0.5}, 1, []int{2}); err != nil {
		t.Errorf("Encode on DDIM with η = 0: %v", err)
	}
	// One kept step is the data's and the latents': the examples came back as their own "latents"
	// (seventy-first probe).
	one, err := tr.Schedule.Respace(EvenSteps(tr.Schedule.T, 1))
	if err != nil {
		t.Fatal(err)
	}
	if single, err := tr.NewSampler(backend, one, SamplerConfig{DDIM: true}); err != nil {
		t.Fatal(err)
	} else if _, err := single.Encode([]float32{0.5, -0.5}, 1, []int{2}); err == nil || !strings.Contains(err.Error(), "keeps one step") {
		t.Errorf("Encode on a schedule of one step: error %v, want a refusal", err)
	}

	dir := t.TempDir()
	if err := tr.Export(filepath.Join(dir, "ckpt-999999999.ddpm")); err == nil || !strings.Contains(err.Error(), "a training checkpoint's name") {
		t.Errorf("Export under a checkpoint's name: error %v", err)
	}
	if err := WriteCheckpoint(filepath.Join(dir, "neg.ddpm"), context.New(), -5, map[string]any{"x": 1}, nil); err == nil {
		t.Error("WriteCheckpoint of step −5: no error")
	}
	if err := WriteCheckpoint(filepath.Join(dir, "nil.ddpm"), nil, 1, nil, nil); err == nil {
		t.Error("WriteCheckpoint of a nil context: no error")
	}
	// Refused before its folder is made, which was left behind (forty-third probe's nit).
	if _, err := (Checkpointer{Dir: filepath.Join(dir, "run")}).Save(context.New(), -1, nil); err == nil {
		t.Error("Checkpointer.Save of step −1: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, "run")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Checkpointer.Save of step −1 made its folder (%v)", err)
	}
	// Keep never prunes the file just written: saved below a newer step it was, and its path returned
	// with no error (forty-sixth probe).
	kept := Checkpointer{Dir: filepath.Join(t.TempDir(), "kept"), Keep: 1}
	ctx := context.New()
	ctx.VariableWithValue("w", []float32{1, 2, 3})
	if _, err := kept.Save(ctx, 100, nil); err != nil {
		t.Fatal(err)
	}
	if p, err := kept.Save(ctx, 5, nil); err != nil {
		t.Fatal(err)
	} else if _, err := os.Stat(p); err != nil {
		t.Errorf("Checkpointer.Save below a newer step with Keep 1 pruned what it wrote: %v", err)
	}
	if err := CheckLabels([]int{1}, -1); err == nil || !strings.Contains(err.Error(), "-1 classes") {
		t.Errorf("CheckLabels against −1 classes: %v", err)
	}
	func() {
		// The writer's panic goes on, as it would have; its temporary must not stay.
		defer func() { _ = recover() }()
		_ = WriteFileAtomic(filepath.Join(dir, "panic.txt"), func(io.Writer) error { panic("boom") })
	}()
	if err := WriteFileAtomic(filepath.Join(dir, "nil.txt"), nil); err == nil {
		t.Error("WriteFileAtomic without a writer: no error")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left in the folder: %v", left)
	}

	for name, c := range map[string]struct {
		ctx  *context.Context
		meta any
	}{
		"a description with a 5 000-byte string": {context.New(), map[string]string{"x": strings.Repeat("y", 5000)}},
		"another model's context":                {tr.Ctx, nil},
	} {
		folder := t.TempDir()
		cfg := quickTrainConfig(3, folder)
		cfg.Meta = c.meta
		steps := 0
		cfg.OnStep = func(int, float64) { steps++ }
		ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 1)
		if err != nil {
			t.Fatal(err)
		}
		mlp := DefaultMLPConfig()
		mlp.Hidden = 32 // not the trained model's width
		_, err = Train(backend, c.ctx, MustNewSchedule(ScheduleLinear, 20), MLPModel(mlp), ds, cfg)
		if err == nil || steps > 0 || errors.Is(err, ErrStopped) {
			t.Errorf("Train with %s: error %v after %d steps, want a refusal before the first", name, err, steps)
		}
	}
}

// A conditional model trained with p_uncond 0 never saw "no label": the library refuses guidance, a draw
// without labels, the inversion and the bound, which all use it, as the command line does (fiftieth
// probe: they ran, on an untrained embedding row).
func TestNeverUnlabelledModelsAreNotRunWithoutALabel(t *testing.T) {
	tr, err := LoadTrained(filepath.Join("..", "models", "mnist-cond-ema.ddpm"))
	if err != nil {
		t.Fatal(err)
	}
	tr.Spec.PUncond = 0
	if _, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{DDIM: true, Guidance: 1}); err == nil || !strings.Contains(err.Error(), "p_uncond 0") {
		t.Errorf("guidance: %v", err)
	}
	if _, err := tr.NewBoundEvaluator(backend, tr.Schedule, SamplerConfig{Variance: VarianceBeta}); err == nil || !strings.Contains(err.Error(), "p_uncond 0") {
		t.Errorf("the bound: %v", err)
	}
	s, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{DDIM: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sample(SampleOptions{N: 1, Dims: []int{28, 28, 1}}); err == nil || !strings.Contains(err.Error(), "cannot draw without a class") {
		t.Errorf("a draw without labels: %v", err)
	}
	// Nor with "no label" given as a label (fifty-first probe).
	if _, err := s.Sample(SampleOptions{N: 2, Dims: []int{28, 28, 1}, Labels: []int{3, 10}}); err == nil || !strings.Contains(err.Error(), "label 10 (sample 1) is \"no label\"") {
		t.Errorf("a draw with the label of \"no label\": %v", err)
	}
	if _, err := s.Encode(make([]float32, 784), 1, []int{28, 28, 1}); err == nil || !strings.Contains(err.Error(), "p_uncond 0") {
		t.Errorf("the inversion: %v", err)
	}
}

// A class count that is not the label table's is refused: a sampler told 2 classes for a model of 3
// drew class 2 for "no label", and a dataset of 2 classes trained "no label"'s row as class 2 (fiftieth
// probe). The table is checked where it is loaded and where the graph makes it.
func TestClassCountsAgreeWithTheLabelTable(t *testing.T) {
	tr, err := LoadTrained(filepath.Join("..", "models", "mnist-cond-ema.ddpm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{9, 11} {
		if _, err := NewConditionalSampler(backend, tr.Ctx, tr.Schedule, tr.Cond, k, SamplerConfig{DDIM: true}); err == nil || !strings.Contains(err.Error(), "11 rows: 10 classes") {
			t.Errorf("a sampler of %d classes for a model of 10: %v", k, err)
		}
	}
	if _, err := NewConditionalSampler(backend, tr.Ctx, tr.Schedule, tr.Cond, 10, SamplerConfig{DDIM: true}); err != nil {
		t.Errorf("a sampler of the model's 10 classes: %v", err)
	}

	mlp := DefaultMLPConfig()
	mlp.NumClasses = 3
	sched := MustNewSchedule(ScheduleLinear, 20)
	labelled := func(classes int) *ArrayDataset {
		ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := ds.SetLabels([]int{0, 1, 0, 1, 0, 1, 0, 1}, classes); err != nil {
			t.Fatal(err)
		}
		return ds
	}
	cfg := quickTrainConfig(1, "")
	cfg.Conditional, cfg.PUncond = MLPConditional(mlp), 0.1
	trained := context.New()
	if _, err := Train(backend, trained, sched, MLPModel(mlp), labelled(3), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewConditionalSampler(backend, trained, sched, MLPConditional(mlp), 2, SamplerConfig{DDIM: true}); err == nil || !strings.Contains(err.Error(), "4 rows: 3 classes") {
		t.Errorf("a sampler of 2 classes for a model of 3 trained in the same program: %v", err)
	}
	cfg.CheckpointDir = t.TempDir()
	if _, err := Train(backend, context.New(), sched, MLPModel(mlp), labelled(2), cfg); err == nil || !strings.Contains(err.Error(), "labels of 2 classes") {
		t.Errorf("training a model of 3 classes on labels of 2: %v", err)
	}
	// A description of another p_uncond: whether the model may be drawn from unlabelled follows from it.
	cfg.Meta = RunSpec{Model: ModelMLP, MLP: &mlp, Schedule: ScheduleLinear, T: 20, Dims: []int{2}, BatchSize: 4, Steps: 3, PUncond: 0.1, Seed: cfg.Seed, Optimizer: cfg.Optimizer}
	cfg.PUncond = 0
	if _, err := Train(backend, context.New(), sched, MLPModel(mlp), labelled(3), cfg); err == nil || !strings.Contains(err.Error(), "p_uncond 0.1, and the run's is 0") {
		t.Errorf("a description of p_uncond 0.1 for a run of 0: %v", err)
	}
	if got, _ := LatestCheckpoint(cfg.CheckpointDir); got != "" {
		t.Errorf("refused, it saved %s", got)
	}
	// A run of p_uncond 0 resumed with 0.1, with or without a description: the checkpoint keeps the last
	// run's p_uncond, and a model trained almost wholly without "no label" was drawn from without a
	// class (eighty-fifth probe). 0 and more than 0 are not mixed; 0.1 and 0.2 are a change of recipe.
	cfg.CheckpointDir = t.TempDir()
	spec := RunSpec{Model: ModelMLP, MLP: &mlp, Schedule: ScheduleLinear, T: 20, Dims: []int{2}, BatchSize: 4, Steps: cfg.Steps, Seed: cfg.Seed, Optimizer: cfg.Optimizer}
	cfg.Meta = spec
	if _, err := Train(backend, context.New(), sched, MLPModel(mlp), labelled(3), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Steps, cfg.PUncond = cfg.Steps+1, 0.1
	spec.Steps, spec.PUncond = cfg.Steps, 0.1
	for _, meta := range []any{spec, nil} {
		cfg.Meta = meta
		if _, err := Train(backend, context.New(), sched, MLPModel(mlp), labelled(3), cfg); err == nil || !strings.Contains(err.Error(), "0 and more than 0 cannot be mixed") {
			t.Errorf("a run of p_uncond 0 resumed with 0.1 (description %v): %v, want a refusal", meta != nil, err)
		}
	}
	// A run of no classes resumed from it is refused for its classes, not for a p_uncond it does not use
	// (eighty-seventh probe: "resume with p_uncond 0.1" led to the refusal of the classes).
	plain := quickTrainConfig(cfg.Steps, cfg.CheckpointDir)
	unlabelled, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(backend, context.New(), sched, MLPModel(DefaultMLPConfig()), unlabelled, plain); err == nil || strings.Contains(err.Error(), "p_uncond") || !strings.Contains(err.Error(), "3 classes") {
		t.Errorf("a run of no classes resumed from a conditional checkpoint: %v, want its classes refused", err)
	}
	model, recipe, err := RunDifferences(&RunSpec{MLP: &mlp, PUncond: 0.1}, &RunSpec{MLP: &mlp, PUncond: 0.2})
	if err != nil || len(model) != 0 || len(recipe) != 1 {
		t.Errorf("p_uncond 0.1, then 0.2: model %q, recipe %q, %v; want a change of recipe", model, recipe, err)
	}
}
