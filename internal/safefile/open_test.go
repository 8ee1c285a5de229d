package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ReadFile refuses at once a FIFO, which would block the reader for good (the course's ShowFile,
// ReadCSV and tables read through it; thirty-third probe), a device, and a file over its bound.
func TestReadFileRefusesWhatIsNotAFileOfItsSize(t *testing.T) {
	dir := t.TempDir()
	fifo, big := filepath.Join(dir, "fifo"), filepath.Join(dir, "big")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFile(fifo, 1<<20); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "a FIFO, not a regular file") {
			t.Errorf("a FIFO: error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a FIFO hung ReadFile")
	}
	if _, err := ReadFile("/dev/zero", 1<<20); err == nil {
		t.Error("/dev/zero: no error")
	}
	if _, err := ReadFile(big, 99); err == nil || !strings.Contains(err.Error(), "more than the 99") {
		t.Errorf("100 bytes read with a bound of 99: error %v", err)
	}
	if raw, err := ReadFile(big, 100); err != nil || len(raw) != 100 {
		t.Errorf("100 bytes read with a bound of 100: %d bytes, %v", len(raw), err)
	}
}
