package data

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	"or a folder of H×W PNG/JPEG images (opaque; colour converted to grey)"

// LoadSamples reads one-channel images of height×width made by any tool (SampleFormats), and returns
// them as float32 in [−1, 1] as the project's own samples are, with their number. Errors name the
// file and what was found there (shape, dtype, value range).
func LoadSamples(path string, height, width int) ([]float32, int, error) {
	s, err := ReadSamples(path, height, width, 0)
	if err != nil {
		return nil, 0, err
	}
	return s.Values, s.N, nil
}

// Samples are images that ReadSamples read.
type Samples struct {
	Values []float32 // N images of height×width, in [−1, 1]
	N      int
	// SHA256 (hex) covers exactly the bytes read: a file's, as sha256sum gives it; a folder's image
	// files (listImages's), each one's name, a zero byte, its length in decimal, a zero byte and its
	// bytes, in name order.
	SHA256 string
}

// TooManySamples is ReadSamples's error for more images than its maxN; the caller can say why its
// maximum is what it is.
type TooManySamples struct{ Max int }

func (e TooManySamples) Error() string { return fmt.Sprintf("more than the %d allowed", e.Max) }

// ReadSamples is LoadSamples that refuses more than maxN images (when maxN > 0), from an array's
// header or a folder's count of image files, before any data is read (eleventh probe: 171 000 of
// them took 2.8 GB before being refused), and returns the SHA-256 of the files read.
func ReadSamples(path string, height, width, maxN int) (*Samples, error) {
	if height < 1 || width < 1 { // 0×0 read a file of 3 images of no pixels, and no error (forty-seventh probe)
		return nil, fmt.Errorf("samples %s: images of %d×%d pixels asked: want at least 1×1", path, height, width)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("samples %s: %w", path, err)
	}
	if info.IsDir() {
		return readSampleFolder(path, height, width, maxN)
	}
	return readSampleFile(path, height, width, maxN)
}

// maxSampleFileBytes bounds a samples file, or a folder's image files together, which are all hashed:
// its images take maxSampleBytes at most, and their labels beside them far less.
const maxSampleFileBytes = 2 * maxSampleBytes

// readSampleFolder reads the PNG and JPEG images of a folder, hashing them as they are decoded.
func readSampleFolder(path string, height, width, maxN int) (*Samples, error) {
	names, err := listImages(path)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	if maxN > 0 && len(names) > maxN {
		return nil, fmt.Errorf("samples %s: %d image files: %w", path, len(names), TooManySamples{maxN})
	}
	if err := checkFolderBytes(path, names); err != nil {
		return nil, err
	}
	sum := sha256.New()
	im, err := loadImages(path, names, FolderOptions{Gray: true, Width: width, Height: height, MaxBytes: maxSampleBytes, sum: sum, opaque: true})
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	if im.Height != height || im.Width != width {
		return nil, fmt.Errorf("samples %s: images of %dx%d, want %dx%d", path, im.Width, im.Height, width, height)
	}
	return &Samples{Values: im.Scaled(0, im.N), N: im.N, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

// checkFolderBytes refuses image files (names in dir) of more than maxSampleFileBytes together: each is
// hashed to its end, and a 20 GB one took a minute (eleventh probe).
func checkFolderBytes(dir string, names []string) error {
	var total int64
	for _, name := range names {
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("samples: %w", safefile.DanglingLink(path, err))
		}
		total += info.Size()
	}
	if total > maxSampleFileBytes {
		return fmt.Errorf("samples %s: its %d image files take %d bytes, more than the %d GiB of samples read at most",
			dir, len(names), total, maxSampleFileBytes>>30)
	}
	return nil
}

// readSampleFile reads an .npy file or an .npz archive of one array (or images and labels), and hashes
// the file through the descriptor that it was read from.
func readSampleFile(path string, height, width, maxN int) (*Samples, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".npy" && ext != ".npz" {
		return nil, fmt.Errorf("samples %s: unknown kind of file %q: want %s", path, ext, SampleFormats)
	}
	f, size, err := openSized(path)
	if err != nil {
		return nil, fmt.Errorf("samples %s: %w", path, err)
	}
	defer f.Close()
	if size > maxSampleFileBytes {
		return nil, fmt.Errorf("samples %s: %d bytes, more than the %d GiB of a samples file read at most", path, size, maxSampleFileBytes>>30)
	}
	a, closeArray, err := sampleArray(f, size, path, ext)
	if err != nil {
		return nil, err
	}
	defer closeArray()
	x, n, err := readSampleArray(a, height, width, maxN)
	if err != nil {
		return nil, err
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, io.NewSectionReader(f, 0, size)); err != nil {
		return nil, fmt.Errorf("samples %s: %w", path, err)
	}
	return &Samples{Values: x, N: n, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

// sampleArray opens the images' array of f, an .npy file or an .npz archive (ext), and reads its header.
func sampleArray(f *os.File, size int64, path, ext string) (*npyArray, func() error, error) {
	if ext == ".npy" {
		a, err := newNPY(f, size, path)
		if err != nil {
			return nil, nil, fmt.Errorf("samples %s: %w", path, err)
		}
		return a, func() error { return nil }, nil
	}
	z, err := newNPZ(f, size, path)
	if err != nil {
		return nil, nil, fmt.Errorf("samples %s: not a NumPy .npz archive: %w", path, err)
	}
	keys := z.Keys()
	if isImagesAndLabels(keys) { // improved-diffusion's layout: arr_0 the images, arr_1 their labels
		keys = []string{"arr_0"}
	}
	if len(keys) != 1 {
		return nil, nil, fmt.Errorf("samples %s: the archive holds %d arrays %s, want exactly one (or arr_0 the images and arr_1 their labels)",
			path, len(keys), listKeys(keys))
	}
	return z.Array(keys[0])
}

// listKeys names at most a dozen of an archive's members, each cut to 64 characters, for an error.
// Eleventh probe: 300 members of 65 000-character names made a message of 19.5 MB.
func listKeys(keys []string) string {
	const most, longest = 12, 64
	shown := make([]string, 0, most+1)
	for _, k := range keys[:min(len(keys), most)] {
		if r := []rune(k); len(r) > longest {
			k = string(r[:longest]) + "…"
		}
		shown = append(shown, strconv.Quote(k))
	}
	if len(keys) > most {
		shown = append(shown, fmt.Sprintf("and %d more", len(keys)-most))
	}
	return "[" + strings.Join(shown, " ") + "]"
}

// isImagesAndLabels says whether an .npz's arrays are arr_0 and arr_1 (images and labels).
func isImagesAndLabels(keys []string) bool {
	return len(keys) == 2 && slices.Contains(keys, "arr_0") && slices.Contains(keys, "arr_1")
}

// CheckSampleLabels checks the class labels of an .npz of improved-diffusion's layout (arr_1, beside the
// images in arr_0) as LoadSampleLabels does, against the count in the images' header, before the images
// are read: labels of another count, or a label of 12, were refused after the images, 1 GB for a file
// of 366 KB (twenty-fifth probe). A file without labels, or images of more than maxN or of a shape that
// ReadSamples refuses, are left to it.
func CheckSampleLabels(path string, maxN, classes int) error {
	if classes < 1 {
		return fmt.Errorf("samples %s: labels in %d classes asked: want at least one class", path, classes)
	}
	if strings.ToLower(filepath.Ext(path)) != ".npz" {
		return nil
	}
	z, err := openNPZ(path)
	if err != nil {
		return nil // ReadSamples says what is wrong
	}
	defer z.Close()
	if !isImagesAndLabels(z.Keys()) {
		return nil
	}
	a, closeMember, err := z.Array("arr_0")
	if err != nil {
		return nil
	}
	closeMember()
	if len(a.Shape) < 3 || a.Shape[0] < 1 || (maxN > 0 && a.Shape[0] > maxN) {
		return nil
	}
	_, err = LoadSampleLabels(path, a.Shape[0], classes)
	return err
}

// LoadSampleLabels returns the class labels of n samples in an .npz of improved-diffusion's layout
// (arr_1, integers of any width beside the images in arr_0), or nil when the file has none. A label
// outside 0..classes−1 is an error that names it.
func LoadSampleLabels(path string, n, classes int) ([]int, error) {
	if classes < 1 || n < 0 { // a label "in 0..-1" was the message
		return nil, fmt.Errorf("samples %s: labels of %d samples in %d classes asked: want n ≥ 0 and at least one class", path, n, classes)
	}
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
	if w == nil { // it panicked (forty-third probe's nit)
		return errors.New("samples: no writer given (nil)")
	}
	// Counted in floating point, each size at least 1: negative sizes panicked, and sizes whose product
	// overflowed an int matched no values and ran out of memory (thirty-third probe).
	want, whole := float64(n), true
	for _, d := range dims {
		whole = whole && d >= 1
		want *= float64(d)
	}
	if n < 1 || !whole || float64(len(x)) != want || (len(dims) != 1 && len(dims) != 3) {
		return fmt.Errorf("samples: %d values for %d samples of shape %v", len(x), n, dims)
	}
	for i, v := range x { // a NaN was written as black, with no error (forty-fifth probe's nit)
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("samples: value %d (sample %d) is %v, not a number a file can hold", i, i/(len(x)/n), v)
		}
	}
	size := len(x) / n
	if labels != nil && len(labels) != n {
		return fmt.Errorf("samples: %d labels for %d samples", len(labels), n)
	}
	for i, c := range labels { // its reader refused the file written (thirty-third probe)
		if c < 0 {
			return fmt.Errorf("samples: label %d is %d, not a class", i, c)
		}
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
		// Members named as NumPy's savez names them: "arr_0" alone was read by np.load, but not by tools
		// that open "arr_0.npy" in the archive (forty-fourth probe).
		z := npz.NewWriter(w)
		if err := z.Write("arr_0.npy", arr); err != nil {
			return err
		}
		if labels != nil {
			y := make([]int64, n)
			for i, c := range labels {
				y[i] = int64(c)
			}
			if err := z.Write("arr_1.npy", y); err != nil {
				return err
			}
		}
		return z.Close()
	}
	return fmt.Errorf("samples: unknown kind of file %q: want %s", ext, SampleArrayFormats)
}

// readSampleArray checks an array's header (shape, at most maxN images when maxN > 0, dtype, C order),
// reads it and scales it to [−1, 1].
func readSampleArray(a *npyArray, height, width, maxN int) ([]float32, int, error) {
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
	if maxN > 0 && n > maxN {
		return nil, 0, fmt.Errorf("samples %s: the header declares %d images: %w", name, n, TooManySamples{maxN})
	}
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
			// Which image, and where in it: "value 0" read as a value of 0 (forty-eighth probe's nit).
			return nil, 0, fmt.Errorf("samples %s: image %d holds %v (at pixel %d, element %d of the array)", name, i/(height*width), v, i%(height*width), i)
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
