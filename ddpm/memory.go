package ddpm

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Memory estimates, checked before a run allocates, so that an absurd size (T = 10⁹, a batch of a
// million) is refused with the numbers instead of ending in the kernel's out-of-memory killer. They
// are deliberately simple: the activations of the network per example, the schedule's tables per
// step, and a fixed start-up cost, with factors measured on the XLA CPU backend as the peak RSS of
// `ddpm train` and `ddpm sample` for the MNIST U-Net, and set at or above it: CheckMemory's 85% share
// is room for the other programs and the estimates' noise, not for an estimate below the peak (they
// were up to 20% below it, sixty-third probe). cmd/ddpm's TestMemoryEstimatesMatchPeakUse holds each
// between 1/1.1 and 2 times the real peak.

const (
	// bytes of peak memory per activation value of one example's forward pass: a training step keeps
	// the forward's values for the backward and XLA's temporaries beside them; sampling does not.
	trainBytesPerActivation  = 3.0 // 2.97 from batch 32 to 256
	sampleBytesPerActivation = 0.35
	// scheduleBytesPerStep: about 20 float64 tables on the host and their float32 copies as graph
	// constants, several times over (one graph per sampler, loss and bound).
	scheduleBytesPerStep = 400
	// the runtime and the compiled graphs before any of the above, with the data set for training.
	trainBaseBytes  = 1152 << 20
	sampleBaseBytes = 320 << 20
)

// unetActivations counts the values one example produces in a forward pass of the U-Net, walking
// the same structure as UNet: about ten tensors of r²·c per residual block (norms, activations,
// convolutions, the skip and the time projection), and per self-attention six of r²·c and two of
// r⁴ (the scores and their softmax).
func unetActivations(cfg UNetConfig) float64 {
	// In float64 throughout, and per level rather than per block, so that absurd sizes give an absurd
	// estimate at once instead of an overflow or a loop of 2⁶³ blocks.
	res := func(r, c float64) float64 { return 10 * r * r * c }
	attn := func(r, c float64) float64 { return 6*r*r*c + 2*r*r*r*r }
	attnAt := func(r float64) bool { return slices.Contains(cfg.AttnResolutions, int(r)) }
	blocks := float64(cfg.NumResBlocks)
	r, ch := float64(cfg.ImageSize), float64(cfg.BaseChannels)
	total := r * r * ch // conv_in
	for level, mult := range cfg.ChannelMult {
		c := ch * float64(mult)
		total += blocks * res(r, c)
		if attnAt(r) {
			total += blocks * attn(r, c)
		}
		if level != len(cfg.ChannelMult)-1 {
			r = float64(int(r) / 2)
			total += r * r * c
		}
	}
	midC := ch * float64(cfg.ChannelMult[len(cfg.ChannelMult)-1])
	total += 2*res(r, midC) + attn(r, midC)
	for level := len(cfg.ChannelMult) - 1; level >= 0; level-- {
		c := ch * float64(cfg.ChannelMult[level])
		total += (blocks + 1) * res(r, 2*c) // the concatenated skip doubles the input
		if attnAt(r) {
			total += (blocks + 1) * attn(r, c)
		}
		if level != 0 {
			r *= 2
			total += 2 * r * r * c
		}
	}
	size := float64(cfg.ImageSize)
	return total + 3*size*size*ch // norm_out, SiLU, conv_out
}

// activations counts the values of one example's forward pass for the run's model.
func (r *RunSpec) activations() float64 {
	switch u, m := r.network(); {
	case u != nil:
		return unetActivations(*u)
	case m != nil:
		return 4 * float64(m.Layers) * float64(m.Hidden)
	}
	return 0
}

// TrainMemory estimates the peak memory of training the run at its batch size, in bytes.
func (r *RunSpec) TrainMemory() float64 {
	return trainBaseBytes + scheduleBytesPerStep*float64(r.T) + trainBytesPerActivation*r.activations()*float64(r.BatchSize)
}

// SampleMemory estimates the peak memory of sampling n examples at once, in bytes (n < 0 counts as 0).
func (r *RunSpec) SampleMemory(n int) float64 {
	n = max(n, 0)
	size := 1.0 // in floats, and no size below 0: 2³²×2³² wrapped to 0, and a negative size gave a negative estimate (forty-eighth sweep)
	for _, d := range r.Dims {
		size *= float64(max(d, 0))
	}
	// x_t, the noise, and the host copies of the result, beside the network's activations.
	return sampleBaseBytes + scheduleBytesPerStep*float64(r.T) + float64(n)*(sampleBytesPerActivation*r.activations()+16*size)
}

// XLA's CPU backend lays a sampling step's temporaries out in one allocation whose pages are touched
// only in part, so the address space a run takes exceeds its resident peak (sampleBytesPerActivation)
// about fourfold. Per activation value of one example: sampleBlockBytesPerActivation bounds that one
// allocation (1.1 bytes measured for the MNIST U-Net: sample --n 21000 asked the kernel for a block of
// 28.45 GB), and sampleAddressBytesPerActivation the growth of the whole address space (1.42 to 1.50
// bytes from 64 to 2 048 images, from run to run, TestMemoryEstimatesMatchPeakUse; 1.4 for the ch-8
// twin), each with room for the spread.
const (
	sampleBlockBytesPerActivation   = 1.2
	sampleAddressBytesPerActivation = 1.8
)

// SampleBlock estimates the largest single allocation of sampling n examples at once, in bytes: one
// that the kernel refuses made XLA abort in C++'s bad_alloc after a minute of work, where the memory
// available passed (fifty-sixth probe). CheckAddressSpace takes it.
func (r *RunSpec) SampleBlock(n int) float64 {
	return float64(max(n, 0)) * sampleBlockBytesPerActivation * r.activations()
}

// SampleAddressSpace estimates the address space that sampling n examples at once takes beyond the
// start-up's, in bytes, which ulimit -v bounds. CheckAddressSpace takes it.
func (r *RunSpec) SampleAddressSpace(n int) float64 {
	return float64(max(n, 0)) * sampleAddressBytesPerActivation * r.activations()
}

// CheckAddressSpace refuses work whose largest single allocation (block bytes) the kernel would not
// grant by its overcommit policy (LargestAllocation), or whose address space (space bytes), with the
// reservations of XLA and Go, passes the address-space limit (ulimit -v).
func CheckAddressSpace(what string, block, space float64) error {
	if !(block >= 0 && space >= 0) { // a NaN passes every comparison below
		return fmt.Errorf("%s: a block of %v bytes and an address space of %v bytes are no sizes", what, block, space)
	}
	if limit, ok := AddressSpaceLimit(); ok && space+addressSpaceReserve > limit {
		return fmt.Errorf("%s takes about %s of address space (estimated), and the address-space limit (ulimit -v) is %s, of which XLA and Go "+
			"reserve about %s beyond it: ask for less, or raise the limit (ulimit -v unlimited)", what, gib(space), gib(limit), gib(addressSpaceReserve))
	}
	if most, why, ok := LargestAllocation(); ok && block > most {
		return fmt.Errorf("%s asks XLA for a block of about %s (estimated), and the kernel grants no allocation above %s here (%s): ask for less",
			what, gib(block), gib(most), why)
	}
	return nil
}

// LargestAllocation is the largest single allocation the kernel grants now, by its overcommit policy
// (/proc/sys/vm/overcommit_memory): under the heuristic (0), none above the memory and swap; under
// strict accounting (2), none above what is left of the commit limit; ok is false where there is no
// such bound (1) or it cannot be read. A test replaces it.
var LargestAllocation = func() (bytes float64, why string, ok bool) {
	mode, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
	if err != nil {
		return 0, "", false
	}
	info := meminfo()
	total, hasTotal := info["MemTotal"]
	limit, hasLimit := info["CommitLimit"]
	switch strings.TrimSpace(string(mode)) {
	case "0":
		return total + info["SwapTotal"], "the memory and swap, under the kernel's heuristic overcommit", hasTotal
	case "2":
		return limit - info["Committed_AS"], "what is left of the commit limit, under strict overcommit", hasLimit
	}
	return 0, "", false
}

// AvailableMemory is the memory this process may still use, in bytes: the kernel's MemAvailable,
// or less where a cgroup (a container) limits the process. ok is false where neither can be read.
func AvailableMemory() (bytes float64, ok bool) {
	bytes, ok = meminfo()["MemAvailable"]
	if room, found := cgroupRoom(); found && (!ok || room < bytes) {
		bytes, ok = room, true
	}
	return bytes, ok
}

// meminfo is /proc/meminfo's sizes by name ("MemAvailable", …), in bytes; empty where it cannot be read.
func meminfo() map[string]float64 {
	info := map[string]float64{}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return info
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 {
			if kb, err := strconv.ParseFloat(fields[1], 64); err == nil {
				info[strings.TrimSuffix(fields[0], ":")] = kb * 1024
			}
		}
	}
	return info
}

// The cgroup file systems and the process's own cgroups; a test replaces them.
var (
	cgroupFS   = "/sys/fs/cgroup"
	selfCgroup = "/proc/self/cgroup"
)

// cgroupRoom is the least room left under a memory limit of the process's cgroups, the ancestors'
// included, or found false where none limits it: in cgroup v2 (memory.max), at the root of
// /sys/fs/cgroup or of its hybrid unified/, and in v1 (memory/…/memory.limit_in_bytes), each at the
// process's own path as /proc/self/cgroup names it. Only the root of v2 was read: a v1 limit of 1000
// MiB let a run of 1.5 GiB through to the kernel's SIGKILL, without a word (fifty-sixth probe). The
// usage leaves out the inactive page cache, which the kernel reclaims before it kills.
func cgroupRoom() (room float64, found bool) {
	raw, err := os.ReadFile(selfCgroup)
	if err != nil {
		return 0, false
	}
	room = math.Inf(1)
	for _, line := range strings.Split(string(raw), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		type hierarchy struct{ base, limit, usage, inactive string }
		var places []hierarchy
		switch {
		case parts[0] == "0" && parts[1] == "":
			for _, base := range []string{cgroupFS, filepath.Join(cgroupFS, "unified")} {
				places = append(places, hierarchy{base, "memory.max", "memory.current", "inactive_file"})
			}
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			places = append(places, hierarchy{filepath.Join(cgroupFS, "memory"), "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"})
		}
		for _, h := range places {
			for dir := parts[2]; ; dir = filepath.Dir(dir) {
				at := filepath.Join(h.base, dir)
				limit, lerr := readNumber(filepath.Join(at, h.limit)) // "max" fails: no limit
				used, uerr := readNumber(filepath.Join(at, h.usage))
				if lerr == nil && uerr == nil {
					used = max(used-statValue(filepath.Join(at, "memory.stat"), h.inactive), 0)
					room, found = min(room, max(limit-used, 0)), true
				}
				if dir == "/" {
					break
				}
			}
		}
	}
	return room, found
}

// statValue is the value of key in a cgroup's memory.stat, or 0.
func statValue(path, key string) float64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if fields := strings.Fields(line); len(fields) == 2 && fields[0] == key {
			v, _ := strconv.ParseFloat(fields[1], 64)
			return v
		}
	}
	return 0
}

func readNumber(path string) (float64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(string(raw)), 64) // "max" fails: no limit
}

// CheckMemory refuses work whose estimated need exceeds memoryShare of the memory available, naming what was asked
// (what: e.g. "--batch 100000 --T 1000") and both numbers. Where the available memory cannot be read
// it says nothing.
func CheckMemory(what string, need float64) error {
	// The address-space limit (ulimit -v) too: under it, a run that fitted the memory aborted in C++'s
	// bad_alloc after its first steps (forty-sixth probe).
	if limit, ok := AddressSpaceLimit(); ok && need+addressSpaceReserve > limit {
		return fmt.Errorf("%s needs about %s of memory (estimated), and the address-space limit (ulimit -v) is %s, of which XLA and Go "+
			"reserve about %s beyond what they use: raise it (ulimit -v unlimited), or bound the memory with a cgroup instead", what, gib(need), gib(limit), gib(addressSpaceReserve))
	}
	avail, ok := AvailableMemory()
	if !ok || need <= memoryShare*avail {
		return nil
	}
	return fmt.Errorf("%s needs about %s of memory (estimated), and %s is available to it (the machine's, or what its cgroup's limit leaves), of which it may ask for %.0f%%: ask for less",
		what, gib(need), gib(avail), 100*memoryShare)
}

// addressSpaceReserve is the address space a run takes beyond the memory it uses: the XLA plugin's and
// Go's reservations (the peak virtual size of `ddpm sample --n 1` is 2.6 GB, of --n 256 3.1 GB).
const addressSpaceReserve = 3 << 30

// AddressSpaceLimit is the most address space the process may take (ulimit -v), where there is a limit;
// a test replaces it.
var AddressSpaceLimit = func() (float64, bool) { return softLimit(syscall.RLIMIT_AS) }

// memoryShare is the part of the available memory that CheckMemory lets one run ask for: the rest is
// room for the other programs, which may grow meanwhile, and for the estimate's error. Asking for 94%
// of it, `sample --n 100000` died of a C++ bad_alloc after a minute (twenty-second probe).
const memoryShare = 0.85

func gib(bytes float64) string { return fmt.Sprintf("%.1f GiB", bytes/(1<<30)) }
