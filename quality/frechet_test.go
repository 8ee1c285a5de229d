package quality

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.10g, want %.10g (±%.3g)", what, got, want, tol)
	}
}

func gaussian(mean []float64, cov []float64) *Gaussian {
	return &Gaussian{Mean: mean, Cov: mat.NewSymDense(len(mean), cov)}
}

// randomPSD returns B Bᵀ for a random n×n B: symmetric positive semi-definite.
func randomPSD(rng *rand.Rand, n int) *mat.SymDense {
	b := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			b.Set(i, j, rng.NormFloat64())
		}
	}
	out := mat.NewSymDense(n, nil)
	out.SymOuterK(1, b)
	return out
}

func TestSqrtPSD(t *testing.T) {
	root, err := SqrtPSD(mat.NewSymDense(2, []float64{4, 0, 0, 9}))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "√diag(4,9)[0,0]", root.At(0, 0), 2, 1e-12)
	near(t, "√diag(4,9)[1,1]", root.At(1, 1), 3, 1e-12)
	near(t, "√diag(4,9)[0,1]", root.At(0, 1), 0, 1e-12)

	rng := rand.New(rand.NewPCG(1, 2))
	a := randomPSD(rng, 12)
	root, err = SqrtPSD(a)
	if err != nil {
		t.Fatal(err)
	}
	var sq mat.Dense
	sq.Mul(root, root)
	for i := 0; i < 12; i++ {
		for j := 0; j < 12; j++ {
			near(t, "(√A)² − A", sq.At(i, j)-a.At(i, j), 0, 1e-9*mat.Trace(a))
		}
	}
	// A singular PSD matrix (rank 1): rounding can give tiny negative eigenvalues.
	v := []float64{1, 2, 3}
	rank1 := mat.NewSymDense(3, nil)
	rank1.SymOuterK(1, mat.NewDense(3, 1, v))
	root, err = SqrtPSD(rank1)
	if err != nil {
		t.Fatal(err)
	}
	// √(v vᵀ) = v vᵀ / ‖v‖.
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			near(t, "√(v vᵀ)", root.At(i, j), v[i]*v[j]/math.Sqrt(14), 1e-6)
		}
	}
}

func TestFrechetDistanceKnownCases(t *testing.T) {
	// One dimension: (μ₁ − μ₂)² + (σ₁ − σ₂)².
	d, err := FrechetDistance(gaussian([]float64{1}, []float64{4}), gaussian([]float64{-2}, []float64{0.25}))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "1-D", d, 9+1.5*1.5, 1e-12)
	// Diagonal covariances: the sum over axes.
	d, _ = FrechetDistance(gaussian([]float64{0, 1, 2}, []float64{1, 0, 0, 0, 4, 0, 0, 0, 9}),
		gaussian([]float64{0, 0, 0}, []float64{4, 0, 0, 0, 4, 0, 0, 0, 1}))
	near(t, "diagonal", d, 0+1+4+1+0+4, 1e-12)

	rng := rand.New(rand.NewPCG(3, 4))
	a := &Gaussian{Mean: []float64{0.5, -1, 2, 0, 1, 3}, Cov: randomPSD(rng, 6)}
	b := &Gaussian{Mean: []float64{0, 0, 1, 1, -1, 2}, Cov: randomPSD(rng, 6)}
	d0, _ := FrechetDistance(a, a)
	near(t, "distance to itself", d0, 0, 1e-8)
	// The formula is written asymmetrically (Σ₁^½ Σ₂ Σ₁^½) but the distance is symmetric.
	dab, _ := FrechetDistance(a, b)
	dba, _ := FrechetDistance(b, a)
	near(t, "d(a,b) − d(b,a)", dab-dba, 0, 1e-8*dab)
	if dab <= 0 {
		t.Errorf("distance between different Gaussians = %g, want > 0", dab)
	}
	// Commuting covariances (Σ₂ = 2Σ₁): Tr((Σ₁^½ 2Σ₁ Σ₁^½)^½) = √2 Tr(Σ₁), so the trace part
	// is (3 − 2√2) Tr(Σ₁).
	twice := mat.NewSymDense(6, nil)
	twice.ScaleSym(2, a.Cov)
	d, _ = FrechetDistance(a, &Gaussian{Mean: a.Mean, Cov: twice})
	near(t, "Σ vs 2Σ", d, (3-2*math.Sqrt2)*mat.Trace(a.Cov), 1e-8*mat.Trace(a.Cov))

	if _, err := FrechetDistance(a, gaussian([]float64{1}, []float64{1})); err == nil {
		t.Errorf("Gaussians of different sizes accepted")
	}
}

func TestFitGaussian(t *testing.T) {
	g, err := FitGaussian([]float32{1, 2, 3, 6, 5, 10}, 2) // rows (1,2), (3,6), (5,10)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "mean x", g.Mean[0], 3, 1e-12)
	near(t, "mean y", g.Mean[1], 6, 1e-12)
	near(t, "var x", g.Cov.At(0, 0), 4, 1e-12)  // ((−2)² + 0 + 2²)/2
	near(t, "var y", g.Cov.At(1, 1), 16, 1e-12) // ((−4)² + 0 + 4²)/2
	near(t, "cov xy", g.Cov.At(0, 1), 8, 1e-12) // (8 + 0 + 8)/2
	if _, err := FitGaussian([]float32{1, 2}, 2); err == nil {
		t.Errorf("a single vector accepted")
	}
}

// TestFrechetDistanceOfSamples: for two samples of the same Gaussian the distance is small and
// shrinks with the sample size; for shifted means it approaches ‖Δμ‖².
func TestFrechetDistanceOfSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const dim = 4
	draw := func(n int, shift float64) *Gaussian {
		x := make([]float32, n*dim)
		for i := range x {
			x[i] = float32(rng.NormFloat64() + shift)
		}
		g, err := FitGaussian(x, dim)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	same, _ := FrechetDistance(draw(20000, 0), draw(20000, 0))
	if same > 0.01 {
		t.Errorf("two samples of N(0, I): distance %g, want < 0.01", same)
	}
	shifted, _ := FrechetDistance(draw(20000, 0), draw(20000, 1))
	near(t, "shift by 1 on 4 axes", shifted, 4, 0.1)
}

func TestClassifierScore(t *testing.T) {
	uniform := []float32{0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25}
	s, err := ClassifierScore(uniform, 4)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "uniform", s, 1, 1e-6)
	certain := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}
	s, _ = ClassifierScore(certain, 3)
	near(t, "certain and balanced", s, 3, 1e-6)
	collapsed := []float32{0, 1, 0, 0, 1, 0}
	s, _ = ClassifierScore(collapsed, 3)
	near(t, "certain but one class", s, 1, 1e-6)
	if _, err := ClassifierScore([]float32{1, 0, 0}, 2); err == nil {
		t.Errorf("3 values accepted as rows of 2 classes")
	}
}

func TestAccuracyAndConfident(t *testing.T) {
	probs := []float32{0.95, 0.05, 0, 0.2, 0.7, 0.1, 0, 0.01, 0.99} // classes 0, 1, 2
	near(t, "accuracy", Accuracy(probs, []uint8{0, 1, 1}), 2.0/3, 1e-12)
	frac, counts := Confident(probs, 3, 0.9)
	near(t, "confident fraction", frac, 2.0/3, 1e-12)
	if counts[0] != 1 || counts[1] != 1 || counts[2] != 1 {
		t.Errorf("class counts %v, want [1 1 1]", counts)
	}
	// Requested 0, 1, 1: the first two are classified as asked, the third as 2.
	overall, perClass, err := ConditionalAccuracy(probs, 3, []int{0, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "conditional accuracy", overall, 2.0/3, 1e-12)
	near(t, "conditional accuracy of class 0", perClass[0], 1, 1e-12)
	near(t, "conditional accuracy of class 1", perClass[1], 0.5, 1e-12)
	if !math.IsNaN(perClass[2]) {
		t.Errorf("class 2 was never requested: accuracy %g, want NaN", perClass[2])
	}
	if _, _, err := ConditionalAccuracy(probs, 3, []int{0, 3, 1}); err == nil {
		t.Errorf("requested class 3 of 3 accepted")
	}
	if _, _, err := ConditionalAccuracy(probs, 3, []int{0, 1}); err == nil {
		t.Errorf("2 requested classes for 3 samples accepted")
	}
}

// A block of crumbs (entries near 1e-130, as features that almost never fire leave) made gonum's
// EigenSym panic ("lapack: insufficient length of a") and killed a whole evaluation; factorizePSD
// returns the eigenvalues, the crumbs' included, and FrechetDistance works on such a covariance.
func TestEigenvaluesOfATinyBlock(t *testing.T) {
	m := mat.NewSymDense(4, []float64{1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1e-130, 1e-130, 0, 0, 1e-130, 3e-130})
	values, _, _, err := factorizePSD(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 0, 1, 2} // the tiny block's eigenvalues (≈1e-130) are 0 to float64's precision here
	for i, v := range values {
		near(t, "eigenvalue", v, want[i], 1e-12)
	}
	g := gaussian([]float64{0, 0, 0, 0}, []float64{1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1e-130, 1e-130, 0, 0, 1e-130, 3e-130})
	d, err := FrechetDistance(g, g)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "distance of a Gaussian to itself", d, 0, 1e-6)
}

// FrechetDistance refuses a Gaussian whose mean and covariance disagree in size or are not finite, and
// SqrtPSD a matrix that is missing or empty (forty-third probe: a zero Gaussian, a mean without a
// covariance and SqrtPSD(nil) panicked; a NaN gave a distance of NaN).
func TestFrechetDistanceOfMalformedGaussians(t *testing.T) {
	ok := gaussian([]float64{0, 1}, []float64{1, 0, 0, 1})
	for name, c := range map[string]struct {
		a, b *Gaussian
		want string
	}{
		"zero Gaussians":         {&Gaussian{}, &Gaussian{}, "first Gaussian has no mean"},
		"a mean, no covariance":  {ok, &Gaussian{Mean: []float64{0, 1}}, "second Gaussian has no covariance"},
		"a 3×3 covariance for 2": {&Gaussian{Mean: []float64{0, 1}, Cov: mat.NewSymDense(3, nil)}, ok, "first Gaussian's covariance is 3×3, want 2×2"},
		"a covariance, no mean":  {ok, &Gaussian{Cov: mat.NewSymDense(2, nil)}, "second Gaussian has no mean"},
		"a NaN mean":             {gaussian([]float64{0, math.NaN()}, []float64{1, 0, 0, 1}), ok, "first Gaussian's mean holds NaN (at 1)"},
		"an infinite covariance": {ok, gaussian([]float64{0, 1}, []float64{1, 0, 0, math.Inf(1)}), "second Gaussian's covariance holds +Inf (at 1, 1)"},
		// No covariance's (forty-sixth probe: −5·I as the second gave 20.125, and as the first a root of 0).
		"−5·I as the second": {ok, gaussian([]float64{0, 0}, []float64{-5, 0, 0, -5}), "variance -5 (at 0), below 0"},
		"not semi-definite":  {gaussian([]float64{0, 0}, []float64{1, 3, 3, 1}), ok, "eigenvalue -2: it is not positive semi-definite"},
		// Nor as the second, whose diagonal alone was checked: [[1 2] [2 1]] gave 0.536 (fifty-sixth probe).
		"not semi-definite as the second": {ok, gaussian([]float64{0, 0}, []float64{1, 2, 2, 1}), "second Gaussian's covariance: matrix square root: the matrix has the eigenvalue -1"},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panicked: %v", name, r)
				}
			}()
			if _, err := FrechetDistance(c.a, c.b); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: error %v, want %q", name, err, c.want)
			}
		}()
	}
	for name, m := range map[string]mat.Symmetric{"nil": nil, "a nil *SymDense": (*mat.SymDense)(nil), "an empty SymDense": &mat.SymDense{}} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("SqrtPSD(%s): panicked: %v", name, r)
				}
			}()
			if _, err := SqrtPSD(m); err == nil || !strings.Contains(err.Error(), "no matrix") {
				t.Errorf("SqrtPSD(%s): error %v, want %q", name, err, "no matrix")
			}
		}()
	}
}

// A Gaussian's distance to itself is 0, never a rounding below it: a singular covariance (two
// samples of four features) gave −1.3e-7 (fifty-first probe's nit).
func TestFrechetDistanceIsNeverNegative(t *testing.T) {
	g, err := FitGaussian([]float32{0.3, -1.7, 2.9, 0.11, 1.3, 0.2, -0.7, 5.5}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := FrechetDistance(g, g); err != nil || d < 0 {
		t.Errorf("a Gaussian of singular covariance against itself: %g, %v", d, err)
	}
}

// Rows that are not class probabilities are refused (or give NaN), not scored: rows of 0s and of 1s
// both scored 1, and counted as accurate (fifty-sixth probe). A softmax's rounding is taken.
func TestScoresRefuseRowsThatAreNoDistributions(t *testing.T) {
	for name, probs := range map[string][]float32{"rows of 0": {0, 0, 0, 0}, "rows of 1": {1, 1, 1, 1}, "a row of 0.4 and 0.4": {1, 0, 0.4, 0.4}} {
		if _, err := ClassifierScore(probs, 2); err == nil || !strings.Contains(err.Error(), "not 1") {
			t.Errorf("ClassifierScore of %s: %v, want a refusal", name, err)
		}
		if a := Accuracy(probs, []uint8{0, 0}); !math.IsNaN(a) {
			t.Errorf("Accuracy of %s: %v, want NaN", name, a)
		}
		if f, _ := Confident(probs, 2, ConfidentThreshold); !math.IsNaN(f) {
			t.Errorf("Confident of %s: %v, want NaN", name, f)
		}
		if _, _, err := ConditionalAccuracy(probs, 2, []int{0, 0}); err == nil || !strings.Contains(err.Error(), "not 1") {
			t.Errorf("ConditionalAccuracy of %s: %v, want a refusal", name, err)
		}
	}
	rounded := []float32{0.3333333, 0.3333333, 0.3333333, 1, 0, 0}
	if s, err := ClassifierScore(rounded, 3); err != nil || !(s > 1) {
		t.Errorf("ClassifierScore of a softmax's rounded rows: %v, %v", s, err)
	}
	if a := Accuracy(rounded, []uint8{0, 0}); a != 0.5 { // the first row, a three-way tie, is no class's
		t.Errorf("Accuracy of a softmax's rounded rows: %v, want 0.5", a)
	}
}

// Two Gaussians of one rank-deficient covariance, whose means differ by 0.1 in one coordinate, are
// 0.01 apart (the trace terms cancel): the zero eigenvalues, computed as rounding crumbs, added their
// square roots to the trace of the root and the distance came out as 0 (fifty-eighth probe). The
// tolerance is far below the 0.01 that was lost, and far above float64's rounding of the traces.
func TestFrechetDistanceOfRankDeficientCovariances(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ d, rank int }{{128, 20}, {128, 100}, {256, 128}} {
		a := mat.NewDense(c.d, c.rank, nil)
		for i := range c.d {
			for j := range c.rank {
				a.Set(i, j, 10*rng.NormFloat64())
			}
		}
		cov := mat.NewSymDense(c.d, nil)
		cov.SymOuterK(1, a)
		m1, m2 := make([]float64, c.d), make([]float64, c.d)
		m2[0] = 0.1
		got, err := FrechetDistance(&Gaussian{Mean: m1, Cov: cov}, &Gaussian{Mean: m2, Cov: cov})
		if err != nil || math.Abs(got-0.01) > 1e-6 {
			t.Errorf("d=%d, rank %d, means 0.1 apart: distance %v, %v; want 0.01 (±1e-6)", c.d, c.rank, got, err)
		}
	}
}

// Covariances whose scales differ by many orders: diagonal ones commute, so the distance is
// ‖μ₁ − μ₂‖² + Σ (√a_i − √b_i)². The middle matrix Σ₁^½ Σ₂ Σ₁^½ of diag(1e8, 1) and diag(1e8, 4) is
// diag(1e16, 4), and zeroing its eigenvalues within rounding of the largest (2·ε·1e16 ≈ 4.4) dropped the
// 4: the distance came out 5, not 1 (sixty-second probe). Rotated by one orthogonal Q, the same
// covariances no longer show their diagonal to the decomposition, and the distance is unchanged. The
// tolerance is float64's rounding of traces of 2e8.
func TestFrechetDistanceOfCovariancesOfDifferentScales(t *testing.T) {
	c, s := math.Cos(0.3), math.Sin(0.3)
	q := mat.NewDense(2, 2, []float64{c, -s, s, c})
	rotated := func(diag []float64) *mat.SymDense {
		var m mat.Dense
		m.Mul(q, mat.NewDiagDense(2, diag))
		m.Mul(&m, q.T())
		return symmetricPart(&m, 2)
	}
	for _, k := range []struct{ a, b []float64 }{
		{[]float64{1e8, 1}, []float64{1e8, 4}},
		{[]float64{1e6, 0.01}, []float64{1e6, 0.04}},
		{[]float64{100, 1e-6}, []float64{100, 4e-6}},
	} {
		want := 0.0
		for i := range k.a {
			want += (math.Sqrt(k.a[i]) - math.Sqrt(k.b[i])) * (math.Sqrt(k.a[i]) - math.Sqrt(k.b[i]))
		}
		for name, cov := range map[string]func([]float64) *mat.SymDense{
			"diagonal": func(d []float64) *mat.SymDense { return mat.NewSymDense(2, []float64{d[0], 0, 0, d[1]}) },
			"rotated":  rotated,
		} {
			got, err := FrechetDistance(&Gaussian{Mean: []float64{0, 0}, Cov: cov(k.a)}, &Gaussian{Mean: []float64{0, 0}, Cov: cov(k.b)})
			if err != nil || math.Abs(got-want) > 1e-13*(k.a[0]+k.b[0])+1e-12 {
				t.Errorf("%s diag%v against diag%v: distance %v, %v; want %g", name, k.a, k.b, got, err, want)
			}
		}
	}
}

// The classifier's features of 1 000 identical images are identical but for the last bit of 12 of
// them in 2 images (a batch's position changes the rounding), and 92 of the 128 are 0: their covariance
// is rank one, of entries of 1e-17. gonum's decomposition of it gave a "root" of 2.6e44, the distance to
// the test digits' Gaussian came out hugely negative and was clamped to 0, a perfect score for a
// collapsed generator (fifty-eighth probe). The distance of such a set to N(0, I) is ‖μ‖² + d, up to
// the vanishing trace of its covariance.
func TestFrechetDistanceOfIdenticalFeatures(t *testing.T) {
	const n, dim = 1000, 128
	// The probe's features (the shipped classifier's of 1 000 images of the value 1): the 36 that fire,
	// as images 0–498, 500–998 have them, and as images 499 and 999 have them.
	fired := []struct {
		j           int
		usual, last float32
	}{
		{1, 0x1.96beecp-4, 0x1.96bee8p-4}, {3, 0x1.0faeb4p-1, 0x1.0faeb6p-1}, {7, 0x1.d883e6p-1, 0x1.d883e6p-1},
		{9, 0x1.1ce618p-2, 0x1.1ce618p-2}, {14, 0x1.ac1a94p-5, 0x1.ac1a96p-5}, {16, 0x1.4813a4p-8, 0x1.4813b2p-8},
		{21, 0x1.a98076p-1, 0x1.a98076p-1}, {22, 0x1.0fdbecp+0, 0x1.0fdbecp+0}, {31, 0x1.e98a44p-5, 0x1.e98a42p-5},
		{41, 0x1.9fbf62p-5, 0x1.9fbf5ap-5}, {42, 0x1.1c25d8p-1, 0x1.1c25d8p-1}, {44, 0x1.1ce63cp-1, 0x1.1ce63cp-1},
		{50, 0x1.047e4cp-3, 0x1.047e50p-3}, {55, 0x1.b03f1ep-2, 0x1.b03f1ep-2}, {58, 0x1.74b61ap-1, 0x1.74b61ap-1},
		{59, 0x1.fa4a92p-2, 0x1.fa4a92p-2}, {67, 0x1.b82748p-1, 0x1.b82748p-1}, {70, 0x1.45b696p-2, 0x1.45b696p-2},
		{74, 0x1.0927ecp-1, 0x1.0927e8p-1}, {76, 0x1.3164d2p+0, 0x1.3164d2p+0}, {79, 0x1.4ebb14p-1, 0x1.4ebb14p-1},
		{83, 0x1.304c88p-3, 0x1.304c8ap-3}, {85, 0x1.ae82bap-2, 0x1.ae82b8p-2}, {91, 0x1.51a428p-2, 0x1.51a428p-2},
		{92, 0x1.a14a20p-5, 0x1.a14a22p-5}, {93, 0x1.78a012p-1, 0x1.78a012p-1},
		{103, 0x1.688982p-3, 0x1.688982p-3}, {104, 0x1.5f8dacp-2, 0x1.5f8dacp-2},
		{106, 0x1.a4d8ccp-3, 0x1.a4d8cap-3}, {108, 0x1.1ecb1ap-2, 0x1.1ecb1ap-2},
		{109, 0x1.32222ep+0, 0x1.32222ep+0}, {111, 0x1.312e2ap-2, 0x1.312e2ap-2},
		{113, 0x1.69ee68p-3, 0x1.69ee68p-3}, {117, 0x1.bea288p-4, 0x1.bea288p-4},
		{121, 0x1.f5a406p-2, 0x1.f5a406p-2}, {122, 0x1.63e2eep-1, 0x1.63e2eep-1},
	}
	features := make([]float32, n*dim)
	for i := range n {
		for _, f := range fired {
			features[i*dim+f.j] = f.usual
			if i == 499 || i == 999 {
				features[i*dim+f.j] = f.last
			}
		}
	}
	a, err := FitGaussian(features, dim)
	if err != nil {
		t.Fatal(err)
	}
	identity := mat.NewSymDense(dim, nil)
	want := float64(dim)
	for j := range dim {
		identity.SetSym(j, j, 1)
		want += a.Mean[j] * a.Mean[j]
	}
	b := &Gaussian{Mean: make([]float64, dim), Cov: identity}
	for _, order := range [][2]*Gaussian{{a, b}, {b, a}} {
		got, err := FrechetDistance(order[0], order[1])
		if err != nil || math.Abs(got-want) > 1e-6*want {
			t.Errorf("identical features against N(0, I): distance %v, %v; want %v", got, err, want)
		}
	}
	root, err := SqrtPSD(a.Cov)
	if err != nil || mat.Max(root) > 1e-6 || mat.Min(root) < -1e-6 {
		t.Errorf("the root of a covariance of rounding crumbs: %v, entries in [%g, %g]; want entries near 0", err, mat.Min(root), mat.Max(root))
	}
}

// A row whose largest probability two classes share is no class's: the first class won every tie, so a
// classifier of uniform rows scored the share of label 0 as its accuracy (sixtieth probe). A threshold
// that is no probability gives no confident fraction (5 and −1 gave 0 and 1).
func TestTiesAndThresholdsThatAreNoProbability(t *testing.T) {
	uniform := []float32{0.5, 0.5, 0.5, 0.5, 0.2, 0.8}
	if got := Accuracy(uniform, []uint8{0, 0, 1}); got != 1.0/3 {
		t.Errorf("accuracy of two tied rows and one right: %v, want 1/3", got)
	}
	if overall, _, err := ConditionalAccuracy(uniform, 2, []int{0, 0, 1}); err != nil || overall != 1.0/3 {
		t.Errorf("conditional accuracy of two tied rows and one right: %v, %v; want 1/3", overall, err)
	}
	fraction, counts := Confident(uniform, 2, 0.5)
	if fraction != 1.0/3 || !slices.Equal(counts, []int{0, 1}) {
		t.Errorf("Confident of two tied rows: %v, %v; want 1/3 and counts [0 1]", fraction, counts)
	}
	for _, threshold := range []float32{5, -1, float32(math.Inf(1)), float32(math.NaN())} {
		if fraction, counts := Confident(uniform, 2, threshold); !math.IsNaN(fraction) || counts != nil {
			t.Errorf("Confident at the threshold %v: %v, %v; want NaN and no counts", threshold, fraction, counts)
		}
	}
}
