package data

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadCIFAR10Batch feeds arbitrary files to the CIFAR-10 reader: it must never panic, and must
// return an error or images and labels that agree. Seeds are here and in
// testdata/fuzz/FuzzReadCIFAR10Batch; fuzz with
//
//	TMPDIR=/dev/shm go test ./data -run '^$' -fuzz FuzzReadCIFAR10Batch -fuzztime 30s -fuzzminimizetime 3s
//
// (each input is written to a file, which a tmpfs makes several times faster; and the default
// minute of minimizing every new input, byte by byte, stalls the run on 3 KiB records).
func FuzzReadCIFAR10Batch(f *testing.F) {
	f.Add(cifarRecord(1, 2, 3, 4))                                           // valid
	f.Add(append(cifarRecord(0, 0, 0, 0), cifarRecord(9, 255, 255, 255)...)) // valid, two records
	f.Add(cifarRecord(11, 0, 0, 0))                                          // label out of range
	f.Add(cifarRecord(1, 2, 3, 4)[:3000])                                    // truncated
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{})
	// One file, rewritten for each input: a worker runs inputs one at a time, and a fresh
	// t.TempDir per input costs more than the read itself, which slows minimization to a crawl.
	path := filepath.Join(f.TempDir(), "b.bin")
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		im, labels, err := ReadCIFAR10Batch(path)
		if err != nil {
			return
		}
		if im.N < 1 || im.Height != 32 || im.Width != 32 || im.Channels != 3 ||
			len(im.Pixels) != im.N*im.Height*im.Width*im.Channels || len(labels) != im.N || len(content) != im.N*3073 {
			t.Fatalf("%d pixels and %d labels for %d images of %dx%dx%d from %d bytes",
				len(im.Pixels), len(labels), im.N, im.Height, im.Width, im.Channels, len(content))
		}
		for i, l := range labels {
			if l > 9 || im.Image(i)[0] != content[i*3073+1] {
				t.Fatalf("record %d: label %d, first red %d, want ≤ 9 and %d", i, l, im.Image(i)[0], content[i*3073+1])
			}
		}
	})
}
