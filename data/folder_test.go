package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// writeImage encodes img as PNG, or as JPEG when the name ends in .jpg or .jpeg in any case.
func writeImage(t *testing.T, dir, name string, img image.Image) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg":
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 100})
	default:
		err = png.Encode(f, img)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func uniform(w, h int, c color.Color) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}

func TestLoadImageFolderPixels(t *testing.T) {
	dir := t.TempDir()
	b := uniform(4, 3, color.RGBA{R: 200, G: 100, B: 50, A: 255}).(*image.RGBA)
	b.Set(2, 1, color.RGBA{R: 1, G: 2, B: 3, A: 255}) // row 1, column 2
	writeImage(t, dir, "b.png", b)
	writeImage(t, dir, "a.PNG", uniform(4, 3, color.RGBA{R: 10, G: 20, B: 30, A: 255}))
	writeImage(t, dir, "c.JPG", uniform(4, 3, color.RGBA{R: 0, G: 128, B: 255, A: 255}))
	gray := image.NewGray(image.Rect(0, 0, 4, 3))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(20 * i)
	}
	writeImage(t, dir, "d.png", gray)
	writeImage(t, dir, "e.png", uniform(4, 3, color.NRGBA{R: 255, G: 255, B: 255, A: 0})) // transparent
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub.png"), 0o755) // a folder is skipped, whatever its name
	// A hidden file too: macOS's metadata beside an image was refused as corrupt (seventeenth probe).
	os.WriteFile(filepath.Join(dir, "._b.png"), []byte("\x00\x05\x16\x07 AppleDouble"), 0o644)

	im, err := LoadImageFolder(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 5 || im.Height != 3 || im.Width != 4 || im.Channels != 3 || len(im.Pixels) != 5*3*4*3 {
		t.Fatalf("got %d images %dx%dx%d with %d pixels, want 5 of 3x4x3", im.N, im.Height, im.Width, im.Channels, len(im.Pixels))
	}
	pixel := func(im *Images, i, y, x int) []uint8 {
		p := (y*im.Width + x) * im.Channels
		return im.Image(i)[p : p+im.Channels]
	}
	near := func(got []uint8, want ...int) bool {
		for c := range want {
			if d := int(got[c]) - want[c]; d < -3 || d > 3 {
				return false
			}
		}
		return true
	}
	checks := []struct {
		what       string
		i, y, x    int
		want       []int
		toleration bool
	}{
		{"a.PNG sorts first", 0, 0, 0, []int{10, 20, 30}, false},
		{"b.png background", 1, 2, 3, []int{200, 100, 50}, false},
		{"b.png at row 1, column 2", 1, 1, 2, []int{1, 2, 3}, false},
		{"c.JPG (lossy)", 2, 1, 1, []int{0, 128, 255}, true},
		{"d.png grey at row 2, column 1", 3, 2, 1, []int{180, 180, 180}, false},
		{"e.png transparent, over black", 4, 0, 0, []int{0, 0, 0}, false},
	}
	for _, c := range checks {
		got := pixel(im, c.i, c.y, c.x)
		ok := near(got, c.want...)
		if !c.toleration {
			ok = got[0] == uint8(c.want[0]) && got[1] == uint8(c.want[1]) && got[2] == uint8(c.want[2])
		}
		if !ok {
			t.Errorf("%s: pixel %v, want %v", c.what, got, c.want)
		}
	}

	g, err := LoadImageFolder(dir, FolderOptions{Gray: true})
	if err != nil {
		t.Fatal(err)
	}
	if g.Channels != 1 || len(g.Pixels) != 5*3*4 {
		t.Fatalf("gray: %d channels, %d pixels, want 1 and 60", g.Channels, len(g.Pixels))
	}
	// Luma 0.299 R + 0.587 G + 0.114 B; a grey image comes back unchanged.
	if got := pixel(g, 1, 0, 0)[0]; got != 124 {
		t.Errorf("gray of (200, 100, 50) = %d, want 124", got)
	}
	for i, v := range gray.Pix {
		if got := g.Image(3)[i]; got != v {
			t.Fatalf("gray image d.png, pixel %d = %d, want %d unchanged", i, got, v)
		}
	}
}

func TestLoadImageFolderSizes(t *testing.T) {
	dir := t.TempDir()
	half := image.NewGray(image.Rect(0, 0, 8, 8)) // left half black, right half white
	for y := range 8 {
		for x := 4; x < 8; x++ {
			half.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	writeImage(t, dir, "a.png", half)
	writeImage(t, dir, "b.png", uniform(8, 8, color.White))
	writeImage(t, dir, "c.png", uniform(6, 5, color.RGBA{R: 40, G: 80, B: 120, A: 255}))
	writeImage(t, dir, "d.png", uniform(6, 5, color.White))
	writeImage(t, dir, "e.jpeg", uniform(3, 9, color.White))
	_, err := LoadImageFolder(dir, FolderOptions{})
	want := "images in " + dir + " have mixed sizes: a.png is 8x8, c.png is 6x5, e.jpeg is 3x9; pass a resize size (flag --resize)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("mixed sizes: error %v, want it to contain %q", err, want)
	}

	// A resize that would not fit is refused from the headers, before decoding: 5 × 1000² × 3 bytes.
	_, err = LoadImageFolder(dir, FolderOptions{Resize: 1000, MaxBytes: 1e6})
	if err == nil || !strings.Contains(err.Error(), "5 images of 1000x1000x3") || !strings.Contains(err.Error(), "--resize") {
		t.Errorf("resize 1000 with 1 MB allowed: error %v", err)
	}
	// Without MaxBytes too, a resize is bounded as a header's size is: 2²⁰ asked a 6.6 TB block, a
	// fatal out-of-memory (thirty-second probe).
	if _, err = LoadImageFolder(dir, FolderOptions{Resize: 1 << 20}); err == nil || !strings.Contains(err.Error(), "resize size 1048576: at most 8192×8192") {
		t.Errorf("resize 2²⁰ without MaxBytes: error %v", err)
	}
	if _, err = LoadImageFolder(dir, FolderOptions{Resize: 4, MaxBytes: math.NaN()}); err == nil {
		t.Error("MaxBytes NaN: no error")
	}
	for _, side := range []int{4, 16} { // shrinking and enlarging
		im, err := LoadImageFolder(dir, FolderOptions{Resize: side, Gray: true})
		if err != nil {
			t.Fatal(err)
		}
		if im.N != 5 || im.Width != side || im.Height != side || im.Channels != 1 || len(im.Pixels) != 5*side*side {
			t.Fatalf("resize %d: %d images %dx%dx%d", side, im.N, im.Height, im.Width, im.Channels)
		}
		for i, v := range im.Image(1) {
			if v != 255 {
				t.Fatalf("resize %d: a white image has pixel %d = %d, want 255", side, i, v)
			}
		}
		row := im.Image(0)[side : 2*side] // row 1 of the half black, half white image
		if row[0] != 0 || row[side-1] != 255 {
			t.Errorf("resize %d: the half black image's row runs from %d to %d, want 0 to 255", side, row[0], row[side-1])
		}
		for x := 1; x < side; x++ {
			if row[x] < row[x-1] {
				t.Errorf("resize %d: row %v does not grow from black to white", side, row)
				break
			}
		}
		if got := im.Image(2)[side+1]; got < 70 || got > 78 { // luma of (40, 80, 120) is 73.8
			t.Errorf("resize %d: uniform colour's luma %d, want about 74", side, got)
		}
	}
}

func TestLoadImageFolderErrors(t *testing.T) {
	dir := t.TempDir()
	writeImage(t, dir, "a.png", uniform(4, 4, color.White))
	os.WriteFile(filepath.Join(dir, "b.png"), []byte("\x89PNG broken"), 0o644)
	if _, err := LoadImageFolder(dir, FolderOptions{}); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "b.png")) {
		t.Errorf("corrupt header: error %v does not name b.png", err)
	}

	// A valid header with the pixel data cut off fails only when decoding.
	dir = t.TempDir()
	writeImage(t, dir, "a.png", uniform(4, 4, color.White))
	full, _ := os.ReadFile(filepath.Join(dir, "a.png"))
	os.WriteFile(filepath.Join(dir, "c.png"), full[:len(full)-20], 0o644)
	if _, err := LoadImageFolder(dir, FolderOptions{Resize: 8}); err == nil || !strings.Contains(err.Error(), "c.png") {
		t.Errorf("truncated pixel data: error %v does not name c.png", err)
	}

	// A header announcing a huge image is refused before the decoder allocates it: the IHDR chunk
	// (after the 8-byte signature: length, type, 13 bytes of data, CRC) states 65536×65536.
	huge := append([]byte{}, full...)
	copy(huge[16:24], []byte{0, 1, 0, 0, 0, 1, 0, 0})
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "huge.png"), huge, 0o644)
	if _, err := LoadImageFolder(dir, FolderOptions{Resize: 8}); err == nil || !strings.Contains(err.Error(), "huge.png: header says 65536x65536 pixels") {
		t.Errorf("huge header: error %v does not name huge.png and its size", err)
	}

	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "notes.txt"), nil, 0o644)
	if _, err := LoadImageFolder(empty, FolderOptions{}); err == nil || !strings.Contains(err.Error(), empty) || !strings.Contains(err.Error(), "no .png") {
		t.Errorf("no images: error %v does not name the folder", err)
	}
	if _, err := LoadImageFolder(empty, FolderOptions{}); err == nil || strings.Contains(err.Error(), "LoadClassFolders") {
		t.Errorf("no images and no folders: error %v, want no hint of classes", err)
	}
	// A folder of class folders: the error says how such a folder is read.
	classes := t.TempDir()
	os.Mkdir(filepath.Join(classes, "cats"), 0o755)
	os.Mkdir(filepath.Join(classes, "dogs"), 0o755)
	// A link to a folder is a class to LoadClassFolders (isClassFolder), so the hint counts it too.
	if err := os.Symlink(filepath.Join(classes, "dogs"), filepath.Join(classes, "hounds")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadImageFolder(classes, FolderOptions{}); err == nil || !strings.Contains(err.Error(), "3 folders") || !strings.Contains(err.Error(), "train --class-cond") {
		t.Errorf("a folder of class folders: error %v, want the hint of LoadClassFolders", err)
	}
	if _, err := LoadImageFolder(filepath.Join(empty, "absent"), FolderOptions{}); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("missing folder: error %v", err)
	}
	if _, err := LoadImageFolder(dir, FolderOptions{Resize: -1}); err == nil {
		t.Error("negative resize: no error")
	}
	small := t.TempDir()
	writeImage(t, small, "a.png", uniform(4, 4, color.White))
	if _, err := LoadImageFolder(small, FolderOptions{MaxBytes: 1}); err == nil || !strings.Contains(err.Error(), "take 48 bytes decoded, more than the 1 bytes allowed") {
		t.Errorf("a limit of 1 byte: %v", err)
	}
	// Options that cannot be met are named before the folder is read (an empty folder said "no .png").
	for _, opts := range []FolderOptions{{Resize: -1}, {Width: -3}, {MaxBytes: math.NaN()}, {Width: 8}} {
		if _, err := LoadImageFolder(empty, opts); err == nil || strings.Contains(err.Error(), "no .png") {
			t.Errorf("LoadImageFolder(empty folder, %+v): %v", opts, err)
		}
		if _, _, _, err := LoadClassFolders(empty, opts); err == nil || !strings.Contains(err.Error(), "not negative") && !strings.Contains(err.Error(), "resize size -1") &&
			!strings.Contains(err.Error(), "give both") {
			t.Errorf("LoadClassFolders(empty folder, %+v): %v", opts, err)
		}
	}
}

// TestLoadImageFolderRefusesFilesChangedBetweenThePasses: the first pass reads the headers (sizes,
// memory), the second decodes. A file replaced in between by a bigger image was decoded whole, past the
// pixel cap, and cropped; a smaller one left the previous image's pixels on the canvas; both passed
// silently (seventh probe). Each is now refused by name.
func TestLoadImageFolderRefusesFilesChangedBetweenThePasses(t *testing.T) {
	defer func() { afterHeaders = func() {} }()
	src := t.TempDir()
	writeImage(t, src, "big.png", uniform(8, 8, color.White))
	writeImage(t, src, "small.png", uniform(2, 2, color.White))
	bigPNG, _ := os.ReadFile(filepath.Join(src, "big.png"))
	huge := append([]byte{}, bigPNG...) // its IHDR made to say 65536×65536, as in TestLoadImageFolderErrors
	copy(huge[16:24], []byte{0, 1, 0, 0, 0, 1, 0, 0})
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	small, _ := os.ReadFile(filepath.Join(src, "small.png"))
	for _, c := range []struct {
		name        string
		replacement []byte
		resize      int
		want        string
	}{
		{"bigger", bigPNG, 0, "header says 8x8 pixels, but the folder's images are 4x4"},
		{"smaller", small, 0, "header says 2x2 pixels, but the folder's images are 4x4"},
		{"huge, resizing", huge, 4, "header says 65536x65536 pixels"},
	} {
		dir := t.TempDir()
		for _, name := range []string{"a.png", "b.png", "c.png"} {
			writeImage(t, dir, name, uniform(4, 4, color.Black))
		}
		afterHeaders = func() { os.WriteFile(filepath.Join(dir, "b.png"), c.replacement, 0o644) }
		_, err := LoadImageFolder(dir, FolderOptions{Resize: c.resize})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "b.png")) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming b.png and %q", c.name, err, c.want)
		}
	}
	// Unchanged files load as before through the re-read header.
	afterHeaders = func() {}
	dir := t.TempDir()
	writeImage(t, dir, "a.png", uniform(4, 4, color.White))
	if im, err := LoadImageFolder(dir, FolderOptions{Gray: true}); err != nil || im.Pixels[0] != 255 {
		t.Errorf("an unchanged folder: %v", err)
	}
}

func TestLoadClassFolders(t *testing.T) {
	dir := t.TempDir()
	// Classes in sorted order whatever the creation order; each image's grey level says its class.
	for class, level := range map[string]uint8{"dog": 100, "cat": 50, "zebra": 150} {
		os.Mkdir(filepath.Join(dir, class), 0o755)
		writeImage(t, filepath.Join(dir, class), "1.png", uniform(3, 2, color.Gray{Y: level}))
		if class != "zebra" {
			writeImage(t, filepath.Join(dir, class), "2.png", uniform(3, 2, color.Gray{Y: level + 1}))
		}
	}
	writeImage(t, dir, "stray.png", uniform(3, 2, color.Gray{Y: 7})) // not in a class: ignored
	im, labels, classes, err := LoadClassFolders(dir, FolderOptions{Gray: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(classes, ",") != "cat,dog,zebra" {
		t.Fatalf("classes %v, want [cat dog zebra]", classes)
	}
	wantLabels, wantLevels := []int{0, 0, 1, 1, 2}, []uint8{50, 51, 100, 101, 150}
	if im.N != 5 || len(labels) != 5 {
		t.Fatalf("%d images and %d labels, want 5", im.N, len(labels))
	}
	for i := range 5 {
		if labels[i] != wantLabels[i] || im.Image(i)[0] != wantLevels[i] {
			t.Errorf("image %d: label %d, grey %d; want label %d, grey %d", i, labels[i], im.Image(i)[0], wantLabels[i], wantLevels[i])
		}
	}

	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	if _, _, _, err := LoadClassFolders(dir, FolderOptions{}); err == nil || !strings.Contains(err.Error(), `class "empty"`) {
		t.Errorf("an empty class folder: error %v, want one naming class \"empty\"", err)
	}
	flat := t.TempDir()
	writeImage(t, flat, "a.png", uniform(3, 2, color.Gray{Y: 1}))
	if _, _, _, err := LoadClassFolders(flat, FolderOptions{}); err == nil || !strings.Contains(err.Error(), "no class subfolders") {
		t.Errorf("a folder without subfolders: error %v, want one saying it has no class subfolders", err)
	}
}

// FolderOptions.Check sees the images' shape from their headers before any is decoded: here the pixel
// data is cut off, so decoding would fail; the error must be Check's, with the shape the options give
// (resized, grey). A caller refuses there what it cannot use (a U-Net that does not fit, a model too
// big for the memory) instead of after decoding gigabytes (issue 32's fifth probe: 72 s and 17 GB).
func TestLoadImageFolderChecksTheShapeBeforeDecoding(t *testing.T) {
	dir := t.TempDir()
	writeImage(t, dir, "a.png", uniform(40, 40, color.White))
	full, _ := os.ReadFile(filepath.Join(dir, "a.png"))
	os.WriteFile(filepath.Join(dir, "a.png"), full[:len(full)-20], 0o644) //nolint:errcheck
	var seen []int
	_, err := LoadImageFolder(dir, FolderOptions{Resize: 16, Gray: true, Check: func(dims []int, _ []string, _ int) error {
		seen = dims
		return errors.New("not for this network")
	}})
	if err == nil || err.Error() != "not for this network" || fmt.Sprint(seen) != "[16 16 1]" {
		t.Errorf("check before decoding: error %v, shape seen %v; want the check's own error and [16 16 1]", err, seen)
	}
	// The class folders' names too, so that a run resumed on other classes is refused before decoding
	// (seventeenth probe).
	classes := t.TempDir()
	for _, class := range []string{"b", "a"} {
		os.Mkdir(filepath.Join(classes, class), 0o755)                                   //nolint:errcheck
		os.WriteFile(filepath.Join(classes, class, "x.png"), full[:len(full)-20], 0o644) //nolint:errcheck
	}
	var named []string
	_, _, _, err = LoadClassFolders(classes, FolderOptions{Resize: 16, Gray: true, Check: func(_ []int, classes []string, _ int) error {
		named = classes
		return errors.New("not these classes")
	}})
	if err == nil || err.Error() != "not these classes" || fmt.Sprint(named) != "[a b]" {
		t.Errorf("class folders' check before decoding: error %v, classes seen %v; want the check's own error and [a b]", err, named)
	}
}

// A class that is a symbolic link to a folder is a class, as in torchvision's ImageFolder (it was
// dropped, exit 0, 2 classes of 3; eleventh probe); a link to a file is ignored as files are; a link to
// nothing is refused by name.
func TestLoadClassFoldersFollowsLinksToFolders(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	for class, level := range map[string]uint8{"cat": 50, "zebra": 150} {
		os.Mkdir(filepath.Join(dir, class), 0o755)
		writeImage(t, filepath.Join(dir, class), "1.png", uniform(3, 2, color.Gray{Y: level}))
	}
	writeImage(t, elsewhere, "1.png", uniform(3, 2, color.Gray{Y: 100}))
	writeImage(t, elsewhere, "2.png", uniform(3, 2, color.Gray{Y: 101}))
	for link, target := range map[string]string{"dog": elsewhere, "stray.png": filepath.Join(elsewhere, "1.png")} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	im, labels, classes, err := LoadClassFolders(dir, FolderOptions{Gray: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(classes, ",") != "cat,dog,zebra" || im.N != 4 || fmt.Sprint(labels) != "[0 1 1 2]" || im.Image(2)[0] != 101 {
		t.Fatalf("classes %v, %d images, labels %v: want [cat dog zebra], 4 images, labels [0 1 1 2] (the link to a folder is class dog)", classes, im.N, labels)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "moved"), filepath.Join(dir, "eel")); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := LoadClassFolders(dir, FolderOptions{Gray: true}); err == nil || !strings.Contains(err.Error(), `"eel" is a link to nothing`) {
		t.Errorf("a link to nothing among the classes: error %v, want one naming it", err)
	}
}

// Two class folders named alike in two Unicode forms (café as NFC, and with a combining accent as
// macOS writes it) are refused, naming both: they were two classes that print the same.
func TestLoadClassFoldersOfOneNameInTwoForms(t *testing.T) {
	dir := t.TempDir()
	for _, class := range []string{"caf\u00e9", "cafe\u0301"} {
		os.Mkdir(filepath.Join(dir, class), 0o755)
		writeImage(t, filepath.Join(dir, class), "1.png", uniform(3, 2, color.Gray{Y: 9}))
	}
	_, _, classes, err := LoadClassFolders(dir, FolderOptions{Gray: true})
	if err == nil || !strings.Contains(err.Error(), `"caf\u00e9"`) || !strings.Contains(err.Error(), `"cafe\u0301"`) {
		t.Errorf("café in two forms: classes %q, error %v; want a refusal naming both", classes, err)
	}
}

// withChunk returns the PNG file p with a chunk of the given type and data inserted after the chunk
// that ends at byte at (33: after IHDR).
func withChunk(p []byte, at int, kind string, data []byte) []byte {
	out := append([]byte{}, p[:at]...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	out = append(append(append(out, kind...), data...), binary.BigEndian.AppendUint32(nil, crc.Sum32())...)
	return append(out, p[at:]...)
}

// sparseChunk writes the PNG file p to path with a private chunk of n zeros after IHDR, left sparse:
// what the decoder reads through, while the file takes a few blocks on disk.
func sparseChunk(t *testing.T, path string, p []byte, n int64) {
	t.Helper()
	crc := crc32.NewIEEE()
	crc.Write([]byte("prVt"))
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; left -= int64(len(zeros)) {
		crc.Write(zeros[:min(left, int64(len(zeros)))])
	}
	head := binary.BigEndian.AppendUint32(append([]byte{}, p[:33]...), uint32(n))
	tail := append(binary.BigEndian.AppendUint32(nil, crc.Sum32()), p[33:]...)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(append(head, "prVt"...)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(tail, int64(len(head))+4+n); err != nil {
		t.Fatal(err)
	}
}

// An image folder holds PNG and JPEG images: a GIF (whose frame may be smaller than its screen, which
// left the previous image's pixels on the canvas) is refused by name, and so is a JPEG of more than
// maxImageHeader bytes before its frame (a 1.8 GB chunk ahead of a 28×28 paletted PNG's pixels took
// 4.6 GB; twelfth probe), and an image file longer than its pixels and maxImageHeader of metadata
// could make it, from its length: a sparse one was read to its end, 430 GB (twentieth probe).
func TestImageFolderRefusesOtherFormatsAndHugeFiles(t *testing.T) {
	palette := color.Palette{color.Black, color.White}
	tiny := image.NewPaletted(image.Rect(0, 0, 28, 28), palette)
	var plain, greyPNG, jpg, gifBytes bytes.Buffer
	if err := png.Encode(&plain, tiny); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&greyPNG, image.NewGray(tiny.Rect)); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpg, tiny, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gifBytes, tiny, nil); err != nil {
		t.Fatal(err)
	}
	// APP15 segments of 64 KiB after the JPEG's SOI, more than maxImageHeader of them.
	segments := append([]byte{}, jpg.Bytes()[:2]...)
	for range maxImageHeader/(1<<16) + 1 {
		segments = append(append(segments, 0xff, 0xef, 0xff, 0xff), make([]byte, 0xffff-2)...)
	}
	segments = append(segments, jpg.Bytes()[2:]...)
	for name, c := range map[string]struct {
		file    string
		content []byte
		length  int64 // > 0: the file is made this long, sparse
		want    string
	}{
		"huge header":     {"1.jpg", segments, 0, "more than 16 MiB before the image's size"},
		"gif":             {"1.png", gifBytes.Bytes(), 0, "is a GIF image"},
		"sparse png":      {"1.png", plain.Bytes(), 1 << 40, "1099511627776 bytes, more than a 28×28 image's file holds (16789760"},
		"sparse chunk":    {"1.png", nil, 1 << 30, "bytes, more than a 28×28 image's file holds"},
		"sparse jpeg":     {"1.jpg", jpg.Bytes(), 1 << 30, "bytes, more than a 28×28 image's file holds"},
		"metadata at end": {"1.png", withChunk(plain.Bytes(), plain.Len()-12, "tEXt", make([]byte, maxImageHeader+28*28*16)), 0, "bytes, more than"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "0.png"), plain.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, c.file)
		if err := os.WriteFile(path, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		if c.content == nil { // a chunk of c.length zeros ahead of the pixels, sparse
			sparseChunk(t, path, greyPNG.Bytes(), c.length) // grey: DecodeConfig stopped at the palette of a paletted one
		} else if c.length > 0 {
			if err := os.Truncate(path, c.length); err != nil {
				t.Fatal(err)
			}
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err := LoadImageFolder(dir, FolderOptions{Gray: true})
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) {
			t.Errorf("%s: error %v, want %q naming the file", name, err, c.want)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 4*maxImageHeader {
			t.Errorf("%s: refusing it allocated %d MiB", name, grew>>20)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: refusing it took %s", name, took)
		}
	}
}

// progressiveJPEG is a grey progressive JPEG of w×w pixels made of scans AC scans, each a single
// end-of-band run over every block: cheap to write, and each scan makes Go's decoder walk the image.
func progressiveJPEG(w, scans int, junk ...byte) []byte {
	segment := func(marker byte, payload []byte) []byte {
		return append([]byte{0xff, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
	}
	out := []byte{0xff, 0xd8}
	out = append(out, segment(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...))...)                      // one quantization table
	out = append(out, segment(0xc2, []byte{8, byte(w >> 8), byte(w), byte(w >> 8), byte(w), 1, 1, 0x11, 0})...) // progressive frame, one component
	out = append(out, segment(0xc4, append(append([]byte{0x10, 1}, make([]byte, 15)...), 0xe0))...)             // AC table: one 1-bit code, EOBRUN of 2^14+
	// The code (0), then 14 bits of the run's length, 2^14 + 0b10101010101010 blocks (more than w×w/64
	// for w ≤ 1024), padded with ones: 0 10101010101010 1.
	scan := append(segment(0xda, []byte{1, 1, 0, 1, 63, 0}), 0b01010101, 0b01010101)
	out = append(out, junk...) // bytes before a marker, which the decoder skips
	for range scans {
		out = append(out, scan...)
	}
	return append(out, 0xff, 0xd9)
}

// Metadata after a paletted PNG's palette counts as it does in a grey PNG: Go's DecodeConfig reads on
// to IDAT for a paletted image only, and 17 MiB of it were refused there and accepted in the grey one
// (twentieth probe). Both are loaded alike, to what their pixels' files and 16 MiB of metadata take.
func TestPNGMetadataCountsAlikeInEveryColourType(t *testing.T) {
	const side = 512 // room for 4 MiB beyond maxImageHeader
	grey := image.NewGray(image.Rect(0, 0, side, side))
	paletted := image.NewPaletted(grey.Rect, color.Palette{color.Black, color.White})
	for i := range grey.Pix {
		grey.Pix[i] = uint8(255 * (i % 3 / 2))
		paletted.Pix[i] = uint8(i % 3 / 2)
	}
	for _, c := range []struct {
		extra int
		ok    bool
	}{{maxImageHeader + 2<<20, true}, {maxImageHeader + 5<<20, false}} {
		for _, img := range []image.Image{grey, paletted} {
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				t.Fatal(err)
			}
			// After IHDR and the palette: what Go's DecodeConfig reads for a paletted image.
			at := bytes.Index(b.Bytes(), []byte("IDAT")) - 4
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "x.png"), withChunk(b.Bytes(), at, "iTXt", make([]byte, c.extra)), 0o644); err != nil {
				t.Fatal(err)
			}
			im, err := LoadImageFolder(dir, FolderOptions{Gray: true})
			switch {
			case c.ok && err != nil:
				t.Errorf("%T with %d MiB of metadata: %v", img, c.extra>>20, err)
			case c.ok && (im.Image(0)[0] != 0 || im.Image(0)[2] != 255):
				t.Errorf("%T with %d MiB of metadata: pixels %v, want 0 0 255", img, c.extra>>20, im.Image(0)[:3])
			case !c.ok && (err == nil || !strings.Contains(err.Error(), "bytes, more than a 512×512 image's file holds")):
				t.Errorf("%T with %d MiB of metadata: error %v, want it refused from its length", img, c.extra>>20, err)
			}
		}
	}
}

// A progressive JPEG's scans are bounded before Go's decoder goes over the image once per scan: a
// 210 KB file of 2 500 scans at 8192² took 100 s (eighteenth probe). A few scans decode.
func TestLoadImageFolderBoundsAJPEGsScans(t *testing.T) {
	for _, c := range []struct {
		scans int
		junk  []byte
		want  string
	}{
		{5, nil, ""}, {maxJPEGScans + 1, nil, "with more than 1000 scans"},
		// Junk before the first scan's marker stopped the count (nineteenth probe).
		{maxJPEGScans + 1, []byte{0}, "with more than 1000 scans"}, {maxJPEGScans + 1, []byte{0xff, 0}, "with more than 1000 scans"},
		{5, []byte{0, 0xff, 0}, ""},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "bomb.jpg"), progressiveJPEG(256, c.scans, c.junk...), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadImageFolder(dir, FolderOptions{Resize: 32})
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%d scans after junk % x: error %v, want %q", c.scans, c.junk, err, c.want)
		}
	}
	if got := jpegScanLimit(8192, 8192); got != 32 {
		t.Errorf("scan limit at 8192²: %d, want 32", got)
	}
}

// An image that the scaler would need more than maxScaleBytes to resize is refused from its header: a
// 130 KB PNG of 1×2²⁶ pixels asked for 60 GB at --resize 28, a fatal out-of-memory (twenty-first
// probe). One of the same pixels but not so tall resizes.
func TestResizeRefusesWhatTheScalerCannotHold(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want string
	}{
		{1, 4_000_000, "1x4000000 pixels, which scaling to 28x28 (flag --resize) takes 3.5 GiB for"},
		{2000, 2000, ""},
	} {
		dir := t.TempDir()
		writeImage(t, dir, "tall.png", image.NewGray(image.Rect(0, 0, c.w, c.h)))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		im, err := LoadImageFolder(dir, FolderOptions{Resize: 28, Gray: true})
		runtime.ReadMemStats(&after)
		switch {
		case c.want == "" && (err != nil || im.Width != 28):
			t.Errorf("%dx%d: %v", c.w, c.h, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%dx%d: error %v, want %q", c.w, c.h, err, c.want)
		case c.want != "" && after.TotalAlloc-before.TotalAlloc > 64<<20:
			t.Errorf("%dx%d: refusing it allocated %d MiB", c.w, c.h, (after.TotalAlloc-before.TotalAlloc)>>20)
		}
	}
}

// A 16-bit PNG's values are rounded to 8 bits, not cut: a·257 + 100 is a + 0.39 in 8-bit terms, and was
// read as a + 1 from a = 156, a FID of 56.8 where the same samples at 8 bits gave 52.5 (seventy-first
// probe). With and without a resize, grey and colour.
func TestLoadImageFolderRoundsSixteenBits(t *testing.T) {
	dir := t.TempDir()
	gray, rgb := image.NewGray16(image.Rect(0, 0, 16, 16)), image.NewRGBA64(image.Rect(0, 0, 16, 16))
	for a := range 256 {
		x, y := a%16, a/16
		v := uint16(a*257 + 100)
		if a == 255 {
			v = 65535
		}
		gray.SetGray16(x, y, color.Gray16{Y: v})
		rgb.SetRGBA64(x, y, color.RGBA64{R: v, G: v, B: v, A: 65535})
	}
	writeImage(t, dir, "a.png", gray)
	writeImage(t, dir, "b.png", rgb)
	for _, resize := range []int{0, 16} {
		im, err := LoadImageFolder(dir, FolderOptions{Gray: true, Resize: resize})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			for a, got := range im.Image(i) {
				if int(got) != a {
					t.Fatalf("resize %d, image %d: the value %d·257 + 100 read as %d, want %d", resize, i, a, got, a)
				}
			}
		}
	}
}
