// Package procgroup runs a child command in a process group of its own that ends with it: the
// context's end kills the whole group, and the kernel kills the child when this process dies without
// a word (SIGKILL). Setup's pip and the go command that finds MNIST both outlived a stopped run.
package procgroup

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// Command is exec.CommandContext for a child in a group of its own: ctx's end kills the group (the
// children it started too, which a kill of the child alone left running), Pdeathsig kills the child
// when this process dies, and a grandchild that keeps the output open is waited for one second only.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	return cmd
}
