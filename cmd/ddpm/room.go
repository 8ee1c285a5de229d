package main

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// plannedOutput is a file that a command will write (flag names it, path is as given) and a bound on
// its size in bytes.
type plannedOutput struct {
	flag, path string
	bytes      float64
}

// checkRoom refuses the work when a file system cannot hold the outputs that will be written to it,
// summed, each looked up where its write lands (a link's target's folder): a full disk was found after
// all the sampling (twenty-seventh probe), --progressive was not counted, and a link to a full file
// system was checked on its own folder's (twenty-eighth probe).
func checkRoom(outputs ...plannedOutput) error {
	type fileSystem struct {
		dir   string
		names []string
		bytes float64
	}
	var order []uint64
	byDevice := map[uint64]*fileSystem{}
	for _, o := range outputs {
		target, err := ddpm.OutputTarget(o.path)
		if err != nil {
			continue // CheckOutput has named it
		}
		dir := ddpm.ParentDir(target)
		var st syscall.Stat_t
		if syscall.Stat(dir, &st) != nil {
			continue
		}
		dev := uint64(st.Dev) //nolint:unconvert // its type differs between systems
		f := byDevice[dev]
		if f == nil {
			f = &fileSystem{dir: dir}
			byDevice[dev] = f
			order = append(order, dev)
		}
		f.names = append(f.names, fmt.Sprintf("%s %s", o.flag, o.path))
		f.bytes += o.bytes
	}
	for _, dev := range order {
		f := byDevice[dev]
		if err := ddpm.CheckRoom(strings.Join(f.names, " and "), f.dir, f.bytes); err != nil {
			return err
		}
	}
	return nil
}
