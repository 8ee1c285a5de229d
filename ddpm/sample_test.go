package ddpm

import (
	"fmt"
	"math"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// For data x_0 ~ N(μ, s² I), q(x_t) = N(√ᾱ_t μ, ᾱ_t s² + 1 − ᾱ_t) and the optimal noise predictor is
// ε*(x_t, t) = E[ε | x_t] = √(1−ᾱ_t) (x_t − √ᾱ_t μ) / (ᾱ_t s² + 1 − ᾱ_t).
func analyticEps(sched *Schedule, mu, s2 float64) EpsModel {
	return func(_ *context.Context, xt, t *Node) *Node {
		ab := Coef(sched.AlphaBar, t, xt)
		sqrtAB := Sqrt(ab)
		num := Mul(Sqrt(OneMinus(ab)), Sub(xt, MulScalar(sqrtAB, mu)))
		return Div(num, AddScalar(Sub(MulScalar(ab, s2), ab), 1))
	}
}

// exactSampleMoments follows the mean and variance of x through Algorithm 2 driven by ε*: every step
// is x_{t−1} = a_t x_t + b_t + σ_t z, so m ← a m + b and v ← a² v + σ_t².
func exactSampleMoments(sched *Schedule, mu, s2 float64, variance string) (mean, vari float64) {
	m, v := 0.0, 1.0 // x_T ~ N(0, 1)
	for t := sched.T; t >= 1; t-- {
		ab := sched.AlphaBar[t]
		c := math.Sqrt(1-ab) / (ab*s2 + 1 - ab)
		r, e := sched.SqrtRecipAlpha[t], sched.EpsCoef[t]
		a := r * (1 - e*c)
		b := r * e * c * math.Sqrt(ab) * mu
		sigma2 := sched.Beta[t]
		if variance == VariancePosterior {
			sigma2 = sched.PosteriorVariance[t]
		}
		if t == 1 {
			sigma2 = 0
		}
		m, v = a*m+b, a*a*v+sigma2
	}
	return m, v
}

func TestSamplerWithAnalyticScore(t *testing.T) {
	const mu, s2, n = 0.5, 0.04, 100000
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	for _, tc := range []struct {
		variance string
		wantVar  float64 // the reference values, to check the recursion itself
	}{{VarianceBeta, 0.0404}, {VariancePosterior, 0.0385}} {
		wantMean, wantVar := exactSampleMoments(sched, mu, s2, tc.variance)
		within(t, tc.variance+": exact output variance (recursion)", wantVar, tc.wantVar, 1e-4)
		within(t, tc.variance+": exact output mean (recursion)", wantMean, mu, 1e-3)

		x0 := drawSamples(t, sched, analyticEps(sched, mu, s2), SamplerConfig{Variance: tc.variance}, SampleOptions{N: n, Dims: []int{1}, Seed: 7})
		m, v := columnMoments(x0, 1, 0)
		what := fmt.Sprintf("σ² = %s, %d samples", tc.variance, n)
		within(t, what+": sample mean", m, wantMean, 5*math.Sqrt(wantVar/n))
		within(t, what+": sample variance", v, wantVar, 5*wantVar*math.Sqrt(2.0/(n-1)))
		t.Logf("%s: mean %.5f (exact %.5f), variance %.5f (exact %.5f)", what, m, wantMean, v, wantVar)
	}
}

func TestSamplerIsSeeded(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 50)
	sampler, err := NewSampler(backend, context.New(), sched, analyticEps(sched, 0, 1), SamplerConfig{Variance: VarianceBeta, ClipX0: true})
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) []float32 {
		res, err := sampler.Sample(SampleOptions{N: 4, Dims: []int{3}, Seed: seed, RecordX0At: []int{25}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.X0s[25]) != 12 {
			t.Fatalf("x̂_0 at t=25 has %d values, want 12", len(res.X0s[25]))
		}
		return res.X0
	}
	a, b, c := run(1), run(1), run(2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different samples: %v vs %v", a, b)
		}
	}
	same := true
	for i := range a {
		same = same && a[i] == c[i]
	}
	if same {
		t.Errorf("different seeds gave the same samples %v", a)
	}
	if _, err := NewSampler(backend, context.New(), sched, analyticEps(sched, 0, 1), SamplerConfig{Variance: "sigma"}); err == nil {
		t.Errorf("unknown variance %q accepted", "sigma")
	}
}

// drawSamples builds a sampler and returns the x_0 of one Sample call, failing the test on an error.
func drawSamples(t *testing.T, sched *Schedule, model EpsModel, cfg SamplerConfig, opts SampleOptions) []float32 {
	t.Helper()
	sampler, err := NewSampler(backend, context.New(), sched, model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sampler.Sample(opts)
	if err != nil {
		t.Fatal(err)
	}
	return res.X0
}
