package ddpm

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// The building blocks of the U-Net, after resnet_block, downsample and upsample of the paper's
// diffusion_tf/models/unet.py. All take and return channels-last images [batch, H, W, C].

// ResBlock is the paper's residual block (resnet_block): GN → SiLU → conv3×3, plus a projection of
// the time embedding temb ([batch, E]) broadcast over H and W, then GN → SiLU → dropout → conv3×3
// initialised to zero (the paper's scale 1e-10), so that the block starts as its shortcut; the
// shortcut is a 1×1 convolution when the number of channels changes. GroupNorm uses the largest
// divisor of the channels that is at most maxGroups. Exported so that the course can check its own
// block against it; UNet is what models use.
func ResBlock(ctx *context.Context, x, temb *Node, outCh, maxGroups int, dropout float64) *Node {
	inCh := x.Shape().Dimensions[3]
	h := activations.Swish(GroupNorm(ctx.In("norm_0"), x, groupsFor(inCh, maxGroups)))
	h = conv3x3(ctx.In("conv_0"), h, outCh, 1)
	tproj := Dense(ctx.In("temb_proj"), activations.Swish(temb), outCh) // [batch, outCh]
	h = Add(h, InsertAxes(tproj, 1, 1))
	h = activations.Swish(GroupNorm(ctx.In("norm_1"), h, groupsFor(outCh, maxGroups)))
	h = layers.DropoutStatic(ctx, h, dropout) // a no-op unless ctx.IsTraining(g)
	h = conv3x3(ctx.In("conv_1").WithInitializer(initializers.Zero), h, outCh, 1)
	if inCh != outCh {
		x = Dense(ctx.In("shortcut"), x, outCh)
	}
	return Add(x, h)
}

// conv3x3 is a 3×3 convolution with bias and GoMLX's "same" padding (variables in scope "conv").
//
// With stride 2 (downsampling) the paper's TensorFlow "SAME" pads an even-sized image with one row
// and column after it and none before, while GoMLX pads one on each side: the sampling grid is
// shifted by one pixel. It makes no difference to what the network can learn, and the shipped MNIST
// weights were trained with GoMLX's padding, so it is kept.
//
// Its variables are layers.Convolution's (weights [3, 3, C, C'], biases [C'], with the same initial
// values); the convolution is convolve, for a faster kernel gradient.
func conv3x3(ctx *context.Context, x *Node, channels, stride int) *Node {
	ctx = ctx.In("conv")
	g := x.Graph()
	kernel := ctx.VariableWithShape("weights", shapes.Make(x.DType(), 3, 3, x.Shape().Dim(3), channels)).ValueGraph(g)
	biases := ctx.VariableWithShape("biases", shapes.Make(x.DType(), channels)).ValueGraph(g)
	return Add(convolve(x, kernel, stride), Reshape(biases, 1, 1, 1, channels))
}

// downsample halves H and W with a 3×3 convolution of stride 2.
func downsample(ctx *context.Context, x *Node) *Node {
	return conv3x3(ctx, x, x.Shape().Dimensions[3], 2)
}

// upsample doubles H and W by nearest-neighbour interpolation followed by a 3×3 convolution.
func upsample(ctx *context.Context, x *Node) *Node {
	return conv3x3(ctx, repeatPixels(x), x.Shape().Dimensions[3], 1)
}

// repeatPixels is nearest-neighbour upsampling ×2: each pixel becomes a 2×2 block,
// [b, h, w, c] → [b, h, 2, w, 2, c] → [b, 2h, 2w, c].
func repeatPixels(x *Node) *Node {
	d := x.Shape().Dimensions
	x = BroadcastToDims(InsertAxes(x, 2, 3), d[0], d[1], 2, d[2], 2, d[3])
	return Reshape(x, d[0], 2*d[1], 2*d[2], d[3])
}
