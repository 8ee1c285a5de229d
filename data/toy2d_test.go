package data

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestToy2DShapeAndSeeds(t *testing.T) {
	const n = 1000
	for _, name := range Toy2DNames {
		a, err := Toy2D(name, n, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Toy2D(name, n, 1)
		c, _ := Toy2D(name, n, 2)
		if len(a) != 2*n {
			t.Errorf("%s: %d values, want %d (n×2)", name, len(a), 2*n)
		}
		if !slices.Equal(a, b) || slices.Equal(a, c) {
			t.Errorf("%s: same seed gives the same points: %v; another seed different ones: %v", name, slices.Equal(a, b), !slices.Equal(a, c))
		}
		for i, v := range a {
			if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 1.25 {
				t.Fatalf("%s: value %d = %g is far outside [-1, 1]", name, i, v)
			}
		}
	}
	if _, err := Toy2D("spiral", 10, 1); err == nil || !strings.Contains(err.Error(), "swissroll, moons, 8gaussians") {
		t.Errorf("unknown name: error %v does not list the valid names", err)
	}
	if _, err := Toy2D("moons", 0, 1); err == nil {
		t.Error("n = 0: no error")
	}
}

// points splits a flat [n, 2] slice into x and y.
func points(flat []float32) (xs, ys []float64) {
	for i := 0; i < len(flat); i += 2 {
		xs, ys = append(xs, float64(flat[i])), append(ys, float64(flat[i+1]))
	}
	return xs, ys
}

func TestToy2D8Gaussians(t *testing.T) {
	const n = 8000
	flat, _ := Toy2D("8gaussians", n, 3)
	xs, ys := points(flat)
	var sumX, sumY [8]float64
	var counts [8]int
	for i := range xs {
		k := (int(math.Round(math.Atan2(ys[i], xs[i])/(2*math.Pi/8))) + 8) % 8 // nearest of the 8 directions
		sumX[k], sumY[k] = sumX[k]+xs[i], sumY[k]+ys[i]
		counts[k]++
	}
	for k := range 8 {
		// Each cluster holds about n/8 points (binomial standard deviation √(n·⅛·⅞) ≈ 30) and its
		// mean lies on the circle of radius 0.8 at angle k·45°.
		if math.Abs(float64(counts[k])-n/8) > 150 {
			t.Errorf("cluster %d has %d points, want %d ± 150", k, counts[k], n/8)
		}
		mx, my := sumX[k]/float64(counts[k]), sumY[k]/float64(counts[k])
		a := 2 * math.Pi * float64(k) / 8
		if math.Hypot(mx-0.8*math.Cos(a), my-0.8*math.Sin(a)) > 0.02 {
			t.Errorf("cluster %d has mean (%.3f, %.3f), want (%.3f, %.3f) on the circle of radius 0.8", k, mx, my, 0.8*math.Cos(a), 0.8*math.Sin(a))
		}
	}
}

func TestToy2DMoons(t *testing.T) {
	const n = 4000
	flat, _ := Toy2D("moons", n, 4)
	xs, ys := points(flat)
	// Undo the scaling and assign each point to the nearer ideal moon: the upper one is the unit
	// half circle around (0, 0), the lower one around (1, 0.5).
	var upper, far int
	for i := range xs {
		x, y := 1.5*xs[i]+0.5, 1.5*ys[i]+0.25
		dUpper := math.Abs(math.Hypot(x, y) - 1)
		if y < 0 {
			dUpper = math.Hypot(math.Abs(x)-1, y) // nearest end of the upper moon
		}
		dLower := math.Abs(math.Hypot(x-1, y-0.5) - 1)
		if y > 0.5 {
			dLower = math.Hypot(math.Abs(x-1)-1, y-0.5)
		}
		if dUpper < dLower {
			upper++
		}
		if min(dUpper, dLower) > 0.25 { // 5 standard deviations of the noise
			far++
		}
	}
	if math.Abs(float64(upper)-n/2) > 5*math.Sqrt(n/4) {
		t.Errorf("moons: %d of %d points on the upper moon, want about half", upper, n)
	}
	if far > 0 {
		t.Errorf("moons: %d points lie far from both moons", far)
	}
}

func TestToy2DSwissRoll(t *testing.T) {
	const n = 4000
	flat, _ := Toy2D("swissroll", n, 5)
	xs, ys := points(flat)
	// Radii range from 1.5π/15 ≈ 0.31 to 4.5π/15 ≈ 0.94, plus noise of standard deviation 0.033.
	lo, hi := math.Inf(1), 0.0
	for i := range xs {
		if math.Abs(xs[i]) > 1.1 || math.Abs(ys[i]) > 1.1 {
			t.Fatalf("swissroll: point (%g, %g) outside [-1.1, 1.1]²", xs[i], ys[i])
		}
		r := math.Hypot(xs[i], ys[i])
		lo, hi = min(lo, r), max(hi, r)
	}
	if lo < 0.15 || lo > 0.35 || hi < 0.9 || hi > 1.1 {
		t.Errorf("swissroll: radii from %.3f to %.3f, want about 0.31 to 0.94", lo, hi)
	}
}
