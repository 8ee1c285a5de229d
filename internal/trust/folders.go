package trust

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// ErrUnresolved is wrapped by MakeFolders' error where the way to the folder cannot be resolved (a
// loop of links, a link to nothing, a file where a folder should be, no permission to look): nothing is
// made, by any name, and its caller names what stands in the way.
var ErrUnresolved = errors.New("the way cannot be resolved")

// MakeFolders makes the folder path and the missing folders above it, on a way that WritePath
// accepts, and returns the folders it made, in order, by their resolved names. Each is made by that
// name in a folder checked or made here, and looked at after, never through a link: a link planted
// in a sticky /tmp after the check had root make a run's folders inside a folder of root's that
// another user chose, and remove them by name (fifty-eighth probe). A name that another process made
// meanwhile is taken only as a folder of the user's or root's that no other user may write. Where it
// fails, the folders it made are returned with the error, for the caller to remove.
func MakeFolders(path string) (made []string, err error) {
	if path == "" { // "" would resolve to the working folder; os.MkdirAll said "mkdir : no such file or directory"
		return nil, errors.New(`an empty path ("") names no folder`)
	}
	at, rest, viaLink, err := resolveWay(path, lastWritten)
	var r refusal
	switch {
	case errors.As(err, &r):
		return nil, fmt.Errorf("%w: use a folder of your own", err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w: %w", path, ErrUnresolved, err)
	case viaLink: // a link to what is not there: never made through
		return nil, fmt.Errorf("%s: %w: a link on the way leads to nothing", path, ErrUnresolved)
	}
	checked()
	if len(rest) == 0 { // there already: a folder, or something else in its place
		if info, err := os.Lstat(at); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("%s: %w: not a folder", path, ErrUnresolved)
		}
		return nil, nil
	}
	for i, name := range rest {
		if name == ".." { // after a folder made here, or checked: its parent is the one entered before
			at = filepath.Dir(at)
			continue
		}
		afterUp := i > 0 && rest[i-1] == ".." // in a folder that was there: a link may have been too
		next := filepath.Join(at, name)
		merr := os.Mkdir(next, 0o755)
		if merr != nil && !errors.Is(merr, fs.ErrExist) {
			return made, merr
		}
		info, err := os.Lstat(next)
		switch {
		case err != nil:
			return made, err
		case info.Mode()&fs.ModeSymlink != 0 && afterUp: // the way was checked up to its first name not there
			return made, refusal{fmt.Errorf("%s is a symbolic link reached by \"..\" after a folder not there yet, and folders are made only on a way checked first: name the way without that \"..\"", next)}
		case info.Mode()&fs.ModeSymlink != 0: // not there when the way was checked
			return made, refusal{fmt.Errorf("%s became a symbolic link while its folders were made (another process put it there): use a folder of your own", next)}
		case merr == nil:
			made = append(made, next)
		case !info.IsDir():
			return made, notAFolder(next, info)
		default: // made meanwhile by another process: a folder that no other user may change, or refused
			if err := checkTrusted(next, info, true); err != nil {
				return made, refusal{fmt.Errorf("%w: use a folder of your own", err)}
			}
		}
		at = next
	}
	return made, nil
}

// checked runs between MakeFolders' check of the way and its first folder made: a test plants a link
// there, as another user's race did.
var checked = func() {}

// notAFolder refuses what is at path, whose Lstat is info, unless it is a folder.
func notAFolder(path string, info fs.FileInfo) error {
	if info.IsDir() {
		return nil
	}
	kind := "a file"
	if !info.Mode().IsRegular() {
		kind = safefile.Kind(info.Mode())
	}
	return fmt.Errorf("%s is %s, where a folder is wanted", path, kind)
}

// CheckOwnTree refuses a folder that holds, at any depth, what another user owns or may write, or a
// link that leads where SecurePath refuses or to nothing: what is in a run's folder is read back as the
// run's own, and a checkpoint of another user's in root's own run folder (copied in with cp -a, left 0666
// by a umask of 000, a folder chowned without -R) was resumed, their bound's progress reported, their
// lock file's "in use" believed (sixty-second probe). The folder itself is its caller's to check
// (CheckOwnFolder). What is removed while it is walked (an old checkpoint) is passed over. A folder
// named through a link is walked where the link leads: the walk began at the link, which WalkDir does
// not follow, and looked at nothing in the folder (sixty-third probe).
func CheckOwnTree(dir string) error { return checkOwnTree(dir, map[string]bool{}) }

// CheckOwnFolderAndTree is CheckOwnFolder and, where dir is a folder there, CheckOwnTree: for a folder
// whose files a program reads by names it finds there (pip's find-links wheels and cache, the go
// command's file:// proxy and certificates, OpenSSL's modules, XLA's dump), so that what another user
// may add, own or change inside is refused as the folder itself is (seventy-ninth probe).
func CheckOwnFolderAndTree(dir string) error {
	if err := CheckOwnFolder(dir); err != nil {
		return err
	}
	if info, err := os.Stat(dir); err == nil && info.IsDir() {
		return CheckOwnTree(dir)
	}
	return nil
}

// maxTrees bounds the folders CheckOwnTree enters through links, as maxLinks bounds a path's links.
const maxTrees = 40

// checkOwnTree is CheckOwnTree, seen holding the folders walked already (a link back up is walked once).
func checkOwnTree(dir string, seen map[string]bool) error {
	// Walked where the kernel leads: WalkDir joins the names below the top as text, so that "a/l/../lib"
	// was looked at from the top as "a/lib" and another user's library folder below it was not (the
	// loader searched it; seventy-seventh probe). EvalSymlinks takes each ".." after the links before it.
	root, err := filepath.EvalSymlinks(dir)
	if err != nil || seen[root] {
		return err
	}
	if seen[root] = true; len(seen) > maxTrees {
		return fmt.Errorf("%s: more than %d folders reached through links", dir, maxTrees)
	}
	return filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err == nil {
			var info fs.FileInfo
			if info, err = e.Info(); err == nil {
				err = checkTreeEntry(path, info, seen)
			}
		}
		if errors.Is(err, fs.ErrNotExist) && path != root {
			return nil
		}
		return err
	})
}

// checkTreeEntry is CheckOwnTree's check of path, whose Lstat is info. A link to a folder is followed
// as the loader follows it, and its target must be a folder no other user may add to, walked in turn:
// WalkDir does not follow links, and a link of root's in an $LD_LIBRARY_PATH folder to a sticky folder,
// or to a folder of root's holding another user's, had root load that user's librt (seventy-ninth probe).
func checkTreeEntry(path string, info fs.FileInfo, seen map[string]bool) error {
	if info.Mode()&fs.ModeSymlink == 0 {
		return checkTrusted(path, info, false)
	}
	if err := checkOwner(path, info); err != nil {
		return err
	}
	to, _ := os.Readlink(path)
	// Nor through /proc or /dev/fd, which each process follows to its own file: setup's Python, run from
	// /, loaded through root's link to /proc/self/cwd/… another user's libz (eightieth probe).
	if PerProcess(path) {
		return fmt.Errorf("%s is a symbolic link to %s, through /proc or /dev/fd, where each process reaches another file", path, to)
	}
	target, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s is a symbolic link to %s, which is missing, and another user could make it", path, to)
	}
	real, err := SecurePath(path, !target.IsDir())
	if err == nil && target.IsDir() {
		if err = checkTrusted(real, target, false); err == nil {
			err = checkOwnTree(real, seen)
		}
	}
	if err != nil {
		return fmt.Errorf("%s is a symbolic link to %s: %w", path, to, err)
	}
	return nil
}

// IsRefusal says whether err refuses a way that another user could change, as against a way that is
// the user's but wrong.
func IsRefusal(err error) bool {
	var r refusal
	return errors.As(err, &r)
}
