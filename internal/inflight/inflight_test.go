package inflight

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/learn-ddpm/ddpm-go/internal/procgroup"
)

// What is in flight is removed, files and folders whole; what is done is left.
func TestRemoveAllRemovesWhatIsInFlight(t *testing.T) {
	dir := t.TempDir()
	file, folder, done := filepath.Join(dir, "f.tmp"), filepath.Join(dir, "ddpm-go-1"), filepath.Join(dir, "kept")
	for _, p := range []string{file, done} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(folder, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, folder, done} {
		Add(p)
	}
	Done(done)
	RemoveAll()
	for _, p := range []string{file, folder} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is left (%v)", p, err)
		}
	}
	if _, err := os.Stat(done); err != nil {
		t.Errorf("%s, done, was removed: %v", done, err)
	}
}

// A child's group registered is killed whole, its own children too (a GOAUTH helper of the go command
// outlived a stopped run; fifty-fourth probe).
func TestRemoveAllKillsTheGroupsInFlight(t *testing.T) {
	cmd := procgroup.Command(context.Background(), "/bin/sh", "-c", "sleep 60 & echo $!; wait")
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
	grandchild, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	AddGroup(cmd.Process.Pid)
	RemoveAll()
	_ = cmd.Wait()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(grandchild) + "/stat")
		if fields := strings.Fields(string(stat)); err != nil || len(fields) > 2 && (fields[2] == "Z" || fields[2] == "X") {
			return
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(grandchild, syscall.SIGKILL)
			t.Fatalf("the grandchild %d outlived RemoveAll", grandchild)
		}
	}
}
