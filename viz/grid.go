package viz

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Grid lays out images in rows and columns, each optionally captioned underneath.
//
// Pixels are float32 in [−1, 1] (the models' range; values outside are clipped; NaN is refused), row-major
// [N, Height, Width, Channels] with 1 (grey) or 3 (RGB) channels.
type Grid struct {
	Pixels                     []float32
	N, Height, Width, Channels int
	Cols                       int      // Images per row; 0 puts all in one row.
	Scale                      int      // Each pixel becomes Scale×Scale; 0 means 1.
	Captions                   []string // Optional, one per image.
	Alt                        string   // what the grid shows, in words, for readers who cannot see it
}

// AltText is the grid's description in words (its Alt).
func (g Grid) AltText() string { return g.Alt }

const (
	gridGap      = 4
	captionSpace = 16
)

// Check refuses a grid that Image would refuse for its shape, its scale or its captions (all but its
// Pixels), so that a caller can refuse it before the images are made.
func (g Grid) Check() error { return g.CheckAs("image grid") }

// CheckAs is Check with the grid named what in its messages.
func (g Grid) CheckAs(what string) error {
	if g.N < 1 || g.Height < 1 || g.Width < 1 { // no image: it divided by zero (ninth probe)
		return fmt.Errorf("%s: %d images of %dx%d, want at least one image of at least one pixel", what, g.N, g.Width, g.Height)
	}
	if g.Channels != 1 && g.Channels != 3 {
		return fmt.Errorf("%s: %d channels, want 1 or 3", what, g.Channels)
	}
	// A negative scale was taken for 1, and negative columns for one row (forty-third probe's nit).
	if g.Scale < 0 || g.Scale > maxGridScale {
		return fmt.Errorf("%s: scale %d, want 0 (for 1) to %d", what, g.Scale, maxGridScale)
	}
	if g.Cols < 0 {
		return fmt.Errorf("%s: %d columns, want 0 (one row) or more", what, g.Cols)
	}
	if len(g.Captions) != 0 && len(g.Captions) != g.N {
		return fmt.Errorf("%s: %d captions for %d images", what, len(g.Captions), g.N)
	}
	w, h := g.size()
	return checkPixels(what, w, h)
}

// Image draws the grid on a white background.
func (g Grid) Image() (*image.RGBA, error) {
	if err := g.Check(); err != nil {
		return nil, err
	}
	// Counted in floating point: sizes whose product overflowed an int matched no pixels (thirty-third probe).
	if want := float64(g.N) * float64(g.Height) * float64(g.Width) * float64(g.Channels); float64(len(g.Pixels)) != want {
		return nil, fmt.Errorf("image grid: %d values for %d images of %dx%dx%d (want %.0f)", len(g.Pixels), g.N, g.Height, g.Width, g.Channels, want)
	}
	// A NaN has no shade: it was drawn black, as −1, where the samplers and the scores refuse it
	// (fifty-sixth probe's nit). Infinities are values outside [−1, 1], clipped.
	for i, v := range g.Pixels {
		if v != v {
			return nil, fmt.Errorf("image grid: pixel value %d (of image %d) is NaN, which has no shade", i, i/(g.Height*g.Width*g.Channels))
		}
	}
	cols, scale, cellW, cellH := g.layout()
	w, h := g.Size()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	size := g.Height * g.Width * g.Channels
	for i := 0; i < g.N; i++ {
		x0 := gridGap + (i%cols)*(cellW+gridGap)
		y0 := gridGap + (i/cols)*(cellH+gridGap)
		img := g.Pixels[i*size : (i+1)*size]
		for y := 0; y < g.Height*scale; y++ {
			for x := 0; x < g.Width*scale; x++ {
				p := ((y/scale)*g.Width + x/scale) * g.Channels
				var c color.RGBA
				if g.Channels == 1 {
					v := toByte(img[p])
					c = color.RGBA{R: v, G: v, B: v, A: 255}
				} else {
					c = color.RGBA{R: toByte(img[p]), G: toByte(img[p+1]), B: toByte(img[p+2]), A: 255}
				}
				out.SetRGBA(x0+x, y0+y, c)
			}
		}
		if len(g.Captions) > 0 {
			caption(out, g.Captions[i], x0, y0+g.Height*scale+captionSpace-3, cellW)
		}
	}
	return out, nil
}

// maxGridScale is the most a grid enlarges its images.
const maxGridScale = 1024

// layout is the grid's columns, its scale and the size of a cell in pixels.
func (g Grid) layout() (cols, scale, cellW, cellH int) {
	cols, scale = g.Cols, max(g.Scale, 1)
	if cols <= 0 || cols > g.N {
		cols = g.N
	}
	cellW, cellH = g.Width*scale, g.Height*scale
	if len(g.Captions) > 0 {
		cellH += captionSpace
	}
	return cols, scale, cellW, cellH
}

// Size is the grid's width and height in pixels (its Pixels are not needed), each at most
// math.MaxInt32 (where it would be more, no grid of the size is drawn: Check refuses it).
func (g Grid) Size() (w, h int) {
	fw, fh := g.size()
	return int(min(fw, math.MaxInt32)), int(min(fh, math.MaxInt32))
}

// size is Size counted in floating point, 0 for no image: the products overflowed an int, and a grid
// of a huge N was said to be −2 pixels wide (forty-third probe's nit).
func (g Grid) size() (w, h float64) {
	if g.N < 1 {
		return 0, 0
	}
	cols, scale := float64(g.Cols), float64(max(g.Scale, 1))
	if cols <= 0 || cols > float64(g.N) {
		cols = float64(g.N)
	}
	cellW, cellH := float64(max(g.Width, 0))*scale, float64(max(g.Height, 0))*scale
	if len(g.Captions) > 0 {
		cellH += captionSpace
	}
	rows := math.Ceil(float64(g.N) / cols)
	return cols*cellW + (cols+1)*gridGap, rows*cellH + (rows+1)*gridGap
}

// PNG encodes the grid.
func (g Grid) PNG() ([]byte, error) {
	img, err := g.Image()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// toByte maps [−1, 1] to 0..255, clipping.
func toByte(v float32) uint8 {
	// In float64, as the sample store quantizes: in float32, 704 values next to the half-levels rounded
	// the other way (−0.494117647 to 65, stored as 64; sixty-second probe's nit).
	f := (float64(v) + 1) * 127.5
	switch {
	case !(f > 0): // Also NaN.
		return 0
	case f >= 255:
		return 255
	default:
		return uint8(f + 0.5)
	}
}

// caption writes text centred in a cell of the given width, with its baseline at y.
func caption(img *image.RGBA, text string, x0, y, width int) {
	face := basicfont.Face7x13
	d := &font.Drawer{Dst: img, Src: image.Black, Face: face}
	w := d.MeasureString(text).Ceil()
	d.Dot = fixed.P(x0+max((width-w)/2, 0), y)
	d.DrawString(text)
}
