package ddpm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// A description's settings come from the model it names: a stray "unet" beside an MLP's panicked in
// the memory estimate, and a stray "mlp" with learn_sigma made a U-Net count as learning its
// variances (sixteenth probe). Building the model refuses the stray configuration.
func TestRunSpecSettingsComeFromItsModel(t *testing.T) {
	mlp := DefaultMLPConfig()
	points := RunSpec{Model: ModelMLP, MLP: &mlp, UNet: &UNetConfig{NumClasses: 7, LearnSigma: true}, Schedule: ScheduleLinear, T: 20, Dims: []int{2}, BatchSize: 4}
	if points.LearnsSigma() || points.NumClasses() != 0 {
		t.Errorf("an MLP beside a stray U-Net: LearnsSigma %v, NumClasses %d, want false and 0", points.LearnsSigma(), points.NumClasses())
	}
	if got, want := points.SampleMemory(1), (&RunSpec{Model: ModelMLP, MLP: &mlp, T: 20, Dims: []int{2}}).SampleMemory(1); got != want {
		t.Errorf("an MLP beside a stray U-Net: SampleMemory %g, want the MLP's %g", got, want)
	}
	if less, none := points.SampleMemory(-1000), points.SampleMemory(0); less != none {
		t.Errorf("SampleMemory(−1000) = %g, want that of no sample, %g", less, none)
	}
	u := tinyUNet()
	images := RunSpec{Model: ModelUNet, UNet: &u, MLP: &MLPConfig{LearnSigma: true, NumClasses: 3}, Schedule: ScheduleLinear, T: 20, Dims: []int{8, 8, 1}}
	if images.LearnsSigma() || images.NumClasses() != 0 {
		t.Errorf("a U-Net beside a stray MLP: LearnsSigma %v, NumClasses %d, want false and 0", images.LearnsSigma(), images.NumClasses())
	}
	for _, spec := range []RunSpec{points, images} {
		if _, err := spec.BuildModel(); err == nil || !strings.Contains(err.Error(), "holds a U-Net's and an MLP's configuration") {
			t.Errorf("%s with both configurations: BuildModel error %v", spec.Model, err)
		}
	}
}

// trainedPoints trains the default MLP on points for 3 steps with a description, so that LoadTrained
// reads its checkpoint, and returns the checkpoint's path.
func trainedPoints(t *testing.T) string {
	t.Helper()
	mlp := DefaultMLPConfig()
	cfg := quickTrainConfig(3, t.TempDir())
	cfg.Meta = RunSpec{Model: ModelMLP, MLP: &mlp, Schedule: ScheduleLinear, T: 20, Dims: []int{2}, BatchSize: 4, Steps: 3, Seed: cfg.Seed, Optimizer: cfg.Optimizer}
	res, err := trainPoints(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res.Checkpoint
}

// An export holds the EMA weights as its weights: LoadTrained reads the same model from it, and an
// export of an export is refused (it would be the file itself).
func TestExportIsTheTrainedModel(t *testing.T) {
	tr, err := LoadTrained(trainedPoints(t))
	if err != nil {
		t.Fatal(err)
	}
	if !tr.FromEMA {
		t.Fatal("a training checkpoint: FromEMA false")
	}
	raw, err := os.ReadFile(tr.Path)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(raw); tr.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 %q, want the file's %x", tr.SHA256, sum)
	}
	exported := filepath.Join(t.TempDir(), "points.ddpm")
	if err := tr.Export(exported); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTrained(exported)
	if err != nil {
		t.Fatal(err)
	}
	if back.FromEMA || back.Step != tr.Step || back.Spec.Model != ModelMLP {
		t.Errorf("the export: FromEMA %v, step %d (want %d), model %q", back.FromEMA, back.Step, tr.Step, back.Spec.Model)
	}
	want := variableValues(t, tr.Ctx)
	got := variableValues(t, back.Ctx)
	if len(got) != len(want) {
		t.Errorf("the export holds %d variables, the model %d", len(got), len(want))
	}
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("the export's %s differs from the checkpoint's EMA", name)
		}
	}
	if err := back.Export(filepath.Join(t.TempDir(), "again.ddpm")); err == nil || !strings.Contains(err.Error(), "no EMA weights to export") {
		t.Errorf("an export of an export: error %v", err)
	}
	// Never over its input, by its name or a link: the training checkpoint was replaced by its export
	// (thirty-second probe).
	link := filepath.Join(t.TempDir(), "link.ddpm")
	if err := os.Symlink(tr.Path, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{tr.Path, link} {
		if err := tr.Export(out); err == nil || !strings.Contains(err.Error(), "is the input "+tr.Path) {
			t.Errorf("an export over its input, as %s: error %v", out, err)
		}
	}
	if after, err := os.ReadFile(tr.Path); err != nil || !bytes.Equal(after, raw) {
		t.Errorf("the training checkpoint changed (%v)", err)
	}
}

// A checkpoint holding a value that is not finite is refused when it is read, by LoadTrained (a NaN
// bias sampled for 94 s before its samples were refused; sixteenth probe) and by any load; the context
// is left untouched.
func TestCheckpointValuesMustBeFinite(t *testing.T) {
	saved := trainedPoints(t)
	for _, c := range []struct {
		scope, name string
		value       float32
	}{
		{"/mlp/out/dense", "biases", float32(math.NaN())},
		{"/ema/mlp/out/dense", "weights", float32(math.Inf(-1))},
	} {
		ctx := context.New()
		var spec RunSpec
		step, err := LoadCheckpoint(saved, ctx, &spec)
		if err != nil {
			t.Fatal(err)
		}
		setFirst(t, ctx, c.scope, c.name, c.value)
		path := filepath.Join(t.TempDir(), "edited.ddpm")
		if err := WriteCheckpoint(path, ctx, step, &spec, nil); err != nil {
			t.Fatal(err)
		}
		want := c.scope + "/" + c.name + ": holds " + strconv.FormatFloat(float64(c.value), 'g', -1, 32)
		if _, err := LoadTrained(path); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s/%s = %v: LoadTrained error %v, want %q", c.scope, c.name, c.value, err, want)
		}
		fresh := context.New()
		if _, err := LoadCheckpoint(path, fresh, nil); err == nil {
			t.Errorf("%s/%s = %v: LoadCheckpoint read it", c.scope, c.name, c.value)
		}
		for v := range fresh.IterVariables() {
			t.Fatalf("the refused load created %s", v.ScopeAndName())
		}
	}
}

// setFirst sets the first value of a float32 variable of ctx.
func setFirst(t *testing.T, ctx *context.Context, scope, name string, x float32) {
	t.Helper()
	v := ctx.GetVariableByScopeAndName(scope, name)
	if v == nil {
		t.Fatalf("no variable %s/%s", scope, name)
	}
	value, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	flat := tensors.MustCopyFlatData[float32](value)
	flat[0] = x
	v.MustSetValue(tensors.FromFlatDataAndDimensions(flat, value.Shape().Dimensions...))
}

// The first line of a file that is not a checkpoint says what it is instead: a file cut short in that
// line, one copied as text and format 0 were all called "written by a newer version" (sixteenth probe).
func TestCheckpointMagicLineSaysWhatIsWrong(t *testing.T) {
	raw := smallCheckpoint(t)
	rest := raw[len(checkpointMagic):]
	path := filepath.Join(t.TempDir(), "x.ddpm")
	for _, c := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"empty", nil, "not a ddpm-go checkpoint"},
		{"one byte", []byte("D"), "not a ddpm-go checkpoint"},
		{"format 100", append([]byte("DDPM-GO-CHECKPOINT-100\n"), rest...), "format 100, and this ddpm reads formats 1 and 2"},
		{"copied as text, cut", []byte("DDPM-GO-CHECKPOINT-1\r"), `ends in "\r\n"`},
		{"text", []byte("hello, world: a text file of some length\n"), "not a ddpm-go checkpoint"},
		{"cut in the prefix", []byte("DDPM-GO-CH"), "truncated at offset 10, in its first line"},
		{"cut before the format", []byte("DDPM-GO-CHECKPOINT-"), "truncated at offset 19"},
		{"cut before the newline", []byte("DDPM-GO-CHECKPOINT-2"), "truncated at offset 20"},
		{"copied as text", append([]byte("DDPM-GO-CHECKPOINT-2\r\n"), rest...), `ends in "\r\n"`},
		{"format 3", append([]byte("DDPM-GO-CHECKPOINT-3\n"), rest...), "format 3, and this ddpm reads formats 1 and 2: it was written by a newer version"},
		// A newer format copied as text, which was called damaged (eighteenth probe).
		{"format 3 as text", append([]byte("DDPM-GO-CHECKPOINT-3\r\n"), rest...), `format 3, whose first line ends in "\r\n": the file was copied as text`},
		{"format 12", append([]byte("DDPM-GO-CHECKPOINT-12\n"), rest...), "format 12, and this ddpm reads formats 1 and 2"},
		{"format 0", append([]byte("DDPM-GO-CHECKPOINT-0\n"), rest...), `names format "0\n", which ddpm-go never wrote`},
		{"format x", append([]byte("DDPM-GO-CHECKPOINT-x\n"), rest...), "which ddpm-go never wrote"},
	} {
		if err := os.WriteFile(path, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCheckpoint(path, context.New(), nil); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// A folder resolves to its newest checkpoint only when that is a file: export resolved a folder named
// like a checkpoint a second time and exported another run's newest checkpoint from inside it, exit 0
// (seventeenth probe).
func TestResolveCheckpointGivesAFile(t *testing.T) {
	run := t.TempDir()
	if err := os.WriteFile(filepath.Join(run, "ckpt-000000020.ddpm"), smallCheckpoint(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := ResolveCheckpoint(run); err != nil || filepath.Base(got) != "ckpt-000000020.ddpm" {
		t.Fatalf("ResolveCheckpoint of a run: %q, %v", got, err)
	}
	inner := filepath.Join(run, "ckpt-000000099.ddpm")
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(inner, "ckpt-000000005.ddpm"), smallCheckpoint(t), 0o644) //nolint:errcheck
	if got, err := ResolveCheckpoint(run); err == nil || !strings.Contains(err.Error(), "its newest checkpoint ckpt-000000099.ddpm is not a file") {
		t.Errorf("ResolveCheckpoint with a folder as the newest checkpoint: %q, %v", got, err)
	}
}

// Edited trainable flags are named as such when a model is loaded for sampling: a frozen weight was
// called missing, and a trainable moment or generator state a weight without an EMA (seventeenth
// probe). CheckResume finds them too, from the header, with a truncated file and a missing moment.
func TestEditedCheckpointsAreNamedFromTheHeader(t *testing.T) {
	saved := trainedPoints(t)
	want, err := NetworkWeights(MLPModel(DefaultMLPConfig()), nil, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckResume(saved, want, 0.999); err != nil {
		t.Fatalf("CheckResume of a run's checkpoint: %v", err)
	}
	edited := func(edit func(ctx *context.Context), keep func(v *context.Variable) bool) string {
		ctx := context.New()
		var spec RunSpec
		step, err := LoadCheckpoint(saved, ctx, &spec)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(ctx)
		}
		path := filepath.Join(t.TempDir(), "ckpt-000000003.ddpm")
		if err := WriteCheckpoint(path, ctx, step, &spec, keep); err != nil {
			t.Fatal(err)
		}
		return path
	}
	trainable := func(scope, name string, on bool) func(ctx *context.Context) {
		return func(ctx *context.Context) { ctx.GetVariableByScopeAndName(scope, name).SetTrainable(on) }
	}
	for _, c := range []struct {
		name string
		path string
		want string
	}{
		{"a frozen weight", edited(trainable("/mlp/out/dense", "weights", false), nil), "/mlp/out/dense/weights is a weight of the network, marked not trainable"},
		{"a trainable moment", edited(trainable("/AdamOptimizer/mlp/out/dense", "weights_1st_moment", true), nil), "weights_1st_moment is not a weight of the network, marked trainable"},
		{"a trainable generator state", edited(trainable("/", "#rngState", true), nil), "/#rngState is not a weight of the network, marked trainable"},
	} {
		if _, err := LoadTrained(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadTrained of %s: error %v, want %q", c.name, err, c.want)
		}
		if err := CheckResume(c.path, want, 0.999); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckResume of %s: error %v, want %q", c.name, err, c.want)
		}
	}
	noMoment := edited(nil, func(v *context.Variable) bool {
		return v.ScopeAndName() != "/AdamOptimizer/mlp/out/dense/biases_2nd_moment"
	})
	if err := CheckResume(noMoment, want, 0.999); err == nil || !strings.Contains(err.Error(), "lacks part of the training state (/AdamOptimizer/mlp/out/dense/biases_2nd_moment)") {
		t.Errorf("CheckResume without a moment: error %v", err)
	}
	// The network's weights alone, as an export holds them: said so, not blamed on an edit (forty-third
	// probe's nit).
	weightsOnly := edited(nil, func(v *context.Variable) bool { _, ok := want[v.ScopeAndName()]; return ok })
	if err := CheckResume(weightsOnly, want, 0.999); err == nil || !strings.Contains(err.Error(), "holds weights only") {
		t.Errorf("CheckResume of weights alone: error %v", err)
	}
	raw, _ := os.ReadFile(saved)
	cut := filepath.Join(t.TempDir(), "cut.ddpm")
	os.WriteFile(cut, raw[:len(raw)-100], 0o644) //nolint:errcheck
	if err := CheckResume(cut, want, 0.999); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("CheckResume of a truncated file: error %v", err)
	}
	// Header-only readers compare the file's length with the header's (a truncated classifier passed
	// eval's early checks), and CheckResume reads the values as Train does (eighteenth probe).
	if _, _, err := ReadCheckpointWeights(cut, nil); err == nil || !strings.Contains(err.Error(), "truncated, or extended") {
		t.Errorf("ReadCheckpointWeights of a truncated file: error %v", err)
	}
	flipped := filepath.Join(t.TempDir(), "flipped.ddpm")
	os.WriteFile(flipped, append(raw[:len(raw)-3:len(raw)-3], raw[len(raw)-3]^0xff, raw[len(raw)-2], raw[len(raw)-1]), 0o644) //nolint:errcheck
	for name, c := range map[string]struct{ path, want string }{
		"a flipped byte":           {flipped, "CRC-32 mismatch"},
		"a NaN EMA":                {edited(func(ctx *context.Context) { setFirst(t, ctx, "/ema/mlp/out/dense", "weights", float32(math.NaN())) }, nil), "holds NaN"},
		"a negative second moment": {edited(func(ctx *context.Context) { setFirst(t, ctx, "/AdamOptimizer/mlp/out/dense", "weights_2nd_moment", -1) }, nil), "holds -1"},
	} {
		if err := CheckResume(c.path, want, 0.999); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckResume of %s: error %v, want %q", name, err, c.want)
		}
	}
}

// A class name that is not UTF-8 text is refused: JSON replaced its bytes, two folders' names were
// saved as one, and nothing could sample from the run (eighteenth probe).
func TestClassNamesAreText(t *testing.T) {
	u := tinyUNet()
	u.NumClasses = 2
	spec := RunSpec{Model: ModelUNet, UNet: &u, ClassNames: []string{"a\xff", "a\xfe"}}
	if err := spec.CheckClassNames(); err == nil || !strings.Contains(err.Error(), `class 0 is named "a\xff", which is not UTF-8 text`) {
		t.Errorf("class names a\\xff and a\\xfe: error %v", err)
	}
	spec.ClassNames = []string{"é", "日本"}
	if err := spec.CheckClassNames(); err != nil {
		t.Errorf("class names é and 日本: %v", err)
	}
}

// Train refuses to resume a run described as another (here T = 30, the checkpoint's T = 20) before any
// step: the command line refused it, and Train went on, its later checkpoints describing with the new T
// weights trained under the old (forty-ninth probe). The recipe (the seed, the batch, the optimizer) may
// change on resume.
func TestTrainResumesOnlyItsOwnRun(t *testing.T) {
	latest := trainedPoints(t)
	dir := filepath.Dir(latest)
	mlp := DefaultMLPConfig()
	cfg := quickTrainConfig(6, dir)
	spec := RunSpec{Model: ModelMLP, MLP: &mlp, Schedule: ScheduleLinear, T: 30, Dims: []int{2}, BatchSize: 4, Steps: 6, Seed: cfg.Seed, Optimizer: cfg.Optimizer}
	cfg.Meta = &spec
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 30), MLPModel(mlp), ds, cfg); err == nil ||
		!strings.Contains(err.Error(), "T: 20 in the checkpoint, 30 now") {
		t.Errorf("resumed as a run of T = 30: error %v, want a refusal naming T", err)
	}
	if got, _ := LatestCheckpoint(dir); got != latest {
		t.Errorf("refused, it saved %s", got)
	}
	spec.T, spec.Seed, spec.BatchSize = 20, 7, 8
	cfg.Seed = 7
	eights, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 8, 7)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 20), MLPModel(mlp), eights, cfg); err != nil || res.StartStep != 3 {
		t.Errorf("resumed with another seed and batch: %v, want it resumed from step 3", err)
	}
	model, recipe, err := RunDifferences(&RunSpec{Model: ModelMLP, T: 20, Seed: 1}, &RunSpec{Model: ModelUNet, T: 20, Seed: 2, Steps: 9})
	if err != nil || len(model) != 1 || !strings.HasPrefix(model[0], `model: "mlp" in the checkpoint, "unet" now`) || len(recipe) != 1 || !strings.HasPrefix(recipe[0], "seed: 1") {
		t.Errorf("RunDifferences: model %q, recipe %q, %v", model, recipe, err)
	}
	// "linear-scaled" at T = 1 000 is "linear" (it was refused as another run; sixty-third probe); at
	// T = 500 it is another schedule.
	for T, same := range map[int]bool{PaperT: true, 500: false} {
		model, recipe, err := RunDifferences(&RunSpec{Schedule: ScheduleLinear, T: T}, &RunSpec{Schedule: ScheduleLinearScaled, T: T})
		if err != nil || (len(model) == 0) != same || (len(recipe) == 1) != same {
			t.Errorf("linear, then linear-scaled at T = %d: model %q, recipe %q, %v; want the same run: %v", T, model, recipe, err, same)
		}
	}
}

// Train refuses, before any step, a description (Meta, a RunSpec) of another run than the one it is
// given (fiftieth probe: a spec of T = 1000 was saved for a run of T = 50 and sampled with T = 1000; a
// respaced schedule was described as whole; another network's made a run no LoadTrained could read), a
// grid sampler that the first grid would refuse (the run stopped there), and a newest checkpoint named
// for another step than it holds (each run resumed from it, and lost its training since).
func TestTrainRefusesWhatItsDescriptionDoesNotSay(t *testing.T) {
	mlp := DefaultMLPConfig()
	spec := func(mod func(r *RunSpec)) *RunSpec {
		m := mlp
		r := &RunSpec{Model: ModelMLP, MLP: &m, Schedule: ScheduleLinear, T: 20, Dims: []int{2}, BatchSize: 4, Steps: 3, Seed: 3, Optimizer: quickTrainConfig(0, "").Optimizer}
		if mod != nil {
			mod(r)
		}
		return r
	}
	for name, c := range map[string]struct {
		meta *RunSpec
		want string
	}{
		"T":        {spec(func(r *RunSpec) { r.T = 1000 }), "the schedule linear of T = 1000, and the one given is linear of T = 20"},
		"schedule": {spec(func(r *RunSpec) { r.Schedule = ScheduleCosine }), "the schedule cosine of T = 20"},
		"network":  {spec(func(r *RunSpec) { r.MLP.Hidden *= 2 }), "builds another network than the one given"},
		"dims":     {spec(func(r *RunSpec) { r.Dims = []int{3} }), "examples of shape [3], and the data's are [2]"},
		// The recipe (fifty-first probe: an EMA decay of 0 described for a run with one).
		"EMA decay": {spec(func(r *RunSpec) { r.Optimizer.EMADecay = 0 }), "says the optimizer"},
		"batch":     {spec(func(r *RunSpec) { r.BatchSize = 8 }), "says batches of 8, and the data set's are of 4"},
		"seed":      {spec(func(r *RunSpec) { r.Seed = 5 }), "says seed 5, the run's is 3"},
	} {
		cfg := quickTrainConfig(3, t.TempDir())
		cfg.Meta = c.meta
		if _, err := trainPoints(t, cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
		if got, _ := LatestCheckpoint(cfg.CheckpointDir); got != "" {
			t.Errorf("%s: refused, it saved %s", name, got)
		}
	}
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	respaced, err := MustNewSchedule(ScheduleLinear, 20).Respace(EvenSteps(20, 5))
	if err != nil {
		t.Fatal(err)
	}
	cfg := quickTrainConfig(3, t.TempDir())
	cfg.Meta = spec(nil)
	if _, err := Train(backend, context.New(), respaced, MLPModel(mlp), ds, cfg); err == nil || !strings.Contains(err.Error(), "a respaced schedule") {
		t.Errorf("a respaced schedule described as whole: %v", err)
	}
	images, err := NewArrayDataset("four images", tinyImages(4, 1), []int{8, 8, 1}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		grid SamplerConfig
		want string
	}{
		"devices that do not split": {SamplerConfig{Variance: VarianceBeta, Devices: 3}, "split"},
		"guidance, no condition":    {SamplerConfig{Variance: VarianceBeta, Guidance: 1}, "guidance 1 needs a class-conditional model"},
		"devices the backend lacks": {SamplerConfig{Variance: VarianceBeta, Devices: 1 << 20}, "1048576"},
		// Checked only where Meta was a RunSpec (fiftieth probe); here Meta is nil.
		"a learned variance": {SamplerConfig{Variance: VarianceLearned}, "learns its variances"},
	} {
		cfg := quickTrainConfig(6, t.TempDir())
		cfg.SampleEvery, cfg.SampleN, cfg.GridSampler = 3, 4, c.grid
		if _, err := Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 20), UNetModel(tinyUNet()), images, cfg); err == nil ||
			!strings.Contains(err.Error(), c.want) {
			t.Errorf("a grid sampler with %s: error %v, want one containing %q", name, err, c.want)
		}
		if got, _ := LatestCheckpoint(cfg.CheckpointDir); got != "" {
			t.Errorf("a grid sampler with %s: refused after training to %s", name, got)
		}
	}
	// A newest checkpoint named for another step.
	latest := trainedPoints(t)
	dir := filepath.Dir(latest)
	if err := os.Rename(latest, filepath.Join(dir, "ckpt-000000099.ddpm")); err != nil {
		t.Fatal(err)
	}
	cfg = quickTrainConfig(6, dir)
	cfg.Meta = spec(nil)
	if _, err := trainPoints(t, cfg); err == nil || !strings.Contains(err.Error(), "named for step 99 but holds step 3") {
		t.Errorf("a checkpoint named for step 99 holding step 3: %v", err)
	}
	// Grids of points, which are no images, are said so (fifty-first probe's nit: "grids of shape [2]:
	// they are images of the data set's shape, [2]").
	cfg = quickTrainConfig(3, t.TempDir())
	cfg.SampleEvery = 1
	if _, err := trainPoints(t, cfg); err == nil || !strings.Contains(err.Error(), "are images, and the data set's examples are of shape [2]") {
		t.Errorf("grids of 2-D points: %v", err)
	}
}

// A run resumed with no description (Meta nil) from a checkpoint that holds one carries it forward,
// with this run's recipe, and is checked against it: it trained a run of T = 30 under a cosine schedule
// of T = 100, and its checkpoints, without a description, could be loaded by no command (fifty-first
// probe). A description of another type is refused.
func TestTrainCarriesTheCheckpointsDescription(t *testing.T) {
	latest := trainedPoints(t)
	dir := filepath.Dir(latest)
	cfg := quickTrainConfig(6, dir)
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(backend, context.New(), MustNewSchedule(ScheduleCosine, 100), MLPModel(DefaultMLPConfig()), ds, cfg); err == nil ||
		!strings.Contains(err.Error(), "carried forward (Meta nil) with this run's recipe, says the schedule linear of T = 20") {
		t.Errorf("resumed under another schedule with no description: %v", err)
	}
	cfg.Meta = map[string]string{"note": "x"}
	if _, err := trainPoints(t, cfg); err == nil || !strings.Contains(err.Error(), "Meta is a map[string]string") {
		t.Errorf("resumed with a description of another type: %v", err)
	}
	if got, _ := LatestCheckpoint(dir); got != latest {
		t.Errorf("refused, it saved %s", got)
	}
	cfg.Meta = nil
	if res, err := trainPoints(t, cfg); err != nil || res.StartStep != 3 || res.Step != 6 {
		t.Fatalf("resumed with no description: %+v, %v", res, err)
	}
	tr, err := LoadTrained(dir)
	if err != nil {
		t.Fatalf("the checkpoint of a run resumed with no description: %v", err)
	}
	if tr.Step != 6 || tr.Spec.T != 20 || tr.Spec.Steps != 6 {
		t.Errorf("the description carried forward: step %d, T %d, steps %d", tr.Step, tr.Spec.T, tr.Spec.Steps)
	}
	// With the digest of the data it trained on, which the command line compares on resuming (the
	// checkpoint's was kept for other data; fifty-third probe).
	if want := DataSHA256(make([]float32, 2*8), []int{2}, nil); tr.Spec.DataSHA256 != want {
		t.Errorf("the description carried forward has the data digest %q, want %q", tr.Spec.DataSHA256, want)
	}
}

// A description is a RunSpec wherever its JSON names a model, as LoadTrained and a resumed run read it:
// a type of the caller's embedding a RunSpec was saved unchecked (LoadTrained sampled its run of T = 20
// with T = 1000), and a run so described could not be resumed with the same description (fifty-second
// probe). JSON that names a model and is no RunSpec is refused.
func TestTrainReadsItsDescriptionAsItsReadersDo(t *testing.T) {
	type described struct {
		RunSpec
		Note string `json:"note"`
	}
	mlp := DefaultMLPConfig()
	cfg := quickTrainConfig(3, t.TempDir())
	spec := RunSpec{Model: ModelMLP, MLP: &mlp, Schedule: ScheduleLinear, T: 1000, Dims: []int{2}, BatchSize: 4, Steps: 3, Seed: cfg.Seed, Optimizer: cfg.Optimizer}
	cfg.Meta = described{spec, "T = 1000, trained with 20"}
	if _, err := trainPoints(t, cfg); err == nil || !strings.Contains(err.Error(), "says the schedule linear of T = 1000, and the one given is linear of T = 20") {
		t.Errorf("a description of T = 1000 in a type of the caller's: %v", err)
	}
	cfg.Meta = map[string]any{"model": 5}
	if _, err := trainPoints(t, cfg); err == nil || !strings.Contains(err.Error(), "names a model (5), as a RunSpec does, and is not one") {
		t.Errorf("a description naming model 5: %v", err)
	}
	if got, _ := LatestCheckpoint(cfg.CheckpointDir); got != "" {
		t.Errorf("refused, it saved %s", got)
	}
	spec.T = 20
	cfg.Meta = described{spec, "right"}
	if _, err := trainPoints(t, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Steps = 6
	if res, err := trainPoints(t, cfg); err != nil || res.StartStep != 3 {
		t.Errorf("resumed with the same description: %+v, %v", res, err)
	}
}

// Train fine-tunes the weights a context holds at step 0 (LoadTrained's): GoMLX refused them at the first
// step as variables that exist already, and left a folder holding a lock file. It does not replace a
// context's own training by a checkpoint of another step in CheckpointDir: run B's 20 steps were thrown
// away for run A's checkpoint of step 12 (fifty-second probe).
func TestTrainFineTunesAndKeepsAContextsTraining(t *testing.T) {
	latest := trainedPoints(t)
	tr, err := LoadTrained(latest)
	if err != nil {
		t.Fatal(err)
	}
	before := variableValues(t, tr.Ctx)
	cfg := quickTrainConfig(2, filepath.Join(t.TempDir(), "fine-tuned"))
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Train(backend, tr.Ctx, tr.Schedule, tr.Model, ds, cfg); err != nil || res.StartStep != 0 || res.Step != 2 {
		t.Fatalf("fine-tuning LoadTrained's weights: %+v, %v", res, err)
	}
	// Two steps of Adam at a learning rate of 1e-3 move each weight by about 2e-3: a run from new
	// weights would be off by their whole size.
	after := variableValues(t, tr.Ctx)
	for name, w := range before {
		for i := range w {
			if d := math.Abs(float64(after[name][i] - w[i])); d > 0.01 {
				t.Fatalf("%s[%d] moved by %g in two steps: not fine-tuned from the weights given", name, i, d)
			}
		}
	}

	ahead := context.New()
	cfg = quickTrainConfig(5, "")
	if _, err := Train(backend, ahead, MustNewSchedule(ScheduleLinear, 20), MLPModel(DefaultMLPConfig()), ds, cfg); err != nil {
		t.Fatal(err)
	}
	cfg = quickTrainConfig(8, filepath.Dir(latest))
	if _, err := Train(backend, ahead, MustNewSchedule(ScheduleLinear, 20), MLPModel(DefaultMLPConfig()), ds, cfg); err == nil ||
		!strings.Contains(err.Error(), "holds weights or training of its own (step 5), and "+latest+" (step 3) holds another state") {
		t.Errorf("a context of step 5 given a folder of step 3: %v", err)
	}
}

// A context that holds weights or training is not replaced by the folder's checkpoint unless it holds
// that very state: run A's 5 steps in-process gave way to run B's checkpoint of the same step, and
// weights given to fine-tune to another run's (fifty-third probe). A run that saved its state and goes
// on in the same context and folder resumes as before.
func TestTrainKeepsWhatTheContextHolds(t *testing.T) {
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	sched, model := MustNewSchedule(ScheduleLinear, 20), MLPModel(DefaultMLPConfig())
	same, dir := context.New(), t.TempDir()
	for _, steps := range []int{3, 6} {
		if res, err := Train(backend, same, sched, model, ds, quickTrainConfig(steps, dir)); err != nil || res.Step != steps {
			t.Fatalf("going on in the same context and folder to step %d: %+v, %v", steps, res, err)
		}
	}
	other, seed4 := context.New(), quickTrainConfig(6, "") // run A, 6 steps in-process from another seed, against the folder's run of 6 steps
	seed4.Seed = 4
	if _, err := Train(backend, other, sched, model, ds, seed4); err != nil {
		t.Fatal(err)
	}
	want := "holds weights or training of its own (step 6), and " + filepath.Join(dir, "ckpt-000000006.ddpm") + " (step 6) holds another state"
	if _, err := Train(backend, other, sched, model, ds, quickTrainConfig(8, dir)); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("another run's context of the same step: %v", err)
	}
	tr, err := LoadTrained(trainedPoints(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(backend, tr.Ctx, sched, model, ds, quickTrainConfig(8, dir)); err == nil || !strings.Contains(err.Error(), "holds weights or training of its own (step 0)") {
		t.Errorf("weights to fine-tune, given a folder of another run: %v", err)
	}
	if got, _ := LatestCheckpoint(dir); filepath.Base(got) != "ckpt-000000006.ddpm" {
		t.Errorf("refused, the folder's newest is %s", got)
	}
	// An export of weights trained after loading: it held Adam's state marked as weights, which no
	// reader took (fifty-third probe).
	if _, err := Train(backend, tr.Ctx, tr.Schedule, tr.Model, ds, quickTrainConfig(2, "")); err != nil {
		t.Fatal(err)
	}
	if err := tr.Export(filepath.Join(t.TempDir(), "export.ddpm")); err == nil || !strings.Contains(err.Error(), "it was trained after it was loaded") {
		t.Errorf("an export of weights trained after loading: %v", err)
	}
	// Nor are they sampled or bounded as the Trained's (EMA) weights: the raw ones were (fifty-fourth probe).
	if _, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{DDIM: true}); err == nil || !strings.Contains(err.Error(), "it was trained after it was loaded") {
		t.Errorf("a sampler of weights trained after loading: %v", err)
	}
	if _, err := tr.NewBoundEvaluator(backend, tr.Schedule, SamplerConfig{Variance: VarianceBeta}); err == nil || !strings.Contains(err.Error(), "it was trained after it was loaded") {
		t.Errorf("a bound of weights trained after loading: %v", err)
	}
}

// A run whose save failed goes on in the same context and folder once the cause is gone: the retry was
// refused as a context of another state, and the advice given, an empty folder, saved nothing for a
// context already at Steps and returned no error (fifty-fourth probe).
func TestTrainGoesOnAfterAFailedSave(t *testing.T) {
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	sched, model := MustNewSchedule(ScheduleLinear, 20), MLPModel(DefaultMLPConfig())
	ctx, dir := context.New(), t.TempDir()
	if _, err := Train(backend, ctx, sched, model, ds, quickTrainConfig(3, dir)); err != nil {
		t.Fatal(err)
	}
	blocked := filepath.Join(dir, "ckpt-000000006.ddpm")
	cfg := quickTrainConfig(6, dir)
	cfg.OnStep = func(step int, _ float64) {
		if step == 6 {
			_ = os.Mkdir(blocked, 0o755) // the final save finds a folder in its place
		}
	}
	if _, err := Train(backend, ctx, sched, model, ds, cfg); err == nil {
		t.Fatal("a final save onto a folder: no error")
	}
	if err := os.Remove(blocked); err != nil {
		t.Fatal(err)
	}
	cfg.OnStep = nil
	if res, err := Train(backend, ctx, sched, model, ds, cfg); err != nil || res.Checkpoint != blocked {
		t.Fatalf("the retry in the same folder: %+v, %v", res, err)
	}
	if step, err := LoadCheckpoint(blocked, context.New(), nil); err != nil || step != 6 {
		t.Errorf("the checkpoint of the retry: step %d, %v", step, err)
	}
	// A context trained in memory to Steps, given a new folder, has its state written there.
	mem, fresh := context.New(), t.TempDir()
	if _, err := Train(backend, mem, sched, model, ds, quickTrainConfig(4, "")); err != nil {
		t.Fatal(err)
	}
	if res, err := Train(backend, mem, sched, model, ds, quickTrainConfig(4, fresh)); err != nil || filepath.Base(res.Checkpoint) != "ckpt-000000004.ddpm" {
		t.Errorf("a context at Steps given a new folder: %+v, %v", res, err)
	}
}

// What LoadTrained refuses of a description, and classes for a run that trains none, are refused before
// the run: each run's checkpoints could not be loaded, or loaded a conditional model whose classes were
// never trained (fifty-third probe).
func TestTrainRefusesADescriptionItsReadersRefuse(t *testing.T) {
	cond := DefaultMLPConfig()
	cond.NumClasses = 3
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	labelled, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 3)
	if err != nil || labelled.SetLabels([]int{0, 1, 2, 0, 1, 2, 0, 1}, 3) != nil {
		t.Fatal(err)
	}
	base := quickTrainConfig(3, "")
	spec := func(mlp MLPConfig, names []string, pUncond float64) RunSpec {
		return RunSpec{Model: ModelMLP, MLP: &mlp, Schedule: ScheduleLinear, T: 20, Dims: []int{2}, BatchSize: 4, Steps: 3, Seed: base.Seed,
			Optimizer: base.Optimizer, ClassNames: names, PUncond: pUncond}
	}
	for name, c := range map[string]struct {
		meta RunSpec
		cond bool
		want string
	}{
		"two names for three classes": {spec(cond, []string{"a", "b"}, 0.1), true, "2 class names for a model of 3 classes"},
		"a name given twice":          {spec(cond, []string{"a", "a", "b"}, 0.1), true, `class name "a" is given to both label 0 and label 1`},
		"p_uncond 1":                  {spec(DefaultMLPConfig(), nil, 1), false, "p_uncond 1"},
		"classes, trained without":    {spec(cond, []string{"a", "b", "c"}, 0.1), false, "says a model of 3 classes, and the run is not class-conditional"},
	} {
		cfg, data, model := base, ds, MLPModel(DefaultMLPConfig())
		cfg.Meta = c.meta
		if c.cond {
			cfg.Conditional, cfg.PUncond, data, model = MLPConditional(cond), 0.1, labelled, MLPModel(cond)
		}
		if _, err := Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 20), model, data, cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, c.want)
		}
	}
	// And without a description: a network with classes trained without labels learns "no label" alone.
	if _, err := Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 20), MLPModel(cond), ds, base); err == nil ||
		!strings.Contains(err.Error(), "the network has a table of 3 class labels, and the run gives no Conditional model") {
		t.Errorf("a network of 3 classes trained without labels: %v", err)
	}
}

// The checkpoint a context continues is the file it saved or resumed, by identity: a folder renamed
// goes on, a file saved over it by hand or a hand LoadCheckpoint of another run does not (both were
// continued in the first run's folder; fifty-fifth probe). A context left with NaN weights by a failed
// step is refused, and is never saved: it went on from them at each retry, and a retry with fewer Steps
// saved them over the last good checkpoint.
func TestTrainContinuesOnlyTheFileItSaved(t *testing.T) {
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	sched, model := MustNewSchedule(ScheduleLinear, 20), MLPModel(DefaultMLPConfig())
	run := func(ctx *context.Context, steps int, dir string, seed uint64) (*TrainResult, error) {
		cfg := quickTrainConfig(steps, dir)
		cfg.Seed = seed
		d := *ds
		d.Seed = seed
		return Train(backend, ctx, sched, model, &d, cfg)
	}
	a, b, base := context.New(), context.New(), t.TempDir()
	f, g := filepath.Join(base, "f"), filepath.Join(base, "g")
	for _, c := range []struct {
		ctx  *context.Context
		dir  string
		seed uint64
	}{{a, f, 3}, {b, g, 4}} {
		if _, err := run(c.ctx, 3, c.dir, c.seed); err != nil {
			t.Fatal(err)
		}
	}
	moved := filepath.Join(base, "f-moved")
	if err := os.Rename(f, moved); err != nil {
		t.Fatal(err)
	}
	if res, err := run(a, 6, moved, 3); err != nil || res.StartStep != 3 || res.Step != 6 {
		t.Errorf("going on in its folder, renamed: %+v, %v", res, err)
	}
	other := "holds another state"
	if _, err := (Checkpointer{Dir: moved, Keep: 3}).Save(b, 6, nil); err != nil { // run B's state over A's newest
		t.Fatal(err)
	}
	if _, err := run(a, 9, moved, 3); err == nil || !strings.Contains(err.Error(), other) {
		t.Errorf("its newest checkpoint saved over by another run's: %v", err)
	}
	c := context.New()
	if _, err := run(c, 3, filepath.Join(base, "h"), 3); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheckpoint(filepath.Join(g, "ckpt-000000003.ddpm"), c, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := run(c, 6, filepath.Join(base, "h"), 3); err == nil || !strings.Contains(err.Error(), other) {
		t.Errorf("another run's checkpoint loaded by hand, then its own folder: %v", err)
	}

	// A step whose loss is not finite leaves the context so: refused, and never saved.
	poisoned, dir := context.New(), t.TempDir()
	if _, err := run(poisoned, 3, dir, 3); err != nil {
		t.Fatal(err)
	}
	for v := range poisoned.IterVariables() {
		if v.Trainable {
			value := tensors.FromShape(v.Shape())
			tensors.MutableFlatData(value, func(flat []float32) { flat[0] = float32(math.NaN()) })
			if err := v.SetValue(value); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if _, err := run(poisoned, 2, dir, 3); err == nil || !strings.Contains(err.Error(), "holds a value that is not finite") {
		t.Errorf("a context of NaN weights: %v", err)
	}
	if _, err := (Checkpointer{Dir: dir, Keep: 1}).Save(poisoned, 4, nil); err == nil || !strings.Contains(err.Error(), "not finite: nothing is written") {
		t.Errorf("a save of NaN weights: %v", err)
	}
	if got, _ := LatestCheckpoint(dir); filepath.Base(got) != "ckpt-000000003.ddpm" {
		t.Errorf("after the refusals, the newest checkpoint is %s", got)
	}
}

// An export (weights only) loaded into a context that a run trained is refused, the context left as it
// was: it left that run's EMA, Adam's moments and step beside the export's weights, and EMAContext
// sampled the old run's model while Train went on from the mix (fifty-sixth probe). A fresh context
// takes it, and a trained context takes a checkpoint of its own run's variables.
func TestLoadCheckpointRefusesToMixTwoStates(t *testing.T) {
	base := t.TempDir()
	cfg := quickTrainConfig(3, filepath.Join(base, "a"))
	ctx := context.New()
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(backend, ctx, MustNewSchedule(ScheduleLinear, 20), MLPModel(DefaultMLPConfig()), ds, cfg); err != nil {
		t.Fatal(err)
	}
	ema, err := EMAContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(base, "export.ddpm")
	if err := WriteCheckpoint(export, ema, 300, nil, nil); err != nil {
		t.Fatal(err)
	}
	before := ContextWeights(ctx)
	if _, err := LoadCheckpoint(export, ctx, nil); err == nil || !strings.Contains(err.Error(), "load it into a fresh context") {
		t.Errorf("an export loaded into a trained context: %v, want a refusal", err)
	}
	if after := ContextWeights(ctx); len(after) != len(before) || trainedSteps(ctx) != 3 {
		t.Errorf("the refused load changed the context: %d variables (was %d), step %d", len(after), len(before), trainedSteps(ctx))
	}
	if step, err := LoadCheckpoint(export, context.New(), nil); err != nil || step != 300 {
		t.Errorf("the export into a fresh context: step %d, %v", step, err)
	}
	if step, err := LoadCheckpoint(filepath.Join(base, "a", "ckpt-000000003.ddpm"), ctx, nil); err != nil || step != 3 {
		t.Errorf("its own run's checkpoint into the trained context: step %d, %v", step, err)
	}
}
