package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte) and the rank.
const (
	idxMagicImages = 0x00000803
	idxMagicLabels = 0x00000801
)

// Images is a batch of 8-bit images, stored row-major as [N, Height, Width, Channels].
type Images struct {
	N, Height, Width, Channels int
	Pixels                     []uint8
}

// Size is the number of values of one image.
func (im *Images) Size() int { return im.Height * im.Width * im.Channels }

// Image returns the pixels of image i, [Height, Width, Channels], sharing memory with im.
func (im *Images) Image(i int) []uint8 { return im.Pixels[i*im.Size() : (i+1)*im.Size()] }

// Scaled returns images i0..i1−1 as float32 scaled from {0..255} to [−1, 1], as the paper does.
func (im *Images) Scaled(i0, i1 int) []float32 {
	src := im.Pixels[i0*im.Size() : i1*im.Size()]
	out := make([]float32, len(src))
	for i, p := range src {
		out[i] = float32(p)/127.5 - 1
	}
	return out
}

// ReadIDXImages reads an IDX file of unsigned-byte images (rank 3, [N, rows, cols]), compressed with
// gzip or not. Errors name the file and the byte offset where the data stopped making sense.
func ReadIDXImages(path string) (*Images, error) { return readIDXImages(path, 0) }

// readIDXImages is ReadIDXImages that refuses, from the header, images of more than maxBytes pixels in
// all (when maxBytes > 0).
func readIDXImages(path string, maxBytes float64) (*Images, error) {
	var im *Images
	err := readIDX(path, "images", func(r *offsetReader) error {
		dims, err := readIDXImagesHeader(r, maxBytes)
		if err != nil {
			return err
		}
		im = &Images{N: dims[0], Height: dims[1], Width: dims[2], Channels: 1}
		im.Pixels, err = r.readGrowing(im.N*im.Size(), "pixels of image %d of %d", func(n int) []any { return []any{n/im.Size() + 1, im.N} })
		return err
	})
	if err != nil { // a half-read file's images were returned beside the error (seventy-second probe)
		return nil, err
	}
	return im, nil
}

// readIDXImagesHeader reads an images header, [N, rows, cols], refusing more than maxBytes pixels in
// all (when maxBytes > 0).
func readIDXImagesHeader(r *offsetReader, maxBytes float64) ([]int, error) {
	dims, err := readIDXHeader(r, idxMagicImages, 3)
	if err != nil {
		return nil, err
	}
	if need := float64(dims[0]) * float64(dims[1]) * float64(dims[2]); maxBytes > 0 && need > maxBytes {
		return nil, fmt.Errorf("%d images of %d×%d are %.2f GiB of pixels, more than the %.2f GiB that memory allows for them",
			dims[0], dims[1], dims[2], need/(1<<30), maxBytes/(1<<30))
	}
	return dims, nil
}

// ReadIDXLabels reads an IDX file of unsigned-byte labels (rank 1), compressed with gzip or not.
func ReadIDXLabels(path string) ([]uint8, error) { return readIDXLabels(path, 0, 255) }

// readIDXLabels is ReadIDXLabels that refuses, from the header, more than maxBytes labels (when
// maxBytes > 0), and any label above maxLabel, naming it. Eleventh probe: MNIST's labels were not
// checked, and a label 200 trained a classifier to a lower accuracy, exit 0.
func readIDXLabels(path string, maxBytes float64, maxLabel uint8) ([]uint8, error) {
	var labels []uint8
	err := readIDX(path, "labels", func(r *offsetReader) error {
		dims, err := readIDXLabelsHeader(r, maxBytes)
		if err != nil {
			return err
		}
		if labels, err = r.readGrowing(dims[0], "label %d of %d", func(n int) []any { return []any{n + 1, dims[0]} }); err != nil {
			return err
		}
		return checkLabels(labels, maxLabel)
	})
	if err != nil {
		return nil, err
	}
	return labels, nil
}

// readIDXLabelsHeader reads a labels header, [N], refusing more than maxBytes labels (when maxBytes > 0).
func readIDXLabelsHeader(r *offsetReader, maxBytes float64) ([]int, error) {
	dims, err := readIDXHeader(r, idxMagicLabels, 1)
	if err != nil {
		return nil, err
	}
	if maxBytes > 0 && float64(dims[0]) > maxBytes {
		return nil, fmt.Errorf("%d labels are %.2f GiB, more than the %.2f GiB that memory allows for them",
			dims[0], float64(dims[0])/(1<<30), maxBytes/(1<<30))
	}
	return dims, nil
}

// checkLabels refuses the first label above maxLabel, naming its number (from 1, as the reader counts)
// and its offset in the file (after the 8-byte header).
func checkLabels(labels []uint8, maxLabel uint8) error {
	for i, l := range labels {
		if l > maxLabel {
			return fmt.Errorf("label %d of %d (offset %d) is %d, want 0..%d", i+1, len(labels), 8+i, l, maxLabel)
		}
	}
	return nil
}

// peekIDX reads only the header of an IDX file, with header (readIDXImagesHeader or
// readIDXLabelsHeader), so that the files of a set can be compared before any data is read.
func peekIDX(path string, header func(r *offsetReader) ([]int, error)) ([]int, error) {
	f, err := openIDX(path)
	if err != nil {
		return nil, err
	}
	defer f.close()
	dims, err := header(f.r)
	if err != nil {
		return nil, fmt.Errorf("file %s: %w", path, err)
	}
	return dims, nil
}

// checkIDXLength checks, for an IDX file whose header peekIDX read as dims, that its data is the one
// byte per value that they give (idxFile.checkLength).
func checkIDXLength(path string, dims []int) error {
	f, err := openIDX(path)
	if err != nil {
		return err
	}
	defer f.close()
	if err := f.r.readFull(make([]byte, 4*(len(dims)+1)), "IDX header", nil); err != nil {
		return fmt.Errorf("file %s: %w", path, err)
	}
	if err := f.checkLength(dims); err != nil {
		return fmt.Errorf("file %s: %w", path, err)
	}
	return nil
}

// countIDXLabels reads a labels file without keeping its labels: it refuses a label above maxLabel and
// counts each one. Labels are small beside their images: a bad one was found only after every image
// file had been read (4.3 GB and 15 s; twenty-fifth probe).
func countIDXLabels(path string, maxLabel uint8) (counts []int, err error) {
	counts = make([]int, int(maxLabel)+1)
	err = readIDX(path, "labels", func(r *offsetReader) error {
		dims, err := readIDXLabelsHeader(r, 0)
		if err != nil {
			return err
		}
		buf := make([]byte, 1<<16)
		for read := 0; read < dims[0]; read += len(buf) {
			buf = buf[:min(len(buf), dims[0]-read)]
			if err := r.readFull(buf, "label %d of %d", func(n int) []any { return []any{read + n + 1, dims[0]} }); err != nil {
				return err
			}
			for i, l := range buf {
				if l > maxLabel {
					return fmt.Errorf("label %d of %d (offset %d) is %d, want 0..%d", read+i+1, dims[0], 8+read+i, l, maxLabel)
				}
				counts[l]++
			}
		}
		return nil
	})
	return counts, err
}

// maxIDXElements bounds the header's dimensions so that a corrupt header can't ask for terabytes.
const maxIDXElements = 1 << 31

// idxFile is an IDX file opened for reading: r reads it (through gzip when packed) from its start.
type idxFile struct {
	r      *offsetReader
	size   int64 // the file's length
	packed bool
	close  func()
}

// openIDX opens an IDX file that is a regular file, through gzip when it starts with gzip's magic
// number.
func openIDX(path string) (*idxFile, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	var src io.Reader = bufio.NewReader(f)
	if peek, _ := src.(*bufio.Reader).Peek(2); len(peek) == 2 && peek[0] == 0x1f && peek[1] == 0x8b {
		gz, err := gzip.NewReader(src)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("file %s: bad gzip header: %w", path, err)
		}
		return &idxFile{r: &offsetReader{r: gz}, size: info.Size(), packed: true, close: func() { gz.Close(); f.Close() }}, nil
	}
	return &idxFile{r: &offsetReader{r: src}, size: info.Size(), close: func() { f.Close() }}, nil
}

// checkLength refuses a file whose data, just after its header, is not the one byte per value that its
// dimensions give: one cut short was found only when read, after a command's other inputs (twenty-fourth
// and twenty-fifth probes). An unpacked file says so by its length. A packed one is read through,
// without keeping it (0.2 s for MNIST's training images): the length in its gzip trailer is its last
// member's only, and two members of the whole file passed on it (twenty-sixth probe).
func (f *idxFile) checkLength(dims []int) error {
	values := int64(1) // at most maxIDXElements (readIDXHeader)
	for _, d := range dims {
		values *= int64(d)
	}
	want := f.r.offset + values // the header's bytes, then the values
	size := f.size
	if f.packed {
		rest, err := io.Copy(io.Discard, f.r.r)
		if size = f.r.offset + rest; err != nil {
			return fmt.Errorf("corrupt or cut short after offset %d (uncompressed), in the %d values its header (dimensions %v) gives: %w",
				size, values, dims, err)
		}
	}
	if size != want {
		what := "cut short"
		if size > want {
			what = "with data after its values"
		}
		unit := "bytes"
		if f.packed {
			unit = "bytes unpacked"
		}
		return fmt.Errorf("%d %s, where its header (dimensions %v) makes it %d: %s", size, unit, dims, want, what)
	}
	return nil
}

// readIDX reads the IDX file at path with body, then checks that nothing follows the data (what it
// holds, "images" or "labels", names it in the error).
func readIDX(path, what string, body func(r *offsetReader) error) error {
	f, err := openIDX(path)
	if err != nil {
		return err
	}
	defer f.close()
	r := f.r
	if err := body(r); err != nil {
		return fmt.Errorf("file %s: %w", path, err)
	}
	if err := r.checkEnd(what); err != nil {
		return fmt.Errorf("file %s: %w", path, err)
	}
	return nil
}

// checkEnd reads one byte past the data: there must be none (extra bytes mean that the header does not
// describe the file), and gzip verifies its checksum and length when it reaches its end. Eleventh
// probe: the rest was decompressed to count it, 28 s for 20 GB of zeros packed in 21 MB of gzip.
func (r *offsetReader) checkEnd(what string) error {
	n, err := io.ReadFull(r.r, make([]byte, 1))
	switch {
	case n == 1:
		return fmt.Errorf("data after the %s, which end at offset %d (uncompressed)", what, r.offset)
	case errors.Is(err, io.EOF):
		return nil
	default:
		return fmt.Errorf("corrupt or truncated after offset %d (uncompressed): %w", r.offset, err)
	}
}

func readIDXHeader(r *offsetReader, wantMagic uint32, rank int) ([]int, error) {
	header := make([]byte, 4*(rank+1))
	if err := r.readFull(header[:4], "IDX magic number", nil); err != nil {
		return nil, err
	}
	if magic := binary.BigEndian.Uint32(header); magic != wantMagic {
		if magic&^0xff == idxMagicImages&^0xff { // unsigned bytes, another rank: images and labels swapped?
			return nil, fmt.Errorf("offset 0: an IDX file of rank %d, want rank %d (images are rank 3, labels rank 1)", magic&0xff, rank)
		}
		if magic>>16 == 0x1f8b { // read after gzip's own: a gzip file inside
			return nil, fmt.Errorf("offset 0: gzip's magic number once uncompressed: the file was compressed twice (gunzip it once)")
		}
		return nil, fmt.Errorf("offset 0: magic number 0x%08x, want 0x%08x (an IDX file of unsigned bytes, rank %d)", magic, wantMagic, rank)
	}
	if err := r.readFull(header[4:], "IDX header", nil); err != nil {
		return nil, err
	}
	dims := make([]int, rank)
	total := 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(header[4*(i+1):]))
		total *= max(dims[i], 1)
		if dims[i] == 0 || total > maxIDXElements {
			return nil, fmt.Errorf("offset %d: dimension %d = %d is not plausible", 4*(i+1), i, dims[i])
		}
	}
	return dims, nil
}

// offsetReader counts the bytes read so that errors can say where a file was cut short.
type offsetReader struct {
	r      io.Reader
	offset int64
}

// readGrowing reads n bytes into a buffer that grows as the data arrives, so that a corrupt header
// announcing gigabytes fails at the end of the file instead of allocating them up front.
func (r *offsetReader) readGrowing(n int, format string, what func(n int) []any) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(min(n, 1<<20))
	copied, err := io.CopyN(&buf, r.r, int64(n))
	r.offset += copied
	if err == nil {
		return buf.Bytes(), nil
	}
	desc := fmt.Sprintf(format, what(int(copied))...)
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("truncated at offset %d (uncompressed) while reading %s", r.offset, desc)
	}
	return nil, fmt.Errorf("offset %d (uncompressed), reading %s: %w", r.offset, desc, err)
}

// readFull fills buf; on a short read the error gives the offset and what was being read,
// formatted with what(bytesRead).
func (r *offsetReader) readFull(buf []byte, format string, what func(n int) []any) error {
	n, err := io.ReadFull(r.r, buf)
	r.offset += int64(n)
	if err == nil {
		return nil
	}
	var args []any
	if what != nil {
		args = what(n)
	}
	desc := fmt.Sprintf(format, args...)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated at offset %d (uncompressed) while reading %s", r.offset, desc)
	}
	return fmt.Errorf("offset %d (uncompressed), reading %s: %w", r.offset, desc, err)
}
