package ddpm

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// The inode flags of chattr +i and +a (linux/fs.h), which x/sys does not name.
const fsImmutableFL, fsAppendFL = 0x10, 0x20

// checkReplaceable refuses an existing file that renaming a temporary file over cannot replace: an
// immutable or append-only one (chattr +i, +a), or a mount point (a file bind-mounted there). Both
// failed only at the final rename, after all the sampling (eleventh probe). What cannot be asked
// (a file system without the flags, an old kernel) passes: the rename still reports it.
func checkReplaceable(path string) error {
	if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
		f.Close()
		if err == nil && flags&(fsImmutableFL|fsAppendFL) != 0 {
			return errors.New("it is immutable or append-only (chattr +i or +a), so it cannot be replaced: lift that, or choose another name")
		}
	}
	if isMountPoint(path) {
		return errors.New("it is a mount point (a file mounted over that name), so it cannot be replaced: choose another name")
	}
	return nil
}

// isMountPoint says whether path is mounted over (a file or folder bind-mounted there): its mount is
// not its folder's. False where the kernel cannot say.
func isMountPoint(path string) bool {
	file, ok := trust.MountID(path, true)
	dir, okDir := trust.MountID(ParentDir(path), true)
	return ok && okDir && file != dir
}
