package ddpm

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// randFloats returns n values drawn from N(mean, sd²).
func randFloats(rng *rand.Rand, n int, mean, sd float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(mean + sd*rng.NormFloat64())
	}
	return x
}

// trainableParameters counts the weights of ctx's trainable variables.
func trainableParameters(ctx *context.Context) int {
	n := 0
	for v := range ctx.IterVariables() {
		if v.Trainable {
			n += v.Shape().Size()
		}
	}
	return n
}

// buildUNet builds (without compiling or running) the U-Net graph for a batch of one.
func buildUNet(cfg UNetConfig) *context.Context {
	ctx := context.New()
	g := NewGraph(backend, "unet")
	x := Parameter(g, "x", shapes.Make(dtypes.Float32, 1, cfg.ImageSize, cfg.ImageSize, cfg.Channels))
	t := Parameter(g, "t", shapes.Make(dtypes.Int32, 1))
	UNet(ctx, cfg, x, t)
	return ctx
}

func TestUNetPaperCIFAR10ConfigHas35_7MParameters(t *testing.T) {
	ctx := buildUNet(PaperCIFAR10Config())
	n := trainableParameters(ctx)
	t.Logf("the paper's CIFAR-10 U-Net: %d parameters; MNISTConfig: %d", n, trainableParameters(buildUNet(MNISTConfig())))
	if math.Abs(float64(n)-35.7e6) > 0.01*35.7e6 {
		t.Errorf("the paper's CIFAR-10 U-Net has %d parameters, want 35.7M ± 1%%", n)
	}
	// Checkpoints read like the model: attention at 16×16 is level 1; the up path has 3 blocks a level.
	for _, want := range [][2]string{
		{"/temb/dense_0/dense", "weights"}, {"/conv_in/conv", "weights"}, {"/down_0/res_1/conv_1/conv", "weights"},
		{"/down_1/attn_1/q/dense", "weights"}, {"/down_2/downsample/conv", "weights"}, {"/mid/attn/proj_out/dense", "biases"},
		{"/mid/res_1/norm_0/group_norm", "scale"}, {"/up_3/res_2/shortcut/dense", "weights"}, {"/up_1/attn_2/k/dense", "weights"},
		{"/up_1/upsample/conv", "weights"}, {"/norm_out/group_norm", "offset"}, {"/conv_out/conv", "weights"},
	} {
		if ctx.GetVariableByScopeAndName(want[0], want[1]) == nil {
			t.Errorf("no variable %s/%s", want[0], want[1])
		}
	}
	for _, absent := range []string{"/down_0/attn_0/q/dense", "/down_3/downsample/conv", "/up_0/upsample/conv", "/down_0/res_0/shortcut/dense"} {
		if ctx.GetVariableByScopeAndName(absent, "weights") != nil {
			t.Errorf("unexpected variable %s/weights", absent)
		}
	}
}

// hostGroupNorm normalises x ([batch, positions, channels] flattened) over groups of channels on
// the host, in float64, before scale and offset.
func hostGroupNorm(x []float32, batch, channels, groups int) []float64 {
	positions := len(x) / (batch * channels)
	per := channels / groups
	out := make([]float64, len(x))
	for b := range batch {
		for gi := range groups {
			idx := func(p, k int) int { return (b*positions+p)*channels + gi*per + k }
			var sum float64
			for p := range positions {
				for k := range per {
					sum += float64(x[idx(p, k)])
				}
			}
			n := float64(positions * per)
			mean := sum / n
			var sq float64
			for p := range positions {
				for k := range per {
					d := float64(x[idx(p, k)]) - mean
					sq += d * d
				}
			}
			sd := math.Sqrt(sq/n + groupNormEpsilon)
			for p := range positions {
				for k := range per {
					out[idx(p, k)] = (float64(x[idx(p, k)]) - mean) / sd
				}
			}
		}
	}
	return out
}

func TestGroupNormMatchesHostComputation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const groups, channels = 4, 8
	for _, dims := range [][]int{{2, 3, 3, channels}, {3, 5, channels}, {4, channels}} {
		size := 1
		for _, d := range dims {
			size *= d
		}
		x := randFloats(rng, size, 1, 2)
		ctx := context.New()
		exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, x *Node) *Node { return GroupNorm(ctx.In("gn"), x, groups) })
		run := func() []float32 {
			return tensors.MustCopyFlatData[float32](exec.MustExec(tensors.FromFlatDataAndDimensions(x, dims...))[0])
		}
		want := hostGroupNorm(x, dims[0], channels, groups)

		// At initialisation (scale 1, offset 0): mean 0 and variance 1 in every group (a little less
		// than 1 where the group's variance is not large against ε).
		got := run()
		per, perExample := channels/groups, size/dims[0]
		moments := func(values func(i int) float64, b, gi int) (mean, variance float64) {
			var sum, sq float64
			n := 0
			for i := b * perExample; i < (b+1)*perExample; i++ {
				if (i%channels)/per == gi {
					sum, sq, n = sum+values(i), sq+values(i)*values(i), n+1
				}
			}
			mean = sum / float64(n)
			return mean, sq/float64(n) - mean*mean
		}
		for b := range dims[0] {
			for gi := range groups {
				mean, variance := moments(func(i int) float64 { return float64(got[i]) }, b, gi)
				_, wantVariance := moments(func(i int) float64 { return want[i] }, b, gi)
				if math.Abs(mean) > 1e-5 || math.Abs(variance-wantVariance) > 1e-5 || math.Abs(variance-1) > 1e-3 {
					t.Errorf("%v: example %d, group %d: mean %g, variance %g after GroupNorm, want 0 and 1 (%g with ε)",
						dims, b, gi, mean, variance, wantVariance)
				}
			}
		}
		for i := range got {
			if math.Abs(float64(got[i])-want[i]) > 1e-5 {
				t.Fatalf("%v: GroupNorm[%d] = %g, want %g", dims, i, got[i], want[i])
			}
		}

		// With a learned scale and offset per channel.
		scale, offset := randFloats(rng, channels, 1, 0.5), randFloats(rng, channels, 0, 1)
		for name, value := range map[string][]float32{"scale": scale, "offset": offset} {
			if err := ctx.GetVariableByScopeAndName("/gn/group_norm", name).SetValue(tensors.FromValue(value)); err != nil {
				t.Fatal(err)
			}
		}
		got = run()
		for i := range got {
			c := i % channels
			w := want[i]*float64(scale[c]) + float64(offset[c])
			if math.Abs(float64(got[i])-w) > 1e-5 {
				t.Fatalf("%v: GroupNorm[%d] with scale %g and offset %g = %g, want %g", dims, i, scale[c], offset[c], got[i], w)
			}
		}
	}
	for _, c := range [][3]int{{16, 32, 16}, {96, 32, 32}, {24, 8, 8}, {20, 8, 5}, {7, 8, 7}, {13, 4, 1}, {16, 2, 2}} {
		if got := groupsFor(c[0], c[1]); got != c[2] {
			t.Errorf("groupsFor(%d channels, at most %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

func TestTimestepEmbeddingMatchesTheFormula(t *testing.T) {
	ts := []int{1, 2, 10, 500, 1000}
	for _, dim := range []int{2, 7, 8, 32, 33} {
		out := MustExecOnce(backend, func(t *Node) *Node { return TimestepEmbedding(t, dim) }, StepsTensor(ts...))
		if want := []int{len(ts), dim}; !slices.Equal(out.Shape().Dimensions, want) || out.DType() != dtypes.Float32 {
			t.Fatalf("dim %d: shape %s, want float32%v", dim, out.Shape(), want)
		}
		got := tensors.MustCopyFlatData[float32](out)
		half := dim / 2
		for i, step := range ts {
			for k := range half {
				f := 1.0 // half = 1: a single frequency
				if half > 1 {
					f = math.Exp(-math.Log(10000) * float64(k) / float64(half-1))
				}
				arg := float64(step) * f
				tol := 1e-6 * (1 + arg) // float32 rounding of t·f
				if s, c := float64(got[i*dim+k]), float64(got[i*dim+half+k]); math.Abs(s-math.Sin(arg)) > tol || math.Abs(c-math.Cos(arg)) > tol {
					t.Fatalf("dim %d, t=%d, i=%d: (sin, cos) = (%g, %g), want (%g, %g)", dim, step, k, s, c, math.Sin(arg), math.Cos(arg))
				}
			}
			if dim%2 == 1 && got[i*dim+dim-1] != 0 {
				t.Errorf("odd dim %d, t=%d: last column %g, want 0", dim, step, got[i*dim+dim-1])
			}
		}
	}
}

func TestSelfAttentionIsIdentityAtInit(t *testing.T) {
	dims := []int{2, 4, 4, 8}
	x := randFloats(rand.New(rand.NewPCG(2, 2)), 2*4*4*8, 0, 1)
	exec := context.MustNewExec(backend, context.New(), SelfAttention)
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(x, dims...))[0]
	if !slices.Equal(out.Shape().Dimensions, dims) {
		t.Fatalf("SelfAttention output %s, want the input's shape %v", out.Shape(), dims)
	}
	for i, v := range tensors.MustCopyFlatData[float32](out) {
		if v != x[i] {
			t.Fatalf("SelfAttention at initialisation changed x[%d] from %g to %g: proj_out must start at zero", i, x[i], v)
		}
	}
}

func TestSelfAttentionMatchesHostComputation(t *testing.T) {
	const positions, c, groups = 4, 4, 2 // x: [1, 2, 2, 4]
	rng := rand.New(rand.NewPCG(3, 3))
	x := randFloats(rng, positions*c, 0, 1)
	ctx := context.New()
	ctx.SetParam(ParamMaxGroups, groups)
	attn := ctx.In("attn")
	scale, offset := randFloats(rng, c, 1, 0.3), randFloats(rng, c, 0, 0.3)
	attn.In("norm").In("group_norm").VariableWithValue("scale", scale)
	attn.In("norm").In("group_norm").VariableWithValue("offset", offset)
	weights, biases := map[string][]float32{}, map[string][]float32{}
	for _, name := range []string{"q", "k", "v", "proj_out"} {
		weights[name], biases[name] = randFloats(rng, c*c, 0, 0.7), randFloats(rng, c, 0, 0.3)
		dense := attn.In(name).In("dense")
		dense.VariableWithValue("weights", tensors.FromFlatDataAndDimensions(weights[name], c, c))
		dense.VariableWithValue("biases", biases[name])
	}
	// Reuse: building the block must find every variable above, under the same names.
	exec := context.MustNewExec(backend, ctx.Reuse(), func(ctx *context.Context, x *Node) *Node { return SelfAttention(ctx.In("attn"), x) })
	got := tensors.MustCopyFlatData[float32](exec.MustExec(tensors.FromFlatDataAndDimensions(x, 1, 2, 2, c))[0])

	norm := hostGroupNorm(x, 1, c, groups)
	for i := range norm {
		norm[i] = norm[i]*float64(scale[i%c]) + float64(offset[i%c])
	}
	dense := func(name string, in []float64) []float64 { // [positions, c] × [c, c] + bias
		out := make([]float64, positions*c)
		for p := range positions {
			for o := range c {
				out[p*c+o] = float64(biases[name][o])
				for k := range c {
					out[p*c+o] += in[p*c+k] * float64(weights[name][k*c+o])
				}
			}
		}
		return out
	}
	q, k, v := dense("q", norm), dense("k", norm), dense("v", norm)
	mixed := make([]float64, positions*c)
	for i := range positions {
		logits := make([]float64, positions)
		maxLogit := math.Inf(-1)
		for j := range positions {
			for ch := range c {
				logits[j] += q[i*c+ch] * k[j*c+ch]
			}
			logits[j] /= math.Sqrt(c)
			maxLogit = max(maxLogit, logits[j])
		}
		var sum float64
		for j := range logits {
			logits[j] = math.Exp(logits[j] - maxLogit)
			sum += logits[j]
		}
		for j := range positions {
			for ch := range c {
				mixed[i*c+ch] += logits[j] / sum * v[j*c+ch]
			}
		}
	}
	proj := dense("proj_out", mixed)
	maxDelta := 0.0
	for i := range got {
		want := float64(x[i]) + proj[i]
		maxDelta = max(maxDelta, math.Abs(proj[i]))
		if math.Abs(float64(got[i])-want) > 1e-5 {
			t.Fatalf("SelfAttention[position %d, channel %d] = %g, want %g", i/c, i%c, got[i], want)
		}
	}
	if maxDelta < 0.1 {
		t.Errorf("the attention branch adds at most %g: too small for the comparison to test it", maxDelta)
	}
}

func TestUNetRepeatPixels(t *testing.T) {
	x := []float32{1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60} // [1, 2, 3, 2]
	got := tensors.MustCopyFlatData[float32](MustExecOnce(backend, repeatPixels, tensors.FromFlatDataAndDimensions(x, 1, 2, 3, 2)))
	for r := range 4 {
		for s := range 6 {
			for ch := range 2 {
				if want := x[((r/2)*3+s/2)*2+ch]; got[(r*6+s)*2+ch] != want {
					t.Fatalf("repeatPixels[%d,%d,%d] = %g, want %g", r, s, ch, got[(r*6+s)*2+ch], want)
				}
			}
		}
	}
}

func TestUNetOnMNISTConfig(t *testing.T) {
	cfg := MNISTConfig()
	size := cfg.ImageSize * cfg.ImageSize * cfg.Channels
	ctx := context.New()
	exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, x, t *Node) *Node { return UNet(ctx, cfg, x, t) })
	// Both examples hold the same image, at t = 5 and t = 500.
	img := randFloats(rand.New(rand.NewPCG(4, 4)), size, 0, 1)
	x := tensors.FromFlatDataAndDimensions(append(slices.Clone(img), img...), 2, cfg.ImageSize, cfg.ImageSize, cfg.Channels)
	ts := StepsTensor(5, 500)
	run := func(exec *context.Exec) []float32 { return tensors.MustCopyFlatData[float32](exec.MustExec(x, ts)[0]) }
	out := exec.MustExec(x, ts)[0]
	if !out.Shape().Equal(x.Shape()) {
		t.Fatalf("U-Net output %s, want the input's shape %s", out.Shape(), x.Shape())
	}
	for i, v := range tensors.MustCopyFlatData[float32](out) {
		if v != 0 {
			t.Fatalf("output[%d] = %g at initialisation, want exactly 0 (conv_out starts at zero)", i, v)
		}
	}

	// perturb sets the weights of every scope ending in suffix to random values.
	rng := rand.New(rand.NewPCG(5, 5))
	perturb := func(suffix string) {
		n := 0
		for v := range ctx.IterVariables() {
			if strings.HasSuffix(v.Scope(), suffix) && v.Name() == "weights" {
				value := tensors.FromFlatDataAndDimensions(randFloats(rng, v.Shape().Size(), 0, 0.1), v.Shape().Dimensions...)
				if err := v.SetValue(value); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
		if n == 0 {
			t.Fatalf("no variables in a scope ending in %q", suffix)
		}
	}
	diff := func(y []float32) (between, scale float64) { // mean |y(t=5) − y(t=500)| and mean |y|
		for i := range size {
			between += math.Abs(float64(y[i] - y[size+i]))
			scale += math.Abs(float64(y[i])) + math.Abs(float64(y[size+i]))
		}
		return between / float64(size), scale / float64(2*size)
	}

	// With conv_out alone non-zero, every residual block still reduces to its shortcut and every
	// attention block to the identity: t does not reach the output yet.
	perturb("/conv_out/conv")
	between, scale := diff(run(exec))
	if scale == 0 || between > 1e-6*scale {
		t.Errorf("conv_out perturbed: mean |output| %g, t changes it by %g; want > 0 and ≈ 0 (t enters only through the zero-initialised convolutions)", scale, between)
	}
	// With the last convolution of every residual block non-zero, the time embedding reaches the
	// output: the same image at t = 5 and t = 500 gives different ε.
	perturb("/conv_1/conv")
	y := run(exec)
	between, scale = diff(y)
	if between < 1e-3*scale {
		t.Errorf("the same image at t=5 and t=500: outputs differ by %g on average (output scale %g): the U-Net ignores t", between, scale)
	}
	// Dropout acts in training only: with dropout, two training evaluations differ, and evaluations
	// outside training are deterministic.
	dropCfg := cfg
	dropCfg.Dropout = 0.1
	eval := context.MustNewExec(backend, ctx.Reuse(), func(ctx *context.Context, x, t *Node) *Node { return UNet(ctx, dropCfg, x, t) })
	if !slices.Equal(run(eval), y) {
		t.Errorf("dropout %g changed the output outside training", dropCfg.Dropout)
	}
	training := context.MustNewExec(backend, ctx.Reuse(), func(ctx *context.Context, x, t *Node) *Node {
		ctx.SetTraining(x.Graph(), true)
		return UNet(ctx, dropCfg, x, t)
	})
	if slices.Equal(run(training), run(training)) {
		t.Errorf("two training evaluations with dropout %g are identical", dropCfg.Dropout)
	}
}

// Every operation of the U-Net must have a gradient, and every variable must receive one.
func TestUNetGradientsBuild(t *testing.T) {
	cfg := MNISTConfig()
	cfg.Dropout = 0.1
	ctx := context.New()
	g := NewGraph(backend, "gradients")
	ctx.SetTraining(g, true)
	x := Parameter(g, "x", shapes.Make(dtypes.Float32, 2, cfg.ImageSize, cfg.ImageSize, cfg.Channels))
	tt := Parameter(g, "t", shapes.Make(dtypes.Int32, 2))
	loss := ReduceAllMean(Square(UNet(ctx, cfg, x, tt)))
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	n := 0
	for v := range ctx.IterVariables() {
		if v.Trainable {
			n++
		}
	}
	if len(grads) != n {
		t.Errorf("%d gradients for %d trainable variables", len(grads), n)
	}
}

func TestUNetConfigValidateNamesTheField(t *testing.T) {
	cases := map[string]func(c *UNetConfig){
		"ImageSize=30": func(c *UNetConfig) { c.ImageSize = 30 },
		"ImageSize=0":  func(c *UNetConfig) { c.ImageSize = 0 },
		// 2^40, edited into a checkpoint, failed inside GoMLX (twenty-fourth probe).
		"ImageSize=1099511627776": func(c *UNetConfig) { c.ImageSize = 1 << 40 },
		"Channels=0":              func(c *UNetConfig) { c.Channels = 0 },
		"BaseChannels=-8":         func(c *UNetConfig) { c.BaseChannels = -8 },
		"ChannelMult is empty":    func(c *UNetConfig) { c.ChannelMult = nil },
		"ChannelMult[1]=0":        func(c *UNetConfig) { c.ChannelMult = []int{1, 0, 2} },
		"NumResBlocks=0":          func(c *UNetConfig) { c.NumResBlocks = 0 },
		// 65 levels panicked on 1<<64 = 0; 100 000 blocks took minutes to trace (fourteenth probe).
		"ChannelMult has 65 levels": func(c *UNetConfig) { c.ChannelMult = slices.Repeat([]int{1}, 65) },
		"ChannelMult has 64 levels": func(c *UNetConfig) { c.ChannelMult = slices.Repeat([]int{1}, 64) },
		"NumResBlocks=100000":       func(c *UNetConfig) { c.NumResBlocks = 100000 },
		"AttnResolutions[1]=5":      func(c *UNetConfig) { c.AttnResolutions = []int{7, 5} },
		"AttnResolutions[0]=3":      func(c *UNetConfig) { c.AttnResolutions = []int{3} },
		"Dropout=1":                 func(c *UNetConfig) { c.Dropout = 1 },
		"Dropout=-0.1":              func(c *UNetConfig) { c.Dropout = -0.1 },
		"Dropout=NaN":               func(c *UNetConfig) { c.Dropout = math.NaN() },
		"MaxGroups=0":               func(c *UNetConfig) { c.MaxGroups = 0 },
		"divisible by 8":            func(c *UNetConfig) { c.ChannelMult = []int{1, 1, 1, 1} }, // 28 = 4·7
	}
	for want, mutate := range cases {
		cfg := MNISTConfig()
		mutate(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Validate() = %v", want, err)
		}
	}
	for _, cfg := range []UNetConfig{MNISTConfig(), PaperCIFAR10Config()} {
		if err := cfg.Validate(); err != nil {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}
