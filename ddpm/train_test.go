package ddpm

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// tinyUNet is small enough to train for a few steps in a test.
func tinyUNet() UNetConfig {
	return UNetConfig{ImageSize: 8, Channels: 1, BaseChannels: 8, ChannelMult: []int{1, 2}, NumResBlocks: 1,
		AttnResolutions: []int{4}, Dropout: 0, MaxGroups: 4}
}

func tinyImages(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*8*8)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return x
}

// datasetMaker returns a function that makes the same fresh dataset each time (a run resumed from a
// checkpoint needs its own, positioned by Train).
func datasetMaker(t *testing.T, name string, data []float32, dims []int, batch int, seed uint64) func() *ArrayDataset {
	t.Helper()
	return func() *ArrayDataset {
		ds, err := NewArrayDataset(name, data, dims, batch, seed)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
}

func quickTrainConfig(steps int, dir string) TrainConfig {
	return TrainConfig{Steps: steps, Seed: 3, CheckpointDir: dir, Optimizer: OptimizerConfig{LearningRate: 1e-3, WarmupSteps: 2, ClipNorm: 1, EMADecay: 0.999}}
}

// trainPoints trains the default MLP for cfg on eight 2-D points at the origin, T = 20: the cheapest
// run, for tests of what Train does with its folder.
func trainPoints(t *testing.T, cfg TrainConfig) (*TrainResult, error) {
	t.Helper()
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 20), MLPModel(DefaultMLPConfig()), ds, cfg)
}

// trainTinyImages trains the tiny U-Net for cfg on four 8×8 images, T = 20: the cheapest run that draws
// sample grids.
func trainTinyImages(t *testing.T, cfg TrainConfig) (*TrainResult, error) {
	t.Helper()
	ds, err := NewArrayDataset("four images", tinyImages(4, 1), []int{8, 8, 1}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	return Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 20), UNetModel(tinyUNet()), ds, cfg)
}

func TestOverfitDrivesLossDown(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 100)
	ds, err := NewArrayDataset("four images", tinyImages(4, 1), []int{8, 8, 1}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	cfg := quickTrainConfig(150, "")
	cfg.OnStep = func(_ int, loss float64) { losses = append(losses, loss) }
	if _, err := Train(backend, context.New(), sched, UNetModel(tinyUNet()), ds, cfg); err != nil {
		t.Fatal(err)
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	first, last := mean(losses[:10]), mean(losses[len(losses)-20:])
	t.Logf("L_simple: first 10 steps %.4f, last 20 steps %.4f", first, last)
	if math.Abs(first-1) > 0.3 {
		t.Errorf("initial loss %.3f, want ≈ 1 (the U-Net's output is zero at initialisation, ε has unit variance)", first)
	}
	if !(last < 0.5*first) {
		t.Errorf("loss went from %.4f to %.4f: training does not fit four images", first, last)
	}
}

func variableValues(t *testing.T, ctx *context.Context) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range ctx.IterVariables() {
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if value.DType().String() == "Float32" && !strings.HasPrefix(v.Scope(), metricsScope) {
			out[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](value)
		}
	}
	return out
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 100)
	images := tinyImages(16, 2)
	newDS := datasetMaker(t, "sixteen images", images, []int{8, 8, 1}, 4, 5)
	model := UNetModel(tinyUNet())

	whole := context.New()
	if _, err := Train(backend, whole, sched, model, newDS(), quickTrainConfig(7, t.TempDir())); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Train(backend, context.New(), sched, model, newDS(), quickTrainConfig(3, dir)); err != nil {
		t.Fatal(err)
	}
	resumed := context.New()
	res, err := Train(backend, resumed, sched, model, newDS(), quickTrainConfig(7, dir))
	if err != nil {
		t.Fatal(err)
	}
	if res.StartStep != 3 || res.Step != 7 {
		t.Fatalf("resumed run went from step %d to %d, want 3 to 7", res.StartStep, res.Step)
	}
	sameValues(t, "resumed", variableValues(t, whole), variableValues(t, resumed))

	// Continued in the same context, with no checkpoints: its generator goes on, where it was reset
	// from Seed and drew the first steps' t and ε again (fiftieth probe).
	continued := context.New()
	for _, steps := range []int{3, 7} {
		if _, err := Train(backend, continued, sched, model, newDS(), quickTrainConfig(steps, "")); err != nil {
			t.Fatal(err)
		}
	}
	sameValues(t, "continued in-process", variableValues(t, whole), variableValues(t, continued))
}

// sameValues fails unless b holds a's variables with a's values (to float32 rounding).
func sameValues(t *testing.T, what string, a, b map[string][]float32) {
	t.Helper()
	if len(a) != len(b) || len(a) < 10 {
		t.Fatalf("%d variables after the whole run, %d %s", len(a), len(b), what)
	}
	for name, va := range a {
		vb, ok := b[name]
		if !ok {
			t.Fatalf("variable %s missing, %s", name, what)
		}
		for i := range va {
			if math.Abs(float64(va[i]-vb[i])) > 1e-5*(1+math.Abs(float64(va[i]))) {
				t.Fatalf("variable %s[%d]: %g uninterrupted, %g %s", name, i, va[i], vb[i], what)
			}
		}
	}
}

// poisonModel is an MLP whose output is multiplied by a non-trainable variable: setting it to 3e30 makes
// the next loss overflow float32 (a NaN there could no longer be saved in the checkpoint of its step).
func poisonModel() EpsModel {
	mlp := MLPModel(MLPConfig{Dim: 2, Hidden: 8, Layers: 1, TimeEmbed: 4})
	return func(ctx *context.Context, xt, t *Node) *Node {
		poison := ctx.In("poison").VariableWithValue("factor", float32(1)).SetTrainable(false)
		return Mul(mlp(ctx, xt, t), poison.ValueGraph(xt.Graph()))
	}
}

func TestNaNLossStopsAndKeepsLastGoodCheckpoint(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 100)
	ds, err := NewArrayDataset("points", tinyImages(8, 3)[:16], []int{2}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	dir := t.TempDir()
	cfg := quickTrainConfig(10, dir)
	cfg.CheckpointEvery = time.Nanosecond // a checkpoint after every step
	cfg.OnStep = func(step int, _ float64) {
		if step == 2 {
			v := ctx.GetVariableByScopeAndName("/poison", "factor")
			if err := v.SetValue(tensors.FromScalar(float32(3e30))); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err = Train(backend, ctx, sched, poisonModel(), ds, cfg)
	if err == nil || !strings.Contains(err.Error(), "at step 3") || !strings.Contains(err.Error(), "ckpt-000000002") {
		t.Fatalf("error %v, want one that says the loss became no number at step 3 and names the last good checkpoint", err)
	}
	latest, _ := LatestCheckpoint(dir)
	if filepath.Base(latest) != "ckpt-000000002.ddpm" {
		t.Errorf("latest checkpoint %s, want the one of step 2", latest)
	}
}

func TestStopSavesCheckpoint(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 100)
	ds, _ := NewArrayDataset("points", tinyImages(8, 3)[:16], []int{2}, 4, 1)
	dir := t.TempDir()
	cfg := quickTrainConfig(100, dir)
	calls := 0
	cfg.Stop = func() bool { calls++; return calls == 5 } // before the first step, then after steps 1 to 4
	res, err := Train(backend, context.New(), sched, MLPModel(MLPConfig{Dim: 2, Hidden: 8, Layers: 1, TimeEmbed: 4}), ds, cfg)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("error %v, want ErrStopped", err)
	}
	if res.Step != 4 || filepath.Base(res.Checkpoint) != "ckpt-000000004.ddpm" {
		t.Errorf("stopped at step %d with checkpoint %q, want step 4 and ckpt-000000004.ddpm", res.Step, res.Checkpoint)
	}
	// Asked before the first step, it stops there: nothing trained, nothing saved. It compiled and
	// trained a step first, 8 to 15 s (eighteenth and nineteenth probes).
	fresh := t.TempDir()
	cfg = quickTrainConfig(100, fresh)
	cfg.Stop = func() bool { return true }
	res, err = Train(backend, context.New(), sched, MLPModel(MLPConfig{Dim: 2, Hidden: 8, Layers: 1, TimeEmbed: 4}), ds, cfg)
	if !errors.Is(err, ErrStopped) || res.Step != 0 || res.Checkpoint != "" {
		t.Errorf("stopped before the first step: error %v, step %d, checkpoint %q; want ErrStopped at step 0 and none", err, res.Step, res.Checkpoint)
	}
	if written, _ := filepath.Glob(filepath.Join(fresh, "*.ddpm")); len(written) != 0 {
		t.Errorf("stopped before the first step, it wrote %v", written)
	}
}

// A stop asked for while a sample grid is drawn ends the grid at its next step, and the run is saved
// at once: a Ctrl-C waited for the whole grid, 17 s on a tiny network (fourteenth probe).
func TestStopEndsASampleGrid(t *testing.T) {
	dir := t.TempDir()
	cfg := quickTrainConfig(100, dir)
	cfg.SampleEvery, cfg.SampleN, cfg.SampleDims = 2, 4, []int{8, 8, 1}
	calls := 0
	cfg.Stop = func() bool { calls++; return calls == 6 } // before step 1, step 1, step 2 before its grid, then the grid's t = 20, 19, 18
	res, err := trainTinyImages(t, cfg)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("error %v, want ErrStopped", err)
	}
	if res.Step != 2 || filepath.Base(res.Checkpoint) != "ckpt-000000002.ddpm" || calls != 6 {
		t.Errorf("stopped at step %d with checkpoint %q after %d questions, want step 2, its checkpoint and 6", res.Step, res.Checkpoint, calls)
	}
	if grids, _ := filepath.Glob(filepath.Join(dir, "samples", "*.png")); len(grids) != 0 {
		t.Errorf("the abandoned grid was written: %v", grids)
	}
}

// A run stopped in a grid before its last step draws that grid when it resumes: the resumed run went
// on from the saved step, and the grid of that step was lost for good (thirty-fourth probe).
func TestAResumedRunDrawsTheGridItWasStoppedIn(t *testing.T) {
	dir := t.TempDir()
	cfg := quickTrainConfig(4, dir)
	cfg.SampleEvery, cfg.SampleN, cfg.SampleDims = 2, 4, []int{8, 8, 1}
	calls := 0
	cfg.Stop = func() bool { calls++; return calls == 5 } // before step 1, step 1, step 2 before its grid, then the grid's t = 20, 19
	if _, err := trainTinyImages(t, cfg); !errors.Is(err, ErrStopped) {
		t.Fatalf("error %v, want ErrStopped", err)
	}
	grid := func(step int) string { return filepath.Join(dir, "samples", gridName(step)) }
	if _, err := os.Stat(grid(2)); err == nil {
		t.Fatal("the grid stopped in was written")
	}
	cfg.Stop = nil
	var drawn []int
	cfg.OnSamples = func(step int, _ string) { drawn = append(drawn, step) }
	if _, err := trainTinyImages(t, cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(drawn, []int{2, 4}) {
		t.Errorf("grids drawn on resuming: %v, want steps 2 and 4", drawn)
	}
	for _, step := range []int{2, 4} {
		if _, err := os.Stat(grid(step)); err != nil {
			t.Errorf("the grid of step %d: %v", step, err)
		}
	}
}

// Stopped in the last step's grid, the run has trained and saved every step: its result says so, for
// the command to tell it apart from a stop before the last step (it said "before the last step", and
// the rerun had nothing to train; twenty-seventh probe).
func TestStopInTheLastStepsGrid(t *testing.T) {
	dir := t.TempDir()
	cfg := quickTrainConfig(2, dir)
	cfg.SampleEvery, cfg.SampleN, cfg.SampleDims = 2, 4, []int{8, 8, 1}
	calls := 0
	cfg.Stop = func() bool { calls++; return calls == 5 } // before step 1, step 1, step 2 before its grid, then the grid's t = 20, 19
	res, err := trainTinyImages(t, cfg)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("error %v, want ErrStopped", err)
	}
	if res.Step != cfg.Steps || filepath.Base(res.Checkpoint) != "ckpt-000000002.ddpm" {
		t.Errorf("stopped in the last grid at step %d with checkpoint %q, want step %d and its checkpoint", res.Step, res.Checkpoint, cfg.Steps)
	}
}

// A run removes what a killed run's grid left in its samples/ folder (it stayed for good; twenty-seventh
// probe), and nothing else there.
func TestTrainRemovesKilledGridWrites(t *testing.T) {
	dir := t.TempDir()
	grids := filepath.Join(dir, "samples")
	if err := os.Mkdir(grids, 0o755); err != nil {
		t.Fatal(err)
	}
	left, mine := filepath.Join(grids, ".step-000000010.png.tmp-1466024913"), filepath.Join(grids, ".step-best.png.tmp-1")
	for _, f := range []string{left, mine} {
		if err := os.WriteFile(f, []byte("part"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := trainPoints(t, quickTrainConfig(1, dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(left); !os.IsNotExist(err) {
		t.Errorf("training left %s (%v)", left, err)
	}
	if _, err := os.Lstat(mine); err != nil {
		t.Errorf("training removed %s, not a grid's: %v", mine, err)
	}
}

// Train refuses a checkpoint folder whose file system cannot hold the next checkpoint before it trains
// a step: a full disk was found at the first save, with the training since the start lost
// (twenty-seventh probe). The estimate of a checkpoint's size holds: each weight four times as float32
// (weights, EMA, Adam's two moments), and a header of kilobytes.
func TestTrainChecksTheRoomForACheckpoint(t *testing.T) {
	dir := t.TempDir()
	res, err := trainPoints(t, quickTrainConfig(1, dir))
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(res.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NetworkWeights(MLPModel(DefaultMLPConfig()), nil, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	values := 0
	for _, s := range w {
		values += s.Size()
	}
	// Within 32 KiB above: a flat megabyte for the header refused a 2-D run whose 600 KB checkpoint
	// fitted (twenty-eighth probe).
	size, estimate := float64(info.Size()), checkpointBytes(w, nil)
	if values < 20000 || size < 16*float64(values) || estimate < size || estimate > size+32<<10 {
		t.Errorf("a checkpoint of %d weights takes %.0f bytes; estimated %.0f", values, size, estimate)
	}
	t.Logf("a checkpoint of %d weights takes %.0f bytes; estimated %.0f", values, size, estimate)
	defer func(f func(string) (float64, error)) { FreeSpace = f }(FreeSpace)
	// A new run of two steps saves twice, and keeps both: room for one and a half is refused, by the
	// library as by the command (the library checked for one; ninety-ninth probe). A run one step from
	// its last saves once.
	for _, c := range []struct {
		dir, want string
		free      float64
	}{
		{t.TempDir(), " (room for 2 checkpoints at once: a run keeps 3, writes the next before it removes the oldest, and saves at most once a step): its file system has", 1.5 * estimate},
		{dir, ": its file system has", size - 1},
	} {
		FreeSpace = func(string) (float64, error) { return c.free, nil }
		_, err := trainPoints(t, quickTrainConfig(2, c.dir))
		if err == nil || !strings.Contains(err.Error(), "checkpoint folder "+c.dir+c.want) {
			t.Errorf("%.0f bytes free: error %v", c.free, err)
		}
		if latest, _ := LatestCheckpoint(c.dir); latest != "" && latest != res.Checkpoint {
			t.Errorf("%.0f bytes free: %s was written", c.free, latest)
		}
	}
	// Bytes to spare and no file to make them in: found at the first save that needed a second
	// checkpoint, with the training since lost (forty-fourth probe).
	FreeSpace = func(string) (float64, error) { return 1 << 40, nil }
	defer func(f func(string) (float64, bool)) { FreeFiles = f }(FreeFiles)
	FreeFiles = func(string) (float64, bool) { return 1, true }
	if _, err := trainPoints(t, quickTrainConfig(2, t.TempDir())); err == nil || !strings.Contains(err.Error(), "can make 1 more files (inodes)") {
		t.Errorf("one file free: error %v, want a refusal", err)
	}
	FreeFiles = func(string) (float64, bool) { return 0, false } // btrfs: not said
	if _, err := trainPoints(t, quickTrainConfig(2, t.TempDir())); err != nil {
		t.Errorf("files left not said: %v", err)
	}
}

// Train counts the sample grid, written before the checkpoint of its step, in the room it checks: the
// grid took the room that the checkpoint had been found (twenty-ninth probe, where the command alone
// counted it).
func TestTrainCountsTheGridInItsRoom(t *testing.T) {
	ds, err := NewArrayDataset("four images", tinyImages(4, 1), []int{8, 8, 1}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	model := UNetModel(tinyUNet())
	w, err := NetworkWeights(model, nil, []int{8, 8, 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := quickTrainConfig(1, dir)
	cfg.SampleEvery, cfg.SampleN, cfg.SampleDims = 1, 4, []int{8, 8, 1}
	checkpoint, grid := checkpointBytes(w, []byte("null")), TrainingGridBytes(1, 4, []int{8, 8, 1})
	if grid != ImageGridPNGBound(4, []int{8, 8, 1}, 0) || grid <= 0 {
		t.Fatalf("the grid's bound is %.0f bytes, want ImageGridPNGBound's", grid)
	}
	defer func(f func(string) (float64, error)) { FreeSpace = f }(FreeSpace)
	FreeSpace = func(string) (float64, error) { return checkpoint + grid/2, nil }
	_, err = Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 20), model, ds, cfg)
	if err == nil || !strings.Contains(err.Error(), "checkpoint folder "+dir+" (room for a checkpoint and a sample grid): its file system has") {
		t.Errorf("room for the checkpoint and half the grid: error %v, want a refusal", err)
	}
	if written, _ := filepath.Glob(filepath.Join(dir, "*.ddpm")); len(written) != 0 {
		t.Errorf("refused, it wrote %v", written)
	}
	for _, none := range []struct {
		every int
		dims  []int
	}{{0, []int{8, 8, 1}}, {5, []int{2}}} { // no grids; points, which have none
		if b := TrainingGridBytes(none.every, 4, none.dims); b != 0 {
			t.Errorf("grids every %d steps of shape %v: %.0f bytes, want none", none.every, none.dims, b)
		}
	}
}

// Another run's grid folder bind-mounted at samples/ is refused, and its files are not taken for this
// run's killed writes: its grids were overwritten through the mount (twenty-eighth probe).
func TestGridFolderRefusesAMount(t *testing.T) {
	ckpt, other := t.TempDir(), t.TempDir()
	grids := filepath.Join(ckpt, "samples")
	if err := os.Mkdir(grids, 0o755); err != nil {
		t.Fatal(err)
	}
	inFlight := filepath.Join(other, ".step-000000010.png.tmp-12")
	if err := os.WriteFile(inFlight, []byte("the other run's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(other, grids, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount a folder here (%v)", err)
	}
	defer syscall.Unmount(grids, 0)
	if _, err := GridFolder(ckpt); err == nil || !strings.Contains(err.Error(), "is a mount point") {
		t.Errorf("another folder mounted at samples/: error %v, want a refusal", err)
	}
	if _, err := trainPoints(t, quickTrainConfig(1, ckpt)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(inFlight); err != nil {
		t.Errorf("training removed the mounted folder's %s: %v", inFlight, err)
	}
}

// Train asks GoMLX's loop for at most maxLoopSteps steps at a time, which allocates for each: --steps
// 4·10⁹ died of a fatal out-of-memory, the largest int of a makeslice panic (thirtieth probe). A run
// in pieces ends bit for bit where one in a single piece does.
func TestTrainAsksTheLoopForBoundedRuns(t *testing.T) {
	whole, pieces := t.TempDir(), t.TempDir()
	if _, err := trainPoints(t, quickTrainConfig(5, whole)); err != nil {
		t.Fatal(err)
	}
	defer func(n int) { maxLoopSteps = n }(maxLoopSteps)
	maxLoopSteps = 2
	if _, err := trainPoints(t, quickTrainConfig(5, pieces)); err != nil {
		t.Fatal(err)
	}
	a, errA := os.ReadFile(filepath.Join(whole, "ckpt-000000005.ddpm"))
	b, errB := os.ReadFile(filepath.Join(pieces, "ckpt-000000005.ddpm"))
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("5 steps in pieces of 2 differ from 5 at once (%v, %v)", errA, errB)
	}
	maxLoopSteps = 1 << 20
	cfg := quickTrainConfig(math.MaxInt, t.TempDir())
	polls := 0
	cfg.Stop = func() bool { polls++; return polls == 4 }
	res, err := trainPoints(t, cfg)
	if !errors.Is(err, ErrStopped) || res.Step != 3 {
		t.Errorf("--steps of the largest int, stopped after 3: step %v, error %v", res, err)
	}
}

func TestClipByGlobalNorm(t *testing.T) {
	out := MustExecOnceN(backend, func(a, b *Node) []*Node { return ClipByGlobalNorm([]*Node{a, b}, 1) },
		[]float32{3, 0}, []float32{0, 4}) // global norm 5
	a, b := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	if math.Abs(float64(a[0])-0.6) > 1e-6 || math.Abs(float64(b[1])-0.8) > 1e-6 {
		t.Errorf("clipped to %v, %v; want [0.6 0] [0 0.8]", a, b)
	}
	out = MustExecOnceN(backend, func(a *Node) []*Node { return ClipByGlobalNorm([]*Node{a}, 1) }, []float32{0.3, 0.4})
	if got := tensors.MustCopyFlatData[float32](out[0]); got[0] != 0.3 || got[1] != 0.4 {
		t.Errorf("a gradient of norm 0.5 was changed to %v", got)
	}
}

// The sample grids written during training: one per SampleEvery steps, each drawn with the EMA
// weights of its step. The sampler is compiled once and its weights refreshed: the last grid must
// equal one drawn afterwards by a sampler built afresh from the final EMA weights (same seed), and
// differ from the first (the weights moved).
func TestTrainingGridsUseTheCurrentEMAWeights(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 20)
	ds, err := NewArrayDataset("four images", tinyImages(4, 1), []int{8, 8, 1}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := quickTrainConfig(30, dir)
	cfg.SampleEvery, cfg.SampleN, cfg.SampleDims = 15, 4, []int{8, 8, 1}
	var grids []string
	cfg.OnSamples = func(_ int, path string) { grids = append(grids, path) }
	ctx := context.New()
	model := UNetModel(tinyUNet())
	if _, err := Train(backend, ctx, sched, model, ds, cfg); err != nil {
		t.Fatal(err)
	}
	if len(grids) != 2 || filepath.Base(grids[1]) != "step-000000030.png" {
		t.Fatalf("grids written: %v, want steps 15 and 30", grids)
	}
	emaCtx, err := EMAContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sampler, err := NewSampler(backend, emaCtx, sched, model, SamplerConfig{Variance: VarianceBeta, ClipX0: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sampler.Sample(SampleOptions{N: cfg.SampleN, Dims: cfg.SampleDims, Seed: cfg.Seed})
	if err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.png")
	if err := WriteImageGridPNG(fresh, res.X0, cfg.SampleN, cfg.SampleDims, 0); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if read(grids[1]) != read(fresh) {
		t.Errorf("the grid of step 30 differs from a fresh sampler's with the final EMA weights")
	}
	if read(grids[0]) == read(grids[1]) {
		t.Errorf("the grids of steps 15 and 30 are identical: the second did not use the updated weights")
	}
}

// A sample grid that cannot be written (its folder replaced by a file mid-run) stops training with a
// checkpoint of that very step saved and an error that says so, in the project's words rather than
// GoMLX's loop internals (issue 32's fifth probe: the steps since the last save were lost).
func TestAFailedGridSavesTheTrainingFirst(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 20)
	ds, err := NewArrayDataset("four images", tinyImages(4, 1), []int{8, 8, 1}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := quickTrainConfig(30, dir)
	cfg.CheckpointEvery = time.Hour // only the final save, or the one the failure makes
	cfg.SampleEvery, cfg.SampleN, cfg.SampleDims = 5, 4, []int{8, 8, 1}
	cfg.OnSamples = func(int, string) { // the folder of the grids becomes a file
		samples := filepath.Join(dir, "samples")
		os.RemoveAll(samples)
		os.WriteFile(samples, []byte("in the way"), 0o644) //nolint:errcheck
	}
	_, err = Train(backend, context.New(), sched, UNetModel(tinyUNet()), ds, cfg)
	if !errors.Is(err, ErrSampleGrid) || !strings.Contains(err.Error(), "of step 10") || strings.Contains(err.Error(), "LoopStep") {
		t.Errorf("a grid that cannot be written: error %v, want ErrSampleGrid at step 10 without GoMLX's loop internals", err)
	}
	if latest, _ := LatestCheckpoint(dir); filepath.Base(latest) != "ckpt-000000010.ddpm" {
		t.Errorf("newest checkpoint after the failed grid: %q, want that of step 10", latest)
	}
}

// When removing an old checkpoint fails after a new one was written, the result names the new one,
// which exists (it named the previous one; issue 32's sixth probe).
func TestAFailedPruneReportsTheCheckpointWritten(t *testing.T) {
	dir := t.TempDir()
	if _, err := trainPoints(t, quickTrainConfig(2, dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "ckpt-000000001.ddpm", "x"), 0o755); err != nil { // cannot be removed
		t.Fatal(err)
	}
	cfg := quickTrainConfig(4, dir)
	cfg.KeepCheckpoints = 1
	res, err := trainPoints(t, cfg)
	if err == nil || res == nil || filepath.Base(res.Checkpoint) != "ckpt-000000004.ddpm" {
		t.Errorf("a prune that fails: error %v, checkpoint %v; want an error and ckpt-000000004.ddpm", err, res)
	}
}

// An old checkpoint removed by someone else between the listing and the prune is pruned, and training
// goes on: it stopped the run (thirty-third probe, with a script that archived old checkpoints).
func TestAPruneOfACheckpointAlreadyGoneGoesOn(t *testing.T) {
	defer func(f func(string) error) { removeCheckpoint = f }(removeCheckpoint)
	removeCheckpoint = func(path string) error {
		os.Remove(path) // another process's, just before
		return os.Remove(path)
	}
	dir := t.TempDir()
	cfg := quickTrainConfig(6, dir)
	cfg.KeepCheckpoints, cfg.CheckpointEvery = 1, time.Nanosecond
	res, err := trainPoints(t, cfg)
	if err != nil || res.Step != 6 || filepath.Base(res.Checkpoint) != "ckpt-000000006.ddpm" {
		t.Errorf("old checkpoints gone before their prune: error %v, result %+v; want step 6 trained and saved", err, res)
	}
}

// A checkpoint folder moved while training runs is not made again at its old path, unlocked, for the
// next save: another run could then take it and both would write there (seventh probe: two runs
// resumed and pruned in one folder). The save is refused, naming the folder.
func TestTrainStopsWhenItsFolderIsMoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	moved := dir + "-moved"
	cfg := quickTrainConfig(4, dir)
	cfg.OnStep = func(step int, _ float64) {
		if step == 2 {
			if err := os.Rename(dir, moved); err != nil {
				t.Error(err)
			}
		}
	}
	_, err := trainPoints(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "step 4 not saved") || !strings.Contains(err.Error(), dir+" was moved or removed") {
		t.Errorf("a folder moved mid-run: error %v, want the save of step 4 refused, naming %s", err, dir)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s was made again after it was moved: %v", dir, err)
	}
}

// A resumed run's training state must be the one its header describes: the loop's and Adam's steps
// equal to the header's, and nothing (Adam's moments, the random generator's state) missing for the
// first step to make afresh. Each edit below, written back with valid CRCs, passed before: a step of
// −1 000 000 panicked in the data order, 2^62 trained nothing with exit 0, 5 redid steps silently, an
// Adam step of −5 made the loss NaN, and a missing moment or generator state resumed inexactly, exit 0
// (eighth probe).
func TestTrainRefusesAnEditedTrainingState(t *testing.T) {
	src := t.TempDir()
	if _, err := trainPoints(t, quickTrainConfig(3, src)); err != nil {
		t.Fatal(err)
	}
	saved, err := LatestCheckpoint(src)
	if err != nil {
		t.Fatal(err)
	}
	setTrainable := func(scope, name string, on bool) func(ctx *context.Context) {
		return func(ctx *context.Context) { ctx.GetVariableByScopeAndName(scope, name).SetTrainable(on) }
	}
	setStep := func(scope string, v int64) func(ctx *context.Context) {
		return func(ctx *context.Context) {
			ctx.GetVariableByScopeAndName(scope, "global_step").MustSetValue(tensors.FromValue(v))
		}
	}
	for _, c := range []struct {
		name string
		edit func(ctx *context.Context)
		drop string // a variable left out of the file
		want string
	}{
		{"loop step -1000000", setStep("/", -1000000), "", "its training state says step -1000000 (/global_step), its header step 3"},
		{"loop step 2^62", setStep("/", 1<<62), "", "says step 4611686018427387904"},
		{"loop step 5", setStep("/", 5), "", "says step 5"},
		{"Adam's step -5", setStep("/AdamOptimizer", -5), "", "says step -5 (/AdamOptimizer/global_step)"},
		{"no loop step", nil, "/global_step", "has no /global_step"},
		{"a moment missing", nil, "/AdamOptimizer/mlp/out/dense/weights_1st_moment", "lacks part of the training state (/AdamOptimizer/mlp/out/dense/weights_1st_moment)"},
		{"no generator state", nil, "/#rngState", "lacks part of the training state (/#rngState)"},
		// Edited trainable flags froze a layer silently, and junk variables were carried into every
		// later checkpoint (fourteenth probe).
		{"a frozen weight", setTrainable("/mlp/out/dense", "weights", false), "", "/mlp/out/dense/weights is a weight of the network, marked not trainable"},
		{"a trainable moment", setTrainable("/AdamOptimizer/mlp/out/dense", "weights_1st_moment", true), "", "marked trainable"},
		{"a junk variable", func(ctx *context.Context) { ctx.In("junk").VariableWithValue("x", []float32{1}).SetTrainable(false) }, "",
			"/junk/x, which belongs to no part of a training run"},
		{"a junk root variable", func(ctx *context.Context) { ctx.VariableWithValue("x", []float32{1}).SetTrainable(false) }, "",
			"/x, which belongs to no part"},
		// Under the EMA's and Adam's scopes, and a state of another shape, which failed inside GoMLX
		// without the file's name (fifteenth probe).
		{"junk under the EMA", func(ctx *context.Context) {
			ctx.In("ema").In("junk").VariableWithValue("x", []float32{1}).SetTrainable(false)
		}, "",
			"/ema/junk/x, which belongs to no part"},
		{"junk under Adam", func(ctx *context.Context) {
			ctx.In("AdamOptimizer").In("junk").VariableWithValue("x", []float32{1}).SetTrainable(false)
		}, "", "/AdamOptimizer/junk/x, which belongs to no part"},
		// Values no run saves: a NaN EMA was resumed, exit 0; a negative second moment made the loss NaN at
		// once, blamed on the learning rate with the damaged file called the last good one (sixteenth probe).
		{"a NaN EMA", func(ctx *context.Context) { setFirst(t, ctx, "/ema/mlp/out/dense", "weights", float32(math.NaN())) }, "",
			"variable /ema/mlp/out/dense/weights: holds NaN (value 0)"},
		{"an infinite moment", func(ctx *context.Context) {
			setFirst(t, ctx, "/AdamOptimizer/mlp/out/dense", "weights_1st_moment", float32(math.Inf(1)))
		}, "", "weights_1st_moment: holds +Inf"},
		{"a negative second moment", func(ctx *context.Context) {
			setFirst(t, ctx, "/AdamOptimizer/mlp/out/dense", "weights_2nd_moment", -1)
		}, "", "Adam's second moment /AdamOptimizer/mlp/out/dense/weights_2nd_moment holds -1 (value 0)"},
		{"a generator state of 4", func(ctx *context.Context) {
			ctx.GetVariableByScopeAndName("/", "#rngState").MustSetValue(tensors.FromValue([]uint64{1, 2, 3, 4}))
		}, "", "/#rngState of shape (Uint64)[4], where a training run's is (Uint64)[3]"},
	} {
		ctx := context.New()
		step, err := LoadCheckpoint(saved, ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.edit != nil {
			c.edit(ctx)
		}
		dir := t.TempDir()
		keep := func(v *context.Variable) bool { return v.ScopeAndName() != c.drop }
		if err := writeCheckpoint(Checkpointer{Dir: dir}.CheckpointPath(step), ctx, step, nil, keep, nil, false); err != nil {
			t.Fatal(err)
		}
		_, err = trainPoints(t, quickTrainConfig(6, dir))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if latest, _ := LatestCheckpoint(dir); filepath.Base(latest) != "ckpt-000000003.ddpm" {
			t.Errorf("%s: a checkpoint was written (%s)", c.name, latest)
		}
	}
}

// The library refuses by error what it cannot use, where the ninth probe found panics or silent
// results: steps outside 1..T, negative example sizes, an infinite learning rate, a nil data set or
// schedule, a negative step count, grids without a folder, and recording or starting at steps that
// are not the chain's.
func TestLibraryRefusesWhatItCannotUse(t *testing.T) {
	for _, c := range []struct{ T, K int }{{1000, -1}, {1000, 0}, {5, 10}, {0, 5}, {math.MaxInt, 2}, {math.MaxInt, 3}} { // MaxInt gave negative steps (forty-third probe)
		if got := EvenSteps(c.T, c.K); got != nil {
			t.Errorf("EvenSteps(%d, %d) = %v, want nil", c.T, c.K, got)
		}
		if got := DPMSolverSteps(c.T, c.K); got != nil {
			t.Errorf("DPMSolverSteps(%d, %d) = %v, want nil", c.T, c.K, got)
		}
	}
	if _, err := NewArrayDataset("negative", make([]float32, 8), []int{-2, -1}, 1, 1); err == nil {
		t.Error("NewArrayDataset with dims {-2, -1}: no error")
	}
	if _, err := NewArrayDataset("nan", []float32{0, 1, float32(math.NaN()), 0}, []int{2}, 1, 1); err == nil || !strings.Contains(err.Error(), "value 2 (example 1) is NaN") {
		t.Errorf("NewArrayDataset of a NaN: %v", err) // trained until the loss was NaN (forty-sixth probe)
	}
	if _, err := NewOptimizer(OptimizerConfig{LearningRate: math.Inf(1)}); err == nil {
		t.Error("NewOptimizer with an infinite learning rate: no error")
	}
	// NaN passed as no clipping and as an EMA decay (forty-third probe).
	for name, c := range map[string]OptimizerConfig{"ClipNorm NaN": {LearningRate: 1e-3, ClipNorm: math.NaN()}, "ClipNorm +Inf": {LearningRate: 1e-3, ClipNorm: math.Inf(1)},
		"EMADecay NaN": {LearningRate: 1e-3, EMADecay: math.NaN()}} {
		if err := c.Validate(); err == nil {
			t.Errorf("OptimizerConfig with %s: no error", name)
		}
	}
	// A step before the first panicked in Batch and Yield; a BatchSize changed after NewArrayDataset
	// divided by zero; more classes than an int32 label holds wrapped (forty-third probe).
	steps, err := NewArrayDataset("steps", make([]float32, 8), []int{2}, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b := steps.Batch(-3); b != nil {
		t.Errorf("Batch(-3) = %v, want nil", b)
	}
	steps.SeekStep(-1)
	if _, _, _, err := steps.Yield(); err == nil || !strings.Contains(err.Error(), "step -1") {
		t.Errorf("Yield at step -1: %v", err)
	}
	steps.SeekStep(0)
	steps.BatchSize = 0
	if _, _, _, err := steps.Yield(); err == nil || !strings.Contains(err.Error(), "batch size 0") {
		t.Errorf("Yield with BatchSize 0: %v", err)
	}
	if err := steps.SetLabels(make([]int, 4), math.MaxInt); err == nil {
		t.Error("SetLabels in MaxInt classes: no error")
	}
	sched := MustNewSchedule(ScheduleLinear, 20)
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	grids := quickTrainConfig(3, "")
	grids.SampleEvery = 1
	for name, run := range map[string]func() (*TrainResult, error){
		"no data set": func() (*TrainResult, error) {
			return Train(backend, context.New(), sched, MLPModel(DefaultMLPConfig()), nil, quickTrainConfig(3, ""))
		},
		"no schedule": func() (*TrainResult, error) {
			return Train(backend, context.New(), nil, MLPModel(DefaultMLPConfig()), ds, quickTrainConfig(3, ""))
		},
		"-5 steps": func() (*TrainResult, error) {
			return Train(backend, context.New(), sched, MLPModel(DefaultMLPConfig()), ds, quickTrainConfig(-5, ""))
		},
		"grids nowhere": func() (*TrainResult, error) {
			return Train(backend, context.New(), sched, MLPModel(DefaultMLPConfig()), ds, grids)
		},
		// Taken silently for one device (forty-third probe's nit).
		"-1 devices": func() (*TrainResult, error) {
			cfg := quickTrainConfig(3, "")
			cfg.Devices = -1
			return Train(backend, context.New(), sched, MLPModel(DefaultMLPConfig()), ds, cfg)
		},
	} {
		if _, err := run(); err == nil {
			t.Errorf("Train with %s: no error", name)
		}
	}
	if _, err := NewSampler(backend, context.New(), nil, MLPModel(DefaultMLPConfig()), SamplerConfig{Variance: VarianceBeta}); err == nil {
		t.Error("NewSampler without a schedule: no error")
	}
	sampler, err := NewSampler(backend, context.New(), sched, MLPModel(DefaultMLPConfig()), SamplerConfig{Variance: VarianceBeta})
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]SampleOptions{
		"dims {-2, -1}":        {N: 1, Dims: []int{-2, -1}},
		"RecordX0At 0":         {N: 1, Dims: []int{2}, RecordX0At: []int{0}},
		"RecordXtAt 21":        {N: 1, Dims: []int{2}, RecordXtAt: []int{21}},
		"StartT without Start": {N: 1, Dims: []int{2}, StartT: 5},
		// Above the start: never reached (thirty-sixth probe's nit).
		"RecordXtAt above StartT": {N: 1, Dims: []int{2}, Start: []float32{0, 0}, StartT: 3, RecordXtAt: []int{5, 3}},
		"RecordX0At above StartT": {N: 1, Dims: []int{2}, Start: []float32{0, 0}, StartT: 3, RecordX0At: []int{4}},
	} {
		if _, err := sampler.Sample(opts); err == nil {
			t.Errorf("Sample with %s: no error", name)
		}
	}
	// A start or noise that is no number is named, not the model (forty-sixth probe).
	nan := float32(math.NaN())
	if _, err := sampler.Sample(SampleOptions{N: 1, Dims: []int{2}, Start: []float32{nan, 0}, StartT: 3}); err == nil || !strings.Contains(err.Error(), "the start (Start) holds NaN") {
		t.Errorf("Sample from a NaN start: %v", err)
	}
	if _, err := sampler.Sample(SampleOptions{N: 1, Dims: []int{2}, Noise: func(z []float32) { z[0] = nan }}); err == nil || !strings.Contains(err.Error(), "opts.Noise gave holds NaN") {
		t.Errorf("Sample with NaN noise: %v", err)
	}
	// Helpers that panicked on what they were not made for (forty-third probe's nits).
	for _, k := range []int{-1, 0, 21} {
		if got := sampler.StepTime(k); !math.IsNaN(got) {
			t.Errorf("StepTime(%d) of 20 steps = %g, want NaN", k, got)
		}
	}
	if _, err := EMAContext(nil); err == nil {
		t.Error("EMAContext(nil): no error")
	}
	if _, err := LoadCheckpoint(filepath.Join(t.TempDir(), "x.ddpm"), nil, nil); err == nil || !strings.Contains(err.Error(), "no context") {
		t.Errorf("LoadCheckpoint into a nil context: %v", err)
	}
	if got := NFE(nil, SamplerConfig{}); got != 0 {
		t.Errorf("NFE without a schedule = %d, want 0", got)
	}
	if got := NFE(nil, SamplerConfig{Solver: SolverHeun}); got != 0 {
		t.Errorf("NFE of Heun with no steps = %d, want 0", got)
	}
	if got := NFE(nil, SamplerConfig{Solver: SolverHeun, Steps: math.MaxInt}); got < math.MaxInt/2 {
		t.Errorf("NFE of Heun with MaxInt steps = %d, want a saturated count", got)
	}
	if got := Steps(nil); got != nil {
		t.Errorf("Steps(nil) = %v", got)
	}
	var zero BoundResult
	if d, r := zero.Decoder(), zero.Rate(); !math.IsNaN(d) || r != nil {
		t.Errorf("a zero BoundResult: Decoder %g, Rate %v; want NaN and nil", d, r)
	}
}

// A run resumed without an EMA from a checkpoint that holds one is refused: the average that sample
// reads stayed that of the checkpoint, exit 0 (fifteenth probe, through a description edited to EMA 0).
func TestResumeWithoutTheEMAOfTheCheckpoint(t *testing.T) {
	dir := t.TempDir()
	if _, err := trainPoints(t, quickTrainConfig(3, dir)); err != nil {
		t.Fatal(err)
	}
	cfg := quickTrainConfig(6, dir)
	cfg.Optimizer.EMADecay = 0
	if _, err := trainPoints(t, cfg); err == nil || !strings.Contains(err.Error(), "it holds an EMA of the weights") {
		t.Errorf("resumed without the checkpoint's EMA: error %v, want a refusal", err)
	}
	// And continued in-process, either way (fifty-first probe: the average stayed step 3's).
	ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, decays := range [][2]float64{{0.999, 0}, {0, 0.999}} {
		ctx := context.New()
		first, then := quickTrainConfig(3, ""), quickTrainConfig(6, "")
		first.Optimizer.EMADecay, then.Optimizer.EMADecay = decays[0], decays[1]
		if _, err := Train(backend, ctx, MustNewSchedule(ScheduleLinear, 20), MLPModel(DefaultMLPConfig()), ds, first); err != nil {
			t.Fatal(err)
		}
		if _, err := Train(backend, ctx, MustNewSchedule(ScheduleLinear, 20), MLPModel(DefaultMLPConfig()), ds, then); err == nil || !strings.Contains(err.Error(), "the context has trained 3 steps") {
			t.Errorf("EMA decay %g, then %g in the same context: %v", decays[0], decays[1], err)
		}
	}
}

// The library refuses, before any work, what it could only fail at later or silently (thirty-second
// probe): a zero Schedule sampled pure noise and panicked in the bound; betas below float64's resolution
// next to 1 built tables of Inf; Sample ran out of memory fatally on huge sizes; DPMSolverSteps repeated
// a step at K = T; and Train trained every step before a description that JSON cannot hold failed the
// first save, or before a grid that could not be drawn stopped it.
func TestLibraryRefusesBeforeItsWork(t *testing.T) {
	model := MLPModel(DefaultMLPConfig())
	zero := &Schedule{}
	if _, err := NewSampler(backend, context.New(), zero, model, SamplerConfig{Variance: VarianceBeta}); err == nil || !strings.Contains(err.Error(), "at least one step") {
		t.Errorf("NewSampler on a zero Schedule: error %v, want a refusal", err)
	}
	if _, err := NewBoundEvaluator(backend, context.New(), zero, model, SamplerConfig{Variance: VarianceBeta}); err == nil {
		t.Error("NewBoundEvaluator on a zero Schedule: no error")
	}
	var none *Schedule
	if err := none.CheckStep(1); err == nil {
		t.Error("CheckStep of a nil schedule: no error")
	}
	for _, c := range []struct {
		build func() (*Schedule, error)
		want  string
	}{
		{func() (*Schedule, error) { return LinearSchedule(10, 1e-17, 0.5) }, "1 − β rounds to 1"},
		{func() (*Schedule, error) { return ScheduleFromBetas("tiny", []float64{1e-320, 0.1}) }, "1 − β rounds to 1"},
		{func() (*Schedule, error) { return ScheduleFromBetas("tiny", []float64{6e-17, 0.5}) }, "1 − β rounds to 1"}, // 1 − β is 1 − 2⁻⁵³ (eighty-seventh probe)
		{func() (*Schedule, error) { return NewSchedule(ScheduleLinear, 100000) }, "ᾱ_t falls out of float64's range"},
	} {
		if s, err := c.build(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("a schedule that is not finite: %v, error %v; want %q", s != nil, err, c.want)
		}
	}
	sched := MustNewSchedule(ScheduleLinear, 20)
	if got := DPMSolverSteps(10, 10); got != nil {
		t.Errorf("DPMSolverSteps(10, 10) = %v, want nil (K + 1 points over T − 1 repeat a step)", got)
	}
	if got := DPMSolverSteps(10, 9); len(got) != 9 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != 9 {
		t.Errorf("DPMSolverSteps(10, 9) = %v, want 9 increasing steps", got)
	}
	for _, K := range []int{-2, 0, 21, 1 << 40} {
		if got := sched.KarrasSigmas(K); got != nil {
			t.Errorf("KarrasSigmas(%d) has %d values, want nil", K, len(got))
		}
	}
	if _, err := ParseSteps("", 1<<40); err == nil || !strings.Contains(err.Error(), "memory") {
		t.Errorf("ParseSteps at T = 2⁴⁰: error %v, want a refusal naming the memory", err)
	}
	if _, err := ParseSteps("", 0); err == nil {
		t.Error("ParseSteps at T = 0: no error")
	}
	sampler, err := NewSampler(backend, context.New(), sched, model, SamplerConfig{Variance: VarianceBeta})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []SampleOptions{{N: 1 << 40, Dims: []int{2}}, {N: 1 << 31, Dims: []int{1 << 31, 4}}, {N: 1 << 62, Dims: []int{4}}} {
		if _, err := sampler.Sample(opts); err == nil || !strings.Contains(err.Error(), "of memory") {
			t.Errorf("Sample of N=%d, dims %v: error %v, want a refusal naming the memory", opts.N, opts.Dims, err)
		}
	}

	images, err := NewArrayDataset("four images", tinyImages(4, 1), []int{8, 8, 1}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	unet := UNetModel(tinyUNet())
	for name, c := range map[string]struct {
		ctx  *context.Context
		ds   *ArrayDataset
		edit func(*TrainConfig)
	}{
		"a nil context":        {nil, images, func(*TrainConfig) {}},
		"a zero data set":      {context.New(), &ArrayDataset{}, func(*TrainConfig) {}},
		"NaN in the Meta":      {context.New(), images, func(c *TrainConfig) { c.Meta = map[string]float64{"x": math.NaN()} }},
		"grids of other dims":  {context.New(), images, func(c *TrainConfig) { c.SampleEvery, c.SampleDims = 1, []int{4, 4, 1} }},
		"a grid sampler of zz": {context.New(), images, func(c *TrainConfig) { c.SampleEvery, c.GridSampler = 1, SamplerConfig{Variance: "zz"} }},
		"SampleN −1":           {context.New(), images, func(c *TrainConfig) { c.SampleEvery, c.SampleN = 1, -1 }},
		"KeepCheckpoints −1":   {context.New(), images, func(c *TrainConfig) { c.KeepCheckpoints = -1 }},
	} {
		dir := t.TempDir()
		cfg := quickTrainConfig(3, dir)
		c.edit(&cfg)
		steps := 0
		cfg.OnStep = func(int, float64) { steps++ }
		if _, err := Train(backend, c.ctx, sched, unet, c.ds, cfg); err == nil || steps > 0 {
			t.Errorf("Train with %s: error %v after %d steps, want a refusal before the first", name, err, steps)
		}
		if written, _ := filepath.Glob(filepath.Join(dir, "*")); len(written) != 0 {
			t.Errorf("Train with %s wrote %v", name, written)
		}
	}
}

// A grid the drawing would refuse (more than viz.MaxPixels) is refused before the images are made: a
// figure of the sort was refused after minutes of sampling (thirty-ninth probe).
func TestCheckImageGridBeforeTheImages(t *testing.T) {
	mnist := []int{28, 28, 1}
	if err := CheckImageGrid("a grid", 16, mnist, 0); err != nil {
		t.Errorf("16 MNIST images: %v", err)
	}
	if err := CheckImageGrid("a grid", 1<<20, mnist, 0); err == nil || !strings.Contains(err.Error(), "a grid of") || !strings.Contains(err.Error(), "pixels") {
		t.Errorf("2^20 MNIST images: %v, want a refusal naming the grid and its pixels", err)
	}
	// What the writer refuses besides its size (they were let pass; forty-third probe).
	for _, c := range []struct {
		n    int
		dims []int
		cols int
		want string
	}{{4, []int{28, 28, 2}, 0, "2 channels"}, {1, []int{5}, 0, "not images"}, {1, nil, 0, "not images"}, {0, mnist, 0, "want at least one image"},
		{math.MaxInt, mnist, 0, "pixels"}} {
		err := CheckImageGrid("a grid", c.n, c.dims, c.cols)
		if err == nil || !strings.Contains(err.Error(), "a grid") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckImageGrid(%d, %v, cols %d): %v, want a refusal saying %q", c.n, c.dims, c.cols, err, c.want)
		}
		if pixels := make([]float32, max(0, min(c.n, 4))*784); err == nil {
			continue
		} else if werr := WriteImageGridPNG(filepath.Join(t.TempDir(), "g.png"), pixels, c.n, c.dims, c.cols); werr == nil {
			t.Errorf("WriteImageGridPNG writes what CheckImageGrid refuses (%v)", err)
		}
		if b := ImageGridPNGBound(c.n, c.dims, c.cols); b != 0 {
			t.Errorf("ImageGridPNGBound(%d, %v, %d) = %g, want 0 for a grid never drawn", c.n, c.dims, c.cols, b)
		}
	}
}

// The estimate of an export's size holds for the shipped exports: each weight once (its EMA), and a
// header of kilobytes. The command line bounded an export by its whole checkpoint, four times as large,
// and refused an export of 313 kB to a file system of 800 KiB free (fifty-ninth probe).
func TestExportBytesBoundTheExport(t *testing.T) {
	for _, name := range []string{"mnist-ema.ddpm", "mnist-ch8-ema.ddpm", "mnist-cond-ema.ddpm", "mnist-learned-sigma-ema.ddpm"} {
		path := filepath.Join("..", "models", name)
		tr, err := LoadTrained(path)
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		estimate, err := tr.Spec.ExportBytes()
		if size := float64(info.Size()); err != nil || estimate < size || estimate > size+32<<10 {
			t.Errorf("%s: an export of %.0f bytes; estimated %.0f (%v)", name, size, estimate, err)
		}
	}
}
