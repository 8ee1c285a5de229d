package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// CIFAR-10 binary batches: records of one label byte and 3072 pixel bytes, the 32×32 red plane,
// then green, then blue.
const (
	cifarSide       = 32
	cifarPlane      = cifarSide * cifarSide
	cifarPixels     = 3 * cifarPlane
	cifarRecordSize = 1 + cifarPixels
)

// CIFAR10TrainFiles and CIFAR10TestFile are the file names of the binary distribution
// (cifar-10-binary.tar.gz unpacks them into cifar-10-batches-bin/).
var (
	CIFAR10TrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	CIFAR10TestFile   = "test_batch.bin"
)

// cifarBatchesDir is the folder the binary archive unpacks to, tried when dir itself has no batches.
const cifarBatchesDir = "cifar-10-batches-bin"

// MaxCIFARRecords bounds the records of one batch file that ReadCIFAR10Batch reads: 2¹⁸, 805 MB of
// pixels (CIFAR-10's batches hold 10 000).
const MaxCIFARRecords = 1 << 18

// ReadCIFAR10Batch reads one binary batch into NHWC images (3 channels) and labels 0..9. Errors name
// the file, the record (counted from 1, as the IDX reader counts images) and its byte offset.
func ReadCIFAR10Batch(path string) (*Images, []uint8, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	// The size alone tells a truncated or foreign file, before reading any of it.
	size := info.Size()
	switch {
	case info.IsDir():
		return nil, nil, fmt.Errorf("file %s: is a folder, want a CIFAR-10 binary batch", path)
	case size == 0:
		return nil, nil, fmt.Errorf("file %s: empty, want records of %d bytes", path, cifarRecordSize)
	case size%cifarRecordSize != 0:
		n := size / cifarRecordSize
		return nil, nil, fmt.Errorf("file %s: record %d at offset %d is incomplete (%d of %d bytes): truncated or not a CIFAR-10 batch",
			path, n+1, n*cifarRecordSize, size%cifarRecordSize, cifarRecordSize)
	}
	// Bounded before the allocation: a sparse file of 123 GB was a fatal out-of-memory in makeslice
	// (forty-first probe). A CIFAR-10 batch holds 10 000 records.
	if size/cifarRecordSize > MaxCIFARRecords {
		return nil, nil, fmt.Errorf("file %s: %d records (%d bytes), more than the %d a batch may hold (CIFAR-10's hold 10 000)",
			path, size/cifarRecordSize, size, MaxCIFARRecords)
	}
	n := int(size / cifarRecordSize)
	im := &Images{N: n, Height: cifarSide, Width: cifarSide, Channels: 3, Pixels: make([]uint8, n*cifarPixels)}
	labels := make([]uint8, n)
	// Stream record by record so that only the converted pixels are held in memory.
	r := bufio.NewReaderSize(f, 1<<16)
	rec := make([]byte, cifarRecordSize)
	for i := range n {
		offset := int64(i) * cifarRecordSize
		if got, err := io.ReadFull(r, rec); err != nil {
			// Only when the file shrank after Stat.
			return nil, nil, fmt.Errorf("file %s: record %d of %d at offset %d: read %d of %d bytes: %w",
				path, i+1, n, offset, got, cifarRecordSize, err)
		}
		if rec[0] > 9 {
			return nil, nil, fmt.Errorf("file %s: record %d of %d at offset %d has label %d, want 0..9 (CIFAR-100 batches, with two label bytes, are not read)",
				path, i+1, n, offset, rec[0])
		}
		labels[i] = rec[0]
		planarToInterleaved(im.Image(i), rec[1:])
	}
	return im, labels, nil
}

// planarToInterleaved turns CIFAR's R, G, B planes into the HWC order of Images.
func planarToInterleaved(dst, planes []uint8) {
	red, green, blue := planes[:cifarPlane], planes[cifarPlane:2*cifarPlane], planes[2*cifarPlane:]
	for p := range cifarPlane {
		dst[3*p], dst[3*p+1], dst[3*p+2] = red[p], green[p], blue[p]
	}
}

// CIFAR10Classes names CIFAR-10's labels 0..9 (batches.meta.txt of the binary version).
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// LoadCIFAR10 reads the five training batches and the test batch from dir, or from its
// cifar-10-batches-bin subfolder when dir is where the archive was unpacked.
func LoadCIFAR10(dir string) (train *Images, trainLabels []uint8, test *Images, testLabels []uint8, err error) {
	return LoadCIFAR10Within(dir, 0)
}

// LoadCIFAR10Within is LoadCIFAR10 that refuses, from the files' sizes and before reading any of them,
// training batches of more than maxBytes pixels in all, or a test batch of more (when maxBytes > 0), as
// LoadMNISTWithin does.
func LoadCIFAR10Within(dir string, maxBytes float64) (train *Images, trainLabels []uint8, test *Images, testLabels []uint8, err error) {
	if _, err := os.Stat(filepath.Join(dir, CIFAR10TrainFiles[0])); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, cifarBatchesDir, CIFAR10TrainFiles[0])); err == nil {
			dir = filepath.Join(dir, cifarBatchesDir)
		}
	}
	for _, names := range [][]string{CIFAR10TrainFiles, {CIFAR10TestFile}} {
		if err := checkCIFARSizes(dir, names, maxBytes); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	read := func(name string) (*Images, []uint8, error) {
		im, labels, err := ReadCIFAR10Batch(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("CIFAR-10 in %s: %s is missing; the folder must hold data_batch_1.bin … data_batch_5.bin and test_batch.bin "+
				"(the binary version, cifar-10-binary.tar.gz)", dir, name)
		}
		return im, labels, err
	}
	var batches []*Images
	for _, name := range CIFAR10TrainFiles {
		im, labels, err := read(name)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		batches = append(batches, im)
		trainLabels = append(trainLabels, labels...)
	}
	// One allocation for the 50 000 training images instead of repeated growth.
	train = &Images{N: len(trainLabels), Height: cifarSide, Width: cifarSide, Channels: 3, Pixels: make([]uint8, 0, len(trainLabels)*cifarPixels)}
	for _, b := range batches {
		train.Pixels = append(train.Pixels, b.Pixels...)
	}
	if test, testLabels, err = read(CIFAR10TestFile); err != nil {
		return nil, nil, nil, nil, err
	}
	return train, trainLabels, test, testLabels, nil
}

// checkCIFARSizes refuses batches (names in dir) whose records hold more than maxBytes pixels in all
// (when maxBytes > 0), from their sizes alone. Eleventh probe: five sparse batches of 671 081 740 bytes
// each were read whole, and training died "out of memory" after 20 s. A missing or unreadable batch
// counts for nothing here: reading it says what is wrong, by name.
func checkCIFARSizes(dir string, names []string, maxBytes float64) error {
	var records int64
	var sizes []string
	for _, name := range names {
		info, err := os.Stat(filepath.Join(dir, name))
		// Missing, or cut inside a record: found when the file was read, after the batches before it
		// (twenty-second probe: 13 s and 3 GB for a missing test_batch.bin).
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("CIFAR-10 in %s: %s is missing; the folder must hold data_batch_1.bin … data_batch_5.bin and test_batch.bin "+
				"(the binary version, cifar-10-binary.tar.gz)", dir, name)
		}
		if err == nil && info.Mode().IsRegular() {
			if info.Size() == 0 { // whole records too, and found empty when read, after the batches before it (twenty-sixth probe)
				return fmt.Errorf("CIFAR-10 in %s: %s is empty, want records of %d bytes", dir, name, cifarRecordSize)
			}
			if info.Size()%cifarRecordSize != 0 {
				return fmt.Errorf("CIFAR-10 in %s: %s is %d bytes, not whole records of %d bytes (a label and 32×32×3 pixels): cut short, or not a batch of CIFAR-10's binary version",
					dir, name, info.Size(), cifarRecordSize)
			}
			records += info.Size() / cifarRecordSize
			sizes = append(sizes, fmt.Sprintf("%s of %d bytes", name, info.Size()))
		} // anything else is the reader's to refuse by name
	}
	if need := float64(records) * cifarPixels; maxBytes > 0 && need > maxBytes {
		return fmt.Errorf("CIFAR-10 in %s: %s hold %d images of 32×32×3, %.2f GiB of pixels, more than the %.2f GiB that memory allows for them",
			dir, strings.Join(sizes, ", "), records, need/(1<<30), maxBytes/(1<<30))
	}
	for _, name := range names {
		if err := checkCIFARLabels(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// checkCIFARLabels reads the label of each record of a batch, one byte in 3 073, and refuses one that
// is not a class 0..9: it was found when the batches were read, after all five training ones (10 s and
// 3 GB; twenty-fifth probe). A file that is not a regular one is the reader's to refuse by name.
func checkCIFARLabels(path string) error {
	f, err := safefile.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil
	}
	n := info.Size() / cifarRecordSize
	label := make([]byte, 1)
	for i := range n {
		if _, err := f.ReadAt(label, i*cifarRecordSize); err != nil {
			return fmt.Errorf("file %s: reading the label of record %d of %d: %w", path, i+1, n, err)
		}
		if label[0] > 9 {
			return fmt.Errorf("file %s: record %d of %d at offset %d has label %d, want 0..9 (CIFAR-100 batches, with two label bytes, are not read)", path, i+1, n, i*cifarRecordSize, label[0])
		}
	}
	return nil
}
