// Package sweep runs the packages' sweeps of hostile arguments (their TestHostileArguments): every
// exported function called with values out of its range and files that are not what it reads, each
// of which must answer with an error or its documented result, at once, within bounded memory.
package sweep

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Call runs check, one call with hostile arguments named name, in its own goroutine: check returns
// nil when the call answered as its contract says (an error naming what is wrong, or the documented
// result), else what it did instead. A panic is a failure that names the call; so is a call that takes
// more than 5 s (it hung) or allocates more than 100 MB.
func Call(t *testing.T, name string, check func() error) {
	t.Helper()
	done := make(chan error, 1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panicked: %v", r)
			}
		}()
		done <- check()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("%s: hung (no answer in 5 s)", name)
		return
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 100<<20 {
		t.Errorf("%s: allocated %d MB, want at most 100", name, d>>20)
	}
}

// WantErr is nil when err is an error whose message holds every word, else a description of err.
func WantErr(err error, words ...string) error {
	if err == nil {
		return fmt.Errorf("no error, want one naming %q", words)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			return fmt.Errorf("error %q does not name %q", err, w)
		}
	}
	return nil
}

// WantPanic is nil when f panics with a message holding word (what the course's helpers do by design
// on an error, to fail the notebook's cell), else what f did instead.
func WantPanic(f func(), word string) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			err = fmt.Errorf("no panic, want one naming %q", word)
		} else if !strings.Contains(fmt.Sprint(r), word) {
			err = fmt.Errorf("panic %q does not name %q", fmt.Sprint(r), word)
		}
	}()
	f()
	return nil
}

// Write writes content to path, making its folder, and returns path.
func Write(t *testing.T, path string, content []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// FIFO makes a FIFO at path (a reader that opened it would wait for a writer for good) and returns
// path; the test is skipped where none can be made.
func FIFO(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	return path
}

// Cut writes the first n bytes of the file src to dst (a file cut short) and returns dst.
func Cut(t *testing.T, src, dst string, n int) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	return Write(t, dst, b[:n])
}

// NaN is nil when v is NaN, else what it is.
func NaN(v float64) error {
	if !math.IsNaN(v) {
		return fmt.Errorf("got %v, want NaN", v)
	}
	return nil
}
