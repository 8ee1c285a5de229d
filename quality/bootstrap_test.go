package quality

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The bootstrap standard error of one set of n vectors matches the spread of the Fréchet distance
// over many independent sets of n drawn from the same distribution (a Monte Carlo truth), here
// N(0.3·1, I) in 4 dimensions against N(0, I).
func TestFrechetStdErrMatchesRepeatedDraws(t *testing.T) {
	const dim, n, sets = 4, 400, 200
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func() []float32 {
		x := make([]float32, n*dim)
		for i := range x {
			x[i] = float32(0.3 + rng.NormFloat64())
		}
		return x
	}
	ref := gaussian(make([]float64, dim), []float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1})
	var sum, sumSq float64
	for range sets {
		g, err := FitGaussian(draw(), dim)
		if err != nil {
			t.Fatal(err)
		}
		d, err := FrechetDistance(g, ref)
		if err != nil {
			t.Fatal(err)
		}
		sum, sumSq = sum+d, sumSq+d*d
	}
	mean := sum / sets
	truth := math.Sqrt((sumSq - sets*mean*mean) / (sets - 1))
	// The Monte Carlo spread itself is known to ±1/√(2·(sets−1)) ≈ 5%, the bootstrap's from one set
	// to roughly ±15%: a factor of 1.4 either way is a generous but failing bound (a standard error
	// computed as the spread of single vectors, or without the resampling, is off by far more).
	for seed := range uint64(3) {
		se, err := FrechetStdErr(draw(), dim, ref, 200, seed)
		if err != nil {
			t.Fatal(err)
		}
		if ratio := se / truth; !(ratio > 1/1.4 && ratio < 1.4) {
			t.Errorf("bootstrap standard error %.4f vs the spread over %d independent sets %.4f: ratio %.2f", se, sets, truth, ratio)
		}
		t.Logf("bootstrap %.4f, repeated draws %.4f (mean distance %.4f)", se, truth, mean)
	}
	if _, err := FrechetStdErr(draw(), dim, ref, 1, 0); err == nil {
		t.Error("one resample: no error")
	}
	// A NaN is named where the caller has it, not where a resample put it (fifty-sixth probe).
	f := draw()
	f[3] = float32(math.NaN())
	if _, err := FrechetStdErr(f, dim, ref, 10, 1); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("value 3 (vector %d) is NaN", 3/dim)) {
		t.Errorf("a NaN at value 3: %v", err)
	}
}

// Far from the reference, the distances are large beside their spread: the standard error is that
// spread, not what is left of Σd² − R·mean² (0, at a distance of 1e16; ninety-first probe). Against
// N(1e8, 1), the distance of N(m, s²) is (m − 1e8)² + (s − 1)², so its spread is about 2·1e8 times
// the standard error of m, 1/√50.
func TestFrechetStdErrFarFromTheReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 50)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	se, err := FrechetStdErr(x, 1, gaussian([]float64{1e8}, []float64{1}), 100, 1)
	want := 2 * 1e8 / math.Sqrt(50)
	if err != nil || !(se > want/1.5 && se < want*1.5) {
		t.Errorf("standard error %g, %v; want about %.3g", se, err, want)
	}
}
