package ddpm

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// needDevices skips a test when the backend has fewer devices than it needs: the XLA CPU plugin that
// `make setup` installs has 4 (TFRT_CPU_0..3), so on it these tests always run.
func needDevices(t *testing.T, n int) {
	t.Helper()
	if have := backend.NumDevices(); have < n {
		t.Skipf("the backend %s has %d devices, the test needs %d (the XLA CPU plugin has 4)", backend.Name(), have, n)
	}
}

// shardedRun trains model on ds's data for steps on the given number of devices, resuming from dir
// when it holds a checkpoint, and returns the losses of its steps and its context.
func shardedRun(t *testing.T, model EpsModel, newDS func() *ArrayDataset, devices, steps int, dir string) ([]float64, *context.Context) {
	t.Helper()
	ctx := context.New()
	cfg := quickTrainConfig(steps, dir)
	cfg.Devices = devices
	var losses []float64
	cfg.OnStep = func(_ int, loss float64) { losses = append(losses, loss) }
	if _, err := Train(backend, ctx, MustNewSchedule(ScheduleLinear, 100), model, newDS(), cfg); err != nil {
		t.Fatalf("%d devices: %v", devices, err)
	}
	return losses, ctx
}

// The tolerance of the comparisons between runs on different numbers of devices. The runs compute
// the same float32 sums in a different order (each device sums its part of the batch, then the parts
// are added): a relative difference of a few float32 ulps (1.2e-7 each) per step in the loss and the
// gradients. Adam divides the gradient by its running scale, so each step moves a weight by at most
// about the learning rate (1e-3) times that relative difference: over 20 steps the weights may differ
// by ~1e-8, far below 1e-5. A wrong sharding (a device seeing another part of the batch, gradients
// not reduced, or other t and ε drawn) changes losses and weights at the 1e-2 level.
const shardedTolerance = 1e-5

func compareRuns(t *testing.T, what string, lossesA, lossesB []float64, a, b *context.Context) {
	t.Helper()
	if len(lossesA) != len(lossesB) {
		t.Fatalf("%s: %d and %d steps", what, len(lossesA), len(lossesB))
	}
	for i := range lossesA {
		if math.Abs(lossesA[i]-lossesB[i]) > shardedTolerance*(1+math.Abs(lossesA[i])) {
			t.Errorf("%s: step %d loss %.9g against %.9g", what, i+1, lossesA[i], lossesB[i])
		}
	}
	va, vb := variableValues(t, a), variableValues(t, b)
	if len(va) != len(vb) || len(va) < 6 {
		t.Fatalf("%s: %d and %d variables", what, len(va), len(vb))
	}
	worst, where := 0.0, ""
	for name, x := range va {
		y, ok := vb[name]
		if !ok || len(x) != len(y) {
			t.Fatalf("%s: variable %s missing or of another size", what, name)
		}
		for i := range x {
			if d := math.Abs(float64(x[i] - y[i])); d > worst {
				worst, where = d, fmt.Sprintf("%s[%d]", name, i)
			}
		}
	}
	if worst > shardedTolerance {
		t.Errorf("%s: weights differ by up to %.3g (at %s), want at most %g", what, worst, where, shardedTolerance)
	}
	t.Logf("%s: largest weight difference %.3g", what, worst)
}

func TestShardedTrainingEqualsOneDevice(t *testing.T) {
	needDevices(t, 4)
	points := tinyImages(64, 4)[:128] // 64 points in 2-D
	newDS := func() *ArrayDataset {
		ds, err := NewArrayDataset("points", points, []int{2}, 16, 2)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	model := MLPModel(MLPConfig{Dim: 2, Hidden: 32, Layers: 2, TimeEmbed: 8})
	one, ctxOne := shardedRun(t, model, newDS, 1, 20, "")
	for _, devices := range []int{2, 4} {
		losses, ctx := shardedRun(t, model, newDS, devices, 20, "")
		compareRuns(t, fmt.Sprintf("MLP, 1 against %d devices", devices), one, losses, ctxOne, ctx)
	}
}

func TestShardedUNetTrainingEqualsOneDevice(t *testing.T) {
	needDevices(t, 2)
	images := tinyImages(16, 2)
	newDS := func() *ArrayDataset {
		ds, err := NewArrayDataset("sixteen images", images, []int{8, 8, 1}, 4, 5)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	model := UNetModel(tinyUNet()) // GroupNorm's and attention's own gradients, sharded too
	one, ctxOne := shardedRun(t, model, newDS, 1, 6, "")
	two, ctxTwo := shardedRun(t, model, newDS, 2, 6, "")
	compareRuns(t, "U-Net, 1 against 2 devices", one, two, ctxOne, ctxTwo)
}

func TestShardedCheckpointResumesOnOneDevice(t *testing.T) {
	needDevices(t, 4)
	points := tinyImages(64, 6)[:128]
	newDS := func() *ArrayDataset {
		ds, err := NewArrayDataset("points", points, []int{2}, 8, 3)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	model := MLPModel(MLPConfig{Dim: 2, Hidden: 16, Layers: 1, TimeEmbed: 8})
	whole, ctxWhole := shardedRun(t, model, newDS, 1, 20, "")
	dir := t.TempDir()
	first, _ := shardedRun(t, model, newDS, 4, 10, dir) // 4 devices to step 10, checkpointed
	second, ctxResumed := shardedRun(t, model, newDS, 1, 20, dir)
	compareRuns(t, "4 devices to step 10, then 1 device to 20, against 1 device throughout", whole, append(first, second...), ctxWhole, ctxResumed)

	dir = t.TempDir()
	first, _ = shardedRun(t, model, newDS, 1, 10, dir) // and the other way round
	second, ctxResumed = shardedRun(t, model, newDS, 2, 20, dir)
	compareRuns(t, "1 device to step 10, then 2 devices to 20, against 1 device throughout", whole, append(first, second...), ctxWhole, ctxResumed)
}

func TestShardedDatasetRefusesBadSplits(t *testing.T) {
	needDevices(t, 4)
	ds, err := NewArrayDataset("points", tinyImages(8, 1), []int{2}, 6, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		devices int
		want    string
	}{
		{4, "batch size 6 cannot be split evenly over 4 devices: the nearest that can are 4 and 8"},
		{backend.NumDevices() + 1, fmt.Sprintf("%d devices asked for, but the backend", backend.NumDevices()+1)},
		{0, "0 devices: want at least 1"},
	} {
		if _, err := NewShardedDataset(backend, ds, c.devices); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d devices: error %v, want %q", c.devices, err, c.want)
		}
	}
	if err := CheckShardable("samples", 3, 4); err == nil || !strings.Contains(err.Error(), "the smallest that can is 4") {
		t.Errorf("3 over 4 devices: error %v", err)
	}
}
