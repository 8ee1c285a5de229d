package ddpm

import (
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
)

// SelfAttention is the paper's single-head attention block over the H·W positions of x
// ([batch, H, W, C]): GroupNorm, queries, keys and values by 1×1 projections, softmax(q kᵀ/√C) v, an
// output projection initialised to zero (so the block starts as the identity), and a residual add.
func SelfAttention(ctx *context.Context, x *Node, groups int) *Node {
	dims := x.Shape().Dimensions
	batch, h, w, c := dims[0], dims[1], dims[2], dims[3]
	hn := GroupNorm(ctx.In("norm"), x, groups)
	flat := Reshape(hn, batch, h*w, c)
	q := layers.Dense(ctx.In("q"), flat, true, c)
	k := layers.Dense(ctx.In("k"), flat, true, c)
	v := layers.Dense(ctx.In("v"), flat, true, c)
	out := attend(q, k, v)
	out = layers.Dense(ctx.In("proj_out").WithInitializer(initializers.Zero), out, true, c)
	return Add(x, Reshape(out, batch, h, w, c))
}

// attend is softmax(q kᵀ/√C) v for q, k, v of shape [batch, positions, C].
func attend(q, k, v *Node) *Node {
	c := q.Shape().Dimensions[2]
	weights := Softmax(MulScalar(Einsum("bic,bjc->bij", q, k), 1/math.Sqrt(float64(c))), -1)
	return Einsum("bij,bjc->bic", weights, v)
}
