package data

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzReadIDXImages feeds arbitrary files to the IDX readers: they must never panic nor allocate
// what a corrupt header asks for, and must return an error or a consistent result. Seeds are here
// and in testdata/fuzz/FuzzReadIDXImages; fuzz with
//
//	TMPDIR=/dev/shm go test ./data -run '^$' -fuzz FuzzReadIDXImages -fuzztime 30s -fuzzminimizetime 3s
//
// (each input is written to a file, which a tmpfs makes several times faster; and the default
// minute of minimizing every new input, byte by byte, eats short runs).
func FuzzReadIDXImages(f *testing.F) {
	f.Add(idxBytes([]int{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8})) // valid
	f.Add(gzipped(idxBytes([]int{1, 3, 1}, []byte{9, 9, 9})))       // valid, gzip
	f.Add(idxBytes([]int{2, 2, 2}, []byte{1, 2}))                   // truncated pixels
	f.Add(idxBytes([]int{1 << 20, 1 << 10, 1 << 10}, nil))          // absurd dimensions
	f.Add(idxBytes([]int{3}, []byte{1, 2, 3}))                      // labels, not images
	f.Add(gzipped(idxBytes([]int{1, 1, 1}, []byte{7}))[:20])        // truncated gzip
	f.Add(append(idxBytes([]int{1, 1, 2}, []byte{7, 8}), 0))        // trailing byte
	f.Add([]byte{0x1f, 0x8b})                                       // gzip magic only
	// One file, rewritten for each input: a worker runs inputs one at a time, and a fresh
	// t.TempDir per input costs more than the read itself, which slows minimization to a crawl.
	path := filepath.Join(f.TempDir(), "f.idx")
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		if im, err := ReadIDXImages(path); err == nil {
			if im.N < 1 || im.Height < 1 || im.Width < 1 || im.Channels != 1 || len(im.Pixels) != im.N*im.Height*im.Width*im.Channels {
				t.Fatalf("%d pixels for %d images of %dx%dx%d", len(im.Pixels), im.N, im.Height, im.Width, im.Channels)
			}
			// LoadMNISTWithin reads the header alone first: it must declare what was read.
			dims, err := peekIDX(path, func(r *offsetReader) ([]int, error) { return readIDXImagesHeader(r, 0) })
			if err != nil || dims[0] != im.N || dims[1] != im.Height || dims[2] != im.Width {
				t.Fatalf("header %v (%v) for %d images of %dx%d", dims, err, im.N, im.Height, im.Width)
			}
		}
		// The labels reader shares the header and body code; the same input exercises it, and MNIST's
		// reader of digits.
		if labels, err := ReadIDXLabels(path); err == nil && len(labels) == 0 {
			t.Fatal("no labels and no error")
		}
		if labels, err := readIDXLabels(path, 1<<20, 9); err == nil && (len(labels) == 0 || slices.Max(labels) > 9) {
			t.Fatalf("labels %v: want 1 or more, 0..9", labels)
		}
	})
}
