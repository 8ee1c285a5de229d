package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// A command that makes folders for its work (train's --ckpt, eval's --work and --out) removes them
// when it is refused or stopped before the work begins: they were left behind, lock file included
// (twentieth to twenty-third probes). Once the work has begun, a signal stops it as it would any
// program (eval's progress is saved as it goes), or, in training, after the step it is in.

// exitEarlyOnSignal makes Ctrl-C, SIGTERM, SIGHUP and Ctrl-\ (stopSignals, unless the process was started ignoring them)
// run *unmake, when set, say that the command stopped before (what was done), and exit at once with
// 128 + the signal, until the returned function is called. After, a signal acts as it would have: it
// kills, unless the command has asked for it again (saveOnSignal).
func exitEarlyOnSignal(unmake *atomic.Pointer[func()], before string) (stop func()) {
	signals := make(chan os.Signal, 1)
	sigs := notIgnored(stopSignals...)
	if len(sigs) == 0 {
		return func() {}
	}
	stopNotify := notifyStop(signals, sigs...)
	var once sync.Once
	var early sync.Mutex // held while a signal is handled, so that stop waits for the exit
	go func() {
		sig, ok := <-signals
		if !ok {
			return
		}
		early.Lock()
		making.Lock() // what is being made gets its undo first; never unlocked: the process exits
		// The go command finding MNIST, and its folder, go too (they were left; fifty-fourth probe).
		ddpm.RemoveTemporariesInFlight()
		if f := unmake.Load(); f != nil {
			(*f)()
		}
		time.Sleep(slowEarlyExit)
		s, _ := sig.(syscall.Signal)
		eprintf("\nddpm %s: stopped by a signal (%v) %s\n", os.Args[1], sig, before) // as main says an error
		os.Exit(128 + int(s))
	}()
	return func() {
		once.Do(func() {
			early.Lock() // a signal being handled exits before this returns
			stopNotify()
			close(signals)
		})
	}
}

// slowEarlyExit holds an early exit between its undo and the exit, and afterTrainLock runs in train
// just after its folder's lock is taken: the tests' way to open the window in which the main path went
// on making what the signal's undo had removed; atStart runs before the command, with no handler of its
// own yet (all three nothing in the command).
var (
	slowEarlyExit  time.Duration
	afterTrainLock = func() {}
	atStart        = func() {}
)

// making is held while a command makes what a signal before its work is to remove, until the undo
// for it is set: a signal waits for it, and finds everything that was made in the undo (a signal
// between the mkdir and the lock left the folders, or the lock file in them; twenty-fifth probe).
var making sync.Mutex

// whileMaking runs f holding making, for work that a signal's undo must not come in the middle of.
func whileMaking(f func() error) error {
	making.Lock()
	defer making.Unlock()
	return f()
}

// saveOnSignal makes Ctrl-C, SIGTERM, SIGHUP, Ctrl-\ (stopSignals: those the process was not started ignoring) and a broken
// pipe (`ddpm train | head`) set *stop, which training polls after each step to save and return, and
// records the signal in *by. A second Ctrl-C, SIGTERM or SIGHUP kills at once with 128 + the signal,
// unless it comes within a second of the first: that is the same one delivered twice (GNU timeout
// signals the process and then its group), not the user's second request. A broken pipe is never a
// second request: once a Ctrl-C has stopped `ddpm train | tee log`, tee is gone too and each of
// train's own writes raises one (it killed the run during its save, which the first had promised).
// A hang-up or a broken pipe would otherwise kill the run without saving, and a signal the process
// was started ignoring stays ignored: `nohup ddpm train … &` stopped at logout, and a script's
// background run at a Ctrl-C meant for its foreground (sixteenth probe). Call the returned function
// to let go of the signals. resumes says, at a second signal, where the next run starts (it said "from
// the last checkpoint written" where none was; ninety-seventh probe).
func saveOnSignal(stop *atomic.Bool, by *atomic.Value, resumes func() string) (release func()) {
	signals := make(chan os.Signal, 4)
	// SIGPIPE is asked for whatever main did with it: main ignores it for every command, which
	// notIgnored cannot tell from a user's nohup, and `ddpm train | head` trained on to the end with
	// its output lost.
	stopNotify := notifyStop(signals, append(notIgnored(stopSignals...), syscall.SIGPIPE)...)
	go func() {
		sig, ok := <-signals
		if !ok {
			return
		}
		by.Store(sig)
		first := time.Now()
		stop.Store(true)
		eprintf("\n%s: saving a checkpoint after this step (signal again to kill)\n", signalName(sig))
		for sig := range signals {
			if sig != syscall.SIGPIPE && time.Since(first) > time.Second {
				s, _ := sig.(syscall.Signal)
				eprintf("\nkilled by a second signal (%v), without waiting for the save: %s\n", sig, resumes())
				ddpm.RemoveTemporariesInFlight()
				os.Exit(128 + int(s))
			}
		}
	}()
	return func() {
		stopNotify()
		signal.Ignore(syscall.SIGPIPE) // as main has it for every command: Stop made it kill again
		close(signals)
	}
}

// removeTemporariesOnSignal makes Ctrl-C, SIGTERM, SIGHUP and Ctrl-\ (stopSignals: those the process was not started
// ignoring) remove the temporary file of any write in progress before they end the process, by the
// same signal, as they would have: one in the final write of sample, export, interpolate or eval left
// `.name.tmp-N` in a folder that no later run cleans (twenty-seventh probe). A note, if note is not
// nil, is said first (eval's, on what it kept and how to resume: it said nothing; twenty-seventh
// probe's nit). Call the returned function to let go of the signals.
func removeTemporariesOnSignal(note func() string) (release func()) {
	sigs := notIgnored(stopSignals...)
	if len(sigs) == 0 {
		return func() {}
	}
	signals := make(chan os.Signal, 1)
	stopNotify := notifyStop(signals, sigs...)
	go func() {
		sig, ok := <-signals
		if !ok {
			return
		}
		ddpm.RemoveTemporariesInFlight()
		if note != nil {
			newline := "" // to end a terminal's line of progress; a log's lines are whole (thirty-fourth probe's nit)
			if isTerminal(os.Stderr) {
				newline = "\n"
			}
			eprintf("%s%s: %s\n", newline, signalName(sig), note())
		}
		s, _ := sig.(syscall.Signal)
		if s == syscall.SIGQUIT { // its default action in Go is a dump of the goroutines and exit 2 (eighty-ninth probe)
			os.Exit(128 + int(s))
		}
		signal.Reset(sig)
		syscall.Kill(os.Getpid(), s) //nolint:errcheck // the default action ends the process here
		time.Sleep(time.Second)
		os.Exit(128 + int(s))
	}()
	return func() {
		stopNotify()
		close(signals)
	}
}

// cancelOnSignal returns a context that Ctrl-C, SIGTERM, SIGHUP or Ctrl-\ (stopSignals: those the process was not started
// ignoring) cancels, and the signal that did (nil until one does): for a command whose work is in
// child processes of their own group (groupCommand), which a terminal's Ctrl-C does not reach. Call
// release to let go of the signals.
func cancelOnSignal() (stopped func() os.Signal, ctx context.Context, release func()) {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	var by atomic.Value
	stopNotify := notifyStop(signals, notIgnored(stopSignals...)...)
	go func() {
		if sig, ok := <-signals; ok {
			by.Store(sig)
			cancel()
		}
	}()
	stopped = func() os.Signal {
		sig, _ := by.Load().(os.Signal)
		return sig
	}
	return stopped, ctx, func() {
		stopNotify()
		close(signals)
		cancel()
	}
}

// stopSignals are the signals that ask a command to stop, which each command handles (Ctrl-C, SIGTERM,
// SIGHUP, Ctrl-\): Ctrl-\ (SIGQUIT) in `setup --venv` ended it as a kill would, with Go's dump of its
// goroutines, the user's venv left under its kept name and no word (eighty-eighth probe). Ctrl-\ is
// handled even where the process was started ignoring it: Go's runtime keeps only SIGHUP's and SIGINT's
// ignoring, and takes SIGQUIT whatever the parent asked (eighty-ninth probe).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// notIgnored is the signals among sigs that the process was not started ignoring (nohup ignores
// SIGHUP; a shell starts a script's background jobs ignoring SIGINT).
func notIgnored(sigs ...os.Signal) []os.Signal {
	var out []os.Signal
	for _, sig := range sigs {
		if !signal.Ignored(sig) {
			out = append(out, sig)
		}
	}
	return out
}

// lockFolder takes dir's lock for this run (ddpm.LockDir), making dir and its parents first when they
// are missing. undo removes what the run added, as long as it is empty: the subfolders of dir named in
// made that were not there, the lock file when it was not there, and the folders that were made; then
// it runs earlier (nil, or the undo of what the run made before). It is in *unmake once the lock is
// taken, for a signal, which waits for it (making). A run's folder (run), whose files are read back as
// the run's own, is locked by ddpm.LockRunDir. A folder that was there got its lock file, and an
// empty samples/, left by a refused run (twenty-fifth probe).
func lockFolder(dir, flag string, run bool, unmake *atomic.Pointer[func()], earlier func(), made ...string) (lock *ddpm.DirLock, undo func(), err error) {
	if earlier == nil {
		earlier = func() {}
	}
	making.Lock()
	defer making.Unlock()
	isNew := func(name string) bool {
		_, err := os.Lstat(filepath.Join(dir, name))
		return errors.Is(err, fs.ErrNotExist)
	}
	lockIsNew := isNew(ddpm.LockFileName)
	var added []string
	for _, name := range made {
		if isNew(name) {
			added = append(added, name)
		}
	}
	undoMade, _, _ := ddpm.MakeFolders(dir) // whatever is wrong with it, LockDir says
	lockDir := ddpm.LockDir
	if run {
		lockDir = ddpm.LockRunDir
	}
	if lock, err = lockDir(dir, flag); err != nil {
		undoMade()
		// Out of files with bytes to spare, the lock's probe said "no space left" of a temporary name
		// of 150 x's the user never gave (hundred-and-second probe's nit).
		if errors.Is(err, syscall.ENOSPC) {
			err = fmt.Errorf("%s %s cannot be written: its file system is full, of bytes or of files (no space left on device; df -h and df -i show both): "+
				"free some, or write elsewhere", flag, dir)
		}
		return nil, func() {}, err
	}
	undo = func() {
		for _, name := range added {
			os.Remove(filepath.Join(dir, name))
		}
		if lockIsNew {
			os.Remove(filepath.Join(dir, ddpm.LockFileName)) // the lock itself goes with the process, or at Unlock
		}
		undoMade()
		earlier()
	}
	unmake.Store(&undo)
	return lock, undo, nil
}

// signalName says what the signal was: a SIGTERM was called "interrupted" (twenty-seventh probe's nit).
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "interrupted (Ctrl-C)"
	case syscall.SIGTERM:
		return "terminated (SIGTERM)"
	case syscall.SIGHUP:
		return "hung up (SIGHUP)"
	case syscall.SIGQUIT:
		return "quit (Ctrl-\\)"
	case syscall.SIGPIPE:
		return "output closed (broken pipe)"
	}
	return sig.String()
}

// stoppedWhole is the note of a command whose every output is written whole or not at all: sample,
// interpolate, classifier and export exited 143 without a word (thirty-fourth probe's nit). It names
// the files this run wrote: stopped between two outputs, a run left one new beside an earlier run's
// other (a grid beside an older report), and the note did not say which (forty-first probe).
func stoppedWhole() string {
	note := "stopped; each of its files is written whole or not at all"
	written.Lock()
	defer written.Unlock()
	if len(written.paths) == 0 {
		return note + "; it wrote none (any there are an earlier run's)"
	}
	return note + "; it wrote " + strings.Join(written.paths, ", ") + " (any other there is an earlier run's)"
}

// written is what this run has written whole, in order (wrote).
var written struct {
	sync.Mutex
	paths []string
}

// wrote records that this run wrote path whole, for the note of a stop.
func wrote(path string) {
	written.Lock()
	defer written.Unlock()
	if !slices.Contains(written.paths, path) {
		written.paths = append(written.paths, path)
	}
}

// quitTo holds the commands' handlers of Ctrl-\ now registered (notifyStop): quitLikeTerm's one channel
// for SIGQUIT hands each to them, or ends the process where there is none. One channel decides, under
// the lock: with two, a Ctrl-\ that came as a handler was being registered reached neither, and the run
// went on to its end (ninety-first probe).
var quitTo struct {
	sync.Mutex
	started  bool
	handlers []chan<- os.Signal
}

// notifyStop registers c for sigs (SIGQUIT through quitLikeTerm's channel, where it runs), until the
// returned function stops it.
func notifyStop(c chan<- os.Signal, sigs ...os.Signal) (stop func()) {
	quitTo.Lock()
	defer quitTo.Unlock()
	byQuit := quitTo.started && slices.Contains(sigs, os.Signal(syscall.SIGQUIT))
	if byQuit {
		sigs = slices.DeleteFunc(slices.Clone(sigs), func(s os.Signal) bool { return s == syscall.SIGQUIT })
		quitTo.handlers = append(quitTo.handlers, c)
	}
	if len(sigs) > 0 { // none would relay every signal
		signal.Notify(c, sigs...)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			quitTo.Lock()
			defer quitTo.Unlock()
			signal.Stop(c)
			if byQuit {
				quitTo.handlers = slices.DeleteFunc(quitTo.handlers, func(h chan<- os.Signal) bool { return h == c })
			}
		})
	}
}

// quitLikeTerm takes Ctrl-\ for the whole process: handed to the commands' handlers where one is
// registered, else it ends the process at once, without a word and with 128 + SIGQUIT, as SIGTERM's
// default action ends it with 128 + SIGTERM. Go's default for SIGQUIT is a dump of the goroutines and
// exit 2, which ended train's, eval's and setup's checks and info (eighty-ninth and ninetieth probes).
// Before main (the runtime's and the packages' start, some tens of milliseconds) it is still Go's.
func quitLikeTerm() {
	quit := make(chan os.Signal, 1)
	quitTo.Lock()
	quitTo.started = true
	signal.Notify(quit, syscall.SIGQUIT)
	quitTo.Unlock()
	go func() {
		for sig := range quit {
			quitTo.Lock()
			if len(quitTo.handlers) == 0 {
				os.Exit(128 + int(syscall.SIGQUIT))
			}
			for _, h := range quitTo.handlers {
				select {
				case h <- sig:
				default: // one already pending there, as signal.Notify drops it
				}
			}
			quitTo.Unlock()
		}
	}()
}
