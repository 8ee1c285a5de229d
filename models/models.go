// Package models holds the trained models shipped with ddpm-go (the *.ddpm files of this folder),
// embedded so that a binary installed with `go install` carries them: `ddpm setup` writes them into
// the user's cache folder (ddpm.UserModelsDir), where the command line's defaults find them.
package models

import (
	"embed"
	"io/fs"
)

//go:embed *.ddpm
var files embed.FS

// Names lists the shipped model files, e.g. mnist-ema.ddpm, in name order.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// Read returns the bytes of the shipped model file name (one of Names).
func Read(name string) ([]byte, error) {
	return files.ReadFile(name)
}
