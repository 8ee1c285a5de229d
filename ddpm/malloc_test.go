package ddpm

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
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
