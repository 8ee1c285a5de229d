package ddpm

import (
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
	cfg.Meta = RunSpec{Model: ModelMLP, MLP: &mlp, Schedule: ScheduleLinear, T: 20, Dims: []int{2}, BatchSize: 4, Steps: 3}
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
		{"text", []byte("hello, world: a text file of some length\n"), "not a ddpm-go checkpoint"},
		{"cut in the prefix", []byte("DDPM-GO"), "truncated at offset 7, in its first line"},
		{"cut before the format", []byte("DDPM-GO-CHECKPOINT-"), "truncated at offset 19"},
		{"cut before the newline", []byte("DDPM-GO-CHECKPOINT-2"), "truncated at offset 20"},
		{"copied as text", append([]byte("DDPM-GO-CHECKPOINT-2\r\n"), rest...), `ends in "\r\n"`},
		{"format 3", append([]byte("DDPM-GO-CHECKPOINT-3\n"), rest...), "format 3, and this ddpm reads formats 1 and 2: it was written by a newer version"},
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
