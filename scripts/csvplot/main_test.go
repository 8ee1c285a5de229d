package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/learn-ddpm/ddpm-go/viz"
)

// The plot is written to a new file of its own name, then renamed: at the fixed name out.png.tmp, a link
// left there had it written through over another file (eighty-fourth probe).
func TestRunWritesNoFileThroughALink(t *testing.T) {
	dir := t.TempDir()
	in, out, victim := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.png"), filepath.Join(dir, "victim")
	if err := os.WriteFile(in, []byte("steps,fid\n10,5\n100,3\n"), 0o644); err != nil || os.WriteFile(victim, []byte("mine"), 0o644) != nil ||
		os.Symlink(victim, out+".tmp") != nil {
		t.Fatal("setting up")
	}
	if err := run(in, out, "steps", "fid", "", 1, false, viz.Plot{Width: 100, Height: 80}); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(victim); string(raw) != "mine" {
		t.Errorf("the file behind the link was overwritten: %q", raw)
	}
	if info, err := os.Lstat(out); err != nil || !info.Mode().IsRegular() || info.Mode().Perm() != 0o644 {
		t.Errorf("%s: %v, %v; want a regular file, mode 0644", out, info, err)
	}
}
