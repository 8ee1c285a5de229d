package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// envRunMain makes the test binary run the command line itself (main) instead of the tests, so
// that the kill tests below can run `ddpm ...` as a child process without building it first.
const envRunMain = "DDPM_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	scriptInterpreters = true // the tests' fake interpreters are shell scripts; TestSetupRefusesAScriptAsPython sets it back
	if os.Getenv(envRunMain) == "1" {
		if os.Getenv(envStopAfterLock) == "1" {
			stopJustAfterTrainLock()
		}
		if os.Getenv(envQuitAtStart) == "1" {
			atStart = func() {
				syscall.Kill(os.Getpid(), syscall.SIGQUIT) //nolint:errcheck
				time.Sleep(time.Second)
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// ddpmCommand is `ddpm args...` run by the test binary, in the repository root (where the shipped
// models are), without the malloc re-exec (it would change nothing but time).
func ddpmCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envRunMain+"=1", ddpm.EnvNoReexec+"=1")
	cmd.Dir = "../.."
	return cmd
}

// child is `ddpm ...` started in the background, its output kept; done receives Wait's error.
type child struct {
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan error
}

// lockedBuffer is a buffer that a child's output may be written to while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startDDPM(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{cmd: ddpmCommand(args...), done: make(chan error, 1)}
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	return c
}

// waitPolling waits for the child to exit, calling poll every interval meanwhile, and fails the test
// if it exits with an error.
func (c *child) waitPolling(t *testing.T, every time.Duration, poll func()) {
	t.Helper()
	for {
		select {
		case err := <-c.done:
			if err != nil {
				t.Fatalf("ddpm %v: %v\n%s", c.cmd.Args[1:], err, c.out.String())
			}
			return
		case <-time.After(every):
			poll()
		}
	}
}

// killRepeatedly starts the command again and again and SIGKILLs it after a random delay in
// [minDelay, maxDelay) (seeded; every third kill, half such a delay after the run's first saved
// progress), or as soon as it has saved quota more progress than it started with, whichever comes first: the quota keeps the killed runs from finishing the work however fast
// the machine runs at that moment (the delays are drawn from timings taken under other load). It
// stops after kills kills or when a run finishes by itself; then runs the command once more to the
// end. It fails the test if a run exits with an error (a killed run's checkpoint or progress must
// never stop the next one). progress measures the work saved so far; it returns the number of kills
// and how many of them came after saved progress had grown (in the middle of the work, not only
// during start-up).
func killRepeatedly(t *testing.T, kills int, minDelay, maxDelay time.Duration, quota int, seed uint64, progress func() int, args ...string) (killed, midway int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	last := progress()
	for killed < kills {
		c := startDDPM(t, args...)
		delay := time.Duration(rng.Float64() * float64(maxDelay-minDelay))
		deadline := time.After(minDelay + delay)
		// Every third kill waits for the run's first saved progress and comes a random delay after it:
		// on a machine loaded more heavily than when the delays were measured, every kill landed in
		// start-up (12 kills, none after saved progress, beside a course build and five probes).
		afterProgress := killed%3 == 2
		if afterProgress {
			deadline = nil
		}
		kill := false
		for !kill {
			select {
			case err := <-c.done:
				if err != nil {
					t.Fatalf("ddpm %s failed after %d kills: %v\n%s", args[0], killed, err, c.out.String())
				}
				return killed, midway // finished before the kill: nothing left to interrupt
			case <-deadline:
				kill = true
			case <-time.After(10 * time.Millisecond):
				saved := progress() - last
				kill = saved >= quota
				if afterProgress && deadline == nil && saved > 0 {
					deadline = time.After(delay / 2)
				}
			}
		}
		if err := c.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-c.done
		killed++
		if now := progress(); now > last {
			midway, last = midway+1, now
		}
	}
	if out, err := ddpmCommand(args...).CombinedOutput(); err != nil {
		t.Fatalf("ddpm %s after %d kills: %v\n%s", args[0], killed, err, out)
	}
	return killed, midway
}

// uninterrupted runs the command to its end and times it: startup is when progress (its saved work)
// first grows, total when it exits. Kill delays are drawn from these, so that the runs are
// interrupted during start-up and in the middle of the work, as many times as asked, on a fast
// machine and a slow one alike.
func uninterrupted(t *testing.T, progress func() int, args ...string) (startup, total time.Duration) {
	t.Helper()
	start := time.Now()
	startDDPM(t, args...).waitPolling(t, 10*time.Millisecond, func() {
		if startup == 0 && progress() > 0 {
			startup = time.Since(start)
		}
	})
	total = time.Since(start)
	if startup == 0 {
		startup = total / 2
	}
	return startup, total
}

// killPlan is a kill-anywhere run: the command for a folder, what progress it has saved there, how
// many kills, and how many of them at least must come after saved progress grew (mid-work).
type killPlan struct {
	args     func(dir string) []string
	progress func(dir string) func() int
	kills    int
	midway   int
	seed     uint64
	// window widens the delays beyond the start-up (1: a (kills+2)-th of the work; more for commands
	// whose resumed runs start up longer than a fresh one).
	window float64
}

// run runs the command uninterrupted in dir/whole, then killed and resumed in dir/killed, and
// returns both folders. The delays run from half the start-up (some kills come before any work is
// saved) to the start-up plus window times a (kills+2)-th of the work, and a run that saves a
// (kills+2)-th of the uninterrupted run's progress is killed at once, so that the killed runs
// together do not finish the work; since the delays scale with the measured times, the seeded draws
// fall at the same places on a fast machine and a slow one.
func (p killPlan) run(t *testing.T, dir string) (whole, killed string) {
	t.Helper()
	whole, killed = filepath.Join(dir, "whole"), filepath.Join(dir, "killed")
	startup, total := uninterrupted(t, p.progress(whole), p.args(whole)...)
	work := time.Duration(p.window * float64(total-startup) / float64(p.kills+2))
	quota := max(1, p.progress(whole)()/(p.kills+2))
	start := time.Now()
	kills, midway := killRepeatedly(t, p.kills, startup/2, startup+work, quota, p.seed, p.progress(killed), p.args(killed)...)
	t.Logf("uninterrupted: %s (start-up %s); %d kills (%d after saved progress) and the final run in %s", total.Round(time.Millisecond),
		startup.Round(time.Millisecond), kills, midway, time.Since(start).Round(time.Millisecond))
	if kills < p.kills-2 || midway < p.midway {
		t.Errorf("%d kills, %d of them after saved progress: the test did not interrupt %s enough (want %d and %d)",
			kills, midway, p.args(killed)[0], p.kills-2, p.midway)
	}
	return whole, killed
}

// finalWeights reads every variable of the newest checkpoint in dir.
func finalWeights(t *testing.T, dir string) (int64, map[string][]byte) {
	t.Helper()
	latest := mustLatest(t, dir)
	ctx := context.New()
	step, err := ddpm.LoadCheckpoint(latest, ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for v := range ctx.IterVariables() {
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		value.ConstBytes(func(data []byte) { out[v.ScopeAndName()] = bytes.Clone(data) }) //nolint:errcheck
	}
	return step, out
}

// Kill-anywhere, training: `ddpm train` on a toy set is SIGKILLed at ≥ 10 random moments (during
// start-up, training, checkpoint writing or old-checkpoint removal), resumed each time, and ends
// with the same weights, bit for bit, as a run never interrupted; no temporary file is left behind.
func TestKillAnywhereTrain(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a training run many times")
	}
	dir := t.TempDir()
	args := func(ckpt string) []string {
		return []string{"train", "--dataset", "moons", "--toy-n", "512", "--T", "50", "--batch", "64", "--steps", "12000",
			"--ckpt", ckpt, "--ckpt-every", "50ms", "--progress=false"}
	}
	step := func(dir string) func() int {
		return func() int {
			latest, _ := ddpm.LatestCheckpoint(dir)
			if latest == "" {
				return 0
			}
			s, _ := ddpm.ReadCheckpointMeta(latest, nil)
			return int(s)
		}
	}
	whole, killedDir := killPlan{args: args, progress: step, kills: 12, midway: 3, seed: 1, window: 1}.run(t, dir)
	wantStep, want := finalWeights(t, whole)
	gotStep, got := finalWeights(t, killedDir)
	if gotStep != wantStep || len(got) != len(want) {
		t.Fatalf("after the kills: step %d with %d variables, uninterrupted: step %d with %d", gotStep, len(got), wantStep, len(want))
	}
	for name, data := range want {
		if !bytes.Equal(got[name], data) {
			t.Errorf("after the kills, variable %s differs from the uninterrupted run's", name)
		}
	}
	if stale, _ := filepath.Glob(filepath.Join(killedDir, ".*.tmp-*")); len(stale) > 0 {
		t.Errorf("temporary files left behind: %v", stale)
	}
}

// Kill-anywhere, evaluation: `ddpm eval` (the bound and the FID, resumable) SIGKILLed at random
// moments and resumed each time ends with the report of a run never interrupted.
func TestKillAnywhereEval(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts an evaluation many times")
	}
	dir := t.TempDir()
	args := func(work string) []string {
		return []string{"eval", "--nll", "120", "--nll-batch", "4", "--fid", "120", "--fid-batch", "4", "--steps", "20",
			"--work", work, "--out", work}
	}
	saved := func(dir string) func() int { // bytes of bound progress and of samples stored so far
		return func() int {
			total := 0
			files, _ := filepath.Glob(filepath.Join(dir, "*"))
			for _, f := range files {
				if strings.HasSuffix(f, ".u8") || strings.HasSuffix(f, "nll-progress.json") {
					if info, err := os.Stat(f); err == nil {
						total += int(info.Size())
					}
				}
			}
			return total
		}
	}
	// Resumed evaluations start up longer than a fresh one (they also compile the FID's graphs, and
	// measure the classifier before the bound resumes).
	whole, killedDir := killPlan{args: args, progress: saved, kills: 10, midway: 2, seed: 2, window: 3}.run(t, dir)
	read := func(work string) evalReport {
		raw, err := os.ReadFile(filepath.Join(work, "eval.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r evalReport
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	want, got := read(whole), read(killedDir)
	if want.NLL == nil || got.NLL == nil || want.FID == nil || got.FID == nil {
		t.Fatalf("reports without a bound or a FID: %+v, %+v", want, got)
	}
	// Timings differ between the runs; everything measured must not.
	want.NLL.Seconds, got.NLL.Seconds = 0, 0
	want.FID.SampleSeconds, got.FID.SampleSeconds = 0, 0
	want.FID.SamplesMade, got.FID.SamplesMade = 0, 0
	if !reflect.DeepEqual(want.NLL, got.NLL) || !reflect.DeepEqual(want.FID, got.FID) {
		t.Errorf("after the kills the report differs from an uninterrupted run's:\n got %s\nwant %s", brief(got), brief(want))
	}
}

func brief(r evalReport) string {
	return fmt.Sprintf("bound %+v, FID %+v", *r.NLL, *r.FID)
}

// --help of every command prints its flags and exits 0 (it used to exit 1 with "flag: help
// requested"), and no flag's placeholder is taken from backquoted text in its usage (eval's
// -classifier showed "ddpm classifier" as its value name).
func TestHelpExitsZero(t *testing.T) {
	for _, command := range []string{"train", "sample", "eval", "interpolate", "classifier", "export", "info", "setup"} {
		// On standard output, as `ddpm help` prints the commands: `ddpm help sample | grep steps` found
		// nothing (thirty-first probe's nit).
		for _, args := range [][]string{{command, "--help"}, {"help", command}} {
			out, err := ddpmCommand(args...).Output()
			if err != nil {
				t.Errorf("ddpm %v: %v\n%s", args, err, out)
				continue
			}
			if strings.Contains(string(out), "help requested") || !strings.Contains(string(out), "Usage of "+command) {
				t.Errorf("ddpm %v printed on standard output:\n%s", args, out)
			}
		}
	}
	out, _ := ddpmCommand("eval", "--help").CombinedOutput()
	if !strings.Contains(string(out), "-classifier string") {
		t.Errorf("eval --help does not show -classifier with a string value:\n%s", out)
	}
}

// A training run stopped by SIGTERM (or Ctrl-C, SIGHUP or Ctrl-\), even delivered twice at once, saves its checkpoint and
// exits with 128 + the signal, not 0, saying how to resume: `ddpm train && ddpm export` must not go on with an unfinished model.
func TestStoppedTrainingExitsNonZero(t *testing.T) {
	for _, c := range []struct {
		sig   syscall.Signal
		times int
	}{
		// Twice at once, as GNU timeout delivers it (to the process, then to its group): the duplicate is
		// not the "interrupt again to kill" (it exited 130 without saving one run in four; fourth probe).
		{syscall.SIGTERM, 2},
		// A closed terminal or a dropped ssh: it killed the run without saving (sixth probe).
		{syscall.SIGHUP, 1},
		// Ctrl-\: Go's default killed with a dump of the goroutines (eighty-eighth probe, in setup).
		{syscall.SIGQUIT, 1},
	} {
		t.Run(c.sig.String(), func(t *testing.T) { stopTraining(t, c.sig, c.times) })
	}
}

// A signal after the last step, or in its sample grid, says that every step is trained and saved: it
// said "stopped before the last step … run the same command again to resume", and the rerun had
// nothing to train (twenty-seventh probe). A run of 2 steps saves step 1 (--ckpt-every 1ms), then
// trains step 2 and draws its grid, 1 000 steps of the chain; the signal comes in one or the other.
func TestStopAfterTheLastStep(t *testing.T) {
	dir, images := t.TempDir(), t.TempDir()
	writeTinyImages(t, images)
	c := startDDPM(t, "train", "--dataset", "folder", "--data", images, "--batch", "4", "--ch", "8", "--ch-mult", "1", "--attn=",
		"--T", "1000", "--steps", "2", "--sample-every", "2", "--ckpt", dir, "--ckpt-every", "1ms", "--progress=false")
	deadline := time.Now().Add(2 * time.Minute)
	for latest, _ := ddpm.LatestCheckpoint(dir); filepath.Base(latest) != "ckpt-000000001.ddpm"; latest, _ = ddpm.LatestCheckpoint(dir) {
		select {
		case err := <-c.done:
			t.Fatalf("the run ended (%v) before its checkpoint of step 1 was seen:\n%s", err, c.out.String())
		default:
		}
		if time.Now().After(deadline) {
			c.cmd.Process.Kill()
			t.Fatalf("no checkpoint of step 1 after 2 minutes:\n%s", c.out.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := <-c.done; !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("after a Ctrl-C: %v, want exit status 130\n%s", err, c.out.String())
	}
	last := filepath.Join(dir, "ckpt-000000002.ddpm")
	if out := c.out.String(); !strings.Contains(out, "after the last step (--steps 2), which is trained and saved in "+last) {
		t.Errorf("the message does not say that the last step is trained and saved in %s:\n%s", last, out)
	}
	if latest, err := ddpm.LatestCheckpoint(dir); latest != last {
		t.Errorf("the newest checkpoint is %q (%v), want %s", latest, err, last)
	}
}

// A Ctrl-C in a command's final write removes its temporary file before the signal ends the process
// as it would have: sample's `.s.npy.tmp-N` was left for good, since no run locks sample's --out to
// clean it (twenty-seventh probe; export, interpolate, classifier, setup's models and eval's report are
// written the same way). The signal is sent the moment the temporary appears.
func TestASignalInAFinalWriteLeavesNoTemporary(t *testing.T) {
	caught := 0
	for try := 0; try < 5 && caught < 2; try++ {
		dir := t.TempDir()
		c := startDDPM(t, "sample", "--ckpt", "models/mnist-ch8-ema.ddpm", "--n", "2048", "--sampler", "ddim", "--steps", "2",
			"--out", filepath.Join(dir, "s.npy"))
		var err error
		for sent, ended := false, false; !ended; {
			select {
			case err = <-c.done:
				ended = true
				continue
			default:
			}
			if entries, _ := os.ReadDir(dir); !sent && len(entries) > 0 && strings.Contains(entries[0].Name(), ".tmp-") {
				c.cmd.Process.Signal(os.Interrupt) //nolint:errcheck
				sent = true
			}
			time.Sleep(200 * time.Microsecond)
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() && status.Signal() == syscall.SIGINT {
				caught++ // ended by the signal, as it would have been, and saying so (it was silent; thirty-fourth probe's nit)
				if want := "interrupted (Ctrl-C): stopped; each of its files is written whole or not at all"; !strings.Contains(c.out.String(), want) {
					t.Errorf("after a Ctrl-C in its write, it does not say %q:\n%s", want, c.out.String())
				}
			} else {
				t.Errorf("after a Ctrl-C in its write: %v, want the process ended by SIGINT\n%s", err, c.out.String())
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 && entries[0].Name() != "s.npy" {
			t.Errorf("a Ctrl-C in the write left %s", entries[0].Name())
		}
	}
	t.Logf("%d runs ended by a Ctrl-C in their write", caught)
	if caught == 0 {
		t.Errorf("no Ctrl-C came during a write in 5 runs: the test shows nothing")
	}
}

// A Ctrl-\ in a command's work ends it with its note and 131, as the other stop signals end it: raised
// again under Go's default, it ended with a dump of the goroutines and exit 2 (eighty-ninth probe).
func TestCtrlBackslashEndsACommandWithItsNote(t *testing.T) {
	dir := t.TempDir()
	c := startDDPM(t, "sample", "--ckpt", "models/mnist-ch8-ema.ddpm", "--n", "2048", "--sampler", "ddim", "--steps", "100",
		"--out", filepath.Join(dir, "s.npy"))
	time.Sleep(2 * time.Second) // in its work: 100 steps of 2048 samples take far longer
	if err := c.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	err := <-c.done
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 128+int(syscall.SIGQUIT) || strings.Contains(c.out.String(), "goroutine ") {
		t.Errorf("sample stopped by Ctrl-\\: %v, want exit status 131 without a dump of the goroutines\n%.2000s", err, c.out.String())
	}
	if want := "quit (Ctrl-\\): stopped"; !strings.Contains(c.out.String(), want) {
		t.Errorf("sample stopped by Ctrl-\\ does not say %q:\n%.2000s", want, c.out.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("sample stopped by Ctrl-\\ left %s", entries[0].Name())
	}
}

// envQuitAtStart makes the child send itself Ctrl-\ before its command begins, where no handler of the
// command's is set yet.
const envQuitAtStart = "DDPM_TEST_QUIT_AT_START"

// Ctrl-\ where no command's handler takes it (train's, eval's and setup's checks, info) ends the process
// as SIGTERM's default would, with 131 and no word: Go's default dumped the goroutines and exited 2
// (ninetieth probe).
func TestCtrlBackslashBeforeAnyHandlerEndsWith131(t *testing.T) {
	cmd := ddpmCommand("info")
	cmd.Env = append(cmd.Env, envQuitAtStart+"=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 128+int(syscall.SIGQUIT) || strings.Contains(string(out), "goroutine ") {
		t.Errorf("info stopped by Ctrl-\\ at its start: %v, want exit status 131 without a dump of the goroutines\n%.2000s", err, out)
	}
}

// stopTraining starts a training run, waits for its first checkpoint, sends it sig (times times, 5 ms
// apart) and checks that it saved, said how to resume and exited with 128 + sig.
func stopTraining(t *testing.T, sig syscall.Signal, times int) {
	c := trainingWithACheckpoint(t)
	for range times {
		if err := c.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // apart, or the kernel merges them into one
	}
	var exit *exec.ExitError
	if err := <-c.done; !errors.As(err, &exit) || exit.ExitCode() != 128+int(sig) {
		t.Fatalf("after %v: %v, want exit status %d\n%s", sig, err, 128+int(sig), c.out.String())
	}
	if out := c.out.String(); !strings.Contains(out, "the checkpoint is saved: run the same command again to resume") {
		t.Errorf("the message does not say that the checkpoint was saved and how to resume:\n%s", out)
	}
	// It names the signal: a SIGTERM was "interrupted … (interrupt again to kill)" (twenty-seventh probe's nit).
	if want := signalName(sig) + ": saving a checkpoint after this step"; !strings.Contains(c.out.String(), want) {
		t.Errorf("the message does not say %q:\n%s", want, c.out.String())
	}
}

// trainingWithACheckpoint starts a long training run on a toy set and returns once it has saved its
// first checkpoint. Its steps take a few tens of milliseconds, so that a second signal comes before
// the run has stopped.
func trainingWithACheckpoint(t *testing.T) *child {
	t.Helper()
	dir := t.TempDir()
	c := startDDPM(t, "train", "--dataset", "moons", "--toy-n", "8192", "--T", "50", "--batch", "8192", "--mlp-hidden", "512", "--steps", "1000000",
		"--ckpt", dir, "--ckpt-every", "100ms", "--progress=false")
	deadline := time.Now().Add(2 * time.Minute)
	for latest, _ := ddpm.LatestCheckpoint(dir); latest == ""; latest, _ = ddpm.LatestCheckpoint(dir) {
		if time.Now().After(deadline) {
			c.cmd.Process.Kill()
			t.Fatalf("no checkpoint after 2 minutes:\n%s", c.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

// A closed standard output (`ddpm sample … | true`) does not kill a command between its outputs: the
// summary line died with SIGPIPE after --out and before --progressive was written (eleventh probe).
func TestAClosedStdoutDoesNotKillSample(t *testing.T) {
	dir := t.TempDir()
	out, fig := filepath.Join(dir, "s.png"), filepath.Join(dir, "p.png")
	cmd := ddpmCommand("sample", "--ckpt", "models/mnist-ch8-ema.ddpm", "--n", "2", "--steps", "10", "--out", out,
		"--progressive", fig, "--progressive-t", "1000,1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // nobody reads: the first line written is a broken pipe
	cmd.Stdout = w
	err = cmd.Run()
	w.Close()
	if err != nil {
		t.Errorf("sample with its output closed: %v", err)
	}
	for _, p := range []string{out, fig} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("sample with its output closed: %v", err)
		}
	}
}

// piped is `ddpm train …` started with its standard output into a pipe, whose read end r is the
// test's to read and close, and its standard error kept.
type piped struct {
	cmd    *exec.Cmd
	r      *os.File
	stderr bytes.Buffer
	done   chan error
}

func startPiped(t *testing.T, args ...string) *piped {
	t.Helper()
	p := &piped{cmd: ddpmCommand(args...), done: make(chan error, 1)}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.r = r
	p.cmd.Stdout, p.cmd.Stderr = w, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	go func() { p.done <- p.cmd.Wait() }()
	return p
}

// exitCode waits at most 2 minutes for the run to end (else it fails the test, saying after what) and
// returns its exit status.
func (p *piped) exitCode(t *testing.T, after string) int {
	t.Helper()
	select {
	case err := <-p.done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(2 * time.Minute):
		p.cmd.Process.Kill()
		t.Fatalf("train went on for 2 minutes %s\n%s", after, p.stderr.String())
		return 0
	}
}

// `ddpm train … | head` stops, saves and exits with 128 + SIGPIPE once head has gone, as on Ctrl-C:
// main ignores SIGPIPE for every command, which train's handler took for a user's nohup, and the run
// trained on towards its last step with its output lost.
func TestTrainStopsOnABrokenPipe(t *testing.T) {
	toy := []string{"train", "--dataset", "moons", "--toy-n", "512", "--T", "50", "--batch", "64", "--steps", "1000000"}
	dir := t.TempDir()
	p := startPiped(t, append(toy, "--ckpt", dir, "--ckpt-every", "10s", "--progress")...) // the progress bar writes as it trains
	if _, err := p.r.Read(make([]byte, 1)); err != nil {                                   // its first line, "training a …", then head has gone
		t.Fatal(err)
	}
	p.r.Close()
	if code := p.exitCode(t, "with its output closed"); code != 128+int(syscall.SIGPIPE) {
		t.Fatalf("with its output closed: exit status %d, want %d\n%s", code, 128+int(syscall.SIGPIPE), p.stderr.String())
	}
	if latest, _ := ddpm.LatestCheckpoint(dir); latest == "" {
		t.Errorf("no checkpoint saved:\n%s", p.stderr.String())
	}
	// Without the progress bar, the first line is the one that finds the pipe closed: `ddpm train
	// --progress=false | true` trained to the end, then said it was saving after an interruption, exit 0
	// (twenty-fifth probe).
	p = startPiped(t, append(toy, "--ckpt", t.TempDir(), "--progress=false")...)
	p.r.Close()
	if code := p.exitCode(t, "with --progress=false and its output closed"); code != 128+int(syscall.SIGPIPE) {
		t.Errorf("--progress=false with its output closed: exit status %d, want %d\n%s", code, 128+int(syscall.SIGPIPE), p.stderr.String())
	}
}

// Ctrl-C on `ddpm train … | tee log` reaches tee too, and then each of train's own writes raises
// SIGPIPE: one that came more than a second after the Ctrl-C counted as the user's second request and
// killed the run in the save that the first had promised (exit 141, a temporary checkpoint left;
// twenty-fourth probe). Here the Ctrl-C comes as the first step compiles, which takes seconds.
func TestTrainSavesOnCtrlCWhenItsOutputCloses(t *testing.T) {
	dir := t.TempDir()
	p := startPiped(t, "train", "--ch", "8", "--ch-mult", "1,2", "--attn", "", "--batch", "8", "--steps", "1000000", "--T", "100",
		"--ckpt", dir, "--sample-every", "0", "--progress")
	if _, err := p.r.Read(make([]byte, 1)); err != nil { // "training a …": the first step's compile follows
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	p.r.Close() // tee has gone with the Ctrl-C
	code := p.exitCode(t, "after a Ctrl-C")
	if strings.Contains(p.stderr.String(), "before the first step") {
		t.Skipf("the Ctrl-C came before the first step began, on this machine:\n%s", p.stderr.String())
	}
	if code != 128+int(syscall.SIGINT) {
		t.Fatalf("after a Ctrl-C: exit status %d, want %d\n%s", code, 128+int(syscall.SIGINT), p.stderr.String())
	}
	if latest, _ := ddpm.LatestCheckpoint(dir); latest == "" || !strings.Contains(p.stderr.String(), "the checkpoint is saved") {
		t.Errorf("no checkpoint saved (%q):\n%s", latest, p.stderr.String())
	}
}

// A run started ignoring a hang-up (nohup) keeps ignoring it, and still stops on SIGTERM: train turned
// the ignored SIGHUP back on, and `nohup ddpm train … &` stopped at logout (sixteenth probe).
func TestTrainKeepsAnIgnoredHangUp(t *testing.T) {
	signal.Ignore(syscall.SIGHUP) // inherited by the child, as nohup leaves it
	defer signal.Reset(syscall.SIGHUP)
	c := trainingWithACheckpoint(t)
	if err := c.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.done:
		t.Fatalf("a hang-up that the run was started ignoring stopped it: %v\n%s", err, c.out.String())
	case <-time.After(2 * time.Second):
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := <-c.done; !errors.As(err, &exit) || exit.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Fatalf("after SIGTERM: %v, want exit status %d\n%s", err, 128+int(syscall.SIGTERM), c.out.String())
	}
}

// A signal before training (here while MNIST is read, after the lock was taken) stops at once with
// 128 + the signal, trains and saves nothing, and removes the --ckpt made for the run, whose lock file
// it would leave: the lock is taken before the data is read (twenty-second probe).
func TestStopBeforeTrainingLeavesNothing(t *testing.T) {
	ckpt := filepath.Join(t.TempDir(), "run")
	c := startDDPM(t, "train", "--ch", "4", "--ch-mult", "1,1", "--attn", "", "--groups", "1", "--batch", "4", "--steps", "2",
		"--progress=false", "--ckpt", ckpt)
	c.waitForLock(t, ckpt)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := <-c.done; !errors.As(err, &exit) || exit.ExitCode() != 143 {
		t.Fatalf("after SIGTERM: %v, want exit status 143\n%s", err, c.out.String())
	}
	if !strings.Contains(c.out.String(), "ddpm train: stopped by a signal (terminated) before training began: nothing was trained or saved (run the same command again to train)") {
		t.Skipf("the signal came after training began, on this machine:\n%s", c.out.String())
	}
	if _, err := os.Lstat(ckpt); !os.IsNotExist(err) {
		t.Errorf("the --ckpt made for the run is left (%v)", err)
	}
	// A --ckpt that was there keeps what it held, and gets no lock file or samples/ (they were left;
	// twenty-fifth probe).
	if err := os.MkdirAll(ckpt, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(ckpt, "notes.txt"), []byte("mine"), 0o644) //nolint:errcheck
	c = startDDPM(t, "train", "--ch", "4", "--ch-mult", "1,1", "--attn", "", "--groups", "1", "--batch", "4", "--steps", "2",
		"--progress=false", "--ckpt", ckpt)
	c.waitForLock(t, ckpt)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-c.done
	if !strings.Contains(c.out.String(), "ddpm train: stopped by a signal (terminated) before training began: nothing was trained or saved (run the same command again to train)") {
		t.Skipf("the signal came after training began, on this machine:\n%s", c.out.String())
	}
	if entries, _ := os.ReadDir(ckpt); len(entries) != 1 {
		t.Errorf("it left %v in a --ckpt that held notes.txt", entries)
	}
}

// envStopAfterLock makes the child signal itself just after train's lock is taken and hold the
// signal's exit a while after its undo (stopJustAfterTrainLock).
const envStopAfterLock = "DDPM_TEST_STOP_AFTER_LOCK"

// stopJustAfterTrainLock sends train a SIGTERM just after its lock and lets the main path go on while
// the handler, its undo done, waits to exit: the window in which the grids' folder was made after the
// undo (a flake of TestStopBeforeTrainingLeavesNothing, 1 run in 15), opened every time.
func stopJustAfterTrainLock() {
	slowEarlyExit = 500 * time.Millisecond
	afterTrainLock = func() {
		syscall.Kill(os.Getpid(), syscall.SIGTERM) //nolint:errcheck
		time.Sleep(100 * time.Millisecond)         // the undo runs now; the main path goes on during the exit's wait
	}
}

// A signal just after train's lock removes what the run made, whatever the main path makes next:
// the grids' folder, made while the undo ran, was left in the --ckpt made for the run (and kept it),
// or in a --ckpt of the user's (seventeenth session's flake).
func TestStopJustAfterTrainsLockLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine")
	if err := os.MkdirAll(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(mine, "notes.txt"), []byte("mine"), 0o644) //nolint:errcheck
	for _, ckpt := range []string{filepath.Join(dir, "made", "run"), mine} {
		cmd := ddpmCommand("train", "--ch", "4", "--ch-mult", "1,1", "--attn", "", "--groups", "1", "--batch", "4", "--steps", "2",
			"--progress=false", "--ckpt", ckpt)
		cmd.Env = append(cmd.Env, envStopAfterLock+"=1")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 143 || !strings.Contains(string(out), "ddpm train: stopped by a signal (terminated) before training began: nothing was trained or saved (run the same command again to train)") {
			t.Fatalf("--ckpt %s: %v, want exit status 143 before training\n%s", ckpt, err, out)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "made")); !os.IsNotExist(err) {
		t.Errorf("the --ckpt made for the run is left (%v)", err)
	}
	if entries, _ := os.ReadDir(mine); len(entries) != 1 {
		t.Errorf("it left %v in a --ckpt that held notes.txt", entries)
	}
}

// eval stopped by a signal before its work (here while the classifier is measured, after --work was
// locked) exits with 128 + the signal and removes the --work and --out it made: they were left, lock
// file included (twenty-third probe).
func TestEvalStoppedBeforeItsWorkLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	work, out := filepath.Join(dir, "w", "a"), filepath.Join(dir, "o", "b")
	c := startDDPM(t, "eval", "--ckpt", "models/mnist-ch8-ema.ddpm", "--classifier", "models/mnist-classifier.ddpm", "--nll", "0",
		"--fid", "20", "--fid-batch", "10", "--steps", "10", "--work", work, "--out", out)
	c.waitForLock(t, work)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := <-c.done
	if !strings.Contains(c.out.String(), "before the work: nothing was written") {
		t.Skipf("the signal came after the work began, on this machine (%v):\n%s", err, c.out.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 143 {
		t.Errorf("after SIGTERM: %v, want exit status 143", err)
	}
	for _, made := range []string{filepath.Join(dir, "w"), filepath.Join(dir, "o")} {
		if _, err := os.Lstat(made); !os.IsNotExist(err) {
			t.Errorf("%s made for the run is left (%v)", made, err)
		}
	}
}

// eval stopped by a signal in its work ends by that signal, as any program (a shell reads 128 + the
// signal), and says where its work is kept and how to resume: it said nothing (twenty-seventh probe's nit).
func TestEvalStoppedInItsWorkSaysHowToResume(t *testing.T) {
	work := t.TempDir()
	c := startDDPM(t, "eval", "--ckpt", "models/mnist-ch8-ema.ddpm", "--nll", "400", "--nll-batch", "4", "--fid", "0", "--steps", "20",
		"--work", work, "--out", work)
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(work, boundProgressFile)); err == nil {
			break
		}
		select {
		case err := <-c.done:
			t.Fatalf("it exited before saving its first batch: %v\n%s", err, c.out.String())
		default:
		}
		if time.Now().After(deadline) {
			c.cmd.Process.Kill()
			t.Fatal("no batch of the bound saved in 2 minutes")
		}
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := <-c.done
	if status, ok := exitStatusOf(err); !ok || !status.Signaled() || status.Signal() != syscall.SIGTERM {
		t.Fatalf("after SIGTERM: %v, want the process ended by it\n%s", err, c.out.String())
	}
	want := "terminated (SIGTERM): the work done so far is kept in --work " + work + ": run the same command again to resume"
	if !strings.Contains(c.out.String(), want) {
		t.Errorf("the output does not say %q:\n%s", want, c.out.String())
	}

	// Stopped in its first batch, it says that nothing is kept: it said the work was (thirty-second probe).
	made := filepath.Join(t.TempDir(), "eval")
	fresh := filepath.Join(made, "w")
	c = startDDPM(t, "eval", "--ckpt", "models/mnist-ch8-ema.ddpm", "--nll", "8", "--nll-batch", "8", "--fid", "0",
		"--work", fresh, "--out", filepath.Join(made, "o"))
	for deadline := time.Now().Add(2 * time.Minute); !strings.Contains(c.out.String(), "bound: images 1–8 of 8"); time.Sleep(5 * time.Millisecond) {
		select {
		case err := <-c.done:
			t.Fatalf("it exited before its first batch was under way: %v\n%s", err, c.out.String())
		default:
		}
		if time.Now().After(deadline) {
			c.cmd.Process.Kill()
			t.Fatal("the first batch of the bound not under way in 2 minutes")
		}
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-c.done
	if _, err := os.Stat(filepath.Join(fresh, boundProgressFile)); err == nil {
		t.Skipf("the batch of 1 000 steps was saved before the signal came, on this machine:\n%s", c.out.String())
	}
	if want := "terminated (SIGTERM): stopped before its first batch was saved: nothing is kept"; !strings.Contains(c.out.String(), want) {
		t.Errorf("the output does not say %q:\n%s", want, c.out.String())
	}
	// Nor anything made for it: its folders and lock files were left (thirty-third probe).
	if _, err := os.Lstat(made); !os.IsNotExist(err) {
		t.Errorf("%s made for the run is left (%v)", made, err)
	}
}

// exitStatusOf is the wait status of a child's exit error.
func exitStatusOf(err error) (syscall.WaitStatus, bool) {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return 0, false
	}
	status, ok := exit.Sys().(syscall.WaitStatus)
	return status, ok
}

// waitForLock returns once the child has taken the lock of dir, and fails the test if it exits first
// or takes a minute.
func (c *child) waitForLock(t *testing.T, dir string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, ddpm.LockFileName)); err == nil {
			return
		}
		select {
		case err := <-c.done:
			t.Fatalf("it exited before taking the lock: %v\n%s", err, c.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no lock taken in a minute")
		}
	}
}

// A signal after all the work, the last step's grid written, changes nothing: the run is complete and
// exits 0 saying so (it said "interrupted: saving…" and exited 0 without a word, or exited 130 saying
// that the grid it had written was not drawn; twenty-eighth probe). Stopped before the last step, or
// before the last grid, it exits with 128 + the signal.
func TestAfterTrainingTellsACompleteRun(t *testing.T) {
	done := &ddpm.TrainResult{StartStep: 0, Step: 10, Checkpoint: "run/ckpt-000000010.ddpm"}
	early := &ddpm.TrainResult{StartStep: 0, Step: 4, Checkpoint: "run/ckpt-000000004.ddpm"}
	for _, c := range []struct {
		what              string
		err               error
		res               *ddpm.TrainResult
		sig               syscall.Signal
		sampleEvery, grid int
		code              int // 0: no error
		want              string
	}{
		{"a signal in the last grid's write", ddpm.ErrStopped, done, syscall.SIGINT, 10, 10, 0, ""},
		{"a signal after the last poll", nil, done, syscall.SIGTERM, 10, 10, 0, ""},
		{"a signal after the last step, no grid due", ddpm.ErrStopped, done, syscall.SIGINT, 3, 9, 0, ""},
		{"a signal in the last grid's sampling", ddpm.ErrStopped, done, syscall.SIGINT, 10, 0, 130, "only its sample grid was not drawn"},
		{"a signal before the last step", ddpm.ErrStopped, early, syscall.SIGTERM, 10, 0, 143, "before the last step (--steps 10)"},
		{"no signal", nil, done, 0, 10, 10, 0, ""},
	} {
		err := afterTraining(c.err, c.res, c.sig, 10, c.sampleEvery, c.grid)
		var status *exitStatus
		switch {
		case c.code == 0 && err != nil:
			t.Errorf("%s: %v, want a complete run", c.what, err)
		case c.code != 0 && (!errors.As(err, &status) || status.code != c.code || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want exit %d saying %q", c.what, err, c.code, c.want)
		}
	}
}

// Progress written to a file or a pipe is lines, not one line of carriage returns (a log of `2> log`
// was one line; thirty-first probe's nit), and at most one each ten seconds.
func TestProgressInALogIsLines(t *testing.T) {
	start := time.Now()
	out, err := ddpmCommand("sample", "--ckpt", "models/mnist-ch8-ema.ddpm", "--n", "1", "--steps", "100",
		"--out", filepath.Join(t.TempDir(), "s.png")).CombinedOutput()
	most := 1 + int(time.Since(start)/progressLogEvery)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(string(out), "\r") || !strings.Contains(string(out), "sampling: t=") {
		t.Errorf("progress written to a pipe:\n%q", out)
	}
	if n := strings.Count(string(out), "sampling: t="); n > most {
		t.Errorf("%d lines of progress, want at most %d:\n%s", n, most, out)
	}
	// Nor GoMLX's bar, whose escape codes train wrote into logs at kilobytes a second (thirty-fourth probe).
	out, err = ddpmCommand("train", "--dataset", "moons", "--toy-n", "64", "--T", "50", "--batch", "8", "--steps", "50",
		"--ckpt", t.TempDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(string(out), "\x1b[") || !strings.Contains(string(out), "train: step 1 of 50") {
		t.Errorf("train's progress written to a pipe:\n%q", out)
	}
}

// The note of a stop names the files the run wrote: stopped between two outputs, sample left a new
// --out beside an earlier run's --progressive, and eval a new grid beside an earlier report, and the
// note did not say which (forty-first probe).
func TestAStopSaysWhatItWrote(t *testing.T) {
	written.Lock()
	saved := written.paths
	written.paths = nil
	written.Unlock()
	defer func() { written.Lock(); written.paths = saved; written.Unlock() }()
	if note := stoppedWhole(); !strings.Contains(note, "it wrote none") {
		t.Errorf("before any output: %q", note)
	}
	dir := t.TempDir()
	out, progressive := filepath.Join(dir, "so.png"), filepath.Join(dir, "sp.png")
	if err := writeFile(out, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(dir, "missing", "sp.png"), []byte("x")); err == nil {
		t.Fatal("a write into a missing folder succeeded")
	}
	if note := stoppedWhole(); !strings.Contains(note, "it wrote "+out+" (any other there is an earlier run's)") || strings.Contains(note, progressive) {
		t.Errorf("after --out alone: %q, want it to name %s alone", note, out)
	}
}

// `ddpm info`'s report is its result: where it cannot be written (a full disk) the command fails, naming
// standard output; it exited 0 with nothing written.
func TestInfoFailsWhereItsReportCannotBeWritten(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	defer full.Close()
	cmd := ddpmCommand("info")
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = full, &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "standard output") {
		t.Errorf("ddpm info > /dev/full: %v, want a failure naming standard output; stderr:\n%s", err, stderr.String())
	}
	if out, err := ddpmCommand("info").Output(); err != nil || !strings.Contains(string(out), "backend:") {
		t.Errorf("ddpm info: %v\n%s", err, out)
	}
	// Nor help, whose text is its result.
	for _, args := range [][]string{{"sample", "--help"}, {"help"}} {
		cmd := ddpmCommand(args...)
		cmd.Stdout = full
		if err := cmd.Run(); err == nil {
			t.Errorf("ddpm %v > /dev/full: exit 0, want a failure", args)
		}
	}
}

// A command whose files are its result still fails where what it says cannot be written (a full disk;
// not a closed pipe, the reader's choice): sample and eval exited 0 with their report lost, where info
// failed (sixty-ninth probe). The files are written all the same.
func TestSampleFailsWhereItsReportCannotBeWritten(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	defer full.Close()
	out := filepath.Join(t.TempDir(), "x.npy")
	cmd := ddpmCommand("sample", "--ckpt", "models/mnist-ema.ddpm", "--n", "2", "--steps", "2", "--out", out)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = full, &stderr
	var exit *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "standard output") {
		t.Errorf("ddpm sample > /dev/full: %v, want exit status 1 naming standard output; stderr:\n%s", err, stderr.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("ddpm sample > /dev/full did not write its file: %v", err)
	}
}

// An error that names a file holding control characters writes them as escapes: an image named with
// an escape sequence in a data folder cleared the terminal and printed in red (fifty-seventh probe).
func TestErrorsWriteControlCharactersAsEscapes(t *testing.T) {
	name := filepath.Join(t.TempDir(), "\x1b[2J\x1b[31mEVIL\x07.ddpm")
	out, err := ddpmCommand("sample", "--ckpt", name, "--out", filepath.Join(t.TempDir(), "x.png")).CombinedOutput()
	if err == nil || strings.ContainsAny(string(out), "\x1b\x07") || !strings.Contains(string(out), `\x1b[2J\x1b[31mEVIL\a.ddpm`) {
		t.Errorf("an error naming %q: %v\n%q", name, err, out)
	}
	// And the lines of a run that succeeds: the summary named --out raw, and set the terminal's title
	// (sixty-second probe).
	// A newline in a name is written as \n, not as a line of its own that a log would show as another
	// line of the run's (sixty-fourth probe).
	written := filepath.Join(t.TempDir(), "\x1b]0;pwned\x07\x1b[31mred\nfake line.png")
	out, err = ddpmCommand("sample", "--ckpt", "models/mnist-ch8-ema.ddpm", "--n", "2", "--steps", "2", "--out", written).CombinedOutput()
	if err != nil || strings.ContainsAny(string(out), "\x1b\x07") || !strings.Contains(string(out), `\x1b]0;pwned\a\x1b[31mred\nfake line.png`) ||
		strings.Contains(string(out), "\nfake line") {
		t.Errorf("a sample written to %q: %v\n%q", written, err, out)
	}
	// And in an error, whose lines were kept as its own: the name's newline broke it into lines that
	// could fake one of the run's (sixty-fifth probe).
	missing := filepath.Join(t.TempDir(), "n\nl", "missing\n.ddpm")
	out, err = ddpmCommand("sample", "--ckpt", missing, "--out", filepath.Join(t.TempDir(), "y.png")).CombinedOutput()
	if err == nil || strings.Count(strings.TrimSuffix(string(out), "\n"), "\n") != 0 || !strings.Contains(string(out), `n\nl/missing\n.ddpm`) {
		t.Errorf("an error naming %q: %v\n%q", missing, err, out)
	}
}

// A fresh run in a folder holding an earlier run's sample grids says that it writes over those of the
// same steps and leaves the rest: the grids of two runs were mixed without a word (fifty-seventh probe).
func TestAFreshRunSaysItWritesBesideAnEarlierRunsGrids(t *testing.T) {
	images, ckpt := t.TempDir(), filepath.Join(t.TempDir(), "run")
	writeTinyImages(t, images)
	if err := os.MkdirAll(filepath.Join(ckpt, "samples"), 0o755); err != nil || os.WriteFile(filepath.Join(ckpt, "samples", "step-000000014.png"), nil, 0o644) != nil {
		t.Fatal(err)
	}
	out, err := ddpmCommand("train", "--dataset", "folder", "--data", images, "--ch", "4", "--ch-mult", "1", "--attn=", "--groups", "2", "--T", "50",
		"--batch", "2", "--steps", "1", "--sample-every", "1", "--progress=false", "--ckpt", ckpt).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "holds 1 sample grids of an earlier run") {
		t.Errorf("a fresh run beside an earlier run's grids: %v\n%s", err, out)
	}
}

// Ctrl-\ is handed by quitLikeTerm's one channel to the handler registered, which alone takes it: with
// the fallback's channel beside the handler's, one that came as the handler was registered reached
// neither (ninety-first probe).
func TestCtrlBackslashReachesTheHandlerRegistered(t *testing.T) {
	quitLikeTerm()
	c := make(chan os.Signal, 1)
	stop := notifyStop(c, stopSignals...)
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	select {
	case sig := <-c:
		if sig != syscall.SIGQUIT {
			t.Errorf("the handler got %v, want SIGQUIT", sig)
		}
	case <-time.After(10 * time.Second):
		t.Error("Ctrl-\\ did not reach the handler registered")
	}
}

// A second signal, a second or more after the first, kills at once and says where the next run starts:
// before the first checkpoint, afresh (it said "from the last checkpoint written" of none; ninety-seventh
// probe's nit).
func TestASecondSignalBeforeAnyCheckpointSaysTheRunStartsAfresh(t *testing.T) {
	dir := t.TempDir()
	c := startDDPM(t, "train", "--dataset", "moons", "--toy-n", "8192", "--T", "50", "--batch", "8192", "--mlp-hidden", "2048", "--steps", "1000000",
		"--ckpt", dir, "--ckpt-every", "1h", "--progress=false")
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(c.out.String(), "training a") {
		if time.Now().After(deadline) {
			c.cmd.Process.Kill()
			t.Fatalf("train did not start in 2 minutes:\n%s", c.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	time.Sleep(1200 * time.Millisecond)   // more than the second within which a signal counts as the same one
	c.cmd.Process.Signal(syscall.SIGHUP)  //nolint:errcheck
	select {
	case <-c.done:
	case <-time.After(2 * time.Minute):
		c.cmd.Process.Kill()
		t.Fatalf("train went on after two signals:\n%s", c.out.String())
	}
	out := c.out.String()
	if !strings.Contains(out, "killed by a second signal") {
		t.Skipf("the run saved before the second signal came (a step under 1.2 s here):\n%s", out)
	}
	if latest, _ := ddpm.LatestCheckpoint(dir); latest != "" || !strings.Contains(out, "no checkpoint was written, so the next run starts afresh") {
		t.Errorf("a second signal before any checkpoint (newest %q): want it said that the next run starts afresh:\n%s", latest, out)
	}
}

// A $DDPM_PJRT_PLUGIN with ".." in it is refused before any command reads it: the library made it
// absolute as text, "l/.." taken away before the link l was followed, and checked and loaded another
// file than the kernel reaches from the name, another user's in a sticky folder (hundred-and-third
// probe). A plugin named without ".." is read.
func TestPluginVarWithDotDotIsRefused(t *testing.T) {
	plugin, err := ddpm.UserPlugin()
	if plugin == "" {
		found, ferr := filepath.Glob("../../.venv/lib/python3*/site-packages/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so")
		if ferr != nil || len(found) == 0 {
			t.Skipf("no plugin here (%v)", err)
		}
		plugin, _ = filepath.Abs(found[0])
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		value, want string
	}{
		{dir + "/a/sub/../" + filepath.Base(plugin), `a ".." in it, which the kernel takes after the link before it`}, // (filepath.Join would take the ".." away)
		{plugin, ""},
	} {
		cmd := ddpmCommand("info")
		cmd.Env = append(cmd.Env, ddpm.EnvPlugin+"="+c.value)
		out, err := cmd.CombinedOutput()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(string(out), c.want)) {
			t.Errorf("$%s=%s: %v, want %q:\n%s", ddpm.EnvPlugin, c.value, err, c.want, out)
		}
	}
}
