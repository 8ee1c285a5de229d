package data

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npz"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
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
		f, err := safefile.Open(path)
		if err != nil {
			return nil, 0, fmt.Errorf("samples %s: %w", path, err)
		}
		defer f.Close()
		if err := checkNPYPreamble(f); err != nil {
			return nil, 0, fmt.Errorf("samples %s: not a NumPy array: %w", path, err)
		}
		var r *npy.Reader
		if err := guard(func() (err error) { r, err = npy.NewReader(f); return err }); err != nil {
			return nil, 0, fmt.Errorf("samples %s: not a NumPy array: %w", path, err)
		}
		return readSampleArray(path, r.Header, r.Read, height, width)
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
		h, err := memberHeader(z, path, keys[0])
		if err != nil {
			return nil, 0, err
		}
		read := func(ptr any) error { return z.Read(keys[0], ptr) }
		return readSampleArray(path+":"+keys[0], *h, read, height, width)
	default:
		return nil, 0, fmt.Errorf("samples %s: unknown kind of file %q: want %s", path, ext, SampleFormats)
	}
}

// npzFile is an .npz archive with the file it reads, closed together.
type npzFile struct {
	*npz.Reader
	f *os.File
}

func (z *npzFile) Close() error {
	z.Reader.Close()
	return z.f.Close()
}

// openNPZ opens an .npz archive if it is a regular file (npz.Open would wait on a FIFO forever).
func openNPZ(path string) (*npzFile, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	z, err := npz.NewReader(f, info.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	return &npzFile{z, f}, nil
}

// guard runs f, turning a panic inside the NumPy reader (npyio trusts the headers it reads) into an
// error.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed NumPy data (%v)", r)
		}
	}()
	return f()
}

// checkNPYPreamble checks an .npy file's fixed preamble before npyio reads it: the magic string, a
// known version, and a header that fits in the file (npyio allocates whatever length it declares).
func checkNPYPreamble(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	pre := make([]byte, 12)
	n, _ := f.ReadAt(pre, 0)
	return checkPreamble(pre[:n], info.Size())
}

// maxNPYHeader bounds an .npy header's length inside an .npz, where the member's size is not at hand:
// NumPy writes a few hundred bytes.
const maxNPYHeader = 1 << 20

// checkMember checks the preamble of an .npz member before npyio parses it.
func checkMember(z *npzFile, name string) error {
	rc, err := z.Open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	pre := make([]byte, 12)
	n, _ := io.ReadFull(rc, pre)
	return checkPreamble(pre[:n], 12+maxNPYHeader)
}

// checkPreamble checks the first bytes of an .npy (up to 12) against a file of size bytes.
func checkPreamble(pre []byte, size int64) error {
	if len(pre) < 10 || string(pre[:6]) != "\x93NUMPY" {
		return fmt.Errorf("no NumPy magic string at the start")
	}
	var headerLen, start int64
	switch pre[6] {
	case 1:
		headerLen, start = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		if len(pre) < 12 {
			return fmt.Errorf("the data ends inside its preamble")
		}
		headerLen, start = int64(binary.LittleEndian.Uint32(pre[8:12])), 12
	default:
		return fmt.Errorf("format version %d.%d, want 1, 2 or 3", pre[6], pre[7])
	}
	if start+headerLen > size {
		return fmt.Errorf("the header claims %d bytes, and there are at most %d after the preamble", headerLen, size-start)
	}
	return nil
}

// memberHeader is the header of an .npz member, checked first; an error for anything but an array.
func memberHeader(z *npzFile, path, name string) (*npy.Header, error) {
	if err := checkMember(z, name); err != nil {
		return nil, fmt.Errorf("samples %s: member %s is not a NumPy array (.npy): %w", path, name, err)
	}
	var h *npy.Header
	if err := guard(func() error { h = z.Header(name); return nil }); err != nil || h == nil {
		return nil, fmt.Errorf("samples %s: member %s is not a readable NumPy array (.npy): %v", path, name, err)
	}
	return h, nil
}

// isImagesAndLabels says whether an .npz's arrays are arr_0 and arr_1 (images and labels).
func isImagesAndLabels(keys []string) bool {
	return len(keys) == 2 && slices.Contains(keys, "arr_0") && slices.Contains(keys, "arr_1")
}

// LoadSampleLabels returns the class labels of n samples in an .npz of improved-diffusion's layout
// (arr_1, integers beside the images in arr_0), or nil when the file has none.
func LoadSampleLabels(path string, n int) ([]int, error) {
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
	h, err := memberHeader(z, path, "arr_1")
	if err != nil {
		return nil, err
	}
	if len(h.Descr.Shape) != 1 || h.Descr.Shape[0] != n {
		return nil, fmt.Errorf("samples %s:arr_1: labels of shape %v for %d images, want [%d]", path, h.Descr.Shape, n, n)
	}
	var labels []int64
	if err := guard(func() error { return z.Read("arr_1", &labels) }); err != nil {
		return nil, fmt.Errorf("samples %s:arr_1: %w (want integer labels)", path, err)
	}
	out := make([]int, len(labels))
	for i, v := range labels {
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
func readSampleArray(name string, h npy.Header, read func(ptr any) error, height, width int) ([]float32, int, error) {
	shape := h.Descr.Shape
	ok := (len(shape) == 3 && shape[1] == height && shape[2] == width) ||
		(len(shape) == 4 && shape[1] == height && shape[2] == width && shape[3] == 1) ||
		(len(shape) == 4 && shape[1] == 1 && shape[2] == height && shape[3] == width)
	if !ok || shape[0] < 1 {
		return nil, 0, fmt.Errorf("samples %s: an array of shape %v, want N×%d×%d (or N×%d×%d×1, N×1×%d×%d) with N ≥ 1",
			name, shape, height, width, height, width, height, width)
	}
	if h.Descr.Fortran {
		return nil, 0, fmt.Errorf("samples %s: a Fortran-ordered array; save it in C order (numpy.ascontiguousarray)", name)
	}
	n := shape[0]
	dtype := strings.Trim(h.Descr.Type, "'\"") // the header's text, e.g. '<f4'
	kind := strings.TrimLeft(dtype, "<>=|")
	item := map[string]float64{"u1": 1, "f4": 4, "f8": 8}[kind]
	if need := float64(n) * float64(height*width) * max(item, 4); need > maxSampleBytes {
		return nil, 0, fmt.Errorf("samples %s: the header declares %d images (%.1f GiB to read), more than the %.0f GiB of samples read at most",
			name, n, need/(1<<30), float64(maxSampleBytes)/(1<<30))
	}
	// The reader is a third party's: a malformed body must give an error, never a panic.
	read = func(read func(any) error) func(any) error {
		return func(ptr any) error { return guard(func() error { return read(ptr) }) }
	}(read)
	out := make([]float32, n*height*width)
	switch kind {
	case "u1":
		var pixels []uint8
		if err := read(&pixels); err != nil {
			return nil, 0, fmt.Errorf("samples %s: %w", name, err)
		}
		for i, p := range pixels {
			out[i] = float32(p)/127.5 - 1
		}
		return out, n, nil
	case "f4", "f8":
		var values []float64
		if kind == "f4" {
			var f32 []float32
			if err := read(&f32); err != nil {
				return nil, 0, fmt.Errorf("samples %s: %w", name, err)
			}
			values = make([]float64, len(f32))
			for i, v := range f32 {
				values[i] = float64(v)
			}
		} else if err := read(&values); err != nil {
			return nil, 0, fmt.Errorf("samples %s: %w", name, err)
		}
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
	default:
		return nil, 0, fmt.Errorf("samples %s: dtype %q, want uint8, float32 or float64", name, dtype)
	}
}
