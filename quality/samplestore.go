package quality

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"syscall"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// SampleStore is an append-only file of generated 8-bit images, so that a long generation (10 000
// samples take hours on a CPU) can stop and resume without losing what was made. The file starts
// with one line of JSON describing how the samples were made; a store is only resumed by a run
// with the same description. Each batch is synced to disk before the next one starts.
type SampleStore struct {
	Path      string
	ImageSize int // values per image
	count     int
	most      int
	headerLen int64
	f         *os.File
}

// OpenSampleStore opens or creates the store at path for images of imageSize values made as
// described by desc (any JSON-encodable value), which never holds more than most images (Append
// refuses more). An existing store of another image size or description, or with more images, is an
// error; so is one that another SampleStore holds open (each takes the file's lock); a partly written
// last image (a crash during a write) is dropped.
func OpenSampleStore(path string, imageSize, most int, desc any) (*SampleStore, error) {
	if imageSize < 1 || most < 0 {
		return nil, fmt.Errorf("sample store %s: images of %d values, at most %d of them: want at least 1 value, and no negative count", path, imageSize, most)
	}
	header, legacy, err := storeHeaders(imageSize, desc)
	if err != nil {
		return nil, err
	}
	// Only a regular file of the store's own: a FIFO or device there would take the header and never
	// give it back, and a link, which only someone else put there, had the store written into the file
	// it points to (a user's empty notes, another --work's store; fourteenth probe).
	if info, err := os.Lstat(path); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("sample store %s is a symbolic link to a missing file: remove it", path)
		}
		return nil, fmt.Errorf("sample store %s is a symbolic link, where the command writes what it names itself: remove it", path)
	}
	// A store of other settings is refused before anything is copied: a hard-linked one was first copied
	// whole (a sparse 1 GB file became 1 GB on disk) and then refused (eleventh probe).
	if existing, err := safefile.Open(path); err == nil {
		var first []byte
		first, err = checkStoreHeader(path, existing, header, legacy)
		if info, serr := existing.Stat(); err == nil && serr == nil && imageSize > 0 {
			// More images than any run asks for, before they are copied: a hard-linked store with a sparse
			// tail of 2 GB became 2 GB on disk (eighteenth probe).
			if n := (info.Size() - int64(len(first))) / int64(imageSize); n > int64(most) {
				err = fmt.Errorf("sample store %s holds %d images, and a run never makes more than %d: the file was extended; remove it, or use another folder for this run",
					path, n, most)
			}
		}
		existing.Close()
		if err != nil {
			return nil, err
		}
	}
	if err := copyApartFromOtherNames(path); err != nil {
		return nil, fmt.Errorf("sample store %s: %w", path, err)
	}
	// Readable by its user alone, as a lock file: flock needs only a read-only open, and another user
	// who could open the store held root's eval off (sixty-fourth probe).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("sample store %s is %s, not a regular file: remove it", path, safefile.Kind(info.Mode()))
	}
	if info.Mode().Perm()&0o077 != 0 { // an earlier run's store, made before it was so
		f.Chmod(0o600) //nolint:errcheck // another user's store is refused by the folder's checks
	}
	// One writer at a time: two stores open on one file wrote over each other's images, each Append
	// returning nil (forty-fifth probe). The lock goes with the file's descriptor, at Close.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := ddpm.LockHolder(f, 0, "")
		f.Close()
		return nil, fmt.Errorf("sample store %s is locked by %s (%v), as by another store open on it: close that one first", path, holder, err)
	}
	if info.Size() == 0 {
		if _, err := f.Write(header); err != nil {
			f.Close()
			return nil, err
		}
		return &SampleStore{Path: path, ImageSize: imageSize, most: most, headerLen: int64(len(header)), f: f}, f.Sync()
	}
	first, err := checkStoreHeader(path, f, header, legacy)
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &SampleStore{Path: path, ImageSize: imageSize, most: most, headerLen: int64(len(first)), f: f}
	body := info.Size() - s.headerLen
	// A store of the former first line says nothing of its image size: one that is not whole images of
	// this size is refused, not cut to them (the forty-fifth probe's case, come back through it; forty-sixth).
	if bytes.Equal(first, legacy) && body%int64(imageSize) != 0 {
		f.Close()
		return nil, fmt.Errorf("sample store %s, of a former kind that records no image size, does not hold whole images of %d values: remove it, or use another folder for this run", path, imageSize)
	}
	s.count = int(body / int64(imageSize))
	whole := s.headerLen + int64(s.count)*int64(imageSize)
	if whole != info.Size() {
		if err := f.Truncate(whole); err != nil {
			f.Close()
			return nil, err
		}
	}
	if _, err := f.Seek(whole, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// maxQuoted is the most of a foreign store's first line that a message quotes.
const maxQuoted = 200

// StoreDescription returns the description in a store's first line (without its newline), of either
// form that OpenSampleStore reads: the image size and the description, or the description alone (a
// store made before the size was written, whose imageSize is 0). The description is the bytes written,
// which are those of json.Marshal(desc): a caller compares it with its own to know a store of its
// settings, whatever the form (forty-fifth probe; the form had been a special case in eval).
func StoreDescription(line []byte) (desc json.RawMessage, imageSize int, err error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(line, &members); err != nil {
		return nil, 0, fmt.Errorf("a sample store's first line is a JSON object: %w", err)
	}
	if size, ok := members["image_size"]; ok && len(members) == 2 && members["description"] != nil {
		if err := json.Unmarshal(size, &imageSize); err != nil || imageSize < 1 {
			return nil, 0, fmt.Errorf("a sample store's image size is %s: want a whole number above 0", size)
		}
		return members["description"], imageSize, nil
	}
	return json.RawMessage(line), 0, nil
}

// storeHeaders are a store's first line, its image size and the caller's description, and the first
// line of a store made before the size was written, the description alone, which is still read: a
// store reopened for images of another size with the same description was taken, its images cut
// anew, and its file cut back to whole images of the new size (forty-fifth probe).
func storeHeaders(imageSize int, desc any) (header, legacy []byte, err error) {
	d, err := json.Marshal(desc)
	if err != nil {
		return nil, nil, err
	}
	h, err := json.Marshal(struct {
		ImageSize   int             `json:"image_size"`
		Description json.RawMessage `json:"description"`
	}{imageSize, d})
	if err != nil {
		return nil, nil, err
	}
	return append(h, '\n'), append(d, '\n'), nil
}

// checkStoreHeader reads the first bytes of a store, as many as the longest of wants, and returns the
// one of wants that the store begins with (the first of them for an empty store), or refuses it. It
// reads no more than that: the first line of a foreign file was read whole, and quoted whole (a 512 MB
// file of zeros took 3.8 GB and gave a 536 MB message; eleventh probe).
func checkStoreHeader(path string, r io.Reader, wants ...[]byte) ([]byte, error) {
	most := 0
	for _, w := range wants {
		most = max(most, len(w))
	}
	got := make([]byte, most)
	n, err := io.ReadFull(r, got)
	if n == 0 && err == io.EOF {
		return wants[0], nil
	}
	for _, w := range wants {
		if n >= len(w) && bytes.Equal(got[:len(w)], w) {
			return w, nil
		}
	}
	want := wants[0]
	got = got[:n]
	if i := bytes.IndexByte(got, '\n'); i >= 0 {
		got = got[:i]
	}
	quoted := fmt.Sprintf("%q", got)
	if len(got) > maxQuoted {
		quoted = fmt.Sprintf("%q…", got[:maxQuoted])
	}
	return nil, fmt.Errorf("sample store %s was made with other settings (its first line: %s); want %s: remove it, or use another folder for this run",
		path, quoted, bytes.TrimSpace(want))
}

// copyApartFromOtherNames replaces a regular file that has other names (hard links: a backup of the
// work folder made with `cp -al`) by a copy of itself, so that appending to it and cutting it back in
// place leave the other names' file alone (they changed the backup too, seventh probe).
func copyApartFromOtherNames(path string) error {
	info, err := os.Stat(path)
	if err != nil || !info.Mode().IsRegular() {
		return nil // a new store, or one that the checks after opening refuse
	}
	if st, ok := info.Sys().(*syscall.Stat_t); !ok || st.Nlink < 2 {
		return nil
	}
	src, err := safefile.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	return ddpm.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
}

// Truncate keeps the first n images and drops the rest (a batch to be made again).
func (s *SampleStore) Truncate(n int) error {
	if n < 0 || n > s.count {
		return fmt.Errorf("sample store %s holds %d images, cannot keep %d", s.Path, s.count, n)
	}
	info, err := s.f.Stat()
	if err != nil {
		return err
	}
	end := info.Size() - int64(s.count-n)*int64(s.ImageSize)
	if err := s.f.Truncate(end); err != nil {
		return fmt.Errorf("sample store %s: %w", s.Path, err)
	}
	if _, err := s.f.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("sample store %s: %w", s.Path, err)
	}
	s.count = n
	return s.f.Sync()
}

// Len is the number of images stored.
func (s *SampleStore) Len() int { return s.count }

// OnDisk is the number of whole images in the file as it is now, which another goroutine may read
// while images are appended (what a signal's message says was kept).
func (s *SampleStore) OnDisk() int {
	info, err := s.f.Stat()
	if err != nil || info.Size() < s.headerLen {
		return 0
	}
	return int((info.Size() - s.headerLen) / int64(s.ImageSize))
}

// Append quantizes images (flat, values in [−1, 1]) to 8 bits, writes and syncs them.
func (s *SampleStore) Append(images []float32) error {
	if len(images)%s.ImageSize != 0 {
		return fmt.Errorf("sample store %s: %d values are not whole images of %d", s.Path, len(images), s.ImageSize)
	}
	// Never past its most, which a store then read back was refused for (thirty-second probe), nor a
	// value that is no number, which would be stored as an image of something (the classifier refuses them).
	if n := len(images) / s.ImageSize; n > s.most-s.count {
		return fmt.Errorf("sample store %s holds %d images of at most %d: %d more do not fit", s.Path, s.count, s.most, n)
	}
	for i, v := range images {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("sample store %s: value %d of the images to store is %g, not a finite number", s.Path, i, v)
		}
	}
	buf := make([]byte, len(images))
	for i, v := range images {
		buf[i] = quantize(v)
	}
	if _, err := s.f.Write(buf); err != nil {
		return s.cutBack(err)
	}
	if err := s.f.Sync(); err != nil {
		return s.cutBack(err)
	}
	s.count += len(images) / s.ImageSize
	return nil
}

// cutBack returns the error of a failed Append once the store is cut back to its last whole image: a
// write cut short by a full disk left its part in the file, the next Appends went on after it, and
// every image read back was shifted by it, with no error (forty-sixth probe).
func (s *SampleStore) cutBack(err error) error {
	whole := s.headerLen + int64(s.count)*int64(s.ImageSize)
	if terr := s.f.Truncate(whole); terr != nil {
		return fmt.Errorf("sample store %s: %w (and it could not be cut back to its %d whole images: %v; remove it)", s.Path, err, s.count, terr)
	}
	if _, serr := s.f.Seek(whole, io.SeekStart); serr != nil {
		return fmt.Errorf("sample store %s: %w (%v)", s.Path, err, serr)
	}
	return fmt.Errorf("sample store %s: %w (its %d whole images are kept)", s.Path, err, s.count)
}

// Images returns the first n stored images scaled to [−1, 1].
func (s *SampleStore) Images(n int) ([]float32, error) {
	if n < 0 || n > s.count { // -1 panicked (thirty-second probe)
		return nil, fmt.Errorf("sample store %s holds %d images, %d asked", s.Path, s.count, n)
	}
	buf := make([]byte, n*s.ImageSize)
	if _, err := s.f.ReadAt(buf, s.headerLen); err != nil { // after the header: a part written after the images shifted them
		return nil, fmt.Errorf("sample store %s: %w", s.Path, err)
	}
	out := make([]float32, len(buf))
	for i, b := range buf {
		out[i] = dequantize(b)
	}
	return out, nil
}

// AsStored returns images (flat, [−1, 1]) as a store gives them back: quantized to 8 bits, so that
// images made beside a store score as the same images read from one. A value that is not finite (NaN,
// ±Inf) stays as it is, for the scoring to refuse, as a store refuses it: NaN was made −1, a black
// pixel (forty-seventh sweep), and ±Inf ±1 (sixty-fourth probe's nit).
func AsStored(images []float32) []float32 {
	out := make([]float32, len(images))
	for i, v := range images {
		out[i] = dequantize(quantize(v))
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			out[i] = v
		}
	}
	return out
}

func quantize(v float32) uint8 {
	return uint8(math.Round(math.Min(math.Max((float64(v)+1)*127.5, 0), 255)))
}

func dequantize(b uint8) float32 { return float32(b)/127.5 - 1 }

// Close closes the file.
func (s *SampleStore) Close() error { return s.f.Close() }
