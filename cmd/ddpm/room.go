package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/viz"
)

// plannedOutput is a file that a command will write (flag names it, path is as given) and a bound on
// its size in bytes.
type plannedOutput struct {
	flag, path string
	bytes      float64
	folder     string // set for a file that the command names itself in the folder that flag names
}

// inFolder is the file name that a command writes into the folder dir that flag names: a refusal
// names the flag and folder, as the user gave them, once for all of its files.
func inFolder(flag, dir, name string, bytes float64) plannedOutput {
	return plannedOutput{flag: flag, path: filepath.Join(dir, name), bytes: bytes, folder: dir}
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
		files int
	}
	var order []uint64
	byDevice := map[uint64]*fileSystem{}
	for _, o := range outputs {
		if err := ddpm.CheckFileSize(fmt.Sprintf("%s %s", o.flag, o.path), o.bytes); err != nil {
			return err
		}
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
		name := fmt.Sprintf("%s %s", o.flag, o.path)
		if o.folder != "" {
			name = fmt.Sprintf("%s %s", o.flag, o.folder)
		}
		if !slices.Contains(f.names, name) {
			f.names = append(f.names, name)
		}
		f.bytes += o.bytes
		f.files++
	}
	for _, dev := range order {
		f := byDevice[dev]
		// One more file than the outputs: a lock, or the temporary of an output that is there already.
		if err := ddpm.CheckRoom(strings.Join(f.names, " and "), f.dir, f.bytes, f.files+1); err != nil {
			return err
		}
	}
	return nil
}

// evalReportBytes bounds eval's report, eval.json: a few kilobytes of numbers and settings.
const evalReportBytes = 64 << 10

// jsonNumberBytes bounds a float64 written in JSON, with its comma: -1.2345678901234567e-308,
const jsonNumberBytes = 25

// evalRoom is what eval writes from now on, each file with a bound on its size: the report; for a
// bound on nllN images over a chain of K steps, its tables, Figure 5 and its progress in work (written
// whole after each batch: progressDesc, the sums of K + 1 terms twice and the images' bounds); for a
// FID of fidN samples, the grid of 64 and those the store in work lacks (stored are there already, of
// imageSize bytes each). A full disk was found only at these writes, after all the bound or the
// scoring (thirty-first probe).
func evalRoom(out, work string, nllN, K int, progressDesc string, fidN, stored, imageSize int, dims []int) []plannedOutput {
	planned := []plannedOutput{inFolder("--out", out, reportFile, evalReportBytes)}
	if nllN > 0 {
		figure := viz.PNGBound(viz.Plot{Width: fig5Width, Height: fig5Height}.Size()) // in pixels, twice its points
		planned = append(planned,
			inFolder("--out", out, perImageFile, float64(nllN+1)*32), // "12345,-1.23456e+300\n"
			inFolder("--out", out, termsFile, float64(K+1)*80),
			inFolder("--out", out, fig5Rate, figure),
			inFolder("--out", out, fig5Distortion, figure),
			inFolder("--out", out, fig5RateDistortion, figure),
			inFolder("--work", work, boundProgressFile, float64(len(progressDesc))+jsonNumberBytes*float64(2*(K+1)+nllN)+256))
	}
	if fidN > 0 {
		planned = append(planned, inFolder("--out", out, fidGridFile, ddpm.ImageGridPNGBound(min(64, fidN), dims, 0)))
		if stored < fidN && work != "" {
			planned = append(planned, inFolder("--work", work, "fid-samples.u8", float64(fidN-stored)*float64(imageSize)))
		}
	}
	return planned
}
