package ddpm

import (
	"math"

	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
)

// The forward (diffusion) process q as graph functions.
//
// In all of them x has shape [batch, ...] and t is an integer tensor of shape [batch] with values
// in 1..T: each example in the batch can be at its own step. Coefficients are looked up in the
// schedule's tables and broadcast over the remaining axes of x.

// Coef gathers table[t] for each example and reshapes it to [batch, 1, ..., 1] so that it
// broadcasts against like (shape [batch, ...]). The result has like's dtype. A step outside the table
// (t < 0, or t > T for a schedule's tables) gives NaN: XLA's gather clamps an index to the nearest end,
// and t = 5000 drew x_t with ᾱ_T's coefficients, t = −3 with t = 0's, without an error (fifty-eighth
// probe); a NaN is named by every check of a result's finiteness.
func Coef(table []float64, t, like *Node) *Node {
	g := like.Graph()
	if t.Rank() != 1 || t.Shape().Dimensions[0] != like.Shape().Dimensions[0] {
		exceptions.Panicf("ddpm: t must have shape [batch]=[%d], got %s", like.Shape().Dimensions[0], t.Shape())
	}
	if !t.DType().IsInt() {
		exceptions.Panicf("ddpm: t must be an integer tensor (time steps 1..T), got %s", t.DType())
	}
	values := Gather(ConstAsDType(g, like.DType(), table), ExpandAxes(t, -1)) // [batch]
	outside := LogicalOr(LessThan(t, ConstAs(t, 0)), GreaterThan(t, ConstAs(t, len(table)-1)))
	values = Where(outside, ConstAs(values, math.NaN()), values)
	dims := make([]int, like.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = like.Shape().Dimensions[0]
	return Reshape(values, dims...)
}

// QSample draws from q(x_t | x_0) in closed form: x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, with ε ~ N(0, I)
// given as noise.
func (s *Schedule) QSample(x0, t, noise *Node) *Node {
	return Add(Mul(Coef(s.SqrtAlphaBar, t, x0), x0), Mul(Coef(s.SqrtOneMinusAlphaBar, t, x0), noise))
}

// QMeanVariance returns the mean √ᾱ_t x_0 and the variance 1−ᾱ_t (shape [batch, 1, ...]) of
// q(x_t | x_0).
func (s *Schedule) QMeanVariance(x0, t *Node) (mean, variance *Node) {
	mean = Mul(Coef(s.SqrtAlphaBar, t, x0), x0)
	sd := Coef(s.SqrtOneMinusAlphaBar, t, x0)
	return mean, Mul(sd, sd)
}

// QStep takes one step of the Markov chain, drawing from
// q(x_t | x_{t−1}) = N(√(1−β_t) x_{t−1}, β_t I): x_t = √α_t x_{t−1} + √β_t ε.
func (s *Schedule) QStep(xPrev, t, noise *Node) *Node {
	sqrtAlpha := Sqrt(Coef(s.Alpha, t, xPrev))
	sqrtBeta := Sqrt(Coef(s.Beta, t, xPrev))
	return Add(Mul(sqrtAlpha, xPrev), Mul(sqrtBeta, noise))
}

// QPosterior returns the mean, variance and clipped log-variance of the forward-process posterior
// q(x_{t−1} | x_t, x_0) = N(μ̃_t(x_t, x_0), β̃_t I), where
// μ̃_t = β_t √ᾱ_{t−1}/(1−ᾱ_t) x_0 + (1−ᾱ_{t−1}) √α_t/(1−ᾱ_t) x_t (equation 7 of the paper).
// The variance and log-variance have shape [batch, 1, ...].
func (s *Schedule) QPosterior(x0, xt, t *Node) (mean, variance, logVariance *Node) {
	mean = Add(Mul(Coef(s.PosteriorMeanCoefX0, t, x0), x0), Mul(Coef(s.PosteriorMeanCoefXt, t, xt), xt))
	return mean, Coef(s.PosteriorVariance, t, x0), Coef(s.PosteriorLogVarClip, t, x0)
}

// PredictX0 inverts the closed form for x_0 given the noise: x̂_0 = x_t/√ᾱ_t − √(1/ᾱ_t − 1) ε.
func (s *Schedule) PredictX0(xt, t, eps *Node) *Node {
	return Sub(Mul(Coef(s.SqrtRecipAlphaBar, t, xt), xt), Mul(Coef(s.SqrtRecipAlphaBarM1, t, xt), eps))
}
