package ddpm

import (
	"math/rand/v2"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// BenchmarkUNetMNISTTrainStep times one training step of the U-Net alone at batch 64 (forward, backward
// and an in-place SGD update of every trainable variable, in training mode) for MNISTSmallConfig and
// its neighbours, MNISTConfig (ch 16) among them. The first, compiling, call is excluded. It reports images/s and
// s/step.
//
//	go test ./ddpm -run '^$' -bench UNet -benchtime 5x
func BenchmarkUNetMNISTTrainStep(b *testing.B) {
	variant := func(mutate func(*UNetConfig)) UNetConfig {
		cfg := MNISTSmallConfig()
		mutate(&cfg)
		return cfg
	}
	configs := []struct {
		name string
		cfg  UNetConfig
	}{
		{"MNISTSmallConfig", MNISTSmallConfig()},
		{"NoAttention", variant(func(c *UNetConfig) { c.AttnResolutions = nil })},
		{"Dropout0.1", variant(func(c *UNetConfig) { c.Dropout = 0.1 })},
		{"Mult1,2,4", variant(func(c *UNetConfig) { c.ChannelMult = []int{1, 2, 4} })},
		{"MNISTConfig", MNISTConfig()},
		{"Ch32Dropout0.1", variant(func(c *UNetConfig) { c.BaseChannels, c.MaxGroups, c.Dropout = 32, 8, 0.1 })},
	}
	for _, c := range configs {
		b.Run(c.name, func(b *testing.B) { benchmarkUNetTrainStep(b, c.cfg, 64) })
	}
}

func benchmarkUNetTrainStep(b *testing.B, cfg UNetConfig, batch int) {
	ctx := context.New()
	exec, err := context.NewExec(backend, ctx, func(ctx *context.Context, x, t, target *Node) *Node {
		g := x.Graph()
		ctx.SetTraining(g, true)
		loss := ReduceAllMean(Square(Sub(UNet(ctx, cfg, x, t), target)))
		sgdStep(ctx, g, loss, 1e-4)
		return loss
	})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x, target := randomImagesFor(rng, batch, cfg), randomImagesFor(rng, batch, cfg)
	ts := make([]int, batch)
	for i := range ts {
		ts[i] = 1 + rng.IntN(PaperT)
	}
	t := StepsTensor(ts...)
	step := func() {
		out, err := exec.Exec(x, t, target)
		if err != nil {
			b.Fatal(err)
		}
		out[0].FinalizeAll()
	}
	compile, each := timeCalls(b, step) // the first call compiles and initialises the variables
	b.ReportMetric(float64(batch)/each.Seconds(), "images/s")
	b.ReportMetric(each.Seconds(), "s/step")
	b.Logf("%+v: %d parameters; first call (compilation) %s", cfg, trainableParameters(ctx), compile.Round(time.Millisecond))
}

func randomImagesFor(rng *rand.Rand, n int, cfg UNetConfig) *tensors.Tensor {
	return randomTensor(rng, n, cfg.ImageSize, cfg.ImageSize, cfg.Channels)
}

// sgdStep updates every trainable variable in place by a plain gradient step on loss: the cheapest
// update, to time the forward and backward passes with the variables' update but no optimiser.
func sgdStep(ctx *context.Context, g *Graph, loss *Node, lr float64) {
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	i := 0
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			v.SetValueGraph(Sub(v.ValueGraph(g), MulScalar(grads[i], lr)))
			i++
		}
	}
}
