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

// Benchmarks of the default MNIST U-Net on the backend the tests use. They report images/s; the
// first (compiling) call is excluded.
//
//	go test ./ddpm -run '^$' -bench . -benchtime 10x

func BenchmarkTrainStepMNISTBatch128(b *testing.B) {
	cfg := MNISTConfig()
	benchmarkTrainStep(b, MustNewSchedule(ScheduleLinear, PaperT), UNetModel(cfg), randomImages(128, cfg), "images/s")
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
	step() // compile
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(x.Shape().Dimensions[0]*b.N)/time.Since(start).Seconds(), unit)
}

func BenchmarkDenoisingStepMNISTBatch256(b *testing.B) {
	const batch = 256
	cfg := MNISTConfig()
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	ctx := context.New()
	sampler, err := NewSampler(backend, ctx.Checked(false), sched, UNetModel(cfg), SamplerConfig{Variance: VarianceBeta})
	if err != nil {
		b.Fatal(err)
	}
	x, z := randomImages(batch, cfg), randomImages(batch, cfg)
	step := func() {
		out, err := sampler.exec.Exec(x, StepTensor(batch, 500), z)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range out {
			o.FinalizeAll()
		}
	}
	step() // compile and initialise the weights
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(batch*b.N)/time.Since(start).Seconds(), "images/s")
}

func randomImages(n int, cfg UNetConfig) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*cfg.ImageSize*cfg.ImageSize*cfg.Channels)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(x, n, cfg.ImageSize, cfg.ImageSize, cfg.Channels)
}
