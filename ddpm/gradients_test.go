package ddpm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// batchMatMul must give Einsum's values and, through its own gradient, Einsum's gradients (GoMLX's
// autodiff), for each choice of contracted axes; and a DotGeneral built outside it keeps GoMLX's
// gradient.
func TestBatchMatMulMatchesEinsum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const batch, m, n, k = 2, 3, 4, 5
	for _, c := range []struct {
		aK, bK int
		eq     string
	}{{2, 2, "bmk,bnk->bmn"}, {2, 1, "bmk,bkn->bmn"}, {1, 2, "bkm,bnk->bmn"}, {1, 1, "bkm,bkn->bmn"}} {
		t.Run(fmt.Sprintf("axes%d%d", c.aK, c.bK), func(t *testing.T) {
			aDims, bDims := []int{batch, m, k}, []int{batch, n, k}
			if c.aK == 1 {
				aDims = []int{batch, k, m}
			}
			if c.bK == 1 {
				bDims = []int{batch, k, n}
			}
			a := tensors.FromFlatDataAndDimensions(randFloats(rng, batch*m*k, 0, 1), aDims...)
			b := tensors.FromFlatDataAndDimensions(randFloats(rng, batch*n*k, 0, 1), bDims...)
			out := MustExecOnceN(backend, func(a, b *Node) []*Node {
				ours, theirs := batchMatMul(a, c.aK, b, c.bK), Einsum(c.eq, a, b)
				// A loss that weighs each output differently, so that the gradients are not symmetric.
				w := Sin(AddScalar(IotaFull(a.Graph(), ours.Shape()), 1))
				g1 := Gradient(ReduceAllSum(Mul(ours, w)), a, b)
				g2 := Gradient(ReduceAllSum(Mul(theirs, w)), a, b)
				for i, gr := range g1 { // our gradients are products, not GoMLX's broadcast-multiply-sum
					if gr.Type() == NodeTypeTranspose {
						gr = gr.Inputs()[0]
					}
					if gr.Type() != NodeTypeDotGeneral {
						t.Errorf("gradient %d of batchMatMul is a %s node, want a DotGeneral", i, gr.Type())
					}
				}
				return []*Node{ours, theirs, g1[0], g2[0], g1[1], g2[1]}
			}, a, b)
			if got := out[0].Shape().Dimensions; len(got) != 3 || got[0] != batch || got[1] != m || got[2] != n {
				t.Fatalf("shape %v, want [%d %d %d]", got, batch, m, n)
			}
			for i, what := range []string{"product", "gradient for a", "gradient for b"} {
				got, want := tensors.MustCopyFlatData[float32](out[2*i]), tensors.MustCopyFlatData[float32](out[2*i+1])
				for j := range want {
					if math.Abs(float64(got[j]-want[j])) > 1e-5*(1+math.Abs(float64(want[j]))) {
						t.Fatalf("%s [%d]: batchMatMul %g, Einsum %g", what, j, got[j], want[j])
					}
				}
			}
		})
	}
}
