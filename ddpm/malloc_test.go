package ddpm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// The test binary re-executes itself in TestMain (ReexecWithMallocTunables): run it as a child with
// chosen environments and read the $GLIBC_TUNABLES that the child ends up with.
func TestReexecWithMallocTunables(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("glibc tunables are Linux only")
	}
	if os.Getenv("DDPM_PRINT_TUNABLES") != "" {
		fmt.Printf("tunables=[%s]\n", os.Getenv("GLIBC_TUNABLES"))
		return
	}
	for _, c := range []struct {
		env  []string
		want string
	}{
		{nil, MallocTunables},
		{[]string{"GLIBC_TUNABLES=glibc.malloc.arena_max=2"}, "glibc.malloc.arena_max=2:" + MallocTunables},
		{[]string{"GLIBC_TUNABLES=glibc.malloc.hugetlb=0"}, "glibc.malloc.hugetlb=0"}, // the user's choice is kept
		{[]string{EnvNoReexec + "=1"}, ""},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReexecWithMallocTunables$", "-test.count=1")
		cmd.Env = []string{"DDPM_PRINT_TUNABLES=1"}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GLIBC_TUNABLES=") && !strings.HasPrefix(kv, EnvNoReexec+"=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, c.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with %v: %v\n%s", c.env, err, out)
		}
		if want := "tunables=[" + c.want + "]"; !strings.Contains(string(out), want) {
			t.Errorf("child with %v printed %q, want %q", c.env, out, want)
		}
	}
}

// The re-execution runs the program's own file, whatever has its name by then: by its path name, the
// file put there after the program started ran in its place, as root when root ran it (seventy-fourth
// probe). The child is stopped at its start (ptrace), its file replaced by a script, and let go.
func TestReexecRunsItsOwnFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("glibc tunables are Linux only")
	}
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	exe, script := filepath.Join(dir, "ddpm.test"), filepath.Join(dir, "other")
	if os.WriteFile(exe, self, 0o755) != nil || os.WriteFile(script, []byte("#!/bin/sh\necho another program ran\n"), 0o755) != nil {
		t.Fatal("cannot write the copies")
	}
	runtime.LockOSThread() // ptrace's requests come from the thread that started the child
	defer runtime.UnlockOSThread()
	var out bytes.Buffer
	cmd := exec.Command(exe, "-test.run=^TestReexecWithMallocTunables$", "-test.count=1")
	cmd.Env = []string{"DDPM_PRINT_TUNABLES=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GLIBC_TUNABLES=") && !strings.HasPrefix(kv, EnvNoReexec+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); errors.Is(err, syscall.EPERM) {
		t.Skipf("this machine does not let a process be traced (%v): the child cannot be stopped at its start", err)
	} else if err != nil {
		t.Fatalf("starting the child stopped: %v", err)
	}
	var status syscall.WaitStatus
	if _, err := syscall.Wait4(cmd.Process.Pid, &status, 0, nil); err != nil || !status.Stopped() {
		t.Fatalf("the child did not stop at its start: %v, status %v", err, status)
	}
	renamed := os.Rename(script, exe) // the name now another file's
	if err := syscall.PtraceDetach(cmd.Process.Pid); err != nil {
		t.Fatalf("letting the child go: %v", err)
	}
	if renamed != nil {
		t.Fatal(renamed)
	}
	err = cmd.Wait()
	if want := "tunables=[" + MallocTunables + "]"; err != nil || !strings.Contains(out.String(), want) {
		t.Errorf("re-executed after its file was replaced: %v, printed %q, want %q", err, out.String(), want)
	}
}
