package ddpm

import (
	"os"
	"sync"
)

// inFlight holds the temporary files of the writes in progress (writeAtomic), so that a signal that
// ends the process can remove them first: a Ctrl-C in the final write of sample, export or eval left
// `.name.tmp-N` in a folder that no later run cleans (twenty-seventh probe).
var inFlight = struct {
	sync.Mutex
	names map[string]bool
}{names: map[string]bool{}}

func addInFlight(name string) {
	inFlight.Lock()
	inFlight.names[name] = true
	inFlight.Unlock()
}

func doneInFlight(name string) {
	inFlight.Lock()
	delete(inFlight.names, name)
	inFlight.Unlock()
}

// RemoveTemporariesInFlight removes the temporary files of the writes in progress, which then fail
// (the rename finds nothing): for a signal handler, just before the process exits. A write that has
// renamed its file already keeps it whole.
func RemoveTemporariesInFlight() {
	inFlight.Lock()
	defer inFlight.Unlock()
	for name := range inFlight.names {
		os.Remove(name)
		delete(inFlight.names, name)
	}
}
