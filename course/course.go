// Package course holds the small helpers that the notebooks share: showing figures inline,
// checking the text's claims numerically, digit grids, the shipped models and noise.
//
// A check that fails panics, which makes the notebook's cell fail; the project's notebook runner
// (scripts/notebooks.py) turns that into a failed test.
package course

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/viz"
)

// Show displays a PNG inline in the notebook; it panics on err so a broken figure fails the cell.
func Show(png []byte, err error) {
	if err != nil {
		panic(fmt.Sprintf("figure: %v", err))
	}
	gonbui.DisplayPNG(png)
}

// Check states a claim, prints it with a tick when it holds, and panics when it does not.
func Check(claim string, holds bool, detailFormat string, args ...any) {
	detail := fmt.Sprintf(detailFormat, args...)
	if !holds {
		panic(fmt.Sprintf("CHECK FAILED: %s (%s)", claim, detail))
	}
	fmt.Printf("✓ %s (%s)\n", claim, detail)
}

// Near checks |got − want| ≤ tol.
func Near(claim string, got, want, tol float64) {
	Check(claim, math.Abs(got-want) <= tol, "got %.6g, want %.6g ± %.2g", got, want, tol)
}

// Digits draws 28×28 grey images (flat, in [−1, 1]) in a grid of cols columns at twice their size,
// with a caption under each when captions is not nil.
func Digits(pixels []float32, cols int, captions []string) ([]byte, error) {
	return viz.Grid{Pixels: pixels, N: len(pixels) / 784, Height: 28, Width: 28, Channels: 1, Cols: cols, Scale: 2, Captions: captions}.PNG()
}

// LoadModel loads a model shipped in models/ (the notebooks run in notebooks/), with its EMA
// weights; it panics on an error, which fails the cell.
func LoadModel(name string) *ddpm.Trained {
	tr, err := ddpm.LoadTrained(filepath.Join("..", "models", name))
	if err != nil {
		panic(err)
	}
	return tr
}

// GaussianNoise draws n independent N(0, 1) values from rng, as float32.
func GaussianNoise(rng *rand.Rand, n int) []float32 {
	z := make([]float32, n)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}
