package ddpm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/core/tensors/images"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// The profile of the MNIST training step that README's speed section quotes: where the time goes by
// phase (BenchmarkTrainStepSplit), by block type (BenchmarkParts) and, for the convolutions that
// dominate it, by direction and shape (BenchmarkConvolutions). Each reports ms per call, the first
// (compiling) call excluded.
//
//	go test ./ddpm -run '^$' -bench 'TrainStepSplit|Parts|Convolutions' -benchtime 20x

// BenchmarkTrainStepSplit splits the MNIST training step into what it adds up from: the forward pass
// and L_simple, then the backward pass, then a plain SGD update, then the whole optimiser (clipping,
// warm-up, Adam, EMA) as Train runs it. Batch 8 shows the fixed costs.
func BenchmarkTrainStepSplit(b *testing.B) {
	for _, batch := range []int{8, 64, 128} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) { benchmarkTrainStepSplit(b, batch) })
	}
}

func benchmarkTrainStepSplit(b *testing.B, batch int) {
	cfg := MNISTSmallConfig()
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	model := UNetModel(cfg)
	loss := func(ctx *context.Context, x0 *Node) *Node {
		ctx.SetTraining(x0.Graph(), true)
		return sched.SimpleLoss(ctx, model, x0)
	}
	x := randomImages(batch, cfg)
	run := func(b *testing.B, fn func(ctx *context.Context, x0 *Node) *Node) {
		exec, err := context.NewExec(backend, context.New(), fn)
		if err != nil {
			b.Fatal(err)
		}
		reportCalls(b, func() []*tensors.Tensor { return exec.MustExec(x) })
	}
	b.Run("forward", func(b *testing.B) { run(b, loss) })
	b.Run("forward+backward", func(b *testing.B) {
		run(b, func(ctx *context.Context, x0 *Node) *Node {
			l := loss(ctx, x0)
			sum := l // every gradient summed into the output, so that none is pruned
			for _, gr := range ctx.BuildTrainableVariablesGradientsGraph(l) {
				sum = Add(sum, ReduceAllSum(gr))
			}
			return sum
		})
	})
	b.Run("forward+backward+sgd", func(b *testing.B) {
		run(b, func(ctx *context.Context, x0 *Node) *Node {
			l := loss(ctx, x0)
			sgdStep(ctx, x0.Graph(), l, 1e-4)
			return l
		})
	})
	b.Run("full", func(b *testing.B) {
		opt, err := NewOptimizer(PaperOptimizer())
		if err != nil {
			b.Fatal(err)
		}
		run(b, func(ctx *context.Context, x0 *Node) *Node {
			l := loss(ctx, x0)
			opt.UpdateGraph(ctx, x0.Graph(), l)
			return l
		})
	})
}

// BenchmarkParts times the U-Net's building blocks alone at the shape of the MNIST U-Net's first
// level (batch 128, 28×28, 8 channels; attention at 7×7×16 as in the U-Net), forward only and
// forward plus backward (the gradients of ½Σy² with respect to the input and every variable).
func BenchmarkParts(b *testing.B) {
	const batch = 128
	parts := []struct {
		name     string
		size, ch int
		fn       func(ctx *context.Context, x *Node) *Node
	}{
		{"conv3x3", 28, 8, func(ctx *context.Context, x *Node) *Node { return conv3x3(ctx, x, 8, 1) }},
		{"dense1x1", 28, 8, func(ctx *context.Context, x *Node) *Node { return Dense(ctx, x, 8) }},
		{"groupnorm", 28, 8, func(ctx *context.Context, x *Node) *Node { return GroupNorm(ctx, x, 2) }},
		{"swish", 28, 8, func(_ *context.Context, x *Node) *Node { return activations.Swish(x) }},
		{"concat", 28, 8, func(_ *context.Context, x *Node) *Node { return Concatenate([]*Node{x, MulScalar(x, 2)}, -1) }},
		{"upsample", 14, 8, func(_ *context.Context, x *Node) *Node { return repeatPixels(x) }},
		{"attention", 7, 16, func(ctx *context.Context, x *Node) *Node { return selfAttention(ctx, x, 2) }},
		{"resblock", 28, 8, func(ctx *context.Context, x *Node) *Node {
			temb := ReduceSum(x, 1, 2) // a stand-in [batch, 8] time embedding
			return ResBlock(ctx, x, temb, 8, 2, 0)
		}},
	}
	for _, p := range parts {
		for _, backward := range []bool{false, true} {
			name := fmt.Sprintf("%s/%dx%dx%d/forward", p.name, p.size, p.size, p.ch)
			if backward {
				name += "+backward"
			}
			b.Run(name, func(b *testing.B) { benchmarkPart(b, p.fn, backward, batch, p.size, p.ch) })
		}
	}
}

// benchmarkPart times fn on a random [batch, size, size, ch] input, with its backward pass when asked.
func benchmarkPart(b *testing.B, fn func(ctx *context.Context, x *Node) *Node, backward bool, batch, size, ch int) {
	exec, err := context.NewExec(backend, context.New(), func(ctx *context.Context, x *Node) []*Node {
		g := x.Graph()
		ctx.SetTraining(g, true)
		y := fn(ctx, x)
		if !backward {
			return []*Node{y}
		}
		wrt := []*Node{x}
		for v := range ctx.IterVariables() {
			wrt = append(wrt, v.ValueGraph(g))
		}
		return Gradient(MulScalar(ReduceAllSum(Square(y)), 0.5), wrt...) // ∂/∂y is y itself
	})
	if err != nil {
		b.Fatal(err)
	}
	x := randomTensor(rand.New(rand.NewPCG(1, 2)), batch, size, size, ch)
	reportCalls(b, func() []*tensors.Tensor { return exec.MustExec(x) })
}

// BenchmarkConvolutions times each 3×3 convolution shape of the MNIST U-Net at batch 128 in its
// three directions apart: the forward pass, the gradient for the input (∂x) and the gradient for the
// kernel (∂W), as GoMLX v0.26 builds them and XLA's CPU backend runs them (Eigen convolutions).
func BenchmarkConvolutions(b *testing.B) {
	for _, s := range []struct{ size, in, out int }{
		{28, 1, 8}, {28, 8, 8}, {28, 16, 8}, {28, 24, 8}, {28, 16, 16}, {28, 8, 1},
		{14, 8, 16}, {14, 16, 16}, {14, 24, 16}, {14, 32, 16}, {7, 16, 16}, {7, 32, 16},
	} {
		for _, direction := range []string{"forward", "dx", "dW"} {
			b.Run(fmt.Sprintf("%dx%d/%dto%d/%s", s.size, s.size, s.in, s.out, direction), func(b *testing.B) {
				benchmarkConvolution(b, s.size, s.in, s.out, direction, dtypes.Float32)
			})
		}
	}
}

// BenchmarkBFloat16Conv times the costliest shapes (28×28) with their operands converted to bfloat16
// in the graph, as mixed precision would, next to float32. XLA's CPU compiler converts them back to
// float32 around the convolution (see the optimised HLO), so bfloat16 only adds conversions.
func BenchmarkBFloat16Conv(b *testing.B) {
	for _, s := range []struct{ in, out int }{{8, 8}, {24, 8}, {16, 16}} {
		for _, direction := range []string{"forward", "dx", "dW"} {
			for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.BFloat16} {
				b.Run(fmt.Sprintf("28x28/%dto%d/%s/%s", s.in, s.out, direction, dtype), func(b *testing.B) {
					benchmarkConvolution(b, 28, s.in, s.out, direction, dtype)
				})
			}
		}
	}
}

func benchmarkConvolution(b *testing.B, size, in, out int, direction string, dtype dtypes.DType) {
	const batch = 128
	conv := func(x, w *Node) *Node { return Convolve(x, w).ChannelsAxis(images.ChannelsLast).PadSame().Done() }
	exec, err := NewExec(backend, func(x, w, dy *Node) *Node {
		x, w, dy = ConvertDType(x, dtype), ConvertDType(w, dtype), ConvertDType(dy, dtype) // no-ops for float32
		switch direction {
		case "dx": // the gradient of Σ y·dy for a given dy is the backward pass with dy arriving
			return Gradient(ReduceAllSum(Mul(conv(x, StopGradient(w)), dy)), x)[0]
		case "dW":
			return Gradient(ReduceAllSum(Mul(conv(StopGradient(x), w), dy)), w)[0]
		}
		return conv(x, w)
	})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := randomTensor(rng, batch, size, size, in)
	w := randomTensor(rng, 3, 3, in, out)
	dy := randomTensor(rng, batch, size, size, out)
	reportCalls(b, func() []*tensors.Tensor { return exec.MustExec(x, w, dy) })
}

// reportCalls calls call once (compiling it), then b.N times, and reports ms per call.
func reportCalls(b *testing.B, call func() []*tensors.Tensor) {
	finalize := func(out []*tensors.Tensor) {
		for _, o := range out {
			o.FinalizeAll()
		}
	}
	_, each := timeCalls(b, func() { finalize(call()) })
	b.ReportMetric(each.Seconds()*1e3, "ms/call")
}

func randomTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	v := make([]float32, shapes.Make(0, dims...).Size())
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}
