// Package inflight holds the temporary files and folders of the work in progress, so that a signal
// that ends the process can remove them first: a Ctrl-C in the final write of sample, export or eval
// left `.name.tmp-N` in a folder that no later run cleans (twenty-seventh probe), and a SIGTERM while
// the go command fetched MNIST left its `ddpm-go-*` folder in $TMPDIR (fifty-third probe).
package inflight

import (
	"os"
	"sync"
)

var inFlight = struct {
	sync.Mutex
	paths map[string]bool
}{paths: map[string]bool{}}

// Add registers path, a temporary file or folder, until Done.
func Add(path string) {
	inFlight.Lock()
	inFlight.paths[path] = true
	inFlight.Unlock()
}

// Done forgets path: its work is over (it was renamed into place, or removed).
func Done(path string) {
	inFlight.Lock()
	delete(inFlight.paths, path)
	inFlight.Unlock()
}

// RemoveAll removes the temporaries of the work in progress, which then fails: for a signal handler,
// just before the process exits.
func RemoveAll() {
	inFlight.Lock()
	defer inFlight.Unlock()
	for path := range inFlight.paths {
		os.RemoveAll(path)
		delete(inFlight.paths, path)
	}
}
