package ddpm

import (
	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Learned variances (Nichol and Dhariwal 2021, "Improved DDPM", section 3.1). A model that learns
// Σ_θ outputs twice the channels of x_t: the first half is ε_θ, the second v, which interpolates
// between the two fixed choices of the paper in the log domain,
//
//	log σ_t² = frac·log β_t + (1 − frac)·log β̃_t,   frac = (v + 1)/2,
//
// per element. L_simple says nothing about Σ_θ, so such a model trains on
// L_hybrid = L_simple + λ L_vlb, with the mean held fixed (stop-gradient) inside L_vlb.

// HybridLambda is λ of L_hybrid (improved DDPM's value). L_vlb = Σ_t L_t is estimated from the one t
// drawn per example as T·L_t, so the loss adds λ·T·L_t.
const HybridLambda = 0.001

// splitOutput returns ε_θ and, for a model that learns its variances, v. out is the model's output:
// shaped like xt, or with twice xt's channels on the last axis.
func splitOutput(out, xt *Node) (eps, v *Node) {
	if out.Shape().Equal(xt.Shape()) {
		return out, nil
	}
	dims, want := out.Shape().Dimensions, xt.Shape().Dimensions
	last := len(want) - 1
	ok := out.Rank() == xt.Rank() && out.DType() == xt.DType() && dims[last] == 2*want[last]
	for i := 0; ok && i < last; i++ {
		ok = dims[i] == want[i]
	}
	if !ok {
		exceptions.Panicf("ddpm: the model returned shape %s for x_t of shape %s: want x_t's shape (ε_θ), "+
			"or twice its channels on the last axis (ε_θ and v, for learned variances)", out.Shape(), xt.Shape())
	}
	halves := Split(out, -1, 2)
	return halves[0], halves[1]
}

// ModelLogVariance returns log σ_t² of p_θ(x_{t−1} | x_t) for the variance choice of cfg, shaped
// [batch, 1, ...] like x for a fixed choice and like x for learned variances, where v is the
// model's second output (nil for a model that does not learn them). For σ_t² = β̃_t, and for the
// β̃ end of learned variances, step 1 uses β̃_2 (β̃_1 = 0).
func (s *Schedule) ModelLogVariance(t, v, like *Node, cfg SamplerConfig) *Node {
	switch cfg.Variance {
	case VariancePosterior:
		return Coef(s.PosteriorLogVarClip, t, like)
	case VarianceLearned:
		if v == nil {
			exceptions.Panicf("ddpm: variance %q needs a model that learns its variances (trained with learn-sigma)", VarianceLearned)
		}
		frac := MulScalar(AddScalar(v, 1), 0.5)
		logBeta, logPosterior := Coef(s.LogBeta, t, like), Coef(s.PosteriorLogVarClip, t, like)
		return Add(Mul(frac, logBeta), Mul(OneMinus(frac), logPosterior))
	}
	return Coef(s.LogBeta, t, like)
}

// HybridLossTerms are the two parts of L_hybrid for given time steps t and noise eps: L_simple over
// the batch (a scalar) and, for each example, the bound's term at t in bits/dim with ε_θ held fixed,
// so that its gradient reaches only v. vlb is nil for a model that does not learn its variances.
func (s *Schedule) HybridLossTerms(ctx *context.Context, model EpsModel, x0, t, eps *Node) (simple, vlb *Node) {
	xt := s.QSample(x0, t, eps)
	epsHat, v := splitOutput(model(ctx, xt, s.ModelTime(t)), xt)
	simple = ReduceAllMean(Square(Sub(eps, epsHat)))
	if v == nil {
		return simple, nil
	}
	frozen := Concatenate([]*Node{StopGradient(epsHat), v}, -1)
	vlb, _ = s.TermBitsPerDim(x0, xt, t, frozen, SamplerConfig{Variance: VarianceLearned})
	return simple, vlb
}
