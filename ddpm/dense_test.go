package ddpm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
)

// Dense is layers.Dense computed as a 1×1 convolution: from the same variables both must give the
// same values and the same gradients (for the input and for the weights), at every rank it is used.
func TestDenseMatchesLayersDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, dims := range [][]int{{6, 5}, {2, 3, 5}, {2, 3, 3, 5}} {
		size := 1
		for _, d := range dims {
			size *= d
		}
		x := tensors.FromFlatDataAndDimensions(randFloats(rng, size, 0, 1), dims...)
		ctx := context.New()
		exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, x *Node) []*Node {
			ours, theirs := Dense(ctx.In("p"), x, 4), layers.Dense(ctx.Reuse().In("p"), x, true, 4)
			// A loss that weighs each output differently, so that the gradients are not symmetric.
			weights := AddScalar(IotaFull(x.Graph(), ours.Shape()), 1)
			w := ctx.GetVariableByScopeAndName("/p/dense", "weights").ValueGraph(x.Graph())
			grad := func(y *Node) []*Node { return Gradient(ReduceAllSum(Mul(y, weights)), x, w) }
			g1, g2 := grad(ours), grad(theirs)
			return []*Node{ours, theirs, g1[0], g2[0], g1[1], g2[1]}
		})
		exec.MustExec(x) // creates the variables; then give the biases values (they start at zero)
		if err := ctx.GetVariableByScopeAndName("/p/dense", "biases").SetValue(tensors.FromValue([]float32{1, -2, 3, 0.5})); err != nil {
			t.Fatal(err)
		}
		out := exec.MustExec(x)
		if want := append(slices.Clone(dims[:len(dims)-1]), 4); !slices.Equal(out[0].Shape().Dimensions, want) {
			t.Fatalf("Dense of %v: shape %s, want %v", dims, out[0].Shape(), want)
		}
		for i, what := range []string{"output", "gradient for x", "gradient for the weights"} {
			got, want := tensors.MustCopyFlatData[float32](out[2*i]), tensors.MustCopyFlatData[float32](out[2*i+1])
			for j := range want {
				if math.Abs(float64(got[j]-want[j])) > 1e-4*(1+math.Abs(float64(want[j]))) {
					t.Fatalf("input %v, %s [%d]: Dense %g, layers.Dense %g", dims, what, j, got[j], want[j])
				}
			}
		}
	}
}
