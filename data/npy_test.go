package data

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// storedZip is an archive whose members are stored uncompressed, so that a byte of a member can be
// flipped in place.
func storedZip(t *testing.T, members map[string][]byte) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range members {
			if !yield(k) {
				return
			}
		}
	}) {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[name]) //nolint:errcheck
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The reader takes what NumPy's format allows, not only what NumPy happens to write: the header's keys
// in any order, double quotes, Python 2's "3L", big-endian data; labels of any integer width.
func TestNPYReaderAcceptsWhatTheFormatAllows(t *testing.T) {
	dir := t.TempDir()
	pixels := []byte{0, 51, 102, 153, 204, 255}
	want := make([]float32, len(pixels))
	for i, p := range pixels {
		want[i] = float32(p)/127.5 - 1
	}
	bigEndian := make([]byte, 0, 24)
	for _, p := range pixels {
		bigEndian = binary.BigEndian.AppendUint32(bigEndian, math.Float32bits(float32(p)/255))
	}
	cases := map[string][]byte{
		"reordered.npy": npyBytes("{'shape': (1, 2, 3), 'fortran_order': False, 'descr': '|u1'}", pixels),
		"quotes.npy":    npyBytes(`{"descr": "|u1", "fortran_order": False, "shape": (1L, 2L, 3L), }`, pixels),
		"big.npy":       npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2, 3), }", bigEndian),
	}
	for name, content := range cases {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		got, n, err := LoadSamples(path, 2, 3)
		if err != nil || n != 1 {
			t.Fatalf("%s: %v (%d images)", name, err, n)
		}
		for i := range want {
			if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("%s: value %d is %g, want %g", name, i, got[i], want[i])
			}
		}
	}
	images := npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2, 3), }", make([]byte, 18))
	labelsOf := map[string][]byte{
		"<i4": binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 7), 0), 9),
		"|u1": {7, 0, 9},
		">i2": {0, 7, 0, 0, 0, 9},
		"<u8": binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 7), 0), 9),
	}
	for descr, body := range labelsOf {
		path := filepath.Join(dir, "labels.npz")
		arr1 := npyBytes("{'descr': '"+descr+"', 'fortran_order': False, 'shape': (3,), }", body)
		if err := os.WriteFile(path, storedZip(t, map[string][]byte{"arr_0.npy": images, "arr_1.npy": arr1}), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := LoadSampleLabels(path, 3, 10)
		if err != nil || !slices.Equal(got, []int{7, 0, 9}) {
			t.Errorf("labels as %s: %v, %v; want [7 0 9]", descr, got, err)
		}
	}
}

// What the format does not allow, or the project cannot use, is refused with the file and the reason:
// a corrupt archive member (its CRC-32), data after the array, a header with another key, labels that
// are not integers or not classes.
func TestNPYReaderRefusesCorruptOrUnusableFiles(t *testing.T) {
	dir := t.TempDir()
	pixels := []byte{0, 51, 102, 153, 204, 255}
	arr := npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 3), }", pixels)
	images3 := npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2, 3), }", make([]byte, 18))
	corrupt := storedZip(t, map[string][]byte{"arr_0.npy": arr})
	at := bytes.Index(corrupt, arr) + len(arr) - 1 // the member's last pixel, stored as is
	corrupt[at] ^= 0x40
	labels := func(descr string, body []byte) []byte {
		return storedZip(t, map[string][]byte{"arr_0.npy": images3,
			"arr_1.npy": npyBytes("{'descr': '"+descr+"', 'fortran_order': False, 'shape': (3,), }", body)})
	}
	var zeroCRC bytes.Buffer // a member whose CRC-32 is recorded as 0, which Go's reader does not check (fifteenth probe)
	zw := zip.NewWriter(&zeroCRC)
	if w, err := zw.CreateRaw(&zip.FileHeader{Name: "arr_0.npy", Method: zip.Store, CompressedSize64: uint64(len(arr)),
		UncompressedSize64: uint64(len(arr))}); err != nil {
		t.Fatal(err)
	} else if _, err := w.Write(arr); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	// A member whose recorded length is not its own (its CRC-32 right), which Go's reader holds it to:
	// reported as the data ending after 0 bytes (twentieth probe); and a member of 100 bytes whose
	// header claims 376 MB, allocated before the data ran out.
	recorded := func(member []byte, length int, flags uint16) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "arr_0.npy", Method: zip.Store, CRC32: crc32.ChecksumIEEE(member),
			CompressedSize64: uint64(len(member)), UncompressedSize64: uint64(length), Flags: flags})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(member) //nolint:errcheck
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	claim := npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (60000, 2, 3), }", make([]byte, 10))
	cases := []struct {
		name    string
		content []byte
		labels  bool // the error comes from LoadSampleLabels
		want    string
	}{
		{"zero-crc.npz", zeroCRC.Bytes(), false, "records a CRC-32 of 0"},
		{"corrupt.npz", corrupt, false, "CRC-32"},
		// A member flagged as encrypted, which NumPy refuses (sixty-third probe: it was scored).
		{"encrypted.npz", recorded(arr, len(arr), 0x1), false, `member "arr_0.npy" is encrypted`},
		{"recorded-short.npz", recorded(arr, len(arr)-1, 0), false, "records 5 bytes after its header, where the header declares 6 bytes of data"},
		{"recorded-long.npz", recorded(arr, len(arr)+1, 0), false, "records 7 bytes after its header, where the header declares 6 bytes of data"},
		{"claim.npz", recorded(claim, len(claim), 0), false, "records 10 bytes after its header, where the header declares 2880000 bytes"},
		{"signed-size.npy", npyBytes("{'descr': '|u+1', 'fortran_order': False, 'shape': (1, 2, 3), }", pixels), false, `"|u+1" is not a NumPy type string`},
		{"zero-size.npy", npyBytes("{'descr': '|u01', 'fortran_order': False, 'shape': (1, 2, 3), }", pixels), false, `"|u01" is not a NumPy type string`},
		{"trailing.npy", append(slices.Clone(arr), 1, 2), false, "2 bytes follow"},
		// A size above the reader's bound is said to be one (seventy-ninth probe's nit: "…, is not a size").
		{"huge-dim.npy", npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (4611686018427387904, 28, 28), }", pixels), false, `a dimension of "4611686018427387904" is more than`},
		{"overflow-dim.npy", npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999, 28, 28), }", pixels), false, `a dimension of "99999999999999999999" is more than`},
		{"short.npy", arr[:len(arr)-2], false, "ends after 4 of the 6 bytes"},
		{"extra-key.npy", npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 3), 'x': 'y'}", pixels), false, "keys [descr fortran_order shape x]"},
		{"float-labels.npz", labels("<f4", make([]byte, 12)), true, `dtype "<f4"`},
		{"label-12.npz", labels("|u1", []byte{1, 12, 3}), true, "label 1 is 12, want a class in 0..9"},
		{"label-neg.npz", labels("|i1", []byte{1, 2, 0xff}), true, "label 2 is -1"},
		// A long header is quoted by its first bytes, not whole (thirteenth probe).
		{"long-header.npy", npyBytes("{'descr': '"+strings.Repeat("x", 60000)+"', 'fortran_order': False, 'shape': (1, 2, 3), }", pixels), false, "… (60000 bytes) is not a NumPy type string"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if c.labels {
			_, err = LoadSampleLabels(path, 3, 10)
		} else {
			_, _, err = LoadSamples(path, 2, 3)
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Errorf("%s: refusing it allocated %d MiB", c.name, grew>>20)
		}
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) || len(err.Error()) > 1000 {
			t.Errorf("%s: error %.2000v, want one naming the file and %q, under 1000 bytes", c.name, err, c.want)
		}
	}
}
