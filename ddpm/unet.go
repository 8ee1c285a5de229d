package ddpm

import (
	"fmt"
	"slices"

	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// UNetConfig holds the hyperparameters of the paper's U-Net (PixelCNN++ backbone with
// GroupNorm, sinusoidal time embedding and self-attention).
type UNetConfig struct {
	ImageSize       int     `json:"image_size"`       // height = width of the input
	Channels        int     `json:"channels"`         // image channels, in and out
	BaseChannels    int     `json:"base_channels"`    // "ch" in the paper's code
	ChannelMult     []int   `json:"channel_mult"`     // channels of each resolution level, as multiples of BaseChannels
	NumResBlocks    int     `json:"num_res_blocks"`   // residual blocks per level
	AttnResolutions []int   `json:"attn_resolutions"` // spatial sizes that get self-attention
	Dropout         float64 `json:"dropout"`
	MaxGroups       int     `json:"max_groups"` // GroupNorm groups (32 in the paper), fewer when a layer has fewer channels
}

// PaperCIFAR10Config is the paper's CIFAR-10 model: 35.7M parameters.
func PaperCIFAR10Config() UNetConfig {
	return UNetConfig{ImageSize: 32, Channels: 3, BaseChannels: 128, ChannelMult: []int{1, 2, 2, 2}, NumResBlocks: 2,
		AttnResolutions: []int{16}, Dropout: 0.1, MaxGroups: 32}
}

// MNISTConfig is the command line's default for 28×28 MNIST: three levels (28, 14, 7) with attention
// at 7×7, sized to train on two CPU cores in about half an hour. Dropout is off: a run of about one
// epoch does not overfit, and the in-graph random numbers cost a third of a step on CPU.
func MNISTConfig() UNetConfig {
	return UNetConfig{ImageSize: 28, Channels: 1, BaseChannels: 16, ChannelMult: []int{1, 2, 2}, NumResBlocks: 1,
		AttnResolutions: []int{7}, Dropout: 0, MaxGroups: 8}
}

// Validate names the first bad field.
func (c UNetConfig) Validate() error {
	levels := len(c.ChannelMult)
	switch {
	case c.ImageSize < 1:
		return fmt.Errorf("U-Net image size %d: it must be >= 1", c.ImageSize)
	case c.Channels < 1:
		return fmt.Errorf("U-Net image channels %d: it must be >= 1", c.Channels)
	case c.BaseChannels < 1:
		return fmt.Errorf("U-Net base channels %d: it must be >= 1", c.BaseChannels)
	case levels == 0:
		return fmt.Errorf("U-Net channel multipliers are empty: give one per resolution level")
	case c.NumResBlocks < 1:
		return fmt.Errorf("U-Net residual blocks per level %d: it must be >= 1", c.NumResBlocks)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("U-Net dropout %g: it must be in [0, 1)", c.Dropout)
	case c.MaxGroups < 1:
		return fmt.Errorf("U-Net GroupNorm groups %d: it must be >= 1", c.MaxGroups)
	}
	for i, m := range c.ChannelMult {
		if m < 1 {
			return fmt.Errorf("U-Net channel multiplier %d (level %d): it must be >= 1", m, i)
		}
	}
	if c.ImageSize%(1<<(levels-1)) != 0 {
		return fmt.Errorf("U-Net image size %d: %d levels halve it %d times, so it must be divisible by %d",
			c.ImageSize, levels, levels-1, 1<<(levels-1))
	}
	for _, r := range c.AttnResolutions {
		if !slices.Contains(c.resolutions(), r) {
			return fmt.Errorf("U-Net attention resolution %d is never reached (resolutions: %v)", r, c.resolutions())
		}
	}
	return nil
}

// resolutions lists the spatial size of each level.
func (c UNetConfig) resolutions() []int {
	res := make([]int, len(c.ChannelMult))
	for i := range res {
		res[i] = c.ImageSize >> i
	}
	return res
}

// UNet returns ε_θ(x, t) with x's shape. x: [batch, H, W, C] float32, t: [batch] int time steps.
// Scopes mirror the architecture: temb, conv_in, down_<level>/res_<i>, mid, up_<level>/res_<i>,
// conv_out.
func UNet(ctx *context.Context, cfg UNetConfig, x, t *Node) *Node {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if dims := x.Shape().Dimensions; x.Rank() != 4 || dims[1] != cfg.ImageSize || dims[2] != cfg.ImageSize || dims[3] != cfg.Channels {
		exceptions.Panicf("UNet: x has shape %s, want [batch, %d, %d, %d]", x.Shape(), cfg.ImageSize, cfg.ImageSize, cfg.Channels)
	}
	ch := cfg.BaseChannels
	b := &unetBuilder{cfg: cfg}

	// Time embedding: sinusoidal → dense 4ch → SiLU → dense 4ch.
	tctx := ctx.In("temb")
	temb := TimestepEmbedding(t, ch)
	temb = layers.Dense(tctx.In("dense_0"), temb, true, 4*ch)
	temb = layers.Dense(tctx.In("dense_1"), activations.Swish(temb), true, 4*ch)
	b.temb = temb

	h := conv3x3(ctx.In("conv_in"), x, ch, 1)
	skips := []*Node{h}
	res := cfg.ImageSize
	for level, mult := range cfg.ChannelMult {
		lctx := ctx.Inf("down_%d", level)
		for i := range cfg.NumResBlocks {
			h = b.resBlock(lctx.Inf("res_%d", i), h, ch*mult)
			if slices.Contains(cfg.AttnResolutions, res) {
				h = SelfAttention(lctx.Inf("attn_%d", i), h, groupsFor(ch*mult, cfg.MaxGroups))
			}
			skips = append(skips, h)
		}
		if level != len(cfg.ChannelMult)-1 {
			h = conv3x3(lctx.In("downsample"), h, ch*mult, 2)
			res /= 2
			skips = append(skips, h)
		}
	}

	mctx := ctx.In("mid")
	midCh := h.Shape().Dimensions[3]
	h = b.resBlock(mctx.In("res_0"), h, midCh)
	h = SelfAttention(mctx.In("attn"), h, groupsFor(midCh, cfg.MaxGroups))
	h = b.resBlock(mctx.In("res_1"), h, midCh)

	for level := len(cfg.ChannelMult) - 1; level >= 0; level-- {
		lctx := ctx.Inf("up_%d", level)
		outCh := ch * cfg.ChannelMult[level]
		for i := range cfg.NumResBlocks + 1 {
			skip := skips[len(skips)-1]
			skips = skips[:len(skips)-1]
			h = b.resBlock(lctx.Inf("res_%d", i), Concatenate([]*Node{h, skip}, -1), outCh)
			if slices.Contains(cfg.AttnResolutions, res) {
				h = SelfAttention(lctx.Inf("attn_%d", i), h, groupsFor(outCh, cfg.MaxGroups))
			}
		}
		if level != 0 {
			h = conv3x3(lctx.In("upsample"), upsampleNearest(h), outCh, 1)
			res *= 2
		}
	}
	if len(skips) != 0 {
		exceptions.Panicf("UNet: %d skip connections left unused", len(skips))
	}

	h = activations.Swish(GroupNorm(ctx.In("norm_out"), h, groupsFor(h.Shape().Dimensions[3], cfg.MaxGroups)))
	return conv3x3(ctx.In("conv_out").WithInitializer(initializers.Zero), h, cfg.Channels, 1)
}

type unetBuilder struct {
	cfg  UNetConfig
	temb *Node
}

// resBlock is the paper's residual block: GN → SiLU → conv, plus a projection of the time
// embedding, GN → SiLU → dropout → conv (initialised to zero, so the block starts as its shortcut),
// and a 1×1 projection of the shortcut when the channels change.
func (b *unetBuilder) resBlock(ctx *context.Context, x *Node, outCh int) *Node {
	inCh := x.Shape().Dimensions[3]
	h := activations.Swish(GroupNorm(ctx.In("norm_0"), x, groupsFor(inCh, b.cfg.MaxGroups)))
	h = conv3x3(ctx.In("conv_0"), h, outCh, 1)
	tproj := layers.Dense(ctx.In("temb_proj"), activations.Swish(b.temb), true, outCh) // [batch, outCh]
	h = Add(h, InsertAxes(tproj, 1, 1))
	h = activations.Swish(GroupNorm(ctx.In("norm_1"), h, groupsFor(outCh, b.cfg.MaxGroups)))
	h = layers.DropoutStatic(ctx, h, b.cfg.Dropout)
	h = conv3x3(ctx.In("conv_1").WithInitializer(initializers.Zero), h, outCh, 1)
	if inCh != outCh {
		x = layers.Dense(ctx.In("shortcut"), x, true, outCh)
	}
	return Add(x, h)
}

func conv3x3(ctx *context.Context, x *Node, channels, stride int) *Node {
	return layers.Convolution(ctx, x).Channels(channels).KernelSize(3).PadSame().Strides(stride).Done()
}

// upsampleNearest doubles H and W by repeating each pixel 2×2.
func upsampleNearest(x *Node) *Node {
	d := x.Shape().Dimensions
	x = BroadcastToDims(InsertAxes(InsertAxes(x, 3), 2), d[0], d[1], 2, d[2], 2, d[3]) // [b, h, 2, w, 2, c]
	return Reshape(x, d[0], 2*d[1], 2*d[2], d[3])
}
