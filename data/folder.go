package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	_ "image/jpeg" // decoders for image.Decode
	_ "image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/text/unicode/norm"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// FolderOptions control LoadImageFolder.
type FolderOptions struct {
	Resize int // > 0: scale every image to Resize×Resize (aspect ratio not kept); 0: all images must have one size
	// MaxBytes, when > 0, refuses a folder whose images would take more bytes than this once decoded
	// (checked from the headers, before decoding anything).
	MaxBytes float64
	Gray     bool // one luma channel instead of RGB
	// Width and Height, when > 0 (and Resize is 0), are the one size every image must have: a folder
	// of other sizes is refused from the headers, before any image is decoded, by a caller that has no
	// resize flag to offer (eval --samples).
	Width, Height int
	// Check, when not nil, is given the shape of one image ([height, width, channels]) as the headers
	// and the options make it, the class folders' names (LoadClassFolders; nil otherwise) and the number
	// of images, before any image is decoded: a caller refuses there what it cannot use.
	Check   func(dims []int, classes []string, n int) error
	classes []string // LoadClassFolders's, for Check
	// sum, when not nil, is given each image file's name, a zero byte and all its bytes, in order, as
	// the files are decoded: ReadSamples's SHA-256 of exactly what it read.
	sum io.Writer
	// opaque refuses an image with a pixel that is not opaque (ReadSamples's): composed over black, a
	// grey-and-alpha sample of alpha 0 read as black, where PIL keeps its grey (fifty-eighth probe).
	opaque bool
}

// MaxResize is the largest side an image folder is resized to: maxFolderImagePixels as a square.
const MaxResize = 8192

// maxFolderImagePixels bounds an image's width×height as its header states it: a small corrupt or
// hostile file can announce a size that the decoder would allocate before reading any pixel.
const maxFolderImagePixels = 1 << 26 // 8192×8192

// maxListedSizes bounds how many distinct sizes the mixed-sizes error lists.
const maxListedSizes = 5

// LoadImageFolder reads every PNG and JPEG image in dir (not its subfolders; extensions in any
// case), sorted by file name so that the order is the same on every machine. Transparent pixels
// are composed over black. Errors name the file.
func LoadImageFolder(dir string, opts FolderOptions) (*Images, error) {
	if err := checkOptions(dir, opts); err != nil {
		return nil, err
	}
	names, err := listImages(dir)
	if err != nil {
		return nil, classFoldersHint(dir, err)
	}
	return loadImages(dir, names, opts)
}

// classFoldersHint adds to the error of a folder without images that its subfolders are read as
// classes by LoadClassFolders: said without it, a folder of class folders looked empty (fifty-seventh
// probe's nit).
func classFoldersHint(dir string, err error) error {
	entries, rerr := os.ReadDir(dir)
	if rerr != nil {
		return err
	}
	folders := 0
	for _, e := range entries {
		// What LoadClassFolders would take as a class: a link to a folder counts there, so here too.
		if isClass, _ := isClassFolder(dir, e); isClass && !strings.HasPrefix(e.Name(), ".") {
			folders++
		}
	}
	if folders == 0 {
		return err
	}
	return fmt.Errorf("%w, but %d folders: a folder of one folder of images per class is read by LoadClassFolders (train --class-cond)", err, folders)
}

// LoadClassFolders reads a labelled image folder in the ImageFolder convention (torchvision's):
// one subfolder per class, named after it, holding that class's PNG and JPEG images. Classes are the
// subfolders in sorted order (label i is classes[i]); images are read as LoadImageFolder reads
// them, class by class. Files directly in dir are ignored.
func LoadClassFolders(dir string, opts FolderOptions) (im *Images, labels []int, classes []string, err error) {
	if err := checkOptions(dir, opts); err != nil {
		return nil, nil, nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("image folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if isClass, err := isClassFolder(dir, e); err != nil || !isClass {
			if err != nil {
				return nil, nil, nil, err
			}
			continue
		}
		inClass, err := listImages(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("class %q: %w", e.Name(), err)
		}
		for _, name := range inClass {
			names = append(names, filepath.Join(e.Name(), name))
			labels = append(labels, len(classes))
		}
		classes = append(classes, e.Name())
	}
	if len(classes) == 0 {
		return nil, nil, nil, fmt.Errorf("image folder %s has no class subfolders: labelled images go in one subfolder per class (%s/<class>/*.png)", dir, dir)
	}
	if err := checkDistinctClasses(dir, classes); err != nil {
		return nil, nil, nil, err
	}
	opts.classes = classes
	if im, err = loadImages(dir, names, opts); err != nil {
		return nil, nil, nil, err
	}
	return im, labels, classes, nil
}

// checkDistinctClasses refuses two class folders whose names are one name written in two Unicode
// forms (é as one code point, or as e and a combining accent, as macOS writes it): they print alike,
// and were two classes, the images of one name split between two labels (forty-third probe's nit).
func checkDistinctClasses(dir string, classes []string) error {
	seen := map[string]string{}
	for _, c := range classes {
		if other, ok := seen[norm.NFC.String(c)]; ok {
			return fmt.Errorf("image folder %s: the class folders %+q and %+q are one name in two Unicode forms: merge them into one folder", dir, other, c)
		}
		seen[norm.NFC.String(c)] = c
	}
	return nil
}

// isClassFolder says whether entry e of dir is a class: a folder, or a symbolic link to one. Eleventh
// probe: a class that was a link to a folder was dropped, silently (exit 0, 2 classes of 3), where
// torchvision's ImageFolder follows it. A link to a file is ignored, as files are; a link to nothing
// (or a loop) is refused by name: it is most likely a class whose folder moved, and dropping it would
// shift the labels of the classes after it.
func isClassFolder(dir string, e fs.DirEntry) (bool, error) {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir(), nil
	}
	info, err := os.Stat(filepath.Join(dir, e.Name()))
	if err != nil {
		return false, fmt.Errorf("image folder %s: %q is a link to nothing usable, where a class folder or a file is expected: %w", dir, e.Name(), err)
	}
	return info.IsDir(), nil
}

// loadImages reads the images dir/names[i] into one Images; LoadImageFolder and LoadClassFolders
// share it, and its checks of opts.
// checkOptions refuses options that cannot be met, before the folder is read: an empty folder with a
// negative size was answered "no .png" (fortieth probe's nit).
func checkOptions(dir string, opts FolderOptions) error {
	if opts.Resize < 0 {
		return fmt.Errorf("image folder %s: resize size %d, want > 0, or 0 to keep the images' size", dir, opts.Resize)
	}
	// A resize is bounded as a header's size is: 2²⁰ asked a 6.6 TB block of two 4×4 images, where no
	// MaxBytes was given (thirty-second probe).
	if opts.Resize > MaxResize {
		return fmt.Errorf("image folder %s: resize size %d: at most %d×%d pixels", dir, opts.Resize, MaxResize, MaxResize)
	}
	if opts.Width < 0 || opts.Height < 0 || math.IsNaN(opts.MaxBytes) || opts.MaxBytes < 0 {
		return fmt.Errorf("image folder %s: width %d, height %d and MaxBytes %g must be numbers, not negative", dir, opts.Width, opts.Height, opts.MaxBytes)
	}
	if (opts.Width > 0) != (opts.Height > 0) { // a width alone wanted "8x0" (forty-third probe's nit)
		return fmt.Errorf("image folder %s: width %d and height %d: give both, or neither", dir, opts.Width, opts.Height)
	}
	return nil
}

func loadImages(dir string, names []string, opts FolderOptions) (*Images, error) {
	// First pass over the headers only: it finds corrupt files and mixed sizes without decoding.
	width, height, err := commonSize(dir, names, opts.Resize, opts.Width == 0)
	if err != nil {
		return nil, err
	}
	afterHeaders()
	if opts.Resize > 0 {
		width, height = opts.Resize, opts.Resize
	} else if opts.Width > 0 && (width != opts.Width || height != opts.Height) {
		return nil, fmt.Errorf("image folder %s: images of %dx%d (%s, first file), want %dx%d", dir, width, height, names[0], opts.Width, opts.Height)
	}
	out := &Images{N: len(names), Height: height, Width: width, Channels: 3}
	if opts.Gray {
		out.Channels = 1
	}
	if need := float64(out.N) * float64(out.Height) * float64(out.Width) * float64(out.Channels); opts.MaxBytes > 0 && need > opts.MaxBytes {
		return nil, fmt.Errorf("image folder %s: %d images of %dx%dx%d take %s decoded, more than the %s allowed (the memory available); "+
			"use fewer images or a smaller resize size (flag --resize)", dir, out.N, out.Width, out.Height, out.Channels, byteSize(need), byteSize(opts.MaxBytes))
	}
	if opts.Check != nil {
		if err := opts.Check([]int{out.Height, out.Width, out.Channels}, opts.classes, out.N); err != nil {
			return nil, err
		}
	}
	out.Pixels = make([]uint8, out.N*out.Size())
	canvas := image.NewRGBA(image.Rect(0, 0, width, height))
	for i, name := range names {
		img, err := decodeImage(filepath.Join(dir, name), width, height, opts.Resize > 0, opts.sum)
		if err != nil {
			return nil, err
		}
		if o, ok := img.(interface{ Opaque() bool }); opts.opaque && (!ok || !o.Opaque()) {
			return nil, fmt.Errorf("image %s has pixels that are not opaque (an alpha channel below its maximum): a sample's grey there is "+
				"ambiguous (composed over black, or kept as PIL keeps it); save the samples without transparency", filepath.Join(dir, name))
		}
		// Drawing into an RGBA canvas converts any colour model (JPEG's YCbCr, paletted) to premultiplied
		// 8-bit RGB, which is the image composed over black. A 16-bit PNG is drawn at 16 bits and rounded to
		// 8: drawn into RGBA, its values were cut (a·257 + 100 read as a + 1 from a = 156; seventy-first probe).
		into := draw.Image(canvas)
		if m := img.ColorModel(); m == color.Gray16Model || m == color.RGBA64Model || m == color.NRGBA64Model {
			into = image.NewRGBA64(canvas.Bounds())
		}
		if opts.Resize > 0 {
			// Bilinear, widened when shrinking so that every source pixel counts (no aliasing).
			draw.BiLinear.Scale(into, canvas.Bounds(), img, img.Bounds(), draw.Src, nil)
		} else {
			draw.Draw(into, canvas.Bounds(), img, img.Bounds().Min, draw.Src)
		}
		if deep, ok := into.(*image.RGBA64); ok {
			for j := range canvas.Pix {
				v := uint32(deep.Pix[2*j])<<8 | uint32(deep.Pix[2*j+1])
				canvas.Pix[j] = uint8((v*255 + 65535/2) / 65535)
			}
		}
		copyPixels(out.Image(i), canvas.Pix, opts.Gray)
	}
	return out, nil
}

// listImages returns the sorted names of the .png, .jpg and .jpeg files in dir.
func listImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		// Hidden files are skipped, as hidden class folders are: macOS's "._0.png" metadata beside
		// samples was refused as a corrupt image (seventeenth probe).
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				names = append(names, e.Name())
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("image folder %s holds no .png, .jpg or .jpeg files", dir)
	}
	slices.Sort(names) // os.ReadDir sorts already; this states the contract.
	return names, nil
}

// commonSize reads the header of every image and returns the size of the first. Without a resize
// size, a folder of several sizes is an error that names the first file of each size; with one, an
// image that the scaler cannot bring to it within maxScaleBytes is.
func commonSize(dir string, names []string, resize int, resizable bool) (width, height int, err error) {
	sameSize := resize == 0
	type size struct{ w, h int }
	var sizes []size
	firstOf := map[size]string{}
	for _, name := range names {
		path := filepath.Join(dir, name)
		f, err := safefile.Open(path)
		if err != nil {
			return 0, 0, err
		}
		cfg, err := readImageHeader(path, f)
		if err == nil && (cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > maxFolderImagePixels) {
			err = fmt.Errorf("image %s: header says %dx%d pixels, want 1 to %d pixels", path, cfg.Width, cfg.Height, maxFolderImagePixels)
		}
		if err == nil {
			err = checkImageFileSize(path, f, cfg.Width, cfg.Height)
		}
		if err == nil && resize > 0 {
			err = checkScaling(path, cfg.Width, cfg.Height, resize)
		}
		f.Close()
		if err != nil {
			return 0, 0, err
		}
		s := size{cfg.Width, cfg.Height}
		if _, ok := firstOf[s]; !ok {
			firstOf[s] = name
			sizes = append(sizes, s)
		}
	}
	if sameSize && len(sizes) > 1 {
		var list []string
		for _, s := range sizes[:min(len(sizes), maxListedSizes)] {
			list = append(list, fmt.Sprintf("%s is %dx%d", firstOf[s], s.w, s.h))
		}
		if len(sizes) > maxListedSizes {
			list = append(list, fmt.Sprintf("and %d more sizes", len(sizes)-maxListedSizes))
		}
		hint := "; pass a resize size (flag --resize) to scale them all"
		if !resizable {
			hint = ""
		}
		return 0, 0, fmt.Errorf("images in %s have mixed sizes: %s%s", dir, strings.Join(list, ", "), hint)
	}
	return sizes[0].w, sizes[0].h, nil
}

// copyPixels copies an RGBA canvas's pixels to dst as RGB, or as luma with the weights of
// color.GrayModel (ITU-R BT.601), which gives a grey image back unchanged.
func copyPixels(dst, rgba []uint8, gray bool) {
	for p := range len(rgba) / 4 {
		r, g, b := rgba[4*p], rgba[4*p+1], rgba[4*p+2]
		if gray {
			dst[p] = color.GrayModel.Convert(color.RGBA{R: r, G: g, B: b, A: 255}).(color.Gray).Y
		} else {
			dst[3*p], dst[3*p+1], dst[3*p+2] = r, g, b
		}
	}
}

// maxImageHeader bounds the bytes an image's header may take before its size is known: the segments
// of a JPEG before its frame. The header pass kept them all (a 1.8 GB zTXt chunk in a 28×28 PNG took
// 4.6 GB; twelfth probe). It is also the room an image file has for metadata (maxImageFileBytes).
const maxImageHeader = 16 << 20

// maxImageFileBytes bounds the length of the file of a width×height image: its pixels at 16 bytes each
// (twice 16-bit RGBA, more than any encoder's framing adds to uncompressed pixels) and maxImageHeader
// of metadata. A 28×28 PNG stretched by sparse chunks to 430 GB was read to its end before training
// (twentieth probe).
func maxImageFileBytes(width, height int) int64 {
	return maxImageHeader + 16*int64(width)*int64(height)
}

// checkImageFileSize refuses the file of a width×height image whose length is more than
// maxImageFileBytes allows, from its length alone.
func checkImageFileSize(path string, f *os.File, width, height int) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("image %s: %w", path, err)
	}
	if most := maxImageFileBytes(width, height); info.Size() > most {
		return fmt.Errorf("image %s: %d bytes, more than a %d×%d image's file holds (%d: 16 bytes a pixel and %d MiB of metadata); "+
			"junk or a corrupt file: refused", path, info.Size(), width, height, most, maxImageHeader>>20)
	}
	return nil
}

// maxScaleBytes bounds the memory that scaling one image takes: x/image/draw's kernel scaler keeps the
// image scaled in width only, its new width × its old height of [4]float64, and weights for each of
// its columns and rows. A 130 KB PNG of 1×2²⁶ pixels asked it for 60 GB at --resize 28, a fatal
// out-of-memory (twenty-first probe).
const maxScaleBytes = 1 << 30

// checkScaling refuses an image of width×height that scaling to resize×resize would take more than
// maxScaleBytes for.
func checkScaling(path string, width, height, resize int) error {
	need := 32*int64(resize)*int64(height) + 32*(int64(width)+int64(height))
	if need > maxScaleBytes {
		return fmt.Errorf("image %s: %dx%d pixels, which scaling to %dx%d (flag --resize) takes %.1f GiB for, more than the %d GiB allowed: "+
			"crop or shrink it first", path, width, height, resize, resize, float64(need)/(1<<30), maxScaleBytes>>30)
	}
	return nil
}

// pngSignature begins every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// readImageHeader reads an image's header from r and refuses any format but PNG and JPEG: Go also
// decodes GIF and TIFF where their packages are linked in, and a GIF frame smaller than its screen left
// the previous image's pixels on the canvas (twelfth probe). A PNG's size is read from its IHDR chunk,
// the first: Go's DecodeConfig reads on to IDAT for a paletted image, and refused one with 17 MiB of
// metadata after its palette that it took in a grey one (twentieth probe). A JPEG's is read by
// DecodeConfig, from at most maxImageHeader bytes.
func readImageHeader(path string, r io.Reader) (image.Config, error) {
	limited := &io.LimitedReader{R: r, N: maxImageHeader}
	start := make([]byte, len(pngSignature))
	n, _ := io.ReadFull(limited, start)
	if n == len(start) && string(start) == pngSignature {
		return readPNGHeader(path, limited)
	}
	cfg, format, err := image.DecodeConfig(io.MultiReader(bytes.NewReader(start[:n]), limited))
	switch {
	case err != nil && limited.N == 0:
		return cfg, fmt.Errorf("image %s: more than %d MiB before the image's size (segments ahead of its frame, or a corrupt file): refused", path, maxImageHeader>>20)
	case err != nil:
		return cfg, fmt.Errorf("image %s: corrupt or not a PNG/JPEG image: %w", path, err)
	case format != "png" && format != "jpeg":
		return cfg, fmt.Errorf("image %s is a %s image: image folders hold PNG or JPEG images", path, strings.ToUpper(format))
	}
	return cfg, nil
}

// readPNGHeader reads the IHDR chunk that follows a PNG's signature, and checks it as Go's decoder
// will: its length, CRC, a size of 1 to 2³¹−1 pixels a side, and a bit depth that the colour type allows.
func readPNGHeader(path string, r io.Reader) (image.Config, error) {
	chunk := make([]byte, 8+13+4) // length, "IHDR", 13 bytes, CRC
	if _, err := io.ReadFull(r, chunk); err != nil {
		return image.Config{}, fmt.Errorf("image %s: corrupt PNG: it ends inside its header (IHDR)", path)
	}
	if binary.BigEndian.Uint32(chunk) != 13 || string(chunk[4:8]) != "IHDR" {
		return image.Config{}, fmt.Errorf("image %s: corrupt PNG: its first chunk is not a header (IHDR) of 13 bytes", path)
	}
	if crc32.ChecksumIEEE(chunk[4:21]) != binary.BigEndian.Uint32(chunk[21:]) {
		return image.Config{}, fmt.Errorf("image %s: corrupt PNG: its header's (IHDR's) CRC does not match", path)
	}
	width, height := binary.BigEndian.Uint32(chunk[8:]), binary.BigEndian.Uint32(chunk[12:])
	depth, colour, rest := chunk[16], chunk[17], chunk[18:21]
	depths := map[byte][]byte{0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}[colour]
	switch {
	case width == 0 || height == 0 || width > math.MaxInt32 || height > math.MaxInt32:
		return image.Config{}, fmt.Errorf("image %s: corrupt PNG: its header says %dx%d pixels", path, width, height)
	case !slices.Contains(depths, depth) || rest[0] != 0 || rest[1] != 0 || rest[2] > 1:
		return image.Config{}, fmt.Errorf("image %s: corrupt PNG: colour type %d, bit depth %d, compression %d, filter %d, interlace %d is not a PNG's",
			path, colour, depth, rest[0], rest[1], rest[2])
	}
	return image.Config{Width: int(width), Height: int(height)}, nil
}

// afterHeaders runs between the two passes; a test replaces files there, as another program may.
var afterHeaders = func() {}

// decodeImage decodes one image whose header the first pass read: the header is read again from the
// same bytes that are decoded, and must still give the size that the first pass found (any size up to
// maxFolderImagePixels when resizing). A file replaced between the passes (a bigger image would be
// decoded whole and then cropped; a smaller one would leave the previous image's pixels on the canvas)
// is refused instead. When sum is not nil, every byte of the file goes to it, those after the image too.
func decodeImage(path string, width, height int, resizing bool, sum io.Writer) (image.Image, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var src io.Reader = f
	if sum != nil {
		// Each file framed by its name and length: without the length, one file's trailing bytes could
		// hold the next one's name and bytes, and two folders had one sum (twelfth probe).
		info, err := f.Stat()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(sum, "%s\x00%d\x00", filepath.Base(path), info.Size())
		src = io.TeeReader(f, sum)
	}
	var head bytes.Buffer // every byte DecodeConfig read, so that Decode reads the very same stream
	cfg, err := readImageHeader(path, io.TeeReader(src, &head))
	if err != nil {
		return nil, err
	}
	switch {
	case resizing && (cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > maxFolderImagePixels):
		return nil, fmt.Errorf("image %s: header says %dx%d pixels, want 1 to %d pixels (the file changed while the folder was read)",
			path, cfg.Width, cfg.Height, maxFolderImagePixels)
	case !resizing && (cfg.Width != width || cfg.Height != height):
		return nil, fmt.Errorf("image %s: header says %dx%d pixels, but the folder's images are %dx%d: the file changed while the folder was read",
			path, cfg.Width, cfg.Height, width, height)
	}
	if err := checkImageFileSize(path, f, cfg.Width, cfg.Height); err != nil { // the file may have grown since
		return nil, err
	}
	if resizing {
		if err := checkScaling(path, cfg.Width, cfg.Height, width); err != nil {
			return nil, err
		}
	}
	stream := io.MultiReader(&head, src)
	if bytes.HasPrefix(head.Bytes(), []byte{0xff, 0xd8}) { // a JPEG: its scans are bounded (jpegscans.go)
		stream = &jpegScans{r: stream, limit: jpegScanLimit(cfg.Width, cfg.Height)}
	}
	img, _, err := image.Decode(stream)
	if errors.Is(err, errTooManyScans) {
		return nil, fmt.Errorf("image %s: a JPEG of %d×%d pixels with %v scans: Go's decoder goes over the whole image for each, "+
			"which takes minutes; refused (save it as a baseline JPEG or a PNG)", path, cfg.Width, cfg.Height, strings.TrimPrefix(err.Error(), errTooManyScans.Error()+": "))
	}
	if err != nil {
		return nil, fmt.Errorf("image %s: corrupt or not a PNG/JPEG image: %w", path, err)
	}
	if sum != nil { // the bytes that the decoder did not need are the file's too
		if _, err := io.Copy(sum, f); err != nil {
			return nil, fmt.Errorf("image %s: %w", path, err)
		}
	}
	return img, nil
}

// byteSize writes a count of bytes in GiB, MiB or bytes, whichever is the largest below it: a limit of 1 byte
// was "0.0 GiB" (forty-third probe's nit).
func byteSize(b float64) string {
	switch {
	case b < 1<<20:
		return fmt.Sprintf("%.0f bytes", b)
	case b < 1<<30:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", b/(1<<30))
}
