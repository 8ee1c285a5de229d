package data

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// cifarRecord is one CIFAR-10 record whose red, green and blue planes are constant.
func cifarRecord(label, r, g, b byte) []byte {
	rec := []byte{label}
	rec = append(rec, bytes.Repeat([]byte{r}, 1024)...)
	rec = append(rec, bytes.Repeat([]byte{g}, 1024)...)
	return append(rec, bytes.Repeat([]byte{b}, 1024)...)
}

func TestReadCIFAR10BatchInterleavesPlanes(t *testing.T) {
	content := append(cifarRecord(3, 10, 20, 30), cifarRecord(9, 1, 2, 3)...)
	content[1+5*32+7] = 99          // red at row 5, column 7 of the first image
	content[1+2*1024+31*32+31] = 77 // blue at row 31, column 31 of the first image
	im, labels, err := ReadCIFAR10Batch(writeFile(t, "data_batch_1.bin", content))
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 2 || im.Height != 32 || im.Width != 32 || im.Channels != 3 || len(im.Pixels) != 2*3072 {
		t.Fatalf("got %d images %dx%dx%d with %d pixels, want 2 of 32x32x3", im.N, im.Height, im.Width, im.Channels, len(im.Pixels))
	}
	if labels[0] != 3 || labels[1] != 9 {
		t.Errorf("labels %v, want [3 9]", labels)
	}
	first := im.Image(0)
	for p := range 1024 {
		want := []byte{10, 20, 30}
		switch p {
		case 5*32 + 7:
			want = []byte{99, 20, 30}
		case 31*32 + 31:
			want = []byte{10, 20, 77}
		}
		if got := first[3*p : 3*p+3]; !bytes.Equal(got, want) {
			t.Fatalf("image 0, pixel (%d,%d) = %v, want the RGB triplet %v", p/32, p%32, got, want)
		}
	}
	if got := im.Image(1)[3*100 : 3*100+3]; !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("image 1, pixel 100 = %v, want [1 2 3]", got)
	}
}

func TestReadCIFAR10BatchErrors(t *testing.T) {
	good := cifarRecord(1, 0, 0, 0)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name     string
		content  []byte
		mentions []string
	}{
		{"truncated", cat(good, good[:100]), []string{"cut.bin", "record 2 at offset 3073", "incomplete (100 of 3073 bytes)"}},
		{"shorter than a record", good[:5], []string{"cut.bin", "record 1 at offset 0", "incomplete"}},
		{"bad label", cat(good, cifarRecord(12, 0, 0, 0), good), []string{"cut.bin", "record 2 of 3 at offset 3073", "label 12"}},
		{"empty", nil, []string{"cut.bin", "empty"}},
	}
	for _, c := range cases {
		_, _, err := ReadCIFAR10Batch(writeFile(t, "cut.bin", c.content))
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, m := range c.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, m)
			}
		}
	}
	if _, _, err := ReadCIFAR10Batch(t.TempDir()); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Errorf("a folder as batch: error %v", err)
	}
}

// writeCIFAR10 writes the six batches into dir, record k of batch b with label b and red value
// 10·b + k, so that the order after loading can be checked.
func writeCIFAR10(t *testing.T, dir string, perBatch int) {
	t.Helper()
	for b, name := range append(append([]string{}, CIFAR10TrainFiles...), CIFAR10TestFile) {
		var content []byte
		for k := range perBatch {
			content = append(content, cifarRecord(byte(b), byte(10*b+k), 0, 0)...)
		}
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir, 2)
	train, trainLabels, test, testLabels, err := LoadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 10 || len(trainLabels) != 10 || len(train.Pixels) != 10*3072 || test.N != 2 || len(testLabels) != 2 {
		t.Fatalf("%d train images (%d labels, %d pixels), %d test images (%d labels), want 10 and 2",
			train.N, len(trainLabels), len(train.Pixels), test.N, len(testLabels))
	}
	for i := range train.N { // batch i/2, record i%2
		if b := i / 2; trainLabels[i] != byte(b) || train.Image(i)[0] != byte(10*b+i%2) {
			t.Errorf("train image %d: label %d, red %d; want %d and %d", i, trainLabels[i], train.Image(i)[0], b, 10*b+i%2)
		}
	}
	if testLabels[1] != 5 || test.Image(1)[0] != 51 {
		t.Errorf("test image 1: label %d, red %d; want 5 and 51", testLabels[1], test.Image(1)[0])
	}

	// The folder the archive unpacks to is found inside the given one.
	parent := t.TempDir()
	os.Mkdir(filepath.Join(parent, "cifar-10-batches-bin"), 0o755)
	writeCIFAR10(t, filepath.Join(parent, "cifar-10-batches-bin"), 1)
	if train, _, _, _, err := LoadCIFAR10(parent); err != nil || train.N != 5 {
		t.Errorf("from the archive's parent folder: %v", err)
	}

	os.Remove(filepath.Join(dir, "data_batch_3.bin"))
	if _, _, _, _, err := LoadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "data_batch_3.bin is missing") || !strings.Contains(err.Error(), dir) {
		t.Errorf("missing batch: error %v does not name data_batch_3.bin and the folder", err)
	}
	writeCIFAR10(t, dir, 1)
	os.Remove(filepath.Join(dir, "test_batch.bin"))
	if _, _, _, _, err := LoadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "test_batch.bin is missing") {
		t.Errorf("missing test batch: error %v does not name test_batch.bin", err)
	}
}

// CIFAR-10 is bounded as MNIST is: from the batches' sizes, before any is read, naming them, their
// sizes and the limit (five sparse batches of 671 081 740 bytes ran training out of memory after 20 s;
// eleventh probe). Batches within the limit load as before.
func TestLoadCIFAR10WithinRefusesFromTheSizes(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir, 2)
	if train, _, _, _, err := LoadCIFAR10Within(dir, 1<<20); err != nil || train.N != 10 {
		t.Fatalf("10 training images within 1 MiB: %v", err)
	}
	for _, name := range CIFAR10TrainFiles {
		if err := os.Truncate(filepath.Join(dir, name), 671081740); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
	}
	start := time.Now()
	_, _, _, _, err := LoadCIFAR10Within(dir, 1<<30)
	for _, want := range []string{dir, "data_batch_1.bin of 671081740 bytes", "data_batch_5.bin of 671081740 bytes", "1091900 images", "3.12 GiB", "1.00 GiB"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("3.4 GB of training batches within 1 GiB: error %v, want one naming %q", err, want)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the refusal took %s: the batches were read first", d)
	}
	writeCIFAR10(t, dir, 1)
	if err := os.Truncate(filepath.Join(dir, CIFAR10TestFile), 3073*400); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := LoadCIFAR10Within(dir, 3072*100); err == nil || !strings.Contains(err.Error(), "test_batch.bin of 1229200 bytes hold 400 images") {
		t.Errorf("a test batch of 400 images within 100: error %v, want a refusal naming it", err)
	}
	// A missing test batch, or one cut inside a record, is refused before the training batches are read
	// (13 s and 3 GB first; twenty-second probe).
	for _, name := range CIFAR10TrainFiles {
		if err := os.Truncate(filepath.Join(dir, name), 3073*100_000); err != nil { // sparse
			t.Fatal(err)
		}
	}
	// Nor one whose last record's label is not a class (10 s and 3 GB first; twenty-fifth probe).
	badLabel := make([]byte, 3073*3)
	badLabel[3073*2] = 200
	for _, c := range []struct {
		content []byte // of the test batch; nil: none
		want    string
	}{
		{nil, "test_batch.bin is missing"},
		{make([]byte, 3073*2+5), "test_batch.bin is 6151 bytes, not whole records of 3073 bytes"},
		{badLabel, "test_batch.bin: record 3 of 3 at offset 6146 has label 200, want 0..9"},
		{[]byte{}, "test_batch.bin is empty"}, // twenty-sixth probe
	} {
		os.Remove(filepath.Join(dir, CIFAR10TestFile))
		if c.content != nil {
			os.WriteFile(filepath.Join(dir, CIFAR10TestFile), c.content, 0o644) //nolint:errcheck
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, _, _, err := LoadCIFAR10Within(dir, 1<<40)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("a test batch of %d bytes: error %v, want %q", len(c.content), err, c.want)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Errorf("a test batch of %d bytes: refusing it read the training batches (%d MiB)", len(c.content), grew>>20)
		}
	}
}

// A batch of more records than MaxCIFARRecords is refused from its size, before any allocation: a
// sparse file of 123 GB was a fatal out-of-memory in makeslice (forty-first probe), through
// ReadCIFAR10Batch and LoadCIFAR10 alike.
func TestReadCIFAR10BatchIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data_batch_1.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(cifarRecordSize * 40_000_000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, _, err := ReadCIFAR10Batch(path); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("a batch of 40 000 000 records: %v, want a refusal from its size", err)
	}
	if _, _, _, _, err := LoadCIFAR10(filepath.Dir(path)); err == nil {
		t.Error("LoadCIFAR10 of a batch of 40 000 000 records: no error")
	}
}
