package quality

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/learn-ddpm/ddpm-go/internal/fulldisk"
)

func TestSampleStoreResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.u8")
	desc := map[string]any{"ckpt": "a.ddpm", "seed": 1}
	s, err := OpenSampleStore(path, 3, 100, desc)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append([]float32{-1, 0, 1, 1, 1, -1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Append([]float32{2, -3, 0.5}); err != nil { // clamped to [−1, 1]
		t.Fatal(err)
	}
	s.Close()

	// A crash in the middle of a write leaves part of an image: it is dropped on resume.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{7, 7})
	f.Close()

	s, err = OpenSampleStore(path, 3, 100, desc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 3 {
		t.Fatalf("resumed store holds %d images, want 3", s.Len())
	}
	images, err := s.Images(3)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{-1, float32(128)/127.5 - 1, 1, 1, 1, -1, 1, -1, float32(191)/127.5 - 1}
	for i := range want {
		if images[i] != want[i] {
			t.Errorf("value %d: got %g, want %g", i, images[i], want[i])
		}
	}
	if err := s.Append([]float32{0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 4 {
		t.Errorf("after one more image: %d, want 4", s.Len())
	}
	if _, err := s.Images(5); err == nil {
		t.Errorf("asking for more images than stored did not fail")
	}

	_, err = OpenSampleStore(path, 3, 100, map[string]any{"ckpt": "b.ddpm", "seed": 1})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a store made with other settings was resumed (err %v)", err)
	}
}

// A store that has other names (a backup of the work folder made with `cp -al`) is resumed from a copy
// of its own: appending and cutting back in place changed the backup too (seventh probe).
func TestSampleStoreLeavesItsHardLinksAlone(t *testing.T) {
	dir := t.TempDir()
	path, backup := filepath.Join(dir, "samples.u8"), filepath.Join(dir, "backup.u8")
	s, err := OpenSampleStore(path, 3, 100, "d")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append([]float32{0, 0, 0, 1, 1, 1}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Link(path, backup); err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(backup)
	if s, err = OpenSampleStore(path, 3, 100, "d"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Truncate(1); err != nil {
		t.Fatal(err)
	}
	if err := s.Append([]float32{-1, -1, -1, -1, -1, -1}); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(backup); string(now) != string(saved) {
		t.Errorf("the backup changed from %d to %d bytes when the store was resumed", len(saved), len(now))
	}
	if s.Len() != 3 {
		t.Errorf("the store holds %d images, want 3", s.Len())
	}
}

// A store is never written through a symbolic link, which only someone else put in --work: a link to
// an empty file elsewhere (a user's notes) had the store written into it, exit 0 (fourteenth probe).
func TestSampleStoreRefusesALink(t *testing.T) {
	dir := t.TempDir()
	notes, path := filepath.Join(dir, "notes.txt"), filepath.Join(dir, "samples.u8")
	if err := os.WriteFile(notes, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(notes, path); err != nil {
		t.Fatal(err)
	}
	if s, err := OpenSampleStore(path, 3, 100, "d"); err == nil || !strings.Contains(err.Error(), "a symbolic link") || !strings.Contains(err.Error(), path) {
		t.Errorf("a store planted as a link to an empty file: error %v, want a refusal naming it", err)
		if s != nil {
			s.Close()
		}
	}
	if info, _ := os.Stat(notes); info.Size() != 0 {
		t.Errorf("the link's target was written: %d bytes", info.Size())
	}
}

// A foreign file where a store goes is refused from its first bytes alone: its first line was read
// whole and quoted whole (a 512 MB file of zeros took 3.8 GB and gave a 536 MB message), and one with
// other names was copied whole before the refusal (eleventh probe).
func TestSampleStoreRefusesAForeignFileCheaply(t *testing.T) {
	dir := t.TempDir()
	path, other := filepath.Join(dir, "samples.u8"), filepath.Join(dir, "other.u8")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"x":1}` + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(256 << 20); err != nil { // sparse: 256 MiB of zeros after the line
		t.Fatal(err)
	}
	f.Close()
	if err := os.Link(path, other); err != nil {
		t.Fatal(err)
	}
	zeros := filepath.Join(dir, "zeros.u8")
	if err := os.WriteFile(zeros, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(zeros, 256<<20); err != nil {
		t.Fatal(err)
	}
	for _, store := range []string{path, zeros} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := OpenSampleStore(store, 3, 100, "d")
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "made with other settings") || len(err.Error()) > 1000 {
			t.Errorf("%s: error of %d bytes %.300v, want a short refusal", store, len(err.Error()), err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("%s: refusing it allocated %d bytes", store, grew)
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil || st.Nlink != 2 || st.Blocks*512 > 1<<20 {
		t.Errorf("the refused store was copied apart (links %d, %d bytes on disk; %v)", st.Nlink, st.Blocks*512, err)
	} // This run's first line, and more images than a run ever makes (a sparse tail): refused before it is
	// copied apart, where 2 GB of zeros became 2 GB on disk (eighteenth probe).
	ours := filepath.Join(dir, "ours.u8")
	if err := os.WriteFile(ours, []byte(`"d"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Truncate(ours, 256<<20)                     //nolint:errcheck
	os.Link(ours, filepath.Join(dir, "backup.u8")) //nolint:errcheck
	if _, err := OpenSampleStore(ours, 3, 100, "d"); err == nil || !strings.Contains(err.Error(), "and a run never makes more than 100") {
		t.Errorf("a store of %d images where at most 100 are made: error %v", (256<<20)/3, err)
	}
	if err := syscall.Stat(ours, &st); err != nil || st.Nlink != 2 || st.Blocks*512 > 1<<20 {
		t.Errorf("the extended store was copied apart (links %d, %d bytes on disk; %v)", st.Nlink, st.Blocks*512, err)
	}
}

// Scores of nothing are not numbers, not panics (ninth probe: Accuracy and Confident divided by zero,
// a mismatched Accuracy read rows of the wrong width, FrechetDistance of nil dereferenced it).
func TestScoresOfNothing(t *testing.T) {
	if a := Accuracy(nil, nil); !math.IsNaN(a) {
		t.Errorf("Accuracy of nothing: %g, want NaN", a)
	}
	if a := Accuracy(make([]float32, 20), []uint8{1, 2, 3}); !math.IsNaN(a) {
		t.Errorf("Accuracy of 20 probabilities for 3 labels: %g, want NaN", a)
	}
	if f, _ := Confident([]float32{0.5, 0.5}, 0, 0.9); !math.IsNaN(f) {
		t.Errorf("Confident with 0 classes: %g, want NaN", f)
	}
	if f, _ := Confident([]float32{0.5, 0.5}, 2, float32(math.NaN())); !math.IsNaN(f) {
		t.Errorf("Confident with a NaN threshold: %g, want NaN", f)
	}
	if _, err := FrechetDistance(nil, nil); err == nil {
		t.Error("FrechetDistance(nil, nil): no error")
	}
	// What is no probability, or not whole rows of them (forty-fourth probe: a row of NaN was class 0, a
	// partial row was dropped, a NaN scored 1 and −1 NaN, and a NaN feature fitted a Gaussian).
	nan := float32(math.NaN())
	if a := Accuracy([]float32{nan, 1, 0, 1}, []uint8{0, 1}); !math.IsNaN(a) {
		t.Errorf("Accuracy with a NaN probability: %g, want NaN", a)
	}
	for _, probs := range [][]float32{{nan, nan, 0.1, 0.9}, {0.1, 0.9, 0.5}} {
		if f, _ := Confident(probs, 2, 0.9); !math.IsNaN(f) {
			t.Errorf("Confident(%v, 2 classes): %g, want NaN", probs, f)
		}
	}
	for _, probs := range [][]float32{{nan, 1}, {-1, 2, 0.5, 0.5}} {
		if _, err := ClassifierScore(probs, 2); err == nil || !strings.Contains(err.Error(), "not a probability") {
			t.Errorf("ClassifierScore(%v): %v", probs, err)
		}
	}
	if _, _, err := ConditionalAccuracy([]float32{nan, 1}, 2, []int{0}); err == nil {
		t.Error("ConditionalAccuracy with a NaN probability: no error")
	}
	for _, v := range []float32{nan, float32(math.Inf(1))} {
		if _, err := FitGaussian([]float32{1, v, 3, 4}, 1); err == nil {
			t.Errorf("FitGaussian of a %v: no error", v)
		}
	}
}

// A store never takes more than its most, which it was then refused for when read back, nor a value
// that is no number; Images(−1) is an error, not a panic (thirty-second probe).
func TestSampleStoreKeepsItsBounds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.u8")
	if _, err := OpenSampleStore(path, 0, 3, "d"); err == nil {
		t.Error("a store of images of 0 values: no error")
	}
	s, err := OpenSampleStore(path, 4, 3, "d")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(make([]float32, 8)); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(make([]float32, 8)); err == nil || !strings.Contains(err.Error(), "holds 2 images of at most 3: 2 more do not fit") {
		t.Errorf("2 images more than its most of 3: error %v", err)
	}
	if err := s.Append([]float32{0, float32(math.NaN()), 0, 0}); err == nil || !strings.Contains(err.Error(), "not a finite number") {
		t.Errorf("a NaN value: error %v", err)
	}
	if _, err := s.Images(-1); err == nil {
		t.Error("Images(-1): no error")
	}
	if err := s.Append(make([]float32, 4)); err != nil || s.Len() != 3 {
		t.Errorf("the third image: %v, %d stored", err, s.Len())
	}
	// A second store on the file while the first is open: they wrote over each other's images
	// (forty-fifth probe).
	if _, err := OpenSampleStore(path, 4, 3, "d"); err == nil || !strings.Contains(err.Error(), "is locked by this process, through another open file") {
		t.Errorf("a second store on an open one: %v", err)
	}
	// Readable by its user alone: another user who could open it could hold its lock (sixty-fourth probe).
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the store's mode: %v, %v; want 0600", info.Mode(), err)
	}
	s.Close()
	if again, err := OpenSampleStore(path, 4, 3, "d"); err != nil || again.Len() != 3 {
		t.Errorf("read back: %v", err)
	} else {
		again.Close()
	}
	// Reopened for images of another size with the same description: it was taken, and its file cut
	// back to whole images of the new size (forty-fifth probe).
	before, _ := os.ReadFile(path)
	if _, err := OpenSampleStore(path, 5, 100, "d"); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("reopened for images of 5 values, made for 4: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("the refused reopen changed the file: %d bytes, were %d", len(after), len(before))
	}
	// A store made before the image size was written, its description alone on its first line, is read.
	legacy := filepath.Join(t.TempDir(), "legacy.u8")
	if err := os.WriteFile(legacy, append([]byte("\"d\"\n"), 1, 2, 3, 4, 5, 6, 7, 8), 0o644); err != nil {
		t.Fatal(err)
	}
	if old, err := OpenSampleStore(legacy, 4, 3, "d"); err != nil || old.Len() != 2 {
		t.Errorf("a store of the former header: %v", err)
	} else {
		old.Close()
	}
	// One that is not whole images of the size asked says nothing of its own: refused, not cut to them
	// (forty-sixth probe).
	before, _ = os.ReadFile(legacy)
	if _, err := OpenSampleStore(legacy, 3, 3, "d"); err == nil || !strings.Contains(err.Error(), "does not hold whole images of 3 values") {
		t.Errorf("a store of the former header opened for images of 3 values: %v", err)
	}
	if after, _ := os.ReadFile(legacy); !bytes.Equal(before, after) {
		t.Errorf("the refused reopen changed the file: %d bytes, were %d", len(after), len(before))
	}
}

// Counts that divided by zero, asked 80 GB, or ran on for good are refused (thirty-third probe).
func TestScoresRefuseImpossibleCounts(t *testing.T) {
	if _, _, err := ConditionalAccuracy([]float32{0.5, 0.5}, 0, []int{0}); err == nil {
		t.Error("ConditionalAccuracy of 0 classes: no error")
	}
	if _, err := FitGaussian(make([]float32, 200000), 100000); err == nil || !strings.Contains(err.Error(), "memory") {
		t.Errorf("FitGaussian of 10⁵ features: error %v, want a refusal naming the memory", err)
	}
	g, err := FitGaussian([]float32{0, 1, 1, 0, 2, 2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FrechetStdErr([]float32{0, 1, 1, 0, 2, 2}, 2, g, 1<<40, 1); err == nil {
		t.Error("FrechetStdErr of 2⁴⁰ resamples: no error")
	}
}

// A failed Append leaves the store at its last whole image: a write cut short by a full disk left its
// part in the file, later Appends went on after it, and every image read back was shifted by it, with
// no error (forty-sixth probe).
func TestSampleStoreAfterAFailedAppend(t *testing.T) {
	dir := fulldisk.Mount(t)
	fill := filepath.Join(dir, "fill")
	info, err := os.Stat(fill)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(fill, info.Size()-4096); err != nil { // one page free
		t.Fatal(err)
	}
	s, err := OpenSampleStore(filepath.Join(dir, "s.u8"), 1000, 10, "d")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	image := func(i int) []float32 {
		x := make([]float32, 1000)
		for j := range x {
			x[j] = float32(i)/4 - 0.5
		}
		return x
	}
	failed := -1
	for i := 0; i < 5 && failed < 0; i++ {
		if err := s.Append(image(i)); err != nil {
			failed = i
		}
	}
	if failed < 0 {
		t.Fatal("no Append failed on a full disk")
	}
	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	for i := failed; i < failed+2; i++ {
		if err := s.Append(image(i)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Images(s.Len())
	if err != nil || s.Len() != failed+2 {
		t.Fatalf("%d images read back (%v), want %d", s.Len(), err, failed+2)
	}
	for i := 0; i < s.Len(); i++ {
		want := AsStored(image(i))
		if !slices.Equal(got[i*1000:(i+1)*1000], want) {
			t.Errorf("image %d reads %v…, want %v…", i, got[i*1000:i*1000+3], want[:3])
		}
	}
}

// A store's description is read from either form of its first line, as the bytes that json.Marshal
// gives for it, so that eval knows its own store in both; a size that is no count is refused.
func TestStoreDescription(t *testing.T) {
	desc := map[string]any{"checkpoint_sha256": "bb", "dims": []int{28, 28, 1}}
	want, _ := json.Marshal(desc)
	header, legacy, err := storeHeaders(784, desc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		line []byte
		size int
	}{{bytes.TrimSuffix(header, []byte("\n")), 784}, {bytes.TrimSuffix(legacy, []byte("\n")), 0}} {
		got, size, err := StoreDescription(c.line)
		if err != nil || !bytes.Equal(got, want) || size != c.size {
			t.Errorf("StoreDescription(%s) = %s, %d, %v; want %s, %d", c.line, got, size, err, want, c.size)
		}
	}
	for _, line := range []string{`{"image_size":0,"description":{}}`, `{"image_size":-3,"description":{}}`, `{"image_size":"x","description":{}}`, `not json`, `[1]`} {
		if _, _, err := StoreDescription([]byte(line)); err == nil {
			t.Errorf("StoreDescription(%s): no error", line)
		}
	}
}
