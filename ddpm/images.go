package ddpm

import (
	"fmt"
	"io"
	"math"

	"github.com/learn-ddpm/ddpm-go/viz"
)

// WriteImageGridPNG writes n images of shape dims ([H, W, C], values in [−1, 1]) as a PNG grid of
// cols columns (0 or less: about square), atomically.
func WriteImageGridPNG(path string, pixels []float32, n int, dims []int, cols int) error {
	return writeImageGrid(path, false, pixels, n, dims, cols)
}

// WriteOwnImageGridPNG is WriteImageGridPNG for a grid that the command names itself (train's
// <ckpt>/samples/step-*.png, eval's fid-samples.png): a symbolic link there is refused
// (WriteOwnFileAtomic).
func WriteOwnImageGridPNG(path string, pixels []float32, n int, dims []int, cols int) error {
	return writeImageGrid(path, true, pixels, n, dims, cols)
}

func writeImageGrid(path string, own bool, pixels []float32, n int, dims []int, cols int) error {
	if len(dims) != 3 {
		return fmt.Errorf("image grid %s: samples of shape %v are not images [H, W, C]", path, dims)
	}
	png, err := imageGrid(pixels, n, dims, cols).PNG()
	if err != nil {
		return fmt.Errorf("image grid %s: %w", path, err)
	}
	return writeAtomic(path, own, func(w io.Writer) error { _, err := w.Write(png); return err })
}

// imageGrid lays n images of shape dims out in cols columns (0 or less: about square), at twice their size.
func imageGrid(pixels []float32, n int, dims []int, cols int) viz.Grid {
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	return viz.Grid{Pixels: pixels, N: n, Height: dims[0], Width: dims[1], Channels: dims[2], Cols: cols, Scale: 2}
}

// CheckImageGrid refuses a grid of n images of shape dims [H, W, C] in cols columns that
// WriteImageGridPNG would refuse (not images, not 1 or 3 channels, more than viz.MaxPixels), naming it
// what, before the images are made: it let pass what the writer then refused (forty-third probe).
func CheckImageGrid(what string, n int, dims []int, cols int) error {
	if len(dims) != 3 {
		return fmt.Errorf("%s: samples of shape %v are not images [H, W, C]", what, dims)
	}
	return imageGrid(nil, n, dims, cols).CheckAs(what)
}

// ImageGridPNGBound bounds the bytes of WriteImageGridPNG's file of n images of shape dims [H, W, C]
// in cols columns, before they are drawn; 0 for a grid that CheckImageGrid refuses, which is never
// drawn (other dims panicked, thirty-third probe; a huge n gave a negative bound, forty-third).
func ImageGridPNGBound(n int, dims []int, cols int) float64 {
	if CheckImageGrid("", n, dims, cols) != nil {
		return 0
	}
	return viz.PNGBound(imageGrid(nil, n, dims, cols).Size())
}
