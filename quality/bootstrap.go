package quality

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// maxResamples bounds the bootstrap: eval takes 100, and each resample fits a Gaussian again.
const maxResamples = 100000

// FrechetStdErr estimates the standard error of the Fréchet distance between the Gaussian fitted to
// features ([n, dim] flat) and ref, from the sampling of those n vectors alone (ref, fitted to the
// whole test set, is held fixed): the standard deviation of the distance over `resamples` bootstrap
// resamples of the n vectors, drawn with replacement from seed. It says how much a FID of n samples
// would move with another n from the same model; the FID's bias with n (it falls as n grows) is
// another matter, which is why FIDs are only compared at equal n.
func FrechetStdErr(features []float32, dim int, ref *Gaussian, resamples int, seed uint64) (float64, error) {
	if resamples < 2 || resamples > maxResamples { // 2⁴⁰ ran on for good (thirty-third probe)
		return 0, fmt.Errorf("Fréchet standard error: %d resamples, want 2 to %d", resamples, maxResamples)
	}
	if dim < 1 || len(features)%dim != 0 {
		return 0, fmt.Errorf("Fréchet standard error: %d values are not vectors of length %d", len(features), dim)
	}
	// Values that are no numbers are named where the caller has them: the resample's index was named
	// (value 195 of vector 48 for the caller's value 3; fifty-sixth probe).
	if i := firstNonFinite(features); i >= 0 {
		return 0, fmt.Errorf("Fréchet standard error: value %d (vector %d) is %v", i, i/dim, features[i])
	}
	n := len(features) / dim
	rng := rand.New(rand.NewPCG(seed, 0xb007)) // #nosec G404 -- reproducible resampling, not crypto
	resampled := make([]float32, len(features))
	distances := make([]float64, 0, resamples)
	for range resamples {
		for i := range n {
			j := rng.IntN(n)
			copy(resampled[i*dim:(i+1)*dim], features[j*dim:(j+1)*dim])
		}
		g, err := FitGaussian(resampled, dim)
		if err != nil {
			return 0, err
		}
		d, err := FrechetDistance(g, ref)
		if err != nil {
			return 0, err
		}
		distances = append(distances, d)
	}
	// Two passes, the mean first: in one, Σd² − R·mean² lost every digit where the distances are large
	// beside their spread, and a spread of 2.3e7 around 1e16 came out as a standard error of 0
	// (ninety-first probe).
	mean := 0.0
	for _, d := range distances {
		mean += d / float64(resamples)
	}
	ss := 0.0
	for _, d := range distances {
		ss += (d - mean) * (d - mean)
	}
	return math.Sqrt(ss / float64(resamples-1)), nil
}
