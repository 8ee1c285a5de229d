package ddpm

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// LockFileName is the lock that a training run holds in its checkpoint folder (and an evaluation in
// its work folder) for as long as it runs.
const LockFileName = ".ddpm.lock"

// createTemp is os.CreateTemp; a test replaces it to act out a folder that root could write.
var createTemp = os.CreateTemp

// longestWrittenName bounds what the tool writes in a locked folder, temporaries included:
// checkpoints, eval's stores and progress, and train's samples/step-….png grids.
const longestWrittenName = 160

// pathMax is Linux's limit on a path, its terminating NUL included.
const pathMax = 4096

// ErrLocked is wrapped by LockDir's error when another process holds the folder.
var ErrLocked = errors.New("folder in use by another process")

// DirLock is a held lock on a folder; Unlock releases it.
type DirLock struct {
	path string // the lock file, as the caller named its folder (every write there uses that name)
	key  string // its absolute path, which names this process's holds
}

// held counts this process's holds on each lock file: the command line locks a checkpoint folder
// before reading it and Train locks it again, and flock would refuse a second hold through another
// open file even in the same process.
var held = struct {
	sync.Mutex
	files map[string]*os.File
	count map[string]int
	run   map[string]bool // the folder's tree was checked (LockRunDir)
}{files: map[string]*os.File{}, count: map[string]int{}, run: map[string]bool{}}

// inUse is the error for a folder whose lock file path (open as f) another process holds, naming the
// holder as the kernel knows it (FlockHolder), and the run that the file records where that is the
// holder: the file's PID, of a run long gone, was named while another user's process held the lock
// (sixty-fourth probe).
func inUse(what, dir, path string, f *os.File) error {
	recorded, since := 0, ""
	raw := make([]byte, 128) // "PID RFC3339-time\n", from the file held open (its name may be another's by now)
	if n, err := f.ReadAt(raw, 0); n > 0 && (err == nil || errors.Is(err, io.EOF)) {
		if fields := strings.Fields(string(raw[:n])); len(fields) >= 1 {
			if pid, err := strconv.Atoi(fields[0]); err == nil {
				recorded = pid
				if len(fields) >= 2 {
					since = " (since " + fields[1] + ")"
				}
			}
		}
	}
	return fmt.Errorf("%s %s is in use by %s (lock %s): %w; wait for it to finish, stop it, or use another folder",
		what, dir, LockHolder(f, recorded, since), path, ErrLocked)
}

// LockHolder names the process that holds a flock on the file open as f, as the kernel knows it
// (FlockHolder): this process (through another open file, as a second flock is refused even there),
// another user's process, or a PID. recorded and since are the PID and start time that the file
// records (0 and "" for none), named where that PID is the holder or the kernel cannot tell.
func LockHolder(f *os.File, recorded int, since string) string {
	pid, uid, ok := FlockHolder(f)
	if ok && pid != recorded { // the start time is of the run the file records
		since = ""
	}
	switch {
	case ok && pid == os.Getpid():
		return "this process, through another open file"
	case ok && uid != os.Getuid(): // said first, even of the PID the file records
		return fmt.Sprintf("process %d of another user (uid %d)%s", pid, uid, since)
	case ok:
		return fmt.Sprintf("process %d%s", pid, since)
	case recorded > 0:
		return fmt.Sprintf("process %d%s", recorded, since)
	}
	return "another process"
}

// FlockHolder is the process that holds a flock on the file open as f, and its real user, as the
// kernel's /proc/locks lists them; ok is false where that cannot be told.
func FlockHolder(f *os.File) (pid, uid int, ok bool) {
	info, err := f.Stat()
	if err != nil {
		return 0, 0, false
	}
	st, isStat := info.Sys().(*syscall.Stat_t)
	raw, err := os.ReadFile("/proc/locks")
	if !isStat || err != nil {
		return 0, 0, false
	}
	// "1: FLOCK  ADVISORY  WRITE 17204 fe:00:10166513 0 EOF": the holder, then the device (major:minor,
	// in hex) and the inode.
	device := fmt.Sprintf("%02x:%02x:%d", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)), st.Ino)
	for line := range strings.SplitSeq(string(raw), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[5] != device {
			continue
		}
		if pid, err = strconv.Atoi(fields[4]); err != nil {
			return 0, 0, false
		}
		uids := trust.StatusField(fmt.Sprintf("/proc/%d/status", pid), "Uid")
		if len(uids) == 0 {
			return 0, 0, false
		}
		uid, err = strconv.Atoi(uids[0])
		return pid, uid, err == nil
	}
	return 0, 0, false
}

// LockDir takes the folder's lock for this process, creating the folder if needed, so that two
// runs never write into one folder. It excludes other processes only: within one process another hold
// of the same folder succeeds (the command line locks a folder, then Train locks it again), so two
// Train calls on one folder at once are the caller's to avoid. The lock is the kernel's (flock) on dir/.ddpm.lock: a process that
// dies, even by SIGKILL, releases it, and the next run takes it over. The file records the holder's
// PID and start time for the error message. Creating it also proves at once that the folder is
// writable, before any long work starts.
func LockDir(dir, what string) (*DirLock, error) { return lockDir(dir, what, false) }

// LockRunDir is LockDir for a run's folder, whose files are read back as the run's own (checkpoints,
// the bound's progress, eval's sample stores, the lock file): everything in it, at any depth, must be
// the user's or root's and writable by no other user (trust.CheckOwnTree), checked before the lock
// file is opened.
func LockRunDir(dir, what string) (*DirLock, error) { return lockDir(dir, what, true) }

func lockDir(dir, what string, run bool) (*DirLock, error) {
	// Opened by the name the caller gave, as every write there will be: the absolute path of a folder
	// named relatively in a deep working folder was refused as too long (eleventh probe).
	path := filepath.Join(dir, LockFileName)
	key, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, dir, err)
	}
	held.Lock()
	defer held.Unlock()
	// Held already by this process (the command line, then Train): checked then, and not walked again.
	if held.count[key] > 0 {
		if run && !held.run[key] {
			if err := checkRunTree(dir, what); err != nil {
				return nil, err
			}
			held.run[key] = true
		}
		held.count[key]++
		return &DirLock{path: path, key: key}, nil
	}
	// A folder whose files are read back as the run's own state (checkpoints, eval's stores) is the
	// user's, and no other user may add to it: another user's folder in /tmp, made before the run, gave
	// train their checkpoint to resume from and eval their samples to score (fifty-sixth probe). Checked
	// on the way before it is made (MakeDir: nothing is made in a folder of theirs) and as it is after.
	if err := MakeDir(dir); err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, dir, err)
	}
	check := checkOwnFolder
	if run {
		check = CheckRunDir
	}
	if err := check(dir, what); err != nil {
		return nil, err
	}
	// Never through a link, and only a regular file: the lock file is written, and a link planted
	// there would have the write land on whatever it points to.
	// Made exclusively where it is new, so that a refusal below removes only a lock file of its own: an
	// empty one was left, with the folder made for it, when a full disk refused the stamp (thirty-first probe).
	created := true
	// Readable by its user alone: flock needs only a read-only open, and another user who could open it
	// held root's runs off (sixty-fourth probe); an earlier run's lock file is made so below.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if errors.Is(err, fs.ErrExist) {
		created = false
		f, err = os.OpenFile(path, os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	}
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s %s: its lock file %s is a symbolic link; remove it", what, dir, path)
	}
	if errors.Is(err, syscall.ENAMETOOLONG) {
		return nil, tooLong(what, dir)
	}
	if errors.Is(err, syscall.EISDIR) { // "not writable" sent users after the folder's permissions (nineteenth probe)
		return nil, fmt.Errorf("%s %s: its lock file %s is a folder; remove it", what, dir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s is not writable: %w", what, dir, err)
	}
	// fail closes the lock file and removes it if this call made it.
	fail := func(err error) (*DirLock, error) {
		f.Close()
		if created {
			os.Remove(path)
		}
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return fail(fmt.Errorf("%s %s: its lock file %s is not a regular file; remove it", what, dir, path))
	}
	// Nor a file mounted over its name: the write landed in the mounted file (twelfth probe).
	if isMountPoint(path) {
		return fail(fmt.Errorf("%s %s: its lock file %s is a mount point (a file mounted over it); unmount it", what, dir, path))
	}
	// Nor a hard link: the write would land in the other names' file too (a planted link to a user's
	// file had it overwritten with the PID, seventh probe).
	if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
		return fail(fmt.Errorf("%s %s: its lock file %s has %d names (a hard link to another file); remove it", what, dir, path, st.Nlink))
	}
	// Nor a file of the user's own under the lock's name: a model given to eval as w/.ddpm.lock, and a
	// requirements file to setup, were overwritten by the lock's record (eightieth probe). An earlier
	// run's lock file holds its record, or nothing.
	if !created && !isLockRecord(f, info.Size()) {
		return fail(fmt.Errorf("%s %s: %s is there and holds no lock record of ddpm's (%d bytes): it may be a file of yours, which the lock would overwrite; move it", what, dir, path, info.Size()))
	}
	// An earlier run's lock file, made readable by others (0644 before the sixty-fourth probe), is made
	// the user's alone: a process that opens it later cannot hold the lock.
	if info.Mode().Perm()&0o077 != 0 {
		f.Chmod(0o600) //nolint:errcheck // another user's lock file is refused by the folder's checks
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) { // another run's, even if this call made the file
			err := inUse(what, dir, path, f)
			f.Close()
			return nil, err
		}
		return fail(fmt.Errorf("%s %s: locking %s: %w", what, dir, path, err))
	}
	// The holder's identity, for the message another process will print.
	stamp := fmt.Sprintf("%d %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	_, err = f.WriteAt([]byte(stamp), 0)
	if err == nil {
		err = f.Truncate(int64(len(stamp)))
	}
	if err == nil {
		// The lock file may be an earlier run's, writable where the folder is not (chmod 555): a
		// temporary file made and removed shows now, not at the first save, that checkpoints can be
		// written there. Its name is as long as the longest the run writes there, so that a path too
		// long for them is refused now too (the lock's shorter name passed, and a run trained to the
		// end lost every step at its first save; eleventh probe).
		var probe *os.File
		if probe, err = createTemp(dir, tempPattern(strings.Repeat("x", longestWrittenName))); err == nil {
			probe.Close()
			err = os.Remove(probe.Name())
		}
	}
	if errors.Is(err, syscall.ENAMETOOLONG) {
		return fail(tooLong(what, dir))
	}
	if err != nil {
		return fail(fmt.Errorf("%s %s is not writable: %w", what, dir, err))
	}
	held.files[key], held.count[key], held.run[key] = f, 1, run
	return &DirLock{path: path, key: key}, nil
}

// lockRecord is what a lock file holds: the holder's PID and the time it took the lock (RFC 3339).
var lockRecord = regexp.MustCompile(`^[0-9]{1,10} [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\n$`)

// isLockRecord says whether the lock file f, of size bytes, is empty or holds a lock record.
func isLockRecord(f *os.File, size int64) bool {
	if size == 0 {
		return true
	}
	if size > 64 {
		return false
	}
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, 0)
	return (err == nil || errors.Is(err, io.EOF)) && lockRecord.Match(buf[:n])
}

// CheckRunDir is LockRunDir's check without the lock, for a run's folder whose files are read before
// it is locked (train reads the newest checkpoint's header before the data, and the lock after; sample
// reads the default folder's newest checkpoint): the folder is one that no other user can add to, and
// everything in it is the user's or root's and writable by no other user.
func CheckRunDir(dir, what string) error {
	if err := checkOwnFolder(dir, what); err != nil {
		return err
	}
	return checkRunTree(dir, what)
}

// checkOwnFolder is LockDir's check of the folder itself (trust.CheckOwnFolder).
func checkOwnFolder(dir, what string) error {
	if err := trust.CheckOwnFolder(dir); err != nil {
		return fmt.Errorf("%s %s: %w: a run's folder is one that no other user can add to (what is there is taken as the run's own); use a folder of your own", what, dir, err)
	}
	return nil
}

// checkRunTree is LockRunDir's check of what the folder holds (trust.CheckOwnTree).
func checkRunTree(dir, what string) error {
	if err := trust.CheckOwnTree(dir); err != nil {
		return fmt.Errorf("%s %s: %w: what is in a run's folder is taken as the run's own; remove it, or make it yours (chown) and writable by you alone (chmod go-w)", what, dir, err)
	}
	return nil
}

// tooLong is LockDir's error for a folder whose path leaves too little room for the names written there.
func tooLong(what, dir string) error {
	return fmt.Errorf("%s %s: its path (%d bytes) leaves too little room for the names of the files written there "+
		"(a path may have %d bytes, and they take up to %d): use a folder with a shorter path", what, dir, len(dir), pathMax-1, longestWrittenName+17)
}

// Check says whether the lock still guards its folder: a folder moved or removed while held no longer
// holds this lock file at its path, and a folder made there again is another run's to take.
func (l *DirLock) Check() error {
	if l == nil || l.path == "" { // a nil lock panicked, and one released named folder "." (thirty-ninth probe's nit)
		return errors.New("the folder's lock is not held (nil, or released by Unlock)")
	}
	held.Lock()
	f := held.files[l.key]
	held.Unlock()
	dir := filepath.Dir(l.path)
	mine, err := f.Stat()
	if err != nil {
		return fmt.Errorf("folder %s: its lock file: %w", dir, err)
	}
	if now, err := os.Lstat(l.path); err != nil || !os.SameFile(mine, now) {
		return fmt.Errorf("folder %s was moved or removed while this run held it (its lock file %s is no longer there): "+
			"what this run saved before is where the folder went; resume from there", dir, l.path)
	}
	return nil
}

// Unlock releases this hold of the lock; the last one closes the file, which releases the flock
// (the file stays, meaningless once unlocked).
func (l *DirLock) Unlock() {
	if l == nil || l.path == "" {
		return
	}
	held.Lock()
	defer held.Unlock()
	if held.count[l.key]--; held.count[l.key] <= 0 {
		held.files[l.key].Close()
		delete(held.files, l.key)
		delete(held.count, l.key)
		delete(held.run, l.key)
	}
	l.path, l.key = "", ""
}
