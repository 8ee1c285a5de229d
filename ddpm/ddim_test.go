package ddpm

import (
	"math"
	"testing"

	"github.com/learn-ddpm/ddpm-go/data"
)

// DDIM inversion on the shipped MNIST model: 64 test digits encoded to x_T with 100 steps and decoded
// back with DDIM η = 0 on the same steps come back close to themselves, much closer than to the
// other digits (the reconstruction RMSE is logged; a broken inversion, e.g. one whose latent is
// not where the decoder starts, gives a reconstruction as far from its digit as from any other).
func TestDDIMInversionRoundTrip(t *testing.T) {
	tr, err := LoadTrained("../models/mnist-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	mnist, err := data.LoadMNIST("") // the Go module's copy, or $DDPM_MNIST_DIR
	if err != nil {
		t.Fatal(err)
	}
	const n, size = 64, 28 * 28
	x0 := mnist.Test.Scaled(0, n)
	steps, err := ParseSteps("100", tr.Schedule.T)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := tr.Schedule.Respace(steps)
	if err != nil {
		t.Fatal(err)
	}
	sampler, err := NewSampler(backend, tr.Ctx, sched, tr.Model, SamplerConfig{Variance: VarianceBeta, DDIM: true})
	if err != nil {
		t.Fatal(err)
	}
	dims := []int{28, 28, 1}
	latents, err := sampler.Encode(x0, n, dims)
	if err != nil {
		t.Fatal(err)
	}
	var lm, lv float64 // the latents should look like N(0, I)
	for _, v := range latents {
		lm += float64(v)
	}
	lm /= float64(len(latents))
	for _, v := range latents {
		lv += (float64(v) - lm) * (float64(v) - lm)
	}
	lv /= float64(len(latents))
	res, err := sampler.Sample(SampleOptions{N: n, Dims: dims, Start: latents, StartT: sched.T})
	if err != nil {
		t.Fatal(err)
	}
	rmse := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]-b[i]) * float64(a[i]-b[i])
		}
		return math.Sqrt(s / float64(len(a)))
	}
	var own, others float64
	for i := range n {
		rec := res.X0[i*size : (i+1)*size]
		own += rmse(rec, x0[i*size:(i+1)*size]) / n
		j := (i + 1) % n
		others += rmse(rec, x0[j*size:(j+1)*size]) / n
	}
	t.Logf("DDIM inversion, 100 steps, %d test digits: reconstruction RMSE %.4f (to the next digit: %.4f); latents mean %.3f, variance %.3f",
		n, own, others, lm, lv)
	if !(own < 0.1 && own < others/5) {
		t.Errorf("reconstruction RMSE %.4f: want < 0.1 (pixels in [-1, 1]) and far below the RMSE to other digits %.4f", own, others)
	}
	if math.Abs(lm) > 0.2 || math.Abs(lv-1) > 0.3 {
		t.Errorf("latents have mean %.3f and variance %.3f, want about 0 and 1", lm, lv)
	}
}
