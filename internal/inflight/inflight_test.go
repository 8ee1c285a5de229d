package inflight

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/learn-ddpm/ddpm-go/internal/procgroup"
	"github.com/learn-ddpm/ddpm-go/internal/sweep"
)

// What is in flight is removed, files and folders whole; what is done is left.
func TestRemoveAllRemovesWhatIsInFlight(t *testing.T) {
	t.Cleanup(Reopen)
	dir := t.TempDir()
	file, folder, done := filepath.Join(dir, "f.tmp"), filepath.Join(dir, "ddpm-go-1"), filepath.Join(dir, "kept")
	for _, p := range []string{file, done} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(folder, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, folder, done} {
		if _, err := Make(func() (string, error) { return p, nil }); err != nil {
			t.Fatal(err)
		}
	}
	Done(done)
	RemoveAll()
	for _, p := range []string{file, folder} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is left (%v)", p, err)
		}
	}
	if _, err := os.Stat(done); err != nil {
		t.Errorf("%s, done, was removed: %v", done, err)
	}
}

// A child's group registered is killed whole, its own children too (a GOAUTH helper of the go command
// outlived a stopped run; fifty-fourth probe).
func TestRemoveAllKillsTheGroupsInFlight(t *testing.T) {
	t.Cleanup(Reopen)
	cmd := procgroup.Command(context.Background(), "/bin/sh", "-c", sweep.GrandchildScript)
	grandchild := sweep.Grandchild(t, cmd)
	if err := StartGroup(func() (int, error) { return cmd.Process.Pid, nil }); err != nil {
		t.Fatal(err)
	}
	RemoveAll()
	_ = cmd.Wait()
	sweep.WaitEnded(t, grandchild, "RemoveAll")
}

// Make registers what it makes, in the same step (a signal between a temporary's making and its
// registration left it), and nothing where the making failed: a name taken already is another's.
func TestMakeRegistersWhatItMade(t *testing.T) {
	t.Cleanup(Reopen)
	dir := t.TempDir()
	made, taken := filepath.Join(dir, "made.tmp"), filepath.Join(dir, "taken")
	if err := os.WriteFile(taken, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{made, taken} {
		got, err := Make(func() (string, error) {
			f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err == nil {
				f.Close()
			}
			return p, err
		})
		if got != p || (err == nil) != (p == made) {
			t.Errorf("Make(%s) = %q, %v", p, got, err)
		}
	}
	RemoveAll()
	if _, err := os.Lstat(made); !os.IsNotExist(err) {
		t.Errorf("%s, made, is left (%v)", made, err)
	}
	if _, err := os.Lstat(taken); err != nil {
		t.Errorf("%s, which Make failed to make, was removed: %v", taken, err)
	}
}

// Finish forgets what it renamed or removed in the same step: a name made again after (another user's,
// in a sticky folder) is not removed by a signal's handler; one whose removal failed stays registered.
func TestFinishForgetsWhatItRemoved(t *testing.T) {
	t.Cleanup(Reopen)
	dir := t.TempDir()
	gone, kept := filepath.Join(dir, "gone.tmp"), filepath.Join(dir, "kept.tmp")
	for _, p := range []string{gone, kept} {
		if _, err := Make(func() (string, error) { return p, os.WriteFile(p, nil, 0o600) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := Finish(gone, func() error { return os.Remove(gone) }); err != nil {
		t.Fatal(err)
	}
	if err := Finish(kept, func() error { return os.ErrPermission }); err == nil {
		t.Error("Finish of a failed removal: no error")
	}
	if err := os.WriteFile(gone, nil, 0o600); err != nil { // the name taken again
		t.Fatal(err)
	}
	RemoveAll()
	if _, err := os.Stat(gone); err != nil {
		t.Errorf("%s, made again after Finish, was removed: %v", gone, err)
	}
	if _, err := os.Lstat(kept); !os.IsNotExist(err) {
		t.Errorf("%s, whose removal failed, is left (%v)", kept, err)
	}
}

// After RemoveAll, Make makes nothing and StartGroup starts nothing: what the main path would make
// while the handler ends the process, no handler would remove (eighty-eighth probe: a temporary made
// then was left, whole).
func TestNothingIsMadeAfterRemoveAll(t *testing.T) {
	t.Cleanup(Reopen)
	RemoveAll()
	p := filepath.Join(t.TempDir(), "late.tmp")
	ran := false
	if _, err := Make(func() (string, error) { ran = true; return p, os.WriteFile(p, nil, 0o600) }); err != ErrStopping || ran {
		t.Errorf("Make after RemoveAll: %v, made %v; want ErrStopping and nothing made", err, ran)
	}
	if err := StartGroup(func() (int, error) { ran = true; return 0, nil }); err != ErrStopping || ran {
		t.Errorf("StartGroup after RemoveAll: %v, started %v; want ErrStopping and nothing started", err, ran)
	}
	Reopen()
	if _, err := Make(func() (string, error) { return p, os.WriteFile(p, nil, 0o600) }); err != nil {
		t.Errorf("Make after Reopen: %v", err)
	}
}
