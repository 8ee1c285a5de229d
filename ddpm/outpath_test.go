package ddpm

import (
	"errors"
	"fmt"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/learn-ddpm/ddpm-go/internal/inflight"
)

// WriteFileAtomic writes only regular files: it replaces one, follows a link to one (keeping the
// link), and refuses a dangling link, a FIFO (without opening it, which would block) and a folder,
// leaving each as it was; a name of 250 bytes, legal, still gets a temporary name within
// the 255-byte limit (".<name>.tmp-…" would not).
func TestWriteFileAtomicWritesOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(path, content string) error {
		return WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, content); return err })
	}
	read := func(path string) string {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	file := filepath.Join(dir, "a.txt")
	for _, content := range []string{"one", "two"} {
		if err := write(file, content); err != nil || read(file) != content {
			t.Fatalf("writing %q: %v, read back %q", content, err, read(file))
		}
	}
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	if err := write(link, "three"); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 || read(file) != "three" {
		t.Errorf("through a link: the link is %v (%v), the target holds %q; want the link kept and the target written", info.Mode(), err, read(file))
	}
	// A link to a file of another kind is refused, by every writer (eval's report, train's grids and
	// setup's models went through links to checkpoints; eleventh probe); the same kind in another case
	// is followed.
	upper := filepath.Join(dir, "A.TXT")
	if err := os.WriteFile(upper, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	model, report, upperLink := filepath.Join(dir, "m.ddpm"), filepath.Join(dir, "eval.json"), filepath.Join(dir, "upper.txt")
	if err := os.WriteFile(model, []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{report: model, upperLink: upper} {
		if err := os.Symlink(to, from); err != nil {
			t.Fatal(err)
		}
	}
	if err := write(report, "{}"); err == nil || !strings.Contains(err.Error(), "a file of another kind") || read(model) != "weights" {
		t.Errorf("writing %s, a link to %s: error %v, and the model holds %q", report, model, err, read(model))
	}
	if err := write(upperLink, "y"); err != nil || read(upper) != "y" {
		t.Errorf("writing upper.txt, a link to A.TXT: %v", err)
	}
	dangling := filepath.Join(dir, "dangling.txt")
	if err := os.Symlink(filepath.Join(dir, "missing"), dangling); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// (No device here: were the check ever lost, the test would replace it. CheckOutput, which shares
	// the check and writes nothing, is tried on /dev/null below.)
	for _, bad := range []string{dangling, fifo, dir, ""} {
		err := write(bad, "x")
		if err == nil || (bad != "" && !strings.Contains(err.Error(), bad)) {
			t.Errorf("writing %q: error %v, want a refusal naming it", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("the dangling link's target was created")
	}
	long := filepath.Join(dir, strings.Repeat("é", 125)) // 250 bytes
	if err := write(long, "long"); err != nil || read(long) != "long" {
		t.Errorf("a 250-byte name: %v", err)
	}
	if stale, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(stale) > 0 {
		t.Errorf("temporary files left: %v", stale)
	}
}

// CheckOutput refuses, before any work, what WriteFileAtomic would refuse and an output that is one
// of the inputs: by name, through a link, or as a hard link under another name.
func TestCheckOutputRefusesInputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "ckpt.ddpm")
	if err := os.WriteFile(in, []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	link, hard := filepath.Join(dir, "link.ddpm"), filepath.Join(dir, "hard.ddpm")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{in, link, hard} {
		if err := CheckOutput("--out", out, in); err == nil || !strings.Contains(err.Error(), "--out") || !strings.Contains(err.Error(), "input") {
			t.Errorf("--out %s with the input %s: error %v", out, in, err)
		}
	}
	if err := CheckOutput("--out", filepath.Join(dir, "new.ddpm"), in, filepath.Join(dir, "absent")); err != nil {
		t.Errorf("a new file: %v", err)
	}
	if err := CheckOutput("--out", "", in); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("an empty path: error %v", err)
	}
	if err := CheckOutput("--out", "/dev/null"); err == nil || !strings.Contains(err.Error(), "device") {
		t.Errorf("/dev/null: error %v", err)
	}
	// Through a folder that does not exist and back out: the kernel needs the folder, so the check
	// must refuse it (the cleaned path passed, and the write failed after the work; fourth probe).
	if err := CheckOutput("--out", filepath.Join(dir, "missing")+"/../new.png"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("--out through a missing folder: error %v, want a refusal", err)
	}
	// A missing folder is named as such: the message quoted the probe's temporary name (twenty-fifth probe).
	if err := CheckOutput("--out", filepath.Join(dir, "new", "x.png")); err == nil ||
		!strings.Contains(err.Error(), "its folder "+filepath.Join(dir, "new")+" does not exist") {
		t.Errorf("--out in a missing folder: error %v, want one naming the folder", err)
	}
}

// A replaced file keeps its permissions: a private 0600 output stays private (it became 0644).
func TestWriteFileAtomicKeepsTheMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "private.png")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode after a rewrite: %v (%v), want 0600", info.Mode().Perm(), err)
	}
	// A new file's mode follows the umask, as os.Create's does (it was 0644 whatever the umask; eighth
	// probe), but never lets the group or others write: under umask 000 another user rewrote a checkpoint
	// of 0666 that train resumed (fifty-ninth probe).
	// The folder is made first: one made under umask 0 is a folder anyone may write, where nothing is
	// written (TestNothingIsWrittenByAWayAnotherUserCouldSteer).
	base := t.TempDir()
	defer syscall.Umask(syscall.Umask(0))
	for i, c := range []struct{ umask, want int }{{0o077, 0o600}, {0o027, 0o640}, {0o022, 0o644}, {0o002, 0o644}, {0, 0o644}} {
		syscall.Umask(c.umask)
		fresh := filepath.Join(base, fmt.Sprintf("new%d.png", i))
		if err := WriteFileAtomic(fresh, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
			t.Fatal(err)
		}
		if info, err := os.Stat(fresh); err != nil || info.Mode().Perm() != os.FileMode(c.want) {
			t.Errorf("umask %03o: a new file's mode %v (%v), want %v", c.umask, info.Mode().Perm(), err, os.FileMode(c.want))
		}
	}
}

// A signal's handler removes the temporary file of a write in progress before the process ends, and
// the write fails without making its file: a Ctrl-C in sample's final write left its temporary for
// good (twenty-seventh probe). A finished write is not touched.
func TestRemoveTemporariesInFlight(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	writing, removed := make(chan bool), make(chan bool)
	done := make(chan error, 1)
	go func() {
		done <- WriteFileAtomic(path, func(w io.Writer) error {
			writing <- true
			<-removed
			_, err := io.WriteString(w, "samples")
			return err
		})
	}()
	<-writing
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || !IsTemporaryOf(entries[0].Name(), func(n string) bool { return n == "x.npy" }) {
		t.Fatalf("during the write the folder holds %v, want its temporary file", entries)
	}
	RemoveTemporariesInFlight()
	t.Cleanup(inflight.Reopen) // RemoveAll closes the registry: the process is ending
	close(removed)
	if err := <-done; err == nil {
		t.Errorf("a write whose temporary was removed succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("after the removal the folder holds %s", entries[0].Name())
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error { return nil }); !errors.Is(err, inflight.ErrStopping) {
		t.Errorf("a write after the removal: %v, want it refused (nothing is made while the process ends)", err)
	}
	inflight.Reopen()
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "kept"); return err }); err != nil {
		t.Fatal(err)
	}
	RemoveTemporariesInFlight()
	if raw, err := os.ReadFile(path); err != nil || string(raw) != "kept" {
		t.Errorf("a finished write after the removal: %q, %v", raw, err)
	}
}

// A checkpoint that is a FIFO is refused at once (it used to block the command forever); one of a
// newer format is named as such, not as "not a ddpm-go checkpoint".
func TestLoadCheckpointRefusesFIFOAndNewerFormat(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ckpt-000000001.ddpm")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadTrained(dir); done <- err }() // the folder's newest checkpoint is the FIFO
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "FIFO") {
			t.Errorf("a FIFO checkpoint: error %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("loading a FIFO checkpoint blocked")
	}
	newer := filepath.Join(dir, "newer.ddpm")
	if err := os.WriteFile(newer, []byte("DDPM-GO-CHECKPOINT-3\nrest"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTrained(newer); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a format-3 checkpoint: error %v, want one saying it is newer", err)
	}
}

// In a sticky folder another user's file cannot be replaced: CheckOutput says so before any work (the
// write failed at the final rename, after all of it; eighth probe). Acted out as uid 12345 beside
// root's file; the owner of the file, and of the folder, may replace it.
func TestCheckOutputRefusesAnotherUsersFileInAStickyFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(dir, "eval.json")
	if err := os.WriteFile(theirs, []byte("{}"), 0o666); err != nil {
		t.Fatal(err)
	}
	owner := os.Geteuid()
	defer func() { geteuid = os.Geteuid }()
	geteuid = func() int { return 12345 }
	if err := CheckOutput("--out", theirs); err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("another user's file in a sticky folder: error %v, want a refusal", err)
	}
	if err := CheckOutput("--out", filepath.Join(dir, "new.json")); err != nil {
		t.Errorf("a new file in a sticky folder: %v", err)
	}
	geteuid = func() int { return owner }
	if err := CheckOutput("--out", theirs); err != nil {
		t.Errorf("the owner's own file in a sticky folder: %v", err)
	}
}

// A file that renaming over cannot replace, an immutable one (chattr +i) or a file mounted over its
// name, is refused before any work (both failed at the final rename, after the sampling; eleventh
// probe). Setting the flag and mounting need root and a file system that has them: the test says
// when it cannot try.
func TestCheckOutputRefusesWhatRenameCannotReplace(t *testing.T) {
	dir := t.TempDir()
	immutable, mounted, source := filepath.Join(dir, "imm.png"), filepath.Join(dir, "bm.png"), filepath.Join(dir, "src.png")
	for _, p := range []string{immutable, mounted, source} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckOutput("--out", immutable); err != nil {
		t.Fatalf("a plain file: %v", err)
	}
	if setImmutable(t, immutable, true) {
		defer setImmutable(t, immutable, false)
		if err := CheckOutput("--out", immutable); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("an immutable file: error %v", err)
		}
	}
	if err := syscall.Mount(source, mounted, "", syscall.MS_BIND, ""); err != nil {
		t.Logf("cannot bind-mount a file here (%v): the mount point is not tried", err)
		return
	}
	defer syscall.Unmount(mounted, 0)
	if err := CheckOutput("--out", mounted); err == nil || !strings.Contains(err.Error(), "mount point") {
		t.Errorf("a file mounted over the output: error %v", err)
	}
}

// setImmutable sets or clears chattr +i on path, saying whether it could.
func setImmutable(t *testing.T, path string, on bool) bool {
	return setFlag(t, path, fsImmutableFL, on)
}

// setFlag sets or clears an inode flag (chattr +i, +a) on path, saying whether it could.
func setFlag(t *testing.T, path string, flag uint32, on bool) bool {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err == nil {
		flags &^= flag
		if on {
			flags |= flag
		}
		err = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags))
	}
	if err != nil {
		t.Logf("cannot set inode flag %#x here (%v): that case is not tried", flag, err)
	}
	return err == nil
}

// Files a command names itself are never written through a link (eval.json planted as a link to the
// bound's progress replaced it; twelfth probe); a folder where files can be made but not removed
// (chattr +a) is refused before the work, and a write through "link/.." lands where the kernel
// resolves it, as its check found (the temporary went to the cleaned name's folder).
func TestOwnOutputsAndFoldersAsTheKernelSeesThem(t *testing.T) {
	dir := t.TempDir()
	progress := filepath.Join(dir, "nll-progress.json")
	if err := os.WriteFile(progress, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "eval.json")
	if err := os.Symlink(progress, report); err != nil {
		t.Fatal(err)
	}
	if err := CheckOwnOutput("--out", report); err == nil || !strings.Contains(err.Error(), "a symbolic link") {
		t.Errorf("an own output planted as a link: error %v", err)
	}
	if err := CheckOutput("--out", report); err != nil {
		t.Errorf("a user's output through a link to a file of its kind: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "x", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "x", "y"), filepath.Join(dir, "lnk")); err != nil {
		t.Fatal(err)
	}
	through := filepath.Join(dir, "lnk") + "/../sub/s.txt" // x/sub/s.txt; there is no dir/sub
	if err := CheckOutput("--out", through); err != nil {
		t.Fatalf("CheckOutput(%s): %v", through, err)
	}
	if err := WriteFileAtomic(through, func(w io.Writer) error { _, err := io.WriteString(w, "s"); return err }); err != nil {
		t.Errorf("writing %s: %v", through, err)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "x", "sub", "s.txt")); err != nil || string(raw) != "s" {
		t.Errorf("x/sub/s.txt: %q (%v)", raw, err)
	}
	appendOnly := filepath.Join(dir, "ao")
	if err := os.Mkdir(appendOnly, 0o755); err != nil {
		t.Fatal(err)
	}
	if setFlag(t, appendOnly, fsAppendFL, true) {
		defer setFlag(t, appendOnly, fsAppendFL, false)
		if err := CheckOutput("--out", filepath.Join(appendOnly, "s.png")); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("an append-only folder: error %v", err)
		}
	}
}

// Training's own files are not written through links planted during the run: the next checkpoint's
// name linked to another run's checkpoint had it replaced, and <ckpt>/samples linked to another run's
// folder had its grids overwritten (thirteenth probe).
func TestTrainingFilesAreNotWrittenThroughLinks(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	victim := filepath.Join(other, "ckpt-000000001.ddpm")
	if err := os.WriteFile(victim, []byte("another run's checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Checkpointer{Dir: dir}
	if err := os.Symlink(victim, c.CheckpointPath(2)); err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	ctx.In("a").VariableWithValue("w", []float32{1})
	if _, err := c.Save(ctx, 2, nil); err == nil || !strings.Contains(err.Error(), "a symbolic link") {
		t.Errorf("Save over a planted link: error %v, want a refusal", err)
	}
	if raw, _ := os.ReadFile(victim); string(raw) != "another run's checkpoint" {
		t.Errorf("the link's target was replaced: %q", raw)
	}
	if _, err := c.Save(ctx, 3, nil); err != nil { // a name of its own is written
		t.Errorf("Save: %v", err)
	}
	if err := os.Symlink(other, filepath.Join(dir, "samples")); err != nil {
		t.Fatal(err)
	}
	if _, err := GridFolder(dir); err == nil || !strings.Contains(err.Error(), "a symbolic link") {
		t.Errorf("GridFolder with samples linked to another folder: error %v, want a refusal", err)
	}
	grid := filepath.Join(other, "step-000000005.png")
	if err := os.Symlink(victim, grid); err != nil {
		t.Fatal(err)
	}
	if err := WriteOwnImageGridPNG(grid, make([]float32, 4), 1, []int{2, 2, 1}, 0); err == nil || !strings.Contains(err.Error(), "a symbolic link") {
		t.Errorf("a grid over a planted link: error %v, want a refusal", err)
	}
}

// A symbolic link in the way of a folder to make is named with its target: a link to nothing, at the
// folder or above it, or a link to a file, made MkdirAll say only "file exists" (seventeenth probe).
func TestMakeDirNamesALinkInTheWay(t *testing.T) {
	dir := t.TempDir()
	dangling, toFile := filepath.Join(dir, "gone-link"), filepath.Join(dir, "file-link")
	if err := os.Symlink("gone", dangling); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "f"), nil, 0o644) //nolint:errcheck
	if err := os.Symlink("f", toFile); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{dangling, dangling + " is a symbolic link to gone, which does not exist"},
		{filepath.Join(dangling, "a", "b"), dangling + " is a symbolic link to gone, which does not exist"},
		{toFile, toFile + " is a symbolic link to f, which is not a folder"},
		// Followed by "..", which a cleaned path dropped (eighteenth probe), and a loop.
		{dangling + "/../x", dangling + " is a symbolic link to gone, which does not exist"},
		{toFile + "/../x", toFile + " is a symbolic link to f, which is not a folder"},
		{loop, loop + " is a symbolic link to loop, which leads back to itself"},
		// A file, which was "mkdir: not a directory" (twentieth probe).
		{filepath.Join(dir, "f"), filepath.Join(dir, "f") + " is a file, where a folder is wanted"},
		{filepath.Join(dir, "f", "sub"), filepath.Join(dir, "f") + " is a file, where a folder is wanted"},
	} {
		if err := MakeDir(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("MakeDir(%s): error %v, want %q", c.path, err, c.want)
		}
		if _, err := LockDir(c.path, "--work"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LockDir(%s): error %v, want %q", c.path, err, c.want)
		}
	}
	if err := MakeDir(filepath.Join(dir, "new", "sub")); err != nil {
		t.Errorf("MakeDir of a new folder: %v", err)
	}
}

// An output in a working directory removed since the command started in it says so: it said "its
// folder . does not exist: make it first".
func TestCheckOutputInARemovedWorkingDirectory(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	err := CheckOutput("--out", "s.png")
	if err == nil || !strings.Contains(err.Error(), `--out "s.png": the working directory no longer exists`) {
		t.Errorf("error %v, want the working directory named as gone", err)
	}
}

// A working folder past Linux's 4 095 bytes from / is said to be too deep, not "not safe to write
// through" with its 4 KB path (ninety-sixth probe); nothing is written.
func TestCheckOutputInAFolderTooDeep(t *testing.T) {
	t.Chdir(t.TempDir())
	name := strings.Repeat("d", 200)
	for i := 0; i < 22; i++ { // 22 × 201 bytes
		if err := os.Mkdir(name, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chdir(name); err != nil {
			t.Fatal(err)
		}
	}
	for _, write := range []func() error{
		func() error { return CheckOutput("--out", "s.png") },
		func() error { return WriteFileAtomic("s.png", func(io.Writer) error { return nil }) },
	} {
		err := write()
		if err == nil || !strings.Contains(err.Error(), "too long for the system to follow") || strings.Contains(err.Error(), "not safe") || len(err.Error()) > 1000 {
			t.Errorf("a write in a folder %d bytes deep: %v; want it said too long, briefly", 22*201, err)
		}
	}
	if left, _ := os.ReadDir("."); len(left) != 0 {
		t.Errorf("refused, it left %d files", len(left))
	}
}

// An output in /proc is said to be where files cannot be made, not in a folder to make first
// (thirty-second probe).
func TestCheckOutputInProc(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no /proc here")
	}
	for _, out := range []string{"/proc/y.png", "/proc/zz/y.png", "/proc/self/zz/y.png"} { // a missing folder there too (thirty-fourth probe)
		err := CheckOutput("--out", out)
		if err == nil || !strings.Contains(err.Error(), "a file system of the kernel's (proc)") || strings.Contains(err.Error(), "make it first") {
			t.Errorf("%s: error %v, want /proc named as a file system where files cannot be made", out, err)
		}
	}
}

// A folder in /proc is said to be where folders cannot be made, not one whose parent is missing
// (thirty-third probe).
func TestMakeDirInProc(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no /proc here")
	}
	if err := MakeDir("/proc/x"); err == nil || !strings.Contains(err.Error(), "folders cannot be made in /proc, a file system of the kernel's (proc)") {
		t.Errorf("MakeDir(/proc/x): error %v, want /proc named", err)
	}
}

// In a folder that another user may write, a link put in the temporary file's place does not have
// its target's mode changed, and is not taken for the output; nor does a replaced file of another
// user's give its mode to what is written (fifty-fifth probe: root's 0600 file was made 0777).
func TestWriteFileAtomicFollowsNoLinkPutInItsPlace(t *testing.T) {
	dir, victim := t.TempDir(), filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("root's"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x.png")
	err := WriteFileAtomic(out, func(w io.Writer) error {
		tmps, _ := filepath.Glob(filepath.Join(dir, ".x.png.tmp-*"))
		if len(tmps) != 1 {
			return fmt.Errorf("temporaries %v", tmps)
		}
		if err := os.Rename(tmps[0], filepath.Join(dir, "stolen")); err != nil {
			return err
		}
		if err := os.Symlink(victim, tmps[0]); err != nil {
			return err
		}
		_, err := w.Write([]byte("samples"))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "another file took the place of its temporary") {
		t.Errorf("a link put in the temporary's place: %v", err)
	}
	if info, err := os.Stat(victim); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the link's target has mode %v (%v), want 0600 as it was", info.Mode(), err)
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: the cases of another user's files need root to make (those above ran)")
	}
	theirs := filepath.Join(dir, "theirs.png")
	if err := os.WriteFile(theirs, nil, 0o777); err != nil || os.Chmod(theirs, 0o777) != nil || os.Chown(theirs, 4242, 4242) != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(theirs, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(theirs); err != nil || info.Mode().Perm()&0o022 != 0 {
		t.Errorf("a file of another user's, mode 0777, replaced: mode %v (%v)", info.Mode(), err)
	}
}

// Nothing is written by a way that another user could steer (fifty-sixth probe): a link of theirs at
// the output's name in a sticky folder (/tmp) had root write its samples over a file of root's in a
// private folder; a folder anyone may write, not sticky, lets them swap what the write lands in. Links
// and folders of the user's own are followed and written as before.
func TestNothingIsWrittenByAWayAnotherUserCouldSteer(t *testing.T) {
	dir := t.TempDir()
	write := func(path string) error {
		return WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("samples")); return err })
	}
	shared := filepath.Join(dir, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil || os.Chmod(shared, 0o777) != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(shared, "x.npy"), filepath.Join(shared, "new", "x.npy")} {
		if err := CheckOutput("--out", path); err == nil || !strings.Contains(err.Error(), "anyone may write") || !strings.Contains(err.Error(), "--out") {
			t.Errorf("--out %s in a folder anyone may write: %v, want a refusal", path, err)
		}
		if err := write(path); err == nil {
			t.Errorf("%s written in a folder anyone may write", path)
		}
	}
	// One's own folder, and one's own link in a sticky folder, are written as before.
	sticky := filepath.Join(dir, "sticky")
	if err := os.Mkdir(sticky, 0o755); err != nil || os.Chmod(sticky, os.ModeSticky|0o777) != nil {
		t.Fatal(err)
	}
	private := filepath.Join(dir, "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(private, "precious.npy")
	if err := os.WriteFile(precious, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(sticky, "samples.npy")
	if err := os.Symlink(precious, link); err != nil {
		t.Fatal(err)
	}
	if err := write(link); err != nil {
		t.Fatalf("one's own link in a sticky folder: %v", err)
	}
	if raw, _ := os.ReadFile(precious); string(raw) != "samples" {
		t.Errorf("one's own link was not followed: %q", raw)
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: links and folders of another user's need root to make (the cases above ran)")
	}
	// The same link, another user's: refused, and the file it points to is kept.
	if err := os.WriteFile(precious, []byte("precious"), 0o600); err != nil || os.Lchown(link, 4242, 4242) != nil {
		t.Fatal(err)
	}
	if err := CheckOutput("--out", link); err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("another user's link at --out: %v, want a refusal", err)
	}
	if err := write(link); err == nil {
		t.Errorf("written through another user's link")
	}
	if raw, _ := os.ReadFile(precious); string(raw) != "precious" {
		t.Errorf("the file behind another user's link was replaced: %q", raw)
	}
	// A folder of theirs, not writable by others by its mode: they may still swap what is in it.
	theirs := filepath.Join(sticky, "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil || os.Chown(theirs, 4242, 4242) != nil {
		t.Fatal(err)
	}
	if err := CheckOutput("--out", filepath.Join(theirs, "x.png")); err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("--out in another user's folder: %v, want a refusal", err)
	}
}

// A folder whose files are read back as a run's own (train's --ckpt, eval's --work) must be the user's,
// with no other user able to add to it: another user's folder in /tmp gave train their checkpoint to
// resume from, and a folder of theirs above the run's let them swap the run's folder between a save and
// the removal of old checkpoints, which then removed root's (fifty-sixth probe).
func TestLockDirTakesOnlyAFolderOfTheUsersOwn(t *testing.T) {
	dir := t.TempDir()
	sticky := filepath.Join(dir, "sticky")
	if err := os.Mkdir(sticky, 0o755); err != nil || os.Chmod(sticky, os.ModeSticky|0o777) != nil {
		t.Fatal(err)
	}
	// Made by the run in a sticky folder: its own.
	lock, err := LockDir(filepath.Join(sticky, "run"), "--ckpt")
	if err != nil {
		t.Fatalf("a new folder in a sticky folder: %v", err)
	}
	lock.Unlock()
	// The sticky folder itself: others may add a checkpoint to it.
	if _, err := LockDir(sticky, "--ckpt"); err == nil || !strings.Contains(err.Error(), "others may add") {
		t.Errorf("a sticky folder anyone may write as --ckpt: %v, want a refusal", err)
	}
	shared := filepath.Join(dir, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil || os.Chmod(shared, 0o777) != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(filepath.Join(shared, "run"), "--ckpt"); err == nil || !strings.Contains(err.Error(), "use a folder of your own") {
		t.Errorf("a run in a folder anyone may write: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(shared, "run")); err == nil {
		t.Errorf("the refused run's folder was made")
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: the cases of another user's files need root to make (those above ran)")
	}
	theirs := filepath.Join(sticky, "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil || os.WriteFile(filepath.Join(theirs, "ckpt-000000200.ddpm"), []byte("x"), 0o644) != nil ||
		os.Chown(theirs, 4242, 4242) != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(theirs, "--ckpt"); err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("another user's folder as --ckpt: %v, want a refusal", err)
	}
	if _, err := os.Lstat(filepath.Join(theirs, LockFileName)); err == nil {
		t.Errorf("a lock file was made in another user's folder")
	}
}

// MakeDir makes nothing on a way another user could steer: the sample grids' folder (and any other)
// was made in a folder anyone may write, where they could swap it for a link between its making and
// the writes (the check that LockDir had, MakeDir has now for every caller).
func TestMakeDirMakesNothingOnAWayAnotherUserCouldSteer(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o755); err != nil || os.Chmod(shared, 0o777) != nil {
		t.Fatal(err)
	}
	if err := MakeDir(filepath.Join(shared, "grids", "deep")); err == nil || !strings.Contains(err.Error(), "use a folder of your own") {
		t.Errorf("a folder made in a folder anyone may write: %v, want a refusal", err)
	}
	if _, err := os.Lstat(filepath.Join(shared, "grids")); err == nil {
		t.Errorf("the refused folder was made")
	}
	if err := MakeDir(filepath.Join(t.TempDir(), "mine", "deep")); err != nil {
		t.Errorf("a folder of the user's own: %v", err)
	}
}

// MakeFolders undoes only the folders it made itself, and only while they are empty: an eval refused
// for the lock removed the --out that the eval holding it had just made (twenty-second probe).
func TestMakeFoldersUndoesOnlyItsOwn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "c")
	undo, made, err := MakeFolders(path)
	if err != nil || !made {
		t.Fatalf("MakeFolders(%s): made %v, %v", path, made, err)
	}
	undo()
	if _, err := os.Lstat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("undo left %s/a (%v)", dir, err)
	}
	// Made by another process first: never removed, even empty.
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	undo, made, err = MakeFolders(path)
	if err != nil || made {
		t.Fatalf("MakeFolders(%s) of a folder there: made %v, %v", path, made, err)
	}
	undo()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("undo removed a folder it did not make: %v", err)
	}
	// Made here, then given a file: kept.
	other := filepath.Join(dir, "x", "y")
	undo, _, _ = MakeFolders(other)
	os.WriteFile(filepath.Join(other, "report.json"), nil, 0o644) //nolint:errcheck
	undo()
	if _, err := os.Lstat(filepath.Join(other, "report.json")); err != nil {
		t.Errorf("undo removed a folder holding a file: %v", err)
	}
	// A file in the way: the error, and nothing made left behind.
	os.WriteFile(filepath.Join(dir, "f"), nil, 0o644) //nolint:errcheck
	if _, _, err := MakeFolders(filepath.Join(dir, "n", "..", "f", "g")); err == nil || !strings.Contains(err.Error(), "is a file, where a folder is wanted") {
		t.Errorf("a file in the way: error %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "n")); !os.IsNotExist(err) {
		t.Errorf("a refused path left %s/n behind (%v)", dir, err)
	}
	// A folder made, then its name swapped for a link to a file's folder of the same name (another
	// user's race): the undo removes nothing through the link, and never a file (fifty-seventh probe:
	// root's file of that name was removed).
	swapped := filepath.Join(dir, "s", "eval")
	undo, _, _ = MakeFolders(swapped)
	private := filepath.Join(dir, "private")
	if err := os.MkdirAll(filepath.Join(private, "eval"), 0o700); err != nil || os.WriteFile(filepath.Join(private, "keep"), []byte("x"), 0o600) != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "s"), filepath.Join(dir, "s-moved")); err != nil || os.Symlink(private, filepath.Join(dir, "s")) != nil {
		t.Fatal(err)
	}
	undo()
	if _, err := os.Stat(filepath.Join(private, "eval")); err != nil {
		t.Errorf("the undo removed %s/eval through a link swapped in: %v", private, err)
	}
	// Nothing is made in a folder that another user could add to or swap (checked before MakeFolders makes its first folder).
	shared := filepath.Join(dir, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil || os.Chmod(shared, 0o777) != nil {
		t.Fatal(err)
	}
	if _, _, err := MakeFolders(filepath.Join(shared, "run", "eval")); err == nil || !strings.Contains(err.Error(), "use a folder of your own") {
		t.Errorf("folders in a folder anyone may write: error %v, want a refusal", err)
	}
	if _, err := os.Lstat(filepath.Join(shared, "run")); err == nil {
		t.Errorf("MakeFolders made a folder in a folder anyone may write")
	}
}

// A way that cannot be resolved makes nothing: MakeFolders fell back to os.MkdirAll by the name, and
// another user who swapped their file on the way for a link between the look and the MkdirAll had root
// make a folder in a private folder of root's that they chose (fifty-ninth probe).
func TestMakeFoldersMakesNothingOnAWayItCannotResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x")
	if err := os.WriteFile(file, []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	private := filepath.Join(dir, "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	// The swap, done where MkdirAll would run: after the look, before any folder is made.
	defer func(saved func()) { wayChecked = saved }(wayChecked)
	wayChecked = func() {
		os.Remove(file)           //nolint:errcheck
		os.Symlink(private, file) //nolint:errcheck
	}
	if _, _, err := MakeFolders(filepath.Join(file, "run")); err == nil {
		t.Errorf("a folder under a file: no error")
	}
	if entries, _ := os.ReadDir(private); len(entries) != 0 {
		t.Errorf("a folder was made through the link swapped in: %v", entries)
	}
}

// A write goes, after its check, only through the folder it opened and found on a way the check accepts:
// a folder missing at the check in a sticky /tmp, then another user's link there to a private folder of
// root's, had root's output made in that folder (sixtieth probe).
func TestWriteLandsOnlyInTheFolderChecked(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the other user's link needs root to make")
	}
	dir := t.TempDir()
	sticky := filepath.Join(dir, "tmp")
	private := filepath.Join(dir, "private")
	if err := os.Mkdir(sticky, 0o755); err != nil || os.Chmod(sticky, os.ModeSticky|0o777) != nil || os.Mkdir(private, 0o700) != nil {
		t.Fatal(err)
	}
	f := filepath.Join(sticky, "f")
	defer func(saved func()) { outputChecked = saved }(outputChecked)
	for _, swap := range []func(){
		func() { os.Symlink(private, f); os.Lchown(f, 4242, 4242) }, //nolint:errcheck // their link, put there after the check
		func() { os.Mkdir(f, 0o777); os.Chown(f, 4242, 4242) },      //nolint:errcheck // their folder
	} {
		os.RemoveAll(f)
		outputChecked = swap
		err := WriteFileAtomic(filepath.Join(f, "s.png"), func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
		if err == nil {
			t.Errorf("a write whose folder was swapped after the check: no error")
		}
		if entries, _ := os.ReadDir(private); len(entries) != 0 {
			t.Errorf("the write landed in the private folder: %v", entries)
		}
		// CheckOutput's probe file likewise: made through the link, it was left in the private folder
		// (sixty-first probe).
		os.RemoveAll(f)
		if err := CheckOutput("--out", filepath.Join(f, "s.png")); err == nil {
			t.Errorf("CheckOutput of a folder swapped after the check: no error")
		}
		if entries, _ := os.ReadDir(private); len(entries) != 0 {
			t.Errorf("CheckOutput's probe landed in the private folder: %v", entries)
		}
		os.RemoveAll(f)
	}
}
