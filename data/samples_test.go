package data

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npz"
)

// writeNpy writes v (nested slices) as a NumPy array file.
func writeNpy(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := npy.Write(f, v); err != nil {
		t.Fatal(err)
	}
}

// Three 2×3 images with pixel values k = 0, 51, …, 255 in each encoding LoadSamples accepts come back
// as the same float32 values k/127.5 − 1; wrong shapes, ranges and dtypes are refused naming the
// file and what was found.
func TestLoadSamplesEncodings(t *testing.T) {
	dir := t.TempDir()
	levels := []uint8{0, 51, 102, 153, 204, 255}
	want := make([]float32, 0, 18)
	u8 := make([][][]uint8, 3)
	f01 := make([][][][]float32, 3) // N×H×W×1 in [0, 1]
	fpm := make([][][][]float64, 3) // N×1×H×W in [−1, 1]
	for i := range 3 {
		u8[i] = make([][]uint8, 2)
		f01[i] = make([][][]float32, 2)
		fpm[i] = [][][]float64{make([][]float64, 2)}
		for y := range 2 {
			u8[i][y] = make([]uint8, 3)
			f01[i][y] = make([][]float32, 3)
			fpm[i][0][y] = make([]float64, 3)
			for x := range 3 {
				k := levels[(i+y*3+x)%6]
				u8[i][y][x] = k
				f01[i][y][x] = []float32{float32(k) / 255}
				fpm[i][0][y][x] = float64(k)/127.5 - 1
				want = append(want, float32(k)/127.5-1)
			}
		}
	}
	writeNpy(t, filepath.Join(dir, "u8.npy"), u8)
	writeNpy(t, filepath.Join(dir, "f01.npy"), f01)
	if err := npz.Write(filepath.Join(dir, "pm.npz"), map[string]any{"samples": fpm}); err != nil {
		t.Fatal(err)
	}
	pngs := filepath.Join(dir, "pngs")
	os.Mkdir(pngs, 0o755)
	for i := range 3 {
		img := image.NewGray(image.Rect(0, 0, 3, 2))
		for y := range 2 {
			for x := range 3 {
				img.SetGray(x, y, color.Gray{Y: u8[i][y][x]})
			}
		}
		writeImage(t, pngs, []string{"a.png", "b.png", "c.png"}[i], img)
	}
	for _, name := range []string{"u8.npy", "f01.npy", "pm.npz", "pngs"} {
		got, n, err := LoadSamples(filepath.Join(dir, name), 2, 3)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n != 3 || len(got) != len(want) {
			t.Fatalf("%s: %d images, %d values", name, n, len(got))
		}
		for i := range want {
			if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("%s: value %d is %g, want %g", name, i, got[i], want[i])
			}
		}
	}

	bad := map[string]struct {
		v    any
		want string
	}{
		"shape.npy":  {[][]uint8{{1, 2, 3}}, "shape [1 3]"},
		"range.npy":  {[][][]float32{{{0, 255, 3}, {1, 2, 3}}}, "from 0 to 255"},
		"dtype.npy":  {[][][]int16{{{0, 1, 3}, {1, 2, 3}}}, `dtype "<i2"`},
		"wrongw.npy": {[][][]uint8{{{0, 1}, {1, 2}}}, "shape [1 2 2]"},
	}
	for name, c := range bad {
		path := filepath.Join(dir, name)
		writeNpy(t, path, c.v)
		if _, _, err := LoadSamples(path, 2, 3); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming the file and %q", name, err, c.want)
		}
	}
	two := filepath.Join(dir, "two.npz")
	npz.Write(two, map[string]any{"a": u8, "b": u8})
	if _, _, err := LoadSamples(two, 2, 3); err == nil || !strings.Contains(err.Error(), "2 arrays") {
		t.Errorf("an archive of two arrays: error %v", err)
	}
	if _, _, err := LoadSamples(filepath.Join(dir, "x.txt"), 2, 3); err == nil || !strings.Contains(err.Error(), "x.txt") {
		t.Errorf("a missing file: error %v", err)
	}
}

// EncodeSamples writes what LoadSamples (and NumPy) read back: images as N×H×W×1 uint8 on the 8-bit
// grid k/127.5 − 1 (values between two levels rounded to the nearer, outside [−1, 1] clipped), labels
// as arr_1 of an .npz, which LoadSampleLabels returns; an .npy refuses labels.
func TestEncodeSamplesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	const n, h, w = 3, 2, 3
	x := make([]float32, n*h*w)
	for i := range x {
		x[i] = float32(i%7)/3 - 1 // -1, -2/3, …, 1
	}
	x[0], x[1] = -1.5, 1.5
	want := make([]float32, len(x))
	for i, v := range x {
		k := math.Round(math.Min(math.Max((float64(v)+1)*127.5, 0), 255))
		want[i] = float32(k)/127.5 - 1
	}
	labels := []int{7, 0, 3}
	for _, c := range []struct {
		ext    string
		labels []int
	}{{".npy", nil}, {".npz", nil}, {".npz", labels}} {
		path := filepath.Join(dir, fmt.Sprintf("s%d%s", len(c.labels), c.ext))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := EncodeSamples(f, c.ext, x, n, []int{h, w, 1}, c.labels); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, m, err := LoadSamples(path, h, w)
		if err != nil || m != n || !slices.Equal(got, want) {
			t.Errorf("%s: read back %v (%d samples, %v), want %v", path, got, m, err, want)
		}
		gotLabels, err := LoadSampleLabels(path, n, 10)
		if err != nil || !slices.Equal(gotLabels, c.labels) {
			t.Errorf("%s: labels %v %v, want %v", path, gotLabels, err, c.labels)
		}
		// The members as NumPy's savez names them (forty-fourth probe: "arr_0" without ".npy").
		if c.ext == ".npz" {
			z, err := zip.OpenReader(path)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range z.File {
				names = append(names, m.Name)
			}
			z.Close()
			if want := []string{"arr_0.npy", "arr_1.npy"}[:1+min(len(c.labels), 1)]; !slices.Equal(names, want) {
				t.Errorf("%s holds %v, want %v", path, names, want)
			}
		}
		// No classes to check against is the caller's error, named as such (it said "want a class in 0..-1").
		if _, err := LoadSampleLabels(path, n, 0); err == nil || !strings.Contains(err.Error(), "at least one class") {
			t.Errorf("%s: labels in 0 classes: %v", path, err)
		}
		if err := CheckSampleLabels(path, n, -1); err == nil || !strings.Contains(err.Error(), "at least one class") {
			t.Errorf("%s: labels checked in -1 classes: %v", path, err)
		}
	}
	if err := EncodeSamples(nil, ".npy", x, n, []int{h, w, 1}, nil); err == nil || !strings.Contains(err.Error(), "no writer") { // it panicked
		t.Errorf("a nil writer: %v", err)
	}
	bad := slices.Clone(x)
	bad[1] = float32(math.NaN())
	if err := EncodeSamples(io.Discard, ".npy", bad, n, []int{h, w, 1}, nil); err == nil || !strings.Contains(err.Error(), "value 1 (sample 0) is NaN") { // written as black
		t.Errorf("a NaN value: %v", err)
	}
	if err := EncodeSamples(io.Discard, ".npy", x, n, []int{h, w, 1}, labels); err == nil || !strings.Contains(err.Error(), ".npz") {
		t.Errorf("labels in an .npy: error %v, want one pointing to .npz", err)
	}
	// 2-D points stay float32, N×2.
	var buf bytes.Buffer
	points := []float32{0.5, -1.25, 3, 4}
	if err := EncodeSamples(&buf, ".npy", points, 2, []int{2}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := npy.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var got []float32
	if err := r.Read(&got); err != nil || !slices.Equal(r.Header.Descr.Shape, []int{2, 2}) || !slices.Equal(got, points) {
		t.Errorf("points: shape %v, values %v (%v), want [2 2] and %v", r.Header.Descr.Shape, got, err, points)
	}
}

// Inputs that are not regular files are refused at once, by name: a FIFO would block the reader
// forever (each call runs under a deadline so that a regression fails rather than hangs). A folder
// of samples of the wrong size is refused from the headers, without suggesting a --resize that eval
// does not have.
func TestLoadSamplesRefusesSpecialFilesAndSizes(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"fifo.npy", "fifo.npz"} {
		path := filepath.Join(dir, name)
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, _, err := LoadSamples(path, 28, 28); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "FIFO") {
				t.Errorf("%s: error %v, want one naming the file as a FIFO", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: LoadSamples blocked on a FIFO", name)
		}
	}
	folder := filepath.Join(dir, "big")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	writeImage(t, folder, "a.png", image.NewGray(image.Rect(0, 0, 64, 64)))
	_, _, err := LoadSamples(folder, 28, 28)
	if err == nil || !strings.Contains(err.Error(), "64x64") || !strings.Contains(err.Error(), "want 28x28") || strings.Contains(err.Error(), "--resize") {
		t.Errorf("a folder of 64×64 images: error %v, want one naming the size and 28x28, and no --resize", err)
	}
	// A link to a missing file is named as a link, in samples and in training data: "stat zz.png: no
	// such file or directory" sent the user after a file that was there (sixty-third probe).
	linked := filepath.Join(dir, "linked")
	if err := os.Mkdir(linked, 0o755); err != nil {
		t.Fatal(err)
	}
	writeImage(t, linked, "a.png", image.NewGray(image.Rect(0, 0, 28, 28)))
	if err := os.Symlink(filepath.Join(dir, "gone.png"), filepath.Join(linked, "zz.png")); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(linked, "zz.png") + " is a symbolic link to " + filepath.Join(dir, "gone.png") + ", which is missing"
	if _, _, err := LoadSamples(linked, 28, 28); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("samples with a link to nothing: error %v, want %q", err, want)
	}
	if _, err := LoadImageFolder(linked, FolderOptions{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("training images with a link to nothing: error %v, want %q", err, want)
	}
}

// ReadSamples refuses more than its maximum of images from the array's header or the folder's count of
// image files, before any data is read: an .npy of 171 000 float64 images, 1 GiB, was read (2.8 GB)
// before eval refused it, and a folder of 61 000 PNGs was decoded first (eleventh probe).
func TestReadSamplesRefusesMoreThanTheMaximumBeforeReading(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "many.npy")
	header := npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (171000, 28, 28), }", nil)
	if err := os.WriteFile(path, header, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(len(header))+171000*28*28*8); err != nil { // sparse zeros: valid samples
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadSamples(path, 28, 28, 60000)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "declares 171000 images: more than the 60000 allowed") {
		t.Errorf("171 000 images, at most 60 000: error %v, want a refusal naming the file, the count and the maximum", err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 64<<20 {
		t.Errorf("refusing 171 000 images allocated %d MiB: they were read first", allocated>>20)
	}
	folder := filepath.Join(dir, "pngs")
	os.Mkdir(folder, 0o755)
	for i := range 4 {
		writeImage(t, folder, fmt.Sprintf("%d.png", i), image.NewGray(image.Rect(0, 0, 3, 2)))
	}
	if err := os.WriteFile(filepath.Join(folder, "4.png"), []byte("not decoded"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSamples(folder, 2, 3, 4); err == nil || !strings.Contains(err.Error(), folder+": 5 image files: more than the 4 allowed") {
		t.Errorf("5 image files, at most 4: error %v, want a refusal from the count, before any is decoded", err)
	}
}

// The samples' SHA-256 covers exactly the files read: a file's bytes, as sha256sum gives them; a
// folder's image files, name and bytes, in order (bytes after an image's end too). What else the
// folder holds is neither hashed nor opened: eval hashed it all, and a FIFO there hung it, a link to
// /dev/zero read forever, a symbolic link loop refused the run and a report in a subfolder changed the
// sum on every run (eleventh probe). Each call runs under a deadline, so that a regression fails.
func TestReadSamplesHashesExactlyTheFilesRead(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "pngs")
	os.MkdirAll(filepath.Join(folder, "report"), 0o755)
	want := sha256.New()
	for i := range 3 {
		name := fmt.Sprintf("%d.png", i)
		writeImage(t, folder, name, uniform(3, 2, color.Gray{Y: uint8(40 * i)}))
		if i == 1 { // bytes after the image's end, which the decoder does not read
			f, _ := os.OpenFile(filepath.Join(folder, name), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("trailing") //nolint:errcheck
			f.Close()
		}
		raw, _ := os.ReadFile(filepath.Join(folder, name))
		want.Write(append(fmt.Appendf(nil, "%s\x00%d\x00", name, len(raw)), raw...))
	}
	writeImage(t, filepath.Join(folder, "report"), "grid.png", uniform(3, 2, color.Gray{Y: 9}))
	if err := syscall.Mkfifo(filepath.Join(folder, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/dev/zero", filepath.Join(folder, "zero")) //nolint:errcheck
	os.Symlink("loop", filepath.Join(folder, "loop"))      //nolint:errcheck
	npyPath := filepath.Join(dir, "s.npy")
	writeNpy(t, npyPath, [][][]uint8{{{1, 2, 3}, {4, 5, 6}}, {{7, 8, 9}, {10, 11, 12}}})
	raw, _ := os.ReadFile(npyPath)
	fileSum := sha256.Sum256(raw)
	for path, sum := range map[string]string{folder: hex.EncodeToString(want.Sum(nil)), npyPath: hex.EncodeToString(fileSum[:])} {
		done := make(chan *Samples, 1)
		go func() {
			s, err := ReadSamples(path, 2, 3, 10)
			if err != nil {
				t.Errorf("%s: %v", path, err)
			}
			done <- s
		}()
		select {
		case s := <-done:
			if s != nil && (s.SHA256 != sum || s.N != map[string]int{folder: 3, npyPath: 2}[path]) {
				t.Errorf("%s: %d samples of SHA-256 %s, want %s", path, s.N, s.SHA256, sum)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: ReadSamples blocked", path)
		}
	}
}

// An archive of many arrays is refused naming at most a dozen, each cut short, and their count: 300
// members of 65 000-character names made a message of 19.5 MB (eleventh probe).
func TestLoadSamplesListsAFewOfManyArrays(t *testing.T) {
	members := map[string][]byte{}
	for i := range 30 {
		members[fmt.Sprintf("%02d%s.npy", i, strings.Repeat("x", 2000))] = nil
	}
	path := writeFile(t, "many.npz", zipOf(members))
	_, _, err := LoadSamples(path, 2, 3)
	if err == nil || !strings.Contains(err.Error(), "30 arrays") || !strings.Contains(err.Error(), "and 18 more") || len(err.Error()) > 2000 {
		t.Errorf("30 arrays of long names: error of %d bytes (%.300v), want a short one naming their count", len(fmt.Sprint(err)), err)
	}
}

// Two folders that hold other images have other sums: without each file's length, a.png holding the
// bytes of "b.png\x00" and b.png after its own image gave the sum of the folder of a, b and c (twelfth
// probe).
func TestSamplesOfTwoFoldersAreToldApart(t *testing.T) {
	three, two := t.TempDir(), t.TempDir()
	raw := map[string][]byte{}
	for i, name := range []string{"a.png", "b.png", "c.png"} {
		writeImage(t, three, name, uniform(3, 2, color.Gray{Y: uint8(60 * i)}))
		raw[name], _ = os.ReadFile(filepath.Join(three, name))
	}
	merged := append(append(append([]byte{}, raw["a.png"]...), "b.png\x00"...), raw["b.png"]...)
	if err := os.WriteFile(filepath.Join(two, "a.png"), merged, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(two, "c.png"), raw["c.png"], 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := ReadSamples(three, 2, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadSamples(two, 2, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.N == b.N || a.SHA256 == b.SHA256 {
		t.Errorf("folders of %d and %d images: sums %s and %s, want two", a.N, b.N, a.SHA256, b.SHA256)
	}
}

// An archive with two members of one array (arr_0 and arr_0.npy, or a name twice) is refused: the last
// one was read, where NumPy may read the other (twelfth probe).
func TestNPZOfOneArrayTwiceIsRefused(t *testing.T) {
	valid := npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 3), }", make([]byte, 12))
	for _, names := range [][2]string{{"arr_0", "arr_0.npy"}, {"arr_0.npy", "arr_0.npy"}} {
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		for _, name := range names {
			w, err := z.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(valid) //nolint:errcheck
		}
		z.Close()
		path := writeFile(t, "twice.npz", buf.Bytes())
		if _, _, err := LoadSamples(path, 2, 3); err == nil || !strings.Contains(err.Error(), "are both the array") {
			t.Errorf("members %v: error %v, want a refusal", names, err)
		}
	}
}

// An archive's members are counted before Go's reader builds an entry for each: 11 million empty
// members took 3.7 GB and 13 s before the one-array refusal (seventeenth probe). They are counted by
// walking the directory as that reader does, not from the recorded count: an end record saying 1 of
// 65 537 (the reader compares 16 bits), or a zip64 record found through the offset's sentinel, got past
// a count read from the end record (eighteenth probe).
func TestNPZOfManyMembersIsRefusedBeforeItIsRead(t *testing.T) {
	written := func(n int) []byte { // by Go's writer: zip64 past 65 534 members
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		for i := range n {
			if _, err := z.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("m%d", i), Method: zip.Store}); err != nil {
				t.Fatal(err)
			}
		}
		z.Close()
		return buf.Bytes()
	}
	// directory is n entries (no local headers: the reader reads none to list them) and the end records.
	directory := func(n int) []byte {
		var dir bytes.Buffer
		for i := range n {
			name := fmt.Sprintf("m%d", i)
			entry := make([]byte, 46)
			binary.LittleEndian.PutUint32(entry, 0x02014b50)
			binary.LittleEndian.PutUint16(entry[28:], uint16(len(name)))
			dir.Write(entry)
			dir.WriteString(name)
		}
		return dir.Bytes()
	}
	end := func(records uint16, size, offset uint32) []byte {
		e := make([]byte, 22)
		binary.LittleEndian.PutUint32(e, 0x06054b50)
		binary.LittleEndian.PutUint16(e[8:], records)
		binary.LittleEndian.PutUint16(e[10:], records)
		binary.LittleEndian.PutUint32(e[12:], size)
		binary.LittleEndian.PutUint32(e[16:], offset)
		return e
	}
	wrapped := directory(65_537)
	lowBits := append(bytes.Clone(wrapped), end(1, uint32(len(wrapped)), 0)...) // 65 537 mod 65 536 = 1
	dir := directory(1000)
	record := make([]byte, 56)
	binary.LittleEndian.PutUint32(record, 0x06064b50)
	binary.LittleEndian.PutUint64(record[24:], 1000)
	binary.LittleEndian.PutUint64(record[32:], 1000)
	binary.LittleEndian.PutUint64(record[40:], uint64(len(dir)))
	locator := make([]byte, 20)
	binary.LittleEndian.PutUint32(locator, 0x07064b50)
	binary.LittleEndian.PutUint64(locator[8:], uint64(len(dir)))
	binary.LittleEndian.PutUint32(locator[16:], 1)
	sentinel := append(append(append(bytes.Clone(dir), record...), locator...), end(1, uint32(len(dir)), 0xffffffff)...)
	// A base offset: the directory recorded at 100 lies at 1 100, and at 100 sits one entry that Go's
	// reader refuses (its local header at 2^32 − 1, no zip64 field); which directory it reads decides
	// whether 1 or 1 000 entries are built (nineteenth probe).
	based := make([]byte, 1100)
	decoy := directory(1)
	binary.LittleEndian.PutUint32(decoy[42:], 0xffffffff)
	copy(based[100:], decoy)
	based = append(append(based, dir...), end(uint16(1000), uint32(len(dir)), 100)...)
	for name, archive := range map[string][]byte{
		"65 members": written(maxNPZMembers + 1), "70 000 members, zip64": written(70_000),
		"an end record saying 1 of 65 537": lowBits, "zip64 through the offset's sentinel": sentinel, "a base offset behind a decoy": based,
	} {
		if n, ok := zipMembers(bytes.NewReader(archive), int64(len(archive)), maxNPZMembers); !ok || n != maxNPZMembers+1 {
			t.Errorf("%s: zipMembers %d, %v, want %d (counting stops there)", name, n, ok, maxNPZMembers+1)
		}
		path := writeFile(t, "many.npz", archive)
		if _, _, err := LoadSamples(path, 2, 3); err == nil || !strings.Contains(err.Error(), "more than 64 members") {
			t.Errorf("%s: error %v, want a refusal of the members", name, err)
		}
	}
	if n, ok := zipMembers(bytes.NewReader(written(2)), int64(len(written(2))), maxNPZMembers); !ok || n != 2 {
		t.Errorf("two members: zipMembers %d, %v", n, ok)
	}
}

// CheckSampleLabels checks an .npz's labels against its images' header without reading the images:
// labels of another count, or a label of 12, were refused after the images were read, 1 GB for a file
// of 366 KB (twenty-fifth probe). Here the images' data is missing, which reading them would refuse.
func TestCheckSampleLabelsBeforeTheImages(t *testing.T) {
	dir := t.TempDir()
	images := npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 28, 28), }", nil)
	labels := func(shape string, values ...int64) []byte {
		var body []byte
		for _, v := range values {
			body = binary.LittleEndian.AppendUint64(body, uint64(v))
		}
		return npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': ("+shape+"), }", body)
	}
	digits := make([]int64, 1000)
	for i := range digits {
		digits[i] = int64(i % 10)
	}
	twelve := slices.Clone(digits)
	twelve[999] = 12
	for _, c := range []struct {
		name   string
		labels []byte
		want   string
	}{
		{"five labels", labels("5,", 0, 1, 2, 3, 4), "labels of shape [5] for 1000 images, want [1000]"},
		{"a label of 12", labels("1000,", twelve...), "label 999 is 12, want a class in 0..9"},
		{"good labels", labels("1000,", digits...), ""},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".npz")
		if err := os.WriteFile(path, zipOf(map[string][]byte{"arr_0.npy": images, "arr_1.npy": c.labels}), 0o644); err != nil {
			t.Fatal(err)
		}
		err := CheckSampleLabels(path, 60000, 10)
		if (c.want == "" && err != nil) || (c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want))) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if _, err := ReadSamples(path, 28, 28, 60000); err == nil {
			t.Errorf("%s: images without their data were read", c.name)
		}
	}
}

// EncodeSamples refuses what it cannot write, or what its readers refuse: negative sizes panicked,
// sizes whose product overflowed an int ran out of memory, and a label of −7 was written into a file
// that LoadSampleLabels refused (thirty-third probe).
func TestEncodeSamplesRefusesWhatItCannotWrite(t *testing.T) {
	for name, c := range map[string]struct {
		x      []float32
		n      int
		dims   []int
		labels []int
	}{
		"negative sizes":   {make([]float32, 1), 1, []int{-1, -1, 1}, nil},
		"an int overflown": {nil, 1, []int{1 << 32, 1 << 32, 1}, nil},
		"a negative label": {make([]float32, 4), 1, []int{2, 2, 1}, []int{-7}},
	} {
		if err := EncodeSamples(io.Discard, ".npz", c.x, c.n, c.dims, c.labels); err == nil {
			t.Errorf("EncodeSamples of %s: no error", name)
		}
	}
	for _, n := range []int{1 << 62, MaxToyPoints + 1} {
		if _, err := Toy2D("moons", n, 0); err == nil {
			t.Errorf("Toy2D of %d points: no error", n)
		}
	}
}

// Samples with transparent pixels are refused by name: a grey-and-alpha PNG of alpha 0 was composed
// over black and read as a black image, where PIL (and the tools whose samples are scored) keep its
// grey (fifty-eighth probe). An alpha channel that is opaque everywhere is read as the grey it holds.
func TestReadSamplesRefusesTransparentImages(t *testing.T) {
	for _, c := range []struct {
		alpha uint8
		ok    bool
	}{{0, false}, {128, false}, {255, true}} {
		folder := t.TempDir()
		for i := range 2 {
			writeImage(t, folder, fmt.Sprintf("%d.png", i), uniform(3, 2, color.NRGBA{R: 200, G: 200, B: 200, A: c.alpha}))
		}
		s, err := ReadSamples(folder, 2, 3, 10)
		switch {
		case c.ok && (err != nil || s.Values[0] < 0.5):
			t.Errorf("opaque grey-and-alpha samples: %v, first value %v; want the grey 200", err, s)
		case !c.ok && (err == nil || !strings.Contains(err.Error(), "0.png has pixels that are not opaque")):
			t.Errorf("samples of alpha %d: %v; want a refusal naming 0.png", c.alpha, err)
		}
	}
}
