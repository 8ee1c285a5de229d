package ddpm

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// EpsModel is a noise predictor ε_θ(x_t, t): it takes x_t [batch, ...] and time steps t [batch] and
// returns a tensor shaped like x_t; a model that learns its variances returns twice the channels, ε_θ
// then v (learnsigma.go). Its variables live in ctx. t is int32, 1..T, in training, the bound,
// Algorithm 2 and DDIM; the ODE solvers (SolverDPMPP2M, SolverEuler, SolverHeun) give it float32 t,
// fractional where a noise level falls between two steps, so a model for them takes either dtype (as
// TimestepEmbedding does; Coef takes integer steps only).
type EpsModel func(ctx *context.Context, xt, t *Node) *Node

// UNetModel adapts a U-Net configuration to an EpsModel, with its variables under scope "unet".
// A class-conditional configuration is given "no label".
func UNetModel(cfg UNetConfig) EpsModel { return UNetConditionalModel(cfg).Unconditional() }

// UNetConditionalModel adapts a U-Net configuration to a ConditionalModel (scope "unet").
func UNetConditionalModel(cfg UNetConfig) ConditionalModel {
	return func(ctx *context.Context, xt, t, y *Node) *Node {
		return UNetConditional(ctx.In("unet"), cfg, xt, t, y)
	}
}

// SimpleLoss is the paper's L_simple (Algorithm 1): for each example, t ~ Uniform{1..T} and
// ε ~ N(0, I) are drawn with ctx's random number generator, x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, and the loss
// is the mean over the batch and every dimension of (ε − ε_θ(x_t, t))². For a model that learns its
// variances it is L_hybrid (see LossAt).
func (s *Schedule) SimpleLoss(ctx *context.Context, model EpsModel, x0 *Node) *Node {
	g := x0.Graph()
	batch := x0.Shape().Dimensions[0]
	t := AddScalar(ctx.RandomIntN(g, int32(s.T), shapes.Make(dtypes.Int32, batch)), 1)
	eps := ctx.RandomNormal(g, x0.Shape())
	return s.LossAt(ctx, model, x0, t, eps)
}

// LossAt is the training loss for given time steps and noise, the deterministic core of
// SimpleLoss: L_simple, plus λ·T times the mean bound term for a model that learns its variances
// (L_hybrid, learnsigma.go).
func (s *Schedule) LossAt(ctx *context.Context, model EpsModel, x0, t, eps *Node) *Node {
	simple, vlb := s.HybridLossTerms(ctx, model, x0, t, eps)
	if vlb == nil {
		return simple
	}
	return Add(simple, MulScalar(ReduceAllMean(vlb), HybridLambda*float64(s.T)))
}
