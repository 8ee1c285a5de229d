package ddpm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestHybridVLBTermEqualsBoundTerm: the L_vlb part of L_hybrid is the bound evaluator's term for the
// same x_0, t and noise (with the unclipped mean, as in training), and LossAt adds it as λ·T times
// its mean to L_simple.
func TestHybridVLBTermEqualsBoundTerm(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	model := MLPModel(MLPConfig{Dim: 2, Hidden: 16, Layers: 2, TimeEmbed: 8, LearnSigma: true})
	const n = 6
	steps := []int{1, 2, 5, 40, 300, 1000}
	rng := rand.New(rand.NewPCG(1, 2))
	x0, noise := make([]float32, 2*n), make([]float32, 2*n)
	for i := range x0 {
		x0[i] = float32(rng.IntN(256))/127.5 - 1
		noise[i] = float32(rng.NormFloat64())
	}
	x0T, noiseT := tensors.FromFlatDataAndDimensions(x0, n, 2), tensors.FromFlatDataAndDimensions(noise, n, 2)
	ctx := context.New()
	terms, err := context.NewExec(backend, ctx, func(ctx *context.Context, x0, t, eps *Node) (*Node, *Node, *Node) {
		simple, vlb := sched.HybridLossTerms(ctx, model, x0, t, eps)
		return simple, vlb, sched.LossAt(ctx.Reuse(), model, x0, t, eps)
	})
	if err != nil {
		t.Fatal(err)
	}
	out := terms.MustExec(x0T, StepsTensor(steps...), noiseT)
	simple, loss := tensors.ToScalar[float32](out[0]), tensors.ToScalar[float32](out[2])
	vlb := tensors.MustCopyFlatData[float32](out[1])

	eval, err := NewBoundEvaluator(backend, ctx, sched, model, SamplerConfig{Variance: VarianceLearned})
	if err != nil {
		t.Fatal(err)
	}
	var mean float64
	for i, st := range steps {
		bits, _, err := eval.Term(tensors.FromFlatDataAndDimensions(x0[2*i:2*i+2], 1, 2), st,
			tensors.FromFlatDataAndDimensions(noise[2*i:2*i+2], 1, 2))
		if err != nil {
			t.Fatal(err)
		}
		within(t, fmt.Sprintf("L_vlb term of L_hybrid vs the bound's term at t=%d", st), float64(vlb[i]), float64(bits[0]), 1e-5*math.Abs(float64(bits[0])))
		mean += float64(vlb[i]) / n
	}
	within(t, "L_hybrid = L_simple + λ·T·mean(L_vlb term)", float64(loss), float64(simple)+HybridLambda*PaperT*mean, 1e-5*float64(loss))
}

// TestHybridVLBTrainsOnlyTheVariance: inside L_vlb the mean is held fixed, so its gradient reaches v
// and not ε_θ (improved DDPM, section 3.1): a model whose two outputs are free variables gets a zero
// gradient on ε and a non-zero one on v.
func TestHybridVLBTrainsOnlyTheVariance(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	grads := MustExecOnce(backend, func(x0, eps *Node) *Node {
		g := x0.Graph()
		epsOut := AddScalar(ZerosLike(x0), 0.3)
		vOut := AddScalar(ZerosLike(x0), -0.2)
		model := func(_ *context.Context, xt, _ *Node) *Node { return Concatenate([]*Node{epsOut, vOut}, -1) }
		_, vlb := sched.HybridLossTerms(nil, model, x0, Const(g, []int32{2, 50, 700}), eps)
		d := Gradient(ReduceAllSum(vlb), epsOut, vOut)
		return Stack([]*Node{ReduceAllSum(Abs(d[0])), ReduceAllSum(Abs(d[1]))}, 0)
	}, [][]float32{{0.1, -0.5}, {1, 0.2}, {-1, 0}}, [][]float32{{0.3, 1.2}, {-0.7, 0.1}, {2, -1}})
	norms := tensors.MustCopyFlatData[float32](grads)
	if dEps := norms[0]; dEps != 0 {
		t.Errorf("L_vlb's gradient on ε_θ is %g, want 0 (the mean must be held fixed)", dEps)
	}
	if dV := norms[1]; !(dV > 1e-3) {
		t.Errorf("L_vlb's gradient on v is %g, want clearly non-zero", dV)
	}
}

// TestLearnedVarianceSamplerStep: ancestral sampling with learned variances adds σ z with
// σ² = β^frac β̃^(1−frac) per element, and with v = 1 (v = −1) it equals the fixed σ² = β (β̃) sampler.
func TestLearnedVarianceSamplerStep(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	const st = 123
	xt, eps, z := []float32{0.4, -0.9, 0.1}, []float32{0.2, 0.5, -1.1}, []float32{1, -2, 0.5}
	step := func(cfg SamplerConfig, v float64) []float32 {
		out := MustExecOnce(backend, func(xt, eps, z *Node) *Node {
			xt, eps, z = Reshape(xt, 3, 1), Reshape(eps, 3, 1), Reshape(z, 3, 1)
			out := eps
			if !math.IsNaN(v) {
				out = Concatenate([]*Node{eps, AddScalar(ZerosLike(eps), v)}, -1)
			}
			tt := Const(xt.Graph(), []int32{st, st, st})
			prev, _ := sched.ReverseStep(xt, tt, out, z, cfg)
			return prev
		}, xt, eps, z)
		return tensors.MustCopyFlatData[float32](out)
	}
	noNoise := step(SamplerConfig{Variance: VarianceBeta}, math.NaN())
	for _, v := range []float64{1, -1, 0.25} {
		got := step(SamplerConfig{Variance: VarianceLearned}, v)
		frac := (v + 1) / 2
		sigma := math.Sqrt(math.Pow(sched.Beta[st], frac) * math.Pow(sched.PosteriorVariance[st], 1-frac))
		meanPart := func(i int) float64 { // the mean: the β sampler's output minus its own noise
			return float64(noNoise[i]) - math.Sqrt(sched.Beta[st])*float64(z[i])
		}
		for i := range got {
			within(t, fmt.Sprintf("learned σ z, v=%g", v), float64(got[i])-meanPart(i), sigma*float64(z[i]), 2e-6)
		}
	}
	for _, tc := range []struct {
		v        float64
		variance string
	}{{1, VarianceBeta}, {-1, VariancePosterior}} {
		learned, fixed := step(SamplerConfig{Variance: VarianceLearned}, tc.v), step(SamplerConfig{Variance: tc.variance}, math.NaN())
		for i := range learned {
			within(t, fmt.Sprintf("learned v=%g vs %s", tc.v, tc.variance), float64(learned[i]), float64(fixed[i]), 2e-6)
		}
	}
}

// TestLearnedVarianceOfGaussianData trains a small MLP with learned variances on 2-D data
// x_0 ~ N(0, s² I), whose true reverse process is known: q(x_{t−1} | x_t) is Gaussian with variance
// V_{t−1} − α_t V_{t−1}²/V_t, V_t = ᾱ_t s² + 1 − ᾱ_t (x_{t−1} and x_t are jointly Gaussian). With
// s = 0.1 it lies strictly between β̃_t and β_t at small t. The learned σ_t², averaged over x_t ~ q,
// must lie between them too and be closer to the truth than either fixed choice.
func TestLearnedVarianceOfGaussianData(t *testing.T) {
	const s2, n, T = 0.01, 4096, 100
	sched := MustNewSchedule(ScheduleLinearScaled, T)
	rng := rand.New(rand.NewPCG(11, 12))
	points := make([]float32, 2*n)
	for i := range points {
		points[i] = float32(math.Sqrt(s2) * rng.NormFloat64())
	}
	ds, err := NewArrayDataset("gaussian", points, []int{2}, 256, 1)
	if err != nil {
		t.Fatal(err)
	}
	model := MLPModel(MLPConfig{Dim: 2, Hidden: 64, Layers: 3, TimeEmbed: 16, LearnSigma: true})
	ctx := context.New()
	cfg := TrainConfig{Steps: 3000, Seed: 5, Optimizer: OptimizerConfig{LearningRate: 2e-3, WarmupSteps: 100, ClipNorm: 1, EMADecay: 0.995}}
	if _, err := Train(backend, ctx, sched, model, ds, cfg); err != nil {
		t.Fatal(err)
	}
	ema, err := EMAContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	steps := []int{2, 3, 4, 5, 6}
	variances, err := context.NewExec(backend, ema.Reuse(), func(ctx *context.Context, x0, tt, eps *Node) *Node {
		xt := sched.QSample(x0, tt, eps)
		_, v := splitOutput(model(ctx, xt, tt), xt)
		return Exp(sched.ModelLogVariance(tt, v, xt, SamplerConfig{Variance: VarianceLearned}))
	})
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]float32, 2*n)
	for i := range noise {
		noise[i] = float32(rng.NormFloat64())
	}
	for _, st := range steps {
		out := variances.MustExec(tensors.FromFlatDataAndDimensions(points, n, 2), StepTensor(n, st), tensors.FromFlatDataAndDimensions(noise, n, 2))
		var learned float64
		for _, v := range tensors.MustCopyFlatData[float32](out[0]) {
			learned += float64(v) / (2 * n)
		}
		prev := sched.AlphaBar[st-1]*s2 + 1 - sched.AlphaBar[st-1]
		cur := sched.AlphaBar[st]*s2 + 1 - sched.AlphaBar[st]
		truth := prev - sched.Alpha[st]*prev*prev/cur
		beta, tilde := sched.Beta[st], sched.PosteriorVariance[st]
		dist := func(a, b float64) float64 { return math.Abs(math.Log(a / b)) }
		t.Logf("t=%d: β̃ %.3g  true %.3g  learned %.3g  β %.3g", st, tilde, truth, learned, beta)
		if !(learned > tilde && learned < beta) {
			t.Errorf("t=%d: learned σ² %.4g is not between β̃_t %.4g and β_t %.4g", st, learned, tilde, beta)
		}
		if d := dist(learned, truth); d >= dist(beta, truth) || d >= dist(tilde, truth) {
			t.Errorf("t=%d: learned σ² %.4g is not closer to the true %.4g than β_t %.4g and β̃_t %.4g", st, learned, truth, beta, tilde)
		}
	}
}
