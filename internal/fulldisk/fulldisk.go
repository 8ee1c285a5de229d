// Package fulldisk gives tests a file system with no room left.
package fulldisk

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Mount mounts a small tmpfs in a folder of the test, fills it, and returns the folder; it is unmounted
// when the test ends. The test is skipped where mounting is not allowed (it needs root).
func Mount(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	fill, err := os.Create(filepath.Join(dir, "fill"))
	if err != nil {
		t.Fatal(err)
	}
	defer fill.Close()
	for err == nil {
		_, err = fill.Write(make([]byte, 4096))
	}
	return dir
}
