package ddpm

import (
	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// groupNormEpsilon is the paper's (TensorFlow's group_norm default).
const groupNormEpsilon = 1e-6

// GroupNorm normalises x (channels last, rank ≥ 2, [batch, ..., C]) over each group of C/groups
// channels and all non-batch positions, then applies a learned per-channel scale (initialised to 1)
// and offset (initialised to 0). GoMLX has no GroupNorm layer; the paper's U-Net uses it everywhere.
func GroupNorm(ctx *context.Context, x *Node, groups int) *Node {
	if x.Rank() < 2 {
		exceptions.Panicf("GroupNorm: x must have rank >= 2, got %s", x.Shape())
	}
	dims := x.Shape().Dimensions
	channels := dims[len(dims)-1]
	if groups < 1 || channels%groups != 0 {
		exceptions.Panicf("GroupNorm: %d channels cannot be split into %d groups", channels, groups)
	}
	// [batch, positions..., C] → [batch, positions..., groups, C/groups]; statistics over all axes but
	// batch and groups.
	grouped := Reshape(x, append(append([]int{}, dims[:len(dims)-1]...), groups, channels/groups)...)
	var axes []int
	for a := 1; a < grouped.Rank(); a++ {
		if a != grouped.Rank()-2 {
			axes = append(axes, a)
		}
	}
	mean := ReduceAndKeep(grouped, ReduceMean, axes...)
	centered := Sub(grouped, mean)
	variance := ReduceAndKeep(Square(centered), ReduceMean, axes...)
	normalized := Reshape(Div(centered, Sqrt(AddScalar(variance, groupNormEpsilon))), dims...) // (Rsqrt has no gradient in GoMLX)

	ctx = ctx.In("group_norm")
	scale := ctx.WithInitializer(initializers.One).VariableWithShape("scale", shapes.Make(x.DType(), channels)).ValueGraph(x.Graph())
	offset := ctx.WithInitializer(initializers.Zero).VariableWithShape("offset", shapes.Make(x.DType(), channels)).ValueGraph(x.Graph())
	return Add(Mul(normalized, ExpandLeftToRank(scale, x.Rank())), ExpandLeftToRank(offset, x.Rank()))
}

// groupsFor is the number of GroupNorm groups for a layer of the given channels: the largest divisor
// of channels that is at most maxGroups (32 in the paper).
func groupsFor(channels, maxGroups int) int {
	for g := min(maxGroups, channels); g > 1; g-- {
		if channels%g == 0 {
			return g
		}
	}
	return 1
}
