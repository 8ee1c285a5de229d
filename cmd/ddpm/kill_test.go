package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// envRunMain makes the test binary run the command line itself (main) instead of the tests, so
// that the kill tests below can run `ddpm ...` as a child process without building it first.
const envRunMain = "DDPM_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
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

// killRepeatedly starts the command again and again, SIGKILLs it after a random delay in
// [minDelay, maxDelay) (seeded), and stops after kills kills or when a run finishes by itself; then
// runs it once more to the end. It fails the test if a run exits with an error (a killed run's
// checkpoint or progress must never stop the next one). progress measures the work saved so far;
// it returns the number of kills and how many of them came after saved progress had grown (kills
// in the middle of the work, not only during start-up).
func killRepeatedly(t *testing.T, kills int, minDelay, maxDelay time.Duration, seed uint64, progress func() int, args ...string) (killed, midway int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	last := progress()
	for killed < kills {
		cmd := ddpmCommand(args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		delay := minDelay + time.Duration(rng.Float64()*float64(maxDelay-minDelay))
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("ddpm %s failed after %d kills: %v\n%s", args[0], killed, err, out.String())
			}
			return killed, midway // finished before the kill: nothing left to interrupt
		case <-time.After(delay):
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-done
			killed++
			if now := progress(); now > last {
				midway, last = midway+1, now
			}
		}
	}
	if out, err := ddpmCommand(args...).CombinedOutput(); err != nil {
		t.Fatalf("ddpm %s after %d kills: %v\n%s", args[0], killed, err, out)
	}
	return killed, midway
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
		return []string{"train", "--dataset", "moons", "--toy-n", "512", "--T", "50", "--batch", "64", "--steps", "5000",
			"--ckpt", ckpt, "--ckpt-every", "50ms", "--progress=false"}
	}
	whole := filepath.Join(dir, "whole")
	if out, err := ddpmCommand(args(whole)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	killedDir := filepath.Join(dir, "killed")
	start := time.Now()
	step := func() int {
		latest, _ := ddpm.LatestCheckpoint(killedDir)
		if latest == "" {
			return 0
		}
		s, _ := ddpm.ReadCheckpointMeta(latest, nil)
		return int(s)
	}
	kills, midway := killRepeatedly(t, 12, 300*time.Millisecond, 2500*time.Millisecond, 1, step, args(killedDir)...)
	t.Logf("%d kills (%d after new checkpoints) and the final run in %s", kills, midway, time.Since(start).Round(time.Millisecond))
	if kills < 10 || midway < 3 {
		t.Errorf("%d kills, %d of them after new checkpoints: the test did not interrupt training enough", kills, midway)
	}
	wantStep, want := finalWeights(t, whole)
	gotStep, got := finalWeights(t, killedDir)
	if gotStep != wantStep || len(got) != len(want) {
		t.Fatalf("after %d kills: step %d with %d variables, uninterrupted: step %d with %d", kills, gotStep, len(got), wantStep, len(want))
	}
	for name, data := range want {
		if !bytes.Equal(got[name], data) {
			t.Errorf("after %d kills, variable %s differs from the uninterrupted run's", kills, name)
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
		return []string{"eval", "--nll", "40", "--nll-batch", "4", "--fid", "40", "--fid-batch", "4", "--steps", "20",
			"--work", work, "--out", work}
	}
	whole := filepath.Join(dir, "whole")
	if out, err := ddpmCommand(args(whole)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted evaluation: %v\n%s", err, out)
	}
	killedDir := filepath.Join(dir, "killed")
	start := time.Now()
	saved := func() int { // bytes of bound progress and of samples stored so far
		total := 0
		files, _ := filepath.Glob(filepath.Join(killedDir, "*"))
		for _, f := range files {
			if strings.HasSuffix(f, ".u8") || strings.HasSuffix(f, "nll-progress.json") {
				if info, err := os.Stat(f); err == nil {
					total += int(info.Size())
				}
			}
		}
		return total
	}
	kills, midway := killRepeatedly(t, 6, 1500*time.Millisecond, 5*time.Second, 2, saved, args(killedDir)...)
	t.Logf("%d kills (%d after saved progress) and the final run in %s", kills, midway, time.Since(start).Round(time.Millisecond))
	if kills < 4 || midway < 2 {
		t.Errorf("%d kills, %d of them after saved progress: the test did not interrupt the evaluation enough", kills, midway)
	}
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
	if !reflect.DeepEqual(want.NLL, got.NLL) || !reflect.DeepEqual(want.FID, got.FID) {
		t.Errorf("after %d kills the report differs from an uninterrupted run's:\n got %s\nwant %s", kills, brief(got), brief(want))
	}
}

func brief(r evalReport) string {
	return fmt.Sprintf("bound %+v, FID %+v", *r.NLL, *r.FID)
}

// --help of every command prints its flags and exits 0 (it used to exit 1 with "flag: help
// requested"), and no flag's placeholder is taken from backquoted text in its usage (eval's
// -classifier showed "ddpm classifier" as its value name).
func TestHelpExitsZero(t *testing.T) {
	for _, command := range []string{"train", "sample", "eval", "interpolate", "classifier", "export", "info"} {
		out, err := ddpmCommand(command, "--help").CombinedOutput()
		if err != nil {
			t.Errorf("ddpm %s --help: %v\n%s", command, err, out)
			continue
		}
		if strings.Contains(string(out), "help requested") || !strings.Contains(string(out), "Usage of "+command) {
			t.Errorf("ddpm %s --help printed:\n%s", command, out)
		}
	}
	out, _ := ddpmCommand("eval", "--help").CombinedOutput()
	if !strings.Contains(string(out), "-classifier string") {
		t.Errorf("eval --help does not show -classifier with a string value:\n%s", out)
	}
}
