// Package sweep runs the packages' sweeps of hostile arguments (their TestHostileArguments): every
// exported function called with values out of its range and files that are not what it reads, each
// of which must answer with an error or its documented result, at once, within bounded memory.
package sweep

import (
	"fmt"
	"runtime"
	"strings"
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
