package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/learn-ddpm/ddpm-go/internal/sweep"
)

func sweepCIFARRecord(label byte) []byte {
	return append([]byte{label}, bytes.Repeat([]byte{7}, 3072)...)
}

func sweepPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sweepNpy is an .npy file of the header dict and body as given (a header can declare any shape).
func sweepNpy(dict string, body []byte) []byte {
	header := dict
	for (10+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	buf.Write(body)
	return buf.Bytes()
}

// sweepCase is one call with hostile arguments (sweep.Call runs it).
type sweepCase struct {
	name  string
	check func() error
}

// TestHostileArguments calls every exported function of the package with arguments that are out of
// its range, files that are not what it reads, and sizes that would not fit in memory: each must
// answer with an error (or its documented result), at once, without a panic.
func TestHostileArguments(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	fifo := sweep.FIFO(t, filepath.Join(dir, "fifo"))
	empty := sweep.Write(t, filepath.Join(dir, "empty"), nil)
	junk := sweep.Write(t, filepath.Join(dir, "junk"), bytes.Repeat([]byte("junk\x00\xff"), 200))

	// Valid files the package writes, and cut ones.
	four := make([]float32, 4*6*5)
	for i := range four {
		four[i] = float32(i%7)/3 - 1
	}
	var npyBuf, npzBuf bytes.Buffer
	if err := EncodeSamples(&npyBuf, ".npy", four, 4, []int{6, 5, 1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := EncodeSamples(&npzBuf, ".npz", four, 4, []int{6, 5, 1}, []int{0, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	npyPath := sweep.Write(t, filepath.Join(dir, "s.npy"), npyBuf.Bytes())
	npzPath := sweep.Write(t, filepath.Join(dir, "s.npz"), npzBuf.Bytes())
	npyCut := sweep.Write(t, filepath.Join(dir, "cut.npy"), npyBuf.Bytes()[:npyBuf.Len()-20])
	npzCut := sweep.Write(t, filepath.Join(dir, "cut.npz"), npzBuf.Bytes()[:npzBuf.Len()/2])
	npyEmpty := sweep.Write(t, filepath.Join(dir, "empty.npy"), nil)
	npzEmpty := sweep.Write(t, filepath.Join(dir, "empty.npz"), nil)
	npyJunk := sweep.Write(t, filepath.Join(dir, "junk.npy"), bytes.Repeat([]byte{0x93, 'N', 0xff}, 100))
	npzJunk := sweep.Write(t, filepath.Join(dir, "junk.npz"), bytes.Repeat([]byte("PK\x03\x04"), 100))
	npyFIFO := sweep.FIFO(t, filepath.Join(dir, "fifo.npy"))
	npzFIFO := sweep.FIFO(t, filepath.Join(dir, "fifo.npz"))
	npyDir := filepath.Join(dir, "folder.npy")
	if err := os.Mkdir(npyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A header whose shape does not fit in memory, with 16 bytes of data.
	npyHuge := sweep.Write(t, filepath.Join(dir, "huge.npy"),
		sweepNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1099511627776, 1099511627776), }", make([]byte, 16)))
	npyOverflow := sweep.Write(t, filepath.Join(dir, "overflow.npy"), // 2³² × 2³² wraps to 0 as an int
		sweepNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 4294967296, 4294967296), }", make([]byte, 16)))
	npyNegative := sweep.Write(t, filepath.Join(dir, "negative.npy"),
		sweepNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (-1, 6, 5), }", make([]byte, 16)))

	// Image folders.
	emptyFolder := filepath.Join(dir, "emptyfolder")
	os.Mkdir(emptyFolder, 0o755)
	pngOK := sweepPNG(t, 6, 5)
	fifoFolder := filepath.Join(dir, "fifofolder")
	sweep.Write(t, filepath.Join(fifoFolder, "a.png"), pngOK)
	sweep.FIFO(t, filepath.Join(fifoFolder, "b.png"))
	dirFolder := filepath.Join(dir, "dirfolder")
	sweep.Write(t, filepath.Join(dirFolder, "a.png"), pngOK)
	os.Mkdir(filepath.Join(dirFolder, "b.png"), 0o755)
	junkFolder := filepath.Join(dir, "junkfolder")
	sweep.Write(t, filepath.Join(junkFolder, "a.png"), bytes.Repeat([]byte{0xff, 0}, 50))
	emptyPNGFolder := filepath.Join(dir, "emptypngfolder")
	sweep.Write(t, filepath.Join(emptyPNGFolder, "a.png"), nil)
	cutFolder := filepath.Join(dir, "cutfolder")
	sweep.Write(t, filepath.Join(cutFolder, "a.png"), pngOK[:len(pngOK)-20])
	goodFolder := filepath.Join(dir, "goodfolder")
	sweep.Write(t, filepath.Join(goodFolder, "a.png"), pngOK)
	sweep.Write(t, filepath.Join(goodFolder, "b.png"), pngOK)
	classFolder := filepath.Join(dir, "classes")
	sweep.Write(t, filepath.Join(classFolder, "cat", "a.png"), pngOK)
	sweep.FIFO(t, filepath.Join(classFolder, "dog", "b.png"))
	devFolder := filepath.Join(dir, "devfolder") // an image that is a link to /dev/zero
	sweep.Write(t, filepath.Join(devFolder, "a.png"), pngOK)
	os.Symlink("/dev/zero", filepath.Join(devFolder, "b.png"))
	loop := filepath.Join(dir, "loop")
	os.Symlink(loop, loop)
	loopClasses := filepath.Join(dir, "loopclasses")
	sweep.Write(t, filepath.Join(loopClasses, "cat", "a.png"), pngOK)
	os.Symlink(filepath.Join(loopClasses, "dog"), filepath.Join(loopClasses, "dog"))
	flatClasses := filepath.Join(dir, "flatclasses") // images but no class folders
	sweep.Write(t, filepath.Join(flatClasses, "a.png"), pngOK)

	// IDX files.
	idxImages := idxBytes([]int{2, 3, 4}, make([]byte, 24))
	idxLabels := idxBytes([]int{3}, []byte{1, 2, 3})
	idxImagesCut := sweep.Write(t, filepath.Join(dir, "cut-images.idx"), idxImages[:len(idxImages)-5])
	idxImagesGzCut := sweep.Write(t, filepath.Join(dir, "cut-images.idx.gz"), gzipped(idxImages)[:20])
	idxLabelsCut := sweep.Write(t, filepath.Join(dir, "cut-labels.idx"), idxLabels[:len(idxLabels)-1])
	idxHuge := sweep.Write(t, filepath.Join(dir, "huge.idx"), idxBytes([]int{1 << 30, 1 << 30, 1 << 30}, make([]byte, 10)))
	idxHugeGz := sweep.Write(t, filepath.Join(dir, "huge.idx.gz"), gzipped(idxBytes([]int{1 << 30, 1 << 30, 1 << 30}, make([]byte, 10))))
	idxHugeLabels := sweep.Write(t, filepath.Join(dir, "hugelabels.idx"), idxBytes([]int{math.MaxUint32}, make([]byte, 10)))
	idxZero := sweep.Write(t, filepath.Join(dir, "zero.idx"), idxBytes([]int{0, 0, 0}, nil))
	idxWrongRank := sweep.Write(t, filepath.Join(dir, "rank.idx"), idxLabels)

	// MNIST folders.
	mnistDir := func(name string, mod func(files map[string][]byte)) string {
		d := filepath.Join(dir, name)
		files := map[string][]byte{
			MNISTTrainImages: gzipped(idxBytes([]int{3, 4, 4}, make([]byte, 48))),
			MNISTTrainLabels: gzipped(idxBytes([]int{3}, []byte{1, 2, 3})),
			MNISTTestImages:  gzipped(idxBytes([]int{2, 4, 4}, make([]byte, 32))),
			MNISTTestLabels:  gzipped(idxBytes([]int{2}, []byte{4, 5})),
		}
		if mod != nil {
			mod(files)
		}
		for n, content := range files {
			if content == nil {
				sweep.FIFO(t, filepath.Join(d, n))
				continue
			}
			sweep.Write(t, filepath.Join(d, n), content)
		}
		return d
	}
	mnistGood := mnistDir("mnist", nil)
	mnistFIFO := mnistDir("mnistfifo", func(f map[string][]byte) { f[MNISTTestLabels] = nil })
	mnistJunk := mnistDir("mnistjunk", func(f map[string][]byte) { f[MNISTTrainImages] = []byte("junk junk junk junk") })
	mnistCut := mnistDir("mnistcut", func(f map[string][]byte) { f[MNISTTrainImages] = f[MNISTTrainImages][:30] })
	mnistEmpty := mnistDir("mnistempty", func(f map[string][]byte) { f[MNISTTrainLabels] = []byte{} })
	mnistBadLabel := mnistDir("mnistlabel", func(f map[string][]byte) { f[MNISTTrainLabels] = gzipped(idxBytes([]int{3}, []byte{1, 200, 3})) })
	mnistMismatch := mnistDir("mnistcount", func(f map[string][]byte) { f[MNISTTrainLabels] = gzipped(idxBytes([]int{2}, []byte{1, 2})) })
	mnistHuge := mnistDir("mnisthuge", func(f map[string][]byte) {
		f[MNISTTrainImages] = gzipped(idxBytes([]int{1 << 30, 1 << 15, 1 << 15}, make([]byte, 100)))
	})

	// CIFAR-10 folders.
	cifarDir := func(name string, mod func(files map[string][]byte)) string {
		d := filepath.Join(dir, name)
		files := map[string][]byte{}
		for _, n := range append(append([]string{}, CIFAR10TrainFiles...), CIFAR10TestFile) {
			files[n] = append(sweepCIFARRecord(1), sweepCIFARRecord(2)...)
		}
		if mod != nil {
			mod(files)
		}
		for n, content := range files {
			if content == nil {
				sweep.FIFO(t, filepath.Join(d, n))
				continue
			}
			sweep.Write(t, filepath.Join(d, n), content)
		}
		return d
	}
	cifarGood := cifarDir("cifar", nil)
	cifarFIFO := cifarDir("cifarfifo", func(f map[string][]byte) { f[CIFAR10TrainFiles[2]] = nil })
	cifarCut := cifarDir("cifarcut", func(f map[string][]byte) { f[CIFAR10TestFile] = f[CIFAR10TestFile][:5000] })
	cifarEmpty := cifarDir("cifarempty", func(f map[string][]byte) { f[CIFAR10TrainFiles[0]] = []byte{} })
	cifarLabel := cifarDir("cifarlabel", func(f map[string][]byte) { f[CIFAR10TestFile] = sweepCIFARRecord(10) })
	cifarMissing := cifarDir("cifarmissing", func(f map[string][]byte) { delete(f, CIFAR10TrainFiles[4]) })
	cifarBatch := sweep.Write(t, filepath.Join(dir, "batch.bin"), append(sweepCIFARRecord(1), sweepCIFARRecord(9)...))
	cifarBatchCut := sweep.Write(t, filepath.Join(dir, "batchcut.bin"), append(sweepCIFARRecord(1), sweepCIFARRecord(9)...)[:4000])
	cifarBatchLabel := sweep.Write(t, filepath.Join(dir, "batchlabel.bin"), sweepCIFARRecord(255))
	cifarBatchSparse := filepath.Join(dir, "batchsparse.bin")
	sweep.Write(t, cifarBatchSparse, sweepCIFARRecord(1))
	if err := os.Truncate(cifarBatchSparse, 3073*(MaxCIFARRecords+1)); err != nil {
		t.Fatal(err)
	}

	var discard bytes.Buffer
	ok := func(err error) error {
		if err != nil {
			return fmt.Errorf("error %v, want none", err)
		}
		return nil
	}

	cases := []sweepCase{
		// Toy2D.
		{"Toy2D unknown name", func() error { _, err := Toy2D("", 10, 0); return sweep.WantErr(err, "unknown toy data set") }},
		{"Toy2D n=0", func() error { _, err := Toy2D("moons", 0, 0); return sweep.WantErr(err, "n=0") }},
		{"Toy2D n=-1", func() error { _, err := Toy2D("moons", -1, 0); return sweep.WantErr(err, "n=-1") }},
		{"Toy2D n=MaxInt", func() error { _, err := Toy2D("swissroll", math.MaxInt, 0); return sweep.WantErr(err, "points") }},
		{"Toy2D n=1<<40", func() error { _, err := Toy2D("8gaussians", 1<<40, 0); return sweep.WantErr(err, "points") }},
		{"Toy2D n=MaxToyPoints+1", func() error { _, err := Toy2D("moons", MaxToyPoints+1, 0); return sweep.WantErr(err, "points") }},
		{"Toy2D n=1 is one finite point", func() error {
			x, err := Toy2D("moons", 1, math.MaxUint64)
			if err != nil || len(x) != 2 || math.IsNaN(float64(x[0])) || math.IsInf(float64(x[1]), 0) {
				return fmt.Errorf("got %v, %v; want one finite point", x, err)
			}
			return nil
		}},

		// EncodeSamples.
		{"EncodeSamples nil writer", func() error {
			return sweep.WantErr(EncodeSamples(nil, ".npy", []float32{0}, 1, []int{1}, nil), "writer")
		}},
		{"EncodeSamples empty ext", func() error {
			return sweep.WantErr(EncodeSamples(&discard, "", []float32{0}, 1, []int{1}, nil), "unknown kind")
		}},
		{"EncodeSamples ext .png", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".png", []float32{0}, 1, []int{1}, nil), "unknown kind")
		}},
		{"EncodeSamples n=0", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", nil, 0, []int{1}, nil), "0 samples")
		}},
		{"EncodeSamples n=-1", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", []float32{0}, -1, []int{1}, nil), "-1 samples")
		}},
		{"EncodeSamples n=MaxInt", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", []float32{0}, math.MaxInt, []int{1}, nil), "samples")
		}},
		{"EncodeSamples nil x", func() error { return sweep.WantErr(EncodeSamples(&discard, ".npy", nil, 1, []int{1}, nil), "0 values") }},
		{"EncodeSamples nil dims", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", []float32{0}, 1, nil, nil), "shape")
		}},
		{"EncodeSamples dims of rank 2", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", make([]float32, 4), 1, []int{2, 2}, nil), "shape [2 2]")
		}},
		{"EncodeSamples dims 0", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", nil, 1, []int{0}, nil), "shape [0]")
		}},
		{"EncodeSamples negative dims", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", make([]float32, 1), 1, []int{-1, -1, 1}, nil), "shape")
		}},
		{"EncodeSamples huge dims", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", make([]float32, 4), 1, []int{1 << 40, 1 << 40, 4}, nil), "shape")
		}},
		{"EncodeSamples dims overflowing int", func() error {
			// 2³² × 2³² × 1 wraps to 0 as an int: 0 values must still not pass for it.
			return sweep.WantErr(EncodeSamples(&discard, ".npy", nil, 1, []int{1 << 32, 1 << 32, 1}, nil), "shape")
		}},
		{"EncodeSamples partial sample", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", make([]float32, 5), 2, []int{2}, nil), "5 values for 2 samples")
		}},
		{"EncodeSamples NaN", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", []float32{0, float32(math.NaN())}, 1, []int{2}, nil), "NaN")
		}},
		{"EncodeSamples +Inf", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", []float32{float32(math.Inf(1)), 0}, 2, []int{1, 1, 1}, nil), "+Inf")
		}},
		{"EncodeSamples -Inf", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npz", []float32{float32(math.Inf(-1))}, 1, []int{1}, nil), "-Inf")
		}},
		{"EncodeSamples labels of another count", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npz", []float32{0, 0}, 2, []int{1}, []int{1}), "1 labels for 2 samples")
		}},
		{"EncodeSamples empty labels", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npz", []float32{0}, 1, []int{1}, []int{}), "0 labels")
		}},
		{"EncodeSamples negative label", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npz", []float32{0}, 1, []int{1}, []int{-1}), "label 0 is -1")
		}},
		{"EncodeSamples labels in .npy", func() error {
			return sweep.WantErr(EncodeSamples(&discard, ".npy", []float32{0}, 1, []int{1}, []int{0}), ".npz")
		}},

		// LoadSamples and ReadSamples.
		{"LoadSamples empty path", func() error { _, _, err := LoadSamples("", 6, 5); return sweep.WantErr(err, "samples") }},
		{"ReadSamples of 6×0 images", func() error { _, err := ReadSamples(dir, 6, 0, 0); return sweep.WantErr(err, "6×0 pixels asked") }},
		{"LoadSamples missing", func() error {
			_, _, err := LoadSamples(missing+".npy", 6, 5)
			return sweep.WantErr(err, "no such file")
		}},
		{"LoadSamples FIFO .npy", func() error { _, _, err := LoadSamples(npyFIFO, 6, 5); return sweep.WantErr(err, "FIFO") }},
		{"LoadSamples FIFO .npz", func() error { _, _, err := LoadSamples(npzFIFO, 6, 5); return sweep.WantErr(err, "FIFO") }},
		{"LoadSamples FIFO without extension", func() error { _, _, err := LoadSamples(fifo, 6, 5); return sweep.WantErr(err, "unknown kind") }},
		{"LoadSamples empty .npy", func() error { _, _, err := LoadSamples(npyEmpty, 6, 5); return sweep.WantErr(err, "empty.npy") }},
		{"LoadSamples empty .npz", func() error { _, _, err := LoadSamples(npzEmpty, 6, 5); return sweep.WantErr(err, "empty.npz") }},
		{"LoadSamples empty file without extension", func() error { _, _, err := LoadSamples(empty, 6, 5); return sweep.WantErr(err, "unknown kind") }},
		{"LoadSamples junk .npy", func() error { _, _, err := LoadSamples(npyJunk, 6, 5); return sweep.WantErr(err, "junk.npy") }},
		{"LoadSamples junk .npz", func() error { _, _, err := LoadSamples(npzJunk, 6, 5); return sweep.WantErr(err, "junk.npz") }},
		{"LoadSamples junk without extension", func() error { _, _, err := LoadSamples(junk, 6, 5); return sweep.WantErr(err, "unknown kind") }},
		{"LoadSamples truncated .npy", func() error { _, _, err := LoadSamples(npyCut, 6, 5); return sweep.WantErr(err, "cut.npy") }},
		{"LoadSamples truncated .npz", func() error { _, _, err := LoadSamples(npzCut, 6, 5); return sweep.WantErr(err, "cut.npz") }},
		{"LoadSamples folder named .npy, no images", func() error { _, _, err := LoadSamples(npyDir, 6, 5); return sweep.WantErr(err, "folder.npy") }},
		{"LoadSamples empty folder", func() error { _, _, err := LoadSamples(emptyFolder, 6, 5); return sweep.WantErr(err, "emptyfolder") }},
		{"LoadSamples folder with a FIFO image", func() error { _, _, err := LoadSamples(fifoFolder, 5, 6); return sweep.WantErr(err, "FIFO") }},
		{"LoadSamples folder with a subfolder named as an image", func() error {
			_, n, err := LoadSamples(dirFolder, 5, 6) // subfolders are not read
			if err != nil || n != 1 {
				return fmt.Errorf("got %d images, %v; want the one image", n, err)
			}
			return nil
		}},
		{"LoadSamples folder of junk", func() error { _, _, err := LoadSamples(junkFolder, 5, 6); return sweep.WantErr(err, "a.png") }},
		{"LoadSamples folder of an empty PNG", func() error { _, _, err := LoadSamples(emptyPNGFolder, 5, 6); return sweep.WantErr(err, "a.png") }},
		{"LoadSamples folder of a cut PNG", func() error { _, _, err := LoadSamples(cutFolder, 5, 6); return sweep.WantErr(err, "a.png") }},
		{"LoadSamples folder of another size", func() error { _, _, err := LoadSamples(goodFolder, 6, 5); return sweep.WantErr(err, "want 5x6") }},
		{"LoadSamples of a NaN in the second image", func() error {
			body := make([]byte, 8*4)
			binary.LittleEndian.PutUint32(body[5*4:], math.Float32bits(float32(math.NaN())))
			nanNpy := sweep.Write(t, filepath.Join(dir, "nan.npy"), sweepNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", body))
			_, _, err := LoadSamples(nanNpy, 2, 2)
			return sweep.WantErr(err, "image 1 holds NaN (at pixel 1, element 5 of the array)")
		}},
		{"LoadSamples height 0", func() error { _, _, err := LoadSamples(npyPath, 0, 0); return sweep.WantErr(err, "0×0 pixels asked") }},
		{"LoadSamples negative size", func() error {
			_, _, err := LoadSamples(npyPath, -6, -5)
			return sweep.WantErr(err, "-6×-5 pixels asked")
		}},
		{"LoadSamples size MaxInt", func() error {
			_, _, err := LoadSamples(npzPath, math.MaxInt, math.MaxInt)
			return sweep.WantErr(err, "shape")
		}},
		{"LoadSamples folder height 0", func() error {
			_, _, err := LoadSamples(goodFolder, 0, 0)
			return sweep.WantErr(err, "0×0 pixels asked")
		}},
		{"LoadSamples folder height -1", func() error {
			_, _, err := LoadSamples(goodFolder, -1, -1)
			return sweep.WantErr(err, "-1×-1 pixels asked")
		}},
		{"LoadSamples folder height 1<<40", func() error {
			_, _, err := LoadSamples(goodFolder, 1<<40, 1<<40)
			return sweep.WantErr(err, "want 1099511627776x1099511627776")
		}},
		{"LoadSamples header of 2^40×2^40 images", func() error {
			_, _, err := LoadSamples(npyHuge, 1<<40, 1<<40)
			return sweep.WantErr(err, "huge.npy")
		}},
		{"LoadSamples header of a size overflowing int", func() error {
			_, _, err := LoadSamples(npyOverflow, 1<<32, 1<<32)
			return sweep.WantErr(err, "overflow.npy")
		}},
		{"LoadSamples negative N in the header", func() error { _, _, err := LoadSamples(npyNegative, 6, 5); return sweep.WantErr(err, "negative.npy") }},
		{"ReadSamples valid file, maxN -1 bounds nothing", func() error {
			s, err := ReadSamples(npyPath, 6, 5, -1)
			if err != nil || s.N != 4 || len(s.Values) != 120 {
				return fmt.Errorf("got %v, %v; want 4 images", s, err)
			}
			return nil
		}},
		{"ReadSamples maxN 1 of 4", func() error {
			_, err := ReadSamples(npzPath, 6, 5, 1)
			var too TooManySamples
			if !errors.As(err, &too) || too.Max != 1 {
				return fmt.Errorf("error %v, want TooManySamples{1}", err)
			}
			return nil
		}},
		{"ReadSamples folder maxN 1 of 2", func() error {
			_, err := ReadSamples(goodFolder, 5, 6, 1)
			var too TooManySamples
			if !errors.As(err, &too) {
				return fmt.Errorf("error %v, want TooManySamples", err)
			}
			return nil
		}},
		{"TooManySamples zero value", func() error {
			if got := (TooManySamples{}).Error(); !strings.Contains(got, "0") {
				return fmt.Errorf("message %q", got)
			}
			return nil
		}},

		// CheckSampleLabels and LoadSampleLabels.
		{"CheckSampleLabels classes 0", func() error { return sweep.WantErr(CheckSampleLabels(npzPath, 0, 0), "0 classes") }},
		{"CheckSampleLabels classes -1", func() error { return sweep.WantErr(CheckSampleLabels(npzPath, 0, -1), "-1 classes") }},
		{"CheckSampleLabels classes 3 of labels 0..3", func() error { return sweep.WantErr(CheckSampleLabels(npzPath, 0, 3), "label 3 is 3") }},
		{"CheckSampleLabels valid, classes MaxInt", func() error { return ok(CheckSampleLabels(npzPath, math.MaxInt, math.MaxInt)) }},
		{"CheckSampleLabels FIFO left to ReadSamples", func() error { return ok(CheckSampleLabels(npzFIFO, 0, 10)) }},
		{"CheckSampleLabels junk left to ReadSamples", func() error { return ok(CheckSampleLabels(npzJunk, 0, 10)) }},
		{"LoadSampleLabels n=-1", func() error { _, err := LoadSampleLabels(npzPath, -1, 10); return sweep.WantErr(err, "-1 samples") }},
		{"LoadSampleLabels classes 0", func() error { _, err := LoadSampleLabels(npzPath, 4, 0); return sweep.WantErr(err, "0 classes") }},
		{"LoadSampleLabels n=MaxInt", func() error {
			_, err := LoadSampleLabels(npzPath, math.MaxInt, 10)
			return sweep.WantErr(err, "labels of shape [4]")
		}},
		{"LoadSampleLabels n=0 of 4", func() error {
			_, err := LoadSampleLabels(npzPath, 0, 10)
			return sweep.WantErr(err, "labels of shape [4]")
		}},
		{"LoadSampleLabels label 3 of 2 classes", func() error { _, err := LoadSampleLabels(npzPath, 4, 2); return sweep.WantErr(err, "label 2 is 2") }},
		{"LoadSampleLabels FIFO", func() error { _, err := LoadSampleLabels(npzFIFO, 4, 10); return sweep.WantErr(err, "FIFO") }},
		{"LoadSampleLabels missing", func() error {
			_, err := LoadSampleLabels(missing+".npz", 4, 10)
			return sweep.WantErr(err, "no such file")
		}},
		{"LoadSampleLabels folder", func() error {
			d := filepath.Join(dir, "labels.npz")
			os.Mkdir(d, 0o755)
			_, err := LoadSampleLabels(d, 4, 10)
			return sweep.WantErr(err, "folder")
		}},
		{"LoadSampleLabels empty", func() error {
			_, err := LoadSampleLabels(npzEmpty, 4, 10)
			return sweep.WantErr(err, "not a NumPy .npz")
		}},
		{"LoadSampleLabels junk", func() error {
			_, err := LoadSampleLabels(npzJunk, 4, 10)
			return sweep.WantErr(err, "not a NumPy .npz")
		}},
		{"LoadSampleLabels truncated", func() error { _, err := LoadSampleLabels(npzCut, 4, 10); return sweep.WantErr(err, "cut.npz") }},
		{"LoadSampleLabels .npy has none", func() error {
			l, err := LoadSampleLabels(npyPath, 4, 10)
			if l != nil || err != nil {
				return fmt.Errorf("got %v, %v; want nil, nil", l, err)
			}
			return nil
		}},

		// Links to a device and links in a loop.
		{"ReadIDXImages /dev/zero", func() error { _, err := ReadIDXImages("/dev/zero"); return sweep.WantErr(err, "character device") }},
		{"ReadIDXLabels /dev/zero", func() error { _, err := ReadIDXLabels("/dev/zero"); return sweep.WantErr(err, "character device") }},
		{"ReadCIFAR10Batch /dev/zero", func() error {
			_, _, err := ReadCIFAR10Batch("/dev/zero")
			return sweep.WantErr(err, "character device")
		}},
		{"LoadSamples image linked to /dev/zero", func() error { _, _, err := LoadSamples(devFolder, 5, 6); return sweep.WantErr(err, "character device") }},
		{"LoadImageFolder image linked to /dev/zero", func() error {
			_, err := LoadImageFolder(devFolder, FolderOptions{})
			return sweep.WantErr(err, "character device")
		}},
		{"LoadImageFolder link loop", func() error {
			_, err := LoadImageFolder(loop, FolderOptions{})
			return sweep.WantErr(err, "too many levels")
		}},
		{"LoadClassFolders class folder in a link loop", func() error {
			_, _, _, err := LoadClassFolders(loopClasses, FolderOptions{})
			return sweep.WantErr(err, "link to nothing usable")
		}},

		// IDX readers.
		{"ReadIDXImages empty path", func() error { _, err := ReadIDXImages(""); return sweep.WantErr(err, "no such file") }},
		{"ReadIDXImages missing", func() error { _, err := ReadIDXImages(missing); return sweep.WantErr(err, "missing") }},
		{"ReadIDXImages folder", func() error { _, err := ReadIDXImages(emptyFolder); return sweep.WantErr(err, "folder") }},
		{"ReadIDXImages FIFO", func() error { _, err := ReadIDXImages(fifo); return sweep.WantErr(err, "FIFO") }},
		{"ReadIDXImages empty", func() error { _, err := ReadIDXImages(empty); return sweep.WantErr(err, "empty") }},
		{"ReadIDXImages junk", func() error { _, err := ReadIDXImages(junk); return sweep.WantErr(err, "junk") }},
		{"ReadIDXImages truncated", func() error { _, err := ReadIDXImages(idxImagesCut); return sweep.WantErr(err, "cut-images.idx") }},
		{"ReadIDXImages truncated gzip", func() error { _, err := ReadIDXImages(idxImagesGzCut); return sweep.WantErr(err, "cut-images.idx.gz") }},
		{"ReadIDXImages huge header", func() error { _, err := ReadIDXImages(idxHuge); return sweep.WantErr(err, "huge.idx") }},
		{"ReadIDXImages huge header gzip", func() error { _, err := ReadIDXImages(idxHugeGz); return sweep.WantErr(err, "huge.idx.gz") }},
		{"ReadIDXImages rank 1", func() error { _, err := ReadIDXImages(idxWrongRank); return sweep.WantErr(err, "rank.idx") }},
		{"ReadIDXImages zero images", func() error { _, err := ReadIDXImages(idxZero); return sweep.WantErr(err, "not plausible") }},
		{"ReadIDXLabels empty path", func() error { _, err := ReadIDXLabels(""); return sweep.WantErr(err, "no such file") }},
		{"ReadIDXLabels folder", func() error { _, err := ReadIDXLabels(emptyFolder); return sweep.WantErr(err, "folder") }},
		{"ReadIDXLabels FIFO", func() error { _, err := ReadIDXLabels(fifo); return sweep.WantErr(err, "FIFO") }},
		{"ReadIDXLabels empty", func() error { _, err := ReadIDXLabels(empty); return sweep.WantErr(err, "empty") }},
		{"ReadIDXLabels junk", func() error { _, err := ReadIDXLabels(junk); return sweep.WantErr(err, "junk") }},
		{"ReadIDXLabels truncated", func() error { _, err := ReadIDXLabels(idxLabelsCut); return sweep.WantErr(err, "cut-labels.idx") }},
		{"ReadIDXLabels huge header", func() error { _, err := ReadIDXLabels(idxHugeLabels); return sweep.WantErr(err, "hugelabels.idx") }},
		{"ReadIDXLabels images file", func() error { _, err := ReadIDXLabels(idxImagesCut); return sweep.WantErr(err, "cut-images.idx") }},

		// MNIST.
		{"LoadMNIST missing folder", func() error { _, err := LoadMNIST(missing); return sweep.WantErr(err, "missing") }},
		{"LoadMNIST a file", func() error { _, err := LoadMNIST(junk); return sweep.WantErr(err, "junk") }},
		{"LoadMNIST empty folder", func() error { _, err := LoadMNIST(emptyFolder); return sweep.WantErr(err, "emptyfolder") }},
		{"LoadMNIST FIFO", func() error { _, err := LoadMNIST(mnistFIFO); return sweep.WantErr(err, "FIFO") }},
		{"LoadMNIST junk", func() error { _, err := LoadMNIST(mnistJunk); return sweep.WantErr(err, MNISTTrainImages) }},
		{"LoadMNIST truncated", func() error { _, err := LoadMNIST(mnistCut); return sweep.WantErr(err, MNISTTrainImages) }},
		{"LoadMNIST empty file", func() error { _, err := LoadMNIST(mnistEmpty); return sweep.WantErr(err, MNISTTrainLabels) }},
		{"LoadMNIST label 200", func() error { _, err := LoadMNIST(mnistBadLabel); return sweep.WantErr(err, "200") }},
		{"LoadMNIST labels of another count", func() error { _, err := LoadMNIST(mnistMismatch); return sweep.WantErr(err, "2 labels") }},
		{"LoadMNIST huge header", func() error { _, err := LoadMNIST(mnistHuge); return sweep.WantErr(err, MNISTTrainImages) }},
		{"LoadMNISTWithin 1 byte", func() error { _, err := LoadMNISTWithin(mnistGood, 1); return sweep.WantErr(err, "more than") }},
		{"LoadMNISTWithin NaN bounds nothing", func() error {
			m, err := LoadMNISTWithin(mnistGood, math.NaN())
			if err != nil || m.Train.N != 3 || m.Test.N != 2 {
				return fmt.Errorf("got %v, %v; want 3 and 2 images", m, err)
			}
			return nil
		}},
		{"LoadMNISTWithin -Inf bounds nothing", func() error { _, err := LoadMNISTWithin(mnistGood, math.Inf(-1)); return ok(err) }},
		{"LoadMNISTWithin +Inf", func() error { _, err := LoadMNISTWithin(mnistGood, math.Inf(1)); return ok(err) }},
		{"ReadMNISTSizes missing", func() error { _, err := ReadMNISTSizes(missing); return sweep.WantErr(err, "missing") }},
		{"ReadMNISTSizes FIFO", func() error { _, err := ReadMNISTSizes(mnistFIFO); return sweep.WantErr(err, "FIFO") }},
		{"ReadMNISTSizes junk", func() error { _, err := ReadMNISTSizes(mnistJunk); return sweep.WantErr(err, MNISTTrainImages) }},
		{"ReadMNISTSizes truncated", func() error { _, err := ReadMNISTSizes(mnistCut); return sweep.WantErr(err, MNISTTrainImages) }},
		{"ReadMNISTSizes empty file", func() error { _, err := ReadMNISTSizes(mnistEmpty); return sweep.WantErr(err, MNISTTrainLabels) }},
		{"ReadMNISTSizes label 200", func() error { _, err := ReadMNISTSizes(mnistBadLabel); return sweep.WantErr(err, "200") }},
		{"ReadMNISTSizes labels of another count", func() error { _, err := ReadMNISTSizes(mnistMismatch); return sweep.WantErr(err, "2 labels") }},
		{"ReadMNISTSizes huge header", func() error { _, err := ReadMNISTSizes(mnistHuge); return sweep.WantErr(err, MNISTTrainImages) }},

		// CIFAR-10.
		{"ReadCIFAR10Batch empty path", func() error { _, _, err := ReadCIFAR10Batch(""); return sweep.WantErr(err, "no such file") }},
		{"ReadCIFAR10Batch folder", func() error { _, _, err := ReadCIFAR10Batch(emptyFolder); return sweep.WantErr(err, "folder") }},
		{"ReadCIFAR10Batch FIFO", func() error { _, _, err := ReadCIFAR10Batch(fifo); return sweep.WantErr(err, "FIFO") }},
		{"ReadCIFAR10Batch empty", func() error { _, _, err := ReadCIFAR10Batch(empty); return sweep.WantErr(err, "empty") }},
		{"ReadCIFAR10Batch junk", func() error { _, _, err := ReadCIFAR10Batch(junk); return sweep.WantErr(err, "junk") }},
		{"ReadCIFAR10Batch truncated", func() error { _, _, err := ReadCIFAR10Batch(cifarBatchCut); return sweep.WantErr(err, "batchcut.bin") }},
		{"ReadCIFAR10Batch label 255", func() error { _, _, err := ReadCIFAR10Batch(cifarBatchLabel); return sweep.WantErr(err, "255") }},
		{"ReadCIFAR10Batch too many records", func() error {
			_, _, err := ReadCIFAR10Batch(cifarBatchSparse)
			return sweep.WantErr(err, "batchsparse.bin")
		}},
		{"ReadCIFAR10Batch valid", func() error {
			im, labels, err := ReadCIFAR10Batch(cifarBatch)
			if err != nil || im.N != 2 || len(labels) != 2 || labels[1] != 9 {
				return fmt.Errorf("got %v, %v, %v", im, labels, err)
			}
			return nil
		}},
		{"LoadCIFAR10 empty path", func() error { _, _, _, _, err := LoadCIFAR10(""); return sweep.WantErr(err, CIFAR10TrainFiles[0]) }},
		{"LoadCIFAR10 missing", func() error { _, _, _, _, err := LoadCIFAR10(missing); return sweep.WantErr(err, "missing") }},
		{"LoadCIFAR10 a file", func() error { _, _, _, _, err := LoadCIFAR10(junk); return sweep.WantErr(err, "junk") }},
		{"LoadCIFAR10 empty folder", func() error {
			_, _, _, _, err := LoadCIFAR10(emptyFolder)
			return sweep.WantErr(err, CIFAR10TrainFiles[0])
		}},
		{"LoadCIFAR10 FIFO batch", func() error { _, _, _, _, err := LoadCIFAR10(cifarFIFO); return sweep.WantErr(err, "FIFO") }},
		{"LoadCIFAR10 truncated batch", func() error { _, _, _, _, err := LoadCIFAR10(cifarCut); return sweep.WantErr(err, CIFAR10TestFile) }},
		{"LoadCIFAR10 empty batch", func() error {
			_, _, _, _, err := LoadCIFAR10(cifarEmpty)
			return sweep.WantErr(err, CIFAR10TrainFiles[0])
		}},
		{"LoadCIFAR10 label 10", func() error { _, _, _, _, err := LoadCIFAR10(cifarLabel); return sweep.WantErr(err, "label 10") }},
		{"LoadCIFAR10 missing batch", func() error {
			_, _, _, _, err := LoadCIFAR10(cifarMissing)
			return sweep.WantErr(err, CIFAR10TrainFiles[4])
		}},
		{"LoadCIFAR10Within 1 byte", func() error {
			_, _, _, _, err := LoadCIFAR10Within(cifarGood, 1)
			return sweep.WantErr(err, "data_batch_1.bin of 6146 bytes")
		}},
		{"LoadCIFAR10Within NaN", func() error {
			train, _, test, _, err := LoadCIFAR10Within(cifarGood, math.NaN())
			if err != nil || train.N != 10 || test.N != 2 {
				return fmt.Errorf("got %v, %v, %v; want 10 and 2 images", train, test, err)
			}
			return nil
		}},
		{"LoadCIFAR10Within -1", func() error { _, _, _, _, err := LoadCIFAR10Within(cifarGood, -1); return ok(err) }},

		// Image folders.
		{"LoadImageFolder empty path", func() error {
			_, err := LoadImageFolder("", FolderOptions{})
			return sweep.WantErr(err, "no such file")
		}},
		{"LoadImageFolder missing", func() error {
			_, err := LoadImageFolder(missing, FolderOptions{})
			return sweep.WantErr(err, "missing")
		}},
		{"LoadImageFolder a file", func() error { _, err := LoadImageFolder(junk, FolderOptions{}); return sweep.WantErr(err, "junk") }},
		{"LoadImageFolder a FIFO", func() error { _, err := LoadImageFolder(fifo, FolderOptions{}); return sweep.WantErr(err, "fifo") }},
		{"LoadImageFolder empty folder", func() error {
			_, err := LoadImageFolder(emptyFolder, FolderOptions{})
			return sweep.WantErr(err, "emptyfolder")
		}},
		{"LoadImageFolder FIFO image", func() error {
			_, err := LoadImageFolder(fifoFolder, FolderOptions{})
			return sweep.WantErr(err, "FIFO")
		}},
		{"LoadImageFolder subfolder named as an image", func() error {
			im, err := LoadImageFolder(dirFolder, FolderOptions{}) // subfolders are not read
			if err != nil || im.N != 1 {
				return fmt.Errorf("got %+v, %v; want the one image", im, err)
			}
			return nil
		}},
		{"LoadImageFolder junk image", func() error {
			_, err := LoadImageFolder(junkFolder, FolderOptions{})
			return sweep.WantErr(err, "a.png")
		}},
		{"LoadImageFolder empty image", func() error {
			_, err := LoadImageFolder(emptyPNGFolder, FolderOptions{})
			return sweep.WantErr(err, "a.png")
		}},
		{"LoadImageFolder truncated image", func() error {
			_, err := LoadImageFolder(cutFolder, FolderOptions{})
			return sweep.WantErr(err, "a.png")
		}},
		{"LoadImageFolder Resize -1", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{Resize: -1})
			return sweep.WantErr(err, "resize size -1")
		}},
		{"LoadImageFolder Resize MaxInt", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{Resize: math.MaxInt})
			return sweep.WantErr(err, "resize size")
		}},
		{"LoadImageFolder Resize 1<<40", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{Resize: 1 << 40})
			return sweep.WantErr(err, "resize size")
		}},
		{"LoadImageFolder MaxBytes NaN", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{MaxBytes: math.NaN()})
			return sweep.WantErr(err, "MaxBytes NaN")
		}},
		{"LoadImageFolder MaxBytes -1", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{MaxBytes: -1})
			return sweep.WantErr(err, "MaxBytes -1")
		}},
		{"LoadImageFolder MaxBytes 1", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{MaxBytes: 1})
			return sweep.WantErr(err, "more than the 1 bytes")
		}},
		{"LoadImageFolder MaxBytes +Inf", func() error {
			im, err := LoadImageFolder(goodFolder, FolderOptions{MaxBytes: math.Inf(1), Gray: true})
			if err != nil || im.N != 2 || im.Width != 6 || im.Height != 5 || im.Channels != 1 {
				return fmt.Errorf("got %+v, %v; want two 6×5 grey images", im, err)
			}
			return nil
		}},
		{"LoadImageFolder Width -1", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{Width: -1, Height: -1})
			return sweep.WantErr(err, "width -1")
		}},
		{"LoadImageFolder Width alone", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{Width: 6})
			return sweep.WantErr(err, "width 6")
		}},
		{"LoadImageFolder Width MaxInt", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{Width: math.MaxInt, Height: math.MaxInt})
			return sweep.WantErr(err, "want 9223372036854775807x9223372036854775807")
		}},
		{"LoadImageFolder Check refusing", func() error {
			_, err := LoadImageFolder(goodFolder, FolderOptions{Check: func([]int, []string, int) error { return errors.New("refused by Check") }})
			return sweep.WantErr(err, "refused by Check")
		}},
		{"LoadClassFolders empty path", func() error {
			_, _, _, err := LoadClassFolders("", FolderOptions{})
			return sweep.WantErr(err, "no such file")
		}},
		{"LoadClassFolders missing", func() error {
			_, _, _, err := LoadClassFolders(missing, FolderOptions{})
			return sweep.WantErr(err, "missing")
		}},
		{"LoadClassFolders a file", func() error {
			_, _, _, err := LoadClassFolders(junk, FolderOptions{})
			return sweep.WantErr(err, "junk")
		}},
		{"LoadClassFolders a FIFO", func() error {
			_, _, _, err := LoadClassFolders(fifo, FolderOptions{})
			return sweep.WantErr(err, "fifo")
		}},
		{"LoadClassFolders empty folder", func() error {
			_, _, _, err := LoadClassFolders(emptyFolder, FolderOptions{})
			return sweep.WantErr(err, "emptyfolder")
		}},
		{"LoadClassFolders no class folder", func() error {
			_, _, _, err := LoadClassFolders(flatClasses, FolderOptions{})
			return sweep.WantErr(err, "flatclasses")
		}},
		{"LoadClassFolders FIFO image", func() error {
			_, _, _, err := LoadClassFolders(classFolder, FolderOptions{})
			return sweep.WantErr(err, "FIFO")
		}},
		{"LoadClassFolders Resize -1", func() error {
			_, _, _, err := LoadClassFolders(classFolder, FolderOptions{Resize: -1})
			return sweep.WantErr(err, "resize size -1")
		}},
		{"LoadClassFolders MaxBytes NaN", func() error {
			_, _, _, err := LoadClassFolders(classFolder, FolderOptions{MaxBytes: math.NaN()})
			return sweep.WantErr(err, "MaxBytes NaN")
		}},

		// Images.Size of the zero value.
		{"Images zero value", func() error {
			var im Images
			if im.Size() != 0 || len(im.Scaled(0, 0)) != 0 {
				return fmt.Errorf("Size %d, Scaled %v; want 0 and nothing", im.Size(), im.Scaled(0, 0))
			}
			return nil
		}},
	}
	for _, c := range cases {
		sweep.Call(t, c.name, c.check)
	}
}
