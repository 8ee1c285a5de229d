package ddpm

import (
	"fmt"
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

// CheckRoom refuses work whose output, about need bytes, the file system of the folder dir cannot hold
// now, naming what (e.g. "--ckpt runs/x") and both sizes: a full disk was found only at the first
// save, and the training since the start was lost (twenty-seventh probe). Space can still run out
// later, when the write names the file; where the free space cannot be read it says nothing.
func CheckRoom(what, dir string, need float64) error {
	free, err := FreeSpace(dir)
	if err != nil || need <= free {
		return nil
	}
	return fmt.Errorf("%s: its file system has %s free, and this run writes about %s there: free some space, or write elsewhere",
		what, mib(free), mib(need))
}

func mib(bytes float64) string {
	if bytes >= 1<<30 {
		return gib(bytes)
	}
	return fmt.Sprintf("%.1f MiB", bytes/(1<<20))
}

// checkpointBytes estimates the size of a training checkpoint of these weights: each value four
// times (the weights, their EMA and Adam's two moments) as float32, and the header.
func checkpointBytes(w Weights) float64 {
	values := 0
	for _, s := range w {
		values += s.Size()
	}
	return 4*4*float64(values) + checkpointHeaderBytes
}

// checkpointHeaderBytes bounds a checkpoint's header and its few small variables (the step, the RNG).
const checkpointHeaderBytes = 1 << 20
