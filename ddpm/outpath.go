package ddpm

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/learn-ddpm/ddpm-go/internal/inflight"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// What the tool writes and what it refuses to write over. Every file it writes goes through
// WriteFileAtomic, which writes only regular files:
//   - an existing regular file is replaced whole (a temporary file renamed over it);
//   - a symbolic link is followed: the regular file it points to is replaced and the link kept; a link
//     to nothing, to something other than a regular file, or to a file of another extension is refused;
//   - a device, FIFO, socket or folder is refused by name, never opened;
//   - nothing is written by a way that another user could steer: through a link of theirs, or into a
//     folder they own or may write (not sticky), on the way or at its end;
//   - the temporary file's name stays within the file system's 255-byte limit for any legal name.
// CheckOutput says the same before any work, and also refuses an empty path and an output that is
// one of the command's own inputs (as the same file, whatever its name).

// nameMax is the longest file name (in bytes) of the usual Linux and macOS file systems.
const nameMax = 255

// OutputTarget returns the file that writing path replaces: path itself, or the regular file a
// symbolic link at path points to, when it is a file of the same kind (by its extension, in any case);
// an error for anything else. A link to a file of another kind is refused: it was followed, and
// `sample --out pic.png` or eval's `eval.json` linked to a checkpoint replaced the model (tenth and
// eleventh probes). Nor is a path written that another user could steer (safeWayTo).
func OutputTarget(path string) (string, error) {
	if path == "" {
		return "", errors.New("the output path is empty")
	}
	original := path
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := safeWayTo(path); err != nil {
			return "", err
		}
		return path, nil
	}
	if err != nil {
		return "", err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return "", fmt.Errorf("a symbolic link to a missing or unreadable file (%w)", err)
		}
		if info, err = os.Stat(target); err != nil {
			return "", err
		}
		if info.Mode().IsRegular() && !strings.EqualFold(filepath.Ext(target), filepath.Ext(path)) {
			return "", fmt.Errorf("a link to %s, a file of another kind, which the write would replace: choose another name", target)
		}
		path = target
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s is %s, not a regular file: only regular files are written", path, safefile.Kind(info.Mode()))
	}
	if err := safeWayTo(original); err != nil {
		return "", err
	}
	return path, nil
}

// safeWayTo refuses a path to be written that another user could steer (trust.WritePath): a link of
// theirs on the way, or a folder they own or may write, not sticky.
func safeWayTo(path string) error {
	if _, err := trust.WritePath(path); err != nil {
		return wayRefused("it", err)
	}
	return nil
}

// wayRefused says why the way to what cannot be written through: a path too long for the system to
// follow, or a way another user could steer. A working folder whose absolute path passes Linux's
// 4 095 bytes was called "not safe", with the 4 KB path in the message (ninety-sixth probe).
func wayRefused(what string, err error) error {
	if errors.Is(err, syscall.ENAMETOOLONG) {
		long := ""
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			long = fmt.Sprintf(" (%d bytes from /)", len(pe.Path))
		}
		return fmt.Errorf("the way to %s is too long for the system to follow%s: a path from / past 4 095 bytes, or a name in it past 255, cannot be checked or written; write from a folder nearer /", what, long)
	}
	return fmt.Errorf("the way to %s is not safe to write through: %w; write into a folder of your own", what, err)
}

// outputChecked runs between the check of an output (a write's, or CheckOutput's) and the opening of its
// folder: a test swaps a name there, as another user's race did.
var outputChecked = func() {}

// openWriteFolder opens the folder dir that a write lands in, once its way resolves, every name of it
// there and checked (trust.SecurePath), to the folder opened; the write's every later step (its
// temporary file, the rename, the look after) goes through the open folder, never by name: by name, a
// folder missing at the check, then another user's link to a private folder of root's, had the output
// made in that folder (sixtieth probe). A way with a name missing is refused, not taken as the writer's
// to make: the sixty-first probe had the link missing at the check and back at the look that compared.
func openWriteFolder(dir string) (*os.File, error) {
	folder, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	opened, err := folder.Stat()
	if err == nil && !opened.IsDir() {
		err = fmt.Errorf("%s is no folder", dir)
	}
	if err == nil {
		var resolved string
		if resolved, err = trust.SecurePath(dir, false); err != nil {
			err = wayRefused("its folder "+dir, err)
		} else if now, serr := os.Stat(resolved); serr != nil || !os.SameFile(now, opened) {
			err = fmt.Errorf("its folder %s was replaced while it was opened (by another process): write into a folder of your own", dir)
		}
	}
	if err != nil {
		folder.Close()
		return nil, err
	}
	return folder, nil
}

// createTempAt makes a new file, of a name from pattern (its "*" a random number, as os.CreateTemp
// makes it), in the open folder, whose name is dir; it returns the file, named in dir, and its name.
// The file is registered with inflight as it is made, for a signal's handler to remove; the caller says
// inflight.Done once it is renamed or removed.
func createTempAt(folder *os.File, dir, pattern string) (*os.File, string, error) {
	prefix, suffix, _ := strings.Cut(pattern, "*")
	for range 10000 {
		name := prefix + strconv.FormatUint(uint64(rand.Uint32()), 10) + suffix
		var fd int
		_, err := inflight.Make(func() (string, error) {
			var err error
			fd, err = syscall.Openat(int(folder.Fd()), name, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
			return filepath.Join(dir, name), err
		})
		if errors.Is(err, syscall.EEXIST) {
			continue
		}
		if err != nil {
			return nil, "", &fs.PathError{Op: "open", Path: filepath.Join(dir, name), Err: err}
		}
		return os.NewFile(uintptr(fd), filepath.Join(dir, name)), name, nil
	}
	return nil, "", fmt.Errorf("no new temporary name for %s in %s", pattern, dir)
}

// oPath is Linux's O_PATH: a descriptor of the name alone, opened whatever its mode (a file of mode
// 000, under a umask of 777, cannot be opened for reading by its owner).
const oPath = 0x200000

// sameFileAt says whether the name base in the open folder of descriptor dirfd is, without following a
// link, the file of info.
func sameFileAt(dirfd int, base string, info fs.FileInfo) bool {
	now, err := lstatAt(dirfd, base)
	return err == nil && os.SameFile(now, info)
}

// lstatAt describes the name base in the folder dirfd, a link as itself, whatever its mode.
func lstatAt(dirfd int, base string) (fs.FileInfo, error) {
	fd, err := syscall.Openat(dirfd, base, oPath|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	return f.Stat()
}

// errWorkingDirGone is said of a relative path in a working directory that was removed: "its folder .
// does not exist" said nothing (twenty-seventh probe's nit).
var errWorkingDirGone = errors.New("the working directory no longer exists (removed since the command started in it): cd to a folder that does")

// CheckOutput returns an error naming what (a flag, e.g. "--out") and path unless path can be written
// by WriteFileAtomic and is none of inputs (compared as files: the same file under another name or
// through a link is caught). Inputs that do not exist are ignored.
func CheckOutput(what, path string, inputs ...string) error {
	target, err := OutputTarget(path)
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, path, err)
	}
	// A temporary file made and removed where the output will go shows, before any work, that the
	// folder exists and can be written (not /proc, /sys, a read-only or missing folder). Made and removed
	// through the folder opened and checked, as the write will be: by name, another user's link in its
	// place had the probe made in a private folder of root's, and left there (sixty-first probe).
	outputChecked()
	probeDir := ParentDir(target)
	folder, err := openWriteFolder(probeDir)
	if err == nil {
		var probe *os.File
		var name string
		if probe, name, err = createTempAt(folder, probeDir, tempPattern(filepath.Base(target))); err == nil {
			probe.Close()
			// A folder where files can be made but not removed nor renamed over (chattr +a) failed at the
			// final rename, after all the work, and kept a probe per run (twelfth probe).
			rerr := inflight.Finish(probe.Name(), func() error { return syscall.Unlinkat(int(folder.Fd()), name) })
			if rerr != nil {
				inflight.Done(probe.Name())
				folder.Close()
				return fmt.Errorf("%s %q: its folder lets files be made but not removed or replaced (append-only?): %w", what, path,
					&fs.PathError{Op: "remove", Path: probe.Name(), Err: rerr})
			}
		}
		folder.Close()
	}
	if errors.Is(err, fs.ErrNotExist) { // the probe's name said nothing to the user (twenty-fifth probe)
		dir := ParentDir(target)
		if _, werr := os.Getwd(); dir == "." && werr != nil { // "its folder . does not exist" (twenty-seventh probe's nit)
			return fmt.Errorf("%s %q: %w", what, path, errWorkingDirGone)
		}
		if fsys, ok := trust.OnKernelFS(dir); ok { // /proc: "make it first", of a folder none can make (thirty-second and -fourth probes)
			return fmt.Errorf("%s %q: files cannot be made in %s, a file system of the kernel's (%s): choose another folder", what, path, dir, fsys)
		}
		return fmt.Errorf("%s %q: its folder %s does not exist: make it first", what, path, ParentDir(target))
	}
	if err != nil {
		return fmt.Errorf("%s %q: its folder cannot be written: %w", what, path, err)
	}
	out, err := os.Stat(target)
	if err != nil {
		return nil // a new file: it cannot be an input
	}
	if err := checkReplaceable(target); err != nil {
		return fmt.Errorf("%s %q: %w", what, path, err)
	}
	for _, in := range inputs {
		if info, err := os.Stat(in); err == nil && os.SameFile(info, out) {
			return fmt.Errorf("%s %q is the input %s: writing it would destroy what it is made from; choose another file", what, path, in)
		}
	}
	// In a sticky folder (/tmp) only the owner of a file, or of the folder, may rename over it: another
	// user's file there failed only at the final rename, after all the work (eighth probe).
	if dir, err := os.Stat(ParentDir(target)); err == nil && dir.Mode()&os.ModeSticky != 0 {
		uid := uint32(geteuid())
		fileSt, ok1 := out.Sys().(*syscall.Stat_t)
		dirSt, ok2 := dir.Sys().(*syscall.Stat_t)
		if ok1 && ok2 && uid != 0 && fileSt.Uid != uid && dirSt.Uid != uid {
			return fmt.Errorf("%s %q belongs to another user (uid %d) in a sticky folder, where it cannot be replaced: remove it, or choose another name",
				what, path, fileSt.Uid)
		}
	}
	return nil
}

// CheckOwnOutput is CheckOutput for a file that the command names itself in a folder it was given
// (eval's report, tables, figures and progress; train's sample grids): such a file is never written
// through a symbolic link, which only someone else put there. A link planted as eval.json replaced the
// bound's progress, one as a grid or fid-samples.png one of the command's own input images (twelfth
// probe); a link that the user names as an output is followed, by OutputTarget's rules.
func CheckOwnOutput(what, path string, inputs ...string) error {
	if err := notALink(path); err != nil {
		return fmt.Errorf("%s %q: %w", what, path, err)
	}
	return CheckOutput(what, path, inputs...)
}

// GridFolder makes (if needed) and returns ckptDir/samples, where training writes its sample grids.
// It is the run's own folder: a symbolic link or a mount point there (or anything but a folder) is
// refused by name, as one planted in its place had the grids written over another run's (thirteenth
// probe).
func GridFolder(ckptDir string) (string, error) {
	if ckptDir == "" { // "" made ./samples in the working directory (forty-eighth sweep)
		return "", fmt.Errorf("the sample grids' folder: no checkpoint folder given")
	}
	dir := filepath.Join(ckptDir, "samples")
	if err := notALink(dir); err != nil {
		return "", fmt.Errorf("the sample grids' folder %s: %w", dir, err)
	}
	// Nor another folder mounted there: another run's grids were overwritten through a bind mount
	// (twenty-eighth probe).
	if isMountPoint(dir) {
		return "", fmt.Errorf("the sample grids' folder %s is a mount point (another folder mounted there): unmount it", dir)
	}
	if err := MakeDir(dir); err != nil {
		return "", fmt.Errorf("the sample grids' folder %s: %w", dir, err)
	}
	return dir, nil
}

// MakeDir is os.MkdirAll(dir, 0o755) that makes nothing on a way another user could steer, and names
// a symbolic link in the way: MakeFolders, less the undo.
func MakeDir(dir string) error {
	_, _, err := MakeFolders(dir)
	return err
}

// MakeFolders makes the folder dir and the missing folders above it (mode 0755, less the umask), and
// returns a function that removes the folders that this call made, deepest first, while they are
// empty and their names still lead to them, and whether it made dir itself. A folder that another
// process made at the same time is never removed: one was, from under the eval that had made it
// (twenty-second probe); nor is one reached through a link swapped in since (fifty-seventh probe). On
// an error, what it made is removed at once.
//
// Nothing is made on a way that another user could steer (trust.MakeFolders): a run's folder made in a
// folder of theirs was theirs to fill or swap (fifty-sixth probe), and a link they planted after the
// check was followed (fifty-eighth). A link to nothing, or to a file, at dir or above it is named: it
// said only "file exists" (seventeenth probe); dir is read as given, so that a link followed by ".."
// is found too (eighteenth probe).
func MakeFolders(dir string) (undo func(), made bool, err error) {
	names, err := trust.MakeFolders(dir)
	wayChecked()
	type folder struct {
		path string
		info os.FileInfo
	}
	var mine []folder
	for _, name := range names {
		if info, err := os.Lstat(name); err == nil && info.IsDir() {
			mine = append(mine, folder{name, info})
		}
	}
	undo = func() {
		for i := len(mine) - 1; i >= 0; i-- {
			now, err := os.Lstat(mine[i].path)
			if err != nil || !os.SameFile(now, mine[i].info) || syscall.Rmdir(mine[i].path) != nil {
				return
			}
		}
	}
	// A way that cannot be resolved is not made by name either: between the look that found another
	// user's file on it and a MkdirAll, they swapped the file for a link, and root made a folder in a
	// private folder of root's that they chose (fifty-ninth probe). explainMakeDir names what is wrong.
	if err != nil {
		undo()
		return func() {}, false, explainMakeDir(dir, err)
	}
	if len(mine) > 0 {
		last, serr := os.Stat(dir)
		made = serr == nil && os.SameFile(last, mine[len(mine)-1].info)
	}
	return undo, made, nil
}

// wayChecked runs once trust.MakeFolders has looked at the way: a test swaps a name there, as another
// user's race did.
var wayChecked = func() {}

// explainMakeDir names what stands in the way of making dir where err, a mkdir's, says only "file
// exists", "not a directory" or "no such file or directory".
func explainMakeDir(dir string, err error) error {
	if trust.IsRefusal(err) {
		return err // trust's own words
	}
	parts := strings.Split(dir, string(filepath.Separator))
	for i := range parts {
		p := strings.Join(parts[:i+1], string(filepath.Separator))
		target, lerr := os.Readlink(p)
		if p == "" {
			continue
		}
		if lerr != nil {
			// Not a link: in the way if it is anything but a folder ("mkdir x: not a directory" was all;
			// twentieth probe).
			if info, err := os.Lstat(p); err == nil && !info.IsDir() {
				kind := "a file"
				if !info.Mode().IsRegular() {
					kind = safefile.Kind(info.Mode())
				}
				return fmt.Errorf("%s is %s, where a folder is wanted", p, kind)
			}
			continue
		}
		switch info, serr := os.Stat(p); {
		case errors.Is(serr, syscall.ELOOP):
			return fmt.Errorf("%s is a symbolic link to %s, which leads back to itself through links: remove it", p, target)
		case serr != nil:
			return fmt.Errorf("%s is a symbolic link to %s, which does not exist: make that folder, or remove the link", p, target)
		case !info.IsDir():
			return fmt.Errorf("%s is a symbolic link to %s, which is not a folder", p, target)
		}
	}
	// mkdir in /proc says "no such file or directory" of a folder that exists (thirty-third probe).
	if errors.Is(err, fs.ErrNotExist) {
		if _, werr := os.Getwd(); werr != nil && !filepath.IsAbs(dir) {
			return errWorkingDirGone
		}
		var perr *fs.PathError
		if errors.As(err, &perr) {
			if fsys, ok := trust.OnKernelFS(filepath.Dir(perr.Path)); ok {
				return fmt.Errorf("folders cannot be made in %s, a file system of the kernel's (%s): choose another folder", filepath.Dir(perr.Path), fsys)
			}
		}
	}
	return err
}

// notALink refuses a symbolic link at path.
func notALink(path string) error {
	if info, err := os.Lstat(path); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		return errors.New("a symbolic link, where the command writes what it names itself: remove it")
	}
	return nil
}

// groupOrOthersWrite are the permission bits that no file the tool writes has (newFileMode says why).
const groupOrOthersWrite fs.FileMode = 0o022

// newFileMode is the mode of a new file: 0666 less the process's umask, as os.Create gives it (the
// temporary file is made 0600, and a fixed 0644 ignored a umask of 077: private outputs came out
// world-readable; eighth probe), and never writable by the group or others: a run's files are read back
// as its own, and under a umask of 000 another user rewrote a checkpoint of 0666 that train then resumed
// (fifty-ninth probe). The umask is read from /proc (Linux 4.7 and later), else taken as 022.
func newFileMode() fs.FileMode {
	umask := uint64(0o022)
	if v := trust.StatusField("/proc/self/status", "Umask"); len(v) == 1 {
		if u, err := strconv.ParseUint(v[0], 8, 32); err == nil {
			umask = u
		}
	}
	return fs.FileMode(0o666&^umask) &^ groupOrOthersWrite
}

// geteuid is os.Geteuid; a test acts out another user.
var geteuid = os.Geteuid

// ParentDir is the folder that holds path as the kernel resolves it: path up to its last separator,
// not cleaned. filepath.Dir cleans "link/../x" to "x"'s folder here, where the kernel follows link
// first and lands in link's target's parent (twelfth probe: a check and a write in two folders).
func ParentDir(path string) string {
	i := strings.LastIndex(path, string(filepath.Separator))
	switch {
	case i < 0:
		return "."
	case i == 0:
		return string(filepath.Separator)
	}
	return path[:i]
}

// tempPattern is the pattern of WriteFileAtomic's temporary file for a file named base:
// ".<base>.tmp-*", with base shortened (and a hash of it added) where the whole would pass nameMax.
func tempPattern(base string) string {
	const room = nameMax - len("..tmp-") - 10 - 17 // os.CreateTemp's random part; the hash
	if len(base) <= room {
		return "." + base + ".tmp-*"
	}
	cut := room
	for cut > 0 && !utf8.RuneStart(base[cut]) {
		cut--
	}
	sum := sha256.Sum256([]byte(base))
	return "." + base[:cut] + "-" + hex.EncodeToString(sum[:8]) + ".tmp-*"
}
