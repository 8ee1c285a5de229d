package ddpm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// FreeSpace is the space that dir's file system has free for this user, in bytes; a test replaces it.
var FreeSpace = func(dir string) (float64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return float64(st.Bavail) * float64(st.Bsize), nil
}

// FreeFiles is how many more files dir's file system can make (its free inodes), where it says: some
// (btrfs) report none and make files while they have room. A test replaces it.
var FreeFiles = func(dir string) (free float64, known bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Files == 0 {
		return 0, false
	}
	return float64(st.Ffree), true
}

// CheckRoom refuses work whose output, about need bytes in files new files (a temporary counted for
// each, which its rename makes the file), the file system of the folder dir cannot hold now, naming what
// (e.g. "--ckpt runs/x") and both sizes: a full disk was found only at the first save, and the training
// since the start was lost (twenty-seventh probe); a file system out of files was found after the work,
// with bytes to spare (forty-fourth probe). Space can still run out later, when the write names the
// file; where the free space cannot be read it says nothing.
func CheckRoom(what, dir string, need float64, files int) error {
	if !(need >= 0) { // a NaN passed every check (forty-eighth sweep)
		return fmt.Errorf("%s: this run's size %v is no number of bytes", what, need)
	}
	if free, err := FreeSpace(dir); err == nil && need > free {
		return fmt.Errorf("%s: its file system has %s free, and this run writes about %s there: free some space, or write elsewhere",
			what, size(free), size(need))
	}
	if left, ok := FreeFiles(dir); ok && float64(files) > left {
		return fmt.Errorf("%s: its file system can make %.0f more files (inodes), and this run makes up to %d there: remove some files, or write elsewhere",
			what, left, files)
	}
	return nil
}

// FileSizeLimit is the most bytes a file of this process may hold (ulimit -f), where there is a limit;
// a test replaces it.
var FileSizeLimit = func() (float64, bool) { return softLimit(syscall.RLIMIT_FSIZE) }

// softLimit is the process's soft limit of resource (syscall.RLIMIT_*), where there is one.
func softLimit(resource int) (float64, bool) {
	var r syscall.Rlimit
	if syscall.Getrlimit(resource, &r) != nil || r.Cur == ^uint64(0) {
		return 0, false
	}
	return float64(r.Cur), true
}

// CheckFileSize refuses, before the work, a file of about bytes that the file-size limit would stop in
// its write: train trained every step and lost them at its first save, and sample, eval and classifier
// failed after their work (forty-sixth probe).
func CheckFileSize(what string, bytes float64) error {
	if !(bytes >= 0) {
		return fmt.Errorf("%s: this run's file size %v is no number of bytes", what, bytes)
	}
	if limit, ok := FileSizeLimit(); ok && bytes > limit {
		return fmt.Errorf("%s: this run writes a file of about %s, and the file-size limit (ulimit -f) is %s: raise it, or write less",
			what, size(bytes), size(limit))
	}
	return nil
}

// size says a size in the unit that shows it: "48.0 KiB free" read as "0.0 MiB", as none (twenty-eighth
// probe).
func size(bytes float64) string {
	switch {
	case bytes >= 1<<30:
		return gib(bytes)
	case bytes >= 1<<20:
		return fmt.Sprintf("%.1f MiB", bytes/(1<<20))
	case bytes >= 1<<10:
		return fmt.Sprintf("%.1f KiB", bytes/(1<<10))
	}
	return fmt.Sprintf("%.0f B", bytes)
}

// checkpointBytes bounds the size of a training checkpoint of weights w and description meta (JSON):
// each value four times as float32 (the weights, their EMA and Adam's two moments), and the header,
// which lists each of those variables by name. A flat megabyte for the header refused a 2-D run whose
// 600 KB checkpoint fitted (twenty-eighth probe).
func checkpointBytes(w Weights, meta []byte) float64 {
	return weightsFileBytes(w, meta, 4)
}

// weightsFileBytes bounds a file of copies float32 values per weight of w, each copy a variable listed
// in the header.
func weightsFileBytes(w Weights, meta []byte, copies float64) float64 {
	values, names := 0.0, 0 // in floats: a network of 2³¹ base channels wrapped to a negative size (forty-eighth sweep)
	for name, s := range w {
		v := 1.0
		for _, d := range s.Dimensions {
			v *= float64(d)
		}
		values += v
		names += len(name)
	}
	perVariable := copies * (float64(names) + checkpointVarBytes*float64(len(w))) // the name, with its scope; shape, CRC, length
	return 4*copies*values + perVariable + float64(len(meta)) + checkpointHeaderBytes
}

// checkpointVarBytes bounds a variable's entry in a checkpoint's header beside its name: its scope,
// the EMA or optimizer prefix, dtype, shape, length and CRC-32, in JSON.
const checkpointVarBytes = 160

// checkpointHeaderBytes bounds what else a checkpoint holds: its magic line, the header's frame and a
// few small variables (the step, the random number generator's state, Adam's step count).
const checkpointHeaderBytes = 16 << 10

// CheckpointBytes bounds the size of a checkpoint of a training run with this description.
func (r *RunSpec) CheckpointBytes() (float64, error) { return r.fileBytes(4) }

// ExportBytes bounds the size of an export of a run with this description: its EMA weights alone, a
// quarter of its checkpoint's values (the checkpoint's size refused an export of 313 kB to a file system
// of 800 KiB free, saying it needed 1.2 MiB; fifty-ninth probe).
func (r *RunSpec) ExportBytes() (float64, error) { return r.fileBytes(1) }

// fileBytes bounds a file of this description's network holding copies values per weight.
func (r *RunSpec) fileBytes(copies float64) (float64, error) {
	w, err := r.NetworkWeights()
	if err != nil {
		return 0, err
	}
	meta, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	return weightsFileBytes(w, meta, copies), nil
}

// CheckTrainingRoom refuses a training run whose checkpoint folder dir (named what) cannot hold what
// the run writes there at once: the keep checkpoints it keeps (0: 3) and the next while it is written,
// less those there already, each as large as latest (the newest one) or, for a run that has none,
// newRun's bound; and gridBytes of the sample grid, which is written first and took the room that the
// checkpoint had been found (twenty-ninth probe). Room for one checkpoint passed a disk that filled at
// the second save, and the steps since the first were lost (ninety-eighth probe); a run saves at most
// once a step, so one with few steps to its last, steps, needs no more than those (ninety-ninth). The
// command checks before reading its data, Train again for library callers; the bound takes
// milliseconds, even for the paper's CIFAR-10 network.
func CheckTrainingRoom(what, dir, latest string, keep, steps int, gridBytes float64, newRun func() (float64, error)) error {
	var each float64
	if latest != "" {
		info, err := os.Stat(latest)
		if err != nil {
			return nil // the reading of the checkpoint names it
		}
		each = float64(info.Size())
	} else {
		var err error
		if each, err = newRun(); err != nil {
			return nil // the network's own checks name what is wrong with it
		}
	}
	if keep <= 0 {
		keep = defaultKeptCheckpoints
	}
	there, _ := ListCheckpoints(dir)
	toGo := steps // the steps from the newest checkpoint's on: at most one save each
	if step, ok := CheckpointStep(filepath.Base(latest)); latest != "" && ok {
		toGo = steps - int(min(step, uint64(max(steps, 0))))
	}
	saves := max(min(toGo, keep+1-len(there)), 1)
	// Said as counted: "the 3 checkpoints a run keeps, and the next" was said of a 3-step run counted
	// for 3, and the grid not named (hundred-and-first probe's nit).
	switch grid := ""; {
	case saves > 1:
		if gridBytes > 0 {
			grid = " and a sample grid"
		}
		what = fmt.Sprintf("%s (room for %d checkpoints at once%s: a run keeps %d, writes the next before it removes the oldest, and saves at most once a step)",
			what, saves, grid, keep)
	case gridBytes > 0:
		what += " (room for a checkpoint and a sample grid)"
	}
	files := saves + 1 // the checkpoints, and the lock
	if gridBytes > 0 {
		files += 2 // the grid, and the folder of grids
	}
	if err := CheckFileSize(what, max(each, gridBytes)); err != nil {
		return err
	}
	return CheckRoom(what, dir, float64(saves)*each+gridBytes, files)
}

// defaultKeptCheckpoints is how many of its newest checkpoints a run keeps unless told.
const defaultKeptCheckpoints = 3

// TrainingGridBytes bounds a sample grid of n images of shape dims written every sampleEvery steps
// (0: none; nor for points, which have no grid, nor for a grid that Train refuses, CheckImageGrid).
func TrainingGridBytes(sampleEvery, n int, dims []int) float64 {
	if sampleEvery <= 0 || len(dims) != 3 {
		return 0
	}
	return ImageGridPNGBound(n, dims, 0)
}
