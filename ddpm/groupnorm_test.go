package ddpm

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// standardizeByAutodiff is GroupNorm's standardisation as plain graph operations, whose gradient
// GoMLX derives: the reference for standardize's closed-form gradient.
func standardizeByAutodiff(x *Node, axes []int) *Node {
	mean := ReduceAndKeep(x, ReduceMean, axes...)
	centered := Sub(x, mean)
	variance := ReduceAndKeep(Square(centered), ReduceMean, axes...)
	return Div(centered, Sqrt(AddScalar(variance, groupNormEpsilon)))
}

// GroupNorm's gradients with respect to x, the scale and the offset equal those of the autodiff
// formulation, for images and for sequences, with a loss that weighs every output differently
// (with a uniform weight the gradient for x would be 0 whatever the formula).
func TestGroupNormGradientMatchesAutodiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dims := range [][]int{{3, 4, 4, 8}, {2, 5, 6}} {
		size := 1
		for _, d := range dims {
			size *= d
		}
		channels, groups := dims[len(dims)-1], 2
		x := tensors.FromFlatDataAndDimensions(randFloats(rng, size, 0.5, 2), dims...)
		ctx := context.New()
		exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, x *Node) []*Node {
			g := x.Graph()
			ours := GroupNorm(ctx.In("gn"), x, groups)
			scale := ctx.GetVariableByScopeAndName("/gn/group_norm", "scale").ValueGraph(g)
			offset := ctx.GetVariableByScopeAndName("/gn/group_norm", "offset").ValueGraph(g)
			// The reference, from the same scale and offset.
			grouped := Reshape(x, append(append([]int{}, dims[:len(dims)-1]...), groups, channels/groups)...)
			axes := []int{1, grouped.Rank() - 1}
			if grouped.Rank() == 5 {
				axes = []int{1, 2, 4}
			}
			ref := Add(Mul(Reshape(standardizeByAutodiff(grouped, axes), dims...), ExpandLeftToRank(scale, x.Rank())),
				ExpandLeftToRank(offset, x.Rank()))
			w := Cos(MulScalar(IotaFull(g, ours.Shape()), 0.37))
			g1 := Gradient(ReduceAllSum(Mul(Square(ours), w)), x, scale, offset)
			g2 := Gradient(ReduceAllSum(Mul(Square(ref), w)), x, scale, offset)
			return []*Node{ours, ref, g1[0], g2[0], g1[1], g2[1], g1[2], g2[2]}
		})
		exec.MustExec(x) // creates the variables; then a scale and offset other than 1 and 0
		for name, value := range map[string][]float32{"scale": randFloats(rng, channels, 1, 0.5), "offset": randFloats(rng, channels, 0, 1)} {
			if err := ctx.GetVariableByScopeAndName("/gn/group_norm", name).SetValue(tensors.FromValue(value)); err != nil {
				t.Fatal(err)
			}
		}
		out := exec.MustExec(x)
		for i, what := range []string{"value", "gradient for x", "gradient for the scale", "gradient for the offset"} {
			got, want := tensors.MustCopyFlatData[float32](out[2*i]), tensors.MustCopyFlatData[float32](out[2*i+1])
			var maxAbs float64
			for _, w := range want {
				maxAbs = max(maxAbs, math.Abs(float64(w)))
			}
			if maxAbs == 0 {
				t.Fatalf("%v: the reference %s is all zeros: the check would be empty", dims, what)
			}
			for j := range want {
				if math.Abs(float64(got[j]-want[j])) > 1e-4*maxAbs {
					t.Fatalf("%v: %s [%d]: GroupNorm %g, autodiff %g", dims, what, j, got[j], want[j])
				}
			}
		}
	}
}
