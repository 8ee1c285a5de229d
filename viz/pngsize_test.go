package viz

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

// A grid's and a plot's Size is that of the PNG they render, and PNGBound bounds its bytes for the
// content that compresses worst (noise): with the raw pixels alone, a scatter plot of 5 000 points was
// estimated at 44 KB and wrote 332 KB, and a grid of 64 colour images lost its gaps (twenty-eighth probe).
func TestPNGBoundHoldsForNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = 2*rng.Float32() - 1
		}
		return out
	}
	points := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = rng.NormFloat64()
		}
		return out
	}
	captions := make([]string, 12)
	for i := range captions {
		captions[i] = "t=1000"
	}
	for name, c := range map[string]struct {
		size func() (int, int)
		png  func() ([]byte, error)
	}{
		"grid of 64 colour images": {Grid{Pixels: noise(64 * 32 * 32 * 3), N: 64, Height: 32, Width: 32, Channels: 3, Cols: 8, Scale: 2}.Size,
			Grid{Pixels: noise(64 * 32 * 32 * 3), N: 64, Height: 32, Width: 32, Channels: 3, Cols: 8, Scale: 2}.PNG},
		"grid of 12 captioned digits": {Grid{Pixels: noise(12 * 28 * 28), N: 12, Height: 28, Width: 28, Channels: 1, Cols: 4, Scale: 2, Captions: captions}.Size,
			Grid{Pixels: noise(12 * 28 * 28), N: 12, Height: 28, Width: 28, Channels: 1, Cols: 4, Scale: 2, Captions: captions}.PNG},
		"scatter plot of 5000 points": {Plot{Width: 400, Height: 400, Series: []Series{{X: points(5000), Y: points(5000), Scatter: true}}}.Size,
			Plot{Width: 400, Height: 400, Series: []Series{{X: points(5000), Y: points(5000), Scatter: true}}}.PNG},
	} {
		raw, err := c.png()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		w, h := c.size()
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Errorf("%s: Size %d×%d, the PNG is %d×%d", name, w, h, b.Dx(), b.Dy())
		}
		if bound := PNGBound(w, h); float64(len(raw)) > bound {
			t.Errorf("%s: %d bytes, more than the bound %.0f", name, len(raw), bound)
		}
	}
	// The worst case itself: four channels of noise, which deflate can only store.
	for _, size := range [][2]int{{1, 1}, {37, 5}, {800, 800}} {
		img := image.NewNRGBA(image.Rect(0, 0, size[0], size[1]))
		for i := range img.Pix {
			img.Pix[i] = byte(rng.Uint32())
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if bound := PNGBound(size[0], size[1]); float64(buf.Len()) > bound || float64(buf.Len()) < 0.99*bound-1024 {
			t.Errorf("%d×%d of noise: %d bytes, bound %.0f", size[0], size[1], buf.Len(), bound)
		}
	}
	// Sizes no drawing takes still get a bound that grows with them (4w overflowed int).
	if bound := PNGBound(1<<62, 2); bound < 1<<65 {
		t.Errorf("PNGBound(2⁶², 2) = %g, want more than 2⁶⁵", bound)
	}
	if bound := PNGBound(-5, 3); bound < 1024 {
		t.Errorf("PNGBound(−5, 3) = %g, want at least the header's 1024", bound)
	}
}
