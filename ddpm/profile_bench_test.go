package ddpm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/core/tensors/images"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// The profile of the MNIST training step that docs/speed.md quotes: where the time goes by
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

// BenchmarkFlatUpdate times Train's step at batch 64 (the default run's) with the optimiser as it is,
// one update per weight ("per-weight"), with flatUpdateGraph's flat state ("flat"), and with the state kept
// per weight but concatenated for the update ("concat"), for both MNIST U-Nets; "sgd", a plain SGD
// update, is the floor that no optimiser's formulation can go below. The variants' calls are
// interleaved, so that the machine's drift hits all alike; each reports its median.
func BenchmarkFlatUpdate(b *testing.B) {
	benchmarkTrainStepVariants(b, []string{"per-weight", "flat", "concat", "sgd"}, nil,
		func(variant string, ctx *context.Context, g *Graph, l *Node) {
			switch variant {
			case "sgd":
				sgdStep(ctx, g, l, 1e-4)
			case "flat", "concat":
				flatUpdateGraph(ctx, g, l, PaperOptimizer(), variant == "concat")
			default:
				opt, err := NewOptimizer(PaperOptimizer())
				if err != nil {
					panic(err)
				}
				opt.UpdateGraph(ctx, g, l)
			}
		})
}

// BenchmarkKernelGrad times Train's step at batch 64 for both MNIST U-Nets with convolve's swapped
// ∂W where C' < C ("swapped", as trained), with GoMLX's ∂W for every convolution ("gomlx"), and with
// no ∂W at all ("no-dW", the kernels held constant: what the step would cost if ∂W were free),
// interleaved, medians.
func BenchmarkKernelGrad(b *testing.B) {
	modes := map[string]kernelGradMode{"gomlx": kernelGradGoMLX, "swapped": kernelGradFastest, "no-dW": kernelGradNone}
	defer func() { kernelGrad = kernelGradFastest }()
	benchmarkTrainStepVariants(b, []string{"gomlx", "swapped", "no-dW"},
		func(variant string) { kernelGrad = modes[variant] },
		func(_ string, ctx *context.Context, g *Graph, l *Node) {
			opt, err := NewOptimizer(PaperOptimizer())
			if err != nil {
				panic(err)
			}
			opt.UpdateGraph(ctx, g, l)
		})
}

// benchmarkTrainStepVariants compiles, for both MNIST U-Nets, one training step at batch 64 per
// variant (L_simple, then update's variant of the update; prepare, if not nil, runs before the
// variant's graph is built), then calls them in turn, so that the machine's drift hits all alike,
// and reports each one's median as "<variant>-ms".
func benchmarkTrainStepVariants(b *testing.B, variants []string, prepare func(variant string),
	update func(variant string, ctx *context.Context, g *Graph, loss *Node)) {
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	for _, c := range []struct {
		name string
		cfg  UNetConfig
	}{{"mnist-small", MNISTSmallConfig()}, {"mnist", MNISTConfig()}} {
		b.Run(c.name, func(b *testing.B) {
			model := UNetModel(c.cfg)
			x := randomImages(64, c.cfg)
			execs := make([]*context.Exec, len(variants))
			for i, variant := range variants {
				exec, err := context.NewExec(backend, context.New(), func(ctx *context.Context, x0 *Node) *Node {
					ctx.SetTraining(x0.Graph(), true)
					l := sched.SimpleLoss(ctx, model, x0)
					update(variant, ctx, x0.Graph(), l)
					return l
				})
				if err != nil {
					b.Fatal(err)
				}
				if prepare != nil {
					prepare(variant)
				}
				exec.MustExec(x)[0].FinalizeAll() // builds the graph and compiles it
				execs[i] = exec
			}
			times := make([][]float64, len(variants))
			b.ResetTimer()
			for range b.N {
				for i, exec := range execs {
					start := time.Now()
					exec.MustExec(x)[0].FinalizeAll()
					times[i] = append(times[i], time.Since(start).Seconds()*1e3)
				}
			}
			for i, v := range variants {
				slices.Sort(times[i])
				b.ReportMetric(times[i][len(times[i])/2], v+"-ms")
			}
		})
	}
}

// flatUpdateGraph is the experiment of issue 10's "one fused update": the optimiser of Train
// (clipping, warm-up, Adam, EMA) over all weights concatenated into one vector, with Adam's moments
// and the EMA kept flat, the updated weights sliced back out. Timed against Optimizer.UpdateGraph.
func flatUpdateGraph(ctx *context.Context, g *Graph, loss *Node, cfg OptimizerConfig, perVariableState bool) {
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	var weights []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			weights = append(weights, v)
		}
	}
	flat := func(nodes []*Node) *Node {
		parts := make([]*Node, len(nodes))
		for i, n := range nodes {
			parts[i] = Reshape(n, -1)
		}
		return Concatenate(parts, 0)
	}
	unflatten := func(x *Node, vars []*context.Variable) { // the inverse of flat, into vars
		offset := 0
		for _, v := range vars {
			n := v.Shape().Size()
			v.SetValueGraph(Reshape(Slice(x, AxisRange(offset, offset+n)), v.Shape().Dimensions...))
			offset += n
		}
	}
	values := make([]*Node, len(weights))
	for i, v := range weights {
		values[i] = v.ValueGraph(g)
	}
	gr, w := ClipByGlobalNorm([]*Node{flat(grads)}, cfg.ClipNorm)[0], flat(values)

	stepVar := optimizers.GetGlobalStepVar(ctx)
	stepInt := AddScalar(stepVar.ValueGraph(g), 1)
	stepVar.SetValueGraph(stepInt)
	step := ConvertDType(stepInt, dtypes.Float32)
	lr := cfg.warmedUpLearningRate(step)

	state := ctx.In("flat").Checked(false).WithInitializer(zeroInitializer)
	type stateVar struct {
		get func() *Node
		set func(*Node)
	}
	newState := func(name string) stateVar {
		if !perVariableState {
			v := state.VariableWithShape(name, w.Shape()).SetTrainable(false)
			return stateVar{func() *Node { return v.ValueGraph(g) }, v.SetValueGraph}
		}
		vars := make([]*context.Variable, len(weights))
		for i, wv := range weights {
			vars[i] = ctx.InAbsPath("/flat/"+name+wv.Scope()).Checked(false).WithInitializer(zeroInitializer).
				VariableWithShape(wv.Name(), wv.Shape()).SetTrainable(false)
		}
		return stateVar{
			func() *Node {
				nodes := make([]*Node, len(vars))
				for i, v := range vars {
					nodes[i] = v.ValueGraph(g)
				}
				return flat(nodes)
			},
			func(x *Node) { unflatten(x, vars) }}
	}
	m1, m2, ema := newState("m1"), newState("m2"), newState("ema")
	const beta1, beta2, epsilon = 0.9, 0.999, 1e-7
	m := Add(MulScalar(m1.get(), beta1), MulScalar(gr, 1-beta1))
	s := Add(MulScalar(m2.get(), beta2), MulScalar(Square(gr), 1-beta2))
	m1.set(m)
	m2.set(s)
	debias1 := Reciprocal(OneMinus(Pow(Scalar(g, dtypes.Float32, beta1), step)))
	debias2 := Reciprocal(OneMinus(Pow(Scalar(g, dtypes.Float32, beta2), step)))
	w = Sub(w, Div(Mul(lr, Mul(m, debias1)), AddScalar(Sqrt(Mul(s, debias2)), epsilon)))
	d := emaDecay(step, cfg.EMADecay)
	ema.set(Add(Mul(d, ema.get()), Mul(OneMinus(d), w)))
	unflatten(w, weights)
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
// kernel (∂W), as GoMLX v0.26 builds them and XLA's CPU backend runs them (Eigen convolutions), and
// ∂W formulated otherwise: convolve's swapped convolution (used where C' < C) and the flat products.
func BenchmarkConvolutions(b *testing.B) {
	for _, s := range []struct{ size, in, out int }{
		{28, 1, 8}, {28, 8, 8}, {28, 16, 8}, {28, 24, 8}, {28, 16, 16}, {28, 8, 1},
		{14, 8, 16}, {14, 16, 16}, {14, 24, 16}, {14, 32, 16}, {7, 16, 16}, {7, 32, 16},
	} {
		for _, direction := range []string{"forward", "dx", "dW", "dW-swapped", "dW-flat", "dW-flat-per-image"} {
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
		case "dW-swapped":
			return convKernelGradSwapped(x, dy, 3)
		case "dW-flat":
			return convKernelGradFlat(x, dy, false)
		case "dW-flat-per-image":
			return convKernelGradFlat(x, dy, true)
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

// The flat update of BenchmarkFlatUpdate does the optimiser's arithmetic (so the timings compare the
// same work): three variables of different shapes, five steps of each, the same weights and EMA to
// 1e-5 relative (float32 rounding in another order; β₂ = 0.99 instead of 0.999, or the clipping left
// out, moves them further). The loss's gradients are large enough that clipping applies. The warm-up
// and the EMA's decay are the optimiser's own helpers.
func TestFlatUpdateMatchesOptimizer(t *testing.T) {
	cfg := OptimizerConfig{LearningRate: 0.1, WarmupSteps: 3, ClipNorm: 1, EMADecay: 0.9}
	newCtx := func() *context.Context {
		ctx := context.New()
		ctx.In("a").VariableWithValue("w", [][]float32{{1, -2, 3}, {0.5, 4, -1}})
		ctx.In("b").VariableWithValue("w", []float32{2, -3})
		ctx.In("c").VariableWithValue("w", float32(-1.5))
		return ctx
	}
	loss := func(ctx *context.Context, g *Graph) *Node {
		var sum *Node
		for v := range ctx.IterVariables() {
			if v.Trainable {
				w := v.ValueGraph(g)
				s := ReduceAllSum(Add(Mul(Square(w), w), Sin(MulScalar(w, 3))))
				if sum == nil {
					sum = s
				} else {
					sum = Add(sum, s)
				}
			}
		}
		return sum
	}
	run := func(update func(ctx *context.Context, g *Graph, l *Node)) (weights, ema []float32) {
		ctx := newCtx()
		exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, g *Graph) *Node {
			l := loss(ctx, g)
			update(ctx, g, l)
			return l
		})
		for range 5 {
			exec.MustExec()[0].FinalizeAll()
		}
		for _, scope := range []string{"/a", "/b", "/c"} {
			weights = append(weights, tensors.MustCopyFlatData[float32](ctx.GetVariableByScopeAndName(scope, "w").MustValue())...)
			for _, emaScope := range []string{EMAScope, "/flat/ema"} { // the optimiser's, or the concat variant's
				if e := ctx.GetVariableByScopeAndName(emaScope+scope, "w"); e != nil {
					ema = append(ema, tensors.MustCopyFlatData[float32](e.MustValue())...)
				}
			}
		}
		if e := ctx.GetVariableByScopeAndName("/flat", "ema"); e != nil {
			ema = tensors.MustCopyFlatData[float32](e.MustValue())
		}
		return weights, ema
	}
	opt, err := NewOptimizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	wantW, wantEMA := run(func(ctx *context.Context, g *Graph, l *Node) { opt.UpdateGraph(ctx, g, l) })
	for _, perVariableState := range []bool{false, true} {
		gotW, gotEMA := run(func(ctx *context.Context, g *Graph, l *Node) { flatUpdateGraph(ctx, g, l, cfg, perVariableState) })
		if len(wantW) != 9 || len(gotEMA) != len(wantEMA) || len(wantEMA) != 9 {
			t.Fatalf("weights %d, EMA %d and %d values; want 9", len(wantW), len(wantEMA), len(gotEMA))
		}
		for i := range wantW {
			what := fmt.Sprintf("state per weight %v, value %d: flat update's", perVariableState, i)
			within(t, what+" weight", float64(gotW[i]), float64(wantW[i]), 1e-5*math.Max(1, math.Abs(float64(wantW[i]))))
			within(t, what+" EMA", float64(gotEMA[i]), float64(wantEMA[i]), 1e-5*math.Max(1, math.Abs(float64(wantEMA[i]))))
		}
	}
	if wantW[0] == 1 {
		t.Errorf("the weights did not move")
	}
}

// convKernelGradFlat is ∂W of a 3×3 "same" convolution as one matrix product: x and dy padded by one
// pixel and flattened to rows [N·(H+2)·(W+2), C], each tap (kh, kw) of the kernel reads x's rows
// shifted by (kh−1)(W+2)+(kw−1) (dy is zero on the padding ring, so the shift never mixes images or
// rows), the nine shifted views side by side, contracted with dy over the rows.
func convKernelGradFlat(x, dy *Node, perImage bool) *Node {
	n, h, w, ci := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	co := dy.Shape().Dim(3)
	ring := func(v *Node) *Node {
		zero := ScalarZero(v.Graph(), v.DType())
		return Pad(v, zero, PadAxis{}, PadAxis{Start: 1, End: 1}, PadAxis{Start: 1, End: 1}, PadAxis{})
	}
	rows := n * (h + 2) * (w + 2)
	margin := w + 3
	xs := Reshape(ring(x), rows, ci)
	xs = Pad(xs, ScalarZero(x.Graph(), x.DType()), PadAxis{Start: margin, End: margin}, PadAxis{})
	dys := Reshape(ring(dy), rows, co)
	taps := make([]*Node, 0, 9)
	for kh := range 3 {
		for kw := range 3 {
			off := margin + (kh-1)*(w+2) + (kw - 1)
			taps = append(taps, Slice(xs, AxisRange(off, off+rows)))
		}
	}
	cols := Concatenate(taps, 1) // [rows, 9·ci]
	if perImage {
		// One product per image, summed.
		cols, dys = Reshape(cols, n, rows/n, 9*ci), Reshape(dys, n, rows/n, co)
		return Reshape(ReduceSum(DotGeneral(cols, []int{1}, []int{0}, dys, []int{1}, []int{0}), 0), 3, 3, ci, co)
	}
	return Reshape(DotGeneral(cols, []int{0}, nil, dys, []int{0}, nil), 3, 3, ci, co)
}

// convKernelGradFlat equals autodiff's ∂W (1e-4) on a non-square image, so that its timing compares
// the same result; a tap shifted by one row or column, or a shift leaking across images, would differ.
func TestConvKernelGradFlat(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, dy := randomTensor(rng, 3, 6, 5, 4), randomTensor(rng, 3, 6, 5, 2)
	w := randomTensor(rng, 3, 3, 4, 2)
	out := MustExecOnceN(backend, func(x, w, dy *Node) []*Node {
		y := Convolve(x, w).ChannelsAxis(images.ChannelsLast).PadSame().Done()
		return []*Node{Gradient(ReduceAllSum(Mul(y, dy)), w)[0], convKernelGradFlat(x, dy, false), convKernelGradFlat(x, dy, true)}
	}, x, w, dy)
	want := tensors.MustCopyFlatData[float32](out[0])
	for k, o := range out[1:] {
		got := tensors.MustCopyFlatData[float32](o)
		for i := range want {
			within(t, fmt.Sprintf("per image %v: ∂W[%d]", k == 1, i), float64(got[i]), float64(want[i]), 1e-4*math.Max(1, math.Abs(float64(want[i]))))
		}
	}
}
