package ddpm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func TestCheckpointRoundTripAndCorruption(t *testing.T) {
	ctx := context.New()
	ctx.In("a").VariableWithValue("w", []float32{1, 2, 3})
	ctx.In("b").VariableWithValue("n", int64(42)).SetTrainable(false)
	path := filepath.Join(t.TempDir(), "x.ddpm")
	meta := map[string]string{"model": "test"}
	if err := WriteCheckpoint(path, ctx, 9, meta, nil); err != nil {
		t.Fatal(err)
	}
	loaded := context.New()
	var gotMeta map[string]string
	step, err := LoadCheckpoint(path, loaded, &gotMeta)
	if err != nil {
		t.Fatal(err)
	}
	w := loaded.GetVariableByScopeAndName("/a", "w")
	n := loaded.GetVariableByScopeAndName("/b", "n")
	if step != 9 || gotMeta["model"] != "test" || w == nil || n == nil || n.Trainable || !w.Trainable {
		t.Fatalf("round trip: step %d, meta %v, w %v, n %v", step, gotMeta, w, n)
	}
	wv, _ := w.Value()
	if got := tensors.MustCopyFlatData[float32](wv); got[2] != 3 {
		t.Errorf("w = %v after the round trip", got)
	}

	raw, _ := os.ReadFile(path)
	corrupt := append([]byte(nil), raw...)
	corrupt[len(corrupt)-9] ^= 0xff // inside the last variable's data
	os.WriteFile(path, corrupt, 0o644)
	if _, err := LoadCheckpoint(path, context.New(), nil); err == nil || !strings.Contains(err.Error(), "CRC-32") || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt checkpoint: error %v, want a CRC-32 mismatch naming the file", err)
	}
	os.WriteFile(path, raw[:len(raw)-5], 0o644)
	if _, err := LoadCheckpoint(path, context.New(), nil); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated checkpoint: error %v, want 'truncated'", err)
	}
	os.WriteFile(path, []byte("hello"), 0o644)
	if _, err := LoadCheckpoint(path, context.New(), nil); err == nil || !strings.Contains(err.Error(), "not a ddpm-go checkpoint") {
		t.Errorf("not a checkpoint: error %v", err)
	}
}

// smallCheckpoint is a valid checkpoint of two variables with a run description, as bytes.
func smallCheckpoint(t testing.TB) []byte {
	ctx := context.New()
	ctx.In("a").VariableWithValue("w", []float32{1, 2, 3})
	ctx.In("b").VariableWithValue("n", int64(42)).SetTrainable(false)
	path := filepath.Join(t.TempDir(), "small.ddpm")
	spec := RunSpec{Model: ModelMLP, MLP: &MLPConfig{Dim: 2, Hidden: 8, Layers: 1, TimeEmbed: 4}, Schedule: ScheduleLinear, T: 200}
	if err := WriteCheckpoint(path, ctx, 9, &spec, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Every byte of a checkpoint is covered: flipping any one of them, in the magic line, the header's
// length, the header (the run's description included: "T":200 edited to "T":800 is the issue's
// case), its CRC or a variable, makes loading and reading the description fail with the file named,
// and leaves the context untouched. A version 1 file (no header CRC) still loads.
func TestCheckpointEveryByteIsChecked(t *testing.T) {
	raw := smallCheckpoint(t)
	path := filepath.Join(t.TempDir(), "flipped.ddpm")
	for i := range raw {
		flipped := bytes.Clone(raw)
		flipped[i] ^= 0x01
		if err := os.WriteFile(path, flipped, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx := context.New()
		if _, err := LoadCheckpoint(path, ctx, &RunSpec{}); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("byte %d of %d flipped: LoadCheckpoint error %v, want one naming the file", i, len(raw), err)
		}
		for v := range ctx.IterVariables() {
			t.Fatalf("byte %d flipped: the failed load created variable %s", i, v.ScopeAndName())
		}
	}
	edited := bytes.Replace(raw, []byte(`"T":200`), []byte(`"T":800`), 1)
	if bytes.Equal(edited, raw) {
		t.Fatal(`the description holds no "T":200 to edit`)
	}
	os.WriteFile(path, edited, 0o644)
	if _, err := ReadCheckpointMeta(path, &RunSpec{}); err == nil || !strings.Contains(err.Error(), "corrupt header") {
		t.Errorf(`"T":200 edited to "T":800: ReadCheckpointMeta error %v, want a corrupt header`, err)
	}
	os.WriteFile(path, append(bytes.Clone(raw), 0), 0o644)
	if _, err := LoadCheckpoint(path, context.New(), nil); err == nil || !strings.Contains(err.Error(), "unexpected bytes") {
		t.Errorf("a byte appended: error %v", err)
	}

	// Version 1: the same without the header's CRC.
	n := binary.LittleEndian.Uint32(raw[len(checkpointMagic):])
	headerEnd := len(checkpointMagic) + 4 + int(n)
	v1 := append([]byte(checkpointMagicV1), raw[len(checkpointMagic):headerEnd]...)
	v1 = append(v1, raw[headerEnd+4:]...)
	os.WriteFile(path, v1, 0o644)
	var spec RunSpec
	if step, err := LoadCheckpoint(path, context.New(), &spec); err != nil || step != 9 || spec.T != 200 {
		t.Errorf("version 1 file: step %d, T %d, error %v", step, spec.T, err)
	}
}

// FuzzLoadCheckpoint feeds arbitrary bytes to the checkpoint reader: it must never panic nor allocate
// what a corrupt header asks for, and what it accepts must be consistent. Seeds are here and in
// testdata/fuzz/FuzzLoadCheckpoint; fuzz with
//
//	go test ./ddpm -run '^$' -fuzz FuzzLoadCheckpoint -fuzztime 30s -fuzzminimizetime 3s
func FuzzLoadCheckpoint(f *testing.F) {
	raw := smallCheckpoint(f)
	f.Add(raw)
	f.Add(raw[:len(raw)-3])
	header := func(json string) []byte { // a version 1 file with this header and no data
		out := append([]byte(checkpointMagicV1), 0, 0, 0, 0)
		binary.LittleEndian.PutUint32(out[len(checkpointMagicV1):], uint32(len(json)))
		return append(out, json...)
	}
	f.Add(header(`{"step":1,"variables":[{"scope":"/a","name":"w","dtype":"Float32","dims":[1073741824,1073741824],"length":0}]}`))
	f.Add(header(`{"step":1,"variables":[{"scope":"/a","name":"w","dtype":"Float32","dims":[-4],"length":16}]}`))
	f.Add(header(`{"step":1,"variables":[{"scope":"/a","name":"w","dtype":"NoType","dims":[2],"length":8}]}`))
	f.Add(header(`{"step":1,"meta":{"T":"x"},"variables":[]}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		ctx := context.New()
		var spec RunSpec
		step, err := decodeCheckpoint("fuzz.ddpm", bytes.NewReader(content), int64(len(content)), ctx, &spec, nil)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.ddpm") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		total := 0
		for v := range ctx.IterVariables() {
			value, verr := v.Value()
			if verr != nil {
				t.Fatal(verr)
			}
			total += int(value.Shape().Memory())
		}
		if total > len(content) {
			t.Fatalf("step %d: %d bytes of variables from a %d-byte file", step, total, len(content))
		}
	})
}

// A run killed in the middle of WriteFileAtomic leaves its temporary file; the next holder of the
// folder's lock removes it and nothing else.
func TestRemoveStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	// Other programs' files that look alike stay (every ".*.tmp-*" was removed; eleventh probe).
	keep := []string{".ckpt-notes.ddpm.tmp-2024", ".ddpm.lock", ".notes.tmp-1", ".report.tmp-2024", ".thesis.tex.tmp-autosave", ".x.json.tmp-12", "ckpt-000000010.ddpm", "notes.tmp"}
	for _, name := range append([]string{".ckpt-000000020.ddpm.tmp-12345", ".nll-progress.json.tmp-9"}, keep...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveStaleTemporaries(dir, func(name string) bool { return IsCheckpointName(name) || name == "nll-progress.json" }); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != strings.Join(keep, ",") {
		t.Errorf("left in the folder: %v, want only %v", left, keep)
	}
}

// A header that declares an empty variable or a dtype without host values is refused before any
// tensor is made (both panicked inside GoMLX, issue 32's second probe).
func TestCheckpointHeaderRefusesEmptyVariablesAndHostlessDTypes(t *testing.T) {
	for _, cv := range []checkpointVar{
		{Scope: "/m", Name: "w", DType: "Float32", Dims: []int{0}, Length: 0},
		{Scope: "/m", Name: "w", DType: "Float32", Dims: []int{3, 0, 2}, Length: 0},
		{Scope: "/m", Name: "w", DType: "InvalidDType", Dims: []int{1}, Length: 1},
	} {
		if _, err := cv.shape(); err == nil {
			t.Errorf("variable %+v: accepted, want a refusal", cv)
		}
	}
	ok := checkpointVar{Scope: "/m", Name: "w", DType: "Float32", Dims: []int{2, 3}, Length: 24}
	if _, err := ok.shape(); err != nil {
		t.Errorf("a 2×3 float32 variable: %v", err)
	}
}

// The newest checkpoint is the one with the largest step, read from ckpt-<step>.ddpm: not the last name
// in sorted order (an unpadded ckpt-5.ddpm sorted after ckpt-000000020.ddpm, and ckpt-abc.ddpm after
// both), and a file merely named like a checkpoint is not one.
func TestLatestCheckpointIsTheLargestStep(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"ckpt-000000020.ddpm", "ckpt-5.ddpm", "ckpt-abc.ddpm", "ckpt-100.ddpm", "ckpt-.ddpm",
		"ckpt-7.ddpm.tmp", "model.ddpm", "ckpt-99999999999999999999999.ddpm"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all, err := ListCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range all {
		names = append(names, filepath.Base(p))
	}
	if want := []string{"ckpt-5.ddpm", "ckpt-000000020.ddpm", "ckpt-100.ddpm"}; !slices.Equal(names, want) {
		t.Errorf("ListCheckpoints: %v, want %v", names, want)
	}
	if latest, err := LatestCheckpoint(dir); err != nil || filepath.Base(latest) != "ckpt-100.ddpm" {
		t.Errorf("LatestCheckpoint: %s, %v; want ckpt-100.ddpm", latest, err)
	}
	// Two of the newest step, however written, are refused by name: a copy put there by hand was taken
	// over the run's own (fifty-sixth probe). Two of an older step are the prune's.
	if err := os.WriteFile(filepath.Join(dir, "ckpt-000000100.ddpm"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LatestCheckpoint(dir); err == nil || !strings.Contains(err.Error(), "two checkpoints of step 100, ckpt-000000100.ddpm and ckpt-100.ddpm") {
		t.Errorf("LatestCheckpoint of two files of step 100: %v, want a refusal naming both", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ckpt-000000005.ddpm"), nil, 0o644); err != nil || os.Remove(filepath.Join(dir, "ckpt-100.ddpm")) != nil {
		t.Fatal(err)
	}
	if latest, err := LatestCheckpoint(dir); err != nil || filepath.Base(latest) != "ckpt-000000100.ddpm" {
		t.Errorf("LatestCheckpoint with two files of an older step: %s, %v", latest, err)
	}
}

// A header whose step is negative (written with valid CRCs) is refused by every reader: training would
// count from it and the file name could not say it (issue 32's third probe).
func TestCheckpointRefusesANegativeStep(t *testing.T) {
	ctx := context.New()
	ctx.In("a").VariableWithValue("w", []float32{1, 2, 3})
	path := filepath.Join(t.TempDir(), "negative.ddpm")
	// WriteCheckpoint refuses a negative step (thirty-third probe): the header of step 7 is edited,
	// its length and CRC written again.
	if err := WriteCheckpoint(path, ctx, 7, nil, nil); err != nil {
		t.Fatal(err)
	}
	editHeader(t, path, `"step":7`, `"step":-7`)
	if _, err := LoadCheckpoint(path, context.New(), nil); err == nil || !strings.Contains(err.Error(), "step -7 is negative") {
		t.Errorf("LoadCheckpoint: %v, want a refusal of step -7", err)
	}
	if _, _, err := ReadCheckpointWeights(path, nil); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadCheckpointWeights: %v, want a refusal naming the file", err)
	}
}

// A header is bounded as it is decoded: a list of a million empty variables (3 MB; the probe's 63 MB
// one took 6.4 GB and 30 s) is refused at the 65 537th entry, a shape of 17 dimensions from its commas,
// and a header longer than 16 MiB from its length (seventh probe). Each header has a valid CRC.
func TestCheckpointHeaderIsBoundedBeforeItIsDecoded(t *testing.T) {
	write := func(name string, header []byte, n uint32) string {
		out := append([]byte(checkpointMagic), 0, 0, 0, 0)
		binary.LittleEndian.PutUint32(out[len(checkpointMagic):], n)
		out = append(out, header...)
		out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(header))
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var many strings.Builder // 2^17 variables of distinct names
	many.WriteString(`{"step":1,"variables":[{"name":"v"}`)
	for i := range 1 << 17 {
		fmt.Fprintf(&many, `,{"name":"%x"}`, i)
	}
	many.WriteString(`]}`)
	empties := many.String()
	longName := `{"step":1,"variables":[{"scope":"/a","name":"` + strings.Repeat("w", 5000) + `","dtype":"Float32","dims":[1],"length":4}]}`
	twice := `{"step":1,"variables":[{"scope":"/a","name":"w","dtype":"Float32","dims":[1],"length":4},{"scope":"/a","name":"w","dtype":"Float32","dims":[2],"length":8}]}`
	hugeStep := `{"step":` + strings.Repeat("1", 5_000_000) + `,"variables":[]}`
	hugeMeta := `{"step":1,"meta":{"t":-` + strings.Repeat("9", 65) + `},"variables":[]}`
	rank17 := `{"step":1,"variables":[{"scope":"/a","name":"w","dtype":"Float32","dims":[` + strings.Repeat("1,", 16) + `1],"length":4}]}`
	for _, c := range []struct {
		name, header string
		n            uint32 // the length the file states
		want         string
	}{
		{"empties", empties, uint32(len(empties)), "more than 65536 variables"},
		{"rank 17", rank17, uint32(len(rank17)), "a shape of more than 16 dimensions"},
		{"17 MiB", "{}", 17 << 20, "header length 17825792 is not plausible"},
		// A name given twice: one of them was silently left out (eleventh probe).
		{"twice", twice, uint32(len(twice)), "variables 0 and 1 are both /a/w"},
		// A string that every message would quote whole (a 15 MB name; twelfth probe).
		{"long name", longName, uint32(len(longName)), "a string of 5000 bytes"},
		// A number that the decoder's message quoted whole (5 MB; thirteenth probe), and one just
		// past the bound in the run's description.
		{"huge step", hugeStep, uint32(len(hugeStep)), "a number of 5000000 characters"},
		{"huge setting", hugeMeta, uint32(len(hugeMeta)), "a number of 66 characters"},
	} {
		path := write(c.name, []byte(c.header), c.n)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := ReadCheckpointWeights(path, nil)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and %q", c.name, err, c.want)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%s: %d MB allocated to refuse a %d-byte header", c.name, alloc>>20, len(c.header))
		}
		if _, err := LoadCheckpoint(path, context.New(), nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: LoadCheckpoint: %v, want %q", c.name, err, c.want)
		}
	}
	// A header length within the bound in a file that holds far less: the bound's 16 MiB were allocated
	// before the file was read (sixty-third probe); what is read grows with what is there.
	path := write("short", []byte("{}"), 16<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := ReadCheckpointWeights(path, nil)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated in the header") {
		t.Errorf("a 16 MiB header length in a file of %d bytes: error %v, want it called truncated", len(checkpointMagic)+10, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("a 16 MiB header length in a file of %d bytes: %d kB allocated to refuse it", len(checkpointMagic)+10, alloc>>10)
	}
}

// A sparse file is as long as its header says while holding nothing: its variables must fit in the
// memory available before any is read (3 GB of a 300 KB file were read; fourteenth probe), and
// LoadTrained refuses variables of no part of a run from the header alone.
func TestCheckpointValuesMustFitInMemory(t *testing.T) {
	avail, ok := AvailableMemory()
	if !ok {
		t.Skip("no /proc/meminfo: the memory available is not known here")
	}
	const each = math.MaxInt32 / 2 // bytes per variable, under shape()'s bound
	n := int(avail/each) + 2
	var header strings.Builder
	header.WriteString(`{"step":1,"variables":[`)
	for i := range n {
		if i > 0 {
			header.WriteString(",")
		}
		fmt.Fprintf(&header, `{"scope":"/junk","name":"x%d","dtype":"Uint8","dims":[%d],"length":%d}`, i, each, each)
	}
	header.WriteString(`]}`)
	raw := []byte(header.String())
	out := append([]byte(checkpointMagic), binary.LittleEndian.AppendUint32(nil, uint32(len(raw)))...)
	out = append(out, raw...)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(raw))
	path := filepath.Join(t.TempDir(), "sparse.ddpm")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(len(out))+int64(n)*each); err != nil {
		t.Skipf("no sparse file here: %v", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := LoadCheckpoint(path, context.New(), nil)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "of memory") || !strings.Contains(err.Error(), path) {
		t.Errorf("a sparse checkpoint of %d GB: error %v, want a refusal naming the memory and the file", int64(n)*each>>30, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("%d MB allocated to refuse it", alloc>>20)
	}
}

// A shipped model with a variable of no part of a run is refused from its header (fourteenth probe).
func TestLoadTrainedRefusesForeignVariables(t *testing.T) {
	ctx := context.New()
	var spec RunSpec
	step, err := LoadCheckpoint("../models/mnist-ch8-ema.ddpm", ctx, &spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx.In("junk").VariableWithValue("x0", make([]uint8, 1<<20)).SetTrainable(false)
	path := filepath.Join(t.TempDir(), "junk.ddpm")
	if err := WriteCheckpoint(path, ctx, step, &spec, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTrained(path); err == nil || !strings.Contains(err.Error(), "/junk/x0, which belongs to no part of a training run") {
		t.Errorf("LoadTrained with a junk variable: %v", err)
	}
}

// CheckMemory lets a run ask for memoryShare of the memory available, not all of it: at 94%,
// `sample --n 100000` died of a C++ bad_alloc after a minute, as other programs grew (twenty-second
// probe).
func TestCheckMemoryLeavesRoom(t *testing.T) {
	avail, ok := AvailableMemory()
	if !ok {
		t.Skip("the available memory cannot be read here")
	}
	if err := CheckMemory("half", avail/2); err != nil {
		t.Errorf("half the memory available: %v", err)
	}
	if err := CheckMemory("nearly all", 0.97*avail); err == nil || !strings.Contains(err.Error(), "of which it may ask for 85%") {
		t.Errorf("97%% of the memory available: error %v, want a refusal", err)
	}
	// Under an address-space limit (ulimit -v), which XLA's and Go's reservations take 3 GiB of: a run
	// that fitted the memory aborted in C++'s bad_alloc (forty-sixth probe).
	defer func(f func() (float64, bool)) { AddressSpaceLimit = f }(AddressSpaceLimit)
	AddressSpaceLimit = func() (float64, bool) { return 3.5 * (1 << 30), true }
	if err := CheckMemory("0.7 GiB", 0.7*(1<<30)); err == nil || !strings.Contains(err.Error(), "address-space limit (ulimit -v) is 3.5 GiB") {
		t.Errorf("0.7 GiB under a limit of 3.5 GiB of address space: %v", err)
	}
	if err := CheckMemory("0.1 GiB", 0.1*(1<<30)); err != nil {
		t.Errorf("0.1 GiB under a limit of 3.5 GiB of address space: %v", err)
	}
}

// A file the file-size limit (ulimit -f) would stop in its write is refused before the work: train
// trained every step and lost them at its first save (forty-sixth probe).
func TestCheckFileSize(t *testing.T) {
	defer func(f func() (float64, bool)) { FileSizeLimit = f }(FileSizeLimit)
	FileSizeLimit = func() (float64, bool) { return 500 << 10, true }
	if err := CheckFileSize("--ckpt x", 612<<10); err == nil || !strings.Contains(err.Error(), "file-size limit (ulimit -f) is 500.0 KiB") {
		t.Errorf("612 KiB under a limit of 500 KiB: %v", err)
	}
	if err := CheckTrainingRoom("--ckpt x", t.TempDir(), "", 0, 1000, 0, func() (float64, error) { return 612 << 10, nil }); err == nil {
		t.Error("a training run whose checkpoint is over the file-size limit: no error")
	}
	if err := CheckFileSize("--ckpt x", 400<<10); err != nil {
		t.Errorf("400 KiB under a limit of 500 KiB: %v", err)
	}
	FileSizeLimit = func() (float64, bool) { return 0, false }
	if err := CheckFileSize("--ckpt x", 1<<40); err != nil {
		t.Errorf("no limit: %v", err)
	}
}

// A variable's scope is /-separated names as GoMLX writes it, and its name holds no "/": an edited
// scope "/unet/temb/dense_0/dense/", or the name "dense/weights" under "/unet/temb/dense_0", joined
// to the names the checks compare and was loaded under another scope, where sampling failed inside
// GoMLX without naming the file (fifty-sixth probe). The file is refused by name as it is read.
func TestCheckpointScopesAreAsGoMLXWritesThem(t *testing.T) {
	ctx := context.New()
	ctx.In("m").In("dense").VariableWithValue("weights", []float32{1, 2, 3})
	path := filepath.Join(t.TempDir(), "edited.ddpm")
	for _, edit := range []struct{ from, to string }{
		{`"scope":"/m/dense"`, `"scope":"/m/dense/"`},
		{`"scope":"/m/dense","name":"weights"`, `"scope":"/m","name":"dense/weights"`},
		{`"scope":"/m/dense"`, `"scope":"/m//dense"`},
	} {
		if err := WriteCheckpoint(path, ctx, 7, nil, nil); err != nil {
			t.Fatal(err)
		}
		editHeader(t, path, edit.from, edit.to)
		if _, err := LoadCheckpoint(path, context.New(), nil); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "bad scope or name") {
			t.Errorf("%s edited to %s: %v, want a refusal naming the file", edit.from, edit.to, err)
		}
	}
}

// The memory available is bounded by every memory cgroup of the process, as /proc/self/cgroup names
// them: v1's (memory.limit_in_bytes, at the process's path or an ancestor's), v2's at the root of
// /sys/fs/cgroup or of a hybrid unified/. Only v2's root was read: a v1 limit of 1000 MiB let a run
// of 1.5 GiB through to the kernel's SIGKILL (fifty-sixth probe). The inactive page cache is room.
func TestAvailableMemoryReadsEveryCgroupLimit(t *testing.T) {
	defer func(fs, self string) { cgroupFS, selfCgroup = fs, self }(cgroupFS, selfCgroup)
	write := func(path, content string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil || os.WriteFile(path, []byte(content), 0o644) != nil {
			t.Fatal(err)
		}
	}
	const mib = 1 << 20
	for _, c := range []struct {
		name, self string
		files      map[string]string
		want       float64 // the room, in MiB
	}{
		{"v1, a limit at an ancestor", "4:memory:/jobs/p\n0::/\n", map[string]string{
			"memory/jobs/memory.limit_in_bytes": fmt.Sprint(1000 * mib), "memory/jobs/memory.usage_in_bytes": fmt.Sprint(300 * mib),
			"memory/jobs/memory.stat":             fmt.Sprintf("cache 1\ntotal_inactive_file %d\n", 100*mib),
			"memory/jobs/p/memory.limit_in_bytes": "9223372036854771712", "memory/jobs/p/memory.usage_in_bytes": fmt.Sprint(200 * mib),
		}, 800},
		{"v2 in a hybrid's unified/", "0::/user/job\n", map[string]string{
			"unified/user/job/memory.max": fmt.Sprint(512 * mib), "unified/user/job/memory.current": fmt.Sprint(12 * mib),
			"unified/user/memory.max": "max", "unified/user/memory.current": fmt.Sprint(50 * mib),
		}, 500},
		{"v2 at the root, no limit", "0::/\n", map[string]string{"memory.max": "max", "memory.current": "1000"}, -1},
	} {
		root := t.TempDir()
		for name, content := range c.files {
			write(filepath.Join(root, name), content)
		}
		write(filepath.Join(root, "self"), c.self)
		cgroupFS, selfCgroup = root, filepath.Join(root, "self")
		room, found := cgroupRoom()
		switch {
		case c.want < 0 && found && !math.IsInf(room, 1):
			t.Errorf("%s: room %.0f MiB, want no limit", c.name, room/mib)
		case c.want >= 0 && (!found || room != c.want*mib):
			t.Errorf("%s: room %.0f MiB (found %v), want %.0f", c.name, room/mib, found, c.want)
		}
		if avail, ok := AvailableMemory(); c.want >= 0 && (!ok || avail > c.want*mib) {
			t.Errorf("%s: AvailableMemory %.0f MiB, want at most the cgroup's %.0f", c.name, avail/mib, c.want)
		}
	}
}

// editHeader replaces from by to in the JSON header of the checkpoint at path, and writes the header's
// length and CRC again, as an editor who knows the format would.
func editHeader(t *testing.T, path, from, to string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := len(checkpointMagic)
	n := int(binary.LittleEndian.Uint32(raw[at:]))
	header := bytes.Replace(raw[at+4:at+4+n], []byte(from), []byte(to), 1)
	if bytes.Equal(header, raw[at+4:at+4+n]) {
		t.Fatalf("the header holds no %s: %s", from, raw[at+4:at+4+n])
	}
	edited := binary.LittleEndian.AppendUint32(append([]byte(nil), raw[:at]...), uint32(len(header)))
	edited = binary.LittleEndian.AppendUint32(append(edited, header...), crc32.ChecksumIEEE(header))
	if err := os.WriteFile(path, append(edited, raw[at+4+n+4:]...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The room a run needs is for the checkpoints it keeps at once and the next while it is written, less
// those there already: a disk with room for one passed, filled at the second save, and the steps since
// the first were lost (ninety-eighth probe). The library's check, so that Train's callers have it too
// (it was the command's alone).
func TestTrainingRoomIsForTheCheckpointsItKeeps(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1024k"); err != nil {
		t.Skipf("no tmpfs to fill here (%v)", err)
	}
	defer syscall.Unmount(dir, 0) //nolint:errcheck
	latest := filepath.Join(dir, "ckpt-000000001.ddpm")
	for _, c := range []struct {
		size   int
		refuse bool
	}{{300 << 10, true}, {100 << 10, false}} { // 1 MiB less one: room for 3 more of 100 KiB, not of 300 KiB
		if err := os.WriteFile(latest, make([]byte, c.size), 0o644); err != nil {
			t.Fatal(err)
		}
		err := CheckTrainingRoom("--ckpt x", dir, latest, 3, 1000, 0, nil)
		if (err != nil) != c.refuse || err != nil && !strings.Contains(err.Error(), "(room for 3 checkpoints at once: a run keeps 3,") {
			t.Errorf("checkpoints of %d KiB, one there, on 1 MiB: %v, want a refusal: %v", c.size>>10, err, c.refuse)
		}
	}
	// A run of one step more saves once: room for one is enough (ninety-ninth probe).
	if err := os.WriteFile(latest, make([]byte, 300<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckTrainingRoom("--ckpt x", dir, latest, 3, 2, 0, nil); err != nil {
		t.Errorf("one step to go from step 1, room for one more checkpoint: %v", err)
	}
}
