package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/quality"
)

// The memory estimates that guard train, sample and eval against the out-of-memory killer are at or
// above the peak that the commands really reach (their children's maximum RSS), less 10% for its noise
// from run to run, and within twice it, for training and for sampling at two sizes each: CheckMemory's
// 85% share covers the noise, not an estimate below the peak (up to 1.4 times below; sixty-third probe).
func TestMemoryEstimatesMatchPeakUse(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command line four times")
	}
	dir := t.TempDir()
	mnist := ddpm.MNISTConfig()
	// The child's own high-water mark (VmHWM), polled while it runs: the rusage of a child started
	// with vfork also counts the parent's peak, which in a long test binary is larger.
	// Its peak virtual size (VmPeak) too, whose growth with --n is XLA's block of temporaries.
	var virtual float64
	peak := func(args ...string) float64 {
		c := startDDPM(t, args...)
		status := fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid)
		highest := 0.0
		virtual = 0
		c.waitPolling(t, 5*time.Millisecond, func() {
			highest = max(highest, vmStatus(status, "VmHWM:"))
			virtual = max(virtual, vmStatus(status, "VmPeak:"))
		})
		return highest
	}
	for _, batch := range []int{32, 256} {
		spec := ddpm.RunSpec{Model: ddpm.ModelUNet, UNet: &mnist, T: ddpm.PaperT, Dims: []int{28, 28, 1}, BatchSize: batch}
		got := peak("train", "--steps", "2", "--batch", fmt.Sprint(batch), "--sample-every", "0", "--progress=false",
			"--ckpt", filepath.Join(dir, fmt.Sprint("train", batch)))
		checkEstimate(t, fmt.Sprintf("train --batch %d", batch), spec.TrainMemory(), got)
	}
	spec := ddpm.RunSpec{Model: ddpm.ModelUNet, UNet: &mnist, T: ddpm.PaperT, Dims: []int{28, 28, 1}}
	var virtualAt []float64
	for _, n := range []int{64, 2048} {
		got := peak("sample", "--ckpt", "models/mnist-ema.ddpm", "--n", fmt.Sprint(n), "--steps", "2", "--out", filepath.Join(dir, "s.png"))
		checkEstimate(t, fmt.Sprintf("sample --n %d", n), spec.SampleMemory(n), got)
		virtualAt = append(virtualAt, virtual)
	}
	// The address space grows with --n as SampleAddressSpace says, never more: under ulimit -v a run the
	// estimate let through aborted in C++'s bad_alloc (fifty-sixth probe). SampleBlock, the one
	// allocation inside it, is smaller.
	space := spec.SampleAddressSpace(2048) - spec.SampleAddressSpace(64)
	checkEstimate(t, "sample's address space, from --n 64 to 2048", space, virtualAt[1]-virtualAt[0])
	if grown := virtualAt[1] - virtualAt[0]; space < grown || spec.SampleBlock(2048)-spec.SampleBlock(64) > grown {
		t.Errorf("the peak virtual size grew by %.0f MiB from --n 64 to 2048: want it between SampleBlock's and SampleAddressSpace's estimates", grown/(1<<20))
	}
	// The classifier's training step grows with --batch as TrainingMemory says, or more slowly: 3 passes'
	// activations per digit, where the step takes 6.5, let --batch 60 000 through to XLA's refusal of a
	// 36.6 GiB block (sixty-second probe).
	clf := quality.DefaultClassifierConfig()
	digits := mnistOfShape(t, 5000, 1000, 28, 28, 10)
	var peakAt []float64
	for _, batch := range []int{1000, 5000} {
		peakAt = append(peakAt, peak("classifier", "--data", digits, "--epochs", "1", "--batch", fmt.Sprint(batch), "--min-accuracy", "0",
			"--progress=false", "--out", filepath.Join(dir, fmt.Sprint("b", batch, ".ddpm"))))
	}
	grown, estimated := peakAt[1]-peakAt[0], clf.TrainingMemory([]int{28, 28, 1}, 5000, 1000, 5000)-clf.TrainingMemory([]int{28, 28, 1}, 5000, 1000, 1000)
	t.Logf("classifier from --batch 1000 to 5000: estimated +%.0f MiB, peak +%.0f MiB", estimated/(1<<20), grown/(1<<20))
	if !(estimated >= grown && estimated < 1.5*grown) {
		t.Errorf("classifier from --batch 1000 to 5000: the peak grew by %.0f MiB, the estimate by %.0f MiB: want the estimate's growth at least the peak's, and within 1.5 times it",
			grown/(1<<20), estimated/(1<<20))
	}
	// The classifier on larger digits: 500 test digits of 512×512 at once ran the machine out of memory
	// (twenty-fifth probe); its passes now take at most 1 GiB.
	for _, side := range []int{64, 160} {
		digits := mnistOfShape(t, 200, 1000, side, side, 10)
		got := peak("classifier", "--data", digits, "--epochs", "1", "--batch", "8", "--min-accuracy", "0", "--progress=false",
			"--out", filepath.Join(dir, fmt.Sprint("c", side, ".ddpm")))
		checkEstimate(t, fmt.Sprintf("classifier on %d² digits", side),
			quality.DefaultClassifierConfig().TrainingMemory([]int{side, side, 1}, 200, 1000, 8), got)
	}
}

// vmStatus reads a size from a process's /proc status file (key "VmHWM:", its peak resident set size,
// or "VmPeak:", its peak virtual size), in bytes (0 when gone).
func vmStatus(status, key string) float64 {
	raw, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == key {
			kb, _ := strconv.ParseFloat(fields[1], 64)
			return kb * 1024
		}
	}
	return 0
}

func checkEstimate(t *testing.T, what string, estimate, peak float64) {
	t.Helper()
	t.Logf("%s: estimated %.0f MiB, peak %.0f MiB", what, estimate/(1<<20), peak/(1<<20))
	if !(estimate >= peak/1.1 && estimate < 2*peak) {
		t.Errorf("%s: the estimate %.0f MiB is not between 1/1.1 and 2 times the peak %.0f MiB", what, estimate/(1<<20), peak/(1<<20))
	}
}

// Sizes that cannot fit are refused with the estimate, before anything is allocated (the issue's
// --T 1000000000 was killed by the kernel at 24 GB).
func TestImpossibleSizesAreRefused(t *testing.T) {
	dir := t.TempDir()
	steps := make([]string, 1000)
	for i := range steps {
		steps[i] = fmt.Sprint(i + 1)
	}
	everyStep := strings.Join(steps, ",")
	for _, c := range []struct {
		run  func([]string) error
		args []string
		name string
	}{
		{runTrain, []string{"--dataset", "moons", "--T", "1000000000", "--steps", "5", "--ckpt", filepath.Join(dir, "t")}, "--T 1000000000"},
		{runTrain, []string{"--dataset", "moons", "--batch", "2000000000", "--ckpt", filepath.Join(dir, "b")}, "--batch 2000000000"},
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--n", "200000000", "--out", filepath.Join(dir, "s.png")}, "--n 200000000"},
		// Every sample's x̂_0 at each of --progressive-t's steps is priced (eleventh probe).
		{runSample, []string{"--ckpt", "../../models/mnist-ema.ddpm", "--n", "20000", "--out", filepath.Join(dir, "s.png"),
			"--progressive", filepath.Join(dir, "p.png"), "--progressive-t", everyStep}, "recording 1000 steps of them for --progressive"},
		// A class-conditional model's labels are made only after the size is checked (issue 32: the
		// largest int panicked in slices.Repeat, --class all ran out of memory).
		{runSample, []string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--class", "7", "--n", "9223372036854775807", "--out", filepath.Join(dir, "c.png")}, "--n 9223372036854775807"},
		{runSample, []string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--class", "all", "--n", "1000000000", "--out", filepath.Join(dir, "c.png")}, "--n 1000000000"},
	} {
		err := c.run(c.args)
		if err == nil || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), "GiB") {
			t.Errorf("%v: error %v, want a refusal naming %s with the memory needed", c.args, err, c.name)
		}
	}
	// A batch larger than its count runs the count: --fid 10 with --fid-batch 2·10^8 is ten samples'
	// memory (it was refused as needing 215 GiB; eleventh probe).
	func() {
		defer func(saved func(*flag.FlagSet) error) { flagsChecked = saved }(flagsChecked)
		flagsChecked = func(*flag.FlagSet) error { return errFlagsAccepted }
		for _, args := range [][]string{{"--fid", "10", "--nll", "0", "--fid-batch", "200000000"}, {"--fid", "0", "--nll", "4", "--nll-batch", "200000000"}} {
			if err := runEval(append([]string{"--ckpt", "../../models/mnist-ema.ddpm", "--classifier", "../../models/mnist-classifier.ddpm", "--work", dir, "--out", dir}, args...)); !errors.Is(err, errFlagsAccepted) {
				t.Errorf("eval %v: error %v, want the flags accepted", args, err)
			}
		}
	}()
	// The classifier's flags are checked before its minutes of training; a NaN gate is no gate.
	for _, v := range []string{"2", "NaN", "-0.5"} {
		err := runClassifier([]string{"--min-accuracy", v, "--out", filepath.Join(dir, "clf.ddpm")})
		if err == nil || !strings.Contains(err.Error(), "--min-accuracy "+v) {
			t.Errorf("classifier --min-accuracy %s: error %v, want a refusal naming it", v, err)
		}
	}
}

// A run whose block of XLA temporaries the kernel would not grant is refused from its flags: `sample
// --n 21000` fitted the memory available and aborted in C++'s bad_alloc after a minute, since the
// kernel grants no single allocation above the memory and swap; `eval --fid-batch 30000` likewise, and
// under `ulimit -v` the block, not the resident estimate, is what must fit (fifty-sixth probe). The
// kernel's bound is replaced here, so that the refusals come at small sizes.
func TestSamplingBlocksTheKernelWouldRefuseAreRefused(t *testing.T) {
	defer func(f func() (float64, string, bool)) { ddpm.LargestAllocation = f }(ddpm.LargestAllocation)
	ddpm.LargestAllocation = func() (float64, string, bool) {
		return 1 << 30, "the memory and swap, under the kernel's heuristic overcommit", true
	}
	dir := t.TempDir()
	ema := "../../models/mnist-ema.ddpm" // 1.4 GiB of block, 2.1 GiB of address space, for 1000 images
	for _, c := range []struct {
		run  func([]string) error
		args []string
		name string
	}{
		{runSample, []string{"--ckpt", ema, "--n", "1000", "--out", filepath.Join(dir, "s.png")}, "sampling --n 1000 at once"},
		{runSample, []string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--class", "all", "--n", "300", "--out", filepath.Join(dir, "c.png")}, "--class all --n 300"},
		{runEval, []string{"--ckpt", ema, "--classifier", "../../models/mnist-classifier.ddpm", "--fid", "1000", "--fid-batch", "1000", "--nll", "0",
			"--work", filepath.Join(dir, "w"), "--out", filepath.Join(dir, "o")}, "--fid-batch 1000"},
		{runInterpolate, []string{"--ckpt", ema, "--pairs", "500", "--ddim", "10", "--out", filepath.Join(dir, "i.png")}, "--pairs 500"},
	} {
		err := c.run(c.args)
		if err == nil || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), "grants no allocation above 1.0 GiB") {
			t.Errorf("%v: error %v, want a refusal naming %s and the kernel's bound", c.args, err, c.name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "w")); err == nil {
		t.Errorf("the refused eval made its --work")
	}
	// Under ulimit -v, the block with XLA's and Go's reservations.
	ddpm.LargestAllocation = func() (float64, string, bool) { return 0, "", false }
	defer func(f func() (float64, bool)) { ddpm.AddressSpaceLimit = f }(ddpm.AddressSpaceLimit)
	ddpm.AddressSpaceLimit = func() (float64, bool) { return 4 << 30, true }
	if err := runSample([]string{"--ckpt", ema, "--n", "1000", "--out", filepath.Join(dir, "s.png")}); err == nil || !strings.Contains(err.Error(), "ulimit -v") || !strings.Contains(err.Error(), "2.1 GiB of address space") {
		t.Errorf("sample --n 1000 under ulimit -v 4 GiB: %v, want a refusal naming the limit", err)
	}
	// What fits is drawn.
	ddpm.AddressSpaceLimit = func() (float64, bool) { return 0, false }
	if err := runSample([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--n", "2", "--steps", "2", "--out", filepath.Join(dir, "s.png")}); err != nil {
		t.Errorf("sample --n 2: %v", err)
	}
}
