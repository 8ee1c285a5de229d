package data

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// npyBytes is an .npy file (format 1.0) with the given header dictionary and body.
func npyBytes(dict string, body []byte) []byte {
	header := []byte(dict)
	for (10+len(header)+1)%64 != 0 {
		header = append(header, ' ')
	}
	header = append(header, '\n')
	out := append([]byte("\x93NUMPY\x01\x00"), binary.LittleEndian.AppendUint16(nil, uint16(len(header)))...)
	return append(append(out, header...), body...)
}

// zipOf is an archive of the given members.
func zipOf(members map[string][]byte) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, content := range members {
		w, _ := z.Create(name)
		w.Write(content) //nolint:errcheck
	}
	z.Close()
	return buf.Bytes()
}

// The samples readers never panic, hang or allocate what a header claims beyond the file: each input
// is read as .npy and, inside an archive, as .npz; a result must be a whole number of 2×3 images in
// [−1, 1]. Seeds: valid files (keys in any order, big-endian, labels of any width) and the malformed ones issue 32 found (a header cut off, header lengths
// of 65 535 and 0xFFFFFFF0 in a tiny file, 10^12 images claimed, an archive member that is text).
func FuzzLoadSamples(f *testing.F) {
	valid := npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 3), }", []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255})
	f.Add(valid)
	f.Add(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", make([]byte, 24)))
	f.Add(valid[:30])                                                                                  // header cut off
	f.Add(append([]byte("\x93NUMPY\x01\x00\xff\xff"), "12345678"...))                                  // 65 535-byte header
	f.Add(append([]byte("\x93NUMPY\x02\x00\xf0\xff\xff\xff"), "123456"...))                            // 0xFFFFFFF0
	f.Add(npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1000000000000, 2, 3), }", nil)) // 10^12 images
	f.Add(npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 3), }", []byte{1, 2}))    // short body
	f.Add(npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 3, }", nil))              // bad dictionary
	f.Add(zipOf(map[string][]byte{"a.txt": []byte("hello")}))
	f.Add(npyBytes("{'shape': (1, 2, 3), 'descr': '>f4', 'fortran_order': False}", make([]byte, 24)))      // keys reordered, big-endian
	f.Add(npyBytes(`{"descr": "|u1", "fortran_order": False, "shape": (2L, 2L, 3L), }`, make([]byte, 12))) // Python 2's sizes
	f.Add(zipOf(map[string][]byte{"arr_0.npy": valid, "arr_1.npy": npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", make([]byte, 8))}))
	f.Add(zipOf(map[string][]byte{"arr_0.npy": valid, "arr_1.npy": npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", make([]byte, 16))}))
	dir := f.TempDir()
	npy, npz := filepath.Join(dir, "f.npy"), filepath.Join(dir, "f.npz")
	f.Fuzz(func(t *testing.T, content []byte) {
		check := func(path string) {
			s, err := ReadSamples(path, 2, 3, 4) // LoadSamples is ReadSamples without a maximum
			if err != nil {
				return
			}
			x, n := s.Values, s.N
			if n < 1 || n > 4 || len(x) != n*6 {
				t.Fatalf("%s: %d values for %d images of 2×3, want 1 to 4", path, len(x), n)
			}
			if raw, _ := os.ReadFile(path); s.SHA256 != fmt.Sprintf("%x", sha256.Sum256(raw)) {
				t.Fatalf("%s: SHA-256 %s, not the file's", path, s.SHA256)
			}
			for _, v := range x {
				if !(v >= -1 && v <= 1) {
					t.Fatalf("%s: value %g outside [−1, 1]", path, v)
				}
			}
			LoadSampleLabels(path, n, 10) //nolint:errcheck // must not panic
		}
		if err := os.WriteFile(npy, content, 0o644); err != nil {
			t.Fatal(err)
		}
		check(npy)
		if err := os.WriteFile(npz, zipOf(map[string][]byte{"arr_0.npy": content}), 0o644); err != nil {
			t.Fatal(err)
		}
		check(npz)
		if err := os.WriteFile(npz, content, 0o644); err != nil { // the input itself as an archive
			t.Fatal(err)
		}
		check(npz)
	})
}
