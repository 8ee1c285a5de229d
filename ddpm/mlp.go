package ddpm

import (
	"fmt"

	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// MLPConfig is a noise predictor for low-dimensional data (the 2-D toy sets): the input point and a
// sinusoidal embedding of t go through a few dense layers with SiLU.
type MLPConfig struct {
	Dim       int `json:"dim"`        // dimension of a data point (2 for the toy sets)
	Hidden    int `json:"hidden"`     // width of the hidden layers
	Layers    int `json:"layers"`     // number of hidden layers
	TimeEmbed int `json:"time_embed"` // size of the sinusoidal time embedding
	// LearnSigma doubles the output: ε_θ, then v of the learned variances (learnsigma.go).
	LearnSigma bool `json:"learn_sigma,omitempty"`
	// NumClasses > 0 makes the MLP class-conditional: a learned embedding of the label (TimeEmbed
	// wide, one more row for "no label") joins the input.
	NumClasses int `json:"num_classes,omitempty"`
}

// DefaultMLPConfig suits the 2-D toy sets.
func DefaultMLPConfig() MLPConfig { return MLPConfig{Dim: 2, Hidden: 128, Layers: 3, TimeEmbed: 32} }

// maxMLPLayers bounds an MLP's depth, far above any toy model's: 3 000 000 layers in an edited
// checkpoint took 23 GiB and minutes to trace before the weights were compared (fifteenth probe).
const maxMLPLayers = 64

// Validate names a bad field.
func (c MLPConfig) Validate() error {
	switch {
	case c.Dim < 1:
		return fmt.Errorf("MLP dim %d: it must be >= 1", c.Dim)
	case c.Hidden < 1:
		return fmt.Errorf("MLP hidden width %d: it must be >= 1", c.Hidden)
	case c.Layers < 1 || c.Layers > maxMLPLayers:
		return fmt.Errorf("MLP layers %d: it must be in 1..%d", c.Layers, maxMLPLayers)
	case c.TimeEmbed < 2:
		return fmt.Errorf("MLP time embedding %d: it must be >= 2", c.TimeEmbed)
	case c.NumClasses < 0:
		return fmt.Errorf("MLP classes %d: it must be >= 0 (0: unconditional)", c.NumClasses)
	}
	return nil
}

// MLPModel returns ε_θ(x_t, t) (and v, with LearnSigma) for points x_t [batch, Dim], with variables
// under scope "mlp". A class-conditional configuration is given "no label".
func MLPModel(cfg MLPConfig) EpsModel { return MLPConditional(cfg).Unconditional() }

// MLPConditional is MLPModel given class labels (see ConditionalModel); the labels must be nil for
// an unconditional configuration.
func MLPConditional(cfg MLPConfig) ConditionalModel {
	return func(ctx *context.Context, xt, t, y *Node) *Node {
		ctx = ctx.In("mlp")
		temb := TimestepEmbedding(t, cfg.TimeEmbed)
		h := Concatenate([]*Node{xt, temb}, -1)
		switch {
		case cfg.NumClasses > 0:
			h = Concatenate([]*Node{h, labelEmbedding(ctx, xt.Graph(), y, xt.Shape().Dimensions[0], cfg.NumClasses, cfg.TimeEmbed)}, -1)
		case y != nil:
			exceptions.Panicf("MLP: class labels given to an unconditional MLP (NumClasses = 0)")
		}
		for i := range cfg.Layers {
			h = activations.Swish(Dense(ctx.Inf("dense_%d", i), h, cfg.Hidden))
		}
		out := cfg.Dim
		if cfg.LearnSigma {
			out *= 2
		}
		return Dense(ctx.In("out"), h, out)
	}
}
