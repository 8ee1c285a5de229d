package ddpm

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// countParameters builds the U-Net graph (without compiling it) and counts the weights created.
func countParameters(t *testing.T, cfg UNetConfig) int {
	t.Helper()
	ctx := context.New()
	g := NewGraph(backend, "count")
	x := Parameter(g, "x", shapes.Make(dtypes.Float32, 1, cfg.ImageSize, cfg.ImageSize, cfg.Channels))
	tt := Parameter(g, "t", shapes.Make(dtypes.Int32, 1))
	UNet(ctx, cfg, x, tt)
	n := 0
	for v := range ctx.IterVariables() {
		if v.Trainable {
			n += v.Shape().Size()
		}
	}
	return n
}

func TestPaperCIFAR10ConfigHas35_7MParameters(t *testing.T) {
	n := countParameters(t, PaperCIFAR10Config())
	t.Logf("CIFAR-10 U-Net: %d parameters; MNIST default: %d", n, countParameters(t, MNISTConfig()))
	if math.Abs(float64(n)-35.7e6) > 0.01*35.7e6 {
		t.Errorf("the paper's CIFAR-10 U-Net has %d parameters, want 35.7M ± 1%%", n)
	}
}

func randomData(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64()*2 + 1)
	}
	return x
}

func TestGroupNormMatchesDirectComputation(t *testing.T) {
	const b, h, w, c, groups = 2, 3, 3, 8, 4
	rng := rand.New(rand.NewPCG(1, 1))
	x := randomData(rng, b*h*w*c)
	scale, offset := randomData(rng, c), randomData(rng, c)
	ctx := context.New()
	ctx.In("gn").In("group_norm").VariableWithValue("scale", scale)
	ctx.In("gn").In("group_norm").VariableWithValue("offset", offset)
	exec := context.MustNewExec(backend, ctx.Reuse(), func(ctx *context.Context, x *Node) *Node {
		return GroupNorm(ctx.In("gn"), x, groups)
	})
	got := tensors.MustCopyFlatData[float32](exec.MustExec(tensors.FromFlatDataAndDimensions(x, b, h, w, c))[0])
	per := c / groups
	for bi := range b {
		for gi := range groups {
			var mean, sq float64
			n := 0
			for p := range h * w {
				for k := range per {
					v := float64(x[(bi*h*w+p)*c+gi*per+k])
					mean += v
					sq += v * v
					n++
				}
			}
			mean /= float64(n)
			variance := sq/float64(n) - mean*mean
			for p := range h * w {
				for k := range per {
					ch := gi*per + k
					i := (bi*h*w+p)*c + ch
					want := (float64(x[i])-mean)/math.Sqrt(variance+groupNormEpsilon)*float64(scale[ch]) + float64(offset[ch])
					if math.Abs(float64(got[i])-want) > 1e-4*(1+math.Abs(want)) {
						t.Fatalf("GroupNorm[%d] = %g, want %g", i, got[i], want)
					}
				}
			}
		}
	}
	if groupsFor(16, 32) != 16 || groupsFor(96, 32) != 32 || groupsFor(24, 8) != 8 || groupsFor(20, 8) != 5 {
		t.Errorf("groupsFor: 16→%d, 96→%d, 24→%d, 20→%d", groupsFor(16, 32), groupsFor(96, 32), groupsFor(24, 8), groupsFor(20, 8))
	}
}

func TestTimestepEmbeddingFormula(t *testing.T) {
	for _, dim := range []int{8, 7} {
		ts := []int{1, 10, 999}
		out := tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(t *Node) *Node { return TimestepEmbedding(t, dim) }, StepsTensor(ts...)))
		half := dim / 2
		for i, tt := range ts {
			for k := range half {
				f := math.Exp(-math.Log(10000) * float64(k) / float64(half-1))
				sin, cos := out[i*dim+k], out[i*dim+half+k]
				if math.Abs(float64(sin)-math.Sin(float64(tt)*f)) > 1e-3 || math.Abs(float64(cos)-math.Cos(float64(tt)*f)) > 1e-3 {
					t.Fatalf("dim %d, t=%d, k=%d: (sin, cos) = (%g, %g), want (%g, %g)", dim, tt, k, sin, cos, math.Sin(float64(tt)*f), math.Cos(float64(tt)*f))
				}
			}
			if dim%2 == 1 && out[i*dim+dim-1] != 0 {
				t.Errorf("odd dim %d: last column %g, want 0", dim, out[i*dim+dim-1])
			}
		}
	}
}

func TestAttentionCoreAndIdentityAtInit(t *testing.T) {
	// softmax(q kᵀ/√C) v against a host computation, on [1, 3, 2].
	q := []float32{1, 0, 0, 1, 1, 1}
	k := []float32{0.5, -1, 2, 0, 1, 1}
	v := []float32{1, 2, 3, 4, 5, 6}
	got := tensors.MustCopyFlatData[float32](MustExecOnce(backend, attend,
		tensors.FromFlatDataAndDimensions(q, 1, 3, 2), tensors.FromFlatDataAndDimensions(k, 1, 3, 2), tensors.FromFlatDataAndDimensions(v, 1, 3, 2)))
	for i := range 3 {
		var w [3]float64
		sum := 0.0
		for j := range 3 {
			w[j] = math.Exp((float64(q[2*i])*float64(k[2*j]) + float64(q[2*i+1])*float64(k[2*j+1])) / math.Sqrt2)
			sum += w[j]
		}
		for c := range 2 {
			want := 0.0
			for j := range 3 {
				want += w[j] / sum * float64(v[2*j+c])
			}
			if math.Abs(float64(got[2*i+c])-want) > 1e-5 {
				t.Fatalf("attention[%d,%d] = %g, want %g", i, c, got[2*i+c], want)
			}
		}
	}
	// The block adds a zero-initialised projection: at initialisation it is the identity.
	x := randomData(rand.New(rand.NewPCG(2, 2)), 2*4*4*8)
	exec := context.MustNewExec(backend, context.New(), func(ctx *context.Context, x *Node) *Node { return SelfAttention(ctx, x, 4) })
	out := tensors.MustCopyFlatData[float32](exec.MustExec(tensors.FromFlatDataAndDimensions(x, 2, 4, 4, 8))[0])
	for i := range x {
		if out[i] != x[i] {
			t.Fatalf("self-attention at initialisation changed x[%d] from %g to %g", i, x[i], out[i])
		}
	}
}

func TestUNetShapesZeroInitAndTimeDependence(t *testing.T) {
	cfg := tinyUNet()
	ctx := context.New()
	exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, x, t *Node) *Node { return UNet(ctx, cfg, x, t) })
	xData := randomData(rand.New(rand.NewPCG(3, 3)), 2*8*8)
	x := tensors.FromFlatDataAndDimensions(xData, 2, 8, 8, 1)
	out := exec.MustExec(x, StepsTensor(5, 500))[0]
	if !out.Shape().Equal(x.Shape()) {
		t.Fatalf("U-Net output %s, want the input's shape %s", out.Shape(), x.Shape())
	}
	for i, v := range tensors.MustCopyFlatData[float32](out) {
		if v != 0 {
			t.Fatalf("output[%d] = %g at initialisation, want 0 (conv_out starts at zero)", i, v)
		}
	}
	// Give conv_out weights: the output must now depend on t (same image at two steps).
	for v := range ctx.IterVariables() {
		if strings.Contains(v.Scope(), "conv_out") && v.Name() == "weights" {
			v.SetValue(tensors.FromFlatDataAndDimensions(randomData(rand.New(rand.NewPCG(4, 4)), v.Shape().Size()), v.Shape().Dimensions...))
		}
	}
	same := tensors.FromFlatDataAndDimensions(append(append([]float32{}, xData[:64]...), xData[:64]...), 2, 8, 8, 1)
	y := tensors.MustCopyFlatData[float32](exec.MustExec(same, StepsTensor(5, 500))[0])
	diff := 0.0
	for i := range 64 {
		diff += math.Abs(float64(y[i] - y[64+i]))
	}
	if diff == 0 {
		t.Errorf("the same image at t=5 and t=500 gives the same output: the U-Net ignores t")
	}
}

func TestUNetConfigValidateNamesTheField(t *testing.T) {
	cases := map[string]func(c *UNetConfig){
		"image size 30":             func(c *UNetConfig) { c.ImageSize = 30; c.ChannelMult = []int{1, 2, 2} },
		"base channels 0":           func(c *UNetConfig) { c.BaseChannels = 0 },
		"multipliers are empty":     func(c *UNetConfig) { c.ChannelMult = nil },
		"attention resolution 5":    func(c *UNetConfig) { c.AttnResolutions = []int{5} },
		"dropout 1":                 func(c *UNetConfig) { c.Dropout = 1 },
		"residual blocks per level": func(c *UNetConfig) { c.NumResBlocks = 0 },
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
