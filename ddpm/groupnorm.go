package ddpm

import (
	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// groupNormEpsilon is added to the variance, as in the paper's code (tf.contrib.layers.group_norm).
const groupNormEpsilon = 1e-6

// GroupNorm normalises x (channels last, rank ≥ 2: [batch, ..., C]) to mean 0 and variance 1 over
// each group of C/groups consecutive channels and all the positions of one example, then applies a
// learned per-channel scale (initialised to 1) and offset (initialised to 0), kept in scope
// "group_norm". GoMLX has no GroupNorm layer; the paper's U-Net uses it before every convolution.
func GroupNorm(ctx *context.Context, x *Node, groups int) *Node {
	if x.Rank() < 2 {
		exceptions.Panicf("GroupNorm: x must have rank >= 2 ([batch, ..., channels]), got %s", x.Shape())
	}
	if !x.DType().IsFloat() {
		exceptions.Panicf("GroupNorm: x must be a float tensor, got %s", x.Shape())
	}
	dims := x.Shape().Dimensions
	channels := dims[len(dims)-1]
	if groups < 1 || channels%groups != 0 {
		exceptions.Panicf("GroupNorm: %d channels cannot be split into %d groups of equal size", channels, groups)
	}
	// [batch, positions..., C] → [batch, positions..., groups, C/groups]: the statistics reduce every
	// axis but batch and groups.
	grouped := Reshape(x, append(append([]int{}, dims[:len(dims)-1]...), groups, channels/groups)...)
	groupAxis := grouped.Rank() - 2
	var axes []int
	for a := 1; a < grouped.Rank(); a++ {
		if a != groupAxis {
			axes = append(axes, a)
		}
	}
	normalized := Reshape(standardize(grouped, axes), dims...)

	ctx = ctx.In("group_norm")
	g := x.Graph()
	perChannel := shapes.Make(x.DType(), channels)
	scale := ctx.WithInitializer(initializers.One).VariableWithShape("scale", perChannel).ValueGraph(g)
	offset := ctx.WithInitializer(initializers.Zero).VariableWithShape("offset", perChannel).ValueGraph(g)
	return Add(Mul(normalized, ExpandLeftToRank(scale, x.Rank())), ExpandLeftToRank(offset, x.Rank()))
}

// groupsFor is the number of GroupNorm groups for a layer with the given channels: the largest
// divisor of channels that is at most maxGroups (32 in the paper, where every layer has a multiple of
// 32 channels; smaller models need fewer).
func groupsFor(channels, maxGroups int) int {
	for g := min(maxGroups, channels); g > 1; g-- {
		if channels%g == 0 {
			return g
		}
	}
	return 1
}

// standardize returns x̂ = (x − μ)/√(σ² + ε), with μ and σ² the mean and variance of x over axes.
// The statistics take two passes (the mean, then the mean of squared deviations) as tf.nn.moments,
// which is exact even where the mean is large against the spread.
//
// Its gradient is the closed form, with v the gradient with respect to x̂ and means over axes:
//
//	∂x = (v − mean(v) − x̂ · mean(v x̂)) / √(σ² + ε)
//
// Why not autodiff: differentiating the graph above takes a reduction and a broadcast for every
// node that the mean and the variance pass through; in the MNIST training step GroupNorm's backward
// read several hundred MB per step. The closed form needs two reductions (tested against autodiff in
// groupnorm_test.go).
func standardize(x *Node, axes []int) *Node {
	xs := StopGradient(x)
	mean := ReduceAndKeep(xs, ReduceMean, axes...)
	centered := Sub(xs, mean)
	rstd := Rsqrt(AddScalar(ReduceAndKeep(Square(centered), ReduceMean, axes...), groupNormEpsilon))
	xHat := Mul(centered, rstd)
	return customGradient(x, xHat, func(v *Node) *Node {
		meanV := ReduceAndKeep(v, ReduceMean, axes...)
		meanVXHat := ReduceAndKeep(Mul(v, xHat), ReduceMean, axes...)
		return Mul(Sub(Sub(v, meanV), Mul(xHat, meanVXHat)), rstd)
	})
}
