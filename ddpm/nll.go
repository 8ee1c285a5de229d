package ddpm

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
)

// The terms of the variational bound (equation 5 of the paper) as graph functions:
//
//	L = L_T + Σ_{t=2..T} L_{t−1} + L_0
//	L_T     = KL(q(x_T | x_0) ‖ N(0, I))
//	L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t))
//	L_0     = −log p_θ(x_0 | x_1), a Gaussian discretized over the 256 bins of 8-bit data.
//
// All terms are in nats per element; BitsPerDim turns a per-example sum into bits/dim.

// NormalKL is KL(N(mean1, exp(logVar1)) ‖ N(mean2, exp(logVar2))) element by element (the
// arguments broadcast against each other).
func NormalKL(mean1, logVar1, mean2, logVar2 *Node) *Node {
	diff := Sub(mean1, mean2)
	return MulScalar(Add(
		AddScalar(Sub(logVar2, logVar1), -1),
		Add(Exp(Sub(logVar1, logVar2)), Mul(Mul(diff, diff), Exp(Neg(logVar2)))),
	), 0.5)
}

// StdNormalCDF is Φ(x) = (1 + erf(x/√2))/2.
func StdNormalCDF(x *Node) *Node {
	return MulScalar(AddScalar(Erf(MulScalar(x, 1/math.Sqrt2)), 1), 0.5)
}

// DataBins is the number of values of 8-bit data, scaled to [−1, 1] as x = k/127.5 − 1: the bins
// have width 2/255 and are centred on those values.
const DataBins = 256

// DiscretizedGaussianLogLikelihood is log P(x) for data x on the 8-bit grid of [−1, 1] under
// N(mean, exp(logScale)²) integrated over x's bin, element by element. The edge bins extend to
// ∓∞, so the probabilities of the 256 bins sum to 1. A bin's probability is floored at 1e-12, as in
// the paper's code, so no value costs more than −log 1e-12 = 27.6 nats (a bin more than about 7
// standard deviations from the mean); above the floor it is exact to float32's precision.
//
// It is computed in float64 and returned in x's dtype: Φ = (1 + erf)/2 in float32 cancels in the
// tails, and a bin 6 standard deviations out cost 27.6 nats, not 18.4 (fifty-eighth probe).
func DiscretizedGaussianLogLikelihood(x, mean, logScale *Node) *Node {
	dtype := x.DType()
	x, mean, logScale = ConvertDType(x, dtypes.Float64), ConvertDType(mean, dtypes.Float64), ConvertDType(logScale, dtypes.Float64)
	return ConvertDType(discretizedGaussianLogLikelihood(x, mean, logScale), dtype)
}

func discretizedGaussianLogLikelihood(x, mean, logScale *Node) *Node {
	const halfBin = 1.0 / (DataBins - 1)
	const tiny = 1e-12
	centred := Sub(x, mean)
	invScale := Exp(Neg(logScale))
	cdfPlus := StdNormalCDF(Mul(AddScalar(centred, halfBin), invScale))
	cdfMinus := StdNormalCDF(Mul(AddScalar(centred, -halfBin), invScale))
	logCdfPlus := Log(MaxScalar(cdfPlus, tiny))                     // lowest bin: P = Φ(upper edge)
	logOneMinusCdfMinus := Log(MaxScalar(OneMinus(cdfMinus), tiny)) // highest bin: P = 1 − Φ(lower edge)
	logDelta := Log(MaxScalar(Sub(cdfPlus, cdfMinus), tiny))        // inner bins
	lowest := LessThan(x, ConstAs(x, -1+halfBin))
	highest := GreaterThan(x, ConstAs(x, 1-halfBin))
	return Where(lowest, logCdfPlus, Where(highest, logOneMinusCdfMinus, logDelta))
}

// BitsPerDim averages nats over all but the batch axis and converts them to bits: the result has
// shape [batch].
func BitsPerDim(nats *Node) *Node {
	axes := make([]int, nats.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return MulScalar(ReduceMean(nats, axes...), 1/math.Ln2)
}

// PriorBitsPerDim is L_T in bits/dim for each example of x0: how far q(x_T | x_0) is from the
// prior N(0, I). It has no parameters to learn; for the linear schedule it is about 1e-5.
func (s *Schedule) PriorBitsPerDim(x0 *Node) *Node {
	g := x0.Graph()
	tT := Const(g, fillInt32(x0.Shape().Dimensions[0], int32(s.T)))
	mean, variance := s.QMeanVariance(x0, tT)
	zero := ZerosLike(mean)
	return BitsPerDim(NormalKL(mean, Log(variance), zero, zero))
}

// ModelMean is μ_θ(x_t, t) of p_θ(x_{t−1} | x_t) given the model's noise prediction eps (ε_θ only), as
// the sampler uses it (with cfg.ClipX0, the posterior mean at the clipped x̂_0).
func (s *Schedule) ModelMean(xt, t, eps *Node, cfg SamplerConfig) (mean, x0Hat *Node) {
	x0Hat = s.PredictX0(xt, t, eps)
	if cfg.ClipX0 {
		x0Hat = ClipScalar(x0Hat, -1, 1)
		mean, _, _ = s.QPosterior(x0Hat, xt, t)
		return mean, x0Hat
	}
	return Mul(Coef(s.SqrtRecipAlpha, t, xt), Sub(xt, Mul(Coef(s.EpsCoef, t, xt), eps))), x0Hat
}

// TermBitsPerDim is the bound's term at step t for each example, in bits/dim, given x_0, the
// x_t drawn from q(x_t | x_0) and the model's output out (ε_θ(x_t, t), and v for learned variances):
// L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) where t ≥ 2, and the decoder term
// L_0 = −log p_θ(x_0 | x_1) where t = 1. It also returns x̂_0, the model's guess of x_0.
func (s *Schedule) TermBitsPerDim(x0, xt, t, out *Node, cfg SamplerConfig) (bits, x0Hat *Node) {
	eps, v := splitOutput(out, xt)
	modelMean, x0Hat := s.ModelMean(xt, t, eps, cfg)
	modelLogVar := s.ModelLogVariance(t, v, xt, cfg)
	trueMean, _, trueLogVar := s.QPosterior(x0, xt, t)
	kl := BitsPerDim(NormalKL(trueMean, trueLogVar, modelMean, modelLogVar))
	decoder := BitsPerDim(Neg(DiscretizedGaussianLogLikelihood(x0, modelMean, MulScalar(modelLogVar, 0.5))))
	isFirst := Equal(t, OnesLike(t))
	return Where(isFirst, decoder, kl), x0Hat
}

func fillInt32(n int, v int32) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = v
	}
	return out
}
