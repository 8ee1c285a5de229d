package ddpm

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Dense is a dense layer with bias over the last axis of x (any rank ≥ 2), with layers.Dense's
// variables (scope "dense", weights [C, C'], biases [C']), computed as a 1×1 convolution. It is the
// paper's nin for images, every dense layer of the MLP and of the U-Net's time embedding, and the
// classifier's head in package quality.
//
// Why not layers.Dense: in GoMLX v0.26 the gradient of a matrix product multiplies broadcast operands
// and sums them, materialising [i, j, k] instead of computing two matrix products (gomlx pull request
// #428 changes that, after v0.26). On XLA's CPU plugin the backward pass of three 128-wide dense
// layers at batch 256 took 37 ms that way and 1.4 ms as convolutions, whose gradients are
// convolutions; for the U-Net's 1×1 layers at 28×28×16 and batch 64 it was 134 ms against 17 ms.
// The convolution is convolve, whose kernel gradient is faster when the layer narrows (C' < C).
func Dense(ctx *context.Context, x *Node, units int) *Node {
	ctx = ctx.In("dense")
	g := x.Graph()
	dims := x.Shape().Dimensions
	inCh := dims[len(dims)-1]
	weights := ctx.VariableWithShape("weights", shapes.Make(x.DType(), inCh, units)).ValueGraph(g)
	biases := ctx.VariableWithShape("biases", shapes.Make(x.DType(), units)).ValueGraph(g)
	img := x
	if x.Rank() != 4 { // as a batch of 1×1 images
		img = Reshape(x, x.Shape().Size()/inCh, 1, 1, inCh)
	}
	y := convolve(img, Reshape(weights, 1, 1, inCh, units), 1)
	y = Add(y, ExpandLeftToRank(biases, y.Rank()))
	if x.Rank() != 4 {
		y = Reshape(y, append(dims[:len(dims)-1:len(dims)-1], units)...)
	}
	return y
}
