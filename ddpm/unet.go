package ddpm

import (
	"fmt"
	"slices"

	"github.com/gomlx/exceptions"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// UNetConfig holds the hyperparameters of the paper's noise predictor ε_θ(x_t, t): a U-Net (the
// PixelCNN++ backbone) with GroupNorm, a sinusoidal time embedding added in every residual block,
// and self-attention at some resolutions.
type UNetConfig struct {
	ImageSize       int     `json:"image_size"`       // height = width of the input
	Channels        int     `json:"channels"`         // image channels, in and out
	BaseChannels    int     `json:"base_channels"`    // "ch" in the paper's code
	ChannelMult     []int   `json:"channel_mult"`     // channels of each resolution level, in multiples of BaseChannels
	NumResBlocks    int     `json:"num_res_blocks"`   // residual blocks per level (the up path has one more)
	AttnResolutions []int   `json:"attn_resolutions"` // spatial sizes (e.g. 16) where self-attention is applied
	Dropout         float64 `json:"dropout"`          // in the residual blocks, when training only
	MaxGroups       int     `json:"max_groups"`       // GroupNorm groups: 32 in the paper, fewer where a layer has fewer channels
	// LearnSigma doubles the output channels: ε_θ, then v of the learned variances (learnsigma.go).
	LearnSigma bool `json:"learn_sigma,omitempty"`
	// NumClasses > 0 makes the U-Net class-conditional (condition.go): a learned embedding of the
	// label, with one more row for "no label", is added to the time embedding.
	NumClasses int `json:"num_classes,omitempty"`
}

// PaperCIFAR10Config is the paper's CIFAR-10 model (35.7M parameters): ch = 128, four levels
// 32, 16, 8, 4 with multipliers 1, 2, 2, 2, two residual blocks per level, attention at 16×16 and
// dropout 0.1.
func PaperCIFAR10Config() UNetConfig {
	return UNetConfig{ImageSize: 32, Channels: 3, BaseChannels: 128, ChannelMult: []int{1, 2, 2, 2}, NumResBlocks: 2,
		AttnResolutions: []int{16}, Dropout: 0.1, MaxGroups: 32}
}

// MNISTConfig is the command line's default for 28×28 MNIST and the shipped model's
// (models/mnist-ema.ddpm): the paper's architecture scaled down to three levels (28, 14, 7) of 16, 32
// and 32 channels, with attention at 7×7 and 4 GroupNorm groups (4 and 8 channels per group, as the
// paper's 32 groups of 128 and 256 channels). 280,177 parameters. It was chosen by sample quality per
// training minute on two CPU cores against MNISTSmallConfig (docs/models.md, "Quality per training minute"):
// the wider network is better at every budget measured. Dropout is off: no candidate with dropout was
// measured for quality (its cost in time is small; docs/speed.md, "U-Net variants").
func MNISTConfig() UNetConfig {
	return UNetConfig{ImageSize: 28, Channels: 1, BaseChannels: 16, ChannelMult: []int{1, 2, 2}, NumResBlocks: 1,
		AttnResolutions: []int{7}, Dropout: 0, MaxGroups: 4}
}

// MNISTSmallConfig is MNISTConfig at half the width (8, 16 and 16 channels, 2 GroupNorm groups;
// 71,033 parameters), the default before the shipped model grew: the speed benchmarks' "mnist"
// network (bench/torch_unet.py is its PyTorch twin) and a quick model for tests. On this backend the
// time of a step follows the 28×28 level's convolutions more than the arithmetic (see
// unet_bench_test.go and profile_bench_test.go).
func MNISTSmallConfig() UNetConfig {
	c := MNISTConfig()
	c.BaseChannels, c.MaxGroups = 8, 2
	return c
}

// Bounds of a U-Net's description, far above any published one (the paper's 256² models have 6 levels of
// 2 blocks): 65 levels made 1<<64 zero and panicked on a division, and 100 000 blocks per level took
// minutes and gigabytes to trace before the weights were compared (fourteenth probe).
// An image side of 2^40, edited into a checkpoint, overflowed the network's sizes and failed inside
// GoMLX without naming the field (twenty-fourth probe); 65 536 is 64 times the largest published.
const (
	maxUNetLevels    = 16
	maxUNetResBlocks = 32
	maxUNetImageSize = 1 << 16
)

// Validate returns an error naming the first field that cannot build a U-Net, with its value.
func (c UNetConfig) Validate() error {
	levels := len(c.ChannelMult)
	switch {
	case c.ImageSize < 1 || c.ImageSize > maxUNetImageSize:
		return fmt.Errorf("U-Net ImageSize=%d: it must be in 1..%d", c.ImageSize, maxUNetImageSize)
	case c.Channels < 1:
		return fmt.Errorf("U-Net Channels=%d (image channels): it must be >= 1", c.Channels)
	case c.BaseChannels < 1:
		return fmt.Errorf("U-Net BaseChannels=%d: it must be >= 1", c.BaseChannels)
	case levels == 0:
		return fmt.Errorf("U-Net ChannelMult is empty: give one multiplier per resolution level")
	case levels > maxUNetLevels:
		return fmt.Errorf("U-Net ChannelMult has %d levels: at most %d", levels, maxUNetLevels)
	case c.NumResBlocks < 1 || c.NumResBlocks > maxUNetResBlocks:
		return fmt.Errorf("U-Net NumResBlocks=%d: it must be in 1..%d", c.NumResBlocks, maxUNetResBlocks)
	case !(c.Dropout >= 0 && float32(c.Dropout) < 1): // 0.99999998 is 1 as the graph's float32: every value dropped, and a NaN loss (fifty-sixth probe)
		return fmt.Errorf("U-Net Dropout=%g: it must be in [0, 1) as a float32", c.Dropout)
	case c.MaxGroups < 1:
		return fmt.Errorf("U-Net MaxGroups=%d (GroupNorm groups): it must be >= 1", c.MaxGroups)
	case c.NumClasses < 0:
		return fmt.Errorf("U-Net NumClasses=%d: it must be >= 0 (0: unconditional)", c.NumClasses)
	}
	for i, m := range c.ChannelMult {
		if m < 1 {
			return fmt.Errorf("U-Net ChannelMult[%d]=%d: multipliers must be >= 1", i, m)
		}
	}
	if step := 1 << (levels - 1); c.ImageSize%step != 0 {
		return fmt.Errorf("U-Net ImageSize=%d: %d levels halve it %d times, so it must be divisible by %d",
			c.ImageSize, levels, levels-1, step)
	}
	for i, r := range c.AttnResolutions {
		if !slices.Contains(c.resolutions(), r) {
			return fmt.Errorf("U-Net AttnResolutions[%d]=%d is never reached: the resolutions are %v", i, r, c.resolutions())
		}
	}
	return nil
}

// resolutions lists the spatial size of each level: ImageSize, ImageSize/2, ...
// Resolutions are the sides of the U-Net's feature maps, level by level: ImageSize halved at each.
func (c UNetConfig) Resolutions() []int { return c.resolutions() }

func (c UNetConfig) resolutions() []int {
	res := make([]int, len(c.ChannelMult))
	for i := range res {
		res[i] = c.ImageSize >> i
	}
	return res
}

// UNet returns ε_θ(x, t) with x's shape (with LearnSigma, followed by v on the channel axis), as the
// paper's diffusion_tf/models/unet.py. x: [batch, H, W, C]
// float32 (channels last), t: [batch] integer time steps 1..T.
//
// Variables are created with the paper's initialisation: Xavier uniform (TensorFlow's
// variance_scaling(1, "fan_avg", "uniform")) with zero biases, and zero for the last convolution of
// each residual block, the attention output projections and conv_out, so that the U-Net outputs 0
// at initialisation. Scopes mirror the architecture: temb/dense_{0,1}, conv_in,
// down_<level>/{res_<i>,attn_<i>,downsample}, mid/{res_0,attn,res_1},
// up_<level>/{res_<i>,attn_<i>,upsample}, norm_out, conv_out. Dropout is active only where
// ctx.IsTraining(g).
//
// It panics if cfg is invalid or x and t do not match it. A class-conditional configuration is
// given "no label" (see UNetConditional).
func UNet(ctx *context.Context, cfg UNetConfig, x, t *Node) *Node {
	return UNetConditional(ctx, cfg, x, t, nil)
}

// UNetConditional is UNet given class labels y ([batch] integers in 0..NumClasses, NumClasses
// meaning "no label"; nil: no label for all), as improved-diffusion conditions its U-Net: the
// label's embedding (scope temb/label_emb) is added to the time embedding that every residual block
// receives. y must be nil for an unconditional configuration.
func UNetConditional(ctx *context.Context, cfg UNetConfig, x, t, y *Node) *Node {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("UNet: %v", err)
	}
	if dims := x.Shape().Dimensions; x.Rank() != 4 || dims[1] != cfg.ImageSize || dims[2] != cfg.ImageSize || dims[3] != cfg.Channels {
		exceptions.Panicf("UNet: x has shape %s, want [batch, %d, %d, %d]", x.Shape(), cfg.ImageSize, cfg.ImageSize, cfg.Channels)
	}
	if x.DType() != dtypes.Float32 {
		exceptions.Panicf("UNet: x must be float32, got %s", x.DType())
	}
	// t is a time step 1..T, integer in training; the ODE solvers' Karras σ's fall between steps, and
	// the sinusoidal embedding takes a fractional one as it is.
	if t.Rank() != 1 || t.Shape().Dimensions[0] != x.Shape().Dimensions[0] || !(t.DType().IsInt() || t.DType().IsFloat()) {
		exceptions.Panicf("UNet: t must be time steps (integer, or float between steps) of shape [batch]=[%d], got %s", x.Shape().Dimensions[0], t.Shape())
	}
	ctx = ctx.WithInitializer(initializers.XavierUniformFn(ctx))
	ch, groups, dropout := cfg.BaseChannels, cfg.MaxGroups, cfg.Dropout
	attnAt := func(h *Node) bool { return slices.Contains(cfg.AttnResolutions, h.Shape().Dimensions[1]) }

	// Time embedding: sinusoidal → dense 4ch → SiLU → dense 4ch (each residual block applies SiLU
	// again before its own projection).
	temb := TimestepEmbedding(t, ch)
	temb = Dense(ctx.In("temb").In("dense_0"), temb, 4*ch)
	temb = Dense(ctx.In("temb").In("dense_1"), activations.Swish(temb), 4*ch)
	switch {
	case cfg.NumClasses > 0:
		temb = Add(temb, labelEmbedding(ctx.In("temb"), x.Graph(), y, x.Shape().Dimensions[0], cfg.NumClasses, 4*ch))
	case y != nil:
		exceptions.Panicf("UNet: class labels given to an unconditional U-Net (NumClasses = 0)")
	}

	// Down path: every output is kept for the skip connections of the up path.
	h := conv3x3(ctx.In("conv_in"), x, ch, 1)
	skips := []*Node{h}
	for level, mult := range cfg.ChannelMult {
		lctx := ctx.Inf("down_%d", level)
		for i := range cfg.NumResBlocks {
			h = ResBlock(lctx.Inf("res_%d", i), h, temb, ch*mult, groups, dropout)
			if attnAt(h) {
				h = selfAttention(lctx.Inf("attn_%d", i), h, groupsFor(ch*mult, groups))
			}
			skips = append(skips, h)
		}
		if level != len(cfg.ChannelMult)-1 {
			h = downsample(lctx.In("downsample"), h)
			skips = append(skips, h)
		}
	}

	// Middle, at the lowest resolution.
	mctx := ctx.In("mid")
	midCh := h.Shape().Dimensions[3]
	h = ResBlock(mctx.In("res_0"), h, temb, midCh, groups, dropout)
	h = selfAttention(mctx.In("attn"), h, groupsFor(midCh, groups))
	h = ResBlock(mctx.In("res_1"), h, temb, midCh, groups, dropout)

	// Up path: one more residual block per level than the down path, each taking a skip connection.
	for level := len(cfg.ChannelMult) - 1; level >= 0; level-- {
		lctx := ctx.Inf("up_%d", level)
		outCh := ch * cfg.ChannelMult[level]
		for i := range cfg.NumResBlocks + 1 {
			skip := skips[len(skips)-1]
			skips = skips[:len(skips)-1]
			h = ResBlock(lctx.Inf("res_%d", i), Concatenate([]*Node{h, skip}, -1), temb, outCh, groups, dropout)
			if attnAt(h) {
				h = selfAttention(lctx.Inf("attn_%d", i), h, groupsFor(outCh, groups))
			}
		}
		if level != 0 {
			h = upsample(lctx.In("upsample"), h)
		}
	}
	if len(skips) != 0 {
		exceptions.Panicf("UNet: %d skip connections left unused", len(skips)) // a bug, not a misuse
	}

	h = activations.Swish(GroupNorm(ctx.In("norm_out"), h, groupsFor(h.Shape().Dimensions[3], groups)))
	out := cfg.Channels
	if cfg.LearnSigma {
		out *= 2
	}
	return conv3x3(ctx.In("conv_out").WithInitializer(initializers.Zero), h, out, 1)
}
