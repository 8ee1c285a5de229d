package ddpm

import (
	"math"

	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// ParamMaxGroups is the context hyperparameter from which SelfAttention takes the most GroupNorm
// groups (default 32, the paper's). UNet passes its configuration's MaxGroups directly instead.
const ParamMaxGroups = "ddpm_max_groups"

// SelfAttention is the paper's attention block (attn_block): a single head over the H·W positions of
// x ([batch, H, W, C]). It normalises x with GroupNorm, projects it to queries, keys and values by
// 1×1 convolutions (dense layers over the channels), computes softmax(q kᵀ/√C) v, projects the result
// with a 1×1 convolution initialised to zero (so the block starts as the identity) and adds x.
//
// GroupNorm uses the largest divisor of C that is at most the context's ParamMaxGroups.
func SelfAttention(ctx *context.Context, x *Node) *Node {
	if x.Rank() != 4 {
		exceptions.Panicf("SelfAttention: x must have shape [batch, H, W, C], got %s", x.Shape())
	}
	maxGroups := context.GetParamOr(ctx, ParamMaxGroups, 32)
	return selfAttention(ctx, x, groupsFor(x.Shape().Dimensions[3], maxGroups))
}

// selfAttention is SelfAttention with the number of GroupNorm groups given.
func selfAttention(ctx *context.Context, x *Node, groups int) *Node {
	dims := x.Shape().Dimensions
	batch, h, w, c := dims[0], dims[1], dims[2], dims[3]
	hn := GroupNorm(ctx.In("norm"), x, groups)
	flat := func(x *Node) *Node { return Reshape(x, batch, h*w, c) }
	q, k, v := flat(Dense(ctx.In("q"), hn, c)), flat(Dense(ctx.In("k"), hn, c)), flat(Dense(ctx.In("v"), hn, c))
	out := Reshape(attend(q, k, v), batch, h, w, c)
	return Add(x, Dense(ctx.In("proj_out").WithInitializer(initializers.Zero), out, c))
}

// attend is softmax(q kᵀ/√C) v for q, k, v of shape [batch, positions, C]: every position takes
// a weighted average of the values of all positions.
func attend(q, k, v *Node) *Node {
	c := q.Shape().Dimensions[2]
	logits := MulScalar(batchMatMul(q, 2, k, 2), 1/math.Sqrt(float64(c))) // q kᵀ: [batch, i, j]
	return batchMatMul(Softmax(logits, -1), 2, v, 1)                      // [batch, i, c]
}
