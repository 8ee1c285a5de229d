package ddpm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"weak"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/core/tensors/images"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
)

// convolve's value and gradients equal GoMLX's Convolve and its autodiff (1e-4) for kernels of 1, 3
// and 5 taps, fewer and more output than input channels, and stride 2, on a non-square image. The
// swapped ∂W is taken exactly when C' < C at stride 1; a missing flip (the taps reversed), a wrong
// padding (taps shifted) or the height and width exchanged would each change the gradient.
func TestConvolveMatchesGoMLX(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ k, in, out, stride int }{
		{3, 5, 2, 1}, {1, 5, 2, 1}, {5, 4, 3, 1}, {3, 2, 5, 1}, {3, 3, 3, 1}, {3, 5, 2, 2},
	} {
		name := fmt.Sprintf("%d×%d %d→%d stride %d", c.k, c.k, c.in, c.out, c.stride)
		x := randomTensor(rng, 3, 9, 7, c.in)
		w := randomTensor(rng, c.k, c.k, c.in, c.out)
		h, wd := (9+c.stride-1)/c.stride, (7+c.stride-1)/c.stride
		dy := randomTensor(rng, 3, h, wd, c.out)
		swapped := false
		out := MustExecOnceN(backend, func(x, w, dy *Node) []*Node {
			want := Convolve(x, w).ChannelsAxis(images.ChannelsLast).Strides(c.stride).PadSame().Done()
			got := convolve(x, w, c.stride)
			_, swapped = customVJPs.Load(weak.Make(got))
			wantGrads := Gradient(ReduceAllSum(Mul(want, dy)), x, w)
			gotGrads := Gradient(ReduceAllSum(Mul(got, dy)), x, w)
			return []*Node{want, got, wantGrads[0], gotGrads[0], wantGrads[1], gotGrads[1]}
		}, x, w, dy)
		if want := c.stride == 1 && c.out < c.in; swapped != want {
			t.Errorf("%s: swapped ∂W used %v, want %v", name, swapped, want)
		}
		for i, what := range []string{"value", "∂x", "∂W"} {
			wantV, gotV := tensors.MustCopyFlatData[float32](out[2*i]), tensors.MustCopyFlatData[float32](out[2*i+1])
			if len(gotV) != len(wantV) {
				t.Fatalf("%s: %s has %d values, want %d", name, what, len(gotV), len(wantV))
			}
			for j := range wantV {
				within(t, fmt.Sprintf("%s: %s[%d]", name, what, j), float64(gotV[j]), float64(wantV[j]), 1e-4*math.Max(1, math.Abs(float64(wantV[j]))))
			}
		}
	}
}

// conv3x3 creates layers.Convolution's variables, so that a model initialised from a seed has the
// same weights as before and earlier checkpoints load: another scope, name, shape or initializer
// (GoMLX's default for the weights, zero for the biases) would fail this.
func TestConv3x3VariablesAsLayersConvolution(t *testing.T) {
	weights := func(build func(ctx *context.Context, x *Node) *Node) map[string][]float32 {
		ctx := context.New()
		if err := ctx.SetRNGStateFromSeed(7); err != nil {
			t.Fatal(err)
		}
		x := randomTensor(rand.New(rand.NewPCG(1, 1)), 2, 4, 4, 3)
		context.MustExecOnce(backend, ctx, build, x)
		return variableValues(t, ctx)
	}
	want := weights(func(ctx *context.Context, x *Node) *Node {
		return layers.Convolution(ctx.In("a"), x).Channels(5).KernelSize(3).PadSame().Done()
	})
	got := weights(func(ctx *context.Context, x *Node) *Node { return conv3x3(ctx.In("a"), x, 5, 1) })
	if len(got) != 2 || len(want) != 2 {
		t.Fatalf("variables %v, want %v", len(got), len(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok || len(g) != len(w) {
			t.Fatalf("variable %s: %d values, want %d", name, len(g), len(w))
		}
		if d := maxAbsDiff(g, w); d != 0 {
			t.Fatalf("variable %s differs from layers.Convolution's by up to %g", name, d)
		}
	}
}
