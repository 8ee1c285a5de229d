package data

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npz"
)

// maxSampleBytes bounds a folder of samples once decoded: 60 000 images of 28×28 (the most eval
// compares) take 47 MB; a folder claiming more is refused from its headers.
const maxSampleBytes = 1 << 30

// SampleFormats says what LoadSamples reads, for help texts.
const SampleFormats = "a NumPy .npy array (or an .npz holding one) of N×H×W, N×H×W×1 or N×1×H×W, " +
	"uint8 (0..255) or float in [0, 1] or [-1, 1] (float data with no value below 0 is read as [0, 1]), " +
	"or a folder of H×W PNG/JPEG images (converted to grey)"

// LoadSamples reads one-channel images of height×width made by any tool (SampleFormats), and returns
// them as float32 in [−1, 1] as the project's own samples are, with their number. Errors name the
// file and what was found there (shape, dtype, value range).
func LoadSamples(path string, height, width int) ([]float32, int, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, 0, fmt.Errorf("samples %s: %w", path, err)
	}
	if info.IsDir() {
		im, err := LoadImageFolder(path, FolderOptions{Gray: true, Width: width, Height: height, MaxBytes: maxSampleBytes})
		if err != nil {
			return nil, 0, fmt.Errorf("samples: %w", err)
		}
		if im.Height != height || im.Width != width {
			return nil, 0, fmt.Errorf("samples %s: images of %dx%d, want %dx%d", path, im.Width, im.Height, width, height)
		}
		return im.Scaled(0, im.N), im.N, nil
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		a, closeFile, err := openNPY(path)
		if err != nil {
			return nil, 0, fmt.Errorf("samples %s: %w", path, err)
		}
		defer closeFile()
		return readSampleArray(a, height, width)
	case ".npz":
		z, err := openNPZ(path)
		if err != nil {
			return nil, 0, fmt.Errorf("samples %s: not a NumPy .npz archive: %w", path, err)
		}
		defer z.Close()
		keys := z.Keys()
		if isImagesAndLabels(keys) { // improved-diffusion's layout: arr_0 the images, arr_1 their labels
			keys = []string{"arr_0"}
		}
		if len(keys) != 1 {
			return nil, 0, fmt.Errorf("samples %s: the archive holds %d arrays %v, want exactly one (or arr_0 the images and arr_1 their labels)", path, len(keys), keys)
		}
		a, closeMember, err := z.Array(keys[0])
		if err != nil {
			return nil, 0, err
		}
		defer closeMember()
		return readSampleArray(a, height, width)
	default:
		return nil, 0, fmt.Errorf("samples %s: unknown kind of file %q: want %s", path, ext, SampleFormats)
	}
}

// isImagesAndLabels says whether an .npz's arrays are arr_0 and arr_1 (images and labels).
func isImagesAndLabels(keys []string) bool {
	return len(keys) == 2 && slices.Contains(keys, "arr_0") && slices.Contains(keys, "arr_1")
}

// LoadSampleLabels returns the class labels of n samples in an .npz of improved-diffusion's layout
// (arr_1, integers of any width beside the images in arr_0), or nil when the file has none. A label
// outside 0..classes−1 is an error that names it.
func LoadSampleLabels(path string, n, classes int) ([]int, error) {
	if strings.ToLower(filepath.Ext(path)) != ".npz" {
		return nil, nil
	}
	z, err := openNPZ(path)
	if err != nil {
		return nil, fmt.Errorf("samples %s: not a NumPy .npz archive: %w", path, err)
	}
	defer z.Close()
	if !isImagesAndLabels(z.Keys()) {
		return nil, nil
	}
	a, closeMember, err := z.Array("arr_1")
	if err != nil {
		return nil, err
	}
	defer closeMember()
	if len(a.Shape) != 1 || a.Shape[0] != n {
		return nil, fmt.Errorf("samples %s: labels of shape %v for %d images, want [%d]", a.name, a.Shape, n, n)
	}
	if !a.isInt() {
		return nil, fmt.Errorf("samples %s: labels of dtype %q, want integers (int8 … int64, uint8 … uint64)", a.name, a.Descr)
	}
	data, err := a.readData(int64(n) * 8)
	if err != nil {
		return nil, fmt.Errorf("samples %s: %w", a.name, err)
	}
	values, err := a.ints(data)
	if err != nil {
		return nil, fmt.Errorf("samples %s: %w", a.name, err)
	}
	out := make([]int, len(values))
	for i, v := range values {
		if v < 0 || v >= int64(classes) {
			return nil, fmt.Errorf("samples %s: label %d is %d, want a class in 0..%d", a.name, i, v, classes-1)
		}
		out[i] = int(v)
	}
	return out, nil
}

// SampleArrayFormats are the files EncodeSamples writes.
const SampleArrayFormats = ".npy (the images) or .npz (arr_0 the images, arr_1 the labels of a class-conditional model's samples)"

// EncodeSamples writes n samples x (values in [−1, 1], flat, each of shape dims) to w as a NumPy
// array in the layout of improved-diffusion's sampling scripts: images (dims H×W×C) as uint8 of shape
// N×H×W×C, rounded as the sample store rounds (so that eval --samples scores them exactly as it
// scores the same samples made in place; improved-diffusion truncates, at most one level lower);
// points (dims D) as float32 of shape N×D. ext is ".npy" (the array alone) or ".npz" (arr_0, and
// arr_1 the labels as int64 when labels is not nil).
func EncodeSamples(w io.Writer, ext string, x []float32, n int, dims []int, labels []int) error {
	size := 1
	for _, d := range dims {
		size *= d
	}
	if n < 1 || len(x) != n*size || (len(dims) != 1 && len(dims) != 3) {
		return fmt.Errorf("samples: %d values for %d samples of shape %v", len(x), n, dims)
	}
	if labels != nil && len(labels) != n {
		return fmt.Errorf("samples: %d labels for %d samples", len(labels), n)
	}
	var arr any
	if len(dims) == 1 {
		points := make([][]float32, n)
		for i := range points {
			points[i] = x[i*size : (i+1)*size]
		}
		arr = points
	} else {
		h, wd, c := dims[0], dims[1], dims[2]
		images := make([][][][]uint8, n)
		for i := range images {
			images[i] = make([][][]uint8, h)
			for y := range images[i] {
				images[i][y] = make([][]uint8, wd)
				for xx := range images[i][y] {
					px := make([]uint8, c)
					for k := range px {
						v := float64(x[((i*h+y)*wd+xx)*c+k])
						px[k] = uint8(math.Round(math.Min(math.Max((v+1)*127.5, 0), 255)))
					}
					images[i][y][xx] = px
				}
			}
		}
		arr = images
	}
	switch strings.ToLower(ext) {
	case ".npy":
		if labels != nil {
			return fmt.Errorf("samples: an .npy file holds one array; a class-conditional model's samples and their labels need .npz")
		}
		return npy.Write(w, arr)
	case ".npz":
		z := npz.NewWriter(w)
		if err := z.Write("arr_0", arr); err != nil {
			return err
		}
		if labels != nil {
			y := make([]int64, n)
			for i, c := range labels {
				y[i] = int64(c)
			}
			if err := z.Write("arr_1", y); err != nil {
				return err
			}
		}
		return z.Close()
	}
	return fmt.Errorf("samples: unknown kind of file %q: want %s", ext, SampleArrayFormats)
}

// readSampleArray checks an array's header (shape, dtype, C order), reads it and scales it to [−1, 1].
func readSampleArray(a *npyArray, height, width int) ([]float32, int, error) {
	name, shape := a.name, a.Shape
	ok := (len(shape) == 3 && shape[1] == height && shape[2] == width) ||
		(len(shape) == 4 && shape[1] == height && shape[2] == width && shape[3] == 1) ||
		(len(shape) == 4 && shape[1] == 1 && shape[2] == height && shape[3] == width)
	if !ok || shape[0] < 1 {
		return nil, 0, fmt.Errorf("samples %s: an array of shape %v, want N×%d×%d (or N×%d×%d×1, N×1×%d×%d) with N ≥ 1",
			name, shape, height, width, height, width, height, width)
	}
	if a.Fortran {
		return nil, 0, fmt.Errorf("samples %s: a Fortran-ordered array; save it in C order (numpy.ascontiguousarray)", name)
	}
	n := shape[0]
	kind := fmt.Sprintf("%c%d", a.Kind, a.Size)
	if kind != "u1" && kind != "f4" && kind != "f8" {
		return nil, 0, fmt.Errorf("samples %s: dtype %q, want uint8, float32 or float64", name, a.Descr)
	}
	if need := float64(n) * float64(height*width) * float64(max(a.Size, 4)); need > maxSampleBytes {
		return nil, 0, fmt.Errorf("samples %s: the header declares %d images (%.1f GiB to read), more than the %.0f GiB of samples read at most",
			name, n, need/(1<<30), float64(maxSampleBytes)/(1<<30))
	}
	data, err := a.readData(maxSampleBytes)
	if err != nil {
		return nil, 0, fmt.Errorf("samples %s: %w", name, err)
	}
	out := make([]float32, n*height*width)
	if kind == "u1" {
		for i, p := range data {
			out[i] = float32(p)/127.5 - 1
		}
		return out, n, nil
	}
	values := a.floats(data)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, 0, fmt.Errorf("samples %s: value %d is %v", name, i, v)
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	switch {
	case lo >= 0 && hi <= 1: // [0, 1]
		for i, v := range values {
			out[i] = float32(2*v - 1)
		}
	case lo >= -1 && hi <= 1: // [−1, 1]
		for i, v := range values {
			out[i] = float32(v)
		}
	default:
		return nil, 0, fmt.Errorf("samples %s: float values from %g to %g, want them in [0, 1] or [-1, 1] "+
			"(uint8 data: save it as uint8)", name, lo, hi)
	}
	return out, n, nil
}
