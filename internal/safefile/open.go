// Package safefile opens the files a command reads only when they are regular files: a FIFO, socket,
// device or folder given where a file is expected is refused at once, by name, never read (a FIFO
// would block the command forever, a device feed it without end).
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Open opens path for reading if it is a regular file (a symbolic link is followed). What is not is
// refused from its Stat, never opened: opening a FIFO released the process blocked writing into it, and
// opening a device has effects of its own (a serial line's reset, a tape's rewind; fifty-sixth probe).
// It opens without blocking, and checks again what it opened, in case the name changed in between.
func Open(path string) (*os.File, error) {
	if info, err := os.Stat(path); err == nil && !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", path, Kind(info.Mode()))
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, DanglingLink(path, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is %s, not a regular file", path, Kind(info.Mode()))
	}
	return f, nil
}

// DanglingLink is err, where it says that path does not exist, said of the link that path is when it is
// one: "stat q/zz.png: no such file or directory" sent the user after a file that was there, a link
// to a missing file (sixty-third probe). The result still matches fs.ErrNotExist.
func DanglingLink(path string, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if info, lerr := os.Lstat(path); lerr == nil && info.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		return fmt.Errorf("%s is a symbolic link to %s, which is missing: %w", path, target, fs.ErrNotExist)
	}
	return err
}

// Kind names a file mode for messages: "a folder", "a FIFO", ….
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// ReadFile reads path whole if it is a regular file of at most max bytes: a FIFO would block the
// reader forever, and a link to /dev/zero feed it without end.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > max {
		return nil, fmt.Errorf("%s holds %d bytes, more than the %d it may have", path, info.Size(), max)
	}
	return io.ReadAll(io.LimitReader(f, max))
}
