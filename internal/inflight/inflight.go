// Package inflight holds the temporary files and folders of the work in progress, and the process
// groups of the children running, so that a signal that ends the process can end and remove them first:
// a Ctrl-C in the final write of sample, export or eval left `.name.tmp-N` in a folder that no later run
// cleans (twenty-seventh probe); a SIGTERM while the go command fetched MNIST left its `ddpm-go-*` folder
// in $TMPDIR (fifty-third probe), and its GOAUTH helper running (fifty-fourth).
package inflight

import (
	"errors"
	"os"
	"sync"
	"syscall"
)

var inFlight = struct {
	sync.Mutex
	paths  map[string]bool
	groups map[int]bool
	closed bool // by RemoveAll: the process is ending
}{paths: map[string]bool{}, groups: map[int]bool{}}

// ErrStopping is Make's and StartGroup's error once RemoveAll has run: the process is ending, and what
// it would make or start now, no handler would remove or end.
var ErrStopping = errors.New("the process is ending (stopped by a signal): nothing more is made")

// DoneGroup forgets a group registered by StartGroup: its leader has been waited for.
func DoneGroup(pgid int) {
	inFlight.Lock()
	delete(inFlight.groups, pgid)
	inFlight.Unlock()
}

// StartGroup runs start, which starts a child leading a process group of its own and returns its pid,
// and registers that group (from its start until its Wait returns, to be killed whole by RemoveAll), in
// one step: a signal between the start and the registration left the child running.
func StartGroup(start func() (int, error)) error {
	inFlight.Lock()
	defer inFlight.Unlock()
	if inFlight.closed {
		return ErrStopping
	}
	pgid, err := start()
	if err == nil {
		inFlight.groups[pgid] = true
	}
	return err
}

// Make runs make, which makes a temporary file or folder and returns its path, and registers that path
// until Done or Finish, in one step for RemoveAll: a signal between the making and the registration left the
// temporary (a Ctrl-C in a checkpoint's write, under load).
func Make(make func() (string, error)) (string, error) {
	inFlight.Lock()
	defer inFlight.Unlock()
	if inFlight.closed {
		return "", ErrStopping
	}
	path, err := make()
	if err == nil {
		inFlight.paths[path] = true
	}
	return path, err
}

// Finish runs finish, which renames or removes path, and forgets path where it did, in one step for
// RemoveAll: a signal between a removal and Done had the handler remove the name again, which another
// user may have taken meanwhile in a sticky folder (eighty-seventh probe).
func Finish(path string, finish func() error) error {
	inFlight.Lock()
	defer inFlight.Unlock()
	err := finish()
	if err == nil {
		delete(inFlight.paths, path)
	}
	return err
}

// Done forgets path: its work is over (it was renamed into place, or removed).
func Done(path string) {
	inFlight.Lock()
	delete(inFlight.paths, path)
	inFlight.Unlock()
}

// RemoveAll kills the children's process groups and removes the temporaries of the work in progress,
// which then fails: for a signal handler, just before the process exits. After it, Make and StartGroup
// make and start nothing: the main path went on while the handler said its note, made a new temporary
// and was killed with it there (eighty-eighth probe).
func RemoveAll() {
	inFlight.Lock()
	defer inFlight.Unlock()
	inFlight.closed = true
	for pgid := range inFlight.groups { // first, so that none makes more while its files are removed
		syscall.Kill(-pgid, syscall.SIGKILL) //nolint:errcheck // one that has ended already is gone
		delete(inFlight.groups, pgid)
	}
	for path := range inFlight.paths {
		os.RemoveAll(path)
		delete(inFlight.paths, path)
	}
}

// Reopen lets Make and StartGroup work again after RemoveAll: for tests, which go on in the process.
func Reopen() {
	inFlight.Lock()
	inFlight.closed = false
	inFlight.Unlock()
}
