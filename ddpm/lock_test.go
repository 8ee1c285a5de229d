package ddpm

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/learn-ddpm/ddpm-go/internal/fulldisk"
)

// TestLockHelperProcess is not a test: TestLockDir runs the test binary with this test selected and
// DDPM_LOCK_HELPER set, to hold a folder's lock from another process until it is killed.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv("DDPM_LOCK_HELPER")
	if dir == "" {
		t.Skip("only run as TestLockDir's helper process")
	}
	if _, err := LockDir(dir, "checkpoint folder"); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(0)
}

// Another user's process is named as one, even where its PID is the one the lock file records: the
// file's PID was checked first and the message said "process N (since …)" alone (sixty-seventh probe).
func TestLockHolderNamesAnotherUsersProcess(t *testing.T) {
	flock, err := exec.LookPath("flock")
	if os.Geteuid() != 0 || err != nil {
		t.Skip("needs root and flock(1), to hold a lock as another user")
	}
	dir, err := os.MkdirTemp("", "lockholder-") // t.TempDir's parent is 0700: the other user opens the file in it
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, LockFileName)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	holder := exec.Command(flock, "--shared", path, "sleep", "60")
	holder.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 4242, Gid: 4242}}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Process.Kill() //nolint:errcheck
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pid := holder.Process.Pid
	for i := 0; ; i++ { // until flock(1) holds it
		if got, _, ok := FlockHolder(f); ok && got == pid {
			break
		} else if i == 200 {
			t.Fatalf("flock(1), process %d, does not hold %s after 10 s", pid, path)
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := fmt.Sprintf("process %d of another user (uid 4242) (since 2001-01-01T00:00:00Z)", pid)
	if got := LockHolder(f, pid, " (since 2001-01-01T00:00:00Z)"); got != want {
		t.Errorf("LockHolder of another user's process %d, the PID the file records: %q, want %q", pid, got, want)
	}
	if got, want := LockHolder(f, 1, " (since 2001-01-01T00:00:00Z)"), fmt.Sprintf("process %d of another user (uid 4242)", pid); got != want {
		t.Errorf("LockHolder of another user's process %d, where the file records process 1: %q, want %q (no start time of another run)", pid, got, want)
	}
}

// A folder locked by another process is refused with its PID; once that process is killed (SIGKILL,
// no clean-up), the lock is taken over. Within one process the lock nests.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	helper.Env = append(os.Environ(), "DDPM_LOCK_HELPER="+dir, "DDPM_NO_REEXEC=1")
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Process.Kill() //nolint:errcheck
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("the helper process did not take the lock: %q", line)
	}
	_, err = LockDir(dir, "checkpoint folder")
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", helper.Process.Pid)) {
		t.Fatalf("locking a folder held by process %d: error %v, want ErrLocked naming the folder and the PID", helper.Process.Pid, err)
	}
	// The holder as the kernel knows it, not the PID the file records: another user's process holding a
	// lock file whose PID was a run long gone was named as that run (sixty-fourth probe).
	lockFile := filepath.Join(dir, LockFileName)
	if err := os.WriteFile(lockFile, []byte("4242 2001-01-01T00:00:00Z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err = LockDir(dir, "checkpoint folder"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", helper.Process.Pid)) ||
		strings.Contains(err.Error(), "4242") {
		t.Errorf("a lock file that records process 4242, held by process %d: error %v, want the holder named", helper.Process.Pid, err)
	}
	if info, err := os.Stat(lockFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the lock file: %v, %v; want mode 0600, readable by its user alone", info.Mode(), err)
	}
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	helper.Wait() //nolint:errcheck // killed
	first, err := LockDir(dir, "checkpoint folder")
	if err != nil {
		t.Fatalf("the lock of a killed process was not taken over: %v", err)
	}
	second, err := LockDir(dir, "checkpoint folder")
	if err != nil {
		t.Fatalf("a second hold in the same process: %v", err)
	}
	second.Unlock()
	first.Unlock()
	// Checked once released, or nil: said, not a panic nor a folder "." (thirty-ninth probe's nit).
	var none *DirLock
	for _, l := range []*DirLock{first, none} {
		if err := l.Check(); err == nil || !strings.Contains(err.Error(), "not held") {
			t.Errorf("Check of a lock not held: %v", err)
		}
	}
	if _, err := LockDir("/proc/no-such-folder", "checkpoint folder"); err == nil || !strings.Contains(err.Error(), "/proc/no-such-folder") {
		t.Errorf("an unwritable folder: error %v, want one naming it", err)
	}
}

// A lock file planted as a link (to a file the lock's write would destroy) or as a FIFO is refused,
// and the file it points to is left alone (issue 32's second probe).
func TestLockDirRefusesALinkOrFIFOAsItsLockFile(t *testing.T) {
	// A file of the user's under the lock's name is no lock file: a model, and a requirements file, were
	// overwritten by the lock's record (eightieth probe). An earlier run's record, or nothing, is one.
	for content, taken := range map[string]bool{"DDPM-GO-CHECKPOINT-2 and a model's bytes": false, "six==1.16.0\n": false,
		"": true, "4242 2026-12-07T14:00:00Z\n": true} {
		own := t.TempDir()
		if err := os.WriteFile(filepath.Join(own, LockFileName), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		lock, err := LockDir(own, "--work")
		if taken != (err == nil) {
			t.Errorf("a lock file holding %q: %v, want it taken: %v", content, err, taken)
		}
		if lock != nil {
			lock.Unlock()
		}
		if raw, _ := os.ReadFile(filepath.Join(own, LockFileName)); !taken && string(raw) != content {
			t.Errorf("a file of the lock's name holding %q was overwritten with %q", content, raw)
		}
	}
	dir, victim := t.TempDir(), filepath.Join(t.TempDir(), "victim.txt")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, LockFileName)); err != nil {
		t.Fatal(err)
	}
	if lock, err := LockDir(dir, "--work"); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a link as the lock file: error %v, want a refusal naming it", err)
		if lock != nil {
			lock.Unlock()
		}
	}
	if raw, _ := os.ReadFile(victim); string(raw) != "precious" {
		t.Errorf("the link's target now holds %q", raw)
	}
	// A hard link to the victim (a user's own file; fs.protected_hardlinks stops others') had it
	// truncated and overwritten with the PID (seventh probe).
	linkDir := t.TempDir()
	if err := os.Link(victim, filepath.Join(linkDir, LockFileName)); err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(linkDir, "--work"); err == nil || !strings.Contains(err.Error(), "has 2 names (a hard link") {
		t.Errorf("a hard link as the lock file: error %v, want a refusal naming it", err)
	}
	// A folder in its place was called "not writable" (nineteenth probe).
	folderDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(folderDir, LockFileName), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(folderDir, "--work"); err == nil || !strings.Contains(err.Error(), "is a folder; remove it") {
		t.Errorf("a folder as the lock file: error %v, want a refusal naming it", err)
	}
	if raw, _ := os.ReadFile(victim); string(raw) != "precious" {
		t.Errorf("the hard link's other name now holds %q", raw)
	}
	fifoDir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifoDir, LockFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(fifoDir, "--work"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a FIFO as the lock file: error %v, want a refusal naming it", err)
	}
	// Nor a file mounted over the lock file's name (the PID was written into it; twelfth probe).
	mountDir, victim := t.TempDir(), filepath.Join(t.TempDir(), "victim.txt")
	lockPath := filepath.Join(mountDir, LockFileName)
	for _, p := range []string{victim, lockPath} {
		if err := os.WriteFile(p, []byte("precious"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mount(victim, lockPath, "", syscall.MS_BIND, ""); err != nil {
		t.Logf("cannot bind-mount a file here (%v): the mounted lock file is not tried", err)
		return
	}
	defer syscall.Unmount(lockPath, 0)
	if lock, err := LockDir(mountDir, "--work"); err == nil || !strings.Contains(err.Error(), "is a mount point") {
		lock.Unlock()
		t.Errorf("a file mounted over the lock file: error %v, want a refusal", err)
	}
	if raw, _ := os.ReadFile(victim); string(raw) != "precious" {
		t.Errorf("the file mounted over the lock file now holds %q", raw)
	}
}

// A folder that holds an earlier run's lock file but can no longer be written (chmod 555) is refused
// when the lock is taken, not at the first save after all the work (issue 32's fourth probe: the lock
// file itself stayed writable). As root, whom permissions do not stop, the refusal of the folder is
// acted out by the temporary file's creation failing as it would.
func TestLockDirRefusesAFolderItCannotWrite(t *testing.T) {
	dir := t.TempDir()
	lock, err := LockDir(dir, "checkpoint folder")
	if err != nil {
		t.Fatal(err)
	}
	lock.Unlock()
	if os.Geteuid() == 0 {
		defer func(saved func(string, string) (*os.File, error)) { createTemp = saved }(createTemp)
		createTemp = func(d, pattern string) (*os.File, error) {
			return nil, &os.PathError{Op: "open", Path: filepath.Join(d, pattern), Err: syscall.EACCES}
		}
	} else {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755) //nolint:errcheck
	}
	if _, err := LockDir(dir, "checkpoint folder"); err == nil || !strings.Contains(err.Error(), dir+" is not writable") {
		t.Errorf("a folder that cannot be written, with a lock file from an earlier run: error %v, want one saying it is not writable", err)
	}
}

// A folder whose path leaves no room for the longest name written there is refused when it is locked
// (a checkpoint folder of 4 064 bytes passed the lock's shorter probe, and the run lost every step at
// its first save); a short relative name in a deep working folder is not refused for the length of
// its absolute path, which no write uses (eleventh probe).
func TestLockDirChecksThePathLengthOfItsWrites(t *testing.T) {
	root := t.TempDir()
	deep := func(n int) string { // a folder whose path has n bytes
		dir := root
		for len(dir)+201 < n {
			dir = filepath.Join(dir, strings.Repeat("d", 200))
		}
		dir = filepath.Join(dir, strings.Repeat("e", n-len(dir)-1))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	tooDeep := deep(pathMax - 100)
	if lock, err := LockDir(tooDeep, "--ckpt"); err == nil || !strings.Contains(err.Error(), "leaves too little room") {
		lock.Unlock()
		t.Errorf("LockDir of a %d-byte path: error %v, want a refusal of its length", len(tooDeep), err)
	}
	t.Chdir(deep(pathMax - 20))
	lock, err := LockDir("r", "--ckpt")
	if err != nil {
		t.Fatalf("LockDir(r) in a %d-byte working folder: %v", pathMax-20, err)
	}
	defer lock.Unlock()
	if err := lock.Check(); err != nil {
		t.Error(err)
	}
}

// A lock refused by a full disk leaves no lock file of its own: an empty one was left, and with it the
// folder made for the run (thirty-first probe). One that was there stays.
func TestLockDirOnAFullDiskLeavesNoLockFile(t *testing.T) {
	full := fulldisk.Mount(t)
	fresh, earlier := filepath.Join(full, "fresh"), filepath.Join(full, "earlier")
	for _, dir := range []string{fresh, earlier} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(earlier, LockFileName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{fresh, earlier} {
		if _, err := LockDir(dir, "--ckpt"); err == nil || !strings.Contains(err.Error(), "no space left on device") {
			t.Errorf("%s on a full disk: error %v, want a refusal", dir, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(fresh, LockFileName)); !os.IsNotExist(err) {
		t.Errorf("a refused lock left its lock file (%v)", err)
	}
	if _, err := os.Lstat(filepath.Join(earlier, LockFileName)); err != nil {
		t.Errorf("a refused lock removed an earlier lock file: %v", err)
	}
}

// A run's folder holds only what the user or root owns and no other user may write, at any depth,
// before its lock file is read: a checkpoint of another user's there was resumed, a bound's progress
// of 0666 rewritten by them was reported, and their lock file's "in use by process 1" was believed
// (sixty-second probe). LockDir (setup's folders) does not look inside.
func TestLockRunDirRefusesWhatAnotherUserCouldHaveWritten(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give a file to another user")
	}
	for _, c := range []struct {
		name  string
		plant func(dir string) error
		want  string
	}{
		{"a checkpoint of another user's", func(dir string) error {
			p := filepath.Join(dir, "ckpt-000000030.ddpm")
			return errors.Join(os.WriteFile(p, []byte("theirs"), 0o644), os.Chown(p, 4242, 4242))
		}, "ckpt-000000030.ddpm belongs to another user (uid 4242)"},
		{"a bound's progress anyone may write", func(dir string) error {
			p := filepath.Join(dir, "nll-progress.json")
			return errors.Join(os.WriteFile(p, []byte("{}"), 0o644), os.Chmod(p, 0o666))
		}, "nll-progress.json can be changed by other users"},
		{"a lock file of another user's", func(dir string) error {
			p := filepath.Join(dir, LockFileName)
			return errors.Join(os.WriteFile(p, []byte("1 2001-01-01T00:00:00Z\n"), 0o644), os.Chown(p, 4242, 4242))
		}, LockFileName + " belongs to another user"},
		{"a samples folder of another user's", func(dir string) error {
			p := filepath.Join(dir, "samples")
			return errors.Join(os.Mkdir(p, 0o755), os.Chown(p, 4242, 4242))
		}, "samples belongs to another user"},
		{"a link to another user's file", func(dir string) error {
			theirs := filepath.Join(t.TempDir(), "theirs.ddpm")
			return errors.Join(os.WriteFile(theirs, []byte("theirs"), 0o644), os.Chown(theirs, 4242, 4242),
				os.Symlink(theirs, filepath.Join(dir, "ckpt-000000040.ddpm")))
		}, "belongs to another user"},
		{"a link to nothing", func(dir string) error {
			return os.Symlink(filepath.Join(t.TempDir(), "absent"), filepath.Join(dir, "ckpt-000000050.ddpm"))
		}, "which is missing, and another user could make it"},
	} {
		dir := filepath.Join(t.TempDir(), "run")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := c.plant(dir); err != nil {
			t.Fatal(err)
		}
		lock, err := LockRunDir(dir, "checkpoint folder")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "taken as the run's own") {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
		if err == nil {
			lock.Unlock()
		}
		if c.name == "a bound's progress anyone may write" { // setup's folders are not looked into
			if lock, err := LockDir(dir, "ddpm setup's folder"); err != nil {
				t.Errorf("LockDir of a folder holding %s: %v", c.name, err)
			} else {
				lock.Unlock()
			}
		}
	}
	// What a run wrote itself passes: its checkpoints, grids, lock file, a link to a file of its own.
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.MkdirAll(filepath.Join(dir, "samples"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ckpt-000000010.ddpm", "samples/step-000000005.png"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("ckpt-000000010.ddpm", filepath.Join(dir, "latest.ddpm")); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second finds the lock file the first made
		lock, err := LockRunDir(dir, "checkpoint folder")
		if err != nil {
			t.Fatalf("a run's own folder: %v", err)
		}
		lock.Unlock()
	}
}

// A folder this process holds already (the command line's LockRunDir, then Train's) is not walked
// again: its tree was checked at the first hold. A first hold by LockDir, which does not look into the
// folder, is checked when LockRunDir holds it again.
func TestLockRunDirWalksTheTreeOnceAHold(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	writable := func() {
		p := filepath.Join(dir, "nll-progress.json")
		if err := errors.Join(os.WriteFile(p, []byte("{}"), 0o644), os.Chmod(p, 0o666)); err != nil {
			t.Fatal(err)
		}
	}
	first, err := LockRunDir(dir, "checkpoint folder")
	if err != nil {
		t.Fatal(err)
	}
	writable() // a walk now would refuse the folder
	again, err := LockRunDir(dir, "checkpoint folder")
	if err != nil {
		t.Errorf("a second hold walked the tree again: %v", err)
	} else {
		again.Unlock()
	}
	first.Unlock()

	plain, err := LockDir(dir, "folder")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Unlock()
	if run, err := LockRunDir(dir, "checkpoint folder"); err == nil || !strings.Contains(err.Error(), "can be changed by other users") {
		t.Errorf("LockRunDir after LockDir: error %v, want the tree's check", err)
		if err == nil {
			run.Unlock()
		}
	}
}

// A run's folder named through a link is looked into: the walk began at the link, which it does not
// follow, and passed a checkpoint that anyone may write in the folder it leads to (sixty-third probe).
func TestLockRunDirLooksThroughALinkToTheFolder(t *testing.T) {
	real := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(real, "ckpt-000000010.ddpm")
	if err := errors.Join(os.WriteFile(p, []byte("theirs"), 0o644), os.Chmod(p, 0o666)); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "latest-run")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	lock, err := LockRunDir(link, "checkpoint folder")
	if err == nil || !strings.Contains(err.Error(), "ckpt-000000010.ddpm can be changed by other users") {
		t.Errorf("a run folder named through a link: error %v, want its 0666 checkpoint refused", err)
	}
	if err == nil {
		lock.Unlock()
	}
}
