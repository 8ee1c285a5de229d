package models

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Every *.ddpm file of the folder is embedded, byte for byte: a model added to models/ is shipped
// by `ddpm setup` without another step, and none is shipped stale.
func TestEveryModelIsEmbedded(t *testing.T) {
	onDisk, err := filepath.Glob("*.ddpm")
	if err != nil || len(onDisk) == 0 {
		t.Fatalf("no *.ddpm file in models/ (%v)", err)
	}
	if names := Names(); !slices.Equal(names, onDisk) {
		t.Fatalf("embedded %v, the folder has %v", names, onDisk)
	}
	for _, name := range onDisk {
		want, _ := os.ReadFile(name)
		if got, err := Read(name); err != nil || string(got) != string(want) {
			t.Errorf("%s: embedded copy differs from the file (%v)", name, err)
		}
	}
}
