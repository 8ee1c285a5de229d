package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Toy2DNames lists the 2-D toy data sets: small, fast and easy to plot, for watching a diffusion
// model learn a distribution.
var Toy2DNames = []string{"swissroll", "moons", "8gaussians"}

// MaxToyPoints bounds a toy data set: 2²⁷ points take a gigabyte.
const MaxToyPoints = 1 << 27

// Toy2D draws n points of a 2-D toy data set as a flat [n, 2] slice, scaled to about [−1, 1].
// The same seed gives the same points.
func Toy2D(name string, n int, seed uint64) ([]float32, error) {
	if !slices.Contains(Toy2DNames, name) {
		return nil, fmt.Errorf("unknown toy data set %q: valid names are %s", name, strings.Join(Toy2DNames, ", "))
	}
	if n < 1 || n > MaxToyPoints { // 3·10⁹ was a fatal out-of-memory, and 2⁶² a panic (thirty-third probe)
		return nil, fmt.Errorf("toy data set %q: n=%d points, want 1 to %d", name, n, MaxToyPoints)
	}
	// PCG from math/rand/v2 is seeded explicitly, so a seed gives the same points on every machine;
	// the second word only picks a stream.
	rng := rand.New(rand.NewPCG(seed, 0x2d))
	out := make([]float32, 2*n)
	set := func(i int, x, y float64) { out[2*i], out[2*i+1] = float32(x), float32(y) }
	switch name {
	case "swissroll":
		// The 2-D Swiss roll of scikit-learn: a spiral whose radius grows with its angle t, from
		// 1.5π to 4.5π (1½ turns); dividing by 15 brings the largest radius, 4.5π ≈ 14.1, under 1.
		for i := range n {
			t := 1.5 * math.Pi * (1 + 2*rng.Float64())
			set(i, (t*math.Cos(t)+0.5*rng.NormFloat64())/15, (t*math.Sin(t)+0.5*rng.NormFloat64())/15)
		}
	case "moons":
		// scikit-learn's two moons: an upper half circle and a lower one shifted right and down so that
		// they interleave, each point on either moon with probability ½. Raw x spans [−1, 2] and y
		// [−0.5, 1]: centre and divide by 1.5.
		for i := range n {
			a := math.Pi * rng.Float64()
			x, y := math.Cos(a), math.Sin(a)
			if rng.IntN(2) == 1 {
				x, y = 1-x, 0.5-y
			}
			set(i, (x-0.5+0.05*rng.NormFloat64())/1.5, (y-0.25+0.05*rng.NormFloat64())/1.5)
		}
	case "8gaussians":
		// Eight Gaussians with standard deviation 0.05 centred on a circle of radius 0.8.
		for i := range n {
			k := rng.IntN(8)
			a := 2 * math.Pi * float64(k) / 8
			set(i, 0.8*math.Cos(a)+0.05*rng.NormFloat64(), 0.8*math.Sin(a)+0.05*rng.NormFloat64())
		}
	}
	return out, nil
}
