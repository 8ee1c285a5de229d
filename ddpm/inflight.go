package ddpm

import "github.com/learn-ddpm/ddpm-go/internal/inflight"

// RemoveTemporariesInFlight removes the temporary files of the writes in progress, which then fail
// (the rename finds nothing), and ends a go command finding MNIST, its children and its folder: for a
// signal handler, just before the process exits. A write that has renamed its file already keeps it whole.
func RemoveTemporariesInFlight() { inflight.RemoveAll() }
