package ddpm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func normals(rng *rand.Rand, n int) []float64 {
	z := make([]float64, n)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	return z
}

func TestQSampleAndPredictX0(t *testing.T) {
	s := MustNewSchedule(ScheduleLinear, PaperT)
	rng := rand.New(rand.NewPCG(1, 2))
	const batch, dim = 4, 3
	x0, eps := normals(rng, batch*dim), normals(rng, batch*dim)
	ts := []int32{1, 10, 500, 1000}
	exec := MustNewExec(backend, func(x0, t, eps *Node) (*Node, *Node) {
		xt := s.QSample(x0, t, eps)
		return xt, s.PredictX0(xt, t, eps)
	})
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(x0, batch, dim), tensors.FromValue(ts),
		tensors.FromFlatDataAndDimensions(eps, batch, dim))
	xt, x0Hat := tensors.MustCopyFlatData[float64](out[0]), tensors.MustCopyFlatData[float64](out[1])
	for i := range xt {
		tt := int(ts[i/dim])
		want := math.Sqrt(s.AlphaBar[tt])*x0[i] + math.Sqrt(1-s.AlphaBar[tt])*eps[i]
		near(t, fmt.Sprintf("x_%d", tt), xt[i], want, 1e-12)
		near(t, fmt.Sprintf("x̂_0 at t=%d", tt), x0Hat[i], x0[i], 1e-9)
	}
}

// The posterior q(x_{t−1} | x_t, x_0) is proportional to q(x_t | x_{t−1}) q(x_{t−1} | x_0), a product
// of two Gaussians in x_{t−1}: precisions add, and the mean is the precision-weighted average.
func TestPosteriorIsProductOfGaussians(t *testing.T) {
	for _, name := range []string{ScheduleLinear, ScheduleCosine} {
		s := MustNewSchedule(name, PaperT)
		rng := rand.New(rand.NewPCG(3, 4))
		ts := []int32{2, 3, 50, 400, 999, 1000}
		batch := len(ts)
		x0, xt := normals(rng, batch), normals(rng, batch)
		exec := MustNewExec(backend, func(x0, xt, t *Node) (*Node, *Node, *Node) {
			return s.QPosterior(x0, xt, t)
		})
		out := exec.MustExec(tensors.FromFlatDataAndDimensions(x0, batch, 1), tensors.FromFlatDataAndDimensions(xt, batch, 1),
			tensors.FromValue(ts))
		mean, variance, logVar := tensors.MustCopyFlatData[float64](out[0]), tensors.MustCopyFlatData[float64](out[1]),
			tensors.MustCopyFlatData[float64](out[2])
		for i, t32 := range ts {
			tt := int(t32)
			// q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t): as a function of x_{t−1}, precision α_t/β_t and
			// mean x_t/√α_t. q(x_{t−1} | x_0) = N(√ᾱ_{t−1} x_0, 1−ᾱ_{t−1}).
			precLik := s.Alpha[tt] / s.Beta[tt]
			precPrior := 1 / (1 - s.AlphaBar[tt-1])
			wantVar := 1 / (precLik + precPrior)
			wantMean := wantVar * (precLik*xt[i]/math.Sqrt(s.Alpha[tt]) + precPrior*math.Sqrt(s.AlphaBar[tt-1])*x0[i])
			near(t, fmt.Sprintf("%s posterior mean at t=%d", name, tt), mean[i], wantMean, 1e-9)
			near(t, fmt.Sprintf("%s posterior variance at t=%d", name, tt), variance[i], wantVar, 1e-9)
			near(t, fmt.Sprintf("%s posterior log-variance at t=%d", name, tt), logVar[i], math.Log(wantVar), 1e-9)
		}
	}
}

// The seed's claim: going from x_0 to x_t in one step (the closed form) gives the same distribution
// as t steps of the Markov chain. Both are sampled with N draws per starting value, and their means
// and variances are compared with the exact ones, N(√ᾱ_t x_0, 1−ᾱ_t), and with each other.
func TestChainedStepsMatchClosedForm(t *testing.T) {
	s := MustNewSchedule(ScheduleLinear, PaperT)
	x0Values := []float64{-1, -0.3, 0.5, 1}
	const n = 20000 // samples per starting value
	const z = 5.0   // tolerance in standard errors: a false failure has probability below 1e-6
	dim := len(x0Values)
	rng := rand.New(rand.NewPCG(5, 6))

	x0 := make([]float32, n*dim)
	for i := range x0 {
		x0[i] = float32(x0Values[i%dim])
	}
	noiseTensor := func() *tensors.Tensor {
		eps := make([]float32, n*dim)
		for i := range eps {
			eps[i] = float32(rng.NormFloat64())
		}
		return tensors.FromFlatDataAndDimensions(eps, n, dim)
	}
	step := MustNewExec(backend, s.QStep)
	closed := MustNewExec(backend, s.QSample)

	chain := tensors.FromFlatDataAndDimensions(x0, n, dim)
	done := 0
	for _, tt := range []int{1, 10, 100, 500, 1000} {
		for ; done < tt; done++ {
			chain = step.MustExec1(chain, StepTensor(n, done+1), noiseTensor())
		}
		oneShot := closed.MustExec1(tensors.FromFlatDataAndDimensions(x0, n, dim), StepTensor(n, tt), noiseTensor())
		chainData, oneShotData := tensors.MustCopyFlatData[float32](chain), tensors.MustCopyFlatData[float32](oneShot)
		wantVar := 1 - s.AlphaBar[tt]
		seMean := math.Sqrt(wantVar / n)
		seVar := wantVar * math.Sqrt(2.0/(n-1))
		for j, x0j := range x0Values {
			wantMean := math.Sqrt(s.AlphaBar[tt]) * x0j
			mc, vc := columnMoments(chainData, dim, j)
			mo, vo := columnMoments(oneShotData, dim, j)
			what := fmt.Sprintf("t=%d, x_0=%g", tt, x0j)
			within(t, what+": chain mean", mc, wantMean, z*seMean)
			within(t, what+": closed-form mean", mo, wantMean, z*seMean)
			within(t, what+": chain vs closed-form mean", mc-mo, 0, z*seMean*math.Sqrt2)
			within(t, what+": chain variance", vc, wantVar, z*seVar)
			within(t, what+": closed-form variance", vo, wantVar, z*seVar)
			within(t, what+": chain vs closed-form variance", vc-vo, 0, z*seVar*math.Sqrt2)
		}
	}
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g ± %.3g", what, got, want, tol)
	}
}

// columnMoments returns the sample mean and unbiased variance of column j of a row-major [n, dim]
// matrix.
func columnMoments(data []float32, dim, j int) (mean, variance float64) {
	n := len(data) / dim
	for i := 0; i < n; i++ {
		mean += float64(data[i*dim+j])
	}
	mean /= float64(n)
	for i := 0; i < n; i++ {
		d := float64(data[i*dim+j]) - mean
		variance += d * d
	}
	return mean, variance / float64(n-1)
}

// A step outside 1..T (or the boundary 0) gives NaN, not the nearest end's coefficients: XLA's gather
// clamps its index, and QSample at t = 5000 drew x_t as at t = T, at t = −3 as at t = 0, without an
// error (fifty-eighth probe).
func TestCoefOutsideTheTableIsNaN(t *testing.T) {
	s := MustNewSchedule(ScheduleLinear, PaperT)
	x0, noise := []float32{0.5}, []float32{1}
	for _, c := range []struct {
		t   int
		nan bool
	}{{0, false}, {1, false}, {PaperT, false}, {PaperT + 1, true}, {5000, true}, {-3, true}, {-1, true}} {
		out := MustExecOnce(backend, s.QSample, x0, StepTensor(1, c.t), noise)
		got := tensors.MustCopyFlatData[float32](out)[0]
		if isNaN := math.IsNaN(float64(got)); isNaN != c.nan {
			t.Errorf("QSample at t = %d: %v, want NaN %v", c.t, got, c.nan)
		}
	}
}
