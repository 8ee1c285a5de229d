package ddpm

import (
	"math/rand/v2"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
)

// Benchmarks of a training step and a denoising step for the two U-Nets that `make bench` compares
// with the PyTorch twin in bench/torch_unet.py. They report images/s (the first, compiling, call
// excluded) and compile-s, the time of that first call.
//
//	go test ./ddpm -run '^$' -bench 'TrainStep$|DenoisingStep$' -benchtime 10x

// benchConfigs are the benchmarked U-Nets: MNISTSmallConfig (ch 8, 71,033 parameters) and a wider one
// (ch 32, two residual blocks per level, 8 GroupNorm groups, 1,623,169 parameters).
func benchConfigs() []struct {
	name string
	cfg  UNetConfig
} {
	ch32 := MNISTSmallConfig()
	ch32.BaseChannels, ch32.NumResBlocks, ch32.MaxGroups = 32, 2, 8
	return []struct {
		name string
		cfg  UNetConfig
	}{{"mnist", MNISTSmallConfig()}, {"ch32", ch32}}
}

// BenchmarkTrainStep: Algorithm 1 at batch 128 as Train runs it (random t and ε, x_t, forward,
// loss, backward, clipping, warm-up, Adam, EMA, the loss back to the host).
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range benchConfigs() {
		b.Run(c.name, func(b *testing.B) {
			benchmarkTrainStep(b, MustNewSchedule(ScheduleLinear, PaperT), UNetModel(c.cfg), randomImages(128, c.cfg), "images/s")
		})
	}
}

// The MLP denoiser of the 2-D toy sets (DefaultMLPConfig) at batch 256.
func BenchmarkTrainStepToyMLPBatch256(b *testing.B) {
	const batch = 256
	rng := rand.New(rand.NewPCG(1, 2))
	points := make([]float32, batch*2)
	for i := range points {
		points[i] = float32(rng.NormFloat64())
	}
	benchmarkTrainStep(b, MustNewSchedule(ScheduleLinear, 200), MLPModel(DefaultMLPConfig()),
		tensors.FromFlatDataAndDimensions(points, batch, 2), "points/s")
}

// benchmarkTrainStep times one training step (L_simple, forward, backward, Adam, EMA) on batch x
// and reports examples per second in unit.
func benchmarkTrainStep(b *testing.B, sched *Schedule, model EpsModel, x *tensors.Tensor, unit string) {
	opt, err := NewOptimizer(PaperOptimizer())
	if err != nil {
		b.Fatal(err)
	}
	modelFn := func(ctx *context.Context, _ any, inputs []*Node) []*Node {
		return []*Node{sched.SimpleLoss(ctx, model, inputs[0])}
	}
	trainer := train.NewTrainer(backend, context.New(), modelFn, func(_, p []*Node) *Node { return p[0] }, opt, nil, nil)
	step := func() {
		if _, err := trainer.TrainStep(nil, []*tensors.Tensor{x}, nil); err != nil {
			b.Fatal(err)
		}
	}
	reportSteps(b, step, x.Shape().Dimensions[0], unit)
}

// reportSteps calls step once (compiling it), then b.N times, and reports examples/s in unit and the
// first call's seconds as compile-s.
func reportSteps(b *testing.B, step func(), batch int, unit string) {
	compile, each := timeCalls(b, step)
	b.ReportMetric(float64(batch)/each.Seconds(), unit)
	b.ReportMetric(compile.Seconds(), "compile-s")
}

// timeCalls calls call once (the first call compiles), then b.N times, and returns the duration of
// the first call and the mean duration of the others.
func timeCalls(b *testing.B, call func()) (first, each time.Duration) {
	start := time.Now()
	call()
	first = time.Since(start)
	b.ResetTimer()
	start = time.Now()
	for range b.N {
		call()
	}
	return first, time.Since(start) / time.Duration(b.N)
}

// BenchmarkDenoisingStep: one step of Algorithm 2 at batch 256 (ε_θ, the mean, the noise, x̂_0),
// the result left on the device as the sampler leaves it.
func BenchmarkDenoisingStep(b *testing.B) {
	const batch = 256
	for _, c := range benchConfigs() {
		b.Run(c.name, func(b *testing.B) {
			sched := MustNewSchedule(ScheduleLinear, PaperT)
			sampler, err := NewSampler(backend, context.New().Checked(false), sched, UNetModel(c.cfg), SamplerConfig{Variance: VarianceBeta})
			if err != nil {
				b.Fatal(err)
			}
			x, z := randomImages(batch, c.cfg), randomImages(batch, c.cfg)
			step := func() {
				out, err := sampler.exec.Exec(x, StepTensor(batch, 500), z)
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range out {
					o.FinalizeAll()
				}
			}
			reportSteps(b, step, batch, "images/s")
		})
	}
}

func randomImages(n int, cfg UNetConfig) *tensors.Tensor {
	return randomTensor(rand.New(rand.NewPCG(1, 2)), n, cfg.ImageSize, cfg.ImageSize, cfg.Channels)
}
