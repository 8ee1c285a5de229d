// Package quality measures the quality of generated images with a classifier trained by this
// project: the Fréchet distance between the classifier's features of generated and real images
// (a "classifier-FID", in the spirit of FID but not comparable to the Inception FID of papers) and
// the classifier analogue of the Inception Score.
package quality

import (
	"fmt"
	"math"
	"reflect"

	"gonum.org/v1/gonum/mat"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// Gaussian is the mean and covariance of a set of feature vectors.
type Gaussian struct {
	Mean []float64
	Cov  *mat.SymDense
	N    int // number of vectors it was fitted to
}

// FitGaussian computes the mean and the unbiased covariance of n feature vectors of length dim,
// given flat ([n, dim]).
func FitGaussian(features []float32, dim int) (*Gaussian, error) {
	if dim < 1 || len(features)%dim != 0 || len(features)/dim < 2 {
		return nil, fmt.Errorf("fit Gaussian: need at least 2 vectors of length %d, got %d values", dim, len(features))
	}
	if i := firstNonFinite(features); i >= 0 { // it fitted a Gaussian of NaN with no error (forty-fourth probe)
		return nil, fmt.Errorf("fit Gaussian: value %d (vector %d) is %v", i, i/dim, features[i])
	}
	// Its covariance, and the Fréchet distance's copies of it, before they are made: 10⁵ features asked
	// 80 GB, a fatal out-of-memory (thirty-third probe).
	if err := ddpm.CheckMemory(fmt.Sprintf("fit Gaussian: a covariance of %d features", dim), 4*8*float64(dim)*float64(dim)); err != nil {
		return nil, err
	}
	n := len(features) / dim
	mean := make([]float64, dim)
	for i := 0; i < n; i++ {
		for j, v := range features[i*dim : (i+1)*dim] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	centred := mat.NewDense(n, dim, nil)
	for i := 0; i < n; i++ {
		for j, v := range features[i*dim : (i+1)*dim] {
			centred.Set(i, j, float64(v)-mean[j])
		}
	}
	cov := mat.NewSymDense(dim, nil)
	cov.SymOuterK(1/float64(n-1), centred.T())
	return &Gaussian{Mean: mean, Cov: cov, N: n}, nil
}

// SqrtPSD returns the symmetric square root of a symmetric positive semi-definite matrix through
// its eigen-decomposition A = V diag(λ) Vᵀ: √A = V diag(√λ) Vᵀ. Eigenvalues that rounding made
// slightly negative are taken as 0. A nil or empty matrix is an error (nil panicked; forty-third probe),
// and so are a value that is not finite and an eigenvalue further below 0 than rounding makes (more than
// 1e-8 of the largest): −5·I had the root 0, and a covariance of NaN a root of NaN (forty-sixth probe).
func SqrtPSD(a mat.Symmetric) (root *mat.SymDense, err error) {
	if a == nil || reflect.ValueOf(a).Kind() == reflect.Pointer && reflect.ValueOf(a).IsNil() {
		return nil, fmt.Errorf("matrix square root: no matrix (nil)")
	}
	n := a.SymmetricDim()
	if n == 0 {
		return nil, fmt.Errorf("matrix square root: no matrix (0×0)")
	}
	for i := range n {
		for j := i; j < n; j++ {
			if v := a.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("matrix square root: the matrix holds %v (at %d, %d)", v, i, j)
			}
		}
	}
	values, eig, entry, err := factorizePSD(a)
	if err != nil {
		return nil, fmt.Errorf("matrix square root: %w", err)
	}
	if eig == nil { // the zero matrix
		return mat.NewSymDense(n, nil), nil
	}
	largest := 0.0
	for _, lambda := range values {
		largest = math.Max(largest, math.Abs(lambda))
	}
	for _, lambda := range values {
		if lambda < -1e-8*largest {
			return nil, fmt.Errorf("matrix square root: the matrix has the eigenvalue %.6g: it is not positive semi-definite, as a covariance is", lambda)
		}
	}
	var vectors mat.Dense
	eig.VectorsTo(&vectors)
	scaled := mat.NewDense(n, n, nil)
	for j, lambda := range values {
		s := math.Sqrt(aboveRounding(lambda, largest, n))
		for i := 0; i < n; i++ {
			scaled.Set(i, j, vectors.At(i, j)*s)
		}
	}
	var full mat.Dense
	full.Mul(scaled, vectors.T())
	root = symmetricPart(&full, n)
	for i := range n {
		for j := i; j < n; j++ {
			if v := root.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) { // 1e308 entries gave a root of +Inf, and no error
				return nil, fmt.Errorf("matrix square root: the root overflows float64 (%v at %d, %d)", v, i, j)
			}
		}
	}
	// The root must square to the matrix, up to the rounding of the decomposition and of the negative
	// eigenvalues taken as 0 (1e-8 of the largest): a wrong root gave a wrong distance, clamped to 0.
	var square mat.Dense
	square.Mul(root, root)
	for i := range n {
		for j := i; j < n; j++ {
			if diff := math.Abs(square.At(i, j) - a.At(i, j)); diff > 1e-6*max(largest, entry) {
				return nil, fmt.Errorf("matrix square root: the root is inaccurate (its square differs from the matrix by %g at %d, %d, where its largest eigenvalue is %g)", diff, i, j, largest)
			}
		}
	}
	return root, nil
}

// factorizePSD returns the eigenvalues of a symmetric matrix, its decomposition (nil for the zero
// matrix), and its largest entry. It factorizes M/s + δI, s a power of two near the
// largest entry (exact) and δ = 1e-9, then shifts and scales the eigenvalues back; neither changes the
// eigenvectors. The scaling: the covariance of 1 000 identical images (entries of ±1e-17, rounding's) had a
// "root" of 2.6e44 from gonum, and its distance to any Gaussian was 0 (fifty-eighth probe). The shift:
// features that never fire (all-zero columns) give M decoupled blocks of rounding crumbs, and gonum's
// Dsterf (v0.16, v0.17) panics on a block below ~1e-122 (it rescales it with a wrong stride: "lapack:
// insufficient length of a"); δ keeps every block far above that. A panic inside gonum is an error of
// this computation, not of the program.
func factorizePSD(m mat.Symmetric) (values []float64, eig *mat.EigenSym, entry float64, err error) {
	n := m.SymmetricDim()
	for i := range n {
		for j := i; j < n; j++ {
			entry = math.Max(entry, math.Abs(m.At(i, j)))
		}
	}
	if entry == 0 {
		return make([]float64, n), nil, 0, nil
	}
	_, exp := math.Frexp(entry)
	scale := math.Ldexp(1, exp-1) // a power of two, finite for any finite entry: scaling by it is exact
	const delta = 1e-9
	shifted := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			shifted.SetSym(i, j, m.At(i, j)/scale)
		}
		shifted.SetSym(i, i, shifted.At(i, i)+delta)
	}
	defer func() {
		if r := recover(); r != nil {
			values, eig, err = nil, nil, fmt.Errorf("the eigen-decomposition failed: %v", r)
		}
	}()
	eig = new(mat.EigenSym)
	if !eig.Factorize(shifted, true) {
		return nil, nil, entry, fmt.Errorf("the eigen-decomposition did not converge")
	}
	values = eig.Values(nil)
	for i := range values {
		values[i] = (values[i] - delta) * scale
	}
	return values, eig, entry, nil
}

// aboveRounding is the eigenvalue lambda of an n×n symmetric matrix whose largest is largest, or 0
// where it is within the decomposition's rounding, n·ε·largest (LAPACK's backward error; numpy's
// matrix_rank takes the same): the zero eigenvalues of a rank-deficient covariance came out as crumbs
// of ε·largest whose square roots, √(ε·largest) each, made the root's rank full. Two Gaussians
// of one rank-20 covariance in 128 dimensions whose means differ by 0.1 had the distance 0, not
// 0.01 (fifty-eighth probe).
func aboveRounding(lambda, largest float64, n int) float64 {
	if lambda <= float64(n)*0x1p-52*largest && !math.IsInf(largest, 1) { // an overflow is its caller's to name
		return 0
	}
	return math.Max(lambda, 0)
}

// symmetricPart returns (M + Mᵀ)/2 for an n×n matrix that is symmetric up to rounding.
func symmetricPart(m mat.Matrix, n int) *mat.SymDense {
	out := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			out.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	return out
}

// FrechetDistance is the squared Fréchet (2-Wasserstein) distance between two Gaussians:
//
//	‖μ₁ − μ₂‖² + Tr(Σ₁) + Tr(Σ₂) − 2 Tr((Σ₁^½ Σ₂ Σ₁^½)^½)
//
// The last trace is the sum of the singular values of Σ₂^½ Σ₁^½ (traceOfRoot).
func FrechetDistance(a, b *Gaussian) (float64, error) {
	if err := a.check("first"); err != nil {
		return 0, err
	}
	if err := b.check("second"); err != nil {
		return 0, err
	}
	if len(a.Mean) != len(b.Mean) {
		return 0, fmt.Errorf("Fréchet distance: feature sizes differ (%d and %d)", len(a.Mean), len(b.Mean))
	}
	d := 0.0
	for i := range a.Mean {
		diff := a.Mean[i] - b.Mean[i]
		d += diff * diff
	}
	rootA, err := SqrtPSD(a.Cov)
	if err != nil {
		return 0, fmt.Errorf("Fréchet distance: the first Gaussian's covariance: %w", err)
	}
	// The second's must be a covariance too, though only the first's root is taken: [[1 2] [2 1]]
	// (eigenvalues 3 and −1) as the second gave 0.536, and as the first was refused (fifty-sixth probe).
	rootB, err := SqrtPSD(b.Cov)
	if err != nil {
		return 0, fmt.Errorf("Fréchet distance: the second Gaussian's covariance: %w", err)
	}
	traceRoot, err := traceOfRoot(rootA, rootB)
	if err != nil {
		return 0, fmt.Errorf("Fréchet distance: %w", err)
	}
	dist := d + mat.Trace(a.Cov) + mat.Trace(b.Cov) - 2*traceRoot
	if math.IsNaN(dist) || math.IsInf(dist, 0) { // finite but huge Gaussians gave NaN or +Inf, and no error
		return 0, fmt.Errorf("Fréchet distance: the Gaussians' values are too large for float64 (the distance is %v)", dist)
	}
	// A distance is never negative: rounding left −1.3e-7 for a Gaussian and itself whose covariance
	// is singular (fifty-first probe's nit). Beyond rounding it is an error, not a distance of 0: a
	// wrong root made the distance of 1 000 identical images to the test digits 0 (fifty-eighth probe).
	if scale := d + mat.Trace(a.Cov) + mat.Trace(b.Cov); dist < -1e-6*scale {
		return 0, fmt.Errorf("Fréchet distance: it came out as %g, below 0 by more than rounding (the traces sum to %g): the covariances' square root is inaccurate", dist, scale)
	}
	return math.Max(dist, 0), nil
}

// traceOfRoot is Tr((Σ₁^½ Σ₂ Σ₁^½)^½) from the two roots: the sum of the singular values of
// A = Σ₂^½ Σ₁^½, since Σ₁^½ Σ₂ Σ₁^½ = AᵀA. A singular value comes out within ε·σ_max, where the middle
// matrix's eigenvalue came out within ε·λ_max = ε·σ_max², its root within √ε·σ_max: the eigenvalues
// of rounding's size had to be zeroed below n·ε·λ_max, and that threshold dropped true ones where
// the scales differ: diag(1e8, 1) against diag(1e8, 4) lost the eigenvalue 4 of diag(1e16, 4), and the
// distance came out 5, not 1 (sixty-second probe). A panic inside gonum is an error of this computation.
func traceOfRoot(rootA, rootB *mat.SymDense) (trace float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			trace, err = 0, fmt.Errorf("the singular value decomposition failed: %v", r)
		}
	}()
	var product mat.Dense
	product.Mul(rootB, rootA)
	var svd mat.SVD
	if !svd.Factorize(&product, mat.SVDNone) {
		return 0, fmt.Errorf("the singular value decomposition did not converge")
	}
	for _, sigma := range svd.Values(nil) {
		trace += sigma
	}
	return trace, nil
}

// check refuses a Gaussian that FrechetDistance cannot use: a zero Gaussian, or a mean without its
// covariance, panicked (forty-third probe).
func (g *Gaussian) check(which string) error {
	switch {
	case g == nil:
		return fmt.Errorf("Fréchet distance: the %s Gaussian is missing", which)
	case len(g.Mean) == 0:
		return fmt.Errorf("Fréchet distance: the %s Gaussian has no mean", which)
	case g.Cov == nil:
		return fmt.Errorf("Fréchet distance: the %s Gaussian has no covariance", which)
	case g.Cov.SymmetricDim() != len(g.Mean):
		n := g.Cov.SymmetricDim()
		return fmt.Errorf("Fréchet distance: the %s Gaussian's covariance is %d×%d, want %d×%d (its mean's size)", which, n, n, len(g.Mean), len(g.Mean))
	}
	// Nor a value that is not finite, whose distance was a NaN without an error.
	for i, v := range g.Mean {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("Fréchet distance: the %s Gaussian's mean holds %v (at %d)", which, v, i)
		}
	}
	for i := range g.Mean {
		// A variance below 0 is no covariance's: −5·I as the second gave a distance of 20.125 (forty-sixth
		// probe); the first's square root refuses any that is not positive semi-definite (SqrtPSD).
		if v := g.Cov.At(i, i); v < 0 {
			return fmt.Errorf("Fréchet distance: the %s Gaussian's covariance has the variance %v (at %d), below 0", which, v, i)
		}
		for j := i; j < len(g.Mean); j++ {
			if v := g.Cov.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("Fréchet distance: the %s Gaussian's covariance holds %v (at %d, %d)", which, v, i, j)
			}
		}
	}
	return nil
}

// ClassifierScore is the analogue of the Inception Score with this project's classifier:
// exp(E_x KL(p(y | x) ‖ p(y))), where p(y) is the mean of the class probabilities. It is 1 when
// every image gets the same class distribution and the number of classes when each image is
// classified with certainty and the classes are balanced. probs is [n, classes] flat.
func ClassifierScore(probs []float32, classes int) (float64, error) {
	if classes < 1 || len(probs) == 0 || len(probs)%classes != 0 {
		return 0, fmt.Errorf("classifier score: %d values are not rows of %d class probabilities", len(probs), classes)
	}
	if why := notDistributions(probs, classes); why != "" { // a NaN scored 1, and −1 NaN, with no error (forty-fourth probe)
		return 0, fmt.Errorf("classifier score: %s", why)
	}
	n := len(probs) / classes
	marginal := make([]float64, classes)
	for i := 0; i < n; i++ {
		for c, p := range probs[i*classes : (i+1)*classes] {
			marginal[c] += float64(p) / float64(n)
		}
	}
	kl := 0.0
	for i := 0; i < n; i++ {
		for c, p := range probs[i*classes : (i+1)*classes] {
			if p > 0 {
				kl += float64(p) * math.Log(float64(p)/marginal[c])
			}
		}
	}
	return math.Exp(kl / float64(n)), nil
}
