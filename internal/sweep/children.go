package sweep

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// GrandchildScript is a shell script for Grandchild: it starts a child of its own that sleeps, prints
// the child's pid and waits.
const GrandchildScript = "sleep 60 & echo $!; wait"

// Grandchild starts cmd, a /bin/sh running GrandchildScript, and returns the pid of the shell's child
// (the grandchild of the test), for a test of what ends a whole process group.
func Grandchild(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// WaitEnded fails t unless the process pid ends within 5 s (what, then, is said to have outlived), and
// kills it then. A zombie has ended: an init that reaps no orphans keeps one.
func WaitEnded(t *testing.T, pid int, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); running(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the grandchild %d outlived %s", pid, what)
		}
	}
}

// running says whether pid is a process that has not ended (state other than Z or X).
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}
