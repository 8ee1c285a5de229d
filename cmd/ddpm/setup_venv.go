package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// venvJob says what a virtual environment is made for (makeVenv): the plugin's in the user's cache, or
// a clone's .venv (setupVenv).
type venvJob struct {
	say           string   // the prefix of its progress lines ("plugin: ")
	again         string   // the command to run again after a failure
	why           string   // why a venv already there is removed
	killLeftovers bool     // kill this user's processes still running the old venv's interpreter, or refuse where they run
	tmpPrefix     string   // the name of its temporary folder beside the venv (a killed setup's is removed)
	roomElsewhere string   // how to make it on another file system, where this one is full ("" for none)
	requirements  string   // what pip installs: the lines of a requirements file, written into the venv for pip
	source        string   // where those lines came from, line for line, named in pip's messages for the venv's copy
	pipArgs       []string // pip install's options besides
	what          string   // what pip installs, for messages
	announce      string   // said before pip runs (one line)
	keepOld       bool     // keep the venv there aside until the new one is finished, and put it back where that fails
	knownSize     bool     // it installs the plugin alone, whose size spaceHint knows: refused before any work where it cannot fit
	handOver      func()   // called once makeVenv's own signal handler is set: lets go of the caller's (nil: none)
}

// unremovable is a folder of dir's tree (dir included) that this user cannot change, which removing or
// moving dir needs, or "".
func unremovable(dir string) string {
	at := ""
	filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error { //nolint:errcheck // what cannot be walked is not removed either
		if err == nil && e.IsDir() && !writableFolder(path) {
			at = path
			return filepath.SkipAll
		}
		return nil
	})
	return at
}

// writableFolder says whether this user may add and remove names in the folder path (tests replace it:
// as root, only a read-only file system says no).
var writableFolder = func(path string) bool { return syscall.Access(path, 0o3) == nil } // W_OK|X_OK

// venvNames are the names a virtual environment holds at its top: Python's venv's, virtualenv's and
// uv's (CACHEDIR.TAG: a uv venv was refused; eighty-fifth probe's nit), pip's (local: Debian's scheme;
// etc, share, man: what packages install there), setup's own, and make setup's (npm, the requirements'
// digest).
var venvNames = []string{"bin", "include", "lib", "lib64", "local", "etc", "share", "man", "pyvenv.cfg", ".gitignore", "CACHEDIR.TAG", "pip-selfcheck.json",
	"ddpm-requirements.txt", unfinishedMark, "npm", ".requirements.sha256"}

// notOfAVenv are the names at venv's top that no maker of a venv puts there, quoted, at most five.
func notOfAVenv(venv string) []string {
	entries, _ := os.ReadDir(venv)
	var others []string
	for _, e := range entries {
		if !slices.Contains(venvNames, e.Name()) && len(others) < 5 {
			others = append(others, strconv.Quote(e.Name()))
		}
	}
	return others
}

// checkRemovable refuses, before any work, a folder that setup will remove (dir, said as dir and what)
// where removing it would reach what is mounted inside (its files went with the venv; sixty-ninth
// probe), or where setup cannot move or remove it (a venv of root's, after sudo make setup, was remade
// whole, then its removal failed and the new one was thrown away, on every run; eightieth probe).
func checkRemovable(dir, what, again string) error {
	if mounts := trust.MountsBelow(dir); len(mounts) > 0 {
		return fmt.Errorf("%s%s is or holds a mount point (%s), whose files removing it would remove: unmount it, and run `%s` again", dir, what, mounts[0], again)
	}
	if at := unremovable(dir); at != "" {
		return fmt.Errorf("%s%s cannot be moved or removed by you (%s is not writable by you: root's, after a sudo?): remove it as its owner, and run `%s` again", dir, what, at, again)
	}
	return nil
}

// unfinishedMark is a file in a venv that setup is making, removed once it is finished: a venv
// beside a kept one is removed as a stopped setup's only where it holds it.
const unfinishedMark = ".ddpm-unfinished"

// venvSpaceHint is spaceHint for a job whose size is known (the plugin's), "" for others, whose size
// is not (a venv of one small package was told of the plugin's 400 MB; eighty-first probe's nit).
func venvSpaceHint(job venvJob, dir string) string {
	if !job.knownSize {
		return ""
	}
	return spaceHint(dir)
}

// isUnfinished says whether venv holds setup's mark of a venv it has not finished, as setup writes it:
// an empty file (a folder of the user's of that name had their folder removed as unfinished;
// eighty-fourth probe).
func isUnfinished(venv string) bool {
	info, err := os.Lstat(filepath.Join(venv, unfinishedMark))
	return err == nil && info.Mode().IsRegular() && info.Size() == 0
}

// removeAside removes dir after moving it under a temporary name of the job's (prefix) in its folder,
// which a later setup removes whatever is left of: removed in place, a killed setup left half a venv
// without its pyvenv.cfg, which the next refused as no venv (eighty-second probe). What cannot be
// removed is named (a file made immutable; root may write every folder).
func removeAside(dir, prefix, say string) error {
	// Never into what is mounted there: its files went with it (sixty-ninth and eighty-third probes).
	if mounts := trust.MountsBelow(dir); len(mounts) > 0 {
		printf("%s%s is not removed: it is or holds a mount point (%s), whose files would go with it\n", say, dir, mounts[0])
		return fmt.Errorf("%s is or holds a mount point (%s), whose files removing it would remove: unmount it", dir, mounts[0])
	}
	trash, err := os.MkdirTemp(filepath.Dir(dir), prefix)
	if err != nil {
		return err
	}
	if err := os.Rename(dir, filepath.Join(trash, "old")); err != nil {
		os.Remove(trash)
		return err
	}
	if err := os.RemoveAll(trash); err != nil {
		printf("%swhat was %s is left in %s, which setup could not remove (%v): remove it yourself\n", say, dir, trash, err)
	}
	return nil
}

// beforeVenvRemoval runs as makeVenv begins to remove or move what is there: tests stop setup there.
var beforeVenvRemoval = func() {}

// keptSuffix names the venv kept aside (venvJob.keepOld) while its successor is made: beside it, so
// that a rename moves it, and outside the job's temporary names, which a later setup removes.
const keptSuffix = ".ddpm-kept"

// makeVenv makes the virtual environment venv with the interpreter exe (named python on the command
// line), with pip, and pip-installs the job's requirements into it; finish then checks and stamps what
// was installed. A venv already there is never built upon: it is removed first, or, for a job that
// keeps it (keepOld), moved aside and removed once the new one is finished. The new one is removed
// where any step fails, finish included, or a signal stops it, and a venv kept aside is put back: a
// requirement that pip refused, or a network that failed, removed the working venv (seventy-fourth
// probe).
func makeVenv(venv, exe, python string, job venvJob, finish func(before map[string]string) error) error {
	// Python's venv writes the path into pyvenv.cfg, where a line break in it starts a setting of its own
	// (include-system-site-packages = true; eighty-third probe).
	if strings.ContainsFunc(venv, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%q holds a control character (a line break?), which Python's venv writes into its pyvenv.cfg, where it starts a setting of its own: name a folder without one", venv)
	}
	kept, keptName := "", venv+keptSuffix // kept: the venv there before, once kept aside
	_, err := os.Lstat(venv)
	keptInfo, keptErr := os.Lstat(keptName)
	if job.keepOld && keptErr == nil {
		// Only a folder of a venv is put back: a file or a link there is no venv that setup kept aside.
		if _, cfgErr := os.Lstat(filepath.Join(keptName, "pyvenv.cfg")); !keptInfo.IsDir() || cfgErr != nil {
			return fmt.Errorf("%s is there, and is no virtual environment that setup kept aside (its name is setup's for one): remove or rename it, and run `%s` again",
				keptName, job.again)
		}
		// It is removed once the new venv is made, as the venv is: held to the same rules first (a mount
		// inside it lost its files, a process running it lost its interpreter; eighty-third probe).
		if err := checkRemovable(keptName, ", a venv setup kept aside and removes once the new one is made,", job.again); err != nil {
			return err
		}
		if others := notOfAVenv(keptName); len(others) > 0 {
			return fmt.Errorf("%s, a venv setup kept aside and removes once the new one is made, holds %s besides a virtual environment: move them out, and run `%s` again", keptName, strings.Join(others, ", "), job.again)
		}
		if pids := venvProcesses(keptName); len(pids) > 0 {
			return fmt.Errorf("processes %v run %s's interpreter, a venv setup kept aside and removes once the new one is made: end them, and run `%s` again", pids, keptName, job.again)
		}
	}
	// Signals are only noted from here until the venv is finished or the one before is put back: under
	// their default action, a second Ctrl-C in a removal killed setup half-way, leaving the old venv
	// under its kept name and half of the new one in its place, which the next setup refused
	// (seventy-ninth probe). The makers below run in a process group of their own, killed whole on a
	// signal or a time limit: a stopped setup left python, ensurepip and pip writing 276 MB into the
	// cache after it exited (twenty-sixth probe).
	stopped, stopCtx, release := cancelOnSignal()
	defer release() // after the deferred clean-up below
	if job.handOver != nil {
		job.handOver()
	}
	// What is removed on a failure, and what is put back: "the unfinished v is removed" after "put back
	// at v" read as the user's venv gone (ninety-first probe's nit).
	removed := func() string {
		if kept != "" {
			return fmt.Sprintf("the unfinished venv made at %s is removed, and the one there before put back", venv)
		}
		return fmt.Sprintf("the unfinished %s is removed", venv)
	}
	stoppedErr := func() error {
		sig, _ := stopped().(syscall.Signal)
		return &exitStatus{code: 128 + int(sig), err: fmt.Errorf("stopped by a signal (%v): %s; run `%s` again",
			stopped(), removed(), job.again)}
	}
	beforeVenvRemoval()
	switch {
	case err == nil:
		if err := checkRemovable(venv, "", job.again); err != nil {
			return err
		}
		if err := leftoversOf(venv, job); err != nil {
			return err
		}
		switch {
		case job.keepOld && keptErr == nil:
			// A setup stopped before it finished (killed) left its unfinished venv and the one before; a
			// venv there without setup's mark is another, made since (the user's, which was removed, and
			// the months-old one put in its place; eightieth probe).
			if !isUnfinished(venv) {
				return fmt.Errorf("%s and %s are both there, and %s is not the venv a stopped setup left unfinished (it may be one made since): "+
					"remove the one you do not want, and run `%s` again", venv, keptName, venv, job.again)
			}
			kept = keptName
			printf("%sremoving %s, an unfinished setup's (the venv before it is kept at %s)\n", job.say, venv, kept)
			if err := removeAside(venv, job.tmpPrefix, job.say); err != nil {
				return fmt.Errorf("removing %s: %w", venv, err)
			}
		case job.keepOld && isUnfinished(venv):
			// A killed setup's, with no venv kept beside it: removed as unfinished, not kept aside and
			// "put back" as the venv there before (eighty-first probe's nit).
			printf("%sremoving %s, an unfinished setup's\n", job.say, venv)
			if err := removeAside(venv, job.tmpPrefix, job.say); err != nil {
				return fmt.Errorf("removing %s: %w", venv, err)
			}
		case job.keepOld:
			kept = keptName
			printf("%skeeping %s aside as %s until the new one is made: %s\n", job.say, venv, kept, job.why)
			if err := os.Rename(venv, kept); err != nil {
				return fmt.Errorf("keeping %s aside: %w", venv, err)
			}
		default:
			printf("%sremoving %s: %s\n", job.say, venv, job.why)
			if err := removeAside(venv, job.tmpPrefix, job.say); err != nil {
				return fmt.Errorf("removing %s: %w", venv, err)
			}
		}
	case job.keepOld && keptErr == nil:
		kept = keptName // a killed setup's, which got no further than keeping it aside
		printf("%s%s is a venv an earlier setup kept aside: it is put back if this one fails, and removed once this one is made\n", job.say, kept)
	}
	finished := false
	defer func() {
		if !finished {
			if _, err := os.Lstat(venv); err == nil {
				removeAside(venv, job.tmpPrefix, job.say) //nolint:errcheck // what is left is in a temporary name, which the next setup removes
			}
			if kept != "" && os.Rename(kept, venv) == nil {
				printf("%sthe venv there before is put back at %s\n", job.say, venv)
			}
		}
	}()
	// A full file system is named now, not as a failure inside ensurepip or pip (a full disk was blamed
	// on a missing Debian package, seventh probe).
	// The plugin's job alone, whose size is known: a venv of a few small packages was refused on a file
	// system of 100 MB free (eightieth probe's nit); a full one fails in pip, and is named there.
	if hint := venvSpaceHint(job, filepath.Dir(venv)); hint != "" {
		return fmt.Errorf("%s; free some space%s, and run `%s` again", hint, job.roomElsewhere, job.again)
	}
	if stopped() != nil { // in a removal above: the venv before is put back
		return stoppedErr()
	}
	// The children's temporary files in a folder of setup's own (childEnv), removed with the venv's
	// makers; one that a killed setup left is removed now.
	// By name in the venv's own folder: a glob took "[", "*" and "?" in its path as patterns, and removed
	// another folder's temporaries (seventieth probe).
	// Only os.MkdirTemp's names, the prefix and digits: every name of the prefix went, a user's
	// requirements file in a folder so named with it (seventy-ninth probe).
	entries, _ := os.ReadDir(filepath.Dir(venv))
	for _, e := range entries {
		if isJobTemporary(e.Name(), job.tmpPrefix) {
			removeAside(filepath.Join(filepath.Dir(venv), e.Name()), job.tmpPrefix, job.say) //nolint:errcheck // one holding a mount is left, and named (eighty-third probe)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Dir(venv), job.tmpPrefix)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	env := childEnv(tmp)
	// Marked unfinished before Python's venv writes into it: killed while venv ran, setup left a venv
	// without its mark, which the next refused, or kept aside and put back as the one before (eighty-second probe).
	// Made with its mark under a temporary name, then put in place: a kill between the folder and its
	// mark left an empty folder that the next setup refused (eighty-third probe).
	marked, err := os.MkdirTemp(filepath.Dir(venv), job.tmpPrefix)
	if err != nil {
		return err
	}
	if err := os.Chmod(marked, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(marked, unfinishedMark), nil, 0o644); err != nil { // until finished
		return err
	}
	if err := os.Rename(marked, venv); err != nil {
		return err
	}
	printf("%smaking the virtual environment %s with %s\n", job.say, venv, exe)
	ctx, cancel := context.WithTimeout(stopCtx, venvTimeout)
	defer cancel()
	// Without site (-S): the .pth files and sitecustomize of the interpreter's site-packages, another
	// user's in a group-writable /usr/local (Debian's staff), ran as the user (thirty-eighth probe).
	// Without pip: venv runs ensurepip without -I (gh-98251), which runs below, isolated.
	// step runs one of the venv's makers, its failure said as what (the command, for the message).
	step := func(what string, env []string, name string, args ...string) error {
		cmd := groupCommand(ctx, name, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		switch {
		case err == nil:
			return nil
		case stopped() != nil:
			return stoppedErr()
		case ctx.Err() != nil:
			err = fmt.Errorf("no answer in %s", venvTimeout)
		}
		return withOutput{fmt.Errorf("`%s` failed (%v):\n%s%s", what, err, lastLines(out, 20), venvHint(out, filepath.Dir(venv), job))}
	}
	if err := step(fmt.Sprintf("%s -m venv %s", exe, venv), env, exe, "-I", "-S", "-m", "venv", "--without-pip", venv); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(venv, "bin", "python")); err != nil {
		return fmt.Errorf("`%s -m venv %s` made no interpreter %s: is --python %s a Python 3?", exe, venv,
			filepath.Join(venv, "bin", "python"), shellQuote(python))
	}
	// Nothing of the venv's is run before it is seen to be the user's alone.
	if _, err := ddpm.CheckSecureFile(filepath.Join(venv, "bin", "python")); err != nil {
		return fmt.Errorf("the virtual environment %s is not run: %w (%s)", venv, err, removed())
	}
	// The venv's interpreter, ensurepip and pip need no program of $PATH, and pip runs what it finds
	// there: lsb_release, on Ubuntu a script of the system's Python, which runs the .pth files of
	// another Python's /usr/local (Debian's staff-writable site folder; forty-fifth probe), and rustc.
	// They get an empty folder of setup's own as $PATH.
	nothing := filepath.Join(tmp, "path")
	if err := os.Mkdir(nothing, 0o700); err != nil {
		return err
	}
	env = withPath(env, nothing)
	if err := step(fmt.Sprintf("%s -m ensurepip", filepath.Join(venv, "bin", "python")), env, filepath.Join(venv, "bin", "python"), "-I", "-m", "ensurepip", "--default-pip"); err != nil {
		return err
	}
	before := distInfos(venv)                                    // what ensurepip installed, which pip did not
	requirements := filepath.Join(venv, "ddpm-requirements.txt") // what was checked, whatever becomes of the file it came from
	if err := os.WriteFile(requirements, []byte(job.requirements), 0o644); err != nil {
		return err
	}
	printf("%s\n", job.announce)
	var out bytes.Buffer
	pipCtx, cancelPip := context.WithTimeout(stopCtx, pipTimeout)
	defer cancelPip()
	args := []string{"-I", "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--progress-bar", "off"}
	if os.Getenv("PIP_CACHE_DIR") == "" { // pip's own cache may be in a folder others can write (checkPipReads)
		args = append(args, "--no-cache-dir")
	}
	args = append(append(args, job.pipArgs...), "-r", requirements)
	pip := groupCommand(pipCtx, filepath.Join(venv, "bin", "python"), args...)
	pip.Env = env
	// pip's lines are passed on to ours, but a failed write there is noted (noteWrite), not passed to pip:
	// ddpm's standard output closed (`| head -1`) or full stopped pip, and the venv, the old one removed,
	// was removed with pip blamed (seventy-first probe).
	// The lines as they come name the user's file too, as the summary below does (ninety-eighth probe's nit).
	stdout, stderr := &renamingLines{w: passOn{os.Stdout}, from: requirements, to: job.source}, &renamingLines{w: passOn{os.Stderr}, from: requirements, to: job.source}
	defer stdout.flush()
	defer stderr.flush()
	both := &lockedWriter{w: &out} // pip's two streams are copied by two goroutines: one buffer, written in turn (ninety-ninth probe)
	pip.Stdout = io.MultiWriter(stdout, both)
	pip.Stderr = io.MultiWriter(stderr, both)
	if err := pip.Run(); err != nil {
		if stopped() != nil {
			return stoppedErr()
		}
		if pipCtx.Err() != nil {
			err = fmt.Errorf("no end in %s", pipTimeout)
		}
		// pip names the venv's copy of the lines, which is gone or the old venv's by the time this is read
		// (a digest pip called tampered with stood right in the file it named; ninety-third probe's nit).
		last := strings.ReplaceAll(string(lastLines(out.Bytes(), 20)), requirements, job.source)
		return withOutput{fmt.Errorf("`pip install %s` in %s failed (%v); pip's last lines:\n%s%s\n(%s; run `%s` again once the cause is fixed)",
			job.what, venv, err, last, prefixed(venvSpaceHint(job, filepath.Dir(venv))), removed(), job.again)}
	}
	if stopped() != nil { // a signal after pip: the venv is not finished, so not trusted
		return stoppedErr()
	}
	if err := finish(before); err != nil {
		return fmt.Errorf("%w (%s)", err, removed()) // what is removed, and what is put back (ninety-second probe's nit)
	}
	// The venv kept aside goes under a temporary name of the job's before it is removed (a later setup
	// removes what is left of it): stopped while removing it under its own name, setup left it half
	// removed beside the finished venv, and the next setup that failed removed the finished one and put
	// the half back (seventy-fifth probe).
	// Before the mark goes: killed between the two, setup left a finished venv beside the kept one, which
	// the next refused as one made since (eighty-third probe); now it leaves a marked venv alone, remade.
	if kept != "" {
		if err := removeAside(kept, job.tmpPrefix, job.say); err != nil { // while a signal is still only noted
			return fmt.Errorf("removing the venv kept aside, %s: %w", kept, err)
		}
	}
	finished = true // the venv before is gone: a venv left marked is remade by the next setup
	return os.Remove(filepath.Join(venv, unfinishedMark))
}

// setupsOwnName says where path, resolved, passes through a folder named as setup names its temporary
// folders (which a later setup removes), or "".
func setupsOwnName(path string) string {
	for _, name := range strings.Split(path, "/") {
		if isJobTemporary(name, venvTmpPrefix) {
			return fmt.Sprintf("%s, a name of %s and digits, is setup's for its temporary folders, which it removes: name another", name, venvTmpPrefix)
		}
	}
	return ""
}

// isJobTemporary says whether name is one of os.MkdirTemp's names for prefix: prefix and digits.
func isJobTemporary(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}

// renamingLines passes whole lines on to w with the name from replaced by to: pip names the venv's
// copy of the requirements, which is gone or the old venv's once a failed setup has put it back.
type renamingLines struct {
	w        io.Writer
	from, to string
	buf      []byte
}

func (r *renamingLines) Write(p []byte) (int, error) {
	if r.to == "" {
		return r.w.Write(p)
	}
	r.buf = append(r.buf, p...)
	if i := bytes.LastIndexByte(r.buf, '\n'); i >= 0 {
		r.w.Write(bytes.ReplaceAll(r.buf[:i+1], []byte(r.from), []byte(r.to))) //nolint:errcheck // passOn notes its failures
		r.buf = append(r.buf[:0], r.buf[i+1:]...)
	}
	return len(p), nil
}

// flush passes on what is left after the last line's end.
func (r *renamingLines) flush() {
	if len(r.buf) > 0 {
		r.w.Write(bytes.ReplaceAll(r.buf, []byte(r.from), []byte(r.to))) //nolint:errcheck // passOn notes its failures
		r.buf = nil
	}
}

// lockedWriter is w written by one goroutine at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// passOn writes a child's output on to f, noting a failed write (noteWrite) rather than returning it,
// so that the child is not stopped by what became of ddpm's own output.
type passOn struct{ f *os.File }

func (w passOn) Write(p []byte) (int, error) {
	_, err := w.f.Write(p)
	noteWrite(w.f, err)
	return len(p), nil
}

// leftoversOf ends, or names, the processes of this user that still run venv's interpreter: a killed
// setup's are killed (stopLeftovers); in a clone's .venv they may be the user's own JupyterLab, which
// is not killed: the setup is refused until they end.
func leftoversOf(venv string, job venvJob) error {
	pids := venvProcesses(venv)
	// Unfinished: marked, or, for the plugin's venv, not stamped (made before the mark). Only a stopped
	// setup's children run one; a finished venv's are the user's, which were killed without a word
	// (eighty-third probe).
	_, stampErr := os.Lstat(filepath.Join(venv, ddpm.SetupStamp))
	unfinished := isUnfinished(venv) || job.killLeftovers && stampErr != nil
	switch {
	case len(pids) == 0:
		return nil
	case unfinished && job.killLeftovers:
		return stopLeftovers(venv, job.again)
	case unfinished:
		return fmt.Errorf("processes %v, left running by a setup that was stopped, still run the unfinished %s's interpreter: wait for them to end, or end them, and run `%s` again",
			pids, venv, job.again)
	}
	return fmt.Errorf("processes %v run %s's interpreter (JupyterLab, a notebook's kernel?), and setup remakes it: end them, and run `%s` again",
		pids, venv, job.again)
}

// setupVenv is `ddpm setup --venv DIR --requirements FILE`: a clone's virtual environment (make
// setup's .venv, for Jupyter and the course) made under the rules setup holds its own to, rather than
// with whatever Python, pip variables and configuration the user's environment names: `make setup`,
// which ddpm advises in a clone, ran another user's program as root through $PIP_PYTHON, and a pyenv
// shim that a .python-version above the clone steered (sixty-ninth probe). The interpreter is python
// (scripts passed over, as for the plugin), at least requiresPython ("" for none); the folder, when
// there, must be a virtual environment, and is remade.
func setupVenv(flags *flag.FlagSet, dir, requirements, requiresPython, python string) error {
	// An empty value given is named as empty: "go together" of two flags given, and an empty
	// --requires-python taken as none (ninety-second probe's nits).
	var empty []string
	flags.Visit(func(f *flag.Flag) {
		if (f.Name == "venv" || f.Name == "requirements" || f.Name == "requires-python") && f.Value.String() == "" {
			empty = append(empty, "--"+f.Name)
		}
	})
	if len(empty) > 0 {
		return fmt.Errorf("%s given empty: give a value, or leave the flag out", strings.Join(empty, " and "))
	}
	oldest := minPython
	if requiresPython != "" {
		var err error
		if oldest, err = parsePythonVersion(requiresPython); err != nil {
			return fmt.Errorf("--requires-python %q: %w", requiresPython, err)
		}
		// A floor, not a replacement of setup's own: --requires-python 3.0 made a venv with Python 3.6,
		// which setup refuses (seventy-first probe).
		if slices.Compare(oldest[:], minPython[:]) < 0 {
			oldest = minPython
		}
	}
	if dir == "" || requirements == "" {
		var given []string // named, as every refusal names its flag
		flags.Visit(func(f *flag.Flag) {
			if f.Name == "venv" || f.Name == "requirements" || f.Name == "requires-python" {
				given = append(given, fmt.Sprintf("--%s %s", f.Name, shellQuote(f.Value.String())))
			}
		})
		return fmt.Errorf("%s: --venv and --requirements go together: --venv names the virtual environment to make, --requirements the packages it gets",
			strings.Join(given, " "))
	}
	// Resolved as the kernel resolves it: made absolute with filepath.Abs, "a/l/../v" was a's v, removed
	// and remade, where every later command reaches the v beside l's target (seventy-seventh probe).
	at, rest, err := ddpm.Nearest(dir)
	if err != nil {
		return fmt.Errorf("--venv %s: %w", dir, err)
	}
	venv := filepath.Join(append([]string{at}, rest...)...)
	// Removed and remade: only a virtual environment is (a --venv of / or $HOME would go whole).
	if info, err := os.Lstat(venv); err == nil {
		if !info.IsDir() {
			return fmt.Errorf("--venv %s is not a folder: move it away, or name another", dir)
		}
		// Or a stopped setup's, marked unfinished before Python's venv wrote its pyvenv.cfg (eighty-second probe).
		if _, err := os.Lstat(filepath.Join(venv, "pyvenv.cfg")); err != nil && !isUnfinished(venv) {
			return fmt.Errorf("--venv %s holds no pyvenv.cfg, so it is no virtual environment, and setup removes the one it remakes: move it away, or name another", dir)
		}
		// Nor what a venv's makers do not put there: a project folder made a venv (python -m venv .) went
		// whole, its sources and .git with it (eighty-fourth probe).
		if others := notOfAVenv(venv); len(others) > 0 {
			return fmt.Errorf("--venv %s holds %s besides a virtual environment, which setup would remove with it: move them out, or name another folder", dir, strings.Join(others, ", "))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--venv %s: %w", dir, err)
	}
	// Nor a name that setup takes for a killed run's temporary folder and removes (seventy-ninth probe),
	// on its way too (a venv made in such a folder went with the next setup's clean-up), nor the name of
	// a venv setup keeps aside, which it removes once the next one is made (eightieth probe).
	if where := setupsOwnName(venv); where != "" {
		return fmt.Errorf("--venv %s: %s", dir, where)
	}
	// Nor in the folder of `ddpm setup`'s plugin and models, which a plain setup remakes as its own: the
	// user's venv there was removed as "unfinished", and the plugin's replaced (eighty-first probe).
	// By the folders' identity too: through a bind mount of it, the plugin's venv was replaced; and nor a
	// venv that holds it, removed with its models and plugin (eighty-second probe).
	if user, err := ddpm.UserDir(); err == nil {
		u, uerr := trust.Eventual(user)
		for _, path := range []string{venv, requirements} {
			if p, err := trust.Eventual(path); uerr == nil && err == nil && (p == u || strings.HasPrefix(p, u+"/")) || within(path, user) {
				return fmt.Errorf("%s is in %s, the folder of `%s`'s plugin and models, which it remakes as its own: name another", path, user, ddpm.UserSetupCommand)
			}
		}
		if p, err := trust.Eventual(venv); uerr == nil && err == nil && strings.HasPrefix(u, p+"/") || within(user, venv) {
			return fmt.Errorf("--venv %s holds %s, the folder of `%s`'s plugin and models, which setup would remove with it: name another", dir, user, ddpm.UserSetupCommand)
		}
	}
	// Nor the lock's: setup takes the folder's lock by that name, made the venv in the lock file's place
	// and removed the lock as the venv kept aside (eighty-eighth probe).
	if filepath.Base(venv) == ddpm.LockFileName {
		return fmt.Errorf("--venv %s: %s is the name of the lock that setup takes in the venv's folder: name another", dir, ddpm.LockFileName)
	}
	if strings.HasSuffix(filepath.Base(venv), keptSuffix) {
		return fmt.Errorf("--venv %s: a name that ends in %s is setup's for a venv it keeps aside while it makes the next, and removes once that is made: name another", dir, keptSuffix)
	}
	// Its name and the kept venv's: one of 250 bytes was made, and never remade, its kept name too long
	// to rename it to (seventy-ninth probe).
	if n := len(filepath.Base(venv)) + len(keptSuffix); n > maxNameBytes {
		return fmt.Errorf("--venv %s: setup keeps the venv there aside as %s%s while it makes the new one, a name of %d bytes, past the %d a folder's name may have: name a shorter one",
			dir, filepath.Base(venv), keptSuffix, n, maxNameBytes)
	}
	if err := trust.CheckOwnFolder(filepath.Dir(venv)); err != nil {
		return fmt.Errorf("--venv %s: its folder %s: %w: make it in a folder of yours that no other user can write", dir, filepath.Dir(venv), err)
	}
	// Python's venv refuses it, after the one there was removed (sixty-ninth probe).
	if strings.ContainsRune(venv, os.PathListSeparator) {
		return fmt.Errorf("--venv %s: its path holds %q, which Python's venv refuses (it separates $PATH's folders): name a folder without one", dir, os.PathListSeparator)
	}
	// The packages are the file's: one that another user could change would choose them. Nor inside
	// the venv, which is removed first: the file went with it (sixty-ninth probe).
	reqs, err := ddpm.CheckSecureFile(requirements)
	if err != nil {
		return fmt.Errorf("--requirements %s is not read: %w", requirements, err)
	}
	if within(reqs, venv) { // by the folder's identity, which a link and a bind mount share (eighty-fourth probe)
		return fmt.Errorf("--requirements %s is inside --venv %s, which setup removes before it installs: keep it elsewhere", requirements, dir)
	}
	if within(reqs, venv+keptSuffix) { // removed with the venv kept aside (eighty-third probe)
		return fmt.Errorf("--requirements %s is inside %s%s, a venv setup kept aside and removes once the new one is made: keep it elsewhere", requirements, dir, keptSuffix)
	}
	if where := setupsOwnName(reqs); where != "" { // removed with setup's temporary folders (eightieth probe)
		return fmt.Errorf("--requirements %s: %s", requirements, where)
	}
	pins, packages, err := readPins(reqs, requirements)
	if err != nil {
		return err
	}
	if err := checkPipVars(); err != nil {
		return err
	}
	if err := checkPipReads(venv); err != nil {
		return err
	}
	exe, err := findPython(python)
	if err != nil {
		return err
	}
	if err := checkPython(python, exe, oldest); err != nil {
		return err
	}
	// Nor an interpreter inside the venv, or the one kept aside, which setup moves before it runs it: a
	// --copies venv's own was run from where it no longer was (eighty-fourth probe's nit).
	if within(exe, venv) || within(exe, venv+keptSuffix) {
		return fmt.Errorf("--python %s is %s, inside --venv %s (or the venv setup keeps aside), which setup moves away before it runs it: name the interpreter the venv was made with", python, exe, dir)
	}
	if first, err := exec.LookPath(python); err == nil && !strings.Contains(python, "/") && trust.IsScript(first) && first != exe {
		printf("venv: %s in $PATH is a script (%s), passed over for %s: PYTHON (make setup) or --python names another\n", python, first, exe)
	}
	if err := flagsChecked(flags); err != nil {
		return err
	}
	// One setup at a time in the venv's folder: two at once remade one venv twice, and each removed the
	// other's temporary folder beside it (seventieth probe's left item).
	// A folder made for it goes, with its lock file, where no venv is made (eighty-first probe's left item).
	lock, undoFolder, err := lockFolder(filepath.Dir(venv), "--venv "+dir+"'s folder", false, new(atomic.Pointer[func()]), nil)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	umask := syscall.Umask(0o077) // what the children make is writable by the user alone, as runSetup says
	syscall.Umask(umask | 0o022)
	defer syscall.Umask(umask)
	again := againCommand(flags) // make setup's, when it runs it
	err = makeVenv(venv, exe, python, venvJob{
		say: "venv: ", again: again, why: "it is remade from " + requirements, tmpPrefix: venvTmpPrefix,
		// Wheels only: a pinned source archive is built by a backend that pip fetches from the index
		// without checking a digest, so another user's index ran its code as root (seventy-fourth probe).
		requirements: pins, source: requirements, pipArgs: []string{"--require-hashes", "--only-binary", ":all:"}, what: "-r " + requirements, keepOld: true,
		announce: fmt.Sprintf("venv: pip install -r %s", requirements),
	}, func(before map[string]string) error {
		if err := checkInstalled(venv, packages, before); err != nil {
			return fmt.Errorf("--requirements %s: %w", requirements, err)
		}
		printf("venv: %s (made now, with %s)\n", venv, exe)
		return nil
	})
	if err != nil {
		undoFolder()
	}
	return err
}

// maxNameBytes is the longest name of a folder on the usual Linux file systems.
const maxNameBytes = 255

// venvTmpPrefix starts the names of setup --venv's temporary folders beside the venv.
const venvTmpPrefix = ".ddpm-setup-tmp-"

// minPython is the oldest Python that makes the plugin's virtual environment.
var minPython = [3]int{3, 8, 0}

// parsePythonVersion reads a Python version of two or three numbers ("3.11", "3.11.5").
func parsePythonVersion(s string) ([3]int, error) {
	var v [3]int
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("write a Python version as 3.11 or 3.11.5")
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if errors.Is(err, strconv.ErrRange) {
			return v, fmt.Errorf("write a Python version as 3.11 or 3.11.5 (%q is too large a number)", p)
		}
		if err != nil || n < 0 || p != strconv.Itoa(n) {
			return v, fmt.Errorf("write a Python version as 3.11 or 3.11.5 (%q is no number)", p)
		}
		v[i] = n
	}
	if v[0] != 3 {
		return v, fmt.Errorf("setup makes virtual environments with Python 3")
	}
	return v, nil
}

// maxRequirementsBytes bounds the requirements file setup --venv reads (the project's is 2 KB).
const maxRequirementsBytes = 1 << 20

// pinLine is a requirement by name and exact version, with extras (a list of names), and an environment
// marker after ";" (checked by checkMarker): extras such as "a, -rfoo" and a marker pip cannot parse
// passed, and pip refused them after the venv was removed (seventy-fourth probe).
var pinLine = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\[\s*` + extraName + `(?:\s*,\s*` + extraName + `)*\s*\])?\s*==\s*(` + pep440 + `)\s*(?:;(.*))?$`)

// pep440 is a version as PEP 440 writes one (its appendix's forms, any case): anything else that pip
// took for a version, "1.16.0.zip", made the line a file's path, whose build backend pip ran
// (eighty-second probe).
const pep440 = `(?i:v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` +
	`(?:[-_.]?(?:alpha|a|beta|b|preview|pre|c|rc)[-_.]?[0-9]*)?` +
	`(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?` +
	`(?:[-_.]?dev[-_.]?[0-9]*)?` +
	`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?)`

// archiveEnding is a file name's ending by which pip takes a requirement for an archive's path: a
// local version may end so ("1.0+x.zip").
var archiveEnding = regexp.MustCompile(`(?i)\.(zip|whl|tar|tgz|tbz|txz|tlz|tar\.(gz|bz2|xz|lz|lzma))$`)

const extraName = `[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// pipCommentLine is a line that pip's join_lines takes for a comment (its COMMENT_RE matched at the
// line's start): a # after nothing but white space. A # later in the line starts a comment only once
// the lines are joined: searched for anywhere, a digest's line with a comment after it was joined with
// a space where pip joins it with nothing (seventy-ninth probe).
var pipCommentLine = regexp.MustCompile(`^\s*#`)

// notInSpaced is "not in" written with more than one space between, which pip's marker grammar refuses.
var notInSpaced = regexp.MustCompile(`\bnot {2,}in\b`)

// commentStart is where pip's COMMENT_RE, searched, finds a comment in line: the first # at its start
// or after white space (tabs are refused before); -1 for none.
func commentStart(line string) int {
	for c := 0; c < len(line); c++ {
		if line[c] == '#' && (c == 0 || line[c-1] == ' ') {
			return c
		}
	}
	return -1
}

// codingDeclaration is what pip takes for a file's encoding in a comment (PEP 263's form, which it reads).
var codingDeclaration = regexp.MustCompile(`coding[:=]`)

// hashOption is a requirement's digest, the one option a line may carry, at its algorithm's length (a
// digest of 10 digits made the venv, and pip then blamed tampering; seventy-third probe).
var hashOption = regexp.MustCompile(`^--hash=(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$`)

// readPins reads the requirements file at real (named name on the command line) and returns its lines,
// once each is a pinned package by name and digest (name==version, with extras, a marker, and one or
// more --hash digests), a comment or blank. pip follows what else a requirements file may hold, unchecked: another user's
// file included with -r ran their build backend as root, and -c, -e, paths, URLs, --find-links and
// --index-url name files, folders and indexes that setup checks where pip's variables and
// configuration name them (sixty-ninth probe). Indexes and folders of wheels go through those.
func readPins(real, name string) (string, []pin, error) {
	raw, err := safefile.ReadFile(real, maxRequirementsBytes)
	if err != nil {
		return "", nil, fmt.Errorf("--requirements %s: %w", name, err)
	}
	// Read as pip reads it, or refused: pip splits lines at \r, \v, \f and others besides \n, decodes
	// the file by a "coding:" comment (utf-7 turned "+AAo-" into a line break), never continues a comment
	// line, and strips a byte-order mark; an include hidden by any of these ran another user's build
	// backend as root (seventieth probe). So: ASCII, lines ended by \n, no coding comment, no comment
	// continued.
	for i, b := range raw {
		if b >= 0x7f || b < 0x20 && b != '\n' { // a tab too: pip parts a requirement from its options at spaces only
			line := strings.Count(string(raw[:i]), "\n") + 1
			return "", nil, fmt.Errorf("--requirements %s line %d: byte %#02x: setup --venv reads a requirements file of printable ASCII, lines ended by \\n, "+
				"as pip would read it whatever its encoding and line ends (a byte-order mark, \\r or another line break, or a non-ASCII character): write it so", name, line, b)
		}
	}
	lines := strings.Split(string(raw), "\n")
	pinned := map[string]pin{}   // each package's first pin, by its normalized name
	versions := map[string]int{} // the line of each version pinned, by normalized name==canonical version
	var all []pin
	var starts []int // where each line joined into the current one begins in it
	for i := 0; i < len(lines); i++ {
		first, line := i, lines[i]
		starts = starts[:0]
		// The comment line that ended this line's continuation, if one did.
		commentEnd := -1
		if strings.HasSuffix(line, "\\") && !pipCommentLine.MatchString(line) { // a comment line is never continued
			// Continued as pip's join_lines continues it: a line ending in \ loses its backslashes at both
			// ends and is joined to the next with nothing between, up to a line that does not end in \ or
			// is a comment (joined after a space), or the file's end. Joined with a space here, a pin and
			// its digest that pip reads as one word passed, and pip refused them after the venv was
			// removed (seventy-fourth probe).
			var joined strings.Builder
			for ; i < len(lines); i++ {
				starts = append(starts, joined.Len())
				l := lines[i]
				comment, continued := pipCommentLine.MatchString(l), strings.HasSuffix(l, "\\")
				if !continued || comment { // a comment line, even one that ends in \, ends it (eighty-second probe's nit)
					if comment {
						l, commentEnd = " "+l, i
					}
					joined.WriteString(l)
					break
				}
				joined.WriteString(strings.Trim(l, "\\"))
			}
			line = joined.String()
		}
		// pip's comment starts at the first # after white space (or at the line's start), inside a
		// marker's quotes too: only the first # was looked at, and a marker with "a#b" before " #" passed
		// whole where pip cut it (seventy-ninth probe).
		if c := commentStart(line); c >= 0 {
			if codingDeclaration.MatchString(line[c:]) {
				return "", nil, fmt.Errorf("--requirements %s line %d: a coding declaration, by which pip would decode the file otherwise than setup reads it: remove it", name, first+1)
			}
			// A comment ending in \ runs into the lines after it, which pip reads as part of the comment: a
			// pin there was dropped, and setup said the venv was made (eighty-ninth probe).
			at := first // the line the comment is on
			for k := 1; i > first && k < len(starts); k++ {
				if starts[k] <= c {
					at = first + k
				}
				if l := lines[first+k]; starts[k] > c && strings.Trim(l, " \t\\") != "" && !pipCommentLine.MatchString(l) {
					return "", nil, fmt.Errorf("--requirements %s line %d: its comment ends in \\, so pip reads line %d (%s) as part of the comment: end the comment without \\",
						name, at+1, first+k+1, shortened(strconv.Quote(strings.TrimSpace(l))))
				}
			}
			line = line[:c]
		}
		// pip fills in ${NAME} from its environment before it parts the line: a value there added a digest
		// setup never saw, or turned a marker (eighty-second probe).
		if strings.Contains(line, "${") {
			return "", nil, fmt.Errorf("--requirements %s line %d: ${…}, which pip fills in from its environment before it reads the line, "+
				"so that setup would check another line than pip installs from: write the value itself", name, first+1)
		}
		fields := strings.Fields(line)
		n := len(fields)
		for n > 0 && hashOption.MatchString(fields[n-1]) {
			n--
		}
		for i, f := range fields[:n] {
			if hashOption.MatchString(f) && strings.HasPrefix(fields[i+1], "-") { // an option: moving it was advised, and refused (hundred-and-first probe's nit)
				return "", nil, fmt.Errorf("--requirements %s line %d: %s, an option, which setup --venv does not take before or after the digests: "+
					"it takes packages by name and exact version only, each with a marker and --hash", name, first+1, shortened(strconv.Quote(fields[i+1])))
			}
			if hashOption.MatchString(f) { // a digest, then more: pip drops what follows (eightieth probe's nit)
				return "", nil, fmt.Errorf("--requirements %s line %d: %s after its digests, which pip reads otherwise than before them: write it before the digests (does a line ending in \\ run into the next requirement?)",
					name, first+1, shortened(strconv.Quote(strings.Join(fields[i+1:n], " "))))
			}
			if strings.HasPrefix(f, "--hash") {
				return "", nil, fmt.Errorf("--requirements %s line %d: %s: write a digest as --hash=sha256: and its 64 lowercase hex digits (sha384: 96, sha512: 128), "+
					"after the requirement", name, first+1, shortened(strconv.Quote(f)))
			}
		}
		spec := strings.Join(fields[:n], " ")
		if spec == "" && n == len(fields) {
			continue // blank, or a comment
		}
		if strings.Contains(spec, "--hash") { // "six==1.16.0;--hash=…" was said to have no --hash (ninety-second probe's nit)
			return "", nil, fmt.Errorf("--requirements %s line %d: %s: a --hash with no space before it is, to pip, part of the requirement: write a space before each --hash",
				name, first+1, shortened(strconv.Quote(spec)))
		}
		// A comment line ends a continuation, so a digest after it is a line of its own to pip: "add them"
		// misled a user who had (hundred-and-third probe's nit).
		if pinLine.MatchString(spec) && n == len(fields) && commentEnd >= 0 && commentEnd+1 < len(lines) &&
			strings.HasPrefix(strings.TrimSpace(lines[commentEnd+1]), "--hash") {
			return "", nil, fmt.Errorf("--requirements %s line %d: %s has no --hash to pip: line %d, a comment, ends its continuation, so the --hash on line %d "+
				"is not part of it: move the comment", name, first+1, shortened(strconv.Quote(spec)), commentEnd+1, commentEnd+2)
		}
		if pinLine.MatchString(spec) && n == len(fields) {
			// By digest, whatever index answers: another user's package server on a local port gave root's
			// setup a source package whose build backend ran as root, and a plugin that every command in the
			// clone then loaded (seventy-second probe).
			return "", nil, fmt.Errorf("--requirements %s line %d: %s has no --hash: setup --venv installs only packages pinned by their digests "+
				"(pip's --require-hashes), whatever index pip is pointed at; add them (scripts/hash_requirements.py, or pip-compile --generate-hashes)",
				name, first+1, shortened(strconv.Quote(spec)))
		}
		m := pinLine.FindStringSubmatch(spec)
		if m != nil && archiveEnding.MatchString(m[3]) {
			return "", nil, fmt.Errorf("--requirements %s line %d: the version %s ends as an archive's name, and pip would take the line for the path of a file to build: "+
				"pin a version that does not", name, first+1, shortened(strconv.Quote(m[3])))
		}
		if m == nil {
			return "", nil, fmt.Errorf("--requirements %s line %d: %s: setup --venv takes packages by name and exact version only (name==version, "+
				"with extras written right after the name, none empty, a marker and --hash): includes, paths, URLs and options have pip read files, folders and indexes that setup "+
				"does not check there; give indexes and folders of wheels through pip's variables or configuration, which it checks",
				name, first+1, shortened(strconv.Quote(strings.TrimSpace(line))))
		}
		// pip parts a line at its first word that starts with "-" (break_args_options): one inside a
		// marker's string would cut the requirement there.
		for _, f := range fields[:n] {
			if strings.HasPrefix(f, "-") {
				return "", nil, fmt.Errorf("--requirements %s line %d: %s: a word that starts with -, where pip's options would begin, inside the requirement: write it otherwise",
					name, first+1, shortened(strconv.Quote(f)))
			}
		}
		marked := strings.Contains(spec, ";")
		if marked {
			// The marker as written: pip reads "not in" with one space only, and the fields above are
			// joined with one (seventy-ninth probe).
			if notInSpaced.MatchString(line) {
				return "", nil, fmt.Errorf("--requirements %s line %d: \"not\" and \"in\" apart by more than one space, where pip reads \"not in\" with one: write it so", name, first+1)
			}
			// A ; with nothing after it pip reads as no marker; refused by name, not as a broken marker
			// (ninety-third probe's nit).
			if strings.TrimSpace(m[4]) == "" {
				return "", nil, fmt.Errorf("--requirements %s line %d: a \";\" with no marker after it: remove the \";\", or write the marker", name, first+1)
			}
			if err := checkMarker(m[4]); err != nil {
				return "", nil, fmt.Errorf("--requirements %s line %d: the marker %s: %w", name, first+1, shortened(strconv.Quote(strings.TrimSpace(m[4]))), err)
			}
		}
		// A package pinned twice: pip cannot resolve two pins that both hold, and said so only after the
		// venv was removed (seventy-fourth probe). Two under markers may be for different Pythons; one
		// without a marker holds wherever the other does (seventy-ninth probe).
		key := strings.ToLower(nameSeparators.ReplaceAllString(m[1], "-")) // PEP 503's normalized name
		if before, ok := pinned[key]; ok && !(marked && before.marked) {
			return "", nil, fmt.Errorf("--requirements %s line %d: %s is pinned on line %d too: pin each package once (twice only under markers for different Pythons)",
				name, first+1, m[1], before.line)
		} else if !ok {
			pinned[key] = pin{first + 1, marked, key, m[3]}
		}
		// One version twice, under markers that both hold: pip took the two lines' digests as one set,
		// and a wheel that matched one line's passed with the other's unchecked (ninety-fourth probe).
		at := key + "==" + canonicalVersion(m[3])
		if line, ok := versions[at]; ok {
			return "", nil, fmt.Errorf("--requirements %s line %d: %s==%s is pinned on line %d too: pin each version once, with all its digests on one line (pip takes two lines' digests as one set, and checks a wheel against either)",
				name, first+1, m[1], m[3], line)
		}
		versions[at] = first + 1
		all = append(all, pin{first + 1, marked, key, m[3]})
	}
	// No pin at all: an emptied file (a failed pip freeze > requirements.txt) replaced the working venv
	// by an empty one, and setup said it was made (seventy-ninth probe).
	if len(pinned) == 0 {
		return "", nil, fmt.Errorf("--requirements %s pins no package: setup --venv would replace the venv by an empty one; name the project's requirements file", name)
	}
	return string(raw), all, nil
}

// distInfos are the packages installed in venv, by their dist-info folders: PEP 503's names, each
// with its folders' names (its version), sorted.
func distInfos(venv string) map[string]string {
	installed := map[string]string{}
	var dirs []string // lib/python3*/site-packages, the venv's name read literally (a Glob took "[" in it for a pattern; eighty-third probe)
	libs, _ := os.ReadDir(filepath.Join(venv, "lib"))
	for _, lib := range libs {
		if strings.HasPrefix(lib.Name(), "python3") {
			dirs = append(dirs, filepath.Join(venv, "lib", lib.Name(), "site-packages"))
		}
	}
	for _, dir := range dirs {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if name, ok := strings.CutSuffix(e.Name(), ".dist-info"); ok {
				name, _, _ = strings.Cut(name, "-") // name-version: neither holds a "-"
				key := strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
				installed[key] = strings.TrimPrefix(installed[key]+" "+e.Name(), " ") // ReadDir's order: sorted
			}
		}
	}
	return installed
}

// distVersion is the version of a package's dist-info folder (name-version.dist-info), as distInfos
// gives it, or "" where there are several.
func distVersion(folders string) string {
	if strings.Contains(folders, " ") {
		return ""
	}
	_, version, _ := strings.Cut(strings.TrimSuffix(folders, ".dist-info"), "-")
	return strings.ToLower(version)
}

// canonicalVersion is a PEP 440 version as compared, in its normal form: lower case, without a "v",
// a 0 epoch, leading zeros or trailing .0 parts of its release ("66.1.1.0", "0!66.1.1" and "66.1.01"
// are 66.1.1, and were taken for other versions than ensurepip's; eighty-fifth probe), and its
// pre-, post- and dev-releases and local label in their one spelling ("1.0-1" and "1.0.post1",
// "1.0alpha1" and "1.0a1" passed as two versions pinned once each; ninety-fifth probe). What is no
// PEP 440 version is only lowered.
func canonicalVersion(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	m := pep440Parts.FindStringSubmatch(v)
	if m == nil {
		return v
	}
	number := func(s string) string { // a whole number without leading zeros, of any length; "" is 0
		if s = strings.TrimLeft(s, "0"); s == "" {
			return "0"
		}
		return s
	}
	var b strings.Builder
	if m[1] != "" && number(m[1]) != "0" {
		b.WriteString(number(m[1]) + "!")
	}
	release := strings.Split(m[2], ".")
	for i := range release {
		release[i] = number(release[i])
	}
	for len(release) > 1 && release[len(release)-1] == "0" {
		release = release[:len(release)-1]
	}
	b.WriteString(strings.Join(release, "."))
	if m[3] != "" {
		b.WriteString(map[string]string{"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "rc": "rc", "pre": "rc", "preview": "rc"}[m[3]] + number(m[4]))
	}
	switch {
	case m[5] != "": // 1.0-1, an implicit post-release
		b.WriteString(".post" + number(m[5]))
	case m[6] != "":
		b.WriteString(".post" + number(m[7]))
	}
	if m[8] != "" {
		b.WriteString(".dev" + number(m[9]))
	}
	if m[10] != "" {
		local := strings.FieldsFunc(m[10], func(r rune) bool { return r == '-' || r == '_' || r == '.' })
		for i, part := range local {
			if strings.Trim(part, "0123456789") == "" {
				local[i] = number(part)
			}
		}
		b.WriteString("+" + strings.Join(local, "."))
	}
	return b.String()
}

// pep440Parts is pep440 in lower case with its parts captured: epoch, release, pre-release kind and
// number, implicit post number, post kind and number, dev and its number, local label.
var pep440Parts = regexp.MustCompile(`^v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)` +
	`(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]*))?` +
	`(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]*))?` +
	`(?:[-_.]?(dev)[-_.]?([0-9]*))?` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

// pin is a package of a requirements file: where readPins met it, whether under a marker, and its
// name as PEP 503 normalizes it.
type pin struct {
	line          int
	marked        bool
	name, version string
}

// checkInstalled refuses a venv where pip did not install every package pinned without a marker, or
// none of the file's: pins all under markers that do not hold here ("; python_version >= \"3.12\"" on
// 3.11, or "; extra == …") made an empty venv in place of the working one, exit 0 (eightieth probe).
//
// A marked pin counts only where pip installed it, not ensurepip before it (before: the dist-info
// folders then): pins of pip and six under false markers passed, ensurepip's pip counted (eighty-first
// probe). Compared by version too: pip's upgrade of ensurepip's pip did not count (eighty-second probe).
func checkInstalled(venv string, pins []pin, before map[string]string) error {
	installed := distInfos(venv)
	some := false
	for _, p := range pins {
		switch {
		case installed[p.name] != "" && installed[p.name] != before[p.name]:
			some = true
		case installed[p.name] != "" && canonicalVersion(distVersion(installed[p.name])) == canonicalVersion(p.version):
			// pip checks no digest of what is there already: a pin of ensurepip's setuptools with any digest
			// passed (eighty-third probe), under a marker too (eighty-fourth).
			return fmt.Errorf("line %d pins %s at the version ensurepip put in the venv, which pip takes as it is, checking no digest: leave it out of the file, or pin another version", p.line, p.name)
		case installed[p.name] != "" && !p.marked:
			return fmt.Errorf("pip did not install %s==%s (line %d), though it said it had finished", p.name, p.version, p.line)
		case installed[p.name] == "" && !p.marked:
			return fmt.Errorf("pip did not install %s (line %d), though it said it had finished", p.name, p.line)
		}
	}
	if !some {
		return fmt.Errorf("pip installed none of the file's packages: every pin's marker is false for this Python and platform, or names a package that ensurepip had put there at that version")
	}
	return nil
}
