package ddpm

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/distributed"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
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
	newDS := datasetMaker(t, "points", points, []int{2}, 16, 2)
	model := MLPModel(MLPConfig{Dim: 2, Hidden: 32, Layers: 2, TimeEmbed: 8})
	one, ctxOne := shardedRun(t, model, newDS, 1, 20, "")
	for _, devices := range []int{2, 4} {
		losses, ctx := shardedRun(t, model, newDS, devices, 20, "")
		compareRuns(t, fmt.Sprintf("MLP, 1 against %d devices", devices), one, losses, ctxOne, ctx)
	}
	// Continued in-process on another number of devices: 2 to step 10, then 4 to 20 (it failed inside
	// GoMLX, the context's variables on the mesh of 2; fifty-first probe).
	ctx := context.New()
	var losses []float64
	for _, run := range []struct{ devices, steps int }{{2, 10}, {4, 20}} {
		cfg := quickTrainConfig(run.steps, "")
		cfg.Devices = run.devices
		cfg.OnStep = func(_ int, loss float64) { losses = append(losses, loss) }
		if _, err := Train(backend, ctx, MustNewSchedule(ScheduleLinear, 100), model, newDS(), cfg); err != nil {
			t.Fatalf("%d devices to step %d: %v", run.devices, run.steps, err)
		}
	}
	compareRuns(t, "MLP, 1 device against 2 then 4 in one context", one, losses, ctxOne, ctx)
}

func TestShardedUNetTrainingEqualsOneDevice(t *testing.T) {
	needDevices(t, 2)
	images := tinyImages(16, 2)
	newDS := datasetMaker(t, "sixteen images", images, []int{8, 8, 1}, 4, 5)
	model := UNetModel(tinyUNet()) // GroupNorm's and attention's own gradients, sharded too
	one, ctxOne := shardedRun(t, model, newDS, 1, 6, "")
	two, ctxTwo := shardedRun(t, model, newDS, 2, 6, "")
	compareRuns(t, "U-Net, 1 against 2 devices", one, two, ctxOne, ctxTwo)
}

func TestShardedCheckpointResumesOnOneDevice(t *testing.T) {
	needDevices(t, 4)
	points := tinyImages(64, 6)[:128]
	newDS := datasetMaker(t, "points", points, []int{2}, 8, 3)
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
		{4, "batch size 6 cannot be split evenly over 4 devices: the nearest multiples of 4 are 4 and 8"},
		{backend.NumDevices() + 1, fmt.Sprintf("%d devices asked for, but the backend", backend.NumDevices()+1)},
		{0, "0 devices: want at least 1"},
	} {
		if _, err := NewShardedDataset(backend, ds, c.devices); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d devices: error %v, want %q", c.devices, err, c.want)
		}
	}
	if err := CheckShardable("samples", 3, 4); err == nil || !strings.Contains(err.Error(), "it must be a multiple of 4") {
		t.Errorf("3 over 4 devices: error %v", err)
	}
	// What panicked (forty-third probe): no device, no data set, no backend.
	if err := CheckShardable("samples", 4, 0); err == nil || !strings.Contains(err.Error(), "want at least 1 device") {
		t.Errorf("4 over 0 devices: error %v", err)
	}
	if _, err := NewShardedDataset(backend, nil, 1); err == nil || !strings.Contains(err.Error(), "no data set") {
		t.Errorf("a nil data set: error %v", err)
	}
	if err := CheckDevices(nil, 1); err == nil || !strings.Contains(err.Error(), "no backend") {
		t.Errorf("a nil backend: error %v", err)
	}
}

// trainedTinyUNet trains the tiny U-Net for a few steps (to have weights that are not the zero-output
// initialisation) and returns it with its weights.
func trainedTinyUNet(t *testing.T) (EpsModel, *context.Context, *Schedule) {
	t.Helper()
	sched := MustNewSchedule(ScheduleLinearScaled, 50)
	ds, err := NewArrayDataset("images", tinyImages(16, 8), []int{8, 8, 1}, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	model, ctx := UNetModel(tinyUNet()), context.New()
	cfg := quickTrainConfig(5, "")
	cfg.Optimizer.LearningRate = 1e-2 // move the zero-initialised output layers off zero
	if _, err := Train(backend, ctx, sched, model, ds, cfg); err != nil {
		t.Fatal(err)
	}
	return model, ctx, sched
}

func maxAbsDiff(a, b []float32) float64 {
	worst := 0.0
	for i := range a {
		worst = max(worst, math.Abs(float64(a[i]-b[i])))
	}
	return worst
}

// Sampling and the bound split over 2 and 4 devices give the one-device results for the same seeds.
// Each image is computed by the same operations whatever the split; XLA compiles kernels for the
// smaller per-device shapes, whose float32 rounding may differ in the last bits, and 50 steps of the
// chain carry such differences along: 1e-4 on pixels in [−1, 1] bounds them, while a sample drawn
// with other noise or another image's x_t differs by ~1.
func TestShardedSamplingAndBoundEqualOneDevice(t *testing.T) {
	needDevices(t, 4)
	model, trained, sched := trainedTinyUNet(t)
	// One context of EMA weights for every number of devices, in turn and back (2 then 4 failed inside
	// GoMLX, its variables left on the mesh of 2; fifty-first probe).
	ema, err := EMAContext(trained)
	if err != nil {
		t.Fatal(err)
	}
	weightsFor := func(int) *context.Context { return ema }
	const n = 8
	sampleWith := func(devices int, cfg SamplerConfig) *SampleResult {
		cfg.Devices = devices
		s, err := NewSampler(backend, weightsFor(devices), sched, model, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var record []int // x̂_0 at t = 25 of the ancestral chain (Heun's has 4 steps)
		if cfg.Solver == "" {
			record = []int{25}
		}
		res, err := s.Sample(SampleOptions{N: n, Dims: []int{8, 8, 1}, Seed: 9, RecordX0At: record})
		if err != nil {
			t.Fatalf("%d devices: %v", devices, err)
		}
		return res
	}
	sample := func(devices int) *SampleResult {
		return sampleWith(devices, SamplerConfig{Variance: VariancePosterior, ClipX0: true})
	}
	heun := SamplerConfig{Solver: SolverHeun, Steps: 4, Churn: 2, ClipX0: true} // fractional times, churn's noise
	images := tinyImages(n, 3)
	for i, v := range images { // on the 8-bit grid of [−1, 1], as the bound requires
		images[i] = float32(math.Round((float64(v)+1)*127.5)/127.5 - 1)
	}
	bound := func(devices int) *BoundResult {
		e, err := NewBoundEvaluator(backend, weightsFor(devices), sched, model, SamplerConfig{Variance: VarianceBeta, Devices: devices})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Evaluate(images, BoundOptions{Dims: []int{8, 8, 1}, BatchSize: 4, Seed: 2})
		if err != nil {
			t.Fatalf("%d devices: %v", devices, err)
		}
		return res
	}
	one, oneBound, oneHeun := sample(1), bound(1), sampleWith(1, heun)
	if spread := maxAbsDiff(one.X0[:64], one.X0[64:128]); spread < 0.1 {
		t.Fatalf("two samples differ by only %.3g: the test could not tell a wrong split", spread)
	}
	for _, devices := range []int{2, 4, 2, 1, 4} {
		res := sample(devices)
		if d := maxAbsDiff(one.X0, res.X0); d > 1e-4 {
			t.Errorf("%d devices: samples differ from one device's by %.3g", devices, d)
		}
		if d := maxAbsDiff(one.X0s[25], res.X0s[25]); d > 1e-4 {
			t.Errorf("%d devices: x̂_0 at t=25 differs by %.3g", devices, d)
		}
		if d := maxAbsDiff(oneHeun.X0, sampleWith(devices, heun).X0); d > 1e-4 {
			t.Errorf("%d devices: Heun's samples differ from one device's by %.3g", devices, d)
		}
		b := bound(devices)
		if math.Abs(b.Total-oneBound.Total) > 1e-5*oneBound.Total {
			t.Errorf("%d devices: bound %.7f bits/dim, one device %.7f", devices, b.Total, oneBound.Total)
		}
		for i := range b.PerImage {
			if math.Abs(b.PerImage[i]-oneBound.PerImage[i]) > 1e-5*oneBound.PerImage[i] {
				t.Errorf("%d devices: image %d's bound %.7f, one device %.7f", devices, i, b.PerImage[i], oneBound.PerImage[i])
			}
		}
		t.Logf("%d devices: samples within %.3g, bound %.7f against %.7f", devices, maxAbsDiff(one.X0, res.X0), b.Total, oneBound.Total)
	}
	// A batch that does not split is refused, naming the nearest sizes.
	s, err := NewSampler(backend, weightsFor(4), sched, model, SamplerConfig{Variance: VarianceBeta, Devices: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sample(SampleOptions{N: 6, Dims: []int{8, 8, 1}}); err == nil || !strings.Contains(err.Error(), "N 6 cannot be split evenly over 4 devices: the nearest multiples of 4 are 4 and 8") {
		t.Errorf("6 samples on 4 devices: error %v", err)
	}
	e, err := NewBoundEvaluator(backend, weightsFor(4), sched, model, SamplerConfig{Variance: VarianceBeta, Devices: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Evaluate(images[:6*64], BoundOptions{Dims: []int{8, 8, 1}, BatchSize: 4}); err == nil || !strings.Contains(err.Error(), "6 images in batches of 4: a last batch of 2 cannot be split evenly over 4 devices") {
		t.Errorf("6 images in batches of 4 on 4 devices: error %v", err)
	}
}

// BenchmarkTrainStepDevices: the small MNIST U-Net's (MNISTSmallConfig, ch 8) training step at batch 64 (the command line's) with
// the batch split over 1, 2 and 4 devices of the backend. On the XLA CPU plugin the 4 devices share
// the same cores, so splitting cannot be faster there (docs/devices.md):
//
//	go test ./ddpm -run '^$' -bench 'TrainStepDevices' -benchtime 20x
func BenchmarkTrainStepDevices(b *testing.B) {
	cfg := MNISTSmallConfig()
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	for _, devices := range []int{1, 2, 4} {
		if devices > backend.NumDevices() {
			continue
		}
		b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) {
			opt, err := NewOptimizer(PaperOptimizer())
			if err != nil {
				b.Fatal(err)
			}
			modelFn := func(ctx *context.Context, _ any, inputs []*Node) []*Node {
				return []*Node{sched.SimpleLoss(ctx, UNetModel(cfg), inputs[0])}
			}
			trainer := train.NewTrainer(backend, context.New(), modelFn, func(_, p []*Node) *Node { return p[0] }, opt, nil, nil)
			x := randomImages(64, cfg)
			step := func() {
				if _, err := trainer.TrainStep(nil, []*tensors.Tensor{x}, nil); err != nil {
					b.Fatal(err)
				}
			}
			if devices > 1 {
				split, err := splitOver(backend, devices)
				if err != nil {
					b.Fatal(err)
				}
				sharded, err := distributed.ShardTensor(split.spec, x)
				if err != nil {
					b.Fatal(err)
				}
				step = func() {
					if _, err := trainer.DistributedTrainStep(distributed.AutoSharding, split.devices, nil, []*distributed.Tensor{sharded}, nil); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportSteps(b, step, 64, "images/s")
		})
	}
}

// A class-conditional model on 2 devices: its training (labels split with the images, dropped in
// the graph) equals one device's, and so does guided sampling, whose network call doubles each
// device's share of the batch.
func TestShardedConditionalTrainingAndGuidedSampling(t *testing.T) {
	needDevices(t, 2)
	points, labels := tinyImages(32, 5)[:128], make([]int, 64)
	for i := range labels {
		labels[i] = i % 3
	}
	cfg := MLPConfig{Dim: 2, Hidden: 16, Layers: 1, TimeEmbed: 8, NumClasses: 3}
	newDS := func() *ArrayDataset {
		ds := datasetMaker(t, "labelled points", points, []int{2}, 8, 4)()
		if err := ds.SetLabels(labels, 3); err != nil {
			t.Fatal(err)
		}
		return ds
	}
	run := func(devices int) ([]float64, *context.Context, []float32) {
		ctx := context.New()
		tc := quickTrainConfig(12, "")
		tc.Devices, tc.Conditional, tc.PUncond = devices, MLPConditional(cfg), 0.3
		var losses []float64
		tc.OnStep = func(_ int, loss float64) { losses = append(losses, loss) }
		sched := MustNewSchedule(ScheduleLinear, 100)
		if _, err := Train(backend, ctx, sched, MLPModel(cfg), newDS(), tc); err != nil {
			t.Fatalf("%d devices: %v", devices, err)
		}
		ema, err := EMAContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var samples []float32
		for _, sc := range []SamplerConfig{{Variance: VarianceBeta}, {Solver: SolverDPMPP2M, Steps: 5}} {
			sc.Guidance, sc.Devices = 2, devices
			s, err := NewConditionalSampler(backend, ema, sched, MLPConditional(cfg), 3, sc)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Sample(SampleOptions{N: 6, Dims: []int{2}, Seed: 4, Labels: []int{0, 1, 2, 0, 1, 2}})
			if err != nil {
				t.Fatalf("%d devices: %v", devices, err)
			}
			samples = append(samples, res.X0...) // ancestral, then DPM-Solver++
		}
		return losses, ctx, samples
	}
	oneLosses, oneCtx, oneSamples := run(1)
	twoLosses, twoCtx, twoSamples := run(2)
	compareRuns(t, "conditional MLP, 1 against 2 devices", oneLosses, twoLosses, oneCtx, twoCtx)
	if d := maxAbsDiff(oneSamples, twoSamples); d > 1e-4 {
		t.Errorf("guided samples on 2 devices differ from one device's by %.3g", d)
	}
}
