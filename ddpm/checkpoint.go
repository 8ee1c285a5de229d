package ddpm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/learn-ddpm/ddpm-go/internal/inflight"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// Checkpoint files hold every variable of a context (weights, their EMA, Adam's moments, the global
// step and the random number generator's state) and a JSON description of the run (Meta), so that
// training resumes exactly and sampling needs nothing else.
//
// Layout (version 2): the magic line, a little-endian uint32 with the header's length, the JSON
// header, a uint32 CRC-32 of the header, then the variables' raw bytes in header order, each with its
// CRC-32 in the header, and nothing after them: every byte is checked, so a flipped or missing one is
// reported with the file and the part (header or variable) it is in. Version 1 files (no header
// CRC) are still read. Files are written to a temporary name, synced and renamed: a checkpoint either
// exists whole or not at all.
const (
	checkpointMagic   = "DDPM-GO-CHECKPOINT-2\n"
	checkpointMagicV1 = "DDPM-GO-CHECKPOINT-1\n"
	checkpointPrefix  = "ckpt-"
	checkpointSuffix  = ".ddpm"
)

// metricsScope holds the training loop's running metrics (named with a fresh id each run): display
// state, not training state, so it is not saved.
const metricsScope = "/metrics"

type checkpointHeader struct {
	Step      int64           `json:"step"`
	Meta      json.RawMessage `json:"meta,omitempty"`
	Variables checkpointVars  `json:"variables"`
}

// The bounds of a header, checked as it is decoded: a 63 MB header of 21 million empty variables took
// 6.4 GB and 30 s to decode before its first entry was found wrong, one variable of 33 million
// dimensions 1.3 GB (seventh probe). A U-Net's training checkpoint (weights, EMA, Adam's moments) lists
// about a thousand variables, of rank 4 at most, and its header, run description and class names
// included, takes well under a megabyte.
const (
	maxHeaderBytes       = 16 << 20
	maxCheckpointVars    = 1 << 16
	maxCheckpointVarRank = 16
)

// checkpointVars decodes the list one entry at a time and refuses it past maxCheckpointVars, before
// more are allocated.
type checkpointVars []checkpointVar

func (vs *checkpointVars) UnmarshalJSON(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // null
		*vs = nil
		return nil
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("variables: %v, want a list", tok)
	}
	list := checkpointVars{}
	index := map[string]int{} // a name given twice: one of the two was silently left out (eleventh probe)
	for dec.More() {
		if len(list) == maxCheckpointVars {
			return fmt.Errorf("more than %d variables", maxCheckpointVars)
		}
		var cv checkpointVar
		if err := dec.Decode(&cv); err != nil {
			return fmt.Errorf("variable %d: %w", len(list), err)
		}
		name := context.JoinScope(cv.Scope, cv.Name)
		if first, ok := index[name]; ok {
			return fmt.Errorf("variables %d and %d are both %s", first, len(list), name)
		}
		index[name] = len(list)
		list = append(list, cv)
	}
	*vs = list
	return nil
}

// checkpointDims refuses a shape of more than maxCheckpointVarRank dimensions from its commas, before
// decoding it.
type checkpointDims []int

func (d *checkpointDims) UnmarshalJSON(raw []byte) error {
	if bytes.Count(raw, []byte(",")) >= maxCheckpointVarRank {
		return fmt.Errorf("a shape of more than %d dimensions", maxCheckpointVarRank)
	}
	return json.Unmarshal(raw, (*[]int)(d))
}

type checkpointVar struct {
	Scope     string         `json:"scope"`
	Name      string         `json:"name"`
	DType     string         `json:"dtype"`
	Dims      checkpointDims `json:"dims"`
	Trainable bool           `json:"trainable"`
	Length    int            `json:"length"`
	CRC32     uint32         `json:"crc32"`
}

// Checkpointer saves numbered checkpoints into Dir and keeps the newest Keep of them.
type Checkpointer struct {
	Dir  string
	Keep int // 0 keeps all
}

// CheckpointPath is the file name of the checkpoint at a global step.
func (c Checkpointer) CheckpointPath(step int64) string {
	return filepath.Join(c.Dir, fmt.Sprintf("%s%09d%s", checkpointPrefix, step, checkpointSuffix))
}

// removeCheckpoint removes an old checkpoint; a test replaces it to remove one meanwhile.
var removeCheckpoint = os.Remove

// Save writes every variable of ctx and meta (any JSON-encodable value) atomically, then deletes
// checkpoints beyond the newest Keep. It returns the file written. The file's name is Save's own, so a
// symbolic link in its place is refused (WriteOwnFileAtomic).
func (c Checkpointer) Save(ctx *context.Context, step int64, meta any) (string, error) {
	if step < 0 { // refused before the folder is made: it was left behind, empty (forty-third probe's nit)
		return "", fmt.Errorf("checkpoint of step %d: a step is 0 or more", step)
	}
	// Nor values that are no numbers, which its readers refuse: a context left with NaN weights by a
	// failed step was saved over the last good checkpoint (fifty-fifth probe). WriteCheckpoint writes
	// them, as it is given them.
	if name := firstNonFiniteVariable(ctx); name != "" {
		return "", fmt.Errorf("checkpoint of step %d: variable %s holds a value that is not finite: nothing is written", step, name)
	}
	if err := MakeDir(c.Dir); err != nil {
		return "", fmt.Errorf("checkpoint directory %s: %w", c.Dir, err)
	}
	path := c.CheckpointPath(step)
	if err := writeCheckpoint(path, ctx, step, meta, nil, nil, true); err != nil {
		return "", err
	}
	if c.Keep > 0 {
		all, err := ListCheckpoints(c.Dir)
		if err != nil {
			return path, err
		}
		for i := 0; i < len(all)-c.Keep; i++ {
			// Never the one just written: a save below a newer step, or beside an unpadded name of its own
			// step, pruned it and returned its path with no error (forty-sixth probe).
			if filepath.Base(all[i]) == filepath.Base(path) {
				continue
			}
			// One removed meanwhile (by hand, or a script that archives them) is pruned: it stopped the
			// run (thirty-third probe).
			if err := removeCheckpoint(all[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return path, fmt.Errorf("removing old checkpoint: %w", err)
			}
		}
	}
	return path, nil
}

// RemoveStaleTemporaries deletes the temporary files that WriteFileAtomic leaves in dir when its
// process is killed mid-write: ".<name>.tmp-<digits>" for a name that ours accepts, the files the
// caller writes there. Other files are left alone: every ".*.tmp-*" was removed, a user's
// ".thesis.tex.tmp-autosave" too (eleventh probe), and a glob took ".ckpt-notes.ddpm.tmp-2024" for a
// checkpoint's (twelfth). Call it only while holding dir's lock (LockDir): then no other process is
// writing them.
func RemoveStaleTemporaries(dir string, ours func(name string) bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemporaryOf(e.Name(), ours) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("removing a temporary file left by a killed run: %w", err)
		}
	}
	return nil
}

// IsTemporaryOf says whether name is a temporary file of WriteFileAtomic (tempPattern: the random
// part of os.CreateTemp is decimal digits) for a file that ours accepts.
func IsTemporaryOf(name string, ours func(string) bool) bool {
	i := strings.LastIndex(name, ".tmp-")
	if !strings.HasPrefix(name, ".") || i < 1 {
		return false
	}
	if digits := name[i+len(".tmp-"):]; digits == "" || strings.Trim(digits, "0123456789") != "" {
		return false
	}
	return ours(name[1:i])
}

// IsCheckpointName says whether name is a training checkpoint's, ckpt-<step>.ddpm.
func IsCheckpointName(name string) bool {
	_, ok := CheckpointStep(name)
	return ok
}

// CheckpointStep is the step in a training checkpoint's file name, ckpt-<step>.ddpm; ok is false for
// any other name (ckpt-abc.ddpm is not a checkpoint).
func CheckpointStep(name string) (step uint64, ok bool) {
	digits := strings.TrimSuffix(strings.TrimPrefix(name, checkpointPrefix), checkpointSuffix)
	if len(digits)+len(checkpointPrefix)+len(checkpointSuffix) != len(name) || digits == "" ||
		strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	step, err := strconv.ParseUint(digits, 10, 64)
	return step, err == nil
}

// ListCheckpoints returns the checkpoint files in dir, oldest first (by step).
func ListCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("checkpoint directory %s: %w", dir, err)
	}
	type found struct {
		path string
		step uint64
	}
	var all []found
	for _, e := range entries {
		// In the order of their steps: an unpadded ckpt-5.ddpm comes before ckpt-000000020.ddpm.
		if step, ok := CheckpointStep(e.Name()); ok {
			all = append(all, found{filepath.Join(dir, e.Name()), step})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].step != all[j].step {
			return all[i].step < all[j].step
		}
		return all[i].path < all[j].path
	})
	paths := make([]string, len(all))
	for i, f := range all {
		paths[i] = f.path
	}
	return paths, nil
}

// LatestCheckpoint returns the newest checkpoint in dir, or "" if there is none.
// Two files of the newest step (ckpt-3.ddpm beside ckpt-000000003.ddpm) are refused, naming both:
// the one last in name order was taken without a word, a copy put there by hand over the run's own
// (fifty-sixth probe).
func LatestCheckpoint(dir string) (string, error) {
	all, err := ListCheckpoints(dir)
	if err != nil || len(all) == 0 {
		return "", err
	}
	latest := all[len(all)-1]
	if len(all) >= 2 {
		other := all[len(all)-2]
		a, _ := CheckpointStep(filepath.Base(latest))
		b, _ := CheckpointStep(filepath.Base(other))
		if a == b {
			return "", fmt.Errorf("checkpoint folder %s holds two checkpoints of step %d, %s and %s: remove the one that is not the run's",
				dir, a, filepath.Base(other), filepath.Base(latest))
		}
	}
	return latest, nil
}

// WriteCheckpoint writes the variables of ctx selected by keep (nil keeps all) to path, atomically.
func WriteCheckpoint(path string, ctx *context.Context, step int64, meta any, keep func(v *context.Variable) bool) error {
	return writeCheckpoint(path, ctx, step, meta, keep, nil, false)
}

// writeCheckpoint is WriteCheckpoint where saveAs, when not nil, gives the scope and trainable flag
// a variable is saved with (for exports), and own writes it as a file the command names itself
// (WriteOwnFileAtomic).
func writeCheckpoint(path string, ctx *context.Context, step int64, meta any, keep func(v *context.Variable) bool,
	saveAs func(v *context.Variable) (scope string, trainable bool), own bool) error {
	// What its readers refuse is not written: a step of −5 was, and every reader refused the file
	// (thirty-third probe); a nil context panicked.
	if ctx == nil {
		return fmt.Errorf("checkpoint %s: no context given (nil)", path)
	}
	if step < 0 {
		return fmt.Errorf("checkpoint %s: step %d is negative, which its readers refuse", path, step)
	}
	header := checkpointHeader{Step: step}
	if meta != nil {
		raw, err := json.Marshal(meta)
		if err != nil {
			return fmt.Errorf("checkpoint %s: encoding its description: %w", path, err)
		}
		header.Meta = raw
	}
	var values []*tensors.Tensor
	for v := range ctx.IterVariables() {
		if strings.HasPrefix(v.Scope(), metricsScope) || (keep != nil && !keep(v)) {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.ScopeAndName(), err)
		}
		scope, trainable := v.Scope(), v.Trainable
		if saveAs != nil {
			scope, trainable = saveAs(v)
		}
		cv := checkpointVar{Scope: scope, Name: v.Name(), DType: value.DType().String(), Dims: value.Shape().Dimensions, Trainable: trainable}
		if err := value.ConstBytes(func(data []byte) { cv.Length, cv.CRC32 = len(data), crc32.ChecksumIEEE(data) }); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.ScopeAndName(), err)
		}
		header.Variables = append(header.Variables, cv)
		values = append(values, value)
	}
	headerJSON, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	// What the reader would refuse is not written: 11 500 class names of 255 bytes made a 17 MB header,
	// and a run that exited 0 could not be resumed, sampled or exported (twenty-second probe).
	if len(headerJSON) > maxHeaderBytes || len(header.Variables) > maxCheckpointVars {
		return fmt.Errorf("checkpoint %s: its header would take %d bytes for %d variables, more than a checkpoint may (%d MiB, %d variables): not written",
			path, len(headerJSON), len(header.Variables), maxHeaderBytes>>20, maxCheckpointVars)
	}
	// Nor a string or number longer than the reader takes: a classifier's 4 299-byte command line made a
	// file that every command refused, exit 0 (twenty-third probe).
	if err := checkHeaderTokens(headerJSON); err != nil {
		return fmt.Errorf("checkpoint %s: its header would hold %w: not written", path, err)
	}
	return writeAtomic(path, own, func(w io.Writer) error {
		if _, err := io.WriteString(w, checkpointMagic); err != nil {
			return err
		}
		if err := binary.Write(w, binary.LittleEndian, uint32(len(headerJSON))); err != nil {
			return err
		}
		if _, err := w.Write(headerJSON); err != nil {
			return err
		}
		if err := binary.Write(w, binary.LittleEndian, crc32.ChecksumIEEE(headerJSON)); err != nil {
			return err
		}
		for _, value := range values {
			var werr error
			if err := value.ConstBytes(func(data []byte) { _, werr = w.Write(data) }); err != nil {
				return err
			}
			if werr != nil {
				return werr
			}
		}
		return nil
	})
}

// ReadCheckpointMeta decodes only the description saved with a checkpoint into meta, and returns the
// step.
func ReadCheckpointMeta(path string, meta any) (int64, error) {
	step, _, err := ReadCheckpointWeights(path, meta)
	return step, err
}

// ReadCheckpointWeights reads only a checkpoint's header: its step, its description (into meta) and
// the variables it holds with their shapes (the weights, and for a training checkpoint the EMA, the
// optimizer's moments and the loop's state), without their values.
func ReadCheckpointWeights(path string, meta any) (int64, Weights, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return 0, nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	header, offset, err := readCheckpointHeader(path, bufio.NewReader(f))
	if err != nil {
		return 0, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		return 0, nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	w := Weights{}
	end := offset
	for _, cv := range header.Variables {
		shape, err := cv.shape()
		if err != nil {
			return 0, nil, fmt.Errorf("checkpoint %s: header: variable %s/%s: %w", path, cv.Scope, cv.Name, err)
		}
		w[context.JoinScope(cv.Scope, cv.Name)] = shape
		end += int64(cv.Length)
	}
	// The file's length too, which costs nothing: a truncated classifier passed the checks made before
	// any folder is made, and was refused after them (eighteenth probe).
	if end != info.Size() {
		return 0, nil, fmt.Errorf("checkpoint %s: its header lists %d bytes of variables, and the file has %d after the header: truncated, or extended",
			path, end-offset, info.Size()-offset)
	}
	return header.Step, w, header.decodeMeta(path, meta)
}

// LoadCheckpoint reads every variable of the checkpoint into ctx (creating or overwriting them) and
// decodes its description into meta (when not nil). It returns the global step. The whole file is
// checked before ctx is touched: a corrupt checkpoint changes nothing, and neither does one holding a
// value that is not finite. A context holding a variable that the checkpoint lacks is refused: an
// export loaded into a trained context left that run's EMA, Adam's moments and step beside the
// export's weights, and EMAContext sampled the old run's model (fifty-sixth probe).
func LoadCheckpoint(path string, ctx *context.Context, meta any) (int64, error) {
	if ctx == nil { // it panicked (forty-third probe's nit)
		return 0, fmt.Errorf("checkpoint %s: no context given (nil) to load it into", path)
	}
	return loadCheckpoint(path, ctx, meta, nil, func(h checkpointContents) error {
		for v := range ctx.IterVariables() {
			if _, ok := h.have[v.ScopeAndName()]; !ok && !strings.HasPrefix(v.Scope(), metricsScope) {
				return fmt.Errorf("checkpoint %s: the context holds %s, which the checkpoint does not: loading it would leave a state "+
					"of two runs (its weights beside another run's EMA or optimizer state); load it into a fresh context (context.New())",
					path, v.ScopeAndName())
			}
		}
		return nil
	})
}

// loadCheckpoint is LoadCheckpoint that first hands the header's step and variables (their names and
// shapes), with meta decoded, to check, and reads no value when it refuses them: one read of the
// header serves the checks of a file's contents and the load. When sum is not nil, it is given every
// byte read: a loaded file's hash is that of the bytes loaded.
func loadCheckpoint(path string, ctx *context.Context, meta any, sum io.Writer, check func(h checkpointContents) error) (step int64, err error) {
	// The context holds another state now, whichever checkpoint Train recorded for it (a hand
	// LoadCheckpoint of another run was continued in the first run's folder; fifty-fifth probe).
	defer func() {
		if ctx != nil {
			setContinuesFrom(ctx, "")
		}
	}()
	f, err := safefile.Open(path)
	if err != nil {
		return 0, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	var r io.Reader = io.LimitReader(f, info.Size()) // what the sizes were checked against, and no more
	if sum != nil {
		r = io.TeeReader(r, sum)
	}
	return decodeCheckpoint(path, bufio.NewReader(r), info.Size(), ctx, meta, check)
}

// checkpointContents is what a checkpoint's header says of it: its step, and its variables' shapes
// and trainable flags by name.
type checkpointContents struct {
	step      int64
	have      Weights
	trainable map[string]bool
}

// decodeCheckpoint is loadCheckpoint on a reader of size bytes; name is the file named in errors.
func decodeCheckpoint(name string, r io.Reader, size int64, ctx *context.Context, meta any, check func(h checkpointContents) error) (int64, error) {
	header, offset, err := readCheckpointHeader(name, r)
	if err != nil {
		return 0, err
	}
	// Check the sizes against the file before allocating what a corrupt header might ask for.
	shapesOf := make([]shapes.Shape, len(header.Variables))
	h := checkpointContents{step: header.Step, have: make(Weights, len(header.Variables)), trainable: make(map[string]bool, len(header.Variables))}
	end := offset
	for i, cv := range header.Variables {
		if shapesOf[i], err = cv.shape(); err != nil {
			return 0, fmt.Errorf("checkpoint %s: header: variable %s/%s: %w", name, cv.Scope, cv.Name, err)
		}
		key := context.JoinScope(cv.Scope, cv.Name)
		h.have[key], h.trainable[key] = shapesOf[i], cv.Trainable
		end += int64(cv.Length)
		if end > size {
			return 0, fmt.Errorf("checkpoint %s: truncated: variable %s/%s ends at offset %d, the file has %d bytes", name, cv.Scope, cv.Name, end, size)
		}
	}
	if end != size {
		return 0, fmt.Errorf("checkpoint %s: %d unexpected bytes after the last variable (offset %d)", name, size-end, end)
	}
	if err := header.decodeMeta(name, meta); err != nil {
		return 0, err
	}
	if check != nil {
		if err := check(h); err != nil {
			return 0, err
		}
	}
	// A sparse file is as long as it says without holding the bytes: its values are read into memory,
	// so they must fit there (3 GB of a 300 KB file were; fourteenth probe).
	if err := CheckMemory(fmt.Sprintf("checkpoint %s: its %d variables", name, len(header.Variables)), float64(end-offset)); err != nil {
		return 0, err
	}
	values := make([]*tensors.Tensor, len(header.Variables))
	for i, cv := range header.Variables {
		values[i] = tensors.FromShape(shapesOf[i])
		var readErr error
		if err := values[i].MutableBytes(func(data []byte) {
			if _, err := io.ReadFull(r, data); err != nil {
				readErr = fmt.Errorf("truncated at offset %d: %w", offset, err)
			} else if crc32.ChecksumIEEE(data) != cv.CRC32 {
				readErr = fmt.Errorf("corrupt data at offset %d (CRC-32 mismatch)", offset)
			}
		}); err != nil {
			readErr = err
		}
		if readErr == nil {
			readErr = finite(values[i])
		}
		if readErr != nil {
			return 0, fmt.Errorf("checkpoint %s: variable %s/%s: %w", name, cv.Scope, cv.Name, readErr)
		}
		offset += int64(cv.Length)
	}
	for i, cv := range header.Variables {
		scoped := ctx.InAbsPath(cv.Scope).Checked(false)
		if v := scoped.GetVariableByScopeAndName(cv.Scope, cv.Name); v != nil {
			if err := v.SetValue(values[i]); err != nil {
				return 0, fmt.Errorf("checkpoint %s: variable %s/%s: %w", name, cv.Scope, cv.Name, err)
			}
			v.SetTrainable(cv.Trainable)
			continue
		}
		scoped.VariableWithValue(cv.Name, values[i]).SetTrainable(cv.Trainable)
	}
	return header.Step, nil
}

// finite refuses a floating-point value that holds a NaN or an infinity. Training never saves one (it
// stops at a loss that is not finite), so such a file was edited or damaged before its checksums were
// written: a NaN bias sampled for 94 s before the samples were refused, and a NaN EMA was resumed and
// carried forward, exit 0 (sixteenth probe).
func finite(value *tensors.Tensor) error {
	at, bad := -1, 0.0
	var err error
	switch value.DType() {
	case dtypes.Float32:
		err = tensors.ConstFlatData(value, func(flat []float32) { at, bad = firstNotFinite(flat) })
	case dtypes.Float64:
		err = tensors.ConstFlatData(value, func(flat []float64) { at, bad = firstNotFinite(flat) })
	}
	if err != nil {
		return err
	}
	if at >= 0 {
		return fmt.Errorf("holds %v (value %d): a checkpoint's values are finite; the file was edited, or written by another program", bad, at)
	}
	return nil
}

// shape checks a variable's header entry: a known dtype, non-negative dimensions, and a length that
// is exactly their product times the dtype's size (computed without overflow).
func (cv checkpointVar) shape() (shapes.Shape, error) {
	dtype, err := dtypes.DTypeString(cv.DType)
	if err != nil || dtype == dtypes.InvalidDType || !hasGoType(dtype) || dtype.Size() <= 0 {
		return shapes.Shape{}, fmt.Errorf("unknown dtype %q", cv.DType)
	}
	// A scope of /-separated names, as GoMLX writes one: an edited "/unet/temb/dense_0/dense/", or a name
	// "dense/weights", joined to the names checked, and was loaded under another scope, where sampling
	// failed inside GoMLX without naming the file (fifty-sixth probe).
	canonical := cv.Scope == "/" || (!strings.HasSuffix(cv.Scope, "/") && !strings.Contains(cv.Scope, "//"))
	if cv.Scope == "" || cv.Name == "" || !strings.HasPrefix(cv.Scope, "/") || !canonical || strings.Contains(cv.Name, "/") {
		return shapes.Shape{}, fmt.Errorf("bad scope or name (scope %q, name %q)", cv.Scope, cv.Name)
	}
	n := int64(dtype.Size())
	for _, d := range cv.Dims {
		if d < 1 || n > math.MaxInt32/int64(d) { // no variable of a model is empty
			return shapes.Shape{}, fmt.Errorf("implausible shape %v", cv.Dims)
		}
		n *= int64(d)
	}
	if n != int64(cv.Length) {
		return shapes.Shape{}, fmt.Errorf("length %d does not match shape %v of %s (%d bytes)", cv.Length, cv.Dims, cv.DType, n)
	}
	return shapes.Make(dtype, []int(cv.Dims)...), nil
}

// hasGoType reports whether tensors of dtype can be made on the host (GoMLX panics on those it cannot).
func hasGoType(dtype dtypes.DType) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return dtype.GoType() != nil
}

func (h *checkpointHeader) decodeMeta(name string, meta any) error {
	if meta != nil && len(h.Meta) > 0 {
		if err := json.Unmarshal(h.Meta, meta); err != nil {
			return fmt.Errorf("checkpoint %s: its description does not decode: %w", name, err)
		}
	}
	return nil
}

// badMagic says why a file's first bytes are not a checkpoint's magic line. A file cut short in that
// line, one copied as text (its "\n" became "\r\n") and format 0 were all called "written by a newer
// version" (sixteenth probe).
func badMagic(magic []byte) error {
	const prefix = "DDPM-GO-CHECKPOINT-"
	v, ok := strings.CutPrefix(string(magic), prefix)
	version, numberErr := strconv.Atoi(strings.TrimSuffix(v, "\n"))
	switch {
	case !ok && !strings.HasPrefix(prefix, string(magic)), len(magic) < len(prefix)/2: // "D" is not a cut checkpoint
		return fmt.Errorf("offset 0: not a ddpm-go checkpoint (bad magic line)")
	case strings.TrimSuffix(v, "\n") == "1\r" || strings.TrimSuffix(v, "\n") == "2\r":
		return fmt.Errorf("its first line ends in \"\\r\\n\", where a checkpoint's ends in \"\\n\": the file was copied as text, " +
			"which changes its bytes; copy it again as binary")
	case textVersion(v) > 2: // a newer format's, copied as text: it was called damaged (eighteenth probe)
		return fmt.Errorf("format %d, whose first line ends in \"\\r\\n\": the file was copied as text, which changes its bytes, "+
			"and written by a newer version; copy it again as binary, and update ddpm-go", textVersion(v))
	case len(magic) < len(checkpointMagic) && (strings.HasPrefix(checkpointMagic, string(magic)) || strings.HasPrefix(checkpointMagicV1, string(magic))):
		return fmt.Errorf("truncated at offset %d, in its first line: the file was cut short", len(magic))
	case numberErr == nil && version > 2 && strconv.Itoa(version) == strings.TrimSuffix(v, "\n"):
		return fmt.Errorf("format %d, and this ddpm reads formats 1 and 2: it was written by a newer version; update ddpm-go", version)
	}
	return fmt.Errorf("offset 0: its first line names format %q, which ddpm-go never wrote (it writes 1 and 2): the file is damaged", v)
}

// textVersion is the format number of a magic line's tail v that ends in "\r\n", or 0.
func textVersion(v string) int {
	digits, ok := strings.CutSuffix(strings.TrimSuffix(v, "\n"), "\r")
	if version, err := strconv.Atoi(digits); ok && err == nil && strconv.Itoa(version) == digits {
		return version
	}
	return 0
}

func readCheckpointHeader(path string, r io.Reader) (*checkpointHeader, int64, error) {
	magic := make([]byte, len(checkpointMagic))
	if n, err := io.ReadFull(r, magic); err != nil || (string(magic) != checkpointMagic && string(magic) != checkpointMagicV1) {
		magic = magic[:n]
		// The rest of a longer format's line: format 100 was reported as 10 (seventeenth probe).
		for b := make([]byte, 1); err == nil && bytes.HasPrefix(magic, []byte(checkpointMagic[:19])) && !bytes.ContainsRune(magic, '\n') && len(magic) < 40; {
			if _, err = io.ReadFull(r, b); err == nil {
				magic = append(magic, b[0])
			}
		}
		return nil, 0, fmt.Errorf("checkpoint %s: %w", path, badMagic(magic))
	}
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, 0, fmt.Errorf("checkpoint %s: truncated at offset %d (header length)", path, len(magic))
	}
	if n > maxHeaderBytes {
		return nil, 0, fmt.Errorf("checkpoint %s: offset %d: header length %d is not plausible", path, len(magic), n)
	}
	// Read as it comes, not allocated from the stated length: a file of a few bytes stating 16 MiB had
	// them allocated (sixty-third probe).
	raw, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil || len(raw) < int(n) {
		return nil, 0, fmt.Errorf("checkpoint %s: truncated in the header (offset %d)", path, len(magic)+4)
	}
	offset := int64(len(magic)) + 4 + int64(n)
	if string(magic) == checkpointMagic {
		var crc uint32
		if err := binary.Read(r, binary.LittleEndian, &crc); err != nil {
			return nil, 0, fmt.Errorf("checkpoint %s: truncated at offset %d (header CRC-32)", path, offset)
		}
		if crc != crc32.ChecksumIEEE(raw) {
			return nil, 0, fmt.Errorf("checkpoint %s: corrupt header (offsets %d to %d: CRC-32 mismatch)", path, len(magic)+4, offset)
		}
		offset += 4
	}
	if err := checkHeaderTokens(raw); err != nil {
		return nil, 0, fmt.Errorf("checkpoint %s: header: %w", path, err)
	}
	var header checkpointHeader
	if err := json.Unmarshal(raw, &header); err != nil {
		return nil, 0, fmt.Errorf("checkpoint %s: header does not decode: %.300v", path, err)
	}
	if header.Step < 0 {
		return nil, 0, fmt.Errorf("checkpoint %s: header: step %d is negative", path, header.Step)
	}
	return &header, offset, nil
}

// maxHeaderString bounds every string of a header (names, the run's description), which messages
// quote: a 15 MB variable name, or a 5 MB dataset name, gave messages of that size (twelfth probe).
const maxHeaderString = 4096

// maxHeaderNumber bounds every number of a header as written: float64's longest exact decimal is
// under 30 characters, and a 5-million-digit step was quoted whole by the decoder (thirteenth probe).
const maxHeaderNumber = 64

// checkHeaderTokens refuses a header that holds a string (a key or a value) of more than
// maxHeaderString bytes, or a number of more than maxHeaderNumber, as written. It scans the bytes
// without decoding (a decoder's tokens cost more than the header's bound allows); malformed JSON is
// left to the decoder.
func checkHeaderTokens(raw []byte) error {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			j := i + 1
			for j < len(raw) && raw[j] != '"' {
				if raw[j] == '\\' {
					j++ // the escaped byte
				}
				j++
			}
			if n := min(j, len(raw)) - i - 1; n > maxHeaderString {
				return fmt.Errorf("a string of %d bytes (%.40q…), more than the %d a name or setting may have", n, raw[i+1:i+41], maxHeaderString)
			}
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(raw) && strings.IndexByte("0123456789.eE+-", raw[j]) >= 0 {
				j++
			}
			if n := j - i; n > maxHeaderNumber {
				return fmt.Errorf("a number of %d characters (%.20s…), more than the %d any value may have", n, raw[i:i+20], maxHeaderNumber)
			}
			i = j - 1
		}
	}
	return nil
}

// WriteFileAtomic writes a file through write into a temporary file in the same folder, syncs it and
// renames it over path: readers see the old file or the new one, never a partial one. Only regular
// files are written: a symbolic link is followed to the regular file it points to (which is replaced,
// the link kept), and anything else is refused before anything is written (outpath.go).
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	return writeAtomic(path, false, write)
}

// WriteOwnFileAtomic is WriteFileAtomic for a file that the command names itself in a folder it was
// given (a report, a sample grid, a numbered checkpoint): a symbolic link there, which only someone
// else can have put, is refused rather than followed, and is looked for again as the file is written
// (a link planted mid-run under the next checkpoint's name had the checkpoint written through it;
// thirteenth probe).
func WriteOwnFileAtomic(path string, write func(w io.Writer) error) error {
	return writeAtomic(path, true, write)
}

func writeAtomic(path string, own bool, write func(w io.Writer) error) (err error) {
	if write == nil { // it left its temporary file (thirty-third probe)
		return fmt.Errorf("writing %s: no writer given (nil)", path)
	}
	if own {
		if err := notALink(path); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	target, err := OutputTarget(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	path = target
	outputChecked()
	dir := ParentDir(path) // the folder the rename lands in, as the kernel resolves it
	base := filepath.Base(path)
	// Every step after goes through the folder opened and checked, never by its name again.
	folder, err := openWriteFolder(dir)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer folder.Close()
	dirfd := int(folder.Fd())
	tmp, tmpName, err := createTempAt(folder, dir, tempPattern(base))
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer inflight.Done(tmp.Name()) // registered as it was made (createTempAt); forgotten as it is renamed or removed (Finish)
	// Removed on an error, and on a panic in write, which goes on after (a notebook's kernel recovers
	// from a cell's panic, and the temporary stayed; thirty-third probe).
	done := false
	defer func() {
		if err != nil || !done {
			tmp.Close()
			inflight.Finish(tmp.Name(), func() error { return syscall.Unlinkat(dirfd, tmpName) }) //nolint:errcheck
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	err = write(bw)
	done = true
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// A replaced file of this user's keeps its own mode (a private 0600 stays private); one of another
	// user's gave its mode, 0777, to what root wrote (fifty-fifth probe). Set through the open file, not
	// by name: in a folder others may write, another user put a link to a file of root's in the
	// temporary's place, and the chmod by name made that file 0777. Never one the group or others may
	// write (newFileMode says why). The file replaced is looked at in the folder opened, as the rest.
	mode := newFileMode()
	if info, serr := lstatAt(dirfd, base); serr == nil && info.Mode().IsRegular() && info.Sys().(*syscall.Stat_t).Uid == uint32(os.Geteuid()) {
		mode = info.Mode().Perm() &^ groupOrOthersWrite
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	written, err := tmp.Stat()
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = inflight.Finish(tmp.Name(), func() error { return syscall.Renameat(dirfd, tmpName, dirfd, base) }); err != nil {
		return fmt.Errorf("writing %s: %w", path, &os.LinkError{Op: "rename", Old: tmp.Name(), New: path, Err: err})
	}
	// What the rename put in place must be the file written: another user's link, put in the temporary's
	// place, was renamed over the output (fifty-fifth probe).
	if !sameFileAt(dirfd, base, written) {
		return fmt.Errorf("writing %s: another file took the place of its temporary %s before the rename (another user may write %s): "+
			"write into a folder of your own", path, tmp.Name(), dir)
	}
	folder.Sync() //nolint:errcheck // makes the rename durable
	return nil
}
