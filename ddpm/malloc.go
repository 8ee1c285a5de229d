package ddpm

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
)

// MallocTunables is the glibc setting under which XLA's CPU backend trains fastest: glibc's malloc
// asks the kernel for transparent huge pages (2 MiB) for its heap and for large blocks.
//
// Why: XLA's CPU runtime allocates each step's temporary buffers (the activations kept for the
// backward pass, tens of MiB) with malloc and frees them at the end of the step. glibc serves blocks
// that large with fresh mmap calls, so every step faults in and zeroes every 4 KiB page again: a
// profile of the MNIST training step (perf, 2 cores) spent 18% of its time in the kernel's page-fault
// handler. With huge pages that falls to a few percent and the step is 10–40% faster (noisy
// measurements side by side; see docs/speed.md). glibc reads GLIBC_TUNABLES only when a process starts, so
// it must be in the environment before the program runs: the Makefile and the GoNB kernel set it,
// and the command line and this package's tests re-execute themselves with it (ReexecWithMallocTunables).
const MallocTunables = "glibc.malloc.hugetlb=1"

// EnvNoReexec, when set to any value, stops ReexecWithMallocTunables from re-executing the program.
const EnvNoReexec = "DDPM_NO_REEXEC"

// ReexecWithMallocTunables replaces the running program with itself, same arguments and environment,
// plus MallocTunables in $GLIBC_TUNABLES, on Linux, when it is not there yet. It returns only when it
// has nothing to do (another OS, the setting already present, $DDPM_NO_REEXEC set) or when the
// exec failed (then the program can go on, just slower). Call it first thing in main.
func ReexecWithMallocTunables() error {
	if runtime.GOOS != "linux" || os.Getenv(EnvNoReexec) != "" {
		return nil
	}
	current := os.Getenv("GLIBC_TUNABLES")
	if strings.Contains(current, "glibc.malloc.hugetlb=") {
		return nil // set already, by us or by the user: respect their value
	}
	tunables := MallocTunables
	if current != "" {
		tunables = current + ":" + MallocTunables
	}
	// The running file itself, through the kernel's link to it: by its path name (os.Executable), a
	// file put at that name after the start ran in its place, as root when root ran it (seventy-fourth
	// probe). The arguments keep the name the program was started by.
	const exe = "/proc/self/exe"
	env := []string{"GLIBC_TUNABLES=" + tunables}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GLIBC_TUNABLES=") {
			env = append(env, kv)
		}
	}
	if err := syscall.Exec(exe, os.Args, env); err != nil {
		return fmt.Errorf("re-executing %s with GLIBC_TUNABLES=%s: %w", exe, tunables, err)
	}
	return nil // not reached
}
