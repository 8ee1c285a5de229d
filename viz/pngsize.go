package viz

import "fmt"

// PNGBound is the most bytes that Go's PNG encoder writes for an image of w×h pixels of at most four
// 8-bit channels, whatever they hold: the raw rows (a filter byte each), deflate's stored blocks where
// nothing compresses (5 bytes per 65 535), the chunks' framing (12 bytes per IDAT chunk of at least
// 4 KiB) and the header. A command checks its output's room with it before the work that makes the
// image (a scatter plot of 5 000 points, estimated by its points, was refused after the sampling;
// twenty-eighth probe).
func PNGBound(w, h int) float64 {
	w, h = max(w, 0), max(h, 0)            // no image has fewer than no pixels (a negative size gave a bound below the header's)
	raw := float64(h) * (1 + 4*float64(w)) // in floats: 4*w overflowed int for w ≥ 2⁶¹
	return raw*(1+5.0/65535+12.0/4096) + 1024
}

// CheckFigure refuses a figure (named what) of w×h pixels that the drawing would refuse, before the work
// it shows is done: interpolate and sample --progressive sampled for minutes before their figure was
// refused (thirty-ninth probe).
func CheckFigure(what string, w, h int) error { return checkPixels(what, float64(w), float64(h)) }

// MaxPixels bounds a figure's pixels, 2²⁸ (a gigabyte as RGBA): a grid of scale 2²⁰, a plot of 10⁷
// points a side and a chain of 2 million nodes were a fatal out-of-memory or a panic, which no caller
// can recover from (thirty-third probe).
const MaxPixels = 1 << 28

// checkPixels refuses a figure of w×h pixels, what it is, that cannot be drawn: not positive, not a
// number, or more than MaxPixels.
func checkPixels(what string, w, h float64) error {
	if !(w >= 1 && h >= 1) || w*h > MaxPixels {
		return fmt.Errorf("%s of %.0f×%.0f pixels: want at least 1×1 and at most %d pixels in all", what, w, h, MaxPixels)
	}
	return nil
}
