package trust

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// walker follows a path one name at a time as the kernel does: from / (a relative path from the
// working folder, joined without filepath.Clean, which took "a/l/.." for "a" before the link l was
// followed: the kernel follows l first, and another user's interpreter ran in place of the one checked;
// fortieth probe), each link's target put in the link's place and each ".." taken from the folder
// reached, which holds no link. resolveWay and PerProcess walk with it, each looking at what it meets.
type walker struct {
	path  string   // as given, for messages
	at    string   // the folder reached, resolved
	todo  []string // the names left
	own   int      // how many of todo's names, at its end, are path's own rather than a link's target's
	links int      // links followed so far
}

func newWalker(path string) (*walker, error) {
	abs := path
	if !filepath.IsAbs(path) {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		abs = wd + "/" + path
	}
	todo := names(abs)
	return &walker{path: path, at: "/", todo: todo, own: len(todo)}, nil
}

// next is the next name to look at, joined to the folder reached, its name alone, and whether it comes
// from a link's target; ok is false at the end of the path.
func (w *walker) next() (next, name string, fromLink, ok bool) {
	for len(w.todo) > 0 {
		name, fromLink = w.todo[0], len(w.todo) > w.own
		if !fromLink {
			w.own--
		}
		w.todo = w.todo[1:]
		if name == ".." {
			w.at = filepath.Dir(w.at)
			continue
		}
		return filepath.Join(w.at, name), name, fromLink, true
	}
	return "", "", false, false
}

// follow puts the target of the link at link in its place.
func (w *walker) follow(link string) error {
	if w.links++; w.links > maxLinks {
		return fmt.Errorf("%s: more than %d links on the way", w.path, maxLinks)
	}
	target, err := os.Readlink(link)
	if err != nil {
		return err
	}
	// A process's open pipe or socket (/dev/fd/63 of a shell's <(…)) reads as "pipe:[56045]", which was
	// looked up as a name and refused as missing (seventy-ninth probe's nit).
	if procLike(link) && !filepath.IsAbs(target) && (strings.Contains(target, ":[") || strings.HasPrefix(target, "anon_inode:")) {
		return fmt.Errorf("%s is %s, not a file", w.path, target)
	}
	if filepath.IsAbs(target) {
		w.at = "/"
	}
	w.todo = append(names(target), w.todo...)
	return nil
}

// enter makes next, a folder (or the last name), the one reached.
func (w *walker) enter(next string) { w.at = next }

// last says whether no name is left.
func (w *walker) last() bool { return len(w.todo) == 0 }
