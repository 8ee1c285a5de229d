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

// What is not a regular file is refused from its Stat, never opened: opening a FIFO to refuse it
// released the writer blocked on it, which then died of SIGPIPE (fifty-sixth probe); a device's open
// has effects of its own. A socket is named as one.
func TestOpenDoesNotOpenWhatItRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "w.ddpm")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	writer := make(chan error, 1)
	go func() { // blocks in open until a reader opens the FIFO
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Close()
		}
		writer <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := Open(fifo); err == nil || !strings.Contains(err.Error(), "a FIFO, not a regular file") {
		t.Errorf("a FIFO: %v", err)
	}
	select {
	case err := <-writer:
		t.Errorf("the writer blocked on the FIFO was released by the refusal (%v)", err)
	case <-time.After(300 * time.Millisecond):
		// Release the writer: this reader's open lets its open return.
		if r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-writer
			r.Close()
		}
	}
	socket := filepath.Join(dir, "s.ddpm")
	if fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0); err == nil {
		defer syscall.Close(fd)
		if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: socket}); err == nil {
			if _, err := Open(socket); err == nil || !strings.Contains(err.Error(), "a socket, not a regular file") {
				t.Errorf("a socket: %v", err)
			}
		}
	}
}
