package ddpm_test

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// The forward process in closed form, q(x_t | x_0) (the paper's Eq. 4): x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε.
func ExampleSchedule_QSample() {
	backend := ddpm.MustNewBackend()
	sched := ddpm.MustNewSchedule(ddpm.ScheduleLinear, 1000)
	x0 := tensors.FromFlatDataAndDimensions([]float32{1, -1}, 1, 2) // one example of two values
	eps := tensors.FromFlatDataAndDimensions([]float32{0.5, 0.5}, 1, 2)
	xt := graph.MustExecOnce(backend, sched.QSample, x0, ddpm.StepTensor(1, 500), eps)
	fmt.Printf("ᾱ_500 = %.4f\n", sched.AlphaBar[500])
	fmt.Printf("x_500 = %.4f\n", tensors.MustCopyFlatData[float32](xt))
	// Output:
	// ᾱ_500 = 0.0786
	// x_500 = [0.7603 0.1996]
}

// Training ε_θ on a 2-D toy set with the paper's L_simple (Algorithm 1), then sampling from it with
// Algorithm 2.
func ExampleTrain() {
	backend := ddpm.MustNewBackend()
	points, err := data.Toy2D("moons", 2000, 1)
	if err != nil {
		panic(err)
	}
	ds, err := ddpm.NewArrayDataset("moons", points, []int{2}, 128, 1)
	if err != nil {
		panic(err)
	}
	sched := ddpm.MustNewSchedule(ddpm.ScheduleLinearScaled, 100) // a short chain suffices in 2-D
	model, ctx := ddpm.MLPModel(ddpm.DefaultMLPConfig()), context.New()
	var losses []float64
	_, err = ddpm.Train(backend, ctx, sched, model, ds, ddpm.TrainConfig{Steps: 300, Seed: 1,
		Optimizer: ddpm.OptimizerConfig{LearningRate: 2e-3, WarmupSteps: 20, ClipNorm: 1, EMADecay: 0.99},
		OnStep:    func(step int, loss float64) { losses = append(losses, loss) }})
	if err != nil {
		panic(err)
	}
	mean := func(xs []float64) (m float64) {
		for _, x := range xs {
			m += x / float64(len(xs))
		}
		return m
	}
	fmt.Println("steps:", len(losses))
	fmt.Println("L_simple fell by half or more:", mean(losses[len(losses)-50:]) < 0.5*mean(losses[:50]))

	ema, err := ddpm.EMAContext(ctx) // sample with the weights' moving average, as the paper does
	if err != nil {
		panic(err)
	}
	sampler, err := ddpm.NewSampler(backend, ema, sched, model, ddpm.SamplerConfig{Variance: ddpm.VarianceBeta})
	if err != nil {
		panic(err)
	}
	res, err := sampler.Sample(ddpm.SampleOptions{N: 500, Dims: []int{2}, Seed: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println("samples:", len(res.X0)/2)
	// Output:
	// steps: 300
	// L_simple fell by half or more: true
	// samples: 500
}

// Sampling digits from the shipped MNIST model in 50 DDIM steps (Song et al. 2021) instead of 1 000.
func ExampleTrained_NewSampler() {
	backend := ddpm.MustNewBackend()
	tr, err := ddpm.LoadTrained("../models/mnist-ema.ddpm") // the checkpoint, with its EMA weights
	if err != nil {
		panic(err)
	}
	short, err := tr.Schedule.Respace(ddpm.EvenSteps(tr.Schedule.T, 50))
	if err != nil {
		panic(err)
	}
	sampler, err := tr.NewSampler(backend, short, ddpm.SamplerConfig{DDIM: true, ClipX0: true})
	if err != nil {
		panic(err)
	}
	res, err := sampler.Sample(ddpm.SampleOptions{N: 4, Dims: []int{28, 28, 1}, Seed: 1})
	if err != nil {
		panic(err)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range res.X0 {
		lo, hi = min(lo, float64(v)), max(hi, float64(v))
	}
	fmt.Printf("%d digits of 28×28, pixels in [%g, %g]\n", len(res.X0)/784, lo, hi)
	// Output:
	// 4 digits of 28×28, pixels in [-1, 1]
}

// The variational bound of the shipped model on MNIST test digits, in bits per dimension (the paper's
// Eq. 5 with its discretised decoder L_0).
func ExampleBoundEvaluator() {
	backend := ddpm.MustNewBackend()
	tr, err := ddpm.LoadTrained("../models/mnist-ema.ddpm")
	if err != nil {
		panic(err)
	}
	mnist, err := data.LoadMNIST("")
	if err != nil {
		panic(err)
	}
	eval, err := ddpm.NewBoundEvaluator(backend, tr.Ctx, tr.Schedule, tr.Model, ddpm.SamplerConfig{Variance: ddpm.VarianceBeta, ClipX0: true})
	if err != nil {
		panic(err)
	}
	res, err := eval.Evaluate(mnist.Test.Scaled(0, 4), ddpm.BoundOptions{Dims: []int{28, 28, 1}, BatchSize: 4, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println("digits:", res.N)
	fmt.Println("the bound is L_T + Σ L_{t−1} + L_0:", math.Abs(res.Total-(res.Prior+sum(res.Terms[1:]))) < 1e-9)
	fmt.Println("far below 8 bits/dim (a uniform guess):", res.Total < 4)
	// Output:
	// digits: 4
	// the bound is L_T + Σ L_{t−1} + L_0: true
	// far below 8 bits/dim (a uniform guess): true
}

func sum(xs []float64) (s float64) {
	for _, x := range xs {
		s += x
	}
	return s
}
